"""Roll the cycle forward: the next period's workbooks, with what each unit achieved before.

Where the new plan continues the old one (later months of the same year), the achieved figures
are carried so the new workbooks show year-to-date results; where it starts a new year, last
year's final figures are shown as context (and, for stocks, prefill the 31/12 baseline). History
kept on the 63 provinces is regrouped onto the 34 units for plans on the new structure.
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .consolidate import Source
from .errors import WorkbookToolsError
from .generate import History
from .held import is_ours, load_held, unreadable
from .plans import TOTAL, PlanTargets, Target, load_plan
from .read import custom_properties
from .targets import to_date
from .units import mapping_63_to_34

CONTINUES, NEW_YEAR = "continues", "new_year"
KIND_VI = {"stock": "số người tham gia (mức tại thời điểm)", "flow": "số phát sinh (cộng dồn theo tháng)"}


@dataclass(frozen=True)
class Rollover:
    """The old plan, how the new one relates to it, each unit's history, and where figures came from."""

    old: PlanTargets
    relation: str
    histories: dict[str, History]
    baseline: PlanTargets | None
    achieved: bool
    notices: tuple[str, ...] = ()


def relation(old: PlanTargets, new: PlanTargets) -> str:
    """CONTINUES (starts later in the same year) or NEW_YEAR (a later year); anything else is refused."""
    if new.plan.start > old.plan.start and new.plan.start[:4] == old.plan.start[:4]:
        return CONTINUES
    if new.plan.start[:4] > old.plan.end[:4]:
        return NEW_YEAR
    raise WorkbookToolsError(
        f"plan {new.plan.id} ({new.plan.start} → {new.plan.end}) does not come after {old.plan.id} ({old.plan.start} → {old.plan.end})"
    )


def achieved_to_date(old: PlanTargets, sources: Mapping[str, Source], before: str,
                     through: str | None = None) -> dict[str, dict[str, float]]:
    """Each unit's achievement in the old plan's months before `before`: flows add up, stocks take the latest level.

    With `through`, only figures reported up to that month count (a year's final figures need December).
    """
    figures: dict[str, dict[str, float]] = {}
    for unit, source in sources.items():
        for code in old.plan.indicators:
            monthly = {m: v for (i, m), v in source.actuals.items()
                       if i == code and m in old.plan.months and m < before and v is not None}
            if monthly and (through is None or max(monthly) == through):
                figures.setdefault(unit, {})[code] = to_date(old.plan, monthly, old.plan.end)
    return figures


def history_misfit(old: PlanTargets, new: PlanTargets, kind: str) -> str | None:
    """Why the old plan's figures cannot mean what the new workbooks would call them, or None when they fit."""
    o, n = old.plan, new.plan
    if o.kind != n.kind:
        return (f"{o.id} là chỉ tiêu {KIND_VI[o.kind]}, còn {n.id} là chỉ tiêu {KIND_VI[n.kind]}: "
                "hai loại số không cùng nghĩa")
    if kind == NEW_YEAR:
        year = int(n.start[:4]) - 1
        if int(o.end[:4]) != year:
            return f"{o.id} là số năm {o.end[:4]}, không phải năm trước của {n.id} (năm {year})"
        if o.end != f"{year}-12":
            return f"{o.id} dừng ở tháng {o.end[5:]}/{year}, chưa có số đến 31/12/{year}"
        if not o.is_stock and o.start != f"{year}-01":
            return f"{o.id} chỉ có số từ tháng {o.start[5:]}/{year}, không phải số cả năm {year}"
    return None


def targets_as_figures(old: PlanTargets) -> dict[str, dict[str, float]]:
    """Without returns, the old plan's own targets stand for what was reached."""
    return {
        unit: {code: old.value(unit, code) for code in old.plan.indicators if old.value(unit, code) is not None}
        for unit in old.unit_codes()
    }


def regroup_figures(figures: Mapping[str, Mapping[str, float]], mapping: Mapping[str, str]) -> dict[str, dict[str, float]]:
    """Former provinces' figures summed onto the units they went into."""
    result: dict[str, dict[str, float]] = {}
    for unit, values in figures.items():
        target = result.setdefault(mapping[unit], {})
        for code, value in values.items():
            target[code] = target.get(code, 0) + value
    return result


