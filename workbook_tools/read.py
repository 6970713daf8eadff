"""Read a returned workbook back by its keys, never writing to it and never running anything in it.

The package is opened once; only the sheets that carry a key mark are split into cells
(`cells.py`: sparse, by reference, whatever size the sheet declares) and only the keyed cells
asked for become values, with the formula or Excel error behind each one.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
import zipfile
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from . import intake
from .cells import MalformedText, Package, PartTooLarge, SheetCells
from .computed import BLANK, RowShape, Slot, Unknown, describe, evaluate, row_slots, same_figure, shown
from .errors import DataFileError
from .figures import Figures, compact
from .forms import Form, FormSet
from .indicators import indicator
from .keys import KeyIndex, index_keys
from .plans import TOTAL, PlanTargets
from .problems import Problem, is_file_level, problem
from .spec import KEY_MARK, cell_ref, column_key
from .names import NameResolver, resolver
from .units import NATIONAL_CODE, structure
from .values import CEILING, EMPTY, TEXT_NUMBER, Parsed, parse_date, parse_number, vn_exact, vn_number

INFO_COLUMN = "uom"
_ASK = ("formula", "")  # not a fact: makes `_Reader.numbers` read the cell the general way
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


_PROBLEM_FIELDS = tuple(f.name for f in fields(Problem))


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
    actuals: dict[tuple[str, str], float] | Figures = field(default_factory=dict)  # a dict while read, Figures once kept (`compact`)
    tasks: dict[tuple[str, str], float | str] | Figures = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def file(self) -> str:
        """The file's name as received (as text that can be printed and written: see `intake.shown_name`)."""
        return intake.shown_name(self.path)

    @property
    def rejected(self) -> bool:
        """A file-level error means nothing of this file is used."""
        return any(p.is_error and is_file_level(p.code) for p in self.problems)

    def add(self, code: str, **where: Any) -> None:
        """Record a problem of this file."""
        self.problems.append(problem(code, self.file, self.unit, **where))

    def compact(self, known: dict[Any, Any]) -> None:
        """Hold what the main process keeps of a checked return compactly (a return back from a worker has its own copy
        of every key and text): the figures read-only in layouts shared by every return of that shape (`figures.Figures`:
        every value kept as it was), keys and the identity's texts shared through `known` by every return of a folder."""
        self.actuals = compact(self.actuals, known)
        self.tasks = compact(self.tasks, known)
        self.meta = {known.setdefault(k, k): known.setdefault(v, v) for k, v in self.meta.items()}
        self.problems = [Problem(*(known.setdefault(v, v) if type(v) is str else v for v in map(p.__getattribute__, _PROBLEM_FIELDS)))
                         if type(p) is Problem else p for p in self.problems]  # file name, sheets, codes, like messages: one text each


def custom_properties(archive: zipfile.ZipFile | Package) -> dict[str, str]:
    """The document's custom properties (identity fallback when `_meta` is gone); from an opened `Package`, the
    part is inflated its short way, within its size limit."""
    try:
        root = ElementTree.fromstring(archive.read("docProps/custom.xml"))
    except (KeyError, ElementTree.ParseError):
        return {}  # no properties, or malformed ones: identity then rests on `_meta` alone
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


def sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → part name in a package: for code that must look at one sheet's XML."""
    return Package(archive).sheet_parts()


def open_sheets(package: Package, forms: tuple[str, ...] = READ_FORMS) -> tuple[dict[str, Sheet], list[tuple[str, Sheet, Sheet]]]:
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
        if not package.strings_contain(KEY_MARK.encode()) and (KEY_MARK.encode() not in xml or _other_forms_only(xml, forms)):
            continue  # strings first: looked at once
        cells = SheetCells(package, xml)
        found = cells.find_mark(KEY_MARK)
        if found is None and (general := cells.general()) is not None:
            cells, found = general, general.find_mark(KEY_MARK)
        if found is None or found[2] not in forms:
            continue
        key_row, key_col, form = found
        index = _key_index(form, key_row, key_col, cells)
        sheet = Sheet(name, cells, index)
        if form in keyed:
            twice.append((form, keyed[form], sheet))
        else:
            keyed[form] = sheet
    return keyed, twice


_KEY_ROWS: dict[tuple[bytes, int, int], KeyIndex] = {}


def _key_index(form: str, key_row: int, key_col: int, cells: SheetCells) -> KeyIndex:
    """The keys of a sheet (`index_keys`); the column keys of a key row written as text only, the same in every
    package, are taken from the first return that had that very row."""
    piece = cells.rows.get(key_row, b"")
    if b"<v" in piece or b"<f" in piece or len(piece) > 16_384:  # a shared string, a formula: read in full
        return index_keys(form, key_row, key_col, cells.row(key_row), cells.column(key_col))
    line = _KEY_ROWS.get((piece, key_row, key_col))
    if line is None:
        if len(_KEY_ROWS) > 64:
            _KEY_ROWS.clear()
        line = _KEY_ROWS[(piece, key_row, key_col)] = index_keys(form, key_row, key_col, cells.row(key_row), ())
    index = index_keys(form, key_row, key_col, (), cells.column(key_col))
    index.cols, index.repeated_cols = dict(line.cols), {key: list(places) for key, places in line.repeated_cols.items()}
    return index


_MARKED = re.compile(re.escape(KEY_MARK.encode()) + rb" ([A-Za-z0-9_]+)(?=</t></is>|</v>)")


def _other_forms_only(xml: bytes, forms: tuple[str, ...]) -> bool:
    """True when every key mark written in a sheet is a whole cell text naming a form not read (the guide, the
    round report), so the sheet need not be split into cells; any other way of writing it is read in full."""
    mark, at = KEY_MARK.encode(), xml.find(KEY_MARK.encode())
    while at >= 0:
        found = _MARKED.match(xml, at)
        if found is None or found.group(1).decode() in forms:
            return False
        at = xml.find(mark, found.end())
    return True


def _fingerprint(ret: Return, content: bytes | None = None, modified: float | None = None) -> None:
    """SHA-256 and modification time (as the file was read, when known), for the reporting sheet and for telling
    rounds apart."""
    ret.sha256 = hashlib.sha256(ret.path.read_bytes() if content is None else content).hexdigest()
    ret.modified = datetime.fromtimestamp(ret.path.stat().st_mtime if modified is None else modified).replace(microsecond=0)


