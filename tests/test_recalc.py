"""Formulas computed by a real engine: fill workbooks as staff would, recalculate in LibreOffice
headless, and compare every formula result with the same maths done in Python."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from workbook_tools.cli import main
from workbook_tools.plans import TOTAL, load_plan
from workbook_tools.targets import completion, cumulative, latest_level

from .libreoffice import convert
from .workbooks import computed, fill

pytestmark = pytest.mark.libreoffice
UNITS_2800 = ("01", "15", "79")
MAU02_FLOW = ("xu_phat_dv", "xu_phat_tien", "hoi_nghi_nguoi", "kinh_phi_da_chi")
MAU02_LINKED = {"thanh_tra_dv": "thanh_tra", "ra_soat_so_luong": "ra_soat_thue", "hoi_nghi_so": "hoi_nghi"}
MAU02_STOCK = ("no_duoi_1t_dv", "no_tren_3t_tien", "kinh_phi_giao")


def _generate(runner, plan: str, out: Path, units: tuple[str, ...]) -> None:
    args = ["generate", "--plan", plan, "--out", str(out)] + [a for u in units for a in ("--unit", u)]
    result = runner.invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output


def _inputs_2800(seed: int, months: tuple[str, ...], indicators: tuple[str, ...]) -> dict:
    """Random figures a province might type: some months left empty, money with decimals."""
    rng = random.Random(seed)
    values = {("mau01", "round_date", "uom"): __import__("datetime").date(2021, 11, 15)}
    for code in indicators:
        for month in months[: rng.randint(1, len(months))]:
            values[("mau01", code, f"actual:{month}")] = round(rng.uniform(0, 50_000), 1) if code == "thu" else rng.randint(0, 50_000)
    for key in MAU02_FLOW + MAU02_STOCK:
        for month in months[:3]:
            if rng.random() < 0.8:
                values[("mau02", key, f"value:{month}")] = rng.randint(1, 900)
    values[("mau02", "ghi_chu", f"value:{months[0]}")] = "Khó khăn do dịch Covid-19"
    return values


@pytest.fixture(scope="module")
def filled_2800(tmp_path_factory):
    from click.testing import CliRunner

    root = tmp_path_factory.mktemp("recalc2800")
    _generate(CliRunner(), "2800-2021", root / "blank", UNITS_2800)
    plan = load_plan("2800-2021").plan
    typed = {}
    (root / "filled").mkdir()
    for seed, code in enumerate(UNITS_2800):
        source = next((root / "blank").glob(f"{code}-*.xlsx"))
        typed[code] = _inputs_2800(seed, plan.months, plan.indicators)
        fill(source, typed[code], root / "filled" / source.name)
    files = sorted((root / "filled").glob("*.xlsx"))
    recalculated = convert(files, root / "recalc", force=True)
    return {p.name[:2]: computed(p) for p in recalculated}, typed


def _approx(value, expected):
    if expected is None or expected == "":
        return value in ("", None)
    return value == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_mau01_completion_totals_and_remaining_match_python(filled_2800):
    results, typed = filled_2800
    data = load_plan("2800-2021")
    checked = 0
    for code, values in results.items():
        sheet = values["mau01"]
        for indicator in data.plan.indicators:
            monthly = {m: typed[code].get(("mau01", indicator, f"actual:{m}")) for m in data.plan.months}
            for month, actual in monthly.items():
                target = data.value(code, indicator, month)
                assert _approx(sheet[(indicator, f"pct:{month}")], completion(actual, target)), (code, indicator, month)
                checked += 1
            reported = {m: v for m, v in monthly.items() if v is not None}
            to_date = cumulative(reported, data.plan.end) if reported else None
            target = data.value(code, indicator, TOTAL)
            assert _approx(sheet[(indicator, "actual:total")], to_date)
            assert _approx(sheet[(indicator, "pct:total")], completion(to_date, target))
            assert _approx(sheet[(indicator, "remaining:total")], None if to_date is None else max(0, target - to_date))
            checked += 3
    assert checked == len(UNITS_2800) * 7 * 7


def test_mau02_flows_sum_stocks_take_latest_and_ratios_guard_zero(filled_2800):
    results, typed = filled_2800
    data = load_plan("2800-2021")
    months = data.plan.months
    for code, values in results.items():
        sheet = values["mau02"]
        series = {
            key: {m: typed[code].get(("mau02", key, f"value:{m}")) for m in months} for key in MAU02_FLOW + MAU02_STOCK
        }
        for key in MAU02_FLOW:
            reported = {m: v for m, v in series[key].items() if v is not None}
            assert _approx(sheet[(key, "value:total")], cumulative(reported, months[-1]) if reported else None), key
        for key in MAU02_STOCK:
            assert _approx(sheet[(key, "value:total")], latest_level(series[key], months[-1])), key
        for key, indicator in MAU02_LINKED.items():
            typed_in_mau01 = {m: typed[code].get(("mau01", indicator, f"actual:{m}")) for m in months}
            for month, value in typed_in_mau01.items():
                assert _approx(sheet[(key, f"value:{month}")], value), (key, month)
            reported = {m: v for m, v in typed_in_mau01.items() if v is not None}
            assert _approx(sheet[(key, "value:total")], cumulative(reported, months[-1]) if reported else None)
            target = data.value(code, indicator, TOTAL)
            assert sheet[(key, "target:total")] == target
            total = sheet[(key, "value:total")]
            assert _approx(sheet[(key, "pct:total")], completion(total if total != "" else None, target))
        for month in months:
            spent, budget = series["kinh_phi_da_chi"][month], series["kinh_phi_giao"][month]
            assert _approx(sheet[("kinh_phi_ty_le", f"value:{month}")], completion(spent, budget))
        assert sheet[("ghi_chu", f"value:{months[0]}")] == "Khó khăn do dịch Covid-19"


def test_stock_plan_takes_the_latest_level_and_compares_with_last_year(runner, tmp_path):
    _generate(runner, "1813-2024", tmp_path / "blank", ("01",))
    source = tmp_path / "blank" / "01-ha-noi.xlsx"
    typed = {
        ("mau01", "bhyt", "actual:2024-01"): 7_900_000,
        ("mau01", "bhyt", "actual:2024-03"): 7_950_000,
        ("mau01", "bhyt", "baseline:total"): 7_880_000,
        ("mau01", "bhyt", "previous:total"): 7_940_000,
        ("mau01", "bhyt", "last_year:total"): 7_700_000,
    }
    fill(source, typed, tmp_path / "filled.xlsx")
    sheet = computed(convert([tmp_path / "filled.xlsx"], tmp_path / "recalc")[0])["mau01"]
    data, previous = load_plan("1813-2024"), load_plan("1813-2023")
    assert sheet[("bhyt", "target:total")] == data.value("01", "bhyt")
    assert sheet[("bhyt", "target:2024-01")] > previous.value("01", "bhyt")
    assert sheet[("bhyt", "target:2024-12")] == data.value("01", "bhyt")
    assert sheet[("bhyt", "actual:total")] == 7_950_000
    assert sheet[("bhyt", "pct:total")] == pytest.approx(7_950_000 / data.value("01", "bhyt"))
    assert sheet[("bhyt", "change_year:total")] == 70_000
    assert sheet[("bhyt", "change_previous:total")] == 10_000
    assert sheet[("bhyt", "growth:total")] == pytest.approx(7_950_000 / 7_700_000 - 1)
    assert sheet[("bhxh_bb", "actual:total")] == "" and sheet[("bhxh_bb", "change_year:total")] == ""


def test_a_fresh_workbook_computes_in_libreoffice_without_forced_recalculation(runner, tmp_path):
    """On a staff PC LibreOffice trusts cached results; ours are empty so it computes them."""
    _generate(runner, "2800-2021", tmp_path / "blank", ("62",))
    source = tmp_path / "blank" / "62-kon-tum.xlsx"
    fill(source, {("mau01", "bhyt", "actual:2021-09"): 3_528}, tmp_path / "filled.xlsx")
    shutil.copy(source, tmp_path / "fresh.xlsx")
    fresh, filled = convert([tmp_path / "fresh.xlsx", tmp_path / "filled.xlsx"], tmp_path / "plain", force=False)
    blank = computed(fresh)["mau01"]
    assert blank[("bhyt", "pct:2021-09")] == "" and blank[("bhyt", "remaining:total")] == ""
    assert all(v != 0 for k, v in blank.items() if k[1].startswith(("pct:", "remaining:")))
    typed = computed(filled)["mau01"]
    assert typed[("bhyt", "pct:2021-09")] == pytest.approx(0.5)
    assert typed[("bhyt", "remaining:total")] == 35_279 - 3_528
