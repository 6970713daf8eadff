"""Worksheets that take a whole row of cells at once and write its XML themselves.

The national summary of thousands of communes has hundreds of thousands of cells; through
xlsxwriter's cell-by-cell API each costs about 10 µs (argument checks and a tuple per cell when
written, then attribute lists and escaping per cell when the book closes). Here a row becomes one
XML string when it is written, kept in a temporary file (not in memory), and copied into the sheet
when the book closes, byte for byte what xlsxwriter itself would have written: same shared
strings in the same order, same style indices, same row spans.

Everything else (row heights, merges, columns, page setup, conditional formats, autofilter,
freeze panes, dimensions) stays with xlsxwriter. This leans on xlsxwriter internals (the cell
table, `_write_cell`, `_check_dimensions`, the shared string table, `Format._get_xf_index`), so
pyproject pins xlsxwriter to 3.3.x; tests/test_bulk_xlsx.py compares the two ways part by part.

Deflate at its default level takes half the time of writing such a book; level 1 packs the same
parts about three times faster for a file a third larger.
"""

from __future__ import annotations

import functools
import gc
import io
import os
import pickle
import shutil
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import IO, Any, NamedTuple

from xlsxwriter.format import Format
from xlsxwriter.utility import _utf16_len, _utf16_truncate
from xlsxwriter.worksheet import CellStringTuple
from xlsxwriter.workbook import Workbook

from . import deflate
from .render import PlainFormulas
from .spec import col_letter


class _Letters(dict[int, str]):
    """Column letters by column number, each computed once."""

    def __missing__(self, col: int) -> str:
        self[col] = col_letter(col)
        return self[col]


_LETTERS = _Letters()
_STYLE = "%({})s"  # a cell's style until the book closes (xlsxwriter numbers styles in the order it first writes them): a row is one `%`


class Formula(str):
    """A cell's formula, '=' first; written with an empty cached result, as `write_formula(..., "")` does."""

    __slots__ = ()


class Rendered(NamedTuple):
    """Cells of one row made XML already (styles from `RowSheet.style_attribute`, any % doubled), from the column given
    with it up to `last`, and the style attributes they use in the order they first appear: a table's repeated cells
    (the national summary's target / achieved / completion triples) made without the per-cell checks of `write_cells`."""

    xml: str
    last: int
    styles: tuple[str, ...]


class _Chunk:
    """Where one row's cells wait (in the temporary file, or in memory for the one row a constant_memory
    sheet holds), and the styles it uses in the order they first appear."""

    __slots__ = ("offset", "length", "styles", "xml")

    def __init__(self, offset: int, length: int, styles: tuple[str, ...], xml: str | None = None) -> None:
        self.offset, self.length, self.styles, self.xml = offset, length, styles, xml


_END = object()  # marks a row's last column in xlsxwriter's table, so the row spans come out as before


def escape_text(text: str) -> str:
    """XML text escaping as xlsxwriter does it (quotes stay as they are), and % doubled for the row's `%` formatting."""
    if "&" in text or "<" in text or ">" in text:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("%", "%%") if "%" in text else text


SHORT_TEXT = 200  # characters: an inline text this long or shorter is made XML once per sheet


