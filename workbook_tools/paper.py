"""Print geometry: how wide a column prints, how tall a wrapped row must be, where pages break.

Neither xlsxwriter nor LibreOffice fits row heights to wrapped text when a file is opened, and a
sheet squeezed to one page width prints too small to read; so heights and page breaks are
computed here from text length and column widths, for A4 at a fixed print scale.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate
from functools import lru_cache
from typing import Any

A4_LANDSCAPE = (842.0, 595.0)
A4_PORTRAIT = (595.0, 842.0)
MARGIN_SIDE_IN, MARGIN_TOP_IN = 0.4, 0.6
PRINT_SCALE = 90
CHAR_EM = 0.50
BOLD_EM = 0.56
# LibreOffice without Calibri measures column widths with a wider substitute font: a column
# prints up to a third wider than in Excel. Page breaks assume the wider case.
WIDE_COLUMNS = 1.34


def a4_page(ws: Any, *, landscape: bool = True, scale: int = PRINT_SCALE) -> None:
    """A4 at a scale that keeps type readable, with the house margins: one page setup for every sheet we print."""
    if landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.set_paper(9)
    ws.set_print_scale(scale)
    ws.set_margins(left=MARGIN_SIDE_IN, right=MARGIN_SIDE_IN, top=MARGIN_TOP_IN, bottom=MARGIN_TOP_IN)


def column_points(width: float) -> float:
    """Printed width in points (at 100 %) of a column of `width` characters, as Excel converts it."""
    pixels = width * 12 if width < 1 else int(width * 7 + 0.5) + 5
    return pixels * 0.75


def merged_width(widths: Sequence[float]) -> float:
    """The width, in characters, of one cell merged over columns of these widths."""
    return (sum(column_points(w) for w in widths) / 0.75 - 5) / 7


def printable_width(scale: int = PRINT_SCALE, landscape: bool = True) -> float:
    """The sheet width, in points at 100 %, that fits across one A4 page at `scale` %."""
    page = (A4_LANDSCAPE if landscape else A4_PORTRAIT)[0]
    return (page - 2 * 72 * MARGIN_SIDE_IN) * 100 / scale


def printable_height(scale: int = PRINT_SCALE, landscape: bool = True) -> float:
    """The sheet height, in points at 100 %, that fits down one A4 page at `scale` %."""
    page = (A4_LANDSCAPE if landscape else A4_PORTRAIT)[1]
    return (page - 2 * 72 * MARGIN_TOP_IN - 30) * 100 / scale


@lru_cache(maxsize=4096)
def text_lines(text: str, width: float, size: float = 11, bold: bool = False) -> int:
    """Lines a text wraps to in a cell `width` characters wide (greedy word wrap, generous glyph width)."""
    room = column_points(width) - 6
    glyph = size * (BOLD_EM if bold else CHAR_EM)
    lines = 0
    for paragraph in str(text).split("\n"):
        used, count = 0.0, 1
        for word in paragraph.split():
            need = len(word) * glyph
            if used and used + glyph + need > room:
                count += 1 + int(need // room)
                used = need % room
            else:
                used += (glyph if used else 0) + need
        lines += count
    return max(lines, 1)


def row_height(text: str, width: float, size: float = 11, bold: bool = False, minimum: float = 15) -> float:
    """Points a row needs to show a wrapped text in full."""
    return max(minimum, math.ceil(text_lines(text, width, size, bold) * size * 1.25 + 4))


def column_breaks(blocks: Sequence[float], fixed: float, scale: int = PRINT_SCALE, landscape: bool = True) -> list[int]:
    """Indices of the blocks (column groups, widths in points) that start a new page, label columns repeated."""
    room = printable_width(scale, landscape) - fixed * WIDE_COLUMNS
    breaks, used = [], 0.0
    for index, width in enumerate(blocks):
        if used and used + width * WIDE_COLUMNS > room:
            breaks.append(index)
            used = 0.0
        used += width * WIDE_COLUMNS
    return breaks


LEAST_SCALE = 80
"""The smallest print scale of a national sheet: its smallest type (10 pt) prints at 8 pt."""


def figure_width(value: float, least: float = 8) -> float:
    """Column width (characters) that shows `value` as `#,##0` in Times New Roman 11 pt without `####` (a digit is
    1.05 characters of the width unit, a thousands separator 0.52), with a margin."""
    digits = len(str(int(abs(value))))
    return max(least, math.ceil((digits * 1.05 + (digits - 1) // 3 * 0.52 + 1.0) * 2) / 2)


SAFETY = 1.03  # printed widths vary a little between programs: a block that fits by less is not counted on


def body_height(scale: int, landscape: bool = True) -> float:
    """The sheet height, in points at 100 %, between an A4 page's top and bottom margins at `scale` % (Excel prints
    the page header and footer inside the margins)."""
    return ((A4_LANDSCAPE if landscape else A4_PORTRAIT)[1] - 2 * 72 * MARGIN_TOP_IN) * 100 / scale


def row_heights(ws: Any, first: int, last: int) -> list[float]:
    """The heights (points) of an xlsxwriter sheet's rows first…last as set so far (15 where none was; it keeps pixels)."""
    info = ws.row_info
    return [info[r].height * 0.75 if r in info and info[r].height is not None else 15.0 for r in range(first, last + 1)]


