"""Test helpers: open generated workbooks, find cells by key, fill them as staff would."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import openpyxl
from python_calamine import CalamineWorkbook

from workbook_tools.keys import KeyIndex, index_grid


def sheet_grid(ws: Any) -> list[list[Any]]:
    """Values of an openpyxl sheet as a list of rows."""
    return [list(row) for row in ws.iter_rows(values_only=True)]


def openpyxl_indexes(book: Any) -> dict[str, tuple[Any, KeyIndex]]:
    """Form key → (sheet, key index) for every keyed sheet of an openpyxl workbook."""
    found = {}
    for ws in book.worksheets:
        index = index_grid(sheet_grid(ws))
        if index:
            found[index.form] = (ws, index)
    return found


def fill(path: Path, values: Mapping[tuple[str, str, str], Any], out: Path | None = None) -> Path:
    """Type values into keyed cells (form, row key, column key) and save, like a person in Excel."""
    book = openpyxl.load_workbook(path)
    sheets = openpyxl_indexes(book)
    for (form, row_key, col_key), value in values.items():
        ws, index = sheets[form]
        where = index.cell(row_key, col_key)
        assert where is not None, (form, row_key, col_key)
        ws.cell(row=where[0] + 1, column=where[1] + 1, value=value)
    target = out or path
    book.save(target)
    return target


def computed(path: Path) -> dict[str, dict[tuple[str, str], Any]]:
    """Cached (computed) values of every keyed cell, by form, as calamine reads them."""
    book = CalamineWorkbook.from_path(str(path))
    result: dict[str, dict[tuple[str, str], Any]] = {}
    for name in book.sheet_names:
        grid = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        index = index_grid(grid)
        if index is None:
            continue
        cells = {}
        for row_key, r in index.rows.items():
            for col_key, c in index.cols.items():
                cells[(row_key, col_key)] = grid[r][c] if c < len(grid[r]) else ""
        result[index.form] = cells
    return result


def generated(root: Path, units: tuple[str, ...], plan: str = "2800-2021") -> dict[str, Path]:
    """Generate a few units' workbooks through the CLI (with manifest.json); code → path."""
    from click.testing import CliRunner

    from workbook_tools.cli import main

    args = ["generate", "--plan", plan, "--out", str(root)]
    for unit in units:
        args += ["--unit", unit]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return {p.name[:2]: p for p in root.glob("*.xlsx")}


def strict_json(text: str) -> Any:
    """json.loads that refuses NaN and Infinity, as any strict JSON parser does."""
    def refuse(name: str) -> None:
        raise ValueError(f"non-standard JSON constant {name}")
    return json.loads(text, parse_constant=refuse)