class RowSheet(PlainFormulas):
    """A worksheet whose big tables are written a row at a time (`write_cells`), the rest through xlsxwriter as usual.

    A row written with `write_cells` must not also get cells through the ordinary methods. In
    constant_memory mode rows must come top to bottom, as for any xlsxwriter sheet in that mode.
    """

    def _initialize(self, init_data: dict[str, Any]) -> None:
        super()._initialize(init_data)
        self._rows_file: IO[bytes] | None = None
        self._read_at = -1
        self._styles: dict[Format | None, str] = {None: ""}
        self._style_formats: list[Format] = []
        self._style_numbers: dict[str, str] = {}  # style attribute → the style's number in this sheet
        self._style_orders: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._inline_bodies: dict[str, str] = {}  # short inline texts' XML (`_inline_body`)
        self._xf_numbers: dict[str, str] = {}  # a style's number in this sheet → its xf index, once xlsxwriter has given it
        self.packed: tuple[IO[bytes], Packed] | None = None  # this sheet's part, deflated already (`pack`, `LightZipBook.adopt`)

    def _style(self, fmt: Format) -> str:
        """A format's style attribute in this sheet until the book closes (the format kept alive in a list)."""
        number = str(len(self._style_formats))
        self._styles[fmt] = f' s="{_STYLE.format(number)}"'
        self._style_numbers[self._styles[fmt]] = number  # each format's attribute differs, by its number
        self._style_formats.append(fmt)
        return self._styles[fmt]

    def style_attribute(self, fmt: Format) -> str:
        """The style attribute a cell of this format carries in this sheet's rows (for `Rendered` cells)."""
        return self._styles.get(fmt) or self._style(fmt)

    def write_cells(self, row: int, cells: Iterable[tuple[int, Any, Format | None]]) -> None:
        """One row's cells as (column, value, format), columns rising: a number, a datetime, a `Formula`, text, or None
        (a blank that shows its format), or `Rendered` cells (format None). Empty text is a blank, as with `write`."""
        row_text = str(row + 1)
        parts: list[str] = []
        add = parts.append
        used: dict[str, None] = {}  # the row's styles in the order they first appear (a dict: no search per cell)
        first = last = -1
        styles, letters = self._styles, _LETTERS
        for col, value, fmt in cells:
            style = styles.get(fmt)
            if style is None:
                style = self._style(fmt)
            used[style] = None
            kind = value.__class__
            if kind is float or kind is int:
                add(f'<c r="{letters[col]}{row_text}"{style}><v>{value:.16G}</v></c>')
            elif kind is Formula:
                add(f'<c r="{letters[col]}{row_text}"{style}><f>{escape_text(value[1:] if value[:1] == "=" else value)}</f><v></v></c>')
            elif kind is Rendered:
                add(value.xml)
                used.update(dict.fromkeys(value.styles))
                if first < 0:
                    first = col
                last = value.last
                continue
            elif value is None or value == "":
                if not style:
                    continue
                add(f'<c r="{letters[col]}{row_text}"{style}/>')
            elif kind is str:
                add(self._string(letters[col] + row_text, style, value))
            else:
                add(self._other(letters[col] + row_text, style, value))
            if first < 0:
                first = col
            last = col
        if first < 0:
            return
        if self._check_dimensions(row, first) or self._check_dimensions(row, last):
            return
        if self.constant_memory and row > self.previous_row:
            self._write_single_row(row)
        if self.table.get(row):
            raise ValueError(f"write_cells: row {row + 1} already has cells")
        used.pop("", None)
        numbers = tuple(self._style_numbers[style] for style in used)
        self.table[row][first] = self._store("".join(parts), self._style_orders.setdefault(numbers, numbers))
        if last != first:
            self.table[row][last] = _END

    def _other(self, ref: str, style: str, value: Any) -> str:
        """A cell that is neither a plain number, a formula nor a blank."""
        if isinstance(value, datetime):
            return f'<c r="{ref}"{style}><v>{self._convert_date_time(value):.16G}</v></c>'
        if isinstance(value, str):
            return self._string(ref, style, value)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return f'<c r="{ref}"{style}><v>{value:.16G}</v></c>'
        raise TypeError(f"write_cells: {value!r} is not a number, formula, text or blank")

    def _string(self, ref: str, style: str, value: str) -> str:
        """A text cell: a shared string, or in constant_memory mode an inline one, as xlsxwriter writes them."""
        if len(value) > self.xls_strmax // 2 and _utf16_len(value) > self.xls_strmax:
            value = _utf16_truncate(value, self.xls_strmax)
        if not (self.constant_memory or self.inline_strings):
            return f'<c r="{ref}"{style} t="s"><v>{self.str_table._get_shared_string_index(value)}</v></c>'
        body = self._inline_bodies.get(value)
        if body is None:
            body = self._inline_body(value)
        return f'<c r="{ref}"{style} t="inlineStr">{body}</c>'

    def _inline_body(self, value: str) -> str:
        """An inline text's `<is>` element, kept for a short text (names and labels repeat from row to row)."""
        text = value
        if "_x" in text or not text.isprintable():  # only then can there be a control character or an _xHHHH_ to escape
            text = self._escape_control_characters(text)
        space = ' xml:space="preserve"' if text[0].isspace() or text[-1].isspace() else ""  # xlsxwriter's ^\s|\s$
        body = f"<is><t{space}>{escape_text(text)}</t></is>"
        if len(value) <= SHORT_TEXT:
            if len(self._inline_bodies) >= 256:
                self._inline_bodies.clear()  # those that repeat come again soon (a unit's rows are together): a few kept at a time
            self._inline_bodies[value] = body
        return body

    def _store(self, xml: str, styles: tuple[str, ...]) -> _Chunk:
        """Append a row's XML to the temporary file (a constant_memory sheet writes it out with the next row)."""
        if self.constant_memory:
            return _Chunk(-1, 0, styles, xml)
        if self._rows_file is None:
            self._rows_file = tempfile.TemporaryFile(dir=self.tmpdir)  # noqa: SIM115 - closed when the sheet is assembled
            self._read_at = -1
        data = xml.encode()
        if self._read_at != -1:
            self._rows_file.seek(0, 2)
            self._read_at = -1
        offset = self._rows_file.tell()
        self._rows_file.write(data)
        return _Chunk(offset, len(data), styles)

    def _write_cell(self, row: int, col: int, cell: Any) -> None:
        """A stored row's XML, with its styles numbered now; xlsxwriter's own cells as usual."""
        if cell.__class__ is _Chunk:
            xml = cell.xml if cell.xml is not None else self._stored(cell)
            numbers = self._xf_numbers
            for number in cell.styles:
                if number not in numbers:
                    numbers[number] = str(self._style_formats[int(number)]._get_xf_index())
            self.fh.write(xml % numbers)
        elif cell is not _END:
            super()._write_cell(row, col, cell)

    def _calculate_spans(self) -> None:
        """xlsxwriter's row spans (the columns used per block of 16 rows), from the columns each row holds rather than
        a test of every column of the sheet in every row."""
        spans: dict[int, str] = {}
        span_min = span_max = -1
        table, comments, low, high = self.table, self.comments, self.dim_colmin, self.dim_colmax
        for row_num in range(self.dim_rowmin, self.dim_rowmax + 1):
            for held in (table.get(row_num), comments.get(row_num)):
                used = [col for col in held if low <= col <= high] if held else ()
                if used:
                    lo, hi = min(used), max(used)
                    span_min, span_max = (lo, hi) if span_min < 0 else (min(span_min, lo), max(span_max, hi))
            if (row_num + 1) % 16 == 0 or row_num == self.dim_rowmax:
                if span_min >= 0:
                    spans[int(row_num / 16)] = f"{span_min + 1}:{span_max + 1}"
                    span_min = -1
        self.row_spans = spans

    def _write_rows(self) -> None:
        """xlsxwriter's rows, each row's cells visited in column order rather than every column of the sheet tested."""
        self._calculate_spans()
        table, row_info, comments, spans = self.table, self.row_info, self.comments, self.row_spans
        low, high = self.dim_colmin, self.dim_colmax
        for row_num in range(self.dim_rowmin, self.dim_rowmax + 1):
            cells = table.get(row_num)
            if not (cells or row_num in row_info or row_num in comments):
                continue
            span = spans.get(int(row_num / 16))
            if cells:
                self._write_row(row_num, span, row_info.get(row_num))
                for col_num in sorted(cells):
                    if low <= col_num <= high:
                        self._write_cell(row_num, col_num, cells[col_num])
                self._xml_end_tag("row")
            else:
                self._write_empty_row(row_num, span, row_info.get(row_num))

    def _stored(self, cell: _Chunk) -> str:
        """A row's XML back from the temporary file (read in the order written, so seldom with a seek)."""
        assert self._rows_file is not None
        if self._read_at != cell.offset:
            self._rows_file.seek(cell.offset)
        self._read_at = cell.offset + cell.length
        return self._rows_file.read(cell.length).decode()

    inline_strings = False  # True: text cells hold their text (`InlineRowSheet`)

    def pack(self, out: IO[bytes]) -> Packed:
        """Assemble this finished sheet now, deflated into `out` as the book's zip would deflate it: closing the book
        then only copies it (and a forked child can make a sheet for its parent's book, `render_sheets`)."""
        start = out.tell()
        sink = _Deflating(out)
        text = io.TextIOWrapper(io.BufferedWriter(sink, 1 << 16), encoding="utf-8")  # as xlsxwriter opens a part
        self.fh, self.internal_fh = text, False
        self._assemble_xml_file()
        text.flush()
        self.packed = (out, sink.finish(start))
        return self.packed[1]

    def _assemble_xml_file(self) -> None:
        """Write the sheet (nothing when it is packed already: the zip takes its deflated part), then drop the temporary rows."""
        if self.packed is not None:
            self._xml_close()  # the part's file stays empty
            return
        super()._assemble_xml_file()
        if self._rows_file is not None:
            self._rows_file.close()
            self._rows_file = None


