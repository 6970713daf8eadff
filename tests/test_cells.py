"""The sparse cell reader shows every kind of cell exactly as python-calamine does (the reader's
value contract), in files written by openpyxl (inline strings) and by LibreOffice (shared strings)."""

from __future__ import annotations

import datetime
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from python_calamine import CalamineWorkbook

from workbook_tools.cells import Package, SheetCells

from .libreoffice import convert

VALUES = [
    1, 2.5, 1e308, -7, 0.1 + 0.2, 12345678901234567, True, False, "text", "  spaced  ", "a & b < c > d \"q\" 'a'",
    "Bảo hiểm y tế", "1.234", "=1/0", '="a"', "=SUM(1,2)", "#DIV/0!", datetime.date(2021, 11, 10),
    datetime.datetime(2021, 11, 10, 13, 30), datetime.time(13, 30), "dòng 1\ndòng 2",
]
FORMATS = [(45000, "dd/mm/yyyy"), (45000.5, "dd/mm/yyyy hh:mm"), (0.5, "hh:mm"), (45000, "#,##0"), (45000, "[$-409]d-mmm-yy"),
           (45000, '"d"#,##0'), (45000, "[Red]#,##0"), (1.5, "[h]:mm"), (45000, "0.00%"), (45000, "yyyy"),
           (45000.25, "General"), (3, "@")]


@pytest.fixture(scope="module")
def books(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("kinds")
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Kinds"
    for r, value in enumerate(VALUES, 1):
        ws.cell(r, 1, value)
        ws.cell(r, 3, value)
    for r, (value, fmt) in enumerate(FORMATS, 1):
        ws.cell(r, 5, value).number_format = fmt
    ws.cell(1, 7).value = CellRichText("Báo ", TextBlock(InlineFont(b=True), "cáo"), " tháng")
    book.create_sheet("Far")["XFD1048576"] = "far away"  # calamine is never asked for this sheet
    path = folder / "kinds.xlsx"
    book.save(path)
    return [path, *convert([path], folder / "lo")]


def _calamine_cells(path: Path) -> dict[tuple[int, int], object]:
    grid = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Kinds").to_python(skip_empty_area=False)
    return {(r, c): v for r, row in enumerate(grid[:40]) for c, v in enumerate(row[:10])}


def test_every_kind_of_cell_reads_as_calamine_shows_it(books):
    for path in books:
        with zipfile.ZipFile(path) as archive:
            package = Package(archive)
            part = package.sheet_parts()["Kinds"]
            cells = package.sheet(part)
            expected = _calamine_cells(path)
            found = {where: cells.value(*where) for where in expected}
        assert found == expected, path.name
        assert {type(v) for v in found.values()} >= {str, float, bool, datetime.date, datetime.datetime, datetime.time,
                                                     datetime.timedelta}


def test_formulas_and_errors_are_told_apart_from_values(books):
    with zipfile.ZipFile(books[0]) as archive:
        package = Package(archive)
        cells = package.sheet(package.sheet_parts()["Kinds"])
        row = {value: r - 1 for r, value in enumerate(VALUES, 1) if isinstance(value, str)}
        assert cells.fact(row["=SUM(1,2)"], 0) == ("formula", "=SUM(1,2)")
        assert cells.fact(row['="a"'], 0) == ("formula", '="a"')
        assert cells.fact(row["#DIV/0!"], 0) == ("error", "#DIV/0!")
        assert cells.fact(row["text"], 0) is None and cells.fact(200, 200) is None


def test_a_cell_far_away_is_one_entry_not_a_grid(books):
    with zipfile.ZipFile(books[0]) as archive:
        package = Package(archive)
        cells: SheetCells = package.sheet(package.sheet_parts()["Far"])
        assert cells.value(1_048_575, 16_383) == "far away"
        assert len(cells.rows) == 1
