"""The data-quality report: every place where a plan's published figures disagree with each other.

Published figures are never corrected; this report says where they do not add up, so that a
person can decide. The centrally managed share of national totals is shown apart: it is not an
error, it is participants no province manages.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .plans import NATIONAL_KEYS, PROVINCES_TOTAL_CODE, TOTAL, PlanTargets
from .units import CENTRAL_CODE, NATIONAL_CODE

MONTHS_VS_TOTAL = "months_vs_total"
PROVINCES_VS_NATIONAL = "provinces_vs_national"
PROVINCES_VS_PUBLISHED_SUM = "provinces_vs_published_sum"
CENTRAL_SHARE = "central_share"


@dataclass(frozen=True)
class Finding:
    """One disagreement (or the central share), with what was published and what adds up."""

    plan: str
    unit: str
    indicator: str
    period: str
    check: str
    published: int
    recomputed: int

    @property
    def difference(self) -> int:
        """Published minus recomputed: positive when the published figure is larger."""
        return self.published - self.recomputed

    @property
    def is_inconsistency(self) -> bool:
        """The central share is information; everything else is a disagreement."""
        return self.check != CENTRAL_SHARE

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form, difference included."""
        return {**asdict(self), "difference": self.difference}


def months_vs_total(data: PlanTargets) -> list[Finding]:
    """A row's total against the sum of its published months (rounding each month on its own)."""
    findings = []
    months = data.plan.months
    units = (*NATIONAL_KEYS, *data.unit_codes())
    for unit in units:
        for code in data.plan.indicators:
            total = data.value(unit, code, TOTAL)
            values = [data.value(unit, code, m) for m in months]
            if total is None or any(v is None for v in values):
                continue
            recomputed = sum(v for v in values if v is not None)
            if recomputed != total:
                findings.append(Finding(data.plan.id, unit, code, TOTAL, MONTHS_VS_TOTAL, total, recomputed))
    return findings


def national_vs_provinces(data: PlanTargets) -> list[Finding]:
    """National rows against the sum of provinces, per indicator and period.

    Where a 'Cộng các tỉnh' row is published, it is checked against the provinces and the gap
    between 'Toàn quốc' and it is reported as the central share; otherwise 'Toàn quốc' itself
    is checked against the provinces.
    """
    findings = []
    provinces = data.unit_codes()
    for code in data.plan.indicators:
        for period in data.periods(code):
            parts = [data.value(u, code, period) for u in provinces]
            recomputed = sum(v for v in parts if v is not None)
            national = data.value(NATIONAL_CODE, code, period)
            published_sum = data.value(PROVINCES_TOTAL_CODE, code, period)
            plan_id = data.plan.id
            if published_sum is not None:
                if published_sum != recomputed:
                    findings.append(
                        Finding(plan_id, PROVINCES_TOTAL_CODE, code, period, PROVINCES_VS_PUBLISHED_SUM, published_sum, recomputed)
                    )
                if national is not None and national != published_sum:
                    findings.append(Finding(plan_id, CENTRAL_CODE, code, period, CENTRAL_SHARE, national, published_sum))
            elif national is not None and national != recomputed:
                findings.append(Finding(plan_id, NATIONAL_CODE, code, period, PROVINCES_VS_NATIONAL, national, recomputed))
    return findings


def check_plan(data: PlanTargets) -> list[Finding]:
    """Every finding of one plan: row totals first, then national totals."""
    return months_vs_total(data) + national_vs_provinces(data)
