"""Import a target plan from an official appendix as central staff receive it (.xlsx or .csv).

The table is found, not assumed: the name column is where unit names resolve, the header rows
are those above the first unit, merged header cells are spread over the columns they cover, and
each numeric column is mapped to an indicator and a period from its header words (or from an
explicit `--columns` mapping). Figures are stored exactly as published; every problem names its
row and column, and nothing is stored when there is one.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .datafiles import shipped_data_dir
from .errors import UnitNameError, WorkbookToolsError
from .indicators import indicators as catalogue
from .names import fold, resolver
from .outputs import dumps_json, locked, make_folder, write_atomic
from .plans import NATIONAL_KEYS, PROVINCES_TOTAL_CODE, TOTAL, Document, Plan, PlanTargets, Target, month_range, plan_files
from .seeds import write_tidy
from .spec import col_letter
from .units import NATIONAL_CODE, structure
from .values import parse_number

INDICATOR_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("bhxh_bb", ("bat buoc", "bhxh bb")),
    ("bhxh_tn", ("tu nguyen", "bhxh tn")),
    ("bhtn", ("that nghiep", "bhtn")),
    ("bhyt", ("y te", "bhyt")),
    ("thanh_tra", ("thanh tra", "don vi no")),
    ("ra_soat_thue", ("ra soat", "thue")),
    ("hoi_nghi", ("hoi nghi",)),
    ("thu", ("phai thu", "chi tieu thu", "so thu", "thu bhxh")),
)
TOTAL_WORDS = ("tong so", "tong cong", "ca nam", "ca ky", "tong")
NATIONAL_ROWS = {"toan quoc": NATIONAL_CODE, "ca nuoc": NATIONAL_CODE, "cong cac tinh": PROVINCES_TOTAL_CODE, "cong": PROVINCES_TOTAL_CODE, "tong cong": PROVINCES_TOTAL_CODE}


class ImportError_(WorkbookToolsError):
    """Every problem of an appendix at once; nothing was stored."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("the appendix was not imported:\n  " + "\n  ".join(problems))
        self.problems = problems


