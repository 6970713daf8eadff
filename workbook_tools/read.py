"""Read a returned workbook back by its keys, never writing to it and never running anything in it.

The package is opened once; only the sheets that carry a key mark are split into cells
(`cells.py`: sparse, by reference, whatever size the sheet declares) and only the keyed cells
asked for become values, with the formula or Excel error behind each one.
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from . import intake
from .cells import Package, PartTooLarge, SheetCells
from .forms import Form, FormSet
from .indicators import indicator
from .keys import KeyIndex, index_keys
from .plans import TOTAL, PlanTargets
from .problems import Problem, is_file_level, problem
from .spec import KEY_MARK, cell_ref, column_key
from .values import EMPTY, TEXT_NUMBER, Parsed, parse_date, parse_number, vn_number

INFO_COLUMN = "uom"
READ_FORMS = ("_meta", "chi_tieu", "mau01", "mau02")


class Facts:
    """Formula and error cells of a sheet, looked up by position as the reader asks."""

    def __init__(self, cells: SheetCells | None = None) -> None:
        self.cells = cells

    def get(self, where: tuple[int, int] | None, default: Any = None) -> tuple[str, str] | None:
        """('formula', '=…') or ('error', '#N/A') at a position, else `default`."""
        if where is None or self.cells is None:
            return default
        found = self.cells.fact(*where)
        return default if found is None else found

    def __contains__(self, where: object) -> bool:
        return isinstance(where, tuple) and self.get(where) is not None

    def __getitem__(self, where: tuple[int, int]) -> tuple[str, str]:
        found = self.get(where)
        if found is None:
            raise KeyError(where)
        return found

    def items(self) -> list[tuple[tuple[int, int], tuple[str, str]]]:
        """Every formula and error cell of the sheet."""
        return list(self.cells.facts()) if self.cells is not None else []


@dataclass
class Sheet:
    """One keyed sheet as read: its actual name, keys and cells (values, formulas, errors)."""

    name: str
    cells: SheetCells
    index: KeyIndex
    facts: Facts = field(init=False)

    def __post_init__(self) -> None:
        self.facts = Facts(self.cells)

    def raw(self, row_key: str, col_key: str) -> tuple[Any, tuple[int, int] | None]:
        """Value and position of a keyed cell (None position when a key is missing)."""
        where = self.index.cell(row_key, col_key)
        if where is None:
            return None, None
        return self.cells.value(*where), where

    def at(self, r: int, c: int) -> Any:
        """The value at a 0-based position ('' when empty)."""
        return self.cells.value(r, c)


@dataclass
class Return:
    """What one returned file says, and everything found wrong with it."""

    path: Path
    sha256: str = ""
    modified: datetime | None = None
    unit: str = ""
    plan: str = ""
    meta: dict[str, str] = field(default_factory=dict)
    round_date: date | None = None
    reporter: str = ""
    phone: str = ""
    actuals: dict[tuple[str, str], float] = field(default_factory=dict)
    tasks: dict[tuple[str, str], float | str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def file(self) -> str:
        """The file's name as received."""
        return self.path.name

    @property
    def rejected(self) -> bool:
        """A file-level error means nothing of this file is used."""
        return any(p.is_error and is_file_level(p.code) for p in self.problems)

    def add(self, code: str, **where: Any) -> None:
        """Record a problem of this file."""
        self.problems.append(problem(code, self.file, self.unit, **where))


def custom_properties(archive: zipfile.ZipFile) -> dict[str, str]:
    """The document's custom properties (identity fallback when `_meta` is gone)."""
    try:
        root = ElementTree.fromstring(archive.read("docProps/custom.xml"))
    except KeyError:
        return {}
    except ElementTree.ParseError:
        return {}
    found = {}
    for prop in root:
        name = prop.get("name", "")
        if name.startswith("wt_") and len(prop):
            found[name[3:]] = prop[0].text or ""
    return found