def histories_for(new: PlanTargets, figures: Mapping[str, Mapping[str, float]], kind: str) -> dict[str, History]:
    """The context each unit's new workbook shows."""
    result = {}
    for unit, values in figures.items():
        context: dict[tuple[str, str], float] = {}
        for code, value in values.items():
            if code not in new.plan.indicators:
                continue
            if kind == CONTINUES:
                context[(code, "carried")] = value
            else:
                context[(code, "last_year_total")] = value
                if new.plan.is_stock:
                    context[(code, "baseline")] = value
        result[unit] = History(context, frozenset({"carried" if kind == CONTINUES else "last_year"}))
    return result


def baseline_plan(new: PlanTargets, figures: Mapping[str, Mapping[str, float]]) -> PlanTargets:
    """Last year's levels as a plan-shaped baseline, so stock milestones climb from them."""
    targets = tuple(
        Target(unit, code, TOTAL, int(round(value))) for unit, values in figures.items() for code, value in values.items()
    )
    return PlanTargets(new.plan, targets)


def national_plan_id(path: Path) -> str:
    """The plan a national summary workbook was made for."""
    if not is_ours(path):
        raise WorkbookToolsError(f"{path} không phải sổ tổng hợp do workbook-tools ghi: --from cần sổ tổng hợp của kỳ trước hoặc mã kế hoạch.")
    with zipfile.ZipFile(path) as archive:
        return custom_properties(archive).get("plan_id", "")


def roll_over(source: str, new: PlanTargets, dirs: Sequence[Path]) -> Rollover:
    """History for the new plan from a national workbook (achieved figures) or a plan id (targets)."""
    path = Path(source)
    if path.suffix.lower() in (".xlsx", ".xlsm") or path.exists():
        if not path.exists():
            raise WorkbookToolsError(f"Không thấy tệp {path}: hãy kiểm tra đường dẫn.")
        old = load_plan(national_plan_id(path), dirs)
        try:
            held = load_held(path)
        except Exception as exc:  # noqa: BLE001 - calamine raises its own types for a damaged sheet
            raise WorkbookToolsError(
                f"{unreadable(path, exc)}; hãy dùng bản sao trước đó của sổ tổng hợp, hoặc --from {old.plan.id} để lấy chỉ tiêu thay cho số thực hiện."
            ) from exc
        return roll_over_from(old, held, new)
    old = load_plan(source, dirs)
    return _rollover(old, targets_as_figures(old), new, achieved=False)


def roll_over_from(old: PlanTargets, sources: Mapping[str, Source], new: PlanTargets) -> Rollover:
    """History from figures already in hand (a national workbook's `_data`, read by file or by the add-in)."""
    through = old.plan.end if relation(old, new) == NEW_YEAR else None
    figures = achieved_to_date(old, sources, new.plan.start, through)
    rollover = _rollover(old, figures, new, achieved=True)
    if through and not rollover.notices:
        short = sorted({u for u, s in sources.items() if u not in figures or len(figures[u]) < len(old.plan.indicators)})
        if short:
            notice = (f"{len(short)} đơn vị ({', '.join(short[:10])}{'…' if len(short) > 10 else ''}) chưa có số tháng "
                      f"{through[5:]}/{through[:4]} cho mọi chỉ tiêu trong sổ tổng hợp: các chỉ tiêu đó không có số năm trước.")
            rollover = Rollover(rollover.old, rollover.relation, rollover.histories, rollover.baseline, True, (notice,))
    return rollover


def _rollover(old: PlanTargets, figures: dict[str, dict[str, float]], new: PlanTargets, *, achieved: bool) -> Rollover:
    """Regroup the figures onto the new structure and turn them into each unit's history, where their meaning fits."""
    if old.plan.structure != new.plan.structure:
        if (old.plan.structure, new.plan.structure) != ("63", "34"):
            raise WorkbookToolsError(f"history on structure {old.plan.structure} cannot be shown on {new.plan.structure}")
        figures = regroup_figures(figures, mapping_63_to_34())
    kind = relation(old, new)
    misfit = history_misfit(old, new, kind)
    if misfit:
        notice = (f"Không mang số của {old.plan.id} sang {new.plan.id}: {misfit}. "
                  f"Sổ mới chỉ có chỉ tiêu của {new.plan.id}, không có số năm trước hay số lũy kế.")
        return Rollover(old, kind, {}, None, achieved, (notice,))
    baseline = baseline_plan(new, figures) if new.plan.is_stock and kind == NEW_YEAR else None
    return Rollover(old, kind, histories_for(new, figures, kind), baseline, achieved)