@dataclass
class Opened:
    """A returned package as opened: keyed sheets by form, forms found on two sheets, `_meta` and the document properties."""

    keyed: dict[str, Sheet]
    twice: list[tuple[str, Sheet, Sheet]]
    meta: dict[str, str]
    props: dict[str, str]
    names: tuple[str, ...] = ()


@contextmanager
def opened_return(ret: Return, forms: tuple[str, ...] = READ_FORMS) -> Iterator[Opened | None]:
    """Open a returned file once, for as long as its cells are read (they are decoded on demand);
    None when it cannot be used, the problem recorded on `ret`."""
    try:
        verdict, archive = intake.open_workbook(ret.path)
    except OSError:
        ret.add(intake.CORRUPT)
        yield None
        return
    if archive is None:
        if verdict.kind == intake.OPENDOCUMENT:
            claimed = intake.opendocument_properties(ret.path)
            ret.unit, ret.plan = claimed.get("unit_code", ""), claimed.get("plan_id", "")
        ret.add(verdict.kind, expected=ret.file)
        yield None
        return
    with archive:
        _fingerprint(ret, verdict.content, verdict.modified)
        if verdict.has_macros:
            ret.add("macros")
        try:
            package = Package(archive, verdict.content)
            keyed, twice = open_sheets(package, forms)
            props = custom_properties(package)
            meta = _meta_from_sheet(keyed["_meta"]) if "_meta" in keyed else props
        except PartTooLarge:
            ret.add("too_large")
            yield None
            return
        except Exception as exc:  # noqa: BLE001 - any failure to parse is reported as a corrupt file
            ret.add("encrypted" if "password" in str(exc).lower() else "corrupt")
            yield None
            return
        yield Opened(keyed, twice, meta, props, package.sheet_names)


def read_return(path: Path, data: PlanTargets, forms: FormSet) -> Return:
    """Identify, read and check one returned file; every problem is recorded, none is raised."""
    ret = Return(path)
    with opened_return(ret) as opened:
        if opened is not None:
            _read_keyed(ret, opened, data, forms)
    return ret


_FAILURES = {"crashed": "read_crashed", "timeout": "read_timeout", "error": "read_failed"}


def read_failed(job: tuple[Any, ...], reason: str, detail: str, kind: type[Return] | None = None) -> Return:
    """The result of a file whose reading crashed, ran out of time or raised: an error naming the file."""
    ret = (kind or Return)(Path(job[0]))
    ret.add(_FAILURES.get(reason, "read_failed"), found=detail, expected=ret.file)
    return ret


def _read_keyed(ret: Return, opened: Opened, data: PlanTargets, forms: FormSet) -> Return:
    """Identity first, then the forms' sheets, then their keyed cells."""
    keyed = opened.keyed
    names = _plan_names(data)
    if not _identify(ret, opened.meta, data, forms, opened.props, names):
        return ret
    for form in forms.forms:
        if form.kind == "table" and form.key in ("mau01", "mau02", "chi_tieu") and not _sheet_present(ret, keyed, form, opened.names):
            return ret
    if _keys_in_doubt(ret, keyed, opened.twice, data, forms):
        return ret
    reader = _Reader(ret, data, forms, names)
    reader.read_mau01(keyed["mau01"])
    reader.read_mau02(keyed["mau02"])
    reader.formula_cells(keyed["mau01"], forms.form("mau01"))
    reader.formula_cells(keyed["mau02"], forms.form("mau02"))
    reader.check_targets(keyed["chi_tieu"], keyed["mau01"])
    _misplaced_cells(ret, keyed)
    if not reader.typed:
        _blank(ret)
    return ret


def _misplaced_cells(ret: Return, keyed: dict[str, Sheet]) -> None:
    """Cells looked for and found written inside another row (`SheetCells.misplaced`): the sheet is corrupt, as Excel
    finds it, and which row such a figure belongs to cannot be told, so the file is not used (never a figure dropped
    unseen)."""
    for sheet in keyed.values():
        for ref, row in sheet.cells.misplaced.items():
            ret.add("cell_misplaced", sheet=sheet.name, cell=ref, found=ref, expected=row)


def _kept_for(cache: dict[Any, tuple[Any, Any]], key: Any, owner: object, make: Callable[[], Any], limit: int,
              also: object = None) -> Any:
    """What `make` gave for `owner` (a loaded plan, a form, a list of inputs; and `also`, a second one), worked out once
    per process rather than per return; the entry holds its owners, so an id reused by another object is never taken
    for one of them."""
    found = cache.get(key)
    if found is None or found[0][0] is not owner or found[0][1] is not also:
        if len(cache) > limit:
            cache.clear()
        found = cache[key] = (owner, also), make()
    return found[1]


_NAMES: dict[int, tuple[tuple[PlanTargets, None], NameResolver]] = {}


def _plan_names(data: PlanTargets) -> NameResolver:
    """The name resolver of a plan's structure, looked up once per loaded plan rather than per return (finding a
    user structure asks the file system each time); a plan loaded again finds its structure again."""
    return _kept_for(_NAMES, id(data), data, lambda: resolver(data.plan.structure), 8)  # type: ignore[no-any-return]


_BLANK_NOISE = frozenset({"round_date_missing", "missing_value"})


def _blank(ret: Return) -> None:
    """Nothing typed in any input: the blank form sent back by mistake is no return (one error, not a list of gaps)."""
    ret.problems = [p for p in ret.problems if p.code not in _BLANK_NOISE]
    ret.add("blank_return", sheet=ret.meta.get("sheet:mau01", "Mẫu 01"))


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


_OWNERS: dict[tuple[Any, ...], tuple[Form, dict[str, str], dict[str, str]]] = {}


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
    cache_key = (id(form), tuple(data.plan.indicators))  # the form is kept with its entry, so its id stays its own
    if cache_key not in _OWNERS:
        labels = expected_labels(form, data)
        plain = [_plain(label) for label in labels.values()]
        owner = {_plain(label): key for key, label in labels.items() if _plain(label) and plain.count(_plain(label)) == 1}
        _OWNERS[cache_key] = form, labels, owner
    return _OWNERS[cache_key][1:]


