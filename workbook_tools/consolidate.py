"""Sum the accepted returns into a national picture: targets, achievements, completion, timeliness.

Pure: no files are written here (see `summary.py`). Completion is always Σ achieved ÷ Σ target,
never an average of percentages; flows add up their months, stocks take the latest level.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from .check import ACCEPTED, MISSING, REJECTED, CheckReport, round_of
from .check import round_bounds as round_bounds  # re-exported: it lived here before
from .figures import Figures, compact
from .forms import FormSet, shipped_forms
from .plans import NATIONAL_CODE, PROVINCES_TOTAL_CODE, TOTAL, Plan, PlanTargets
from .problems import Problem, problem
from .read import Return
from .targets import completion, unit_targets, whole_of_kind
from .units import CENTRAL_CODE, central_unit, structure
from .values import CEILING

ON_TIME, LATE, UNKNOWN = "on_time", "late", "unknown"


@dataclass(frozen=True, slots=True)
class Figure:
    """Target, achievement and completion of one indicator in one period (slots: there is one per unit × indicator × period)."""

    indicator: str
    period: str
    target: float | None
    actual: float | None

    @property
    def completion(self) -> float | None:
        """Achieved ÷ target as a fraction; None where the target is 0 or nothing was reported."""
        return completion(self.actual, self.target)

    def as_dict(self) -> dict[str, Any]:
        """The JSON contract's shape."""
        return {"indicator": self.indicator, "period": self.period, "target": self.target,
                "actual": self.actual, "completion": self.completion}


