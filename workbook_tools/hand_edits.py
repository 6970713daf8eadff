"""Figures typed by hand over the national workbook: what the tool wrote into `Tổng hợp`, `Theo tháng` and `Nhiệm vụ` is kept in
a hidden sheet, so the next consolidation finds every figure changed since and says so before
replacing it (the national figures come from the returns alone; a figure phoned in and typed over
the summary would otherwise be lost without a word).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import HeldStateError
from .intake import calamine_book
from .json_lists import Templates
from .read_cache import written_unchanged
from .spec import cell_ref
from .values import vn_number

SHOWN_SHEET = "_shown"
SHOWN_COLUMNS = ("sheet", "row", "cells")
LISTED = 10
_compact_json = json.JSONEncoder(separators=(",", ":")).encode  # made once: json.dumps makes one a call
_SHOWN_LISTS = Templates(_compact_json)  # by a row's columns


@dataclass(frozen=True)
class HandEdit:
    """One figure that differs from what the tool wrote: where, what it holds now, what was written."""

    sheet: str
    cell: str
    label: str
    found: Any
    written: Any


def write_shown(ws: Any, shown: Mapping[tuple[str, int], list[Any]]) -> None:
    """The hidden sheet of the figures written, given as (sheet, row) → [column, value, column, value, …] (flat: a
    pair's tuple would cost more memory than the figures): one row per sheet row, its cells as JSON [[column, value], …]
    (written top to bottom; a sheet with `write_cells` gets whole rows)."""
    ws.write_row(0, 0, SHOWN_COLUMNS)
    whole_rows = getattr(ws, "write_cells", None)
    for n, ((sheet, row), cells) in enumerate(sorted(shown.items()), start=1):
        text = _shown_text(cells)
        if whole_rows:
            whole_rows(n, ((0, sheet, None), (1, row, None), (2, text, None)))
        else:
            ws.write_string(n, 0, sheet)
            ws.write_number(n, 1, row)
            ws.write_string(n, 2, text)
    ws.hide()


def _shown_text(cells: list[Any]) -> str:
    """A row's flat [column, value, …] as the compact JSON [[column, value], …] (one template per row's columns)."""
    columns = tuple(cells[::2])
    if len(columns) > 1:
        text = _SHOWN_LISTS.of(columns, lambda: ([(c,) for c in columns], None)).text(cells[1::2])
        if text is not None:
            return text
    return _compact_json(list(zip(cells[::2], cells[1::2])))


def _same(found: Any, written: Any) -> bool:
    """A cell still holds what was written (numbers compared as numbers, blanks as blanks)."""
    if isinstance(written, (int, float)) and isinstance(found, (int, float)) and not isinstance(found, bool):
        return math.isclose(found, written, rel_tol=1e-12, abs_tol=1e-9)
    return (found in (None, "")) == (written in (None, "")) and (written in (None, "") or found == written)


def hand_edits(path: Path, *, cache: bool = True) -> list[HandEdit]:
    """Every figure of a national workbook changed since the tool wrote it (none when it kept no record); with
    `cache`, none without looking when its bytes are still those the tool noted writing (`written_unchanged`)."""
    if cache and written_unchanged(path):
        return []  # the very bytes the tool wrote: nothing typed since
    try:
        book = calamine_book(path)
    except Exception:  # noqa: BLE001 - a damaged workbook is refused elsewhere, with its own message
        return []
    try:
        if SHOWN_SHEET not in book.sheet_names:
            return []
        grids: dict[str, list[list[Any]]] = {}
        edits = []
        for record in book.get_sheet_by_name(SHOWN_SHEET).to_python()[1:]:
            sheet, row, cells = (list(record) + ["", "", ""])[:3]
            if sheet not in book.sheet_names or not isinstance(row, (int, float)):
                continue
            if sheet not in grids:
                grids[sheet] = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
            grid, r = grids[sheet], int(row) - 1
            line = grid[r] if r < len(grid) else []
            for c, written in json.loads(cells):
                found = line[c] if c < len(line) else ""
                if found != written and not _same(found, written):  # an untouched figure reads back exactly as written
                    edits.append(HandEdit(sheet, cell_ref(r, c), _label(grid, r, c), found, written))
        return edits
    except (ValueError, TypeError):
        return []  # a record edited beyond reading: nothing can be compared
    finally:
        book.close()


def _label(grid: list[list[Any]], r: int, c: int) -> str:
    """'01, Hà Nội, BHYT (người) – Thực hiện': the row's labels (columns B and C: code and unit, or unit and
    indicator) and the column's two header rows (rows 4 and 5)."""
    def at(row: int, col: int) -> str:
        value = grid[row][col] if row < len(grid) and col < len(grid[row]) else ""
        return str(value).strip() if value not in (None, "") else ""
    title = next((at(3, k) for k in range(c, 3, -1) if at(3, k)), "")
    return ", ".join(part for part in (at(r, 1), at(r, 2), " – ".join(p for p in (title, at(4, c)) if p)) if part)


def _shown(value: Any) -> str:
    """A cell's content in a message."""
    if value in (None, ""):
        return "(trống)"
    return vn_number(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else f"«{value}»"


def refuse_hand_edits(path: Path, *, discard: str = "tổng hợp lại với --force", cache: bool = True) -> None:
    """Stop before replacing a national workbook whose figures were changed by hand, naming them and what to do."""
    edits = hand_edits(path, cache=cache)
    if not edits:
        return
    listed = "; ".join(f"{e.cell} ({e.label}): {_shown(e.found)}, sổ đã ghi {_shown(e.written)}" for e in edits[:LISTED])
    more = f" và {len(edits) - LISTED} ô khác" if len(edits) > LISTED else ""
    sheets = ", ".join(f"«{s}»" for s in dict.fromkeys(e.sheet for e in edits))
    raise HeldStateError(
        f"Sổ tổng hợp {path} có {len(edits)} ô số liệu bị sửa tay trong sheet {sheets}: {listed}{more}. "
        "Số liệu tổng hợp chỉ lấy từ báo cáo của các đơn vị, nên lần tổng hợp này sẽ thay các số sửa tay bằng số của báo cáo; "
        "sổ chưa bị ghi đè. Nếu đó là số đính chính của đơn vị: đề nghị đơn vị gửi lại báo cáo đã sửa, đặt vào thư mục báo cáo "
        "rồi tổng hợp lại (thêm --replace TÊN_TỆP nếu ngày báo cáo không đổi). Nếu muốn bỏ các số sửa tay: " + discard + "."
    )