_PLAIN: dict[str, str] = {}


def _plain(text: Any) -> str:
    """A label compared without case or spacing differences (kept: every return carries the same labels)."""
    if not isinstance(text, str):
        return ""
    found = _PLAIN.get(text)
    if found is None:
        if len(_PLAIN) > 10_000:
            _PLAIN.clear()
        found = _PLAIN[text] = " ".join(text.split()).casefold()
    return found


def _moved_rows(ret: Return, sheet: Sheet, form: Form, data: PlanTargets) -> None:
    """A row whose label is another key's: rows were sorted or moved without their key (column A)."""
    labels, owner = _label_owners(form, data)
    c = sheet.index.cols.get("label")
    if c is None:
        return  # no label column: no label can be another row's
    for key, r in sheet.index.rows.items():
        if key not in labels:
            continue
        found = _plain(sheet.cells.value(r, c))
        if found in owner and owner[found] != key:
            ret.add("row_moved", sheet=sheet.name, cell=cell_ref(r, c), indicator=key, found=key, expected=labels[owner[found]])


def _identify(ret: Return, meta: dict[str, str], data: PlanTargets, forms: FormSet, props: dict[str, str] | None = None,
              names: NameResolver | None = None) -> bool:
    """Trust the identity written in the file, if everything else in it agrees; refuse another plan's file."""
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
    if not _identity_agrees(ret, meta, props or meta, data, names or resolver(data.plan.structure)):
        return False
    if meta.get("form_version") and meta["form_version"] != forms.version:
        ret.add("form_version", found=meta["form_version"], expected=forms.version)
    return True


def unit_label(data: PlanTargets, code: str) -> str:
    """'02 Hà Giang': a unit as people name it in a message (the code alone when unknown)."""
    try:
        return f"{code} {structure(data.plan.structure).unit(code).name}"
    except DataFileError:
        return code


def conflict(ret: Return, data: PlanTargets, source: str, other: str, **where: Any) -> None:
    """Record that a part of the file names another unit than its `_meta` does."""
    ret.add("identity_conflict", **where, found=f"{source} {unit_label(data, other)}",
            expected=f"sheet _meta ghi {unit_label(data, ret.unit)}")


def _identity_agrees(ret: Return, meta: dict[str, str], props: dict[str, str], data: PlanTargets, names: NameResolver) -> bool:
    """`_meta`, the document properties, the unit name in `_meta` and the file name must name one unit."""
    claims: list[tuple[str, str]] = []
    if props.get("unit_code") and props["unit_code"] != ret.unit:
        claims.append(("thuộc tính tệp (wt_unit_code) ghi", props["unit_code"]))
    if props.get("plan_id") and props["plan_id"] != ret.plan:
        ret.add("other_plan", found=props["plan_id"], expected=ret.plan)
        return False
    named = set(names.candidates(meta.get("unit_name", ""))) if meta.get("unit_name") else set()
    if named and ret.unit not in named:
        claims.append((f"tên đơn vị trong sheet _meta «{meta['unit_name']}» là", min(named)))
    in_name = names.named_in(ret.path.stem)
    if in_name and ret.unit not in in_name:
        claims.append((f"tên tệp «{ret.file}» ghi", min(in_name)))
    for source, other in claims:
        conflict(ret, data, source, other)
    return not claims


def _sheet_present(ret: Return, keyed: dict[str, Sheet], form: Form, names: Collection[str] = ()) -> bool:
    """A form's sheet is found by its key mark; a rename is a warning, a deletion an error.

    A sheet still there under its name but without its key mark lost its hidden key column or
    row (deleted because it looked empty): said so, not called a deleted sheet. Names are compared
    as they look (Unicode NFC): a name retyped in decomposed Unicode is the same name.
    """
    expected_name = ret.meta.get(f"sheet:{form.key}", form.sheet)
    if form.key not in keyed:
        code = "keys_deleted" if _nfc(expected_name) in {_nfc(n) for n in names} else "sheet_missing"
        ret.add(code, sheet=expected_name, expected=expected_name)
        return False
    if _nfc(keyed[form.key].name) != _nfc(expected_name):
        ret.add("sheet_renamed", sheet=keyed[form.key].name, expected=expected_name, found=keyed[form.key].name)
    return True


def _nfc(name: str) -> str:
    """A name as it looks: composed Unicode (Vietnamese typing tools may write decomposed letters)."""
    return unicodedata.normalize("NFC", name)


def _typed_as(value: float | int, number_format: str) -> str:
    """A figure found typed, in a message: every digit it holds (50,5 % for a percentage)."""
    if number_format == "percent" and math.isfinite(value):
        return f"{vn_exact(round(value * 100, 10))} %"
    return vn_exact(value)


def _ref(sheet: Sheet, row_key: str, col_key: str) -> str:
    """'F11' for a keyed cell, '' when a key is missing."""
    _, where = sheet.raw(row_key, col_key)
    return cell_ref(*where) if where else ""


class _Searches:
    """Whether the thousands-typo and after-date searches over a form's figures could find anything, told row by
    row as its rows are read: a row read the general way, a row key met twice (its figures merge), figures kept
    before, or more than one monthly column means they run as always."""

    def __init__(self, inputs: list[tuple[str, str, str]], months: tuple[str, ...], reported: date | None, monthly: int,
                 kept_before: bool) -> None:
        self.slips = self.late = kept_before or monthly != 1
        self.width = len(months)  # a row's monthly figures come first, month by month (`_keyed_inputs`)
        last = reported.isoformat()[:7] if reported else ""
        self.late_at = [i for i, (_, _, kept) in enumerate(inputs) if kept in months and kept > last]
        self.seen: set[str] = set()

    def row(self, key: str, figures: list[int | None] | None) -> None:
        """Take in one row: its whole figures as read in one pass, None for a row read the general way."""
        if figures is None:
            self.slips = self.late = True
            return
        if not self.slips:
            self.slips = key in self.seen or _slip_possible(figures[:self.width])
            self.seen.add(key)
        if not self.late:
            self.late = any(figures[i] is not None for i in self.late_at)


