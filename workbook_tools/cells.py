"""The cells of an .xlsx package, read sparsely by reference: no grid, whatever the declared size.

A sheet's XML is inflated once (with a size limit) and split into `reference → cell XML` in one
regular-expression pass run by the C engine; a cell becomes a Python value only when asked for.
Values follow python-calamine's conventions (str, float, bool, date/datetime/time/timedelta,
"" for an empty or error cell) so every caller sees what a calamine grid would show, and the
same pass tells formulas and Excel errors apart. A value typed at XFD1048576 costs one entry.
"""

from __future__ import annotations

import re
import struct
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import PurePosixPath
from typing import Any

from . import deflate
from .spec import col_letter

MAX_PART = 32 * 1024 * 1024
_QUICK_RAW = MAX_PART // 1032  # compressed parts no larger than this inflate to about MAX_PART at most
_VALUE = re.compile(rb"<v(?:\s[^>]*)?>([^<]*)</v>")
_FORMULA = re.compile(rb"<f(\s[^>]*?)?(?:/>|>(.*?)</f>)", re.S)
_SHARED_MASTER = re.compile(rb'<f\b([^>]*\bt="shared"[^>/]*)>([^<]+)</f>')
_UNREFERENCED_CELL = re.compile(rb'<c(?! r=")[\s>/]')
_SHARED_INDEX = re.compile(rb'\bsi="([0-9]+)"')
_TEXT = re.compile(rb"<t(?:\s[^>]*)?>([^<]*)</t>")
_PHONETIC = re.compile(rb"<rPh\b.*?</rPh>", re.S)
_STRING_ITEM = re.compile(rb"<(?:\w+:)?si>(.*?)</(?:\w+:)?si>|<(?:\w+:)?si\s*/>", re.S)
_LETTERS: dict[int, bytes] = {}
_COLUMNS: dict[bytes, int] = {}
_TEXTS: dict[bytes, str] = {}
_PARTS: dict[tuple[bytes, bytes], tuple[dict[str, str], bool]] = {}
_ENTITY = re.compile(r"&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_REF = re.compile(r"^([A-Z]+)([0-9]+)$")
_XSD_DOUBLE = re.compile(rb"[ \t\r\n]*(?:[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?INF|NaN)[ \t\r\n]*")
_SHEET = re.compile(r"<(?:\w+:)?sheet\b([^>]*?)/?>")
_REL = re.compile(r"<(?:\w+:)?Relationship\b([^>]*?)/?>")
_XML_ATTR = re.compile(r"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_CELL_ATTR = re.compile(rb"""(?:^|[ \t\r\n])([ts])[ \t\r\n]*=[ \t\r\n]*(?:"([^"]*)"|'([^']*)')""")
_TYPES_AND_STYLES: dict[bytes, tuple[bytes, bytes]] = {}
_NUMFMT = re.compile(r"<(?:\w+:)?numFmt\b([^>]*?)/?>")
_CELL_XFS = re.compile(r"<(?:\w+:)?cellXfs\b.*?</(?:\w+:)?cellXfs>", re.S)
_XF = re.compile(r"<(?:\w+:)?xf\b([^>]*?)/?>")
_DATE_IDS = frozenset(range(14, 23)) | {45, 47} | frozenset(range(27, 37)) | frozenset(range(50, 59))
_DURATION_IDS = frozenset({46})
DATE, DURATION = "date", "duration"
SHARED = "shared"
_STYLE_CACHE: dict[bytes, dict[int, str]] = {}
_ALIKE_PARTS = frozenset({"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml"})  # the same in most returns
_INFLATED: dict[tuple[int, int, bytes], bytes] = {}
_ZIPFILE_ONLY = 1 | 1 << 5 | 1 << 6  # encrypted, compressed patched data, strong encryption: left to zipfile (which refuses them)


class PartTooLarge(ValueError):
    """A part inflates beyond what any returned workbook holds (a zip bomb or a wrong file)."""


class MalformedText(str):
    """A text that held a reference XML does not allow (`&#xZZ;`, `&#99999999;`, `&#0;`, `&bogus;`, a lone `&`: a hand
    edit of the package, a broken writer), each kept as written: its cell is reported, the rest of the file read."""


def unescape(text: str) -> str:
    """XML character and entity references to characters; a text holding a reference XML does not allow comes back as
    `MalformedText`, that reference kept as written (never a character no XML holds, never a failure to read)."""
    if "&" not in text:
        return text
    malformed = text.count("&") != len(_ENTITY.findall(text))

    def entity(match: re.Match[str]) -> str:
        nonlocal malformed
        char = _char(match.group(1))
        if char is None:
            malformed = True
            return match.group(0)
        return char

    decoded = _ENTITY.sub(entity, text)
    return MalformedText(decoded) if malformed else decoded


