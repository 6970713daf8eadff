"""The compact form the main process keeps a return's figures in (`figures.Figures`) keeps every figure as it was."""

from __future__ import annotations

import io
import json
import math
import pickle
import struct
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbook_tools import consolidate as consolidate_module
from workbook_tools.check import ACCEPTED, CheckReport, choose_returns
from workbook_tools.consolidate import Figure, Source, UnitResult, Worked, consolidate, task_rows
from workbook_tools.figures import Figures, compact, restore
from workbook_tools.forms import shipped_forms
from workbook_tools.plans import load_plan
from workbook_tools.read import Return
from workbook_tools.read_cache import _Unpickler

keys = st.tuples(st.sampled_from(["bhxh_bb", "bhyt", "no_duoi_1t_dv", "x"]), st.sampled_from(["2021-09", "2021-10", "total", ""]))
numbers = st.one_of(st.integers(min_value=-(2 ** 70), max_value=2 ** 70), st.floats(allow_nan=True, allow_infinity=True))
values = st.one_of(numbers, st.text(max_size=5), st.none(), st.booleans())
widths = st.sampled_from([2 ** 7, 2 ** 15, 2 ** 31, 2 ** 63])
mappings = st.one_of(widths.flatmap(lambda w: st.dictionaries(keys, st.integers(min_value=-w - 1, max_value=w))),
                     st.dictionaries(keys, st.floats()), st.dictionaries(keys, numbers), st.dictionaries(keys, values))