class InlineRowSheet(RowSheet):
    """A RowSheet whose text cells hold their own text (`t="inlineStr"`), as in constant_memory mode, instead of an
    index into the book's shared strings: its XML can be made in another process (`render_sheets`) and still fit."""

    inline_strings = True

    def _write_string(self, row: int, col: int, string: str, cell_format: Format | None = None) -> int:
        """xlsxwriter's own text cells (titles, headers, merged labels), kept as text rather than shared."""
        if self._check_dimensions(row, col):
            return -1
        error = 0
        if len(string) > self.xls_strmax // 2 and _utf16_len(string) > self.xls_strmax:
            string, error = _utf16_truncate(string, self.xls_strmax), -2
        self.table[row][col] = CellStringTuple(string, cell_format)
        return error

    def _write_cell(self, row: int, col: int, cell: Any) -> None:
        """A text cell written inline, the way xlsxwriter writes one in constant_memory mode."""
        if cell.__class__ is not CellStringTuple:
            super()._write_cell(row, col, cell)
            return
        self.constant_memory = True  # xlsxwriter's switch between shared and inline text, for this one cell
        try:
            super()._write_cell(row, col, cell)
        finally:
            self.constant_memory = False


class Packed(NamedTuple):
    """A sheet's part deflated: where it lies in its file, and what the zip's headers say of it."""

    start: int
    length: int
    crc: int
    size: int


