"""Find cells by their keys (key column, key row), whatever rows or columns were moved or hidden.

Works on any grid of values (calamine rows, openpyxl values), so the reader and the tests that
fill workbooks share one way of finding a cell.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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
    repeated_rows: dict[str, list[int]] = field(default_factory=dict)
    repeated_cols: dict[str, list[int]] = field(default_factory=dict)

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


def index_keys(
    form: str, key_row: int, key_col: int, row_cells: Iterable[tuple[int, Any]], col_cells: Iterable[tuple[int, Any]],
) -> KeyIndex:
    """Index the keys found along the key row (column, value) and key column (row, value).

    The first place of a key is the one used; every further place is kept in `repeated_*`, so a
    key typed twice is reported rather than silently hiding the second figure.
    """
    index = KeyIndex(form, key_row, key_col)
    for c, value in _in_order(row_cells):
        if c != key_col and isinstance(value, str) and value.strip():
            _place(index.cols, index.repeated_cols, value.strip(), c)
    for r, value in _in_order(col_cells):
        if r != key_row and isinstance(value, str) and value.strip():
            _place(index.rows, index.repeated_rows, value.strip(), r)
    return index


def _in_order(cells: Iterable[tuple[int, Any]]) -> list[tuple[int, Any]]:
    """Cells in position order, whatever order the file wrote them in."""
    return sorted(cells, key=lambda cell: cell[0])


def _place(first: dict[str, int], repeated: dict[str, list[int]], key: str, position: int) -> None:
    """Record a key's position: the first one wins, later ones are listed as repeats."""
    if key in first:
        repeated.setdefault(key, []).append(position)
    else:
        first[key] = position


def index_grid(grid: Sequence[Sequence[Any]]) -> KeyIndex | None:
    """Index a sheet's keys; None when the sheet carries no key mark."""
    found = find_mark(grid)
    if found is None:
        return None
    key_row, key_col, form = found
    col_cells = [(r, row[key_col]) for r, row in enumerate(grid) if key_col < len(row)]
    return index_keys(form, key_row, key_col, enumerate(grid[key_row]), col_cells)
