"""The hidden sheets' JSON lists (`_data`: a unit's figures, `_shown`: a row's figures as written) are made from one
template per shape (workbook_tools.json_lists): the text must be exactly what the json encoder makes of the list,
whatever the values, and anything the template does not take (text, NaN, True) goes to the encoder as before."""

from __future__ import annotations

import json
import math
import random
from operator import itemgetter

import pytest

from workbook_tools.consolidate import Source
from workbook_tools.hand_edits import write_shown
from workbook_tools.held import CELL_TEXT_LIMIT, TASK_PREFIX, figures_cells, held_from_rows

STRICT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
COMPACT = json.JSONEncoder(separators=(",", ":")).encode
VALUES = [0, 7, -3, 10**20, 0.1, 1e-07, 2.5e16, -0.0, 1234.5678901234567, 751.0]


def _oracle(source: Source) -> str:
    """What figures_cells wrote before templates: the sorted (indicator, period, value) items through the encoder."""
    items = [(c, p, v) for (c, p), v in source.actuals.items()] + [(TASK_PREFIX + k, p, v) for (k, p), v in source.tasks.items()]
    return STRICT(sorted(items, key=itemgetter(0, 1)))


def _source(unit: str, actuals: dict, tasks: dict) -> Source:
    return Source(unit, None, f"{unit}.xlsx", "0" * 64, actuals, tasks=tasks)


def test_units_figures_text_is_the_encoders_for_every_kind_of_number_and_order_read():
    rng = random.Random(13)
    keys = [("bhxh_bb", f"2025-{m:02d}") for m in range(1, 13)] + [("bhyt", "cả kỳ"), ("thu_{x}", "2025-01"), ("ẩn\"\\", "2025-02")]
    tasks = [("no_duoi_1t_dv", f"2025-{m:02d}") for m in range(1, 13)] + [("bhxh_bb", "2025-01")]  # a task keyed like an indicator
    for n in range(40):
        order = keys[:]
        rng.shuffle(order)  # the order read differs from unit to unit; the units of one shape share one template
        if n % 2:
            order = keys[:]
        actuals = {k: rng.choice(VALUES) for k in order}
        task_values = {k: rng.choice(VALUES) for k in tasks}
        source = _source(f"{n:04d}", actuals, task_values)
        assert figures_cells(source) == [_oracle(source)]
        assert held_from_rows([("unit", "round_date", "file", "sha256", "indicator", "period", "actual"),
                               (source.unit, "", source.file, source.sha256, "*figures", "", figures_cells(source)[0])]
                              )[source.unit].actuals == actuals


@pytest.mark.parametrize("odd", [True, "5 (ước)", "", None])
def test_a_unit_with_a_value_the_template_does_not_take_is_written_by_the_encoder(odd):
    actuals = {("bhxh_bb", "2025-01"): 5, ("bhxh_bb", "2025-02"): odd, ("bhyt", "2025-01"): 2.5}
    source = _source("01", actuals, {("no", "2025-01"): 1})
    assert figures_cells(source) == [_oracle(source)]


def test_a_figure_that_is_not_a_number_still_stops_the_strict_json():
    for bad in (math.nan, math.inf):
        source = _source("01", {("bhxh_bb", "2025-01"): 5, ("bhxh_bb", "2025-02"): bad}, {})
        with pytest.raises(ValueError):
            figures_cells(source)


def test_figures_past_a_cell_still_split_over_rows():
    actuals = {("bhxh_bb", f"{n:06d}"): n for n in range(2_000)}
    cells = figures_cells(_source("01", actuals, {}))
    assert len(cells) > 1 and all(len(c) <= CELL_TEXT_LIMIT for c in cells)
    assert [tuple(item) for c in cells for item in json.loads(c)] == [(c, p, v) for (c, p), v in actuals.items()]


class _Sheet:
    """A sheet that keeps what `write_shown` writes into it."""

    name = "_shown"

    def __init__(self) -> None:
        self.rows: dict[int, tuple] = {}
        self.hidden = False

    def write_row(self, row: int, col: int, values: tuple) -> None:
        self.rows[row] = tuple(values)

    def write_cells(self, row: int, cells: tuple) -> None:
        self.rows[row] = tuple(value for _col, value, _fmt in cells)

    def hide(self) -> None:
        self.hidden = True


def test_shown_rows_text_is_the_encoders_with_blanks_text_and_every_kind_of_number():
    rng = random.Random(5)
    shown = {}
    for r in range(60):
        columns = [4, 5, 7, 8, 10, 11] if r % 3 else [4, 5, 8, 9]
        values = [rng.choice([*VALUES, "", "", math.nan if r == 7 else 1, "typed" if r == 11 else 2, True if r == 13 else 3])
                  for _ in columns]
        shown[("Theo tháng" if r % 2 else "Tổng hợp", r + 6)] = [x for pair in zip(columns, values) for x in pair]
    sheet = _Sheet()
    write_shown(sheet, shown)
    assert sheet.hidden
    for n, ((name, row), cells) in enumerate(sorted(shown.items()), start=1):
        assert sheet.rows[n] == (name, row, COMPACT(list(zip(cells[::2], cells[1::2]))))
