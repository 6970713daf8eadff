"""Target maths: exact splitting over months, cumulating flows, latest levels of stocks, regrouping.

Everything here is exact integer arithmetic: a split always adds up to its total, to the unit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction

from .errors import AllocationError
from .plans import NATIONAL_KEYS, TOTAL, Plan, PlanTargets, Target


def allocate(total: int, weights: Sequence[float | int | Fraction]) -> list[int]:
    """Split a whole total by weights with largest-remainder rounding; parts always sum to total.

    Ties in the remainders go to the earlier part, so the result is deterministic. A negative
    total is split as its absolute value and negated, so signs stay consistent.
    """
    if not weights:
        raise AllocationError("cannot split a total over zero parts")
    exact = [Fraction(w) for w in weights]
    if any(w < 0 for w in exact):
        raise AllocationError(f"profile weights must not be negative: {list(weights)}")
    weight_sum = sum(exact)
    if weight_sum == 0:
        raise AllocationError("profile weights add up to zero")
    sign, magnitude = (-1, -total) if total < 0 else (1, total)
    shares = [magnitude * w / weight_sum for w in exact]
    parts = [int(s) for s in shares]
    short = magnitude - sum(parts)
    by_remainder = sorted(range(len(shares)), key=lambda i: (-(shares[i] - parts[i]), i))
    for i in by_remainder[:short]:
        parts[i] += 1
    return [sign * p for p in parts]


def even_profile(months: int) -> tuple[int, ...]:
    """Equal weights, the default profile for plans published as annual figures only."""
    return (1,) * months


def cumulative(monthly: Mapping[str, int], upto: str) -> int:
    """Flow to date: the sum of the months up to and including `upto`."""
    return sum(v for month, v in monthly.items() if month <= upto)


def latest_level(monthly: Mapping[str, int | None], upto: str) -> int | None:
    """Stock to date: the latest level reported at or before `upto` (None if none yet)."""
    reported = [(month, v) for month, v in monthly.items() if month <= upto and v is not None]
    return max(reported)[1] if reported else None


def to_date(plan: Plan, monthly: Mapping[str, int | None], upto: str) -> int | None:
    """Achievement (or target) to date, following the plan's stock or flow semantics."""
    return to_date_of_kind(plan.kind, monthly, upto)


def to_date_of_kind(kind: str, monthly: Mapping[str, float | None], upto: str) -> float | None:
    """Stocks: the latest level; flows: the sum of the months (None when nothing was reported)."""
    if kind == "stock":
        return latest_level(monthly, upto)
    reported = {m: v for m, v in monthly.items() if v is not None and m <= upto}
    return cumulative(reported, upto) if reported else None


def whole_of_kind(kind: str, reported: Sequence[float]) -> float | None:
    """`to_date_of_kind` of figures already listed month by month in order (the consolidation's hot path, no dict):
    stocks the latest, flows their sum (added in that order), None when nothing was reported."""
    if not reported:
        return None
    return reported[-1] if kind == "stock" else sum(reported)


def completion(actual: float | None, target: float | None) -> float | None:
    """Actual ÷ target as a fraction; None where there is no target (0 or missing)."""
    if actual is None or not target:
        return None
    return actual / target


def stock_milestones(baseline: int, target: int, profile: Sequence[float | int]) -> list[int]:
    """Month-end levels from a baseline to the target, the increase split exactly by the profile."""
    steps = allocate(target - baseline, profile)
    levels, level = [], baseline
    for step in steps:
        level += step
        levels.append(level)
    return levels


@dataclass(frozen=True)
class MonthlyTargets:
    """A unit's monthly targets for one indicator and whether the tool derived them."""

    months: dict[str, int]
    derived: bool
    method: str


def monthly_targets(
    data: PlanTargets,
    unit: str,
    indicator_code: str,
    profile: Sequence[float | int] | None = None,
    baseline: int | None = None,
) -> MonthlyTargets:
    """Monthly targets as published, else derived exactly from the plan's total.

    Flows: the total is split over the months by the profile (default even). Stocks: with a
    baseline (last year's level), month-end levels climb from it to the target by the profile;
    without one, every month carries the year's target level.
    """
    months, at = data.plan.months, data.of_unit(unit).get
    published = {m: at((indicator_code, m)) for m in months}
    if all(v is not None for v in published.values()):
        return MonthlyTargets({m: int(v) for m, v in published.items() if v is not None}, False, "published")
    total = at((indicator_code, TOTAL))
    if total is None:
        return MonthlyTargets({}, False, "none")
    weights = profile or even_profile(len(months))
    if len(weights) != len(months):
        raise AllocationError(f"profile has {len(weights)} weights for {len(months)} months")
    if not data.plan.is_stock:
        return MonthlyTargets(dict(zip(months, allocate(total, weights))), True, "allocated")
    if baseline is None:
        return MonthlyTargets({m: total for m in months}, True, "level")
    return MonthlyTargets(dict(zip(months, stock_milestones(baseline, total, weights))), True, "milestones")


def regroup(data: PlanTargets, mapping: Mapping[str, str], structure_key: str) -> PlanTargets:
    """Sum a plan's unit figures onto another structure (63 → 34); national rows are kept as published."""
    sums: dict[tuple[str, str, str], int] = {}
    names: dict[str, list[str]] = {}
    kept: list[Target] = []
    for target in data.targets:
        if target.unit in NATIONAL_KEYS:
            kept.append(target)
            continue
        new = mapping[target.unit]
        key = (new, target.indicator, target.period)
        sums[key] = sums.get(key, 0) + target.value
        names.setdefault(new, [])
        if target.unit not in names[new]:
            names[new].append(target.unit)
    regrouped = [
        Target(unit, ind, period, value, "", "regrouped from " + "+".join(names[unit]))
        for (unit, ind, period), value in sorted(sums.items())
    ]
    return PlanTargets(replace(data.plan, structure=structure_key), tuple(kept + regrouped))


def unit_targets(
    data: PlanTargets, unit: str, profile: Sequence[float] | None, baseline: PlanTargets | None
) -> tuple[dict[tuple[str, str], int], set[tuple[str, str]], set[str]]:
    """A unit's targets by (indicator, period), which were derived, and by which methods."""
    values: dict[tuple[str, str], int] = {}
    derived: set[tuple[str, str]] = set()
    methods: set[str] = set()
    at = data.of_unit(unit).get
    for code in data.plan.indicators:
        total = at((code, TOTAL))
        months_published = [at((code, m)) for m in data.plan.months]
        if total is None and all(v is not None for v in months_published):
            total = to_date(data.plan, dict(zip(data.plan.months, months_published)), data.plan.end)
            derived.add((code, TOTAL))
        if total is None:
            continue
        values[(code, TOTAL)] = total
        base = baseline.value(unit, code, TOTAL) if baseline else None
        months = monthly_targets(data, unit, code, profile or plan_profile(data, code), base)
        for month, value in months.months.items():
            values[(code, month)] = value
            if months.derived:
                derived.add((code, month))
        methods.add(months.method)
    return values, derived, methods


def plan_profile(data: PlanTargets, code: str) -> tuple[float, ...] | None:
    """The plan's own monthly profile for an indicator, when it has one that fits its months."""
    profile = data.plan.profiles.get(code)
    return profile if profile and len(profile) == len(data.plan.months) else None
