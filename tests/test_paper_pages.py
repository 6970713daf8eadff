"""Page geometry of the national tables: how many pages rows fill, where pages break so none holds a remnant."""

from __future__ import annotations

import random

import pytest

from workbook_tools.paper import even_breaks, figure_width, page_room, pages_down


def _one_by_one(heights: list[float], room: float) -> int:
    """Pages filled row after row: what a spreadsheet program does without manual breaks."""
    pages, used = 1, 0.0
    for height in heights:
        if used and used + height > room:
            pages, used = pages + 1, 0.0
        used += height
    return pages


def test_pages_counted_by_bisection_are_the_pages_filled_row_by_row():
    rng = random.Random(13)
    for _ in range(2000):
        heights = [rng.choice([14.25, 15.0, 30.0, 45.0, 700.0]) for _ in range(rng.randint(0, 90))]
        scale, header = rng.randint(80, 90), rng.choice([36.0, 51.0, 175.0])
        assert pages_down(heights, scale, header) == _one_by_one(heights, page_room(scale, header))


@pytest.mark.parametrize("rows", [31, 62, 64, 65, 95, 301])
def test_a_table_whose_last_page_would_be_a_remnant_is_spread_evenly_over_as_many_pages(rows):
    room = 455.0
    heights = [15.0] * rows
    breaks = even_breaks(heights, room)
    bounds = [0, *breaks, rows]
    sizes = [sum(heights[a:b]) for a, b in zip(bounds, bounds[1:])]
    assert len(sizes) == _one_by_one(heights, room) and max(sizes) <= room
    assert min(sizes) > room / 3  # no page a third full or less


def test_a_table_ending_on_a_well_filled_page_gets_no_breaks():
    assert even_breaks([15.0] * 45, 455.0) == [] and even_breaks([15.0] * 20, 455.0) == []


def test_a_figure_column_is_wide_enough_for_its_largest_figure_with_separators():
    assert figure_width(0) == figure_width(999_999) == 8 < figure_width(9_999_999)
    assert figure_width(160_669_623) > figure_width(44_382_235) > figure_width(9_999_999)
    assert figure_width(160_669_623) >= 9 * 1.05 + 2 * 0.52 + 1  # 9 digits and two separators, with a margin