def _slip_possible(figures: list[int | None]) -> bool:
    """Whether `_Reader.scale_slips` could look further into a row of whole figures, all of a plan's months: it does
    when one positive figure stands alone or the smallest is 250x below the largest."""
    positives = [figure for figure in figures if figure]
    return bool(positives) and (len(positives) == 1 or min(positives) * 250 <= max(positives))


def _slip_basis(value: float, others: list[Any], target: float | None) -> str | None:
    """What a value is about 1000x smaller than ('các tháng khác (61.234)'), or None when it is not.

    Against the row's other months the band is tight (the value x 1000 between a quarter of and
    four times their median); against the target alone it is wide, so the value must also carry the
    mark of a thousands group read as decimals (a fraction of at most three digits: 4.65, 58.321).
    """
    numbers = sorted(v for v in others if isinstance(v, (int, float)) and v > 0)
    if numbers:
        median = numbers[len(numbers) // 2]
        return f"các tháng khác (khoảng {vn_number(median)})" if 250 <= median / value <= 4000 else None
    fraction = not float(value).is_integer() and abs(value * 1000 - round(value * 1000)) < 1e-6
    if target and fraction and 100 <= target / value <= 10_000:
        return f"chỉ tiêu tháng ({vn_number(target)})"
    return None


_INPUTS: dict[tuple[Any, ...], list[tuple[str, str, str]]] = {}


def _keyed_inputs(monthly: tuple[str, ...], once: tuple[str, ...], months: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """(column key, period, what the figure is kept under) of a row's inputs, in reading order: each monthly
    column by month (kept by month), then each once-per-plan column (kept by column). Worked out once per form."""
    key = monthly, once, months
    found = _INPUTS.get(key)
    if found is None:
        found = [(column_key(column, month), month, month) for column in monthly for month in months]
        found += [(column_key(column, TOTAL), TOTAL, column) for column in once]
        if len(_INPUTS) > 64:
            _INPUTS.clear()
        _INPUTS[key] = found
    return found


_ROW_KEYS: dict[int, tuple[tuple[list[tuple[str, str, str]], None], dict[str, tuple[tuple[str, str], ...]]]] = {}


def _row_keys(row_key: str, inputs: list[tuple[str, str, str]]) -> tuple[tuple[str, str], ...]:
    """(row key, kept under) of each input of a row, as figures are kept (worked out once per row and form; the
    entry holds its inputs, so their id is not another list's)."""
    rows: dict[str, tuple[tuple[str, str], ...]] = _kept_for(_ROW_KEYS, id(inputs), inputs, dict, 64)
    found = rows.get(row_key)
    if found is None:
        found = rows[row_key] = tuple((row_key, kept) for _, _, kept in inputs)
    return found


_CEILINGS: dict[int, tuple[tuple[PlanTargets, None], dict[str, float]]] = {}


def _plan_ceilings(data: PlanTargets) -> dict[str, float]:
    """The ceilings worked out for a loaded plan (`_Reader.ceiling`), kept from one return to the next."""
    return _kept_for(_CEILINGS, id(data), data, dict, 8)  # type: ignore[no-any-return]


_COLUMNS: dict[tuple[int, str], tuple[tuple[Form, None], tuple[list[str], list[str]]]] = {}


def _input_columns(form: Form, plan_kind: str) -> tuple[list[str], list[str]]:
    """Input column keys of a form: repeated per month, and once for the plan (worked out once per form; the
    entry holds its form, so its id is not another form's)."""
    return _kept_for(_COLUMNS, (id(form), plan_kind), form, lambda: _form_input_columns(form, plan_kind), 64)  # type: ignore[no-any-return]


def _form_input_columns(form: Form, plan_kind: str) -> tuple[list[str], list[str]]:
    """Input column keys of a form: repeated per month, and once for the plan."""
    monthly = [c.key for g in form.groups if g.repeat == "months" and g.applies(plan_kind) for c in g.columns if c.cell == "input"]
    once = [c.key for g in form.groups if g.repeat == "once" and g.applies(plan_kind) for c in g.columns if c.cell == "input"]
    return monthly, once


@dataclass(frozen=True)
class _FormulaLayout:
    """A form's formula cells for one plan: every row's data cells by column key, the rows holding formulas with
    the shape (column keys of its formula cells, links included) each has, and the label of each row."""

    slots: dict[str, dict[str, Slot]]
    rows: tuple[tuple[str, int], ...]
    shapes: tuple[tuple[str, ...], ...]
    tails: tuple[bool, ...]  # a shape's formula cells all in once-per-plan columns, the last of a row
    labels: dict[str, str]


_FORMULA_LAYOUTS: dict[tuple[int, int], tuple[tuple[Form, PlanTargets], _FormulaLayout]] = {}


def _formula_layout(form: Form, data: PlanTargets) -> _FormulaLayout:
    """`_FormulaLayout` of a form for a loaded plan, worked out once per process."""
    plan = data.plan
    return _kept_for(_FORMULA_LAYOUTS, (id(form), id(data)), form,  # type: ignore[no-any-return]
                     lambda: _make_formula_layout(form, plan.kind, plan.indicators, plan.months), 16, also=data)


def _make_formula_layout(form: Form, kind: str, indicators: tuple[str, ...], months: tuple[str, ...]) -> _FormulaLayout:
    """The rows as `spec.table_rows` lays them out: one per plan indicator, or the form's listed rows."""
    if form.rows == "plan":
        shapes = [RowShape(code, kind, indicator(code).value_type, True) for code in indicators]
        labels = {code: indicator(code).label for code in indicators}
    else:
        listed = [row for row in form.listed_rows if row.key]
        shapes = [RowShape(row.key, row.kind or kind, row.type, row.target in indicators, row.formula,
                           row.same_as if row.target in indicators else "") for row in listed]
        labels = {row.key: row.label for row in listed}
    slots = {shape.key: row_slots(form, shape, kind, months) for shape in shapes}
    found: dict[tuple[str, ...], int] = {}
    rows = []
    for shape in shapes:
        formulas = tuple(k for k, slot in slots[shape.key].items() if slot.role in ("formula", "linked"))
        if formulas:
            rows.append((shape.key, found.setdefault(formulas, len(found))))
    tails = tuple(all(col_key.rpartition(":")[2] == TOTAL for col_key in formulas) for formulas in found)
    return _FormulaLayout(slots, tuple(rows), tuple(found), tails, labels)


class _Reader:
    """Reads the keyed inputs of one identified return into numbers, noting every problem."""

    def __init__(self, ret: Return, data: PlanTargets, forms: FormSet, names: NameResolver | None = None) -> None:
        self.ret, self.data, self.forms = ret, data, forms
        self.names = names
        self.months = data.plan.months
        self._ceilings: dict[str, float] = _plan_ceilings(data)
        self.typed = False

    def ceiling(self, code: str) -> float:
        """The largest figure one unit can report: the forms' maximum, and at most 10× the national target."""
        if code not in self._ceilings:
            limit: float = CEILING
            if code in self.data.plan.indicators:
                national = self.data.value(NATIONAL_CODE, code, TOTAL)
                if not national:
                    national = sum(self.data.value(u, code, TOTAL) or 0 for u in self.data.unit_codes())
                if national:
                    limit = min(CEILING, max(10 * national, 1_000))
            self._ceilings[code] = limit
        return self._ceilings[code]

    def plausible(self, sheet: Sheet, row_key: str, col_key: str, period: str, value: float, measure: str) -> bool:
        """False (and an error) for a value no unit can have, so no sum can overflow or be swamped."""
        limit = self.ceiling(measure)
        if value <= limit:
            return True
        self.ret.add("implausible_value", sheet=sheet.name, cell=_ref(sheet, row_key, col_key), indicator=row_key,
                     period=period, found=vn_number(value), expected=vn_number(limit))
        return False

    def cell(self, sheet: Sheet, row_key: str, col_key: str, *, whole: bool, period: str, text: bool = False) -> Parsed | str | None:
        """One input by key: a clean number, None (empty or unusable) or text for a note row."""
        where = sheet.index.cell(row_key, col_key)
        if where is None:
            missing = row_key if row_key not in sheet.index.rows else col_key
            self.ret.add("key_missing", sheet=sheet.name, indicator=row_key, period=period, found=missing)
            return None
        raw, fact = sheet.cells.value_and_fact(*where)  # one lookup; where a problem is told only when there is one
        self.typed = self.typed or fact is not None or raw not in (None, "")
        if fact and fact[0] == "formula":
            self.ret.add("formula_in_input", **self._place(sheet, row_key, period, where), found=fact[1])
            return None
        if fact and fact[0] == "error":
            self.ret.add("excel_error", **self._place(sheet, row_key, period, where), found=fact[1])
            return None
        if text:
            if type(raw) is MalformedText:  # a note kept as written, its broken reference shown
                self.ret.add("malformed_text", **self._place(sheet, row_key, period, where), found=raw)
            return None if raw in (None, "") else str(raw)
        parsed = parse_number(raw, whole=whole)
        if parsed.code == TEXT_NUMBER:
            self.ret.add("text_number", **self._place(sheet, row_key, period, where), found=raw, expected=vn_number(parsed.value))
        elif parsed.code not in ("", EMPTY):
            shown = vn_exact(raw) if isinstance(raw, (int, float)) and not isinstance(raw, bool) else raw
            self.ret.add(parsed.code, **self._place(sheet, row_key, period, where), found=shown)
        return parsed

    @staticmethod
    def _place(sheet: Sheet, row_key: str, period: str, where: tuple[int, int]) -> dict[str, str]:
        """Where a problem of one input cell is, as problems name it."""
        return {"sheet": sheet.name, "indicator": row_key, "period": period, "cell": cell_ref(*where)}

    def date_window(self) -> tuple[date, date]:
        """Report dates a return of this plan can carry: its first day to a month after its last."""
        first = date.fromisoformat(self.months[0] + "-01")
        year, month = map(int, self.months[-1].split("-"))
        end = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
        return first, end + timedelta(days=31)

    def figures_after_date(self, sheet: Sheet, typed: dict[tuple[str, str], Any], row_keys: dict[str, str]) -> None:
        """Figures typed for months after the report date: a warning per indicator naming the cells."""
        if self.ret.round_date is None:
            return
        reported = self.ret.round_date.isoformat()[:7]
        cells: dict[str, list[str]] = {}
        for (row_key, month), _value in typed.items():
            if month > reported and month in self.months:
                cells.setdefault(row_key, []).append(_ref(sheet, row_key, column_key(row_keys[row_key], month)) or month)
        for row_key, refs in cells.items():
            months = sorted(m for (k, m) in typed if k == row_key and m > reported and m in self.months)
            self.ret.add("figures_after_date", sheet=sheet.name, cell=", ".join(refs), indicator=row_key, period=months[0],
                         found=", ".join(months), expected=f"{self.ret.round_date:%d/%m/%Y}")

    def scale_slips(self, sheet: Sheet, typed: dict[tuple[str, str], Any], columns: dict[str, str], *, with_targets: bool) -> None:
        """A figure about 1000x smaller than the row's other months (or its target): '4.650' read as 4.65."""
        months = set(self.months)
        by_row: dict[str, dict[str, Any]] = {}
        for (row_key, month), value in typed.items():
            if month in months:
                row = by_row.get(row_key)
                if row is None:
                    row = by_row[row_key] = {}
                row[month] = value
        largest: dict[str, float] = {}
        suspect = False
        for row_key, row in by_row.items():
            positives = [v for v in row.values() if isinstance(v, (int, float)) and v > 0]
            largest[row_key] = max(positives) if len(positives) > 1 else math.inf
            suspect = suspect or bool(positives) and min(positives) * 250 <= largest[row_key]
        if not suspect:
            return  # no row holds a positive figure 250x smaller than its largest: the loop below would find nothing
        for (row_key, month), value in typed.items():
            if month not in months or not value or value <= 0:
                continue
            if value * 250 > largest[row_key]:
                continue  # other months hold positive figures, none 250x this one: their median cannot be (see _slip_basis)
            basis = _slip_basis(value, [v for m, v in by_row[row_key].items() if m != month],
                                self.data.value(self.ret.unit, row_key, month) if with_targets else None)
            if basis is None:
                continue
            meant = round(value * 1000, 6)
            self.ret.add("thousands_typo", sheet=sheet.name, cell=_ref(sheet, row_key, column_key(columns[row_key], month)),
                         indicator=row_key, period=month,
                         found=vn_number(value), expected=basis, meant=vn_number(meant),
                         digits=str(int(meant)) if float(meant).is_integer() else vn_number(meant))

    def read_info(self, sheet: Sheet) -> None:
        """Report date, reporter and phone above the Mẫu 01 table."""
        raw, where = sheet.raw("round_date", INFO_COLUMN)
        place = {"sheet": sheet.name, "cell": cell_ref(*where) if where else "", "indicator": "round_date"}
        day = parse_date(raw)
        self.typed = self.typed or raw not in (None, "")
        first, last = self.date_window()
        if raw in (None, ""):
            self.ret.add("round_date_missing", **place)
        elif day is None or not first <= day <= last:
            shown = f"{day:%d/%m/%Y}" if day else raw
            self.ret.add("round_date_invalid", **place, found=shown, expected=f"{first:%d/%m/%Y} – {last:%d/%m/%Y}")
        else:
            self.ret.round_date = day
        for key in ("reporter", "phone"):
            value, where = sheet.raw(key, INFO_COLUMN)
            setattr(self.ret, key, "" if value is None else str(value))
            if type(value) is MalformedText:
                self.ret.add("malformed_text", sheet=sheet.name, cell=cell_ref(*where) if where else "", indicator=key, found=value)
            self.typed = self.typed or value not in (None, "")
        named = (self.names or resolver(self.data.plan.structure)).named_in(self.ret.reporter, after_marker=True)
        if named and self.ret.unit not in named:
            _, where = sheet.raw("reporter", INFO_COLUMN)
            conflict(self.ret, self.data, f"người lập biểu «{self.ret.reporter}» thuộc", min(named), sheet=sheet.name,
                     cell=cell_ref(*where) if where else "", indicator="reporter")

    def read_mau01(self, sheet: Sheet) -> None:
        """Achieved figures by indicator and month, and the once-per-plan inputs of stock plans."""
        self.read_info(sheet)
        form = self.forms.form("mau01")
        monthly, once = _input_columns(form, self.data.plan.kind)
        inputs = _keyed_inputs(tuple(monthly), tuple(once), self.months)
        cols = [sheet.index.cols.get(col_key) for col_key, _, _ in inputs]
        searches = _Searches(inputs, self.months, self.ret.round_date, len(monthly), bool(self.ret.actuals))
        for code in self.data.plan.indicators:
            figures = self.whole_figures(sheet, code, cols, code)
            searches.row(code, figures)
            found = zip(inputs, figures) if figures is not None else (
                ((c, p, k), v) for c, p, k, v in self.numbers(sheet, code, inputs, cols, whole=not indicator(code).is_money, measure=code))
            for (col_key, period, kept), value in found:
                if value is not None:
                    self._keep(sheet, code, col_key, period, value, (code, kept))
            self._missing_months(sheet, code)
        if monthly:
            columns = dict.fromkeys(self.data.plan.indicators, monthly[0])
            if searches.late:
                self.figures_after_date(sheet, self.ret.actuals, columns)
            if searches.slips:
                self.scale_slips(sheet, self.ret.actuals, columns, with_targets=True)

    def _keep(self, sheet: Sheet, row_key: str, col_key: str, period: str, value: float | int, key: tuple[str, str]) -> None:
        """Keep a usable achieved figure; flag one far above its target."""
        self.ret.actuals[key] = value
        target = self.data.value(self.ret.unit, row_key, period) if key[1] == period else None
        if target and value > max(10 * target, 100):
            self.ret.add("absurd_value", sheet=sheet.name, cell=_ref(sheet, row_key, col_key), indicator=row_key,
                         period=period, found=vn_number(value), expected=vn_number(target))

    def numbers(self, sheet: Sheet, row_key: str, inputs: list[tuple[str, str, str]], cols: list[int | None], *, whole: bool,
                measure: str) -> Iterator[tuple[str, str, str, float | int | None]]:
        """(column key, period, kept under, usable figure or None) of each input of a keyed row, in order: the
        row's cells fetched together (`cols`: their columns), a clean number below the ceiling and an empty cell
        taken here, any other cell read by `number` (its problem recorded when it is read, in order)."""
        r = sheet.index.rows.get(row_key)
        values = sheet.cells.row_values(r, cols) if r is not None and None not in cols else [(None, _ASK)] * len(cols)
        limit = self._ceilings.get(measure) or self.ceiling(measure)
        for (col_key, period, kept), (raw, fact) in zip(inputs, values):
            if fact is None:
                if type(raw) is float and 0 <= raw <= limit:  # parse_number's figure, and plausible
                    self.typed = True
                    if raw.is_integer():
                        yield col_key, period, kept, int(raw)
                        continue
                    if not whole:
                        yield col_key, period, kept, raw
                        continue
                elif raw == "":
                    yield col_key, period, kept, None
                    continue
            yield col_key, period, kept, self.number(sheet, row_key, col_key, whole=whole, period=period, measure=measure)

    def whole_figures(self, sheet: Sheet, row_key: str, cols: list[int | None], measure: str) -> list[int | None] | None:
        """The inputs of a keyed row when each is empty or a whole number written in plain digits within the
        ceiling (a row as a clerk types it): the figures `numbers` gives, with nothing to report; None for any
        other row, read by `numbers`."""
        r = sheet.index.rows.get(row_key)
        texts = sheet.cells.alike_numbers(r, cols) if r is not None and None not in cols else None  # type: ignore[arg-type]
        if texts is None:
            return None
        written = [text for text in texts if text is not None]
        if not written:
            return [None] * len(texts)
        if not (all(written) and b"".join(written).isdigit()):
            return None  # a fraction, an exponent, spaces, <v></v>: read the general way
        try:
            if max(map(int, written)) > (self._ceilings.get(measure) or self.ceiling(measure)):
                return None
        except ValueError:
            return None  # thousands of digits, more than int() takes from text: the general way reports the cell
        self.typed = True
        return [None if text is None else int(text) for text in texts]

    def number(self, sheet: Sheet, row_key: str, col_key: str, *, whole: bool, period: str, measure: str) -> float | int | None:
        """A usable figure of one input by key read the general way (`cell`, then `plausible`), None when empty or
        unusable (the problem recorded)."""
        parsed = self.cell(sheet, row_key, col_key, whole=whole, period=period)
        if not isinstance(parsed, Parsed) or not parsed.usable or parsed.value is None:
            return None
        if not self.plausible(sheet, row_key, col_key, period, parsed.value, measure):
            return None
        return parsed.value

    def _missing_months(self, sheet: Sheet, code: str) -> None:
        """Months up to the report date left empty: one warning per indicator."""
        if self.ret.round_date is None:
            return
        reported = self.ret.round_date.isoformat()[:7]
        due = [m for m in self.months if m <= reported]
        empty = [m for m in due if (code, m) not in self.ret.actuals]
        if empty:
            reported_problem = {(p.indicator, p.period) for p in self.ret.problems if p.indicator == code}
            empty = [m for m in empty if (code, m) not in reported_problem]
        if empty:
            self.ret.add("missing_value", sheet=sheet.name, indicator=code, period=empty[0], found=", ".join(empty))

    def read_mau02(self, sheet: Sheet) -> None:
        """Task results by row key and month; notes kept as text, computed rows skipped."""
        form = self.forms.form("mau02")
        monthly, _ = _input_columns(form, self.data.plan.kind)
        inputs = _keyed_inputs(tuple(monthly), (), self.months)
        cols = [sheet.index.cols.get(col_key) for col_key, _, _ in inputs]
        tasks = self.ret.tasks
        notes = bool(tasks)  # (nothing kept before: no note among the figures unless one is kept below)
        searches = _Searches(inputs, self.months, self.ret.round_date, len(monthly), notes)
        for row in form.listed_rows:
            if row.key and row.same_as and row.target in self.data.plan.indicators:
                self.linked_cells(sheet, row.key, row.target, monthly)
            if not row.key or row.formula or (row.same_as and row.target in self.data.plan.indicators):
                continue
            if row.type == "text":
                r = sheet.index.rows.get(row.key)
                if r is not None and None not in cols and all(raw == "" and fact is None for raw, fact in sheet.cells.row_values(r, cols)):
                    continue  # nothing written in the row: nothing to keep, nothing to report
                for col_key, month, _ in inputs:
                    note = self.cell(sheet, row.key, col_key, whole=False, period=month, text=True)
                    if isinstance(note, str):
                        tasks[(row.key, month)] = note
                        notes = True
                continue
            figures = self.whole_figures(sheet, row.key, cols, row.target or row.key)
            searches.row(row.key, figures)
            if figures is not None:
                tasks.update((key, figure) for key, figure in zip(_row_keys(row.key, inputs), figures) if figure is not None)
                continue
            for _, month, _, value in self.numbers(sheet, row.key, inputs, cols, whole=row.type == "count", measure=row.target or row.key):
                if value is not None:
                    tasks[(row.key, month)] = value
        if monthly:
            numbers = {k: v for k, v in tasks.items() if not isinstance(v, str)} if notes else dict(tasks)
            columns = dict.fromkeys((row.key for row in form.listed_rows if row.key), monthly[0])
            if searches.late:
                self.figures_after_date(sheet, numbers, columns)
            if searches.slips:
                self.scale_slips(sheet, numbers, columns, with_targets=False)

    def linked_cells(self, sheet: Sheet, row_key: str, code: str, monthly: list[str]) -> None:
        """A Mẫu 02 row that shows a Mẫu 01 figure by formula, typed over: the typed figure is not
        used (Mẫu 01's is), so say where it is and where it belongs rather than drop it silently."""
        mau01 = self.ret.meta.get("sheet:mau01", self.forms.form("mau01").sheet)
        for col_key, month, _ in _keyed_inputs(tuple(monthly), (), self.months):
            where = sheet.index.cell(row_key, col_key)
            if where is None or not sheet.cells.typed_over(*where):
                continue
            raw = sheet.at(*where)
            if raw in (None, "") or sheet.facts.get(where) is not None:
                continue
            self.typed = True
            if parse_number(raw, whole=False).value == self.ret.actuals.get((code, month)):
                continue  # values pasted over the formulas: the same figure, nothing lost
            shown = vn_exact(raw) if isinstance(raw, (int, float)) and not isinstance(raw, bool) else raw
            self.ret.add("linked_cell_typed", sheet=sheet.name, cell=cell_ref(*where), indicator=row_key, period=month,
                         found=shown, expected=f"sheet «{mau01}», dòng «{indicator(code).label}», tháng {month[5:]}/{month[:4]}")

    def formula_cells(self, sheet: Sheet, form: Form) -> None:
        """Formula cells of a form typed over (a value, no formula): the typed figure is not used (the inputs' are),
        so say where it is and what the cell computes, unless it is the very figure the formula gives (values pasted
        over the formulas: nothing lost). A formula cleared is no loss: the figure comes from the inputs.

        A row is looked at cell by cell only when it holds another number of formulas than generated or a formula
        was found typed into one of its inputs; the common row costs one count of its formulas from the first on. (A
        formula written into a target or label cell of a row whose formula cell was typed over would hide it.)"""
        layout = _formula_layout(form, self.data)
        cols, row_of, formulas_from = sheet.index.cols, sheet.index.rows.get, sheet.cells.formulas_from
        firsts: list[tuple[int, int, bool] | None] = [None] * len(layout.shapes)  # (leftmost column, formulas, tail)
        noted = {p.indicator for p in self.ret.problems if p.code == "formula_in_input" and p.sheet == sheet.name} if self.ret.problems else ()
        for row_key, shape in layout.rows:
            r = row_of(row_key)
            if r is None:
                continue  # no such row: `_keys_in_doubt` or `cell` says so
            first = firsts[shape]
            if first is None:
                present = [c for c in map(cols.get, layout.shapes[shape]) if c is not None]
                first = firsts[shape] = (min(present), len(present), layout.tails[shape]) if present else (-1, 0, False)
            if first[1] == 0 or formulas_from(r, first[0], first[2]) == first[1] and row_key not in noted:
                continue  # every formula in place (the common row), or none to look for
            for col_key in layout.shapes[shape]:
                slot, c = layout.slots[row_key][col_key], cols.get(col_key)
                if slot.role == "formula" and c is not None and sheet.cells.typed_over(r, c):
                    self._formula_typed(sheet, form, layout, row_key, col_key, (r, c))

    def _formula_typed(self, sheet: Sheet, form: Form, layout: _FormulaLayout, row_key: str, col_key: str,
                       where: tuple[int, int]) -> None:
        """One formula cell holding a value and no formula: told unless empty or the figure its formula gives."""
        raw, fact = sheet.cells.value_and_fact(*where)
        if fact is not None or raw in (None, ""):
            return
        self.typed = True
        slot = layout.slots[row_key][col_key]
        typed = raw if isinstance(raw, (int, float)) and not isinstance(raw, bool) else (
            parse_number(raw, whole=False).value if isinstance(raw, str) else None)
        try:
            computed: float | int | str | None = evaluate(layout.slots, self.months, row_key, col_key,
                                                          lambda row, col, found: self._computed_from(sheet, form, row, col, found))
        except Unknown:
            computed = None
        if typed is not None and isinstance(computed, (int, float)) and same_figure(typed, computed, slot.format):
            return  # values pasted over the formulas: the same figure, nothing lost
        label = layout.labels.get(row_key, row_key)
        when = "cả kỳ kế hoạch" if slot.period == TOTAL else f"tháng {slot.period[5:].lstrip('0')}/{slot.period[:4]}"
        if computed is None:
            should = "không tính được ô này từ số liệu đã nhập"
        elif computed == "":
            should = "theo số liệu đã nhập, ô này để trống"
        else:
            should = f"theo số liệu đã nhập, ô này là {shown(computed, slot.format)}"
        found = _typed_as(raw, slot.format) if isinstance(raw, (int, float)) and not isinstance(raw, bool) else f"«{raw}»"
        self.ret.add("formula_typed", sheet=sheet.name, cell=cell_ref(*where), indicator=row_key, period=slot.period,
                     found=found, expected=describe(form.key, row_key, slot, label), row=label, when=when, should=should)

    def _computed_from(self, sheet: Sheet, form: Form, row_key: str, col_key: str, slot: Slot) -> Any:
        """A cell a formula reads, as the figures read give it: an input's figure (an empty input BLANK), a Mẫu 01
        figure a linked cell shows, a target's or context's number; Unknown for anything else."""
        if slot.role == "linked":
            code = next(row.target for row in form.listed_rows if row.key == row_key)
            figure = self.ret.actuals.get((code, slot.period))
            if figure is not None:
                return figure
            if any(p.is_error and p.indicator == code and p.period == slot.period for p in self.ret.problems):
                raise Unknown(f"{code} {slot.period}")  # a figure typed in Mẫu 01 but not used
            return ""  # the link's formula shows "" for an empty Mẫu 01 input
        if slot.role == "input":
            kept = self.ret.actuals if form.rows == "plan" else self.ret.tasks
            figure = kept.get((row_key, slot.period if slot.period != TOTAL else slot.column))
            if figure is not None and not isinstance(figure, str):
                return figure
        where = sheet.index.cell(row_key, col_key)
        if where is None:
            raise Unknown(f"{row_key} × {col_key}")
        raw, fact = sheet.cells.value_and_fact(*where)
        if fact is None and raw in (None, ""):
            return BLANK
        if slot.role in ("target", "context") and (fact is None or fact[0] == "formula") and type(raw) in (int, float) and math.isfinite(raw):
            return raw
        raise Unknown(f"{row_key} × {col_key}")

    def check_targets(self, *sheets: Sheet) -> None:
        """Targets are the centre's: an edited one is a warning, and the centre's figure is used.

        When the targets in the file are all another unit's, the file is that unit's workbook
        relabelled: an identity conflict, not a series of edited targets.
        """
        periods = (TOTAL, *self.months) if self.data.plan.published_months else (TOTAL,)
        edited: list[dict[str, Any]] = []
        found: list[tuple[str, Iterable[tuple[str, float | None]]]] = []  # (indicator, (period, figure) …) in reading order
        columns = [(column_key("target", period), period) for period in periods]
        unit, target = self.ret.unit, self.data.value
        for sheet in sheets:
            present = [(c, period) for c, period in ((sheet.index.cols.get(k), p) for k, p in columns) if c is not None]
            ordered = sorted({c for c, _ in present})  # read left to right (a row of them is then split in one pass)
            for code in self.data.plan.indicators:
                r = sheet.index.rows.get(code)
                if r is None:
                    continue
                by_column = dict(zip(ordered, sheet.cells.row_values(r, ordered)))
                cells = [by_column[c] for c, _ in present]
                expected = [target(unit, code, period) for _, period in present]
                raws = [raw for raw, _ in cells]
                if raws == expected and all(type(raw) is float for raw in raws):
                    found.append((code, zip([period for _, period in present], raws)))  # every target as given (the common row)
                    continue
                figures: list[tuple[str, float | None]] = []
                for (c, period), raw, given in zip(present, raws, expected):
                    if given is None:
                        continue
                    # a finite number is its own figure (parse_number gives the same, as int when whole)
                    value = raw if type(raw) is float and math.isfinite(raw) else parse_number(raw, whole=False).value
                    figures.append((period, value))
                    if value != given:
                        edited.append({"sheet": sheet.name, "cell": cell_ref(r, c), "indicator": code, "period": period,
                                       "found": vn_number(raw) if isinstance(raw, (int, float)) else raw,
                                       "expected": vn_number(given)})
                found.append((code, figures))
        owner = self._owner_of({(code, period): value for code, figures in found for period, value in figures}) if edited else None
        if owner:
            conflict(self.ret, self.data, "chỉ tiêu trong sổ là chỉ tiêu của", owner,
                     sheet=edited[0]["sheet"])
            return
        for place in edited:
            self.ret.add("target_edited", **place)

    def _owner_of(self, seen: dict[tuple[str, str], float | None]) -> str | None:
        """The other unit whose targets these all are, if one is."""
        if len(seen) < 2:
            return None
        for unit in self.data.unit_codes():
            if unit != self.ret.unit and all(self.data.value(unit, c, p) == v for (c, p), v in seen.items()):
                return unit
        return None