def _meta_from_sheet(sheet: Sheet) -> dict[str, str]:
    """Key/value pairs of the `_meta` sheet (a key's last row wins, as it always has)."""
    meta = {}
    key_col = sheet.index.key_col
    for r, key in sheet.cells.column(key_col):
        if r > sheet.index.key_row and isinstance(key, str) and key:
            value = sheet.at(r, key_col + 1)
            meta[key] = "" if value is None else str(value)
    return meta


def open_sheets(package: Package) -> tuple[dict[str, Sheet], list[tuple[str, Sheet, Sheet]]]:
    """Keyed sheets by form key, found by their key mark, not their names; the first one wins.

    Every sheet's part is inflated, but only the sheets of the forms we read are split into
    cells. A second sheet carrying the same form key is returned as (form, first, second).
    """
    keyed: dict[str, Sheet] = {}
    twice: list[tuple[str, Sheet, Sheet]] = []
    for name, part in package.sheet_parts().items():
        if not package.has(part):
            continue
        xml = package.read(part)
        if KEY_MARK.encode() not in xml and not package.strings_contain(KEY_MARK.encode()):
            continue
        cells = SheetCells(package, xml)
        found = cells.find_mark(KEY_MARK)
        if found is None and (general := cells.general()) is not None:
            cells, found = general, general.find_mark(KEY_MARK)
        if found is None or found[2] not in READ_FORMS:
            continue
        key_row, key_col, form = found
        index = index_keys(form, key_row, key_col, cells.row(key_row), cells.column(key_col))
        sheet = Sheet(name, cells, index)
        if form in keyed:
            twice.append((form, keyed[form], sheet))
        else:
            keyed[form] = sheet
    return keyed, twice


def _fingerprint(ret: Return, content: bytes | None = None) -> None:
    """SHA-256 and modification time, for the reporting sheet and for telling rounds apart."""
    ret.sha256 = hashlib.sha256(ret.path.read_bytes() if content is None else content).hexdigest()
    ret.modified = datetime.fromtimestamp(ret.path.stat().st_mtime).replace(microsecond=0)


def read_return(path: Path, data: PlanTargets, forms: FormSet) -> Return:
    """Identify, read and check one returned file; every problem is recorded, none is raised."""
    ret = Return(path)
    try:
        verdict, archive = intake.open_workbook(path)
    except OSError:
        ret.add(intake.CORRUPT)
        return ret
    if archive is None:
        ret.add(verdict.kind)
        return ret
    with archive:
        _fingerprint(ret, verdict.content)
        if verdict.has_macros:
            ret.add("macros")
        try:
            package = Package(archive, verdict.content)
            keyed, twice = open_sheets(package)
            meta = _meta_from_sheet(keyed["_meta"]) if "_meta" in keyed else custom_properties(archive)
        except PartTooLarge:
            ret.add("too_large")
            return ret
        except Exception as exc:  # noqa: BLE001 - any failure to parse is reported as a corrupt file
            ret.add("encrypted" if "password" in str(exc).lower() else "corrupt")
            return ret
        return _read_keyed(ret, keyed, twice, meta, data, forms)


_FAILURES = {"crashed": "read_crashed", "timeout": "read_timeout", "error": "read_failed"}


def read_failed(job: tuple[Any, ...], reason: str, detail: str) -> Return:
    """The result of a file whose reading crashed, ran out of time or raised: an error naming the file."""
    ret = Return(Path(job[0]))
    ret.add(_FAILURES.get(reason, "read_failed"), found=detail, expected=ret.file)
    return ret


def _read_keyed(ret: Return, keyed: dict[str, Sheet], twice: list[tuple[str, Sheet, Sheet]], meta: dict[str, str],
                data: PlanTargets, forms: FormSet) -> Return:
    """Identity first, then the forms' sheets, then their keyed cells."""
    if not _identify(ret, meta, data, forms):
        return ret
    for form in forms.forms:
        if form.kind == "table" and form.key in ("mau01", "mau02", "chi_tieu") and not _sheet_present(ret, keyed, form):
            return ret
    if _keys_in_doubt(ret, keyed, twice, data, forms):
        return ret
    reader = _Reader(ret, data, forms)
    reader.read_mau01(keyed["mau01"])
    reader.read_mau02(keyed["mau02"])
    reader.check_targets(keyed["chi_tieu"], keyed["mau01"])
    return ret