@dataclass(frozen=True)
class Source:
    """The return a unit's figures come from: read now from the folder, or held from last time."""

    unit: str
    round_date: date | None
    file: str
    sha256: str
    actuals: Mapping[tuple[str, str], float]
    held: bool = False
    tasks: Mapping[tuple[str, str], float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """The figures held compactly (`figures.Figures`, every value as given): thousands of units wait to be summed."""
        object.__setattr__(self, "actuals", compact(self.actuals))
        object.__setattr__(self, "tasks", compact(self.tasks))


@dataclass(frozen=True)
class Task:
    """A numeric row of Mẫu 02 as consolidated: its key, words, and whether it mirrors a plan indicator."""

    key: str
    label: str
    uom: str
    kind: str
    indicator: str = ""


def task_rows(forms: FormSet, plan: Plan) -> list[Task]:
    """The Mẫu 02 rows that hold numbers staff report (computed rows and notes left out)."""
    rows = []
    for row in forms.form("mau02").listed_rows:
        if row.key and not row.formula and row.type in ("count", "money"):
            linked = row.target if row.same_as and row.target in plan.indicators else ""
            rows.append(Task(row.key, row.label, row.uom, row.kind or plan.kind, linked))
    return rows


def unit_tasks(plan: Plan, tasks: Sequence[Task], source: Source | None) -> dict[str, float | None]:
    """Each task's figure to date for a unit: flows add up their months, stocks take the latest."""
    if source is None:
        return {t.key: None for t in tasks}
    return _tasks_of(plan, tasks, source.actuals, source.tasks)


def _tasks_of(plan: Plan, tasks: Sequence[Task], achieved: Mapping[tuple[str, str], Any],
              reported_tasks: Mapping[tuple[str, str], Any]) -> dict[str, float | None]:
    """`unit_tasks` of a unit's figures (a note, or any text, among them counts for nothing)."""
    result = {}
    actuals, own = _lookup(achieved).get, _lookup(reported_tasks).get
    for task, keys in zip(tasks, _monthly_keys(plan, tuple(task.indicator or task.key for task in tasks))):
        reported = [v for v in map(actuals if task.indicator else own, keys) if v is not None and type(v) is not str]  # a
        result[task.key] = whole_of_kind(task.kind, reported)  # text in a figure's row (an edited `_data`) is no figure
    return result


_MONTHLY_KEYS: dict[tuple[tuple[str, ...], tuple[str, ...]], list[list[tuple[str, str]]]] = {}


def _monthly_keys(plan: Plan, codes: tuple[str, ...]) -> list[list[tuple[str, str]]]:
    """For each code, its (code, month) keys over the plan's months: made once, asked for every unit."""
    found = _MONTHLY_KEYS.get((codes, plan.months))
    if found is None:
        found = _MONTHLY_KEYS[(codes, plan.months)] = [[(code, month) for month in plan.months] for code in codes]
    return found


def unit_notes(source: Source | None) -> dict[str, str]:
    """A unit's Mẫu 02 notes (difficulties, requests to the centre) by month."""
    if source is None or (isinstance(source.tasks, Figures) and source.tasks.numbers_only()):
        return {}  # no text among the figures (the usual return): no note
    notes = [(key, period, value.strip()) for (key, period), value in source.tasks.items() if isinstance(value, str) and value.strip()]
    return {period: value for _key, period, value in sorted(notes)}


def sum_tasks(parts: Sequence[Mapping[str, float | None]]) -> dict[str, float | None]:
    """Σ over units of each task (None where no unit reported it)."""
    keys = list(parts[0]) if parts else []
    totals: dict[str, float | None] = {}
    for key in keys:
        values = [p[key] for p in parts if p.get(key) is not None]
        totals[key] = sum(values) if values else None
    return totals


@dataclass
class UnitResult:
    """One unit's line of the national summary."""

    code: str
    name: str
    status: str
    values: list[Figure]
    round_date: date | None = None
    file: str = ""
    sha256: str = ""
    timeliness: str = ""
    errors: int = 0
    warnings: int = 0
    parts: tuple[str, ...] = ()
    tasks: dict[str, float | None] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def reported(self) -> bool:
        """True when the unit's figures come from a return (read now or held)."""
        return self.status == ACCEPTED

    def latest_note(self) -> str:
        """The latest month's Mẫu 02 note (difficulties, requests), or empty."""
        return self.notes[max(self.notes)] if self.notes else ""

    def figure(self, indicator: str, period: str) -> Figure | None:
        """One figure of the unit (by an index of positions made once per list of values, and shared by every unit whose
        figures are laid out alike: the sheets ask for every figure of every unit)."""
        position = self._positions().get((indicator, period))
        return None if position is None else self.values[position]

    def figures_at(self, keys: Sequence[tuple[str, str]]) -> list[Figure | None]:
        """`figure` of each (indicator, period), in order: a row of a sheet at once."""
        positions, values = self._positions().get, self.values
        return [None if (n := positions(key)) is None else values[n] for key in keys]

    def _positions(self) -> dict[tuple[str, str], int]:
        """Where each figure sits in `values` (`_positions` of the list), kept while the list is this one."""
        index = self.__dict__.get("_index")
        if index is None or index[0] is not self.values:
            index = self.__dict__["_index"] = (self.values, _positions(self.values))
        return index[1]  # type: ignore[no-any-return]

    def as_dict(self) -> dict[str, Any]:
        """The JSON contract's shape."""
        return {
            "code": self.code, "name": self.name, "status": self.status,
            "round_date": self.round_date.isoformat() if self.round_date else None,
            "file": self.file or None, "sha256": self.sha256 or None, "timeliness": self.timeliness or None,
            "errors": self.errors, "warnings": self.warnings, "parts": list(self.parts),
            "values": [f.as_dict() for f in self.values], "tasks": self.tasks, "notes": self.notes,
        }


_POSITIONS: dict[tuple[tuple[str, str], ...], dict[tuple[str, str], int]] = {}
_LAYOUTS_KEPT = 64


def _positions(values: Sequence[Figure]) -> dict[tuple[str, str], int]:
    """Where each (indicator, period) first sits in a list of figures; one dict for every list laid out alike (every unit
    of a plan), not one per unit (thousands of units × 50 figures: 17 MB)."""
    layout = tuple((f.indicator, f.period) for f in values)
    found = _POSITIONS.get(layout)
    if found is None:
        found = {}
        for position, key in enumerate(layout):
            found.setdefault(key, position)
        if len(_POSITIONS) >= _LAYOUTS_KEPT:
            _POSITIONS.clear()
        _POSITIONS[layout] = found
    return found


@dataclass
class Consolidation:
    """The national picture of one plan at one reporting round."""

    plan: Plan
    structure: str
    round_start: date | None
    round_deadline: date | None
    units: list[UnitResult]
    national: list[Figure]
    central: list[Figure] = field(default_factory=list)
    published: list[Figure] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    sources: dict[str, Source] = field(default_factory=dict)
    tasks: list[Task] = field(default_factory=list)
    national_tasks: dict[str, float | None] = field(default_factory=dict)

    def count(self, status: str) -> int:
        """How many units have a status."""
        return sum(1 for u in self.units if u.status == status)

    def reporting_counts(self) -> list[tuple[Figure, int]]:
        """Σ achieved ÷ Σ target of the units that reported each figure (beside the whole country's), with how many
        units reported it."""
        result = []
        # each figure of every unit, position by position (every unit has the national's positions: else this raises)
        by_position = zip(*(u.values for u in self.units), strict=True) if self.units else ((),) * len(self.national)
        for first, figures in zip(self.national, by_position, strict=True):
            parts = [f for f in figures if f.actual is not None]
            targets = [p.target for p in parts if p.target is not None]
            result.append((Figure(first.indicator, first.period, sum(targets) if parts and targets else None,
                                  sum(p.actual for p in parts) if parts else None), len(parts)))
        return result

    def as_dict(self, units: bool = True) -> dict[str, Any]:
        """The JSON written by `consolidate --json` (without `units`, an empty list in the units' place)."""
        return {
            "plan": self.plan.id,
            "document": self.plan.document.citation(),
            "kind": self.plan.kind,
            "structure": self.structure,
            "round": {"start": _iso(self.round_start), "deadline": _iso(self.round_deadline)},
            "summary": {s: self.count(s) for s in (ACCEPTED, REJECTED, MISSING)},
            "units": [u.as_dict() for u in self.units] if units else [],
            "national": [f.as_dict() for f in self.national],
            "reporting_units": [{**f.as_dict(), "units": count, "of": len(self.units)} for f, count in self.reporting_counts()],
            "central": [f.as_dict() for f in self.central],
            "published_national": [f.as_dict() for f in self.published],
            "problems": [p.as_dict() for p in self.problems],
            "notices": self.notices,
            "tasks": [{"key": t.key, "label": t.label, "uom": t.uom, "kind": t.kind, "indicator": t.indicator or None,
                       "national": self.national_tasks.get(t.key)} for t in self.tasks],
        }


def _iso(day: date | None) -> str | None:
    """ISO text of an optional date."""
    return day.isoformat() if day else None


def current_round(sources: Sequence[Source], as_of: date | None) -> tuple[date, date] | None:
    """The round being consolidated: the one `as_of` falls in, else the one most returns are dated in."""
    return round_of([s.round_date for s in sources], as_of)


def timeliness(round_date: date | None, bounds: tuple[date, date] | None) -> str:
    """on_time when dated within the round; late when dated before it (stale) or after its deadline."""
    if round_date is None or bounds is None:
        return UNKNOWN
    start, deadline = bounds
    return ON_TIME if start <= round_date <= deadline else LATE


def unit_values(data: PlanTargets, unit: str, actuals: Mapping[tuple[str, str], float], baseline: PlanTargets | None) -> list[Figure]:
    """A unit's figures: each month as reported, and the whole plan to date (flow sum, stock latest)."""
    targets, _, _ = unit_targets(data, unit, None, baseline)
    kind, figures = data.plan.kind, []
    target, actual, add = targets.get, _lookup(actuals).get, figures.append
    for code, keys in zip(data.plan.indicators, _monthly_keys(data.plan, tuple(data.plan.indicators))):
        reported = []
        for key in keys:
            value = actual(key)
            add(Figure(code, key[1], target(key), value))
            if value is not None:
                reported.append(value)
        add(Figure(code, TOTAL, target((code, TOTAL)), whole_of_kind(kind, reported)))
    return figures


def sum_figures(groups: Sequence[Sequence[Figure]]) -> list[Figure]:
    """Σ targets and Σ achievements, figure by figure; None where no part reported."""
    if not groups:
        return []
    result = []
    for position, first in enumerate(groups[0]):
        parts = [g[position] for g in groups]
        targets = [p.target for p in parts if p.target is not None]
        actuals = [p.actual for p in parts if p.actual is not None]
        result.append(Figure(first.indicator, first.period, sum(targets) if targets else None, sum(actuals) if actuals else None))
    return result


def _lookup(figures: Mapping[tuple[str, str], Any]) -> Mapping[tuple[str, str], Any]:
    """Figures to be looked up key by key many times: as a plain dict (a compact `Figures` is copied into one)."""
    return figures.as_dict() if isinstance(figures, Figures) else figures


def _sane(figures: Mapping[tuple[str, str], Any], unit: str, notices: list[str], *, notes: bool) -> Mapping[tuple[str, str], Any]:
    """Held figures that can enter a sum: numbers, finite, within the forms' maximum (an edited `_data` may hold others);
    text only where `notes` are kept (Mẫu 02's), never among the achievements, which are summed."""
    whole = figures.whole_range() if isinstance(figures, Figures) else None
    if whole is not None and -CEILING <= whole[0] and whole[1] <= CEILING:
        return figures  # whole numbers in an array (the usual case), checked in two built-in calls
    if all(type(v) in _PLAIN and -CEILING <= v <= CEILING for v in figures.values()):  # NaN and ±inf fail the range
        return figures  # the usual case, checked in one pass: every held figure is a plain number in range (kept, not copied)
    kept = {}
    for key, value in figures.items():
        if (notes and isinstance(value, str)) or value is None:
            kept[key] = value
        elif isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and abs(value) <= CEILING:
            kept[key] = value
        else:
            notices.append(f"{unit}: held figure {key[0]} {key[1]} = {value!r} is not a usable number; left out")
    return kept


_PLAIN = frozenset({int, float})
_NUMBERS = frozenset({int, float, bool})


def sources_of(report: CheckReport, held: Mapping[str, Source]) -> tuple[dict[str, Source], list[Problem], list[str]]:
    """Merge this folder's returns with the figures already held: newer rounds replace, older ones warn."""
    problems: list[Problem] = []
    notices: list[str] = []
    sources = dict(held)
    for unit, ret in report.chosen.items():
        plain = ret.tasks.numbers_only() if isinstance(ret.tasks, Figures) else set(map(type, ret.tasks.values())) <= _NUMBERS
        numbers = ret.tasks if plain else {  # all numbers (usual): kept as they are
            k: v for k, v in ret.tasks.items() if isinstance(v, (int, float)) or (isinstance(v, str) and v.strip())}
        fresh = Source(unit, ret.round_date, ret.file, ret.sha256, ret.actuals, tasks=numbers)  # shared, not copied: read-only from here
        old = held.get(unit)
        if old and old.sha256 == fresh.sha256:
            sources[unit] = fresh
        elif old and unit in report.replacing:
            notices.append(f"{unit}: {ret.file} (round {_iso(fresh.round_date)}) replaces {old.file} (round {_iso(old.round_date)}), as --replace asks")
            sources[unit] = fresh
        elif old and old.round_date and (fresh.round_date or date.min) < old.round_date:
            problems.append(problem("older_round", ret.file, unit, found=_iso(fresh.round_date) or "?", expected=old.round_date.isoformat()))
        else:
            if old:
                notices.append(f"{unit}: {ret.file} (round {_iso(fresh.round_date)}) replaces {old.file} (round {_iso(old.round_date)})")
            sources[unit] = fresh
    return sources, problems, _held_made_sane(sources, held) + notices


def _held_made_sane(sources: dict[str, Source], held: Mapping[str, Source]) -> list[str]:
    """Held figures still in use made fit to sum (`_sane`), in place; what was left out, said. Only those still in
    use: a unit that sent a new return needs nothing of its old figures."""
    notices: list[str] = []
    for unit, source in held.items():
        if sources.get(unit) is not source:
            continue
        actuals, tasks = _sane(source.actuals, unit, notices, notes=False), _sane(source.tasks, unit, notices, notes=True)
        if actuals is not source.actuals or tasks is not source.tasks:
            sources[unit] = replace(source, actuals=actuals, tasks=tasks)
    return notices


class Worked:
    """Each return's own figures to date, worked out as it arrives (`add`, called while the workers still read the
    other files), so that consolidating is mostly putting them together: the same figures `consolidate` would work
    out, used only for the very figures they were worked from, with the same plan, baseline and tasks."""

    def __init__(self, data: PlanTargets, baseline: PlanTargets | None = None, forms: FormSet | None = None) -> None:
        self.data, self.baseline = data, baseline
        self.tasks = task_rows(forms or shipped_forms(), data.plan)
        self._of: dict[int, tuple[str, Mapping[Any, Any], Mapping[Any, Any], list[Figure], dict[str, float | None]]] = {}

    def add(self, ret: Return) -> None:
        """Work out a return's figures (none for a rejected one: nothing of it is used). Whatever goes wrong here only
        leaves them to `consolidate`, which works them out itself (and says so if it cannot): the reading goes on."""
        if not ret.unit or ret.rejected:
            return
        try:
            values = unit_values(self.data, ret.unit, ret.actuals, self.baseline)
            tasks = _tasks_of(self.data.plan, self.tasks, ret.actuals, ret.tasks)
        except Exception:  # noqa: BLE001 - a time saver only
            return
        self._of[id(ret.actuals)] = (ret.unit, ret.actuals, ret.tasks, values, tasks)

    def of(self, code: str, source: Source) -> tuple[list[Figure], dict[str, float | None]] | None:
        """The figures worked out for this unit's source, when they were worked from its very figures; else None."""
        found = self._of.get(id(source.actuals))
        if found is None or found[0] != code or found[1] is not source.actuals:
            return None
        if found[2] is not source.tasks:  # the tasks kept without their notes: worked out again
            return found[3], _tasks_of(self.data.plan, self.tasks, source.actuals, source.tasks)
        return found[3], found[4]

    def fits(self, data: PlanTargets, baseline: PlanTargets | None, tasks: Sequence[Task]) -> bool:
        """True when these figures were worked out for this plan, baseline and tasks."""
        return self.data is data and self.baseline is baseline and self.tasks == list(tasks)


def consolidate(
    report: CheckReport, *, held: Mapping[str, Source] | None = None, as_of: date | None = None,
    baseline: PlanTargets | None = None, forms: FormSet | None = None, worked: Worked | None = None,
) -> Consolidation:
    """The national summary on the plan's own structure (`worked`: figures worked out as the returns arrived)."""
    data = report.data
    tasks = task_rows(forms or shipped_forms(), data.plan)
    if worked is not None and not worked.fits(data, baseline, tasks):
        worked = None
    sources, extra, notices = sources_of(report, held or {})
    bounds = current_round(list(sources.values()), as_of)
    layout = structure(data.plan.structure)
    problems = report.problems + extra
    by_unit: dict[str, list[Problem]] = {}
    for found in problems:
        by_unit.setdefault(found.unit, []).append(found)
    results = []
    for code in report.units:
        source = sources.get(code)
        status = ACCEPTED if source else report.status(code)
        mine = by_unit.get(code, [])
        ready = worked.of(code, source) if worked is not None and source is not None else None
        results.append(UnitResult(
            code=code, name=layout.unit(code).name, status=status,
            values=ready[0] if ready else unit_values(data, code, source.actuals if source else {}, baseline),
            round_date=source.round_date if source else None, file=source.file if source else "",
            sha256=source.sha256 if source else "",
            timeliness=timeliness(source.round_date, bounds) if source else "",
            errors=sum(p.is_error for p in mine), warnings=sum(not p.is_error for p in mine),
            tasks=ready[1] if ready else unit_tasks(data.plan, tasks, source), notes=unit_notes(source),
        ))
    national = sum_figures([u.values for u in results])
    return Consolidation(
        data.plan, data.plan.structure, bounds[0] if bounds else None, bounds[1] if bounds else None,
        results, national, central_figures(data), published_figures(data), problems, notices, sources,
        tasks, sum_tasks([u.tasks for u in results]),
    )


def published_figures(data: PlanTargets) -> list[Figure]:
    """The national 'Toàn quốc' targets as published."""
    return [
        Figure(code, period, data.value(NATIONAL_CODE, code, period), None)
        for code in data.plan.indicators for period in (*data.plan.months, TOTAL)
        if data.value(NATIONAL_CODE, code, period) is not None
    ]


def central_figures(data: PlanTargets) -> list[Figure]:
    """The centrally managed share (Toàn quốc − Cộng các tỉnh), shown on its own line."""
    figures = []
    for code in data.plan.indicators:
        national = data.value(NATIONAL_CODE, code, TOTAL)
        provinces = data.value(PROVINCES_TOTAL_CODE, code, TOTAL)
        if national is not None and provinces is not None and national != provinces:
            figures.append(Figure(code, TOTAL, national - provinces, None))
    return figures


def regroup_results(result: Consolidation, mapping: Mapping[str, str], target: PlanTargets) -> Consolidation:
    """The same picture on the 34 units: figures summed over the former provinces of each."""
    layout = structure(target.plan.structure)
    members: dict[str, list[UnitResult]] = {}
    for unit in result.units:
        members.setdefault(mapping[unit.code], []).append(unit)
    order = {ACCEPTED: 2, REJECTED: 1, MISSING: 0}
    units = []
    for code in sorted(members):
        parts = members[code]
        dated = [p.round_date for p in parts if p.round_date]
        units.append(UnitResult(
            code=code, name=layout.unit(code).name, status=min((p.status for p in parts), key=order.__getitem__),
            values=sum_figures([p.values for p in parts]), round_date=min(dated) if dated else None,
            file=", ".join(p.file for p in parts if p.file), sha256="",
            timeliness=LATE if any(p.timeliness == LATE for p in parts) else (parts[0].timeliness or ""),
            errors=sum(p.errors for p in parts), warnings=sum(p.warnings for p in parts),
            parts=tuple(p.code for p in parts), tasks=sum_tasks([p.tasks for p in parts]),
            notes=_joined_notes(parts),
        ))
    national = sum_figures([u.values for u in units])
    return Consolidation(
        result.plan, target.plan.structure, result.round_start, result.round_deadline, units, national,
        result.central, result.published, result.problems, result.notices, result.sources,
        result.tasks, result.national_tasks,
    )


def _joined_notes(parts: Sequence[UnitResult]) -> dict[str, str]:
    """Notes of former provinces regrouped onto one unit, each prefixed with its province."""
    months = sorted({m for p in parts for m in p.notes})
    return {m: "; ".join(f"{p.name}: {p.notes[m]}" for p in parts if m in p.notes) for m in months}


def central_name() -> str:
    """Label of the centrally managed line."""
    return f"{central_unit().name} ({CENTRAL_CODE})"
