"""District level with the same tool: split a province's targets over its districts by shares.

The districts become a structure of their own (stored in the user data folder), so `generate`,
`check` and `consolidate` work on that level unchanged. Splitting is exact: every district column
adds up to the province's figure, to the unit.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, replace
from pathlib import Path

from .errors import OutputError, WorkbookToolsError
from .importer import read_grid
from .names import fold
from .outputs import check_target, dumps_json, locked, make_folder, write_atomic
from .plans import TOTAL, PlanTargets, Target
from .spec import col_letter
from .targets import allocate
from .units import NATIONAL_CODE, structure
from .values import Parsed, parse_number

CODE_HEADERS, NAME_HEADERS = ("ma", "code", "ma huyen", "ma don vi"), ("ten", "name", "huyen", "don vi", "ten huyen", "ten don vi")
SHARE_HEADERS = ("ty le", "share", "weight", "trong so", "ty trong")


@dataclass(frozen=True)
class Share:
    """One district and its weight in the province's targets."""

    code: str
    name: str
    weight: float


def _slug(name: str) -> str:
    """ASCII file-name part of a district name."""
    return "-".join(fold(name).split())


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    """Index of the first header cell that names one of the expected columns."""
    for index, cell in enumerate(header):
        if fold(str(cell)) in names:
            return index
    return None


def read_shares(path: Path) -> list[Share]:
    """Districts and shares from a CSV or workbook with a header row (code optional, name, share)."""
    if not path.exists():
        raise WorkbookToolsError(f"Không thấy tệp {path}: hãy kiểm tra đường dẫn.")
    grid = [[("" if v is None else v) for v in row] for row in read_grid(path)]
    header = [str(c) for c in grid[0]] if grid else []
    code_col, name_col, share_col = _column(header, CODE_HEADERS), _column(header, NAME_HEADERS), _column(header, SHARE_HEADERS)
    if name_col is None or share_col is None:
        raise WorkbookToolsError(f"{path.name}: dòng đầu phải có tiêu đề cột tên huyện (ví dụ «Tên huyện») và cột tỷ lệ "
                                 "(ví dụ «Tỷ lệ»), có thể thêm cột «Mã»; hãy sửa tệp rồi chạy lại.")
    shares, problems = [], []
    for number, row in enumerate(grid[1:], start=2):
        name, code, raw = _text(row, name_col), _text(row, code_col), row[share_col] if share_col < len(row) else ""
        if not name:
            if code or _text(row, share_col):  # a code or a share without a name is a district, not a blank row
                problems.append(f"dòng {number}" + (f" (mã {code})" if code else "") + ": chưa có tên huyện")
            continue
        parsed = _share(raw)
        if not parsed.usable or parsed.value is None:
            problems.append(f"dòng {number}, cột {col_letter(share_col)}: tỷ lệ «{raw}» không phải là số không âm")
            continue
        shares.append(Share((code or f"{len(shares) + 1:03d}").split(".")[0], name, float(parsed.value)))
    codes = [s.code for s in shares]
    problems += [f"nhiều huyện cùng mã {c}" for c in sorted({c for c in codes if codes.count(c) > 1})]
    if shares and not any(s.weight for s in shares):
        problems.append("mọi tỷ lệ đều bằng 0")
    if problems or not shares:
        raise WorkbookToolsError(f"{path.name}: " + ("; ".join(problems) or "không có dòng huyện nào") + ". Hãy sửa tệp rồi chạy lại.")
    return shares


def _text(row: list, col: int | None) -> str:
    """A cell of a shares row as trimmed text ('' when the column is absent or the row short)."""
    return str(row[col]).strip() if col is not None and col < len(row) else ""


def _share(raw: object) -> Parsed:
    """A share as typed; '20%' (a cell formatted as percent, saved as CSV) is 0.2, as Excel holds it."""
    text = raw.strip() if isinstance(raw, str) else ""
    if not text.endswith("%"):
        return parse_number(raw, whole=False)
    parsed = parse_number(text[:-1], whole=False)
    return Parsed(parsed.value / 100, parsed.code) if parsed.value is not None else parsed