TABLE_FORMS = ("chi_tieu", "mau01", "mau02")


def _keys_in_doubt(ret: Return, keyed: dict[str, Sheet], twice: list[tuple[str, Sheet, Sheet]], data: PlanTargets,
                   forms: FormSet) -> bool:
    """A form on two sheets, a key in two places, or rows moved away from their keys: the figures
    cannot be told apart, so the file is refused with every place named (never first-wins)."""
    before = len(ret.problems)
    for form, first, second in twice:
        if form in TABLE_FORMS:
            ret.add("sheet_repeated", sheet=first.name, found=second.name, expected=first.name)
    for form in TABLE_FORMS:
        sheet = keyed[form]
        index = sheet.index
        for key, rows in index.repeated_rows.items():
            places = [cell_ref(r, index.key_col) for r in (index.rows[key], *rows)]
            ret.add("key_repeated", sheet=sheet.name, cell=places[0], indicator=key, found=key, expected=_places(sheet, places))
        for key, cols in index.repeated_cols.items():
            places = [cell_ref(index.key_row, c) for c in (index.cols[key], *cols)]
            ret.add("key_repeated", sheet=sheet.name, cell=places[0], found=key, expected=_places(sheet, places))
        _moved_rows(ret, sheet, forms.form(form), data)
    return len(ret.problems) > before


def _places(sheet: Sheet, cells: list[str]) -> str:
    """«Mẫu 01», ô A13 và ô A14."""
    return f"«{sheet.name}», ô " + " và ô ".join(cells)


_OWNERS: dict[tuple[Any, ...], tuple[dict[str, str], dict[str, str]]] = {}


def expected_labels(form: Form, data: PlanTargets) -> dict[str, str]:
    """The label each row key carries in a generated workbook (indicator rows, listed rows, inputs above)."""
    labels = {info.key: info.label for info in form.info}
    if form.rows == "plan":
        labels.update({code: indicator(code).label for code in data.plan.indicators})
    else:
        labels.update({row.key: row.label for row in form.listed_rows if row.key})
    return labels


def _label_owners(form: Form, data: PlanTargets) -> tuple[dict[str, str], dict[str, str]]:
    """Expected labels, and the key that owns each distinct label (once per form and plan, not per file)."""
    cache_key = (form.key, form.rows, form.info, form.listed_rows, tuple(data.plan.indicators))
    if cache_key not in _OWNERS:
        labels = expected_labels(form, data)
        plain = [_plain(label) for label in labels.values()]
        owner = {_plain(label): key for key, label in labels.items() if _plain(label) and plain.count(_plain(label)) == 1}
        _OWNERS[cache_key] = labels, owner
    return _OWNERS[cache_key]


def _plain(text: Any) -> str:
    """A label compared without case or spacing differences."""
    return " ".join(str(text).split()).casefold() if isinstance(text, str) else ""


def _moved_rows(ret: Return, sheet: Sheet, form: Form, data: PlanTargets) -> None:
    """A row whose label is another key's: rows were sorted or moved without their key (column A)."""
    labels, owner = _label_owners(form, data)
    for key in sheet.index.rows:
        found = _plain(sheet.raw(key, "label")[0])
        if key in labels and found in owner and owner[found] != key:
            where = sheet.index.cell(key, "label")
            ret.add("row_moved", sheet=sheet.name, cell=cell_ref(*where) if where else "", indicator=key,
                    found=key, expected=labels[owner[found]])


