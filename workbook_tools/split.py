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

from .errors import WorkbookToolsError
from .importer import read_grid
from .names import fold
from .outputs import check_target, dumps_json, locked, make_folder, write_atomic
from .plans import TOTAL, PlanTargets, Target
from .spec import col_letter
from .targets import allocate
from .units import NATIONAL_CODE, structure
from .values import parse_number

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
        raise WorkbookToolsError(f"{path.name}: the first row must name a name column ({', '.join(NAME_HEADERS)}) and a share column ({', '.join(SHARE_HEADERS)})")
    shares, problems = [], []
    for number, row in enumerate(grid[1:], start=2):
        name = str(row[name_col]).strip() if name_col < len(row) else ""
        if not name:
            continue
        parsed = parse_number(row[share_col] if share_col < len(row) else "", whole=False)
        if not parsed.usable or parsed.value is None:
            problems.append(f"row {number}, column {col_letter(share_col)}: share {row[share_col]!r} is not a non-negative number")
            continue
        code = str(row[code_col]).strip() if code_col is not None and code_col < len(row) and str(row[code_col]).strip() else f"{len(shares) + 1:03d}"
        shares.append(Share(code.split(".")[0], name, float(parsed.value)))
    codes = [s.code for s in shares]
    if len(set(codes)) != len(codes):
        problems.append("two districts share a code")
    if shares and not any(s.weight for s in shares):
        problems.append("every share is zero")
    if problems or not shares:
        raise WorkbookToolsError(f"{path.name}: " + ("; ".join(problems) or "no district rows"))
    return shares


def split_plan(data: PlanTargets, province: str, shares: list[Share], plan_id: str, key: str) -> PlanTargets:
    """The province's targets split over its districts, months first (a district's total is the sum of its months)."""
    if not data.has(province):
        raise WorkbookToolsError(f"plan {data.plan.id} has no targets for unit {province}")
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


def store_structure(folder: Path, key: str, label: str, shares: list[Share], region: str, *, force: bool = False) -> Path:
    """Write units/KEY.csv and KEY.json so every command knows the districts (replacing only our own)."""
    target = folder / "units"
    make_folder(target)
    path = target / f"{key}.csv"
    rows = [["code", "name", "kind", "slug", "region"]] + [[s.code, s.name, "huyện", _slug(s.name), region] for s in shares]
    text = "".join(",".join(_csv_cell(c) for c in row) + "\n" for row in rows)
    meta = dumps_json({"label": label, "basis": STRUCTURE_BASIS}, indent=2) + "\n"
    with locked(path):
        check_target(path, ours=is_split_structure, force=force)
        write_atomic(path, lambda temporary: temporary.write_text(text, encoding="utf-8", newline=""))
        write_atomic(path.with_suffix(".json"), lambda temporary: temporary.write_text(meta, encoding="utf-8"))
    return path


def _csv_cell(value: str) -> str:
    """One CSV cell, quoted only when it must be (as csv.writer does)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow([value])
    return buffer.getvalue()