PAGE_SAFETY = 0.99  # rows fill this share of a page: programs round row heights to their own units


def page_room(scale: int, header: float, landscape: bool = True) -> float:
    """The points (at 100 %) of rows that one A4 page takes at `scale` % under `header` points of repeated rows."""
    return (body_height(scale, landscape) - header) * PAGE_SAFETY


def pages_down(heights: Sequence[float], scale: int, header: float, landscape: bool = True) -> int:
    """How many A4 pages rows of these heights (points) fill at `scale` %, under `header` points of repeated rows."""
    room, prefix = page_room(scale, header, landscape), list(accumulate(heights))
    pages, start, done = 0, 0, 0.0
    while start < len(prefix):  # a page takes the rows that fit (at least one): found by bisection, not row by row
        start = max(bisect_right(prefix, done + room, start), start + 1)
        pages, done = pages + 1, prefix[start - 1]
    return max(pages, 1)


def table_scale(fixed: float, blocks: Sequence[float], parts: Sequence[Sequence[float]], header: float,
                *, least: int = LEAST_SCALE, most: int = PRINT_SCALE) -> int:
    """The print scale, from `most` down to `least`, printing a table on the fewest pages, the largest of those: label
    columns `fixed` points wide repeated beside column blocks (points), parts of rows (their heights) each starting a page."""
    def pages(scale: int) -> int:
        across = len(column_breaks([b * SAFETY for b in blocks], fixed * SAFETY, scale)) + 1
        return across * sum(pages_down(part, scale, header) for part in parts)
    return min(range(most, least - 1, -1), key=lambda scale: (pages(scale), -scale))


def one_line_width(texts: Sequence[str], least: float, most: float) -> float:
    """The narrowest column width (in half characters, from `least` to `most`) showing every text on one line; `most`
    when some text needs more (it wraps)."""
    width = least
    while width < most and any(text_lines(t, width) > 1 for t in texts):
        width += 0.5
    return width


def even_breaks(heights: Sequence[float], room: float) -> list[int]:
    """Where new pages must start (indices into `heights`, row heights in points) so that rows fill as few pages of
    `room` points as they can, evenly, when filling pages one after the other would leave the last a third full or less
    (a lone sums row without its table); none otherwise."""
    def filled(capacity: float) -> list[int]:
        breaks, used = [], 0.0
        for index, height in enumerate(heights):
            if used and used + height > capacity:
                breaks.append(index)
                used = 0.0
            used += height
        return breaks

    natural = filled(room)
    if sum(heights[natural[-1]:] if natural else heights) >= room / 3:
        return []  # the pages programs make by themselves end well: no break to set (nor to mismatch theirs)
    fewest = len(natural) + 1
    capacity = sum(heights) / fewest
    while capacity < room and len(filled(capacity)) + 1 > fewest:  # the least page height that needs no more pages
        capacity += room / 50
    return filled(min(capacity, room))