def same_value(a: object, b: object) -> bool:
    """The very value: same type, and for floats the same bits (NaN, -0.0)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return struct.pack("<d", a) == struct.pack("<d", b)  # type: ignore[arg-type]
    return a == b


def assert_exactly(figures: object, original: dict) -> None:
    """`figures` holds the keys of `original` in its order, each with the very value."""
    assert isinstance(figures, Figures)
    assert list(figures) == list(original) and list(figures.keys()) == list(original) and len(figures) == len(original)
    assert [k for k, _ in figures.items()] == list(original)
    for (key, value), (key2, value2), value3 in zip(original.items(), figures.items(), figures.values()):
        assert key == key2 and same_value(value, value2) and same_value(value, value3)
        assert same_value(value, figures[key]) and same_value(value, figures.get(key)) and key in figures
    assert figures.get(("absent", "")) is None and figures.get(("absent", ""), 7) == 7 and ("absent", "") not in figures
    with pytest.raises(KeyError):
        figures[("absent", "")]


@settings(max_examples=300, deadline=None)
@given(mappings)
def test_compact_figures_give_back_every_key_and_value_exactly_in_order(original):
    figures = compact(original)
    assert_exactly(figures, original)
    if not any(isinstance(v, float) and math.isnan(v) for v in original.values()):  # NaN is not equal to itself in a dict either
        assert figures == original and original == figures and figures == compact(dict(original))
    assert compact(figures) is figures


@settings(max_examples=300, deadline=None)
@given(mappings)
def test_the_quick_questions_of_compact_figures_answer_as_the_values_do(original):
    """`as_dict`, `whole_range` and `numbers_only` (the consolidation's short ways) say what the values themselves say."""
    figures = compact(original)
    plain = figures.as_dict()
    assert list(plain) == list(original) and all(same_value(plain[k], v) for k, v in original.items())
    kinds, values = {type(v) for v in original.values()}, list(original.values())
    fits = kinds == {int} and all(-(2 ** 63) <= v < 2 ** 63 for v in values)  # held in an array of whole numbers
    assert figures.whole_range() == ((min(values), max(values)) if fits else None)
    assert figures.numbers_only() == (fits or kinds == {float})


@settings(max_examples=200, deadline=None)
@given(mappings)
def test_compact_figures_come_back_whole_from_the_read_cache_and_the_worker_pipe(original):
    figures = compact(original)
    payload = pickle.dumps({"actuals": figures, "tasks": compact({})}, protocol=pickle.HIGHEST_PROTOCOL)
    for loaded in (pickle.loads(payload), _Unpickler(io.BytesIO(payload)).load()):  # the cache's unpickler allows them
        assert_exactly(loaded["actuals"], original)
        assert_exactly(loaded["tasks"], {})


def test_returns_of_one_shape_share_one_layout_and_pickle_its_keys_once():
    """3,300 returns of one form hold one set of keys: in memory, and in the read cache's file."""
    keys_of = [(code, f"2025-{m:02d}") for code in ("bhxh_bb", "bhyt") for m in range(1, 13)]
    many = [compact({k: n * 1000 + i for i, k in enumerate(keys_of)}) for n in range(49)] + [compact(dict.fromkeys(keys_of, 40_000))]
    assert all(f._layout is many[0]._layout for f in many)
    assert [many[0]._values.itemsize, many[1]._values.itemsize, many[-1]._values.itemsize] == [1, 2, 4]  # up to 127, 32,767, 2**31
    one, fifty = len(pickle.dumps(many[:1])), len(pickle.dumps(many))
    assert fifty < one + 49 * (len(keys_of) * 8 + 40)  # each further return adds its values' bytes, not its keys


def test_figures_are_read_only():
    figures = compact({("bhyt", "2021-09"): 5})
    with pytest.raises(TypeError):
        figures[("bhyt", "2021-09")] = 6  # type: ignore[index]
    with pytest.raises(TypeError):
        hash(figures)


@pytest.mark.parametrize("args", [
    ((("bhyt", "2021-09"),), "q", b"\0" * 4),  # bytes of no whole number of values
    ((("bhyt", "2021-09"),), "q", b"\0" * 16),  # two values for one key
    ((("bhyt", "2021-09"),), "B", b"\0"),  # an array type never written (unsigned)
    ((("bhyt", "2021-09"),), "f", b"\0" * 4),  # an array type never written (single precision)
    ((["bhyt", "2021-09"],), "", (1,)),  # a key that is not a pair
    ((("bhyt", "2021-09"),), "", [1]),  # values that are not a tuple
])
def test_a_malformed_pickled_figures_is_refused(args):
    with pytest.raises(ValueError):
        restore(*args)


DATA = load_plan("2800-2021")
TASKS = [t.key for t in task_rows(shipped_forms(), DATA.plan) if not t.indicator]
UNITS = DATA.unit_codes()[:6]
START = date(2021, 9, 1).toordinal()
figure_keys = st.tuples(st.sampled_from(list(DATA.plan.indicators)), st.sampled_from(list(DATA.plan.months)))
task_keys = st.tuples(st.sampled_from(TASKS[:6]), st.sampled_from(list(DATA.plan.months)))
amounts = st.one_of(st.integers(min_value=0, max_value=10 ** 12), st.floats(min_value=0, max_value=1e12))
a_return = st.fixed_dictionaries({
    "unit": st.sampled_from(UNITS),
    "day": st.integers(min_value=1, max_value=60),
    "actuals": st.dictionaries(figure_keys, amounts, max_size=12),
    "tasks": st.dictionaries(task_keys, amounts, max_size=8),
    "notes": st.dictionaries(st.sampled_from(list(DATA.plan.months)), st.text(max_size=4), max_size=2),  # Mẫu 02's text row
})
a_held = st.fixed_dictionaries({
    "day": st.integers(min_value=1, max_value=60), "same_file": st.booleans(),
    "actuals": st.dictionaries(figure_keys, amounts, max_size=12), "tasks": st.dictionaries(task_keys, amounts, max_size=8),
})


def returns_of(drawn: list[dict], kept: bool) -> CheckReport:
    """The drawn returns as `check_folder` leaves them: compacted (`kept`) or as the reader made them."""
    returns, known = [], {}
    for n, d in enumerate(drawn):
        ret = Return(Path(f"{n:03d}-{d['unit']}.xlsx"), sha256=f"{n:064x}", unit=d["unit"], plan=DATA.plan.id,
                     round_date=date.fromordinal(START + d["day"]),
                     actuals=dict(d["actuals"]), tasks={**d["tasks"], **{("ghi_chu", m): text for m, text in d["notes"].items()}}, reporter=f"người {n % 2}")
        if kept:
            ret.compact(known)
        returns.append(ret)
    report = CheckReport(DATA, returns, expected=tuple(UNITS))
    report.chosen = choose_returns(returns)
    return report


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(a_return, max_size=10), st.dictionaries(st.sampled_from(UNITS), a_held, max_size=4))
def test_consolidating_compact_returns_gives_what_the_full_dicts_give(monkeypatch, drawn, held_drawn):
    """Every figure summed, held, replaced or written to JSON is the same whether the returns and held figures are
    kept compact or as plain dicts (the JSON text compared: an int stays an int, a float a float)."""

    def held(kept_files: dict[str, str]) -> dict[str, Source]:
        return {unit: Source(unit, date.fromordinal(START + h["day"]),
                             f"held-{unit}.xlsx", kept_files.get(unit, "f" * 64) if h["same_file"] else "e" * 64,
                             dict(h["actuals"]), held=True, tasks=dict(h["tasks"]))
                for unit, h in held_drawn.items()}

    def as_json(kept: bool) -> str:
        report = returns_of(drawn, kept)
        files = {u: r.sha256 for u, r in report.chosen.items()}
        result = consolidate(report, held=held(files))
        if kept:
            assert all(isinstance(s.actuals, Figures) and isinstance(s.tasks, Figures) for s in result.sources.values())
        else:
            assert not any(isinstance(s.actuals, Figures) for s in result.sources.values())
        return json.dumps(result.as_dict(), ensure_ascii=False, default=str)

    compact_json = as_json(True)
    with monkeypatch.context() as patch:
        patch.setattr(consolidate_module, "compact", lambda figures, known=None: figures)  # sources kept as the dicts given
        full_json = as_json(False)
    assert compact_json == full_json


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(a_return, max_size=10), st.dictionaries(st.sampled_from(UNITS), a_held, max_size=4), st.booleans())
def test_figures_worked_out_as_the_returns_arrive_consolidate_to_what_working_them_out_at_the_end_gives(drawn, held_drawn, all_arrived):
    """`Worked` (each return's figures worked out while the others are still read) changes nothing: rejected, rival,
    older, replaced and held returns, notes among the tasks, a return that arrived uncompacted or not at all."""
    report = returns_of(drawn, kept=True)
    held = {unit: Source(unit, date.fromordinal(START + h["day"]), f"held-{unit}.xlsx", "f" * 64 if h["same_file"] else "e" * 64,
                         dict(h["actuals"]), held=True, tasks=dict(h["tasks"])) for unit, h in held_drawn.items()}
    worked = Worked(DATA)
    for n, ret in enumerate(report.returns):
        if all_arrived or n % 2:
            worked.add(ret)
    with_worked = json.dumps(consolidate(report, held=held, worked=worked).as_dict(), ensure_ascii=False, default=str)
    assert with_worked == json.dumps(consolidate(report, held=held).as_dict(), ensure_ascii=False, default=str)
    other = Worked(load_plan("1813-2025"))  # worked out for another plan: not used
    for ret in report.returns:
        other.add(ret)
    assert json.dumps(consolidate(report, held=held, worked=other).as_dict(), ensure_ascii=False, default=str) == with_worked


