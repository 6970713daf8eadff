"""The shipped plans are exactly what the source documents publish, and can be rebuilt from them."""

from __future__ import annotations

import shutil

import pytest

from workbook_tools.plans import NATIONAL_KEYS, TOTAL, list_plans, load_plan
from workbook_tools.quality import check_plan
from workbook_tools.seeds import rebuild
from workbook_tools.units import NATIONAL_CODE

PLAN_IDS = ["1813-2023", "1813-2024", "1813-2025", "2800-2021", "275-2021"]


def test_rebuilding_from_the_sources_reproduces_the_shipped_files(data_dir, tmp_path):
    shutil.copytree(data_dir / "sources", tmp_path / "sources")
    (tmp_path / "plans").mkdir()
    written = rebuild(tmp_path)
    assert sorted(p.stem for p in written) == sorted(PLAN_IDS)
    for path in written:
        assert path.read_bytes() == (data_dir / "plans" / path.name).read_bytes(), path.name


def test_every_plan_has_every_province_indicator_and_period():
    assert [p.id for p in list_plans()] == sorted(PLAN_IDS)
    for plan_id in PLAN_IDS:
        data = load_plan(plan_id)
        assert len(data.unit_codes()) == 63
        for unit in data.unit_codes():
            for code in data.plan.indicators:
                periods = [TOTAL, *data.plan.months] if data.plan.published_months else [TOTAL]
                for period in periods:
                    assert data.value(unit, code, period) is not None, (plan_id, unit, code, period)


@pytest.mark.parametrize(
    "plan_id,unit,indicator,period,value",
    [
        ("275-2021", "VN", "bhxh_bb", TOTAL, 14_842_260),
        ("275-2021", "01", "bhyt", TOTAL, 7_382_605),
        ("275-2021", "62", "bhxh_bb", TOTAL, 40_049),
        ("2800-2021", "01", "bhxh_bb", TOTAL, 210_739),
        ("2800-2021", "VN", "thu", "2021-12", 44_382_235),
        ("2800-2021", "15", "hoi_nghi", TOTAL, 7_515),
        ("2800-2021", "96", "thanh_tra", "2021-10", 33),
        ("1813-2025", "VN", "bhyt", TOTAL, 96_925_171),
        ("1813-2024", "VN_TINH", "bhtn", TOTAL, 17_308_361),
        ("1813-2023", "15", "bhxh_tn", TOTAL, 41_472),
    ],
)
def test_spot_figures_as_published(plan_id, unit, indicator, period, value):
    assert load_plan(plan_id).value(unit, indicator, period) == value


@pytest.mark.parametrize("plan_id", PLAN_IDS)
def test_published_national_totals_are_rederived_or_every_gap_is_reported(plan_id):
    """Toàn quốc = Σ provinces + the differences the report lists for that indicator and period."""
    data = load_plan(plan_id)
    findings = [f for f in check_plan(data) if f.check != "months_vs_total"]
    for code in data.plan.indicators:
        for period in data.periods(code):
            provinces = sum(data.value(u, code, period) or 0 for u in data.unit_codes())
            explained = sum(f.difference for f in findings if f.indicator == code and f.period == period)
            assert data.value(NATIONAL_CODE, code, period) == provinces + explained, (code, period)


def test_national_rows_are_kept_apart_from_provinces():
    data = load_plan("1813-2023")
    assert set(NATIONAL_KEYS) <= {t.unit for t in data.targets}
    assert not set(NATIONAL_KEYS) & set(data.unit_codes())