class _Deflating(io.RawIOBase):
    """Deflates what is written into a file, at the zip's level, counting its size and CRC as the zip does."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out, self.crc, self.size = out, 0, 0
        self.compressor = deflate.compressobj(LEVEL, deflate.DEFLATED, -15)  # zipfile's own compressor for ZIP_DEFLATED

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.crc = deflate.crc32(data, self.crc)
        self.size += len(data)
        self.out.write(self.compressor.compress(data))
        return len(data)

    def finish(self, start: int) -> Packed:
        """The deflated stream ended; where it lies."""
        self.out.write(self.compressor.flush())
        return Packed(start, self.out.tell() - start, self.crc, self.size)


BOOK_ATTRIBUTES = ("hidden", "selected", "autofilter_area", "print_area_range", "repeat_row_range", "repeat_col_range")
"""What the book's own parts (workbook.xml, app.xml) read of a sheet: sent along with a sheet packed elsewhere."""


def render_sheets(sheets: Iterable[RowSheet], file: Path) -> None:
    """Whole sheets packed one after another into `file`, then where each one lies and its BOOK_ATTRIBUTES (for
    `LightZipBook.adopt`): run in a forked child on its copy of the book while the parent writes the other sheets.
    Only sheets of inline text (`InlineRowSheet`) and of styles numbered before the fork fit the parent's book."""
    places = []
    with open(file, "wb") as out:
        for sheet in sheets:
            if not sheet.inline_strings:
                raise ValueError(f"{sheet.name}: its text would be in this process's shared strings")
            places.append((sheet.name, tuple(sheet.pack(out)), {name: getattr(sheet, name) for name in BOOK_ATTRIBUTES}))
        index = out.tell()
        pickle.dump(places, out)
        out.write(index.to_bytes(8, "little"))


LEVEL = 1