def split_plan(data: PlanTargets, province: str, shares: list[Share], plan_id: str, key: str) -> PlanTargets:
    """The province's targets split over its districts, months first (a district's total is the sum of its months)."""
    if not data.has(province):
        raise WorkbookToolsError(f"Kế hoạch {data.plan.id} không có chỉ tiêu của đơn vị {province}.")
    weights = [s.weight for s in shares]
    targets: list[Target] = []
    for code in data.plan.indicators:
        periods = list(data.periods(code))
        months = [p for p in periods if p != TOTAL]
        for period in periods:
            value = data.value(province, code, period)
            if value is None:
                continue
            targets.append(Target(NATIONAL_CODE, code, period, value, structure(data.plan.structure).unit(province).name, data.plan.id))
            if period == TOTAL and months:
                continue
            for share, part in zip(shares, allocate(value, weights)):
                targets.append(Target(share.code, code, period, part, share.name, f"split of {data.plan.id} {province}"))
        if months:
            for share in shares:
                total = sum(t.value for t in targets if t.unit == share.code and t.indicator == code and t.period in months)
                targets.append(Target(share.code, code, TOTAL, total, share.name, f"split of {data.plan.id} {province}"))
    province_name = structure(data.plan.structure).unit(province).name
    plan = replace(data.plan, id=plan_id, structure=key, title=f"{data.plan.title} – {province_name} giao các huyện",
                   notes=f"Split of {data.plan.id} for {province} {province_name} by shares; each column adds up to the province's figure.")
    return PlanTargets(plan, tuple(targets))


STRUCTURE_BASIS = "workbook-tools targets split"


def is_split_structure(path: Path) -> bool:
    """A district structure this tool stored (its JSON names `targets split` as its basis)."""
    try:
        return json.loads(path.with_suffix(".json").read_text(encoding="utf-8")).get("basis") == STRUCTURE_BASIS
    except (OSError, ValueError, AttributeError):
        return False


def store_structure(folder: Path, key: str, label: str, shares: list[Share], region: str, *, force: bool = False,
                    for_plan: str = "") -> Path:
    """Write units/KEY.csv and KEY.json so every command knows the districts (replacing only our own, and never
    silently changing the districts under a plan split earlier)."""
    target = folder / "units"
    make_folder(target)
    path = target / f"{key}.csv"
    rows = [["code", "name", "kind", "slug", "region"]] + [[s.code, s.name, "huyện", _slug(s.name), region] for s in shares]
    text = "".join(",".join(_csv_cell(c) for c in row) + "\n" for row in rows)
    meta = dumps_json({"label": label, "basis": STRUCTURE_BASIS}, indent=2) + "\n"
    with locked(path):
        check_target(path, ours=is_split_structure, force=force)
        others = plans_on_structure(folder, key, but=for_plan)
        if not force and others and path.is_file() and path.read_text(encoding="utf-8") != text:
            raise OutputError(
                f"Cơ cấu {key} ({path}) đã có danh sách huyện khác, đang dùng cho kế hoạch {', '.join(others)}; "
                "ghi danh sách mới sẽ đổi đơn vị của các kế hoạch đó. Hãy dùng cùng danh sách huyện như lần chia trước, "
                "hoặc thêm --force nếu chắc chắn muốn thay (các kế hoạch trên sẽ theo danh sách mới)."
            )
        write_atomic(path, lambda temporary: temporary.write_text(text, encoding="utf-8", newline=""))
        write_atomic(path.with_suffix(".json"), lambda temporary: temporary.write_text(meta, encoding="utf-8"))
    return path


def plans_on_structure(folder: Path, key: str, *, but: str = "") -> list[str]:
    """The plans stored in a user data folder that are laid out on a structure (other than `but`)."""
    found = []
    for meta in sorted((folder / "plans").glob("*.json")):
        try:
            payload = json.loads(meta.read_text(encoding="utf-8-sig"))
        except (OSError, ValueError):
            continue
        if isinstance(payload, dict) and payload.get("structure") == key and meta.stem != but:
            found.append(meta.stem)
    return found


def _csv_cell(value: str) -> str:
    """One CSV cell, quoted only when it must be (as csv.writer does)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow([value])
    return buffer.getvalue()

