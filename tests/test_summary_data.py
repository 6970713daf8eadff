"""The figures a national summary keeps in its hidden `_data` sheet: one row per unit, read back exactly,
also when a unit's figures need more than one Excel cell, and summaries written in the older layout
(one row per figure) still count."""

from __future__ import annotations

import datetime as dt
import json

import xlsxwriter
from python_calamine import CalamineWorkbook

from workbook_tools import held
from workbook_tools.cli import main
from workbook_tools.held import DATA_COLUMNS, FIGURES_ROW, load_held

from .workbooks import fill

ROUND = dt.date(2021, 11, 12)


def _returns(runner, tmp_path, codes: dict[str, int]) -> tuple:
    """Generate 2800-2021 and fill the given provinces with one figure per indicator and month."""
    units = [part for code in codes for part in ("--unit", code)]
    result = runner.invoke(main, ["generate", "--plan", "2800-2021", "--out", str(tmp_path / "blank"), *units], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    returns = tmp_path / "returns"
    returns.mkdir()
    typed = {}
    for path in sorted((tmp_path / "blank").glob("*.xlsx")):
        base = codes[path.name[:2]]
        values = {("mau01", "round_date", "uom"): ROUND, ("mau02", "hoi_nghi_nguoi", "value:2021-10"): base + 7}
        for k, indicator in enumerate(("bhxh_bb", "bhxh_tn", "bhyt")):
            for month in ("2021-09", "2021-10", "2021-11"):
                values[("mau01", indicator, f"actual:{month}")] = base + 10 * k + int(month[-2:])
        typed[path.name[:2]] = values
        fill(path, values, returns / path.name)
    return returns, typed


def _data_rows(path) -> list[list]:
    """The `_data` sheet as calamine reads it."""
    book = CalamineWorkbook.from_path(str(path))
    try:
        return book.get_sheet_by_name("_data").to_python()
    finally:
        book.close()


def _consolidate(runner, returns, out, json_path, *extra: str):
    result = runner.invoke(main, ["consolidate", str(returns), "--plan", "2800-2021", "--out", str(out), "--json", str(json_path), *extra])
    assert result.exit_code == 1, result.output  # the other 61 provinces are missing
    return json.loads(json_path.read_text(encoding="utf-8"))


def test_data_sheet_holds_one_row_per_unit_and_reads_back_every_figure(runner, tmp_path):
    returns, typed = _returns(runner, tmp_path, {"01": 1000, "79": 5000})
    out = tmp_path / "national.xlsx"
    _consolidate(runner, returns, out, tmp_path / "n.json")
    rows = _data_rows(out)
    assert rows[0] == list(DATA_COLUMNS)
    assert [r[0] for r in rows[1:]] == ["01", "79"] and {r[4] for r in rows[1:]} == {FIGURES_ROW}
    kept = load_held(out)
    for code, values in typed.items():
        expected = {(ind, col.split(":")[1]): v for (form, ind, col), v in values.items() if form == "mau01" and ind != "round_date"}
        assert kept[code].actuals == expected
        assert kept[code].tasks == {("hoi_nghi_nguoi", "2021-10"): values[("mau02", "hoi_nghi_nguoi", "value:2021-10")]}
        assert kept[code].round_date == ROUND


def test_figures_longer_than_a_cell_go_on_more_rows_and_still_count(runner, tmp_path, monkeypatch):
    monkeypatch.setattr(held, "CELL_TEXT_LIMIT", 120)
    returns, _typed = _returns(runner, tmp_path, {"01": 1000, "79": 5000})
    out = tmp_path / "national.xlsx"
    first = _consolidate(runner, returns, out, tmp_path / "first.json")
    rows = _data_rows(out)
    assert len(rows) > 3 and all(len(r[6]) <= 120 for r in rows[1:])
    empty = tmp_path / "empty"
    empty.mkdir()
    noted = _consolidate(runner, empty, out, tmp_path / "noted.json")  # nothing new: every figure held, as noted when written
    read = _consolidate(runner, empty, out, tmp_path / "read.json", "--no-cache")  # no note: every figure read from `_data`
    assert read["national"] == noted["national"] == first["national"] and read["summary"]["accepted"] == 2
    assert noted["units"] == read["units"]


def test_a_summary_in_the_older_layout_keeps_its_figures(runner, tmp_path):
    out = tmp_path / "national.xlsx"
    book = xlsxwriter.Workbook(str(out))
    for name, value in (("kind", "national"), ("plan_id", "2800-2021"), ("structure", "63")):
        book.set_custom_property(f"wt_{name}", value)  # as summaries of that layout carried them
    sheet = book.add_worksheet("_data")
    sheet.write_row(0, 0, DATA_COLUMNS)
    old = [("bhxh_bb", "2021-09", 120), ("bhxh_bb", "2021-10", 130), ("mau02:hoi_nghi_nguoi", "2021-10", 44)]
    for r, (indicator, period, value) in enumerate(old, start=1):
        sheet.write_row(r, 0, ["01", "2021-11-12", "01-ha-noi.xlsx", "ab" * 32, indicator, period, value])
    book.close()
    empty = tmp_path / "empty"
    empty.mkdir()
    payload = _consolidate(runner, empty, out, tmp_path / "n.json")
    hanoi = next(u for u in payload["units"] if u["code"] == "01")
    assert hanoi["status"] == "accepted" and hanoi["tasks"]["hoi_nghi_nguoi"] == 44
    assert {(v["period"], v["actual"]) for v in hanoi["values"] if v["indicator"] == "bhxh_bb"} >= {("2021-09", 120), ("2021-10", 130), ("total", 250)}


def _refuse(constant: str) -> None:
    raise ValueError(f"not strict JSON: {constant}")


def test_json_output_is_strict_with_one_unit_a_line(runner, tmp_path):
    returns, typed = _returns(runner, tmp_path, {"01": 1000, "79": 5000})
    payload = _consolidate(runner, returns, tmp_path / "national.xlsx", tmp_path / "n.json")
    text = (tmp_path / "n.json").read_text(encoding="utf-8")
    assert json.loads(text, parse_constant=_refuse) == payload
    unit_lines = [line for line in text.splitlines() if line.lstrip().startswith('{"code": ')]
    assert len(unit_lines) == len(payload["units"]) == 63
    hanoi = json.loads(next(line for line in unit_lines if '"code": "01"' in line).rstrip(","))
    september = next(v for v in hanoi["values"] if v["indicator"] == "bhxh_bb" and v["period"] == "2021-09")
    assert september["actual"] == typed["01"][("mau01", "bhxh_bb", "actual:2021-09")]
    assert "Hà Nội" in text  # names stay readable, not \u escapes