def _identify(ret: Return, meta: dict[str, str], data: PlanTargets, forms: FormSet) -> bool:
    """Trust the identity written in the file, never its name; refuse another plan's file."""
    if not meta.get("plan_id") or not meta.get("unit_code"):
        ret.add("no_identity")
        return False
    ret.meta, ret.plan, ret.unit = meta, meta["plan_id"], meta["unit_code"]
    if ret.plan != data.plan.id:
        ret.add("other_plan", found=ret.plan, expected=data.plan.id)
        return False
    if not data.has(ret.unit):
        ret.add("unknown_unit", found=ret.unit, expected=data.plan.id)
        return False
    if meta.get("form_version") and meta["form_version"] != forms.version:
        ret.add("form_version", found=meta["form_version"], expected=forms.version)
    return True


def _sheet_present(ret: Return, keyed: dict[str, Sheet], form: Form) -> bool:
    """A form's sheet is found by its key mark; a rename is a warning, a deletion an error."""
    expected_name = ret.meta.get(f"sheet:{form.key}", form.sheet)
    if form.key not in keyed:
        ret.add("sheet_missing", sheet=expected_name, expected=expected_name)
        return False
    if keyed[form.key].name != expected_name:
        ret.add("sheet_renamed", sheet=keyed[form.key].name, expected=expected_name, found=keyed[form.key].name)
    return True


def _input_columns(form: Form, plan_kind: str) -> tuple[list[str], list[str]]:
    """Input column keys of a form: repeated per month, and once for the plan."""
    monthly = [c.key for g in form.groups if g.repeat == "months" and g.applies(plan_kind) for c in g.columns if c.cell == "input"]
    once = [c.key for g in form.groups if g.repeat == "once" and g.applies(plan_kind) for c in g.columns if c.cell == "input"]
    return monthly, once


