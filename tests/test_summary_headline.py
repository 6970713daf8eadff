"""The national summary as leadership reads it, after LibreOffice recalculates it: the headline, the
reporting units' completion beside the whole country's, blank months nobody reported, the notes."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import zipfile

import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from workbook_tools.check import ACCEPTED
from workbook_tools.cli import main
from workbook_tools.consolidate import Consolidation, Figure, UnitResult, sum_figures
from workbook_tools.indicators import indicator
from workbook_tools.plans import TOTAL, load_plan
from workbook_tools.summary import CHART_UNITS, write_summary
from workbook_tools.units import structure

from .libreoffice import convert
from .workbooks import fill

pytestmark = pytest.mark.libreoffice
REPORTED = {"01": 0.61, "79": 1.07, "48": 0.35}
NOTE = "Đề nghị BHXH Việt Nam bổ sung kinh phí tuyên truyền; khó khăn do dịch Covid-19."


@pytest.fixture(scope="module")
def national(tmp_path_factory):
    """Three of 63 units report September only (Đà Nẵng a late return with a note); the summary, recalculated."""
    root = tmp_path_factory.mktemp("headline")
    runner = CliRunner()
    args = ["generate", "--plan", "2800-2021", "--out", str(root / "blank")] + [a for u in REPORTED for a in ("--unit", u)]
    assert runner.invoke(main, args, catch_exceptions=False).exit_code == 0
    data = load_plan("2800-2021")
    (root / "returns").mkdir()
    for code, share in REPORTED.items():
        source = next((root / "blank").glob(f"{code}-*.xlsx"))
        values = {("mau01", "round_date", "uom"): dt.date(2021, 10, 31 if code != "48" else 10)}
        for ind in data.plan.indicators:
            values[("mau01", ind, "actual:2021-09")] = round((data.value(code, ind, "2021-09") or 0) * share)
        if code == "48":
            values[("mau02", "ghi_chu", "value:2021-09")] = "Ghi chú cũ"
            values[("mau02", "ghi_chu", "value:2021-10")] = NOTE
        fill(source, values, root / "returns" / source.name)
    args = ["consolidate", str(root / "returns"), "--plan", "2800-2021", "--out", str(root / "n.xlsx"),
            "--json", str(root / "n.json"), "--csv", str(root / "n.csv"), "--as-of", "2021-10-31"]
    result = runner.invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 1, result.output  # 60 units missing
    path = convert([root / "n.xlsx"], root / "recalc", force=True)[0]
    book = CalamineWorkbook.from_path(str(path))
    grids = {name: book.get_sheet_by_name(name).to_python(skip_empty_area=False) for name in book.sheet_names}
    return {"grids": grids, "json": json.loads((root / "n.json").read_text(encoding="utf-8")), "root": root, "data": data}


def _figures(units, indicator, period=TOTAL):
    """(Σ target, Σ actual) over the given units' JSON figures."""
    values = [v for u in units for v in u["values"] if v["indicator"] == indicator and v["period"] == period]
    return sum(v["target"] for v in values), sum(v["actual"] or 0 for v in values)


def test_headline_shows_reporting_units_beside_the_whole_country(national):
    grid = national["grids"]["Tóm tắt"]
    units = national["json"]["units"]
    reported = [u for u in units if u["status"] == "accepted"]
    rows = {row[1]: row for row in grid if isinstance(row[1], str)}
    for code in national["data"].plan.indicators:
        row = rows[indicator(code).label]
        target_reported, actual = _figures(reported, code)
        target_all, _ = _figures(units, code)
        assert row[3] == "3/63"
        assert row[4] == pytest.approx(target_reported) and row[5] == pytest.approx(actual)
        assert row[6] == pytest.approx(actual / target_reported)
        assert row[7] == pytest.approx(target_all) and row[8] == pytest.approx(actual / target_all)
        figure = next(f for f in national["json"]["reporting_units"] if f["indicator"] == code and f["period"] == TOTAL)
        assert figure["completion"] == pytest.approx(actual / target_reported) and figure["units"] == 3 and figure["of"] == 63
    counts = {row[0]: row[2] for row in grid[4:11]}
    assert counts["Số đơn vị đã báo cáo (được chấp nhận)"] == 3 and counts["Số đơn vị phải báo cáo"] == 63
    assert counts["Báo cáo đúng hạn"] == 2 and counts["Báo cáo trễ hạn"] == 1 and counts["Chưa nộp"] == 60
    assert counts["Tỷ lệ đã báo cáo"] == pytest.approx(3 / 63)