class _LightZip(zipfile.ZipFile):
    """A zip archive deflated at level 1 unless told otherwise, taking parts deflated already (`packed`, by their name)."""

    def __init__(self, *args: Any, packed: dict[str, tuple[IO[bytes], Packed]] | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("compresslevel", LEVEL)
        super().__init__(*args, **kwargs)
        self.packed = packed or {}

    def writestr(self, zinfo_or_arcname: Any, data: Any, compress_type: Any = None, compresslevel: Any = None) -> None:
        """A part made in memory (`LightZipBook` is `in_memory`), or its packed bytes copied as `writestr` would have
        deflated them."""
        name = getattr(zinfo_or_arcname, "filename", zinfo_or_arcname)
        if name not in self.packed:
            super().writestr(zinfo_or_arcname, data, compress_type, self.compresslevel if compresslevel is None else compresslevel)
            return
        source, part = self.packed[name]
        zinfo = zipfile.ZipInfo(name, getattr(zinfo_or_arcname, "date_time", time.localtime(time.time())[:6]))
        zinfo.compress_type, zinfo._compresslevel = self.compression, self.compresslevel  # type: ignore[attr-defined]
        zinfo.flag_bits, zinfo.external_attr = 0, zinfo.external_attr or 0o600 << 16
        zinfo.file_size, zinfo.compress_size, zinfo.CRC = part.size, part.length, part.crc
        zip64 = part.size * 1.05 > zipfile.ZIP64_LIMIT
        if zip64 and not self._allowZip64:  # type: ignore[attr-defined]
            raise zipfile.LargeZipFile("Filesize would require ZIP64 extensions")
        self.fp.seek(self.start_dir)  # type: ignore[union-attr]
        zinfo.header_offset = self.fp.tell()  # type: ignore[union-attr]
        self._writecheck(zinfo)  # type: ignore[attr-defined]
        self._didModify = True
        self.fp.write(zinfo.FileHeader(zip64))  # type: ignore[union-attr]
        source.seek(part.start)
        shutil.copyfileobj(_Slice(source, part.length), self.fp, 1 << 20)
        self.start_dir = self.fp.tell()  # type: ignore[union-attr]
        self.filelist.append(zinfo)
        self.NameToInfo[zinfo.filename] = zinfo


class _Slice:
    """The next `length` bytes of a file, as a file."""

    def __init__(self, source: IO[bytes], length: int) -> None:
        self.source, self.left = source, length

    def read(self, size: int = -1) -> bytes:
        data = self.source.read(self.left if size < 0 else min(size, self.left))
        self.left -= len(data)
        return data


class LightZipBook(Workbook):
    """An xlsxwriter workbook whose parts are deflated at level 1 (the same parts, packed about three times faster), and
    whose finished sheets may be packed before it closes, here (`pack`) or in a forked child (`adopt`).

    xlsxwriter names its zip class at module level, so it is swapped there while this book is stored: two
    threads storing books at the same moment could swap each other's level (never the parts themselves).
    """

    def __init__(self, filename: str, options: dict[str, Any] | None = None) -> None:
        super().__init__(filename, {**(options or {}), "in_memory": True})  # its small parts made in memory, not each in a
        # temporary file made, stamped, copied into the zip and removed (39 of them: 15 ms of a 63-return run)
        self._pack_file: IO[bytes] | None = None
        self._opened: list[IO[bytes]] = []  # files the packed sheets lie in, closed once the book is stored

    def pack(self, sheets: Iterable[RowSheet]) -> None:
        """Pack these finished sheets now (into an unnamed scratch file), so closing the book only copies them."""
        if self._pack_file is None:
            self._pack_file = tempfile.TemporaryFile(dir=self.tmpdir)  # noqa: SIM115 - closed when the book is stored
            self._opened.append(self._pack_file)
        for sheet in sheets:
            sheet.pack(self._pack_file)

    def adopt(self, file: Path, names: Iterable[str]) -> bool:
        """Give the sheets `names` what `render_sheets` packed into `file` (in a child); False, nothing adopted,
        unless every one is there."""
        try:
            source = open(file, "rb")  # noqa: SIM115 - closed when the book is stored
        except OSError:
            return False
        try:
            source.seek(-8, os.SEEK_END)
            source.seek(int.from_bytes(source.read(8), "little"))
            places = {name: (Packed(*part), attributes) for name, part, attributes in pickle.load(source)}
        except (OSError, ValueError, EOFError, TypeError, pickle.UnpicklingError):
            source.close()
            return False
        wanted = list(names)
        if sorted(places) != sorted(wanted):
            source.close()
            return False
        self._opened.append(source)
        for name in wanted:
            part, attributes = places[name]
            sheet = self.get_worksheet_by_name(name)
            for attribute, value in attributes.items():
                setattr(sheet, attribute, value)
            sheet.packed = (source, part)
        return True

    def _store_workbook(self) -> None:
        module = sys.modules[Workbook.__module__]
        plain = module.ZipFile  # type: ignore[attr-defined]
        sheets = [sheet for sheet in self.worksheets() if not sheet.is_chartsheet]
        packed = {f"xl/worksheets/sheet{n}.xml": sheet.packed for n, sheet in enumerate(sheets, 1) if getattr(sheet, "packed", None)}
        module.ZipFile = functools.partial(_LightZip, packed=packed)  # type: ignore[attr-defined]
        try:
            super()._store_workbook()
        finally:
            module.ZipFile = plain  # type: ignore[attr-defined]
            for opened in self._opened:
                opened.close()


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector paused while a big workbook is built: the hundreds of thousands of short-lived
    tuples a book's rows are made of would set it walking every live object (the whole consolidation) again
    and again, a tenth of the time; the few cycles made meanwhile are collected when it resumes."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()