class _Reader:
    """Reads the keyed inputs of one identified return into numbers, noting every problem."""

    def __init__(self, ret: Return, data: PlanTargets, forms: FormSet) -> None:
        self.ret, self.data, self.forms = ret, data, forms
        self.months = data.plan.months

    def cell(self, sheet: Sheet, row_key: str, col_key: str, *, whole: bool, period: str, text: bool = False) -> Parsed | str | None:
        """One input by key: a clean number, None (empty or unusable) or text for a note row."""
        raw, where = sheet.raw(row_key, col_key)
        place = {"sheet": sheet.name, "indicator": row_key, "period": period}
        if where is None:
            missing = row_key if row_key not in sheet.index.rows else col_key
            self.ret.add("key_missing", **place, found=missing)
            return None
        place["cell"] = cell_ref(*where)
        fact = sheet.facts.get(where)
        if fact and fact[0] == "formula":
            self.ret.add("formula_in_input", **place, found=fact[1])
            return None
        if fact and fact[0] == "error":
            self.ret.add("excel_error", **place, found=fact[1])
            return None
        if text:
            return None if raw in (None, "") else str(raw)
        parsed = parse_number(raw, whole=whole)
        if parsed.code == TEXT_NUMBER:
            self.ret.add("text_number", **place, found=raw, expected=vn_number(parsed.value))
        elif parsed.code not in ("", EMPTY):
            shown = vn_number(raw) if isinstance(raw, (int, float)) and not isinstance(raw, bool) else raw
            self.ret.add(parsed.code, **place, found=shown)
        return parsed

    def read_info(self, sheet: Sheet) -> None:
        """Report date, reporter and phone above the Mẫu 01 table."""
        raw, where = sheet.raw("round_date", INFO_COLUMN)
        place = {"sheet": sheet.name, "cell": cell_ref(*where) if where else "", "indicator": "round_date"}
        day = parse_date(raw)
        first = date.fromisoformat(self.months[0] + "-01")
        last = date.fromisoformat(self.months[-1] + "-01") + timedelta(days=31 + 45)
        if raw in (None, ""):
            self.ret.add("round_date_missing", **place)
        elif day is None or not first <= day <= last:
            self.ret.add("round_date_invalid", **place, found=raw)
        else:
            self.ret.round_date = day
        for key in ("reporter", "phone"):
            value, _ = sheet.raw(key, INFO_COLUMN)
            setattr(self.ret, key, "" if value is None else str(value))

    def read_mau01(self, sheet: Sheet) -> None:
        """Achieved figures by indicator and month, and the once-per-plan inputs of stock plans."""
        self.read_info(sheet)
        form = self.forms.form("mau01")
        monthly, once = _input_columns(form, self.data.plan.kind)
        for code in self.data.plan.indicators:
            whole = not indicator(code).is_money
            for column in monthly:
                for month in self.months:
                    self._store(sheet, code, column_key(column, month), month, whole, self.ret.actuals, (code, month))
            for column in once:
                self._store(sheet, code, column_key(column, TOTAL), TOTAL, whole, self.ret.actuals, (code, column))
            self._missing_months(sheet, code)

    def _store(self, sheet: Sheet, row_key: str, col_key: str, period: str, whole: bool, into: dict, key: tuple[str, str]) -> None:
        """Keep a usable value; flag one far above its target."""
        parsed = self.cell(sheet, row_key, col_key, whole=whole, period=period)
        if not isinstance(parsed, Parsed) or not parsed.usable or parsed.value is None:
            return
        into[key] = parsed.value
        target = self.data.value(self.ret.unit, row_key, period) if key[1] == period else None
        if target and parsed.value > max(10 * target, 100):
            where = sheet.index.cell(row_key, col_key)
            self.ret.add("absurd_value", sheet=sheet.name, cell=cell_ref(*where) if where else "", indicator=row_key,
                         period=period, found=vn_number(parsed.value), expected=vn_number(target))

    def _missing_months(self, sheet: Sheet, code: str) -> None:
        """Months up to the report date left empty: one warning per indicator."""
        if self.ret.round_date is None:
            return
        due = [m for m in self.months if m <= self.ret.round_date.isoformat()[:7]]
        empty = [m for m in due if (code, m) not in self.ret.actuals]
        reported_problem = {(p.indicator, p.period) for p in self.ret.problems}
        empty = [m for m in empty if (code, m) not in reported_problem]
        if empty:
            self.ret.add("missing_value", sheet=sheet.name, indicator=code, period=empty[0], found=", ".join(empty))

    def read_mau02(self, sheet: Sheet) -> None:
        """Task results by row key and month; notes kept as text, computed rows skipped."""
        form = self.forms.form("mau02")
        monthly, _ = _input_columns(form, self.data.plan.kind)
        for row in form.listed_rows:
            if not row.key or row.formula or (row.same_as and row.target in self.data.plan.indicators):
                continue
            for column in monthly:
                for month in self.months:
                    col_key = column_key(column, month)
                    if row.type == "text":
                        note = self.cell(sheet, row.key, col_key, whole=False, period=month, text=True)
                        if isinstance(note, str):
                            self.ret.tasks[(row.key, month)] = note
                        continue
                    parsed = self.cell(sheet, row.key, col_key, whole=row.type == "count", period=month)
                    if isinstance(parsed, Parsed) and parsed.usable and parsed.value is not None:
                        self.ret.tasks[(row.key, month)] = parsed.value

    def check_targets(self, *sheets: Sheet) -> None:
        """Targets are the centre's: an edited one is a warning, and the centre's figure is used."""
        periods = (TOTAL, *self.months) if self.data.plan.published_months else (TOTAL,)
        for sheet in sheets:
            for code in self.data.plan.indicators:
                for period in periods:
                    expected = self.data.value(self.ret.unit, code, period)
                    raw, where = sheet.raw(code, column_key("target", period))
                    if where is None or expected is None:
                        continue
                    if parse_number(raw, whole=False).value != expected:
                        self.ret.add("target_edited", sheet=sheet.name, cell=cell_ref(*where), indicator=code,
                                     period=period, found=vn_number(raw) if isinstance(raw, (int, float)) else raw,
                                     expected=vn_number(expected))
