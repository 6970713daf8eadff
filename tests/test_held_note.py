"""The figures a national workbook holds are noted with the bytes written, and taken from that note on the next
round only while the workbook is still those bytes: what the note gives is exactly what reading `_data` gives
(same units, keys in the same order, every value of the same type), and any doubt reads the workbook."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbook_tools import held
from workbook_tools.check import CheckReport
from workbook_tools.cli import main
from workbook_tools.consolidate import Source, consolidate
from workbook_tools.held import held_as_written, held_from_note, load_held
from workbook_tools.plans import load_plan
from workbook_tools.read_cache import remember_written, written_note
from workbook_tools.summary import write_summary

from .test_figures import same_value
from .test_summary_data import _returns

DATA = load_plan("2800-2021")
UNITS = ["01", "02", "79", "96"]
START = date(2021, 9, 1).toordinal()
codes = st.sampled_from(["bhxh_bb", "bhxh_tn", "bhyt", "thu", "zz", "a b", "Đắk"])
periods = st.sampled_from(["2021-09", "2021-10", "2021-11", "total", ""])
amounts = st.one_of(st.integers(min_value=-(10 ** 15), max_value=10 ** 15), st.floats(allow_nan=False, allow_infinity=False, width=64),
                    st.integers(min_value=-(10 ** 6), max_value=10 ** 6).map(float), st.just(-0.0), st.none(),
                    st.text(max_size=8))
held_units = st.dictionaries(st.sampled_from(UNITS), st.fixed_dictionaries({
    "day": st.none() | st.integers(min_value=0, max_value=90), "file": st.text(min_size=1, max_size=12),
    "actuals": st.dictionaries(st.tuples(codes, periods), amounts, max_size=30),
    "tasks": st.dictionaries(st.tuples(codes | st.sampled_from(["hoi_nghi_nguoi", "no_1_3t_tien", "ghi_chu"]), periods), amounts, max_size=10),
}), min_size=1)


def assert_same_held(noted: dict[str, Source], read: dict[str, Source]) -> None:
    """Units in order, each field, each figure's key in order and its very value."""
    assert list(noted) == list(read)
    for unit in read:
        a, b = noted[unit], read[unit]
        assert (a.unit, a.round_date, a.file, a.sha256, a.held) == (b.unit, b.round_date, b.file, b.sha256, b.held)
        for mine, theirs in ((a.actuals, b.actuals), (a.tasks, b.tasks)):
            assert list(mine) == list(theirs)
            assert all(same_value(x, y) for x, y in zip(mine.values(), theirs.values())), (unit, list(mine.items()), list(theirs.items()))


def _written(sources: dict[str, Source], out: Path) -> None:
    """The national workbook of these held figures, written as `consolidate` writes it (its note too)."""
    write_summary(consolidate(CheckReport(DATA, [], expected=DATA.unit_codes()), held=sources), out)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(held_units)
def test_the_figures_noted_with_the_bytes_written_are_exactly_those_the_workbook_reads_back(tmp_path_factory, drawn):
    out = tmp_path_factory.mktemp("note") / "tong-hop.xlsx"
    sources = {unit: Source(unit, None if d["day"] is None else date.fromordinal(START + d["day"]),
                            d["file"], "ab" * 32, d["actuals"], held=True, tasks=d["tasks"]) for unit, d in drawn.items()}
    _written(sources, out)
    note = written_note(out)
    assert note is not None and "held" in note
    assert_same_held(held_from_note(note["held"]), load_held(out))


def test_a_unit_whose_figures_fill_several_cells_is_noted_as_it_reads_back(tmp_path, monkeypatch):
    monkeypatch.setattr(held, "CELL_TEXT_LIMIT", 200)  # every unit's figures over several `_data` rows
    many = {(code, f"2021-{m:02d}"): (m * 1001 if m % 3 else m + 0.25) for code in ("bhxh_bb", "bhyt", "thu") for m in range(1, 13)}
    sources = {"01": Source("01", date(2021, 11, 12), "01.xlsx", "cd" * 32, many, held=True, tasks={("hoi_nghi", "2021-10"): 7.0}),
               "79": Source("79", date(2021, 11, 13), "79.xlsx", "ef" * 32, dict(reversed(many.items())), held=True)}
    out = tmp_path / "tong-hop.xlsx"
    _written(sources, out)
    read = load_held(out)
    assert_same_held(held_from_note(written_note(out)["held"]), read)
    assert read["01"].tasks[("hoi_nghi", "2021-10")] == 7 and type(read["01"].tasks[("hoi_nghi", "2021-10")]) is int


def _consolidate(returns: Path, out: Path, json_path: Path, *extra: str) -> dict:
    result = CliRunner().invoke(main, ["consolidate", str(returns), "--plan", "2800-2021", "--out", str(out),
                                       "--json", str(json_path), *extra], catch_exceptions=False)
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output  # the other provinces are missing
    payload = json.loads(json_path.read_text(encoding="utf-8"))
    payload.pop("generated_at", None)
    return payload


