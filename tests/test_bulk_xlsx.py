"""The national workbook's big tables are written a whole row at a time (workbook_tools.bulk_xlsx) instead of
cell by cell through xlsxwriter: the workbook must be the same, part for part and cell for cell, and its
completion formulas must still compute in LibreOffice."""

from __future__ import annotations

import dataclasses
import datetime as dt
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from python_calamine import CalamineWorkbook
from xlsxwriter.worksheet import Worksheet

from workbook_tools.bulk_xlsx import Formula, RowSheet
from workbook_tools.check import ACCEPTED, check_folder
from workbook_tools.consolidate import Consolidation, consolidate
from workbook_tools.plans import TOTAL, load_plan
from workbook_tools.summary import MONTHS, TOTALS, FigureWriter, write_summary

from .libreoffice import convert
from .shares import returned_shares

STAMP = dt.datetime(2021, 11, 15, 9, 30)
SHARES = {"01": 0.61, "79": 1.07, "48": 0.35, "31": 0.0}


def cell_by_cell(sheet: RowSheet, row: int, cells: Any) -> None:
    """The old way, as the oracle: each cell through xlsxwriter's own write methods."""
    for col, value, fmt in cells:
        if isinstance(value, Formula):
            sheet.write_formula(row, col, value, fmt, "")
        elif value is None:
            sheet.write_blank(row, col, None, fmt)
        elif isinstance(value, dt.datetime):
            sheet.write_datetime(row, col, value, fmt)
        elif isinstance(value, str):
            sheet.write(row, col, value, fmt)
        else:
            sheet.write_number(row, col, value, fmt)


@pytest.fixture(scope="module")
def result(tmp_path_factory) -> Consolidation:
    """Four provinces report (one with nothing done, so zero achievements), 59 are missing, a stray file is a problem; one unit's name and
    one return's file name carry characters XML, Excel and the row writer escape (&, <, a leading space, a control character, %)."""
    root = tmp_path_factory.mktemp("bulk")
    data = load_plan("2800-2021")
    returned_shares(root, SHARES)
    (root / "returns" / "ghi chú 5% & <nháp>.txt").write_text("không phải báo cáo", encoding="utf-8")  # a stray file: one problem row
    report = check_folder(root / "returns", data, as_of=dt.date(2021, 10, 31))
    found = consolidate(report, as_of=dt.date(2021, 10, 31))
    assert found.problems, "the problems table is written by rows too"
    found.units[0] = dataclasses.replace(found.units[0], name=" Hà Nội & <Thủ đô>")
    code, source = next(iter(found.sources.items()))
    found.sources[code] = dataclasses.replace(source, file=" bản\x01sửa _x0041_ & <1> %(0)s 5%.xlsx ")
    return found


def _written(result: Consolidation, path: Path) -> Path:
    write_summary(result, path, generated_at=STAMP)
    return path


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _look(cell: Any) -> tuple:
    """What a reader sees of one cell: value (formula text included), number format, font, fill, border, alignment."""
    return (cell.value, cell.number_format, repr(cell.font), repr(cell.fill), repr(cell.border), repr(cell.alignment), cell.protection.locked)


def _rules(ws: Any) -> list[tuple]:
    """Conditional formats: range, rule type, formula and look."""
    return [(str(cf.sqref), rule.type, rule.formula, repr(rule.dxf.font), repr(rule.dxf.fill))
            for cf in ws.conditional_formatting for rule in cf.rules]


def test_rows_written_whole_give_the_same_workbook_as_cell_by_cell(result, tmp_path, monkeypatch):
    fast = _written(result, tmp_path / "rows.xlsx")
    with monkeypatch.context() as patch:
        patch.setattr(RowSheet, "write_cells", cell_by_cell)
        patch.setattr(FigureWriter, "RENDERED", False)
        slow = _written(result, tmp_path / "cells.xlsx")
    fast_parts, slow_parts = _parts(fast), _parts(slow)
    assert list(fast_parts) == list(slow_parts)
    assert [name for name in fast_parts if fast_parts[name] != slow_parts[name]] == []
    a, b = openpyxl.load_workbook(fast), openpyxl.load_workbook(slow)
    assert a.sheetnames == b.sheetnames and [ws.sheet_state for ws in a] == [ws.sheet_state for ws in b]
    assert {str(n): d.attr_text for n, d in a.defined_names.items()} == {str(n): d.attr_text for n, d in b.defined_names.items()}
    for ws in a:
        other = b[ws.title]
        assert ws.dimensions == other.dimensions, ws.title
        assert sorted(map(str, ws.merged_cells.ranges)) == sorted(map(str, other.merged_cells.ranges)), ws.title
        assert {r: d.height for r, d in ws.row_dimensions.items()} == {r: d.height for r, d in other.row_dimensions.items()}, ws.title
        assert ws.freeze_panes == other.freeze_panes and ws.auto_filter.ref == other.auto_filter.ref, ws.title
        assert (ws.print_area, ws.print_title_rows, ws.print_title_cols) == (other.print_area, other.print_title_rows, other.print_title_cols)
        assert repr(ws.page_setup) == repr(other.page_setup) and len(ws._charts) == len(other._charts), ws.title
        assert _rules(ws) == _rules(other), ws.title
        for row, other_row in zip(ws.iter_rows(), other.iter_rows(), strict=True):
            assert [_look(c) for c in row] == [_look(c) for c in other_row], (ws.title, row[0].row)
    months = a[MONTHS]
    assert sum(1 for row in months.iter_rows(min_row=6) for c in row if isinstance(c.value, str) and c.value.startswith("=IF(OR(")) > 1_000


