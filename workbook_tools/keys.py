"""Find cells by their keys (key column, key row), whatever rows or columns were moved or hidden.

Works on any grid of values (calamine rows, openpyxl values), so the reader and the tests that
fill workbooks share one way of finding a cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .spec import KEY_MARK


@dataclass
class KeyIndex:
    """Row keys and column keys of one sheet, and where they are."""

    form: str
    key_row: int
    key_col: int
    rows: dict[str, int] = field(default_factory=dict)
    cols: dict[str, int] = field(default_factory=dict)

    def cell(self, row_key: str, col_key: str) -> tuple[int, int] | None:
        """0-based (row, col) of a keyed cell, None when either key is absent."""
        if row_key in self.rows and col_key in self.cols:
            return self.rows[row_key], self.cols[col_key]
        return None


def find_mark(grid: Sequence[Sequence[Any]], limit: int = 50) -> tuple[int, int, str] | None:
    """Where the '#keys FORM' mark is (normally A1), searched in the top-left corner."""
    for r, row in enumerate(grid[:limit]):
        for c, value in enumerate(row[:limit]):
            if isinstance(value, str) and value.startswith(KEY_MARK):
                return r, c, value[len(KEY_MARK):].strip()
    return None


def index_grid(grid: Sequence[Sequence[Any]]) -> KeyIndex | None:
    """Index a sheet's keys; None when the sheet carries no key mark."""
    found = find_mark(grid)
    if found is None:
        return None
    key_row, key_col, form = found
    index = KeyIndex(form, key_row, key_col)
    for c, value in enumerate(grid[key_row]):
        if c != key_col and isinstance(value, str) and value.strip():
            index.cols.setdefault(value.strip(), c)
    for r, row in enumerate(grid):
        if r != key_row and key_col < len(row):
            value = row[key_col]
            if isinstance(value, str) and value.strip():
                index.rows.setdefault(value.strip(), r)
    return index
