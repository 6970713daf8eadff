"""The data-quality report finds every inconsistency DESIGN.md §4 names, and the central share apart."""

from __future__ import annotations

from workbook_tools.plans import load_plan
from workbook_tools.quality import CENTRAL_SHARE, MONTHS_VS_TOTAL, check_plan


def _find(plan_id, unit, indicator, check, period="total"):
    matches = [
        f for f in check_plan(load_plan(plan_id))
        if (f.unit, f.indicator, f.check, f.period) == (unit, indicator, check, period)
    ]
    assert len(matches) == 1, matches
    return matches[0]


def test_yen_bai_conferences_total_disagrees_with_its_months():
    finding = _find("2800-2021", "15", "hoi_nghi", MONTHS_VS_TOTAL)
    assert (finding.published, finding.recomputed, finding.difference) == (7_515, 367, 7_148)


def test_national_conferences_total_carries_the_yen_bai_error():
    finding = _find("2800-2021", "VN", "hoi_nghi", MONTHS_VS_TOTAL)
    assert (finding.published, finding.recomputed) == (52_032, 44_885)


def test_rounding_gaps_of_one_unit_are_reported():
    finding = _find("2800-2021", "01", "bhxh_bb", MONTHS_VS_TOTAL)
    assert (finding.published, finding.recomputed) == (210_739, 210_740)


def test_about_sixty_participant_cells_of_2800_do_not_add_up():
    findings = check_plan(load_plan("2800-2021"))
    participants = [f for f in findings if f.check == MONTHS_VS_TOTAL and f.indicator in ("bhxh_bb", "bhxh_tn", "bhyt")]
    others = [f for f in findings if f.check == MONTHS_VS_TOTAL and f.indicator not in ("bhxh_bb", "bhxh_tn", "bhyt")]
    assert 50 <= len(participants) <= 70
    assert len(others) >= 24
    assert all(abs(f.difference) <= 2 for f in findings if f.check == MONTHS_VS_TOTAL and f.unit != "15" and f.unit != "VN")


def test_275_national_bhtn_and_bhyt_exceed_the_provinces_by_one():
    findings = check_plan(load_plan("275-2021"))
    assert {(f.indicator, f.difference) for f in findings} == {("bhtn", 1), ("bhyt", 1)}


def test_1813_central_share_is_shown_apart_not_as_an_error():
    for year in (2023, 2024, 2025):
        findings = check_plan(load_plan(f"1813-{year}"))
        central = {f.indicator: f.difference for f in findings if f.check == CENTRAL_SHARE}
        assert central == {"bhxh_bb": 1_067_000, "bhtn": 79_608, "bhyt": 1_067_000}
        assert not any(f.is_inconsistency and f.check == CENTRAL_SHARE for f in findings)
