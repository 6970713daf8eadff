"""Target maths: exact splits, flows and stocks to date, regrouping onto the 34 units."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workbook_tools.errors import AllocationError
from workbook_tools.plans import TOTAL, PlanTargets, load_plan
from workbook_tools.targets import (
    allocate, completion, cumulative, latest_level, monthly_targets, regroup, stock_milestones,
)
from workbook_tools.units import mapping_63_to_34

weights = st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=24).filter(any)


@given(total=st.integers(min_value=-10**12, max_value=10**12), profile=weights)
def test_allocation_always_sums_to_the_total(total, profile):
    assert sum(allocate(total, profile)) == total


@given(total=st.integers(min_value=0, max_value=10**12), profile=weights)
def test_each_part_is_its_exact_share_rounded_down_or_up(total, profile):
    parts = allocate(total, profile)
    for part, weight in zip(parts, profile):
        exact = Fraction(total * weight, sum(profile))
        assert exact - 1 < part < exact + 1


def test_profile_split_of_a_published_total():
    assert allocate(2_350_507, [20, 35, 30, 15]) == [470_101, 822_678, 705_152, 352_576]
    assert allocate(10, [1, 1, 1]) == [4, 3, 3]


@pytest.mark.parametrize("bad", [[], [0, 0], [1, -1]])
def test_impossible_profiles_are_refused(bad):
    with pytest.raises(AllocationError):
        allocate(100, bad)


def test_flows_cumulate_and_stocks_take_the_latest_level():
    monthly = {"2021-09": 10, "2021-10": 20, "2021-11": 30}
    assert cumulative(monthly, "2021-10") == 30
    levels = {"2021-09": 100, "2021-10": None, "2021-11": 130}
    assert latest_level(levels, "2021-10") == 100
    assert latest_level(levels, "2021-12") == 130
    assert latest_level({"2021-09": None}, "2021-12") is None


def test_completion_is_none_without_a_target():
    assert completion(50, 200) == 0.25
    assert completion(50, 0) is None
    assert completion(None, 10) is None


def test_stock_milestones_climb_exactly_to_the_target():
    levels = stock_milestones(1_000, 1_012, [1] * 12)
    assert levels[-1] == 1_012 and levels == sorted(levels)


def test_published_months_are_used_as_published():
    data = load_plan("2800-2021")
    result = monthly_targets(data, "01", "bhxh_bb")
    assert not result.derived
    assert result.months == {"2021-09": 42_148, "2021-10": 73_759, "2021-11": 63_222, "2021-12": 31_611}


def test_derived_months_of_an_annual_flow_add_up_exactly():
    data = load_plan("2800-2021")
    stripped = PlanTargets(replace(data.plan, published_months=False), tuple(t for t in data.targets if t.period == TOTAL))
    for unit in stripped.unit_codes():
        result = monthly_targets(stripped, unit, "thu", profile=[20, 35, 30, 15])
        assert result.derived and sum(result.months.values()) == data.value(unit, "thu", TOTAL)


def test_annual_stock_without_baseline_keeps_the_level_every_month():
    data = load_plan("1813-2024")
    result = monthly_targets(data, "01", "bhyt")
    assert result.method == "level" and set(result.months.values()) == {8_104_505}
    with_base = monthly_targets(data, "01", "bhyt", baseline=7_894_256)
    assert with_base.months["2024-12"] == 8_104_505 and with_base.months["2024-01"] > 7_894_256


@pytest.mark.parametrize("plan_id", ["275-2021", "2800-2021", "1813-2025"])
def test_regrouping_onto_34_units_keeps_the_national_sum(plan_id):
    data = load_plan(plan_id)
    new = regroup(data, mapping_63_to_34(), "34")
    assert len(new.unit_codes()) == 34 and new.plan.structure == "34"
    for code in data.plan.indicators:
        for period in data.periods(code):
            old_sum = sum(data.value(u, code, period) or 0 for u in data.unit_codes())
            new_sum = sum(new.value(u, code, period) or 0 for u in new.unit_codes())
            assert old_sum == new_sum
            assert new.value("VN", code, period) == data.value("VN", code, period)


def test_regrouped_unit_is_the_sum_of_its_former_provinces():
    data = load_plan("275-2021")
    new = regroup(data, mapping_63_to_34(), "34")
    assert new.value("15", "bhxh_bb") == data.value("10", "bhxh_bb") + data.value("15", "bhxh_bb")