def test_a_return_whose_figures_cannot_be_worked_out_as_it_arrives_leaves_them_to_the_consolidation():
    """`Worked.add` runs inside the reading's progress: whatever it meets, it never stops the reading."""
    odd = Return(Path("x.xlsx"), sha256="0" * 64, unit=UNITS[0], plan=DATA.plan.id, round_date=date.fromordinal(START + 1),
                 actuals={(DATA.plan.indicators[0], DATA.plan.months[0]): "mười", (DATA.plan.indicators[0], DATA.plan.months[1]): 3})
    odd.compact({})
    worked = Worked(DATA)
    worked.add(odd)  # a text among the achievements: no sum to make
    assert worked.of(UNITS[0], Source(UNITS[0], odd.round_date, odd.file, odd.sha256, odd.actuals)) is None


figure_lists = st.lists(st.builds(Figure, st.sampled_from(["bhyt", "bhxh_bb"]), st.sampled_from(["2021-09", "total"]),
                                  st.none() | st.integers(0, 9), st.none() | st.integers(0, 9)), max_size=6)


@settings(max_examples=200, deadline=None)
@given(st.lists(figure_lists, min_size=1, max_size=4))
def test_each_unit_finds_the_first_figure_of_each_key_whatever_the_units_share(lists):
    """Units laid out alike share one index of positions; each still finds its own figure, the first of a key."""
    units = [UnitResult(str(n), "", ACCEPTED, values) for n, values in enumerate(lists)]
    for unit in units:
        for indicator in ("bhyt", "bhxh_bb", "absent"):
            for period in ("2021-09", "total"):
                first = next((f for f in unit.values if (f.indicator, f.period) == (indicator, period)), None)
                assert unit.figure(indicator, period) is first
    unit = units[0]
    unit.values = [Figure("absent", "total", 1, 2)]  # a list put in place of another is indexed anew
    assert unit.figure("absent", "total") is unit.values[0] and unit.figure("bhyt", "total") is None


