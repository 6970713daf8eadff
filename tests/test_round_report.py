"""The round report (`Báo cáo kỳ`), the page staff sign: it follows Mẫu 01 live for the month of the
report date; after LibreOffice recalculates filled workbooks every figure matches the same maths in Python."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from click.testing import CliRunner

from workbook_tools.cli import main
from workbook_tools.plans import TOTAL

from .libreoffice import convert
from .printed import pages
from .workbooks import computed, fill

pytestmark = pytest.mark.libreoffice
FLOW_MONTHS = ("2021-09", "2021-10", "2021-11", "2021-12")
FLOW_INDICATORS = ("bhxh_bb", "bhxh_tn", "bhyt", "thu", "thanh_tra", "ra_soat_thue", "hoi_nghi")
STOCK_INDICATORS = ("bhxh_bb", "bhxh_tn", "bhtn", "bhyt")
STOCK_MONTHS = tuple(f"2025-{m:02d}" for m in range(1, 13))


def _typed(seed: int, months: tuple[str, ...], indicators: tuple[str, ...], day: dt.date | None, stock: bool) -> dict:
    """What a province types: the months up to the report date (one left empty), stock comparisons."""
    rng = random.Random(seed)
    values: dict = {("mau01", "round_date", "uom"): day} if day else {}
    for code in indicators:
        for month in months[:5]:
            if rng.random() < 0.85:
                values[("mau01", code, f"actual:{month}")] = round(rng.uniform(0, 90_000), 1) if code == "thu" else rng.randint(0, 90_000)
        if stock:
            for key in ("baseline", "previous", "last_year"):
                values[("mau01", code, f"{key}:{TOTAL}")] = rng.randint(1, 90_000)
    return values


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """A flow plan dated in October, a stock plan on the 34 units dated in March, one with no date: recalculated."""
    root = tmp_path_factory.mktemp("round")
    runner = CliRunner()
    for args in (["--plan", "2800-2021", "--unit", "79", "--out", str(root / "flow")],
                 ["--plan", "1813-2025", "--structure", "34", "--unit", "15", "--out", str(root / "stock")]):
        assert runner.invoke(main, ["generate", *args], catch_exceptions=False).exit_code == 0
    flow = next((root / "flow").glob("*.xlsx"))
    stock = next((root / "stock").glob("*.xlsx"))
    cases = {
        "flow": (flow, _typed(1, FLOW_MONTHS, FLOW_INDICATORS, dt.date(2021, 10, 20), False), FLOW_MONTHS, 2),
        "stock": (stock, _typed(2, STOCK_MONTHS, STOCK_INDICATORS, dt.date(2025, 3, 15), True), STOCK_MONTHS, 3),
        "undated": (flow, _typed(3, FLOW_MONTHS, FLOW_INDICATORS, None, False), FLOW_MONTHS, 0),
    }
    (root / "filled").mkdir()
    files = [fill(path, typed, root / "filled" / f"{name}.xlsx") for name, (path, typed, _, _) in cases.items()]
    recalculated = convert(files, root / "recalc", force=True)
    pdfs = convert(files, root / "pdf", to="pdf", force=True)
    return {name: (computed(path), case[1], case[2], case[3], pages(pdf))
            for (name, case), path, pdf in zip(cases.items(), recalculated, pdfs)}


def _same(value, expected):
    if expected is None:
        return value in ("", None)
    return value == pytest.approx(expected, rel=1e-9, abs=1e-9)


def _pct(actual, target):
    return None if actual is None or not target else actual / target


@pytest.mark.parametrize("name", ["flow", "stock"])
def test_round_report_matches_python_for_the_month_of_the_report_date(reports, name):
    sheets, typed, months, month_number, _ = reports[name]
    report, targets = sheets["bao_cao_ky"], sheets["chi_tieu"]
    round_month = months[month_number - 1]
    stock = name == "stock"
    indicators = STOCK_INDICATORS if stock else FLOW_INDICATORS
    for code in indicators:
        row = {key: report[(code, f"{key}:{TOTAL}")] for key in ("plan_target", "target", "actual", "pct", "to_date", "to_date_pct", "remaining")}
        plan_target = targets[(code, f"target:{TOTAL}")]
        month_target = targets[(code, f"target:{round_month}")]
        month_actual = typed.get(("mau01", code, f"actual:{round_month}"))
        reported = [typed[k] for m in months if (k := ("mau01", code, f"actual:{m}")) in typed]
        if stock:
            to_date = next((typed[("mau01", code, f"actual:{m}")] for m in reversed(months) if ("mau01", code, f"actual:{m}") in typed), None)
        else:
            to_date = sum(reported) if reported else None
        assert _same(row["plan_target"], plan_target)
        assert _same(row["target"], month_target) and _same(row["actual"], month_actual)
        assert _same(row["pct"], _pct(month_actual, month_target))
        assert _same(row["to_date"], to_date) and _same(row["to_date_pct"], _pct(to_date, plan_target))
        assert _same(row["remaining"], None if to_date is None else max(0, plan_target - to_date))
        if stock:
            base, previous, last_year = (typed[("mau01", code, f"{k}:{TOTAL}")] for k in ("baseline", "previous", "last_year"))
            assert _same(report[(code, f"change_year:{TOTAL}")], None if to_date is None else to_date - base)
            assert _same(report[(code, f"change_previous:{TOTAL}")], None if to_date is None else to_date - previous)
            assert _same(report[(code, f"growth:{TOTAL}")], None if to_date is None else to_date / last_year - 1)


def test_without_a_report_date_the_month_columns_stay_blank(reports):
    sheets, *_ = reports["undated"]
    report = sheets["bao_cao_ky"]
    for code in FLOW_INDICATORS:
        assert report[(code, f"target:{TOTAL}")] == "" and report[(code, f"actual:{TOTAL}")] == ""
        assert report[(code, f"plan_target:{TOTAL}")] != ""


@pytest.mark.parametrize("name", ["flow", "stock"])
def test_round_report_prints_on_one_page_with_place_date_and_signatures(reports, name):
    printed = [p for p in reports[name][4] if "Báo cáo kỳ" in p.footer()]
    assert len(printed) == 1
    page = printed[0]
    assert min(page.body_sizes()) >= 7.95
    assert "GIÁM ĐỐC" in page.text and "NGƯỜI LẬP BIỂU" in page.text and "ngày …… tháng …… năm" in page.text
    month = {"flow": "Tháng 10/2021", "stock": "Tháng 3/2025"}[name]
    assert month in page.text