def test_headline_names_the_units_furthest_behind_with_live_completion(national):
    grid = national["grids"]["Tóm tắt"]
    start = next(i for i, row in enumerate(grid) if str(row[0]).startswith("3. "))
    first = grid[start + 2]
    assert first[1] == "BHXH bắt buộc" and first[2] == "Đà Nẵng"
    unit = next(u for u in national["json"]["units"] if u["code"] == "48")
    value = next(v for v in unit["values"] if v["indicator"] == "bhxh_bb" and v["period"] == TOTAL)
    assert first[4] == pytest.approx(value["completion"])
    assert [grid[start + 2 + k][2] for k in range(3)] == ["Đà Nẵng", "Hà Nội", "TP Hồ Chí Minh"]


def test_notes_reach_the_headline_the_json_and_the_csv(national):
    grid = national["grids"]["Tóm tắt"]
    assert any(row[1] == "Đà Nẵng" and row[2] == NOTE for row in grid)
    unit = next(u for u in national["json"]["units"] if u["code"] == "48")
    assert unit["notes"] == {"2021-09": "Ghi chú cũ", "2021-10": NOTE}
    with (national["root"] / "n.csv").open(encoding="utf-8-sig") as handle:
        rows = [r for r in csv.DictReader(handle) if r["indicator"] == "ghi_chu"]
    assert {(r["code"], r["period"], r["note"]) for r in rows} == {("48", "2021-09", "Ghi chú cũ"), ("48", "2021-10", NOTE)}


def test_months_nobody_reported_stay_blank_on_the_monthly_sheet(national):
    grid = national["grids"]["Theo tháng"]
    periods = (*national["data"].plan.months, TOTAL)
    sums = [row for row in grid if row[0] == "Cộng các tỉnh"]
    assert len(sums) == len(national["data"].plan.indicators)
    for row in sums:
        for n, period in enumerate(periods):
            actual, pct = row[5 + 3 * n], row[6 + 3 * n]
            if period in ("2021-10", "2021-11", "2021-12"):
                assert actual == "" and pct == ""
            else:
                assert actual != "" and pct != ""


def test_totals_label_the_two_completions_and_units_not_reported_show_no_counts(national):
    grid = national["grids"]["Tổng hợp"]
    reporting = next(row for row in grid if str(row[0]).startswith("Các đơn vị đã báo cáo: 3/63"))
    whole = next(row for row in grid if str(row[0]).startswith("Cộng các tỉnh – cả nước, 63 đơn vị"))
    units = national["json"]["units"]
    for n, code in enumerate(national["data"].plan.indicators):
        c = 4 + 4 * n
        target, actual = _figures([u for u in units if u["status"] == "accepted"], code)
        assert reporting[c] == pytest.approx(target) and reporting[c + 2] == pytest.approx(actual / target)
        assert reporting[c + 3] == "3/63"
        assert whole[c + 2] == pytest.approx(actual / _figures(units, code)[0])
    status = national["grids"]["Tình hình nộp báo cáo"]
    missing = [row for row in status if row[3] == "Chưa nộp"]
    assert len(missing) == 60 and all(row[7] == "" and row[8] == "" for row in missing)
    present = [row for row in status if row[3] == "Đã nhận"]
    assert len(present) == 3 and all(row[7] == 0 for row in present)


def test_more_units_than_a_page_can_name_continue_on_a_second_chart(tmp_path):
    plan = load_plan("2800-2021").plan
    units = [UnitResult(u.code, u.name, ACCEPTED, [Figure(code, TOTAL, 100.0, float(n + 1)) for code in plan.indicators])
             for n, u in enumerate(structure("63").units)]
    result = Consolidation(plan, "63", None, None, units, sum_figures([u.values for u in units]))
    write_summary(result, tmp_path / "n.xlsx")
    with zipfile.ZipFile(tmp_path / "n.xlsx") as archive:
        charts = [archive.read(n).decode() for n in archive.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n)]
    assert len(charts) == 2 * len(plan.indicators)
    named = 0
    for chart in charts:
        first, last = map(int, re.search(r"<c:cat>.*?\$(\d+):\$[A-Z]+\$(\d+)", chart, re.S).groups())
        assert last - first + 1 <= CHART_UNITS
        named += last - first + 1
    assert named == 63 * len(plan.indicators)