def test_returns_back_from_the_workers_keep_every_problem_and_share_their_texts():
    """Each return back from a worker has its own copy of every text (file name, sheet, code, identity); kept, the
    returns of a folder share one of each, and every problem and identity entry is as it was."""
    from workbook_tools.problems import problem

    def sent(n: int) -> Return:
        ret = Return(Path("xa-1.xlsx"), unit="0001", meta={"plan_id": "1813-2025-xa3300", "sheet:mau01": "Mẫu 01", "unit": str(n)},
                     actuals={("bhyt", "2025-01"): n}, tasks={("ghi_chu", "2025-01"): "khó khăn"})
        ret.add("duplicate_unit", expected="xa-1 (1).xlsx")
        ret.problems.append(problem("blank_return", "xa-1.xlsx", "0001", sheet="Mẫu 01"))
        return pickle.loads(pickle.dumps(ret))  # as it comes through the worker's pipe

    known: dict = {}
    first, second = sent(1), sent(2)
    expected = [(r.problems[:], dict(r.meta), dict(r.actuals), dict(r.tasks)) for r in (first, second)]
    assert first.problems[0].file is not second.problems[0].file
    for ret in (first, second):
        ret.compact(known)
    assert [(r.problems, r.meta, dict(r.actuals), dict(r.tasks)) for r in (first, second)] == expected
    assert all(type(p) is type(expected[0][0][0]) for p in first.problems)
    for one, other in zip(first.problems, second.problems):
        assert one.file is other.file and one.sheet is other.sheet and one.code is other.code and one.message is other.message
    assert first.meta["sheet:mau01"] is second.meta["sheet:mau01"] and list(first.meta) == list(expected[0][1])


def test_figures_from_workers_travel_by_layout_number_and_a_new_worker_under_a_dead_ones_process_id_is_read_right(monkeypatch):
    """A worker sends a layout's keys with its first figures of that shape, then its number only; a worker started
    under the process id of one that died numbers its layouts afresh, and the figures of both read as they were sent."""
    from multiprocessing.reduction import ForkingPickler

    from workbook_tools import figures as module

    first = {("bhyt", f"2025-{m:02d}"): m * 10 for m in range(1, 13)}
    second = {("ghi_chu", "2025-01"): "khó khăn", ("hoi_nghi", "2025-01"): 2.5}
    monkeypatch.setattr(module.os, "getpid", lambda: 4242)  # both workers under one process id
    monkeypatch.setattr(module, "_sender", module._sender)  # both restored after the test: this process is the main one
    monkeypatch.setattr(module, "_shipped", None)

    def sent(*mappings: dict) -> list[bytes]:
        """Messages of a worker just started (`ship_by_number`), one mapping each, in order."""
        module.ship_by_number()
        try:
            return [bytes(ForkingPickler.dumps(("ok", n, compact(m)))) for n, m in enumerate(mappings)]
        finally:
            module._shipped = None  # this test's process is the main one again

    old = sent(first, second, dict(first))  # numbers 0 (first's keys), 1 (second's), then 0 alone
    new = sent(second, first)  # the same process id, a new worker: 0 is now second's layout
    assert len(old[2]) * 2 < len(old[0])  # the keys travelled once
    for message, original in zip(old + new, [first, second, first, second, first]):
        assert_exactly(pickle.loads(message)[2], original)
    assert_exactly(pickle.loads(old[2])[2], first)  # read again after the new worker's: its own numbers hold
    with pytest.raises(KeyError):
        module.arrived(b"no worker", 0, None, "b", b"\x01")  # a number no worker sent: never another layout's figures
    with pytest.raises(pickle.UnpicklingError):
        _Unpickler(io.BytesIO(old[0])).load()  # the read cache never takes figures in the workers' form