@dataclass
class ImportedTable:
    """What was read: figures by (unit, indicator, period), with the names as published."""

    values: dict[tuple[str, str, str], int] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    columns: dict[int, tuple[str, str]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def read_grid(path: Path) -> list[list[Any]]:
    """The first sheet of a workbook (merged cells spread over their range) or a CSV, as rows."""
    if path.suffix.lower() in (".csv", ".txt"):
        text = decode_text(path)
        try:
            dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel  # one column, or nothing the sniffer can tell: plain commas
        return [list(row) for row in csv.reader(io.StringIO(text), dialect)]
    try:
        return _workbook_grid(path)
    except OSError as exc:
        raise WorkbookToolsError(f"Không đọc được {path}: {exc.strerror or exc}; hãy kiểm tra đường dẫn và quyền đọc.") from exc
    except Exception as exc:  # noqa: BLE001 - calamine raises its own types for every kind of damage
        raise WorkbookToolsError(
            f"Không đọc được {path}: tệp hỏng hoặc không phải bảng tính Excel ({type(exc).__name__}); "
            "hãy mở tệp bằng Excel, lưu lại dạng .xlsx rồi thử lại."
        ) from exc


def decode_text(path: Path) -> str:
    """A CSV's text whatever Vietnamese Windows saved it as: UTF-8 (BOM or not), UTF-16, or Windows-1258."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise WorkbookToolsError(f"Không đọc được {path}: {exc.strerror or exc}; hãy kiểm tra đường dẫn và quyền đọc.") from exc
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings: tuple[str, ...] = ("utf-16",)
    elif raw.startswith(codecs.BOM_UTF8):
        encodings = ("utf-8-sig",)
    elif b"\x00" in raw[:4096]:
        head = raw[:4096]
        encodings = ("utf-16-le",) if head[1::2].count(0) > head[0::2].count(0) else ("utf-16-be",)
    else:
        encodings = ("utf-8", "cp1258")
    for encoding in encodings:
        try:
            text = unicodedata.normalize("NFC", raw.decode(encoding))
            break
        except UnicodeDecodeError:
            continue
    else:
        raise WorkbookToolsError(
            f"Không đọc được {path}: không nhận ra bảng mã của tệp; hãy lưu lại dạng CSV UTF-8 (Excel: «CSV UTF-8») rồi thử lại."
        )
    if not text.strip():
        raise WorkbookToolsError(f"Tệp {path} rỗng: không có dòng nào để đọc.")
    return text


def _workbook_grid(path: Path) -> list[list[Any]]:
    """The first sheet of a workbook, merged cells spread over their range."""
    from .intake import calamine_book

    book = calamine_book(path)
    try:
        sheet = book.get_sheet_by_index(0)
        grid = [list(row) for row in sheet.to_python(skip_empty_area=False)]
        spans = sheet.merged_cell_ranges or (_ods_merged_ranges(path) if path.suffix.lower() == ".ods" else ())
        for merged in spans:
            (r1, c1), (r2, c2) = merged
            value = grid[r1][c1] if r1 < len(grid) and c1 < len(grid[r1]) else ""
            for r in range(r1, min(r2 + 1, len(grid))):
                for c in range(c1, min(c2 + 1, len(grid[r]))):
                    if grid[r][c] in ("", None):
                        grid[r][c] = value
    finally:
        book.close()
    return grid


_ODS_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"


def _ods_merged_ranges(path: Path) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Merged ranges of an .ods file's first sheet, as calamine gives them for .xlsx (it gives none for .ods)."""
    import zipfile
    from xml.etree import ElementTree

    spans, row, next_row, col = [], -1, 0, 0
    with zipfile.ZipFile(path) as archive, archive.open("content.xml") as part:
        for event, element in ElementTree.iterparse(part, events=("start", "end")):
            tag = element.tag
            if event == "end":
                if tag == f"{_ODS_TABLE}table":
                    break  # the first sheet only
                if tag == f"{_ODS_TABLE}table-row":
                    element.clear()
                continue
            if tag == f"{_ODS_TABLE}table-row":
                row, col = next_row, 0
                next_row = row + int(element.get(f"{_ODS_TABLE}number-rows-repeated", "1"))
            elif tag in (f"{_ODS_TABLE}table-cell", f"{_ODS_TABLE}covered-table-cell"):
                wide = int(element.get(f"{_ODS_TABLE}number-columns-spanned", "1"))
                tall = int(element.get(f"{_ODS_TABLE}number-rows-spanned", "1"))
                if wide > 1 or tall > 1:
                    spans.append(((row, col), (row + tall - 1, col + wide - 1)))
                col += int(element.get(f"{_ODS_TABLE}number-columns-repeated", "1"))
    return spans


def _unit_of(text: Any, key: str) -> str | None:
    """A row's unit code (national rows by their label), None when the cell names no unit."""
    if not isinstance(text, str) or not text.strip():
        return None
    folded = fold(text)
    if folded in NATIONAL_ROWS:
        return NATIONAL_ROWS[folded]
    try:
        return resolver(key).resolve(text)
    except UnitNameError:
        return None


def find_name_column(grid: list[list[Any]], key: str) -> tuple[int, int]:
    """(name column, first data row): the column where most cells resolve to units."""
    best = (0, -1, -1)
    width = max((len(r) for r in grid), default=0)
    for c in range(width):
        rows = [r for r, row in enumerate(grid) if c < len(row) and _unit_of(row[c], key) not in (None, *NATIONAL_KEYS)]
        if len(rows) > best[0]:
            best = (len(rows), c, rows[0] if rows else -1)
    if best[0] == 0:
        raise ImportError_(["no column of unit names was found (names are resolved against structure " + key + ")"])
    _count, column, first = best
    for r in range(first - 1, -1, -1):
        if _unit_of(grid[r][column] if column < len(grid[r]) else None, key) in NATIONAL_KEYS:
            first = r
    return column, first


def header_text(grid: list[list[Any]], column: int, first_data_row: int) -> str:
    """Every header word above a column, merged cells spread, as one folded phrase."""
    words = []
    for row in grid[:first_data_row]:
        if column < len(row) and row[column] not in (None, "") and str(row[column]).strip():
            words.append(fold(str(row[column])))
    return " / ".join(words)


def period_of(header: str, year: int | None) -> str | None:
    """'tháng 9/2021' → '2021-09', 'tổng số' or 'năm 2026' → total; None when unclear."""
    month = re.search(r"thang\s*(\d{1,2})(?:\s*(?:nam)?\s*(\d{4}))?", header)
    if month:
        found_year = int(month.group(2)) if month.group(2) else year
        if found_year is None:
            return None
        return f"{found_year:04d}-{int(month.group(1)):02d}"
    if any(word in header for word in TOTAL_WORDS) or re.search(r"nam\s*\d{4}", header) or "so nguoi" in header:
        return TOTAL
    return None


def indicator_of(header: str, allowed: tuple[str, ...] | None = None) -> str | None:
    """The indicator a header names, by the words officials use."""
    for code, words in INDICATOR_WORDS:
        if any(word in header for word in words) and (allowed is None or code in allowed):
            return code
    return None


def parse_columns_option(text: str) -> dict[int, tuple[str, str]]:
    """'C=bhxh_bb:total,D=bhxh_bb:2026-01' → {2: ('bhxh_bb', 'total'), 3: (...)}."""
    mapping = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        letters, _, target = part.partition("=")
        indicator, _, period = target.partition(":")
        if not letters.isalpha() or not indicator or not period:
            raise WorkbookToolsError(f"--columns entry {part!r} should look like C=bhxh_bb:total")
        col = 0
        for ch in letters.upper():
            col = col * 26 + ord(ch) - 64
        mapping[col - 1] = (indicator, period)
    return mapping


def map_columns(grid: list[list[Any]], name_col: int, first: int, year: int | None, explicit: dict[int, tuple[str, str]]) -> tuple[dict[int, tuple[str, str]], list[str]]:
    """Indicator and period of every numeric column right of the names; problems for unclear ones."""
    if explicit:
        return explicit, []
    mapping: dict[int, tuple[str, str]] = {}
    problems = []
    width = max(len(r) for r in grid)
    for c in range(name_col + 1, width):
        numbers = [row[c] for row in grid[first:] if c < len(row) and parse_number(row[c], whole=False).usable]
        if not numbers:
            continue
        header = header_text(grid, c, first)
        indicator, period = indicator_of(header), period_of(header, year)
        if indicator is None or period is None:
            problems.append(f"column {col_letter(c)} («{header or 'no header'}»): cannot tell the "
                            f"{'indicator' if indicator is None else 'period'}; give --columns {col_letter(c)}=INDICATOR:PERIOD")
            continue
        if (indicator, period) in mapping.values():
            problems.append(f"column {col_letter(c)} («{header}»): {indicator} {period} appears twice")
            continue
        mapping[c] = (indicator, period)
    return mapping, problems


def read_appendix(path: Path, key: str, year: int | None, explicit: dict[int, tuple[str, str]]) -> ImportedTable:
    """Read and check an appendix; problems are collected, not raised."""
    grid = [[("" if v is None else v) for v in row] for row in read_grid(path)]
    name_col, first = find_name_column(grid, key)
    table = ImportedTable()
    table.columns, table.problems = map_columns(grid, name_col, first, year, explicit)
    seen: dict[str, int] = {}
    for r in range(first, len(grid)):
        row = grid[r]
        name = row[name_col] if name_col < len(row) else ""
        cells = {c: row[c] for c in table.columns if c < len(row)}
        filled = [v for v in cells.values() if str(v).strip()]
        if not str(name).strip() and not filled:
            continue
        code = _unit_of(name, key)
        if code is None:
            if filled and any(parse_number(v, whole=False).usable for v in filled):
                table.problems.append(f"row {r + 1}: unit name {name!r} is not a unit of structure {key}")
            continue
        if code in seen:
            if code in NATIONAL_KEYS:
                continue
            table.problems.append(f"row {r + 1}: {name!r} appears twice (also row {seen[code] + 1})")
            continue
        seen[code] = r
        table.names[code] = str(name).strip()
        for c, (indicator, period) in table.columns.items():
            parsed = parse_number(cells.get(c, ""), whole=False)
            if parsed.usable and parsed.value is not None and float(parsed.value).is_integer():
                table.values[(code, indicator, period)] = int(parsed.value)
            elif parsed.code == "empty" and code in NATIONAL_KEYS:
                continue
            else:
                table.problems.append(f"row {r + 1}, column {col_letter(c)}: {cells.get(c, '')!r} is not a whole number")
    missing = [u.code for u in structure(key).units if u.code not in seen]
    if missing:
        names = ", ".join(f"{c} {structure(key).unit(c).name}" for c in missing)
        table.problems.append(f"{len(missing)} unit(s) of structure {key} have no row: {names}")
    return table


def parse_document(text: str) -> dict[str, str]:
    """'Kế hoạch 123/KH-BHXH ngày 05/01/2026' → kind, number, date (what can be read)."""
    match = re.match(r"^\s*(.*?)\s+(\S+/\S+)(?:\s+ngày\s+(\d{1,2})/(\d{1,2})/(\d{4}))?", text or "")
    if not match:
        return {"kind": "Văn bản", "number": text or "(chưa ghi số)", "date": "1900-01-01", "issuer": "BHXH Việt Nam"}
    kind, number, day, month, year = match.groups()
    date = f"{year}-{int(month):02d}-{int(day):02d}" if year else "1900-01-01"
    return {"kind": kind or "Văn bản", "number": number, "date": date, "issuer": "BHXH Việt Nam"}


def build_plan(plan_id: str, table: ImportedTable, key: str, kind: str | None, document: str, year: int | None, source: str) -> PlanTargets:
    """The plan made of an imported table: metadata from the options and what the columns say."""
    periods = sorted({p for _i, p in table.columns.values() if p != TOTAL})
    found = {i for i, _p in table.columns.values()}
    indicators = tuple(code for code in catalogue() if code in found)
    if periods:
        start, end = periods[0], periods[-1]
    elif year:
        start, end = f"{year}-01", f"{year}-12"
    else:
        raise ImportError_(["no month in the headers: give --year for an annual plan"])
    doc = parse_document(document)
    plan = Plan(
        id=plan_id, title=f"Chỉ tiêu nhập từ {source}", document=Document(doc["kind"], doc["number"], doc["date"], doc["issuer"], source),
        kind=kind or ("flow" if periods else "stock"), structure=key, start=start, end=end, indicators=indicators,
        published_months=bool(periods) and set(periods) == set(month_range(start, end)),
    )
    targets = tuple(
        Target(unit, indicator, period, value, table.names.get(unit, ""), source)
        for (unit, indicator, period), value in sorted(table.values.items(), key=lambda kv: (kv[0][0] not in NATIONAL_KEYS, kv[0]))
    )
    return PlanTargets(plan, targets)


def plan_metadata(data: PlanTargets, document_text: str) -> dict[str, Any]:
    """The JSON stored beside the figures."""
    plan = data.plan
    return {
        "id": plan.id, "title": plan.title,
        "document": {"kind": plan.document.kind, "number": plan.document.number, "date": plan.document.date,
                     "issuer": plan.document.issuer, "source": plan.document.source, "as_given": document_text},
        "kind": plan.kind, "structure": plan.structure, "start": plan.start, "end": plan.end,
        "indicators": list(plan.indicators), "published_months": plan.published_months, "profiles": {},
        "notes": "Imported with `workbook-tools targets import`; figures as published in the appendix.",
    }


def check_plan_free(plan_id: str, folder: Path, *, force: bool = False) -> Path:
    """Where a plan's JSON goes; refuse a plan id already stored (unless forced) or shipped."""
    target = folder / "plans"
    meta_path = target / f"{plan_id}.json"
    if meta_path.exists() and not force:
        raise WorkbookToolsError(f"plan {plan_id} already exists in {target}; use --force to replace it")
    if plan_id in plan_files([shipped_data_dir()]):
        raise WorkbookToolsError(f"plan {plan_id} is a shipped plan; choose another id")
    return meta_path


def store_plan(data: PlanTargets, folder: Path, document_text: str, *, force: bool = False) -> Path:
    """Write PLAN.csv and PLAN.json into folder/plans; refuse to replace an existing plan unless forced."""
    target = folder / "plans"
    make_folder(target)
    meta_path = check_plan_free(data.plan.id, folder, force=force)
    rows = [
        {"plan": data.plan.id, "unit": t.unit, "indicator": t.indicator, "period": t.period, "value": str(t.value),
         "published_name": t.published_name, "source": t.source}
        for t in data.targets
    ]
    text = dumps_json(plan_metadata(data, document_text), indent=2) + "\n"
    with locked(meta_path):
        write_atomic(target / f"{data.plan.id}.csv", lambda temporary: write_tidy(temporary, rows))
        write_atomic(meta_path, lambda temporary: temporary.write_text(text, encoding="utf-8"))
    return meta_path


def import_appendix(path: Path, plan_id: str, key: str, *, kind: str | None = None, document: str = "", year: int | None = None,
                    columns: str = "") -> PlanTargets:
    """Read, check and build a plan from an appendix; raises with every problem, stores nothing."""
    if not path.exists():
        raise WorkbookToolsError(f"Không thấy tệp {path}: hãy kiểm tra đường dẫn.")
    if kind not in (None, "stock", "flow"):
        raise WorkbookToolsError("--kind must be stock or flow")
    table = read_appendix(path, key, year, parse_columns_option(columns))
    if table.problems:
        raise ImportError_(table.problems)
    return build_plan(plan_id, table, key, kind, document, year, path.name)