def test_figure_triples_made_at_once_give_the_same_workbook_as_cell_by_cell_rows(result, tmp_path, monkeypatch):
    """Completion triples made XML at once (`Rendered`), a text figure among them going cell by cell, against every
    triple's three cells through `write_cells`."""
    units = list(result.units)
    values = list(units[1].values)
    values[0] = dataclasses.replace(values[0], actual="5 (ước)")  # not a plain number: written as text, between rendered triples
    values[3] = dataclasses.replace(values[3], target=1234.5678901234567, actual=None)
    changed = dataclasses.replace(result, units=[units[0], dataclasses.replace(units[1], values=values), *units[2:]])
    fast = _parts(_written(changed, tmp_path / "rendered.xlsx"))
    with monkeypatch.context() as patch:
        patch.setattr(FigureWriter, "RENDERED", False)
        slow = _parts(_written(changed, tmp_path / "cells.xlsx"))
    assert list(fast) == list(slow)
    assert [name for name in fast if fast[name] != slow[name]] == []
    months = CalamineWorkbook.from_path(tmp_path / "rendered.xlsx").get_sheet_by_name(MONTHS).to_python()
    row = next(r for r in months if r[1] == units[1].name and r[3] == values[0].indicator)
    assert "5 (ước)" in row and 1234.567890123457 in row  # 16 significant digits, as xlsxwriter writes a number


def test_rows_assembled_from_the_columns_they_hold_give_the_parts_xlsxwriter_assembles(result, tmp_path, monkeypatch):
    """`RowSheet` visits each row's own columns (and spans) instead of every column of the sheet: the same XML, rows
    with cells, rows with a height only (the charts sheet) and row spans over blocks of 16 alike."""
    ours = _parts(_written(result, tmp_path / "ours.xlsx"))
    with monkeypatch.context() as patch:
        patch.setattr(RowSheet, "_write_rows", Worksheet._write_rows)
        patch.setattr(RowSheet, "_calculate_spans", Worksheet._calculate_spans)
        theirs = _parts(_written(result, tmp_path / "theirs.xlsx"))
    assert list(ours) == list(theirs)
    assert [name for name in ours if ours[name] != theirs[name]] == []
    assert any(b'spans="' in part and b"<row " in part for name, part in ours.items() if name.startswith("xl/worksheets/"))


def _percent(figure: Any) -> Any:
    """The completion Python expects to see: blank without a figure or with a zero target."""
    if figure is None or figure.actual is None or figure.target in (None, 0):
        return ""
    return figure.actual / figure.target


def test_completion_formulas_compute_in_libreoffice_as_in_python(result, tmp_path):
    path = convert([_written(result, tmp_path / "national.xlsx")], tmp_path / "recalc", force=True)[0]
    book = CalamineWorkbook.from_path(str(path))
    months = book.get_sheet_by_name(MONTHS).to_python(skip_empty_area=False)
    totals = book.get_sheet_by_name(TOTALS).to_python(skip_empty_area=False)
    book.close()
    periods = (*result.plan.months, TOTAL)
    reported = [u for u in result.units if u.status == ACCEPTED]
    assert len(reported) == len(SHARES)
    checked = 0
    for unit in [*reported, result.units[-1]]:
        for code in result.plan.indicators:
            row = next(r for r in months if r[0] == unit.code and r[3] == code)
            for n, period in enumerate(periods):
                expected, shown = _percent(unit.figure(code, period)), row[6 + 3 * n]
                assert shown == (pytest.approx(expected) if expected != "" else ""), (unit.code, code, period)
                checked += expected != ""
        line = next(r for r in totals if r[1] == unit.code)
        for n, code in enumerate(result.plan.indicators):
            expected = _percent(unit.figure(code, TOTAL))
            assert line[4 + 4 * n + 2] == (pytest.approx(expected) if expected != "" else ""), (unit.code, code)
    assert checked > 20
