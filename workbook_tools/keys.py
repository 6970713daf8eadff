"""Find cells by their keys (key column, key row), whatever rows or columns were moved or hidden.

Works on any grid of values (calamine rows, openpyxl values), so the reader and the tests that
fill workbooks share one way of finding a cell.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
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


_position = itemgetter(0)


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
    _index_line(index.cols, index.repeated_cols, row_cells, key_col)
    _index_line(index.rows, index.repeated_rows, col_cells, key_row)
    return index


def _index_line(first: dict[str, int], repeated: dict[str, list[int]], cells: Iterable[tuple[int, Any]], skip: int) -> None:
    """Record the keys along one line (key row or key column) in position order, whatever order the file wrote
    them in, the cell at `skip` (where the lines cross) left out: the first place wins, later ones are repeats."""
    for position, value in sorted(cells, key=_position):
        if position != skip and isinstance(value, str):
            key = value.strip()
            if key in first:
                repeated.setdefault(key, []).append(position)
            elif key:
                first[key] = position


def index_grid(grid: Sequence[Sequence[Any]]) -> KeyIndex | None:
    """Index a sheet's keys; None when the sheet carries no key mark."""
    found = find_mark(grid)
    if found is None:
        return None
    key_row, key_col, form = found
    col_cells = [(r, row[key_col]) for r, row in enumerate(grid) if key_col < len(row)]
    return index_keys(form, key_row, key_col, enumerate(grid[key_row]), col_cells)