def written_text(raw: bytes) -> str:
    """A text as written in a part, decoded and its references resolved; bytes that are no UTF-8 (a broken writer) shown
    as U+FFFD in a `MalformedText`, so that its cell is reported rather than the whole file failing to read."""
    try:
        return unescape(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return MalformedText(unescape(raw.decode("utf-8", "replace")))


def _char(name: str) -> str | None:
    """The character a reference's name stands for; None for a code point XML 1.0 does not allow as a character."""
    if name[0] != "#":
        return _ENTITIES[name]
    try:
        code = int(name[2:], 16) if name[1] == "x" else int(name[1:])
    except ValueError:  # (thousands of digits: more than int() takes from text)
        return None
    legal = code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or 0x10000 <= code <= 0x10FFFF
    return chr(code) if legal else None


def _attrs(text: str) -> dict[str, str]:
    """Attributes of one start tag (namespace prefixes dropped, r:id kept as 'r:id'), in either quotes, spaced as
    XML allows."""
    found: dict[str, str] = {}
    for name, double, single in _XML_ATTR.findall(text):
        found.setdefault(name, unescape(double or single))
    return found


def _type_and_style(attrs: bytes) -> tuple[bytes, bytes]:
    """A cell's type (b"n" when it has none) and style index (b"" when none) from the attributes after its reference,
    in any order, quoting and spacing XML allows (a tab, a newline, `s='5'`, `t = "b"`, `&#98;`), so that a date style
    or a type is never missed for the way it is written (kept: cells are written alike)."""
    found = _TYPES_AND_STYLES.get(attrs)
    if found is None:
        values = {b"t": b"n", b"s": b""}
        for name, double, single in reversed(_CELL_ATTR.findall(attrs)):  # (the first written wins)
            value = double or single
            values[name] = unescape(value.decode("utf-8", "replace")).encode() if b"&" in value else value
        if len(_TYPES_AND_STYLES) > 4096:
            _TYPES_AND_STYLES.clear()
        found = _TYPES_AND_STYLES[attrs] = values[b"t"].strip(b" \t\r\n"), values[b"s"].strip(b" \t\r\n")
    return found


def ref_to_rc(ref: str) -> tuple[int, int]:
    """'E12' → (11, 4)."""
    match = _REF.match(ref)
    if not match:
        raise ValueError(ref)
    col = 0
    for ch in match.group(1):
        col = col * 26 + ord(ch) - 64
    return int(match.group(2)) - 1, col - 1


def _rich_text(body: bytes) -> str:
    """Text of an <si> or <is> body: its runs joined, phonetic hints left out (memoised: keys repeat)."""
    text = _TEXTS.get(body)
    if text is None:
        if len(_TEXTS) > 50_000:
            _TEXTS.clear()
        text = _TEXTS[body] = _runs_text(body)
    return text


def _column(letters: bytes) -> int:
    """b'AB' → 27."""
    found = _COLUMNS.get(letters)
    if found is None:
        found = 0
        for ch in letters:
            found = found * 26 + ch - 64
        found = _COLUMNS[letters] = found - 1
    return found


def _runs_text(body: bytes) -> str:
    """Text of an <si> or <is> body, decoded."""
    if body[:4] == b"<is>":
        body = body[4:]
    if body[:3] == b"<t>" and body.find(b"<", 3) == len(body) - 4:
        text = body[3:-4]
    else:
        if b"<rPh" in body:
            body = _PHONETIC.sub(b"", body)
        text = b"".join(_TEXT.findall(body))
    return written_text(text)


def _ref(r: int, c: int) -> bytes:
    """(11, 4) → b'E12'."""
    letters = _LETTERS.get(c)
    if letters is None:
        letters = _LETTERS[c] = col_letter(c).encode()
    return letters + str(r + 1).encode()


def date_kind(code: str) -> str:
    """DATE, DURATION or '' for a number format code, as calamine decides it."""
    kind, i, text = "", 0, code
    while i < len(text):
        ch = text[i]
        if ch == '"':
            end = text.find('"', i + 1)
            i = len(text) if end < 0 else end + 1
            continue
        if ch in "\\_*":
            i += 2
            continue
        if ch == "[":
            end = text.find("]", i)
            inner = text[i + 1:end if end > 0 else len(text)].lower()
            if inner and set(inner) <= {"h"} | {"m"} | {"s"} and len(set(inner)) == 1:
                return DURATION
            i = len(text) if end < 0 else end + 1
            continue
        if ch == ";":
            break
        if ch.lower() in "dmyhs":
            kind = DATE
        i += 1
    return kind


def _date_styles(styles: bytes) -> dict[int, str]:
    """Cell style index → DATE/DURATION for styles whose number format shows a date or time."""
    cached = _STYLE_CACHE.get(styles)
    if cached is not None:
        return cached
    text = styles.decode("utf-8", "replace")
    custom = {}
    for found in _NUMFMT.findall(text):
        attrs = _attrs(found)
        if attrs.get("numFmtId", "").isdigit():
            custom[int(attrs["numFmtId"])] = date_kind(attrs.get("formatCode", ""))
    kinds: dict[int, str] = {}
    section = _CELL_XFS.search(text)
    for number, found in enumerate(_XF.findall(section.group(0)) if section else []):
        fmt = _attrs(found).get("numFmtId", "0")
        fmt_id = int(fmt) if fmt.isdigit() else 0
        kind = custom.get(fmt_id) if fmt_id in custom else (
            DATE if fmt_id in _DATE_IDS else DURATION if fmt_id in _DURATION_IDS else "")
        if kind:
            kinds[number] = kind
    if len(_STYLE_CACHE) > 64:
        _STYLE_CACHE.clear()
    _STYLE_CACHE[styles] = kinds
    return kinds


def xsd_number(text: bytes) -> float | None:
    """The number a number cell's written value is when it is written as an XML Schema double, as every spreadsheet
    writes one (digits, a sign, a point, an exponent, INF, -INF, NaN, XML spaces around); None for what float() takes
    beyond that (`1_000`, `infinity`, `nan`, `+nan`, other spaces), which no spreadsheet writes: that is no number."""
    if text.isdigit() or text.replace(b".", b"", 1).isdigit():
        return float(text)
    return float(text) if _XSD_DOUBLE.fullmatch(text) is not None else None


def number_text(raw: bytes) -> float | str:
    """A number cell's written value as a float; a value that is no number (a word, a character reference, a
    fullwidth digit, `1_000`: a hand edit of the XML, another program's writer) as the text it is, after its
    references, so that one cell is reported rather than the whole file refused (LibreOffice shows `&#53;` as 5,
    as here)."""
    number = xsd_number(raw)
    if number is not None:
        return number
    text = unescape(raw.decode("utf-8", "replace"))
    number = xsd_number(text.encode("ascii")) if text.isascii() else None  # (float() would take "５" too: LibreOffice shows 0)
    if number is not None:
        return number
    return MalformedText(text.strip()) if type(text) is MalformedText else text.strip()


def excel_date(serial: float, kind: str, date1904: bool) -> date | datetime | time | timedelta | float:
    """A date-formatted number as python-calamine shows it; the number itself when no date or time is that far
    (calamine raises: 1e308 formatted as a date is one wrong cell, not an unreadable file)."""
    try:
        return _excel_date(serial, kind, date1904)
    except (OverflowError, ValueError):
        return serial


def _excel_date(serial: float, kind: str, date1904: bool) -> date | datetime | time | timedelta:
    """A date-formatted number as a date, datetime, time or duration (see `excel_date`)."""
    if kind == DURATION:
        return timedelta(days=serial)
    if serial < 1.0:
        micros = round((serial % 1.0) * 86_400_000) * 1000
        return (datetime.min + timedelta(microseconds=micros)).time()
    epoch = datetime(1904, 1, 1) if date1904 else datetime(1899, 12, 30) if serial >= 60 else datetime(1899, 12, 31)
    if float(serial).is_integer():
        return (epoch + timedelta(days=int(serial))).date()
    return epoch + timedelta(milliseconds=round(serial * 86_400_000))


class Package:
    """One opened .xlsx package: its sheets, shared strings and styles, each read at most once."""

    def __init__(self, archive: zipfile.ZipFile, content: bytes = b"") -> None:
        self.archive = archive
        self.content = content
        self._strings: list[str | None] | None = None
        self._string_bodies: list[bytes] = []
        self._string_text = b""
        self._run_on = False
        self.decoded: dict[tuple[bytes, bytes], tuple[Any, tuple[str, str] | None]] = {}
        self.number_kinds: dict[bytes, object] = {}
        self._styles: dict[int, str] | None = None
        self.date1904 = False
        self.sheet_names: tuple[str, ...] = ()

    def read(self, name: str) -> bytes:
        """One part, inflated at most to MAX_PART bytes (its CRC checked)."""
        info = self.archive.getinfo(name)
        data = self._inflate(info) if self.content else None
        if data is None:
            with self.archive.open(info) as handle:
                data = handle.read(MAX_PART + 1)
        if len(data) > MAX_PART:
            raise PartTooLarge(name)
        return data

    def _inflate(self, info: zipfile.ZipInfo) -> bytes | None:
        """A stored or deflated part straight from the file's bytes (zipfile's own reader costs more
        than the inflating); None for anything unusual, left to zipfile."""
        start = info.header_offset
        header = self.content[start:start + 30]
        if len(header) < 30 or header[:4] != b"PK\x03\x04" or info.flag_bits & _ZIPFILE_ONLY:
            return None
        name_length, extra_length = struct.unpack("<HH", header[26:30])
        name = self.content[start + 30:start + 30 + name_length]
        if not name.isascii() or name.decode("ascii") != info.orig_filename:
            return None  # the local header names another part (or a name zipfile decodes itself): zipfile refuses or reads it
        start += 30 + name_length + extra_length
        raw = self.content[start:start + info.compress_size]
        alike = (info.compress_type, info.CRC, raw) if info.filename in _ALIKE_PARTS else None
        if alike is not None and alike in _INFLATED:
            return _INFLATED[alike]  # the very bytes inflated and checked before: the same part
        if info.compress_type == zipfile.ZIP_STORED:
            data = raw
        elif info.compress_type == zipfile.ZIP_DEFLATED and len(raw) <= _QUICK_RAW:
            # deflate inflates at most 1032:1, so this part cannot pass the limit by much; one buffer of the
            # declared size (never more than the bytes can inflate to) spares the growing and joining of blocks
            data = deflate.decompress(raw, -15, max(1, min(info.file_size, 1032 * len(raw) + 1024)))
        elif info.compress_type == zipfile.ZIP_DEFLATED:
            data = deflate.decompressobj(-15).decompress(raw, MAX_PART + 1)
        else:
            return None
        if len(data) <= MAX_PART and deflate.crc32(data) != info.CRC:
            raise zipfile.BadZipFile(f"bad CRC in {info.filename}")
        if alike is not None and len(data) <= MAX_PART:
            if len(_INFLATED) > 32:
                _INFLATED.clear()
            _INFLATED[alike] = data
        return data

    def has(self, name: str) -> bool:
        """True when the package holds this part."""
        try:
            self.archive.getinfo(name)
        except KeyError:
            return False
        return True

    def sheet_parts(self) -> dict[str, str]:
        """Sheet name → path of its XML part, in workbook order (memoised: most books are alike)."""
        key = self.read("xl/workbook.xml"), self.read("xl/_rels/workbook.xml.rels")
        if key not in _PARTS:
            if len(_PARTS) > 256:
                _PARTS.clear()
            _PARTS[key] = _sheet_parts(*key)
        parts, self.date1904 = _PARTS[key]
        self.sheet_names = tuple(parts)
        return dict(parts)

    def _load_strings(self) -> list[str | None]:
        """Split the shared strings part into its entries (decoded later, one by one)."""
        if self._strings is None:
            name = "xl/sharedStrings.xml"
            self._string_text = self.read(name) if self.has(name) else b""
            self._string_bodies, self._run_on = _string_items(self._string_text)
            self._strings = [None] * len(self._string_bodies)
        return self._strings

    def shared_string(self, index: int) -> str:
        """One shared string, decoded the first time it is asked for."""
        strings = self._load_strings()
        found = strings[index]
        if found is None:
            body = self._string_bodies[index]
            found = strings[index] = _rich_text(body[:body.find(b"</si>")] if self._run_on else body)
        return found

    def strings_contain(self, text: bytes) -> bool:
        """True when some shared string contains `text` (lets a sheet without it be skipped)."""
        self._load_strings()
        return text in self._string_text

    def date_style(self, style: int) -> str:
        """DATE/DURATION when the cell style shows numbers as dates or times."""
        if self._styles is None:
            name = "xl/styles.xml"
            self._styles = _date_styles(self.read(name)) if self.has(name) else {}
        return self._styles.get(style, "")

    def sheet(self, part: str) -> SheetCells:
        """The cells of one worksheet part."""
        return SheetCells(self, self.read(part))


_ABSENT: tuple[Any, None] = ("", None)
_NOT_WRITTEN: tuple[Any, None] = tuple(["", None])  # `_cell_in`'s for a cell its row does not hold (built: never `_ABSENT` itself)
_OTHER_ROW: dict[bytes, re.Pattern[bytes]] = {}
_LETTERS_AZ = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_PLAIN, _SHARED_TEXT, _OTHER = object(), object(), object()
_TAGS: dict[tuple[int, int], bytes] = {}
_ROW_TAGS: dict[tuple[int, ...], tuple[bytes, ...]] = {}
_INLINE: dict[tuple[bytes, bytes], tuple[Any, tuple[str, str] | None]] = {}
_TEXT_ROWS: dict[tuple[int, bytes], tuple[tuple[int, Any], ...]] = {}


def _tag(r: int, c: int) -> bytes:
    """b'<c r="E12"': how a cell starts in its row's XML (kept: every return asks for the same cells)."""
    if len(_TAGS) > 50_000:
        _TAGS.clear()
    tag = _TAGS[(r, c)] = b'<c r="%b"' % _ref(r, c)
    return tag


def _row_tags(r: int, cols: list[int]) -> tuple[bytes, ...]:
    """How some cells of one row start in its XML (kept: every return asks for the same rows of inputs)."""
    if len(_ROW_TAGS) > 4096:
        _ROW_TAGS.clear()
    tags = _ROW_TAGS[(r, *cols)] = tuple(b'<c r="%b"' % _ref(r, c) for c in cols)
    return tags


_PLAIN_ATTRS = re.compile(rb'(?: [a-z]+="[^"<>&]*")*')
_SIMPLE_TAG = re.compile(rb'<c r="([A-Z]{1,3}[0-9]{1,7})"')
_OTHER_CELL = rb"[^>]*>(?:(?<=/>)|[^<]*(?:<(?!/c>)[^<]*)*</c>)"  # any cell between inputs: to its first </c>, if not empty
_LEARNINGS = 8
_UNSEEN: Any = object()


class _Layouts:
    """The ways one row of inputs was found written (the cells from its first input to its last, in order), each as
    the expression that splits such a row in one pass of the C engine (see `SheetCells._alike_row`)."""

    def __init__(self, tags: tuple[bytes, ...], attrs: bytes) -> None:
        self.tags, self.attrs = tags, attrs
        self.earlier = re.compile(b"|".join(re.escape(tag) for tag in tags[1:])) if len(tags) > 1 else None
        self.known: dict[tuple[bytes, ...], tuple[re.Pattern[bytes], int]] = {}
        self.learnings = 0

    def learn(self, piece: bytes, start: int) -> tuple[re.Pattern[bytes], int] | None:
        """The expression (and its number of cells) for the way this row is written, when it is a new one and its
        inputs are each written once, in order, among cells of plain references; a few tries per row at most."""
        if self.learnings >= _LEARNINGS:
            return None
        self.learnings += 1
        last = start
        for tag in self.tags[1:]:
            at = piece.find(tag)
            if at <= last:
                return None
            last = at
        end = last + len(self.tags[-1])
        refs = _SIMPLE_TAG.findall(piece, start, end)
        inputs = [tag[6:-1] for tag in self.tags]
        if len(refs) != piece.count(b'<c r="', start, end) or [ref for ref in refs if ref in inputs] != inputs:
            return None
        number = inputs[0].lstrip(_LETTERS_AZ)
        if any(ref.lstrip(_LETTERS_AZ) != number for ref in refs):
            return None  # a cell naming another row among the inputs: read cell by cell, which reports it
        if tuple(refs) in self.known:
            return None
        shape = (tuple(ref[:len(ref) - len(number)] for ref in refs), tuple(ref in inputs for ref in refs), self.attrs)
        found = self.known[tuple(refs)] = _ROW_PATTERNS.get(shape) or _row_pattern(*shape), len(refs)
        return found


_ROW_PATTERNS: dict[tuple[tuple[bytes, ...], tuple[bool, ...], bytes], re.Pattern[bytes]] = {}


def _row_pattern(columns: tuple[bytes, ...], inputs: tuple[bool, ...], attrs: bytes) -> re.Pattern[bytes]:
    """The expression splitting a run of cells in these columns (the inputs written with `attrs`, each one's <v> a
    group) in any row: the first cell's row number is the first group, and every later cell must name that row too,
    so rows laid out alike share one expression (compiling one costs a worker's first file more than reading it)."""
    if len(_ROW_PATTERNS) > 1024:
        _ROW_PATTERNS.clear()
    cell = re.escape(attrs) + rb"(?: */>|><v>([^<]*)</v></c>)"
    parts = [b'<c r="%b%b"' % (re.escape(column), rb"([0-9]+)" if n == 0 else rb"\1") + (cell if is_input else _OTHER_CELL)
             for n, (column, is_input) in enumerate(zip(columns, inputs))]
    pattern = _ROW_PATTERNS[(columns, inputs, attrs)] = re.compile(b"".join(parts))
    return pattern


_ALIKE: dict[tuple[tuple[bytes, ...], bytes], _Layouts | None] = {}


def _layouts(tags: tuple[bytes, ...], attrs: bytes) -> _Layouts | None:
    """The ways a row of inputs written alike was found (see `_Layouts`); None when the cells are not all different
    or the attributes are not plain (then an empty cell's attributes, spaces and all, might not tell its kind as
    the others' do)."""
    if len(_ALIKE) > 2048:
        _ALIKE.clear()
    found = _Layouts(tags, attrs) if len(set(tags)) == len(tags) and _PLAIN_ATTRS.fullmatch(attrs) else None
    _ALIKE[(tags, attrs)] = found
    return found


def _other_row(number: bytes) -> re.Pattern[bytes]:
    """An expression finding a cell tag naming another row than `number` (kept: every return has the same rows)."""
    other = _OTHER_ROW.get(number)
    if other is None:
        if len(_OTHER_ROW) > 4096:
            _OTHER_ROW.clear()
        other = _OTHER_ROW[number] = re.compile(rb'<c r="[A-Z]{1,3}(?![A-Z]|%b")' % number)
    return other


class SheetCells:
    """A worksheet's cells by reference; a cell's value and formula are decoded when first asked for."""

    def __init__(self, package: Package, xml: bytes) -> None:
        self.package = package
        self.xml = xml
        end = xml.find(b"</sheetData>")  # what follows (validations, formatting rules) holds no cell
        found = _rows_by_reference(xml[:end] if end > 0 else xml)
        self._cells: dict[tuple[int, int], tuple[Any, tuple[str, str] | None]] = {}
        self._masters: dict[str, tuple[str, str]] | None = None
        self._strays: dict[tuple[int, int], int] | None = None
        self.misplaced: dict[str, int] = {}  # a cell looked for and written inside another row (see `_absent`) → that row
        if found is None:
            self._split_generally()
        else:
            self.rows = found

    def _split_generally(self) -> None:
        """The rows the general way, with implied positions; a cell found written inside another row than its reference
        names is noted in `misplaced` at once (this way meets every cell anyway)."""
        self.rows, self._strays = _rows_without_references(self.xml.decode("utf-8"))
        self.misplaced = {_ref(r, c).decode(): row for (r, c), row in self._strays.items()}

    def general(self) -> SheetCells | None:
        """The same sheet read with implied positions, when some cell carries no reference."""
        if self.xml.count(b'<c r="') == len(re.findall(rb"<(?:\w+:)?c[\s>/]", self.xml)):
            return None
        again = SheetCells(self.package, b"")
        again.xml = self.xml
        again._split_generally()
        return again

    def value_and_fact(self, r: int, c: int) -> tuple[Any, tuple[str, str] | None]:
        """Both at once, decoded once: the value as `value` shows it ('' when absent) and the formula or
        error as `fact` does."""
        found = self._cells.get((r, c))
        if found is None:
            piece = self.rows.get(r)
            found = self._cells[(r, c)] = _NOT_WRITTEN if piece is None else self._cell_in(piece, r, c)
        if found is _NOT_WRITTEN:  # (also when `column` met it first)
            found = self._cells[(r, c)] = self._absent(r, c)
        return found

    def _absent(self, r: int, c: int) -> tuple[Any, None]:
        """`_ABSENT` for a cell looked for and not written in its row; first noted in `misplaced` when the XML holds it
        inside another row, or holds cells naming other rows inside this one (a hand edit of the package, a broken
        writer: Excel refuses such a file), so that the return is refused rather than a typed figure dropped unseen."""
        strays = self._strays if self._strays is not None else self._find_strays()
        if strays:
            for (sr, sc), row in strays.items():
                if (sr, sc) == (r, c) or row == r + 1:
                    self.misplaced.setdefault(_ref(sr, sc).decode(), row)
        return _ABSENT

    def _find_strays(self) -> dict[tuple[int, int], int]:
        """Every cell written inside a row its reference does not name → the row it is written in (one search of each
        row by the C engine; a row holding such a cell is then gone through cell by cell)."""
        self._strays = {}
        for r, piece in self.rows.items():
            if _other_row(b"%d" % (r + 1)).search(piece) is None:
                continue
            for ref in _SIMPLE_TAG.findall(piece):
                where = ref_to_rc(ref.decode())
                if where[0] != r:
                    self._strays.setdefault(where, r + 1)
        return self._strays

    def _cell_in(self, piece: bytes, r: int, c: int) -> tuple[Any, tuple[str, str] | None]:
        """(value, fact) of the cell at (r, c) in its row's XML, `_ABSENT` when the row does not hold it."""
        tag = _TAGS.get((r, c)) or _tag(r, c)
        start = piece.find(tag)  # the first cell written under its reference: the one this position holds
        if start < 0:
            return _NOT_WRITTEN
        start += len(tag)
        end = piece.find(b">", start)
        if piece[end - 1] == 47:  # "/": an empty cell
            attrs, body = piece[start:end - 1], b""
        else:
            attrs, body = piece[start:end], piece[end + 1:piece.find(b"</c>", end)]
        if body[:4] == b"<is>":  # text written in the cell (a key, a label): decoded alike in an earlier return
            found = _INLINE.get((attrs, body))  # (kept only by `_decoded`, past `_plain_number`, which takes no <is> body)
            if found is not None and (found[1] is None or found[1][0] != SHARED):
                return found
        return self._decoded(attrs, body, r, c)

    def row_values(self, r: int, cols: list[int]) -> list[tuple[Any, tuple[str, str] | None]]:
        """`value_and_fact` of several cells of one row (the inputs of a keyed row), the common ones (a clean
        number, an empty or absent cell) read here without the per-cell machinery."""
        piece = self.rows.get(r)
        if piece is None:
            return [self._absent(r, c) for c in cols]
        tags = _ROW_TAGS.get((r, *cols)) or _row_tags(r, cols)
        alike = self._alike_row(piece, tags)
        if alike is not None:
            return alike
        kinds, found = self.package.number_kinds, []
        find, append = piece.find, found.append
        first, last = len(piece), 0  # where the inputs found are written: checked for cells naming another row below
        for c, tag in zip(cols, tags):  # each cell read from its XML (as `value_and_fact` would the first time), not looked up
            start = find(tag)  # as `_cell_in` finds it, inline: it runs for every input of every return
            if start < 0:
                append(self._absent(r, c))
                continue
            first, last = min(first, start), max(last, start + len(tag))
            start += len(tag)
            end = find(b">", start)
            if piece[end - 1] == 47:  # "/": an empty cell
                attrs, body = piece[start:end - 1], b""
            else:
                attrs, body = piece[start:end], piece[end + 1:find(b"</c>", end)]
            kind = kinds.get(attrs) or kinds.setdefault(attrs, self._number_kind(attrs))
            if kind is _PLAIN:
                if not body:
                    append(_ABSENT)  # an empty number cell: what `_decode` makes of it, whatever its style
                    continue
                text = body[3:-4]
                if body[:3] == b"<v>" and body[-4:] == b"</v>" and b"<" not in text and text.strip():
                    number = float(text) if text.isdigit() else xsd_number(text)
                    if number is not None:
                        append((number, None))
                        continue  # (no number: `_decoded` reads it)
            append(self._decoded(attrs, body, r, c))
        if last > first:
            self._strays_among(r, piece, first, last)
        return found

    def _strays_among(self, r: int, piece: bytes, first: int, last: int) -> None:
        """Note in `misplaced` the cells naming another row written among a row's inputs read one by one (a row read in
        one pass holds none: a layout is never learnt from such a row), so that the return is refused as Excel
        refuses it."""
        if _other_row(b"%d" % (r + 1)).search(piece, first, last) is not None:
            for ref in _SIMPLE_TAG.findall(piece, first, last):
                if ref_to_rc(ref.decode())[0] != r:
                    self.misplaced.setdefault(ref.decode(), r + 1)

    def _alike_row(self, piece: bytes, tags: tuple[bytes, ...]) -> list[tuple[Any, None]] | None:
        """The inputs of a row written alike (the same attributes, a plain number style, each a number or empty: a row
        as generated and filled), split by one expression of the C engine for the way the row is laid out (other
        cells between the inputs, such as targets and formulas, are passed over); None for any other row, read cell
        by cell. The first input's attributes name the expression; the row is taken only when the run holds no
        other cell tag than the expression's and no input's tag is written before the first one, so that each
        input is the cell `_cell_in` finds."""
        texts = self._alike_texts(piece, tags)
        if texts is None:
            return None
        values: list[tuple[Any, None]] = []
        for text in texts:
            if text is None:
                values.append(_ABSENT)  # an empty number cell
            elif text.strip():
                number = float(text) if text.isdigit() else xsd_number(text)
                if number is None:
                    return None  # no number: left to the general way
                values.append((number, None))
            else:
                return None  # <v></v>: left to the general way
        return values

    def alike_numbers(self, r: int, cols: list[int]) -> tuple[bytes | None, ...] | None:
        """The numbers of a row of inputs written alike as written (None for an empty cell), each the text of a
        plain number cell that `value_and_fact` reads as `float(text)`; None for a row to read cell by cell (see
        `_alike_row`)."""
        piece = self.rows.get(r)
        if piece is None:
            return None
        return self._alike_texts(piece, _ROW_TAGS.get((r, *cols)) or _row_tags(r, cols))

    def _alike_texts(self, piece: bytes, tags: tuple[bytes, ...]) -> tuple[bytes | None, ...] | None:
        """What `_alike_row` splits a row written alike into: the text of each input's <v>, None for an empty one."""
        start = piece.find(tags[0])
        if start < 0:
            return None
        at = start + len(tags[0])
        attrs = piece[at:piece.find(b">", at)].rstrip(b"/ ")
        layouts = _ALIKE.get((tags, attrs), _UNSEEN)
        if layouts is _UNSEEN:
            layouts = _layouts(tags, attrs)
        kinds = self.package.number_kinds
        if layouts is None or (kinds.get(attrs) or kinds.setdefault(attrs, self._number_kind(attrs))) is not _PLAIN:
            return None
        for layout in tuple(layouts.known.values()):  # (a copy: another thread may learn a layout meanwhile)
            found = layout[0].match(piece, start)
            if found is not None:
                break
        else:
            layout = layouts.learn(piece, start)
            if layout is None:
                return None
            found = layout[0].match(piece, start)
        count = layout[1]
        if (found is None or piece.count(b'<c r="', start, found.end()) != count
                or (layouts.earlier is not None and layouts.earlier.search(piece, 0, start) is not None)):
            return None  # (the first group is the row's number: `start` is where the first input's own tag is)
        return found.groups()[1:]

    def _decoded(self, attrs: bytes, body: bytes, r: int, c: int) -> tuple[Any, tuple[str, str] | None]:
        """(value, fact) of the cell at (r, c) written as `attrs` and `body` (a cell written alike in the same
        package is decoded once)."""
        found = self._plain_number(attrs, body)
        if found is None:
            known = _INLINE if b' t="inlineStr"' in attrs else self.package.decoded  # text written in the cell: any package's
            found = known.get((attrs, body))
            if found is None:
                if len(_INLINE) > 20_000:
                    _INLINE.clear()
                found = known[(attrs, body)] = self._decode(attrs, body)
            if found[1] is not None and found[1][0] == SHARED:
                found = found[0], ("formula", self._shared_formula(found[1][1], r, c))
        return found

    def _plain_number(self, attrs: bytes, body: bytes) -> tuple[Any, None] | None:
        """The common cells, a typed number (no type or t="n", no formula, a style that shows no date) or a
        shared string by its index, decoded here; None for any other cell, which `_decode` reads (the same
        value, by the general way)."""
        if body[:3] != b"<v>" or body[-4:] != b"</v>":
            return None
        kinds = self.package.number_kinds
        kind = kinds.get(attrs)
        if kind is None:
            kind = kinds[attrs] = self._number_kind(attrs)
        if kind is _OTHER:
            return None
        text = body[3:-4]
        if kind is _SHARED_TEXT:
            if not text.isdigit():
                return None
            try:
                return self.package.shared_string(int(text)), None
            except (ValueError, IndexError):  # (an index of thousands of digits: more than int() takes from text)
                return _ABSENT
        if b"<" in text or not text.strip():
            return None
        number = float(text) if text.isdigit() else xsd_number(text)
        return None if number is None else (number, None)  # (no number: `_decode` reads it)

    def _number_kind(self, attrs: bytes) -> object:
        """_PLAIN for the attributes of a number cell whose style shows no date or time, _SHARED_TEXT for
        a shared string's; _OTHER otherwise."""
        kind, style = _type_and_style(attrs)
        if kind != b"n":
            return _SHARED_TEXT if kind == b"s" else _OTHER
        return _OTHER if style.isdigit() and self.package.date_style(int(style)) else _PLAIN

    def typed_over(self, r: int, c: int) -> bool:
        """True when a cell holds a value but no formula (a formula cell typed over), without decoding it."""
        piece = self.rows.get(r, b"")
        at = piece.find(_TAGS.get((r, c)) or _tag(r, c))
        if at < 0:
            return False
        following = piece.find(b"<c ", at + 1)
        written = piece[at:following if following > 0 else len(piece)]
        return b"<f" not in written and (b"<v" in written or b"<is>" in written)

    def formulas_from(self, r: int, c: int, from_end: bool = False) -> int:
        """How many formulas (`<f` marks) row r holds from the cell at column c on, that cell's own included; -1
        when that cell is not written. The cell is looked for from the row's end when it is among its last ones,
        so that only the bytes from it on are read."""
        piece = self.rows.get(r)
        if piece is None:
            return -1
        tag = _TAGS.get((r, c)) or _tag(r, c)
        at = piece.rfind(tag) if from_end else piece.find(tag)
        return piece.count(b"<f", at) if at >= 0 else -1

    def _shared_formula(self, index: str, r: int, c: int) -> str:
        """The text of a shared formula (a formula filled across cells) as it reads at (r, c).

        Only the first cell of a shared formula carries its text; the others name it by index,
        so the text is taken from that cell and its relative references moved by the offset.
        """
        if self._masters is None:
            self._masters = {}
            for piece in self.rows.values():
                if b't="shared"' not in piece:
                    continue
                for match in _SHARED_MASTER.finditer(piece):
                    si = _SHARED_INDEX.search(match.group(1))
                    cell = piece.rfind(b'<c r="', 0, match.start())
                    if si is None or cell < 0:
                        continue
                    ref = piece[cell + 6:piece.find(b'"', cell + 6)].decode("ascii", "replace")
                    self._masters.setdefault(si.group(1).decode(), (ref, "=" + written_text(match.group(2))))
        master = self._masters.get(index)
        if master is None:
            return "=…"
        origin, text = master
        try:
            from openpyxl.formula.translate import Translator  # only for a formula filled over inputs: rare

            return Translator(text, origin=origin).translate_formula(_ref(r, c).decode())
        except Exception:  # noqa: BLE001 - a formula the translator cannot parse is shown as written in its first cell
            return text

    def value(self, r: int, c: int) -> Any:
        """The value at a 0-based position, as calamine shows it ('' when empty or absent)."""
        return self.value_and_fact(r, c)[0]

    def fact(self, r: int, c: int) -> tuple[str, str] | None:
        """('formula', '=…') or ('error', '#DIV/0!') for such a cell, None otherwise."""
        return self.value_and_fact(r, c)[1]

    def _decode(self, attrs: bytes, body: bytes) -> tuple[Any, tuple[str, str] | None]:
        kind = _type_and_style(attrs)[0]
        if kind == b"n" and body[:3] == b"<v>" and body[-4:] == b"</v>" and b"<" not in body[3:-4]:
            return self._number(attrs, body[3:-4])  # the common cell: a plain number (t="n" or no type), no formula
        fact = None
        if b"<f" in body:
            formula = _FORMULA.search(body)
            if formula is not None:
                fact = _formula_fact(formula.group(1) or b"", formula.group(2) or b"")
        if kind == b"inlineStr":
            start, end = body.find(b"<is>"), body.rfind(b"</is>")
            return (_rich_text(body[start + 4:end]) if start >= 0 else ""), fact
        if body[:3] == b"<v>":
            raw: bytes | None = body[3:body.find(b"</v>")]
        else:
            found = _VALUE.search(body) if b"<v" in body else None
            raw = found.group(1) if found else None
        if kind == b"e":
            return "", fact or ("error", raw.decode("utf-8", "replace") if raw is not None else "#ERROR")
        if not raw or not raw.strip():
            return "", fact
        if kind == b"s":
            try:
                return self.package.shared_string(int(raw)), fact
            except (ValueError, IndexError):
                return "", fact
        if kind in (b"str", b"d"):
            return written_text(raw), fact
        if kind == b"b":
            return raw.strip() != b"0", fact
        return self._number(attrs, raw)[0], fact

    def _number(self, attrs: bytes, raw: bytes) -> tuple[Any, None]:
        """A number cell's value: a date or time when its style shows it as one."""
        if not raw.strip():
            return _ABSENT
        number = number_text(raw)
        if type(number) is str:
            return number, None
        style = _type_and_style(attrs)[1]
        kind_ = self.package.date_style(int(style)) if style.isdigit() else ""
        return (excel_date(number, kind_, self.package.date1904) if kind_ else number), None

    def facts(self) -> Iterator[tuple[tuple[int, int], tuple[str, str]]]:
        """Every formula and error cell of the sheet."""
        for r in list(self.rows):
            for c, _value in self._written(r):
                fact = self.fact(r, c)
                if fact is not None:
                    yield (r, c), fact

    def _written(self, r: int) -> list[tuple[int, Any]]:
        """(column, value) of every cell written in one row, left to right."""
        piece = self.rows.get(r)
        if piece is None:
            return []
        if b"<v" in piece or b"<f" in piece or len(piece) > 8_192:
            return list(self._row_pass(r, piece).items())
        # only text written in the cells (a key row as generated): the same values in any package, kept
        found = _TEXT_ROWS.get((r, piece))
        if found is None:
            if len(_TEXT_ROWS) > 512:
                _TEXT_ROWS.clear()
            found = _TEXT_ROWS[(r, piece)] = tuple(self._row_pass(r, piece).items())
        return list(found)

    def _row_pass(self, r: int, piece: bytes) -> dict[int, Any]:
        """Column → value of every cell of a row, in one pass over its XML (the same values `value` gives one by
        one: the first cell written under a reference wins, a cell that names another row is not this row's)."""
        number = b"%d" % (r + 1)
        found: dict[int, Any] = {}
        for chunk in piece.split(b'<c r="')[1:]:
            q = chunk.find(b'"')
            letters = chunk[:q - len(number)] if chunk[:q].endswith(number) else b""
            if not (0 < len(letters) <= 3 and letters.isalpha() and letters.isupper()):
                continue
            c = _column(letters)
            if c in found:
                continue
            cell = self._cells.get((r, c))
            if cell is None:
                end = chunk.find(b">", q)
                close = chunk.find(b"</c>", end)
                if end > 0 and chunk[end - 1] == 47:  # "/": an empty cell
                    cell = self._decoded(chunk[q + 1:end - 1], b"", r, c)
                elif end > 0 and close > 0:
                    cell = self._decoded(chunk[q + 1:end], chunk[end + 1:close], r, c)
                else:
                    cell = self.value_and_fact(r, c)  # not well formed: read the general way
                self._cells[(r, c)] = cell
            found[c] = cell[0]
        return found

    def column(self, c: int) -> list[tuple[int, Any]]:
        """(row, value) of the non-empty cells of one column, top to bottom."""
        found, cells = [], self._cells
        for r, piece in self.rows.items():  # `value`, inline: a key column is read in every return
            cell = cells.get((r, c))
            if cell is None:
                cell = cells[(r, c)] = self._cell_in(piece, r, c)
            if cell[0] != "":
                found.append((r, cell[0]))
        return found

    def row(self, r: int) -> list[tuple[int, Any]]:
        """(column, value) of the non-empty cells of one row, left to right."""
        return [(c, value) for c, value in self._written(r) if value != ""]

    def find_mark(self, mark: str, limit: int = 50) -> tuple[int, int, str] | None:
        """Where a text starting with `mark` is, searched row by row in the top-left corner."""
        first = self.value(0, 0)
        if isinstance(first, str) and first.startswith(mark):
            return 0, 0, first[len(mark):].strip()
        for r in sorted(r for r in self.rows if r < limit):
            for c, value in self.row(r):
                if c < limit and isinstance(value, str) and value.startswith(mark):
                    return r, c, value[len(mark):].strip()
        return None


def _string_items(text: bytes) -> tuple[list[bytes], bool]:
    """The bodies of a shared strings part's items, and whether each runs on past its closing tag.

    Items written one after another, unprefixed, without attributes (as Excel and LibreOffice write
    them) are split apart by a plain split and each cut at its end tag when first decoded; anything
    else goes through the regular expression. Both give the same bodies for such a part.
    """
    count = text.count(b"<si>")
    if (count and b":si" not in text and text.count(b"<si") == count == text.count(b"</si>")
            and text.count(b"</si><si>") == count - 1 and text.find(b"<si>") < text.find(b"</si>")
            and text.rfind(b"<si>") < text.rfind(b"</si>")):
        return text.split(b"<si>")[1:], True  # open, close, open, close …: each part holds its item, then its end tag
    return _STRING_ITEM.findall(text), False


def _formula_fact(attrs: bytes, text: bytes) -> tuple[str, str]:
    """('formula', '=…'), or (SHARED, index) for a cell of a shared formula that does not carry its text."""
    if not text and b"shared" in attrs:
        index = _SHARED_INDEX.search(attrs)
        if index is not None:
            return SHARED, index.group(1).decode()
    return "formula", "=" + written_text(text)


def _rows_by_reference(xml: bytes) -> dict[int, bytes] | None:
    """Row number → the row's XML, when rows and cells carry their reference first (as most writers do).

    Cells are then found by their own reference. A cell whose `r` is not its first attribute
    (attribute order carries no meaning in XML) makes the whole sheet go the general way, with
    attributes in any order. A sheet with prefixed tags shows no key mark this way, and
    `SheetCells.general` reads it again with implied positions.
    """
    if _UNREFERENCED_CELL.search(xml):
        return None
    rows: dict[int, bytes] = {}
    for piece in xml.split(b"<row")[1:]:
        at = 4 if piece[:4] == b' r="' else _row_number_at(piece)
        if at < 0:
            return None
        number = piece[at:piece.find(b'"', at)]
        if not number.isdigit():
            return None
        r = int(number) - 1
        rows[r] = rows[r] + piece if r in rows else piece
    return rows


def _row_number_at(piece: bytes) -> int:
    """Where the number of a row tag spaced otherwise than `<row r="` starts (a tab, a newline, more spaces), -1 when
    its reference is not its first attribute in double quotes (`<row>`, `r='12'`: the sheet is read the general way)."""
    stripped = piece.lstrip(b" \t\r\n")
    if len(stripped) == len(piece) or stripped[:3] != b'r="':
        return -1
    return len(piece) - len(stripped) + 3


def _rows_without_references(xml: str) -> tuple[dict[int, bytes], dict[tuple[int, int], int]]:
    """Rows of a sheet written without `r` attributes or with prefixed tags, positions implied; and every cell whose
    reference names another row than the numbered row it is written in → that row."""
    rows: dict[int, bytes] = {}
    strays: dict[tuple[int, int], int] = {}
    row, col, numbered = -1, -1, -1
    token = re.compile(r"<(?:\w+:)?row\b([^>]*?)(/?)>|<(\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
    for match in token.finditer(xml):
        if match.group(4) is None and match.group(1) is not None:
            attrs = _attrs(match.group(1))
            row = int(attrs["r"]) - 1 if attrs.get("r", "").isdigit() else row + 1
            numbered = row if attrs.get("r", "").isdigit() else -1
            col = -1
            continue
        attrs_text, body, prefix = match.group(4), match.group(5), match.group(3) or ""
        ref = _attrs(attrs_text).get("r", "")
        if _REF.match(ref):
            row, col = ref_to_rc(ref)
            if numbered >= 0 and row != numbered:
                strays.setdefault((row, col), numbered + 1)
        else:
            col += 1
            ref = f"{col_letter(col)}{row + 1}"
        if prefix:
            body = re.sub(rf"<(/?){re.escape(prefix)}", r"<\1", body or "")
        attrs_text = re.sub(r"""\sr\s*=\s*(?:"[^"]*"|'[^']*')""", "", attrs_text)
        cell = f'<c r="{ref}"' + (f"{attrs_text}/>" if body is None else f"{attrs_text}>{body}</c>")
        rows[row] = rows.get(row, b"") + cell.encode()
    return rows, strays


def _sheet_parts(book_xml: bytes, rels_xml: bytes) -> tuple[dict[str, str], bool]:
    """Sheet parts and the 1904 date system flag, from workbook.xml and its relationships."""
    book, rels = book_xml.decode("utf-8"), rels_xml.decode("utf-8")
    date1904 = re.search(r"""date1904\s*=\s*["'](1|true)["']""", book) is not None
    targets = {a.get("Id"): a.get("Target", "") for a in map(_attrs, _REL.findall(rels))}
    parts = {}
    for attrs in map(_attrs, _SHEET.findall(book)):
        rel = next((v for k, v in attrs.items() if k.endswith(":id")), "")
        target = targets.get(rel, "")
        path = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
        parts[attrs.get("name", "")] = path
    return parts, date1904
