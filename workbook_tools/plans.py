"""Target plans: metadata (document, stock or flow, period) and the published figures, as stored."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import MappingProxyType

from .datafiles import data_dirs, read_csv, read_json
from .errors import DataFileError, PlanNotFoundError
from .indicators import indicator
from .units import NATIONAL_CODE

PROVINCES_TOTAL_CODE = "VN_TINH"
NATIONAL_KEYS = (NATIONAL_CODE, PROVINCES_TOTAL_CODE)
TOTAL = "total"


@dataclass(frozen=True)
class Document:
    """The official document a plan comes from, cited wherever its figures are shown."""

    kind: str
    number: str
    date: str
    issuer: str
    source: str

    def citation(self) -> str:
        """'Kế hoạch 2800/KH-BHXH ngày 06/09/2021' style citation."""
        year, month, day = self.date.split("-")
        return f"{self.kind} {self.number} ngày {day}/{month}/{year}"


def month_range(start: str, end: str) -> tuple[str, ...]:
    """Every 'YYYY-MM' key from start to end inclusive."""
    year, month = map(int, start.split("-"))
    last = tuple(map(int, end.split("-")))
    months = []
    while (year, month) <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return tuple(months)


@dataclass(frozen=True)
class Plan:
    """A plan's metadata: what it targets, over which months, and whether figures are stocks or flows."""

    id: str
    title: str
    document: Document
    kind: str
    structure: str
    start: str
    end: str
    indicators: tuple[str, ...]
    published_months: bool
    profiles: dict[str, tuple[float, ...]] = field(default_factory=dict)
    previous_plan: str | None = None
    notes: str = ""

    @cached_property
    def months(self) -> tuple[str, ...]:
        """The plan's months as period keys (worked out once: every figure of every unit asks for them)."""
        return month_range(self.start, self.end)

    @property
    def is_stock(self) -> bool:
        """Stocks are levels (latest counts); flows add up over months."""
        return self.kind == "stock"


@dataclass(frozen=True)
class Target:
    """One published figure: plan × unit × indicator × period."""

    unit: str
    indicator: str
    period: str
    value: int
    published_name: str = ""
    source: str = ""


_NO_FIGURES: Mapping[tuple[str, str], int] = MappingProxyType({})


@dataclass
class PlanTargets:
    """A plan with its figures, indexed for lookup by (unit, indicator, period)."""

    plan: Plan
    targets: tuple[Target, ...]

    def __post_init__(self) -> None:
        self._by_unit: dict[str, dict[tuple[str, str], int]] = {}
        for t in self.targets:
            self._by_unit.setdefault(t.unit, {})[(t.indicator, t.period)] = t.value

    def value(self, unit: str, indicator_code: str, period: str = TOTAL) -> int | None:
        """The published (or derived) figure, None when the plan has none."""
        return self.of_unit(unit).get((indicator_code, period))

    def of_unit(self, unit: str) -> Mapping[tuple[str, str], int]:
        """A unit's figures by (indicator, period): working out the targets of thousands of units, each asks a hundred
        times."""
        return self._by_unit.get(unit, _NO_FIGURES)

    def unit_codes(self) -> tuple[str, ...]:
        """Codes of the units with targets, national rows excluded, in code order."""
        return tuple(sorted({t.unit for t in self.targets if t.unit not in NATIONAL_KEYS}))

    def periods(self, indicator_code: str) -> tuple[str, ...]:
        """Periods published for an indicator: 'total' first, then months in order."""
        found = {t.period for t in self.targets if t.indicator == indicator_code}
        return tuple(sorted(found, key=lambda p: (p != TOTAL, p)))

    def has(self, unit: str) -> bool:
        """True when the plan holds figures for the unit."""
        return unit in self._by_unit


def _plan_from_json(meta: dict, path: Path) -> Plan:
    """Build and validate a Plan from its metadata file."""
    try:
        doc = meta["document"]
        plan = Plan(
            id=meta["id"],
            title=meta["title"],
            document=Document(doc["kind"], doc["number"], doc["date"], doc["issuer"], doc.get("source", "")),
            kind=meta["kind"],
            structure=str(meta["structure"]),
            start=meta["start"],
            end=meta["end"],
            indicators=tuple(meta["indicators"]),
            published_months=bool(meta.get("published_months")),
            profiles={k: tuple(v) for k, v in (meta.get("profiles") or {}).items()},
            previous_plan=meta.get("previous_plan"),
            notes=meta.get("notes", ""),
        )
    except KeyError as exc:
        raise DataFileError(f"{path}: missing field {exc}") from exc
    if plan.kind not in ("stock", "flow"):
        raise DataFileError(f"{path}: kind must be 'stock' or 'flow', not {plan.kind!r}")
    for code in plan.indicators:
        indicator(code)
    return plan


def _targets_from_csv(path: Path, plan_id: str) -> tuple[Target, ...]:
    """Read a tidy plan file, refusing rows of another plan and non-integer values."""
    targets = []
    for line, row in enumerate(read_csv(path), start=2):
        if row["plan"] != plan_id:
            raise DataFileError(f"{path}:{line}: row of plan {row['plan']!r} in the file of {plan_id!r}")
        try:
            value = int(row["value"])
        except ValueError as exc:
            raise DataFileError(f"{path}:{line}: value {row['value']!r} is not a whole number") from exc
        targets.append(
            Target(row["unit"], row["indicator"], row["period"], value, row.get("published_name", ""), row.get("source", ""))
        )
    return tuple(targets)


def plan_files(dirs: Sequence[Path]) -> dict[str, Path]:
    """Plan id → metadata file; a user folder earlier in the list shadows the shipped one."""
    found: dict[str, Path] = {}
    for folder in dirs:
        for meta in sorted((folder / "plans").glob("*.json")):
            found.setdefault(meta.stem, meta)
    return found


def list_plans(dirs: Sequence[Path] | None = None) -> list[Plan]:
    """Every plan available, in id order."""
    files = plan_files(dirs or data_dirs())
    return [_plan_from_json(read_json(p), p) for _, p in sorted(files.items())]


def load_plan(plan_id: str, dirs: Sequence[Path] | None = None) -> PlanTargets:
    """A plan with its figures; an unknown id names the plans that exist."""
    files = plan_files(dirs or data_dirs())
    if plan_id not in files:
        known = ", ".join(sorted(files)) or "chưa có"
        raise PlanNotFoundError(f"không có kế hoạch «{plan_id}»; các kế hoạch hiện có: {known} (xem `workbook-tools targets list`)")
    meta_path = files[plan_id]
    plan = _plan_from_json(read_json(meta_path), meta_path)
    return PlanTargets(plan, _targets_from_csv(meta_path.with_suffix(".csv"), plan_id))