@pytest.fixture
def two_rounds(runner, tmp_path) -> tuple[Path, Path]:
    """A national workbook of two provinces' returns, and a folder holding one of them only (the other's figures held)."""
    returns, _typed = _returns(runner, tmp_path, {"01": 1000, "79": 5000})
    out = tmp_path / "tong-hop.xlsx"
    _consolidate(returns, out, tmp_path / "first.json")
    one = tmp_path / "one"
    one.mkdir()
    shutil.copy2(next(returns.glob("01*.xlsx")), one)
    return one, out


def test_a_round_on_an_untouched_workbook_takes_the_held_figures_from_the_note_and_says_what_reading_it_says(two_rounds, tmp_path, monkeypatch):
    one, out = two_rounds
    saved = tmp_path / "saved.xlsx"
    shutil.copy2(out, saved)
    real, opened = held.calamine_book, []
    monkeypatch.setattr(held, "calamine_book", lambda path: opened.append(path) or real(path))
    noted = _consolidate(one, out, tmp_path / "noted.json")
    assert opened == []  # `_data` not read: the bytes are those noted
    shutil.copy2(saved, out)
    read = _consolidate(one, out, tmp_path / "read.json", "--no-cache")
    assert opened == [out]
    assert noted == read
    hcm = next(u for u in noted["units"] if u["code"] == "79")
    assert hcm["status"] == "accepted" and any(v["actual"] for v in hcm["values"])


def test_a_workbook_saved_since_it_was_written_is_read_not_taken_from_the_note(two_rounds, tmp_path, monkeypatch):
    one, out = two_rounds
    book = openpyxl.load_workbook(out)
    book.save(out)  # opened and saved (say in Excel): other bytes, the same figures
    real, opened = held.calamine_book, []
    monkeypatch.setattr(held, "calamine_book", lambda path: opened.append(path) or real(path))
    payload = _consolidate(one, out, tmp_path / "n.json", "--force")
    assert opened == [out]
    assert next(u for u in payload["units"] if u["code"] == "79")["status"] == "accepted"


@pytest.mark.parametrize("note", ["an older note", "held of another form", "a date as text"])
def test_a_note_without_usable_held_figures_means_the_workbook_is_read(two_rounds, tmp_path, monkeypatch, note):
    one, out = two_rounds
    expected = load_held(out)
    digest = written_note(out)["sha256"]
    entries = held_as_written(expected)
    if note == "an older note":
        remember_written(out, digest)  # as versions before this one noted: the SHA-256 alone
    elif note == "held of another form":
        remember_written(out, digest, {"01": entries})
    else:
        remember_written(out, digest, [(*entries[0][:1], "2021-11-12", *entries[0][2:]), *entries[1:]])
    assert written_note(out) is not None  # the bytes are still those noted: no hand-edit search either way
    real, opened = held.calamine_book, []
    monkeypatch.setattr(held, "calamine_book", lambda path: opened.append(path) or real(path))
    assert_same_held(held.prior_figures(out, "2800-2021", "63"), expected)
    assert opened == [out]


def test_text_typed_into_the_hidden_figures_is_left_out_of_the_sums_not_a_traceback(two_rounds, tmp_path):
    one, out = two_rounds
    book = openpyxl.load_workbook(out)
    data = book["_data"]
    row = next(r for r in data.iter_rows(min_row=2) if r[0].value == "79")
    figures = json.loads(row[6].value)
    figures[0][2] = "mười"  # an achievement as words
    task = next(f for f in figures if f[0] == "mau02:hoi_nghi_nguoi")
    task[2] = "bảy"  # a task figure as words
    row[6].value = json.dumps(figures, ensure_ascii=False)
    book.save(out)
    payload = _consolidate(one, out, tmp_path / "n.json")
    hcm = next(u for u in payload["units"] if u["code"] == "79")
    assert hcm["status"] == "accepted" and hcm["tasks"]["hoi_nghi_nguoi"] is None
    left_out = next(v for v in hcm["values"] if (v["indicator"], v["period"]) == tuple(figures[0][:2]))
    assert left_out["actual"] is None
    assert any(f"{figures[0][0]} {figures[0][1]}" in notice for notice in payload["notices"]), payload["notices"]


def test_figures_the_note_cannot_hold_leave_the_workbook_written_and_read_next_round(two_rounds, tmp_path, monkeypatch):
    """Working out the note's figures failing (say memory) costs the next round its short way, never the workbook."""
    one, out = two_rounds
    from workbook_tools import summary

    def fails(_sources):
        raise MemoryError
    working = summary.held_as_written
    monkeypatch.setattr(summary, "held_as_written", fails)
    first = _consolidate(one, out, tmp_path / "first.json")
    note = written_note(out)
    assert note is not None and "held" not in note  # the bytes noted, not the figures
    monkeypatch.setattr(summary, "held_as_written", working)
    real, opened = held.calamine_book, []
    monkeypatch.setattr(held, "calamine_book", lambda path: opened.append(path) or real(path))
    assert _consolidate(one, out, tmp_path / "again.json") == first and opened == [out]
