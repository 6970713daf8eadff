"""How the daily sheets go onto A4: a fixed scale that keeps type at 8 pt or more, page breaks between groups.

Fitting a wide table to one page wide shrinks its type below what a director reads; the daily
sheets print instead at `SCALE` (the smallest type of the sheets, 9 pt, prints at 8.1 pt), with
their label columns and header rows repeated, and a vertical page break before the column group
that would not fit on the page, so an indicator's columns are never split across two pages.
Row heights are estimated from the text they wrap (Excel does not fit them when it opens a file).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .paper import PRINT_SCALE as SCALE

SMALLEST_TYPE = 9
MIN_PRINTED_TYPE = 8
LANDSCAPE_WIDTH_IN, PORTRAIT_WIDTH_IN = 11.69, 8.27
LANDSCAPE_HEIGHT_IN = 8.27
SIDE_MARGINS_IN = 0.8
LINE_PT = 15.0
PIXELS_PER_CHARACTER = 10.5
CHARS_PER_WIDTH = 1.1  # Times New Roman 11 pt: characters per unit of Excel column width (a '0' of Calibri 11)

assert SMALLEST_TYPE * SCALE / 100 >= MIN_PRINTED_TYPE


def column_pixels(width: float) -> int:
    """A column's width in pixels, as the widest of the programs that print it lays it out.

    Excel with Calibri gives 7 pixels a character (+5); LibreOffice without Calibri substitutes a
    wider font and gives up to 10.5. Pages are cut for the wider, so no program splits a group.
    """
    return int(width * PIXELS_PER_CHARACTER + 0.5) + 5


def page_pixels(scale: int = SCALE, landscape: bool = True) -> float:
    """How many pixels of sheet (at 100 %) go across one printed page at `scale` %."""
    paper = LANDSCAPE_WIDTH_IN if landscape else PORTRAIT_WIDTH_IN
    return (paper - SIDE_MARGINS_IN) * 96 * 100 / scale


def column_breaks(widths: Mapping[int, float], groups: Sequence[tuple[int, int]], repeated: tuple[int, int],
                  *, scale: int = SCALE, default_width: float = 8.43) -> list[int]:
    """Columns a new page starts at: before each group (first, last column) that would overflow the page."""
    def pixels(first: int, last: int) -> int:
        return sum(column_pixels(widths.get(c, default_width)) for c in range(first, last + 1))

    room = page_pixels(scale) - pixels(*repeated)
    breaks: list[int] = []
    used = 0
    for first, last in groups:
        size = pixels(first, last)
        if used and used + size > room:
            breaks.append(first)
            used = 0
        used += size
    return breaks


def wrapped_lines(text: str, width: float) -> int:
    """Lines a text takes when wrapped in a column `width` characters wide (greedy, by words)."""
    room = max(1, int(width * CHARS_PER_WIDTH))
    lines, used = 1, 0
    for word in str(text).split():
        size = len(word)
        need = size if not used else used + 1 + size
        if need <= room:
            used = need
            continue
        lines += (1 if used else 0) + (size - 1) // room
        used = (size - 1) % room + 1
    return lines


def row_height(texts: Sequence[tuple[str, float]], line: float = LINE_PT, least: float = LINE_PT) -> float:
    """The height of a row holding these (text, column width) pairs, each wrapped in its column."""
    return max([least, *(line * wrapped_lines(text, width) for text, width in texts if text)])
