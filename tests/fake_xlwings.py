"""A small stand-in for an xlwings Book, honouring exactly the calls the add-in makes.

It behaves as Excel does where that matters: reading a range gives floats for numbers, None for
empty cells and a 1-D list for a single row or column; writing a string that looks like a number
or a date converts it (so '01' must be written as "'01" to stay text); writing '=…' stores a formula.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import openpyxl

_LETTERS = re.compile(r"^([A-Z]+)(\d+)$")


def _rc(address: str) -> tuple[int, int]:
    letters, digits = _LETTERS.match(address).groups()
    col = 0
    for ch in letters:
        col = col * 26 + ord(ch) - 64
    return int(digits), col


def _excel_coerce(value: Any) -> Any:
    """What Excel stores when a value is typed or written through Range.Value."""
    if isinstance(value, str):
        if value.startswith("'"):
            return value[1:]
        if re.match(r"^\d{4}-\d{2}$", value):
            year, month = map(int, value.split("-"))
            return dt.datetime(year, month, 1)
        if re.match(r"^-?\d+(\.\d+)?$", value):
            return float(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return float(value)
    return value


class FakeRange:
    def __init__(self, sheet: "FakeSheet", first: tuple[int, int], last: tuple[int, int]) -> None:
        self.sheet, self.first, self.last = sheet, first, last

    def _cells(self):
        for r in range(self.first[0], self.last[0] + 1):
            yield [(r, c) for c in range(self.first[1], self.last[1] + 1)]

    @property
    def value(self) -> Any:
        rows = [[self.sheet.read(rc) for rc in row] for row in self._cells()]
        if self.first == self.last:
            return rows[0][0]
        if self.first[0] == self.last[0]:
            return rows[0]
        if self.first[1] == self.last[1]:
            return [row[0] for row in rows]
        return rows

    @value.setter
    def value(self, data: Any) -> None:
        if not isinstance(data, list):
            data = [[data]]
        elif data and not isinstance(data[0], list):
            data = [data]
        for i, row in enumerate(data):
            for j, item in enumerate(row):
                self.sheet.write((self.first[0] + i, self.first[1] + j), item)

    @property
    def number_format(self) -> str:
        return self.sheet.formats.get(self.first, "General")

    @number_format.setter
    def number_format(self, fmt: str) -> None:
        for row in self._cells():
            for rc in row:
                self.sheet.formats[rc] = fmt


class FakeSheet:
    def __init__(self, name: str) -> None:
        self.name = name
        self.cells: dict[tuple[int, int], Any] = {}
        self.formats: dict[tuple[int, int], str] = {}
        self.visible = True
        self.clears = 0

    def read(self, rc: tuple[int, int]) -> Any:
        value = self.cells.get(rc)
        return None if isinstance(value, str) and value.startswith("=") else value

    def write(self, rc: tuple[int, int], value: Any) -> None:
        if value is None or value == "":
            self.cells.pop(rc, None)
        else:
            self.cells[rc] = _excel_coerce(value)

    def range(self, first: Any, last: Any = None) -> FakeRange:
        if isinstance(first, str):
            parts = first.split(":")
            start = _rc(parts[0])
            end = _rc(parts[1]) if len(parts) > 1 else start
        else:
            start, end = tuple(first), tuple(last or first)
        return FakeRange(self, start, end)

    def clear(self) -> None:
        self.cells.clear()
        self.formats.clear()
        self.clears += 1


class FakeSheets:
    def __init__(self) -> None:
        self._sheets: list[FakeSheet] = []

    def __iter__(self):
        return iter(list(self._sheets))

    def __len__(self) -> int:
        return len(self._sheets)

    def __getitem__(self, key: str | int) -> FakeSheet:
        if isinstance(key, int):
            return self._sheets[key]
        for sheet in self._sheets:
            if sheet.name == key:
                return sheet
        raise KeyError(key)

    def add(self, name: str | None = None, before: FakeSheet | None = None, after: FakeSheet | None = None) -> FakeSheet:
        if any(s.name == name for s in self._sheets):
            raise ValueError(f"sheet {name} exists")
        sheet = FakeSheet(name or f"Sheet{len(self._sheets) + 1}")
        index = self._sheets.index(after) + 1 if after else (self._sheets.index(before) if before else 0)
        self._sheets.insert(index, sheet)
        return sheet


class FakeOpened:
    """A workbook file Excel opened (only its name and closing matter to the add-in)."""

    def __init__(self, books: "FakeBooks", fullname: str) -> None:
        self.books, self.fullname = books, fullname

    def close(self) -> None:
        self.books.closed.append(self.fullname)
        self.books.open_books.remove(self)


class FakeBooks:
    """`app.books`: the open books, `open(path)`, and a log of what was opened and closed."""

    def __init__(self, caller: "FakeBook") -> None:
        self.open_books: list = [caller]
        self.opened: list[str] = []
        self.closed: list[str] = []

    def __iter__(self):
        return iter(list(self.open_books))

    def user_closes_outputs(self) -> None:
        """What staff do after reading the workbook a click opened: close it (the caller book stays)."""
        for opened in [b for b in self.open_books if isinstance(b, FakeOpened)]:
            opened.close()

    def open(self, fullname: str) -> FakeOpened:
        if not Path(fullname).is_file():
            raise FileNotFoundError(fullname)
        self.opened.append(fullname)
        opened = FakeOpened(self, fullname)
        self.open_books.append(opened)
        return opened


class FakeApp:
    def __init__(self, caller: "FakeBook") -> None:
        self.books = FakeBooks(caller)


class FakeBook:
    def __init__(self, fullname: str = "") -> None:
        self.sheets = FakeSheets()
        self.fullname = fullname
        self.app = FakeApp(self)

    @classmethod
    def from_xlsx(cls, path: Path) -> "FakeBook":
        """A book as Excel would show a file we wrote (values as Excel stores them)."""
        book = cls(str(path))
        source = openpyxl.load_workbook(path)
        previous = None
        for ws in source.worksheets:
            sheet = book.sheets.add(name=ws.title, after=previous)
            for row in ws.iter_rows():
                for cell in row:
                    if cell.value is not None:
                        sheet.cells[(cell.row, cell.column)] = cell.value
            previous = sheet
        return book

    def to_xlsx(self, path: Path) -> Path:
        """Save what the add-in wrote, formulas included, for LibreOffice to recalculate."""
        book = openpyxl.Workbook()
        book.remove(book.active)
        for sheet in self.sheets:
            ws = book.create_sheet(sheet.name)
            for (r, c), value in sheet.cells.items():
                ws.cell(r, c, value)
                if (r, c) in sheet.formats:
                    ws.cell(r, c).number_format = sheet.formats[(r, c)]
        book.save(path)
        return path
