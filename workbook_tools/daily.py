"""The daily quick report read back and consolidated: one day of returns onto the days already held.

Pure: reading returned files (never writing to them) and the maths; the national daily workbook
is written by `daily_book.py`. Timeliness is judged by the time typed on the day's row against
16:00 of that day, never by file dates. A unit's level on a day it did not report is its latest
level reported before (levels are cumulative, so a missing report never makes the nation go back).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from datetime import date, datetime, time
from pathlib import Path
from typing import Any


from .check import MISSING, REJECTED, Manifest, choose_returns, named_most, refuse_other_manifest
from .daily_form import DAILY_FORM, TARGET_ROW, Campaign, daily_column_key, daily_forms, daily_indicators, day_key
from .errors import DataFileError, WorkbookToolsError
from .forms import FormSet
from .generate import unit_targets
from .indicators import indicator
from .cells import MalformedText
from .intake import candidate_files
from .parallel import run_jobs
from .plans import TOTAL, PlanTargets
from .problems import Problem, problem
from .read import INFO_COLUMN, Return, Sheet, _identify, _misplaced_cells, _Reader, _sheet_present, opened_return, read_failed
from .spec import cell_ref
from .units import structure
from .values import Parsed, parse_date, parse_number, parse_time, vn_number

CUTOFF = time(16, 0)
EARLIEST = time(6, 0)  # a report sent before 6 in the morning is more likely '4:30' typed for 16:30
_TIME_EPOCH = date(1899, 12, 30)  # the date part of a time of day stored as a datetime (serial below 1)
ON_TIME, LATE, UNKNOWN = "on_time", "late", "unknown"
REPORTED = "reported"
TIMELINESS_RULE = ("giờ gửi ghi trên dòng của ngày trong báo cáo so với 16:00 của ngày đó (không theo ngày giờ của tệp); "
                   "dòng của một ngày đã tổng hợp mà chưa có, nhập bổ sung sau đó, tính là trễ")


@dataclass(frozen=True)
class UnitDay:
    """What one unit reported for one day: time typed, levels so far, note, and the file it came from."""

    unit: str
    day: date
    time: time | None
    levels: Mapping[str, float]
    file: str = ""
    sha256: str = ""
    note: str = ""
    filled_late: bool = False

    @property
    def timeliness(self) -> str:
        """on_time when the typed time is 16:00 or earlier, late after, unknown when no time was typed; late whatever
        the time when the row was typed after its day had been consolidated without it (`filled_late`)."""
        if self.filled_late:
            return LATE
        if self.time is None:
            return UNKNOWN
        return ON_TIME if self.time <= CUTOFF else LATE

    def same_figures(self, other: UnitDay) -> bool:
        """True when two reports of a day say the same (a correction changes a level or the time)."""
        return dict(self.levels) == dict(other.levels) and self.time == other.time


@dataclass
class DailyReturn(Return):
    """A returned daily workbook: its identity and problems (as any return) and its rows by day."""

    days: dict[date, UnitDay] = field(default_factory=dict)
    campaign: Campaign | None = None


def _campaign_of(meta: Mapping[str, str]) -> Campaign | None:
    """The campaign a daily workbook was generated for, from its identity."""
    try:
        return Campaign(*(date.fromisoformat(meta[k]) for k in ("campaign_start", "campaign_end", "plan_end")))
    except (KeyError, ValueError):
        return None


def read_daily_return(path: Path, data: PlanTargets, forms: FormSet) -> DailyReturn:
    """Identify, read and check one returned daily workbook; every problem is recorded, none is raised."""
    ret = DailyReturn(path)
    with opened_return(ret, ("_meta", DAILY_FORM)) as opened:
        if opened is None:
            return ret
        if not _identify(ret, opened.meta, data, forms, opened.props) or not _sheet_present(ret, opened.keyed, forms.form(DAILY_FORM), opened.names):
            return ret
        ret.campaign = _campaign_of(opened.meta)
        if ret.campaign is None:
            ret.add("no_identity")
            return ret
        _DailyReader(ret, data, forms, opened.keyed[DAILY_FORM]).read()
        _misplaced_cells(ret, opened.keyed)  # a figure written inside another row: the file is not used, as for Mẫu 01
    return ret


def daily_read_failed(job: tuple[Any, ...], reason: str, detail: str) -> DailyReturn:
    """A daily return whose reading crashed, ran out of time or raised: an error naming the file."""
    return read_failed(job, reason, detail, DailyReturn)  # type: ignore[return-value]


class _DailyReader:
    """Reads the report date, the targets and every day's row of one daily workbook."""

    def __init__(self, ret: DailyReturn, data: PlanTargets, forms: FormSet, sheet: Sheet) -> None:
        self.ret, self.data, self.sheet = ret, data, sheet
        self.cells = _Reader(ret, data, forms)
        self.codes = daily_indicators(data.plan)
        self.columns = _level_columns(self.codes)

    def read(self) -> None:
        """Everything, in the order a person reads the sheet."""
        self.report_date()
        if self.ret.rejected:
            return
        self.targets()
        previous: dict[str, float] = {}
        last: UnitDay | None = None
        assert self.ret.campaign is not None
        for day in self.ret.campaign.days:
            entry = self.day(day, previous)
            if entry is not None:
                self.repeated(entry, last)
                self.ret.days[day] = entry
                previous.update(entry.levels)
                last = entry
        self.ret.round_date = max(self.ret.days, default=None)

    def report_date(self) -> None:
        """The report date typed above the table must lie within the campaign."""
        raw, where = self.sheet.raw("report_date", INFO_COLUMN)
        if raw in (None, ""):
            return
        place = {"sheet": self.sheet.name, "cell": cell_ref(*where) if where else "", "indicator": "report_date"}
        day = parse_date(raw)
        campaign = self.ret.campaign
        assert campaign is not None
        if day is None:
            self.ret.add("round_date_invalid", **place, found=raw)
        elif not campaign.start <= day <= campaign.end:
            self.ret.add("daily_date_outside", **place, found=f"{day:%d/%m/%Y}", expected=campaign.label)

    def targets(self) -> None:
        """Targets are the centre's: an edited one is a warning, and the centre's figure is used."""
        for code in self.codes:
            expected = self.data.value(self.ret.unit, code, TOTAL)
            raw, where = self.sheet.raw(TARGET_ROW, daily_column_key("level", code))
            if where is not None and expected is not None and parse_number(raw, whole=False).value != expected:
                self.ret.add("target_edited", sheet=self.sheet.name, cell=cell_ref(*where), indicator=code, period=TOTAL,
                             found=vn_number(raw) if isinstance(raw, (int, float)) else raw, expected=vn_number(expected))

    def repeated(self, entry: UnitDay, last: UnitDay | None) -> None:
        """A row identical to the day before (same time, every level the same) was most likely copied: warn, it still counts."""
        if last is None or entry.time is None or len(entry.levels) < 2 or not entry.same_figures(last):
            return
        where = self.sheet.index.cell(day_key(entry.day), "time")
        self.ret.add("daily_row_repeated", sheet=self.sheet.name, cell=cell_ref(*where) if where else "", indicator="time",
                     period=entry.day.isoformat(), found=f"{entry.day:%d/%m/%Y}", expected=f"{last.day:%d/%m/%Y}")

    def untouched(self, key: str) -> bool:
        """A day row with nothing typed in its level cells (most rows of a campaign): no parsing, no checks."""
        for _, column, _ in self.columns:
            where = self.sheet.index.cell(key, column)
            if where is None or where in self.sheet.facts:
                return False
            value = self.sheet.at(*where)
            if value not in (None, ""):
                return False
        return True

    def day(self, day: date, previous: dict[str, float]) -> UnitDay | None:
        """One day's row: None when nothing usable was typed on it."""
        key, period = day_key(day), day.isoformat()
        if self.untouched(key):
            return None
        levels: dict[str, float] = {}
        for code, column, whole in self.columns:
            before = len(self.ret.problems)
            parsed = self.cells.cell(self.sheet, key, column, whole=whole, period=period)
            self.ret.problems[before:] = [replace(p, indicator=code) for p in self.ret.problems[before:]]
            if isinstance(parsed, Parsed) and parsed.usable and parsed.value is not None:
                levels[code] = parsed.value
        if not levels:
            return None
        raw_time, where = self.sheet.raw(key, "time")
        place = {"sheet": self.sheet.name, "cell": cell_ref(*where) if where else "", "indicator": "time", "period": period}
        typed = parse_time(raw_time)
        if isinstance(raw_time, datetime) and raw_time.date() not in (_TIME_EPOCH, day):
            typed, raw_time = None, f"{raw_time:%d/%m/%Y %H:%M}"
        if raw_time in (None, ""):
            self.ret.add("daily_time_missing", **place, found=f"{day:%d/%m/%Y}")
        elif typed is None:
            self.ret.add("daily_time_invalid", **place, found=raw_time)
        elif typed < EARLIEST:
            self.ret.add("daily_time_early", **place, found=raw_time if isinstance(raw_time, str) else f"{typed:%H:%M}",
                         expected=f"{typed.hour + 12}:{typed:%M}")
        for code, value in levels.items():
            if code in previous and value < previous[code]:
                where_level = self.sheet.index.cell(key, daily_column_key("level", code))
                self.ret.add("daily_level_dropped", sheet=self.sheet.name, cell=cell_ref(*where_level) if where_level else "",
                             indicator=code, period=period, found=vn_number(value), expected=vn_number(previous[code]))
        note, where = self.sheet.raw(key, "note")
        if type(note) is MalformedText:  # kept as written, its broken reference shown
            self.ret.add("malformed_text", sheet=self.sheet.name, cell=cell_ref(*where) if where else "", indicator="note",
                         period=period, found=note)
        return UnitDay(self.ret.unit, day, typed, levels, self.ret.file, self.ret.sha256, "" if note is None else str(note))


@lru_cache(maxsize=8)
def _level_columns(codes: tuple[str, ...]) -> tuple[tuple[str, str, bool], ...]:
    """(indicator, level column key, whole number?) of a daily form: worked out once per form, not per file."""
    return tuple((code, daily_column_key("level", code), not indicator(code).is_money) for code in codes)


def read_daily_folder(folder: Path, data: PlanTargets, *, workers: int = 0, progress: Any = None) -> list[DailyReturn]:
    """Read every file of a returns folder (never writing to any)."""
    if not folder.is_dir():
        raise DataFileError(f"không tìm thấy thư mục báo cáo: {folder}")
    jobs = [(path,) for path in candidate_files(folder)]
    return run_jobs(read_daily_return, jobs, workers, progress, shared=(data, daily_forms()), failed=daily_read_failed)


def plan_of_returns(folder: Path) -> tuple[str | None, str | None]:
    """The plan id and structure most returned daily workbooks carry inside them."""
    if not folder.is_dir():
        raise DataFileError(f"không tìm thấy thư mục báo cáo: {folder}")
    found = named_most(folder, ("plan_id", "structure"), form=DAILY_FORM)
    if found is None:
        return None, None
    plan, key = found
    return plan, key or None


@dataclass
class DailyConsolidation:
    """The national picture of a campaign up to one day: every day held, every unit on that day."""

    data: PlanTargets
    campaign: Campaign
    day: date
    units: tuple[str, ...]
    entries: dict[tuple[date, str], UnitDay]
    rejected: frozenset[str] = frozenset()
    problems: list[Problem] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    targets: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def codes(self) -> tuple[str, ...]:
        """The indicators of the daily report."""
        return daily_indicators(self.data.plan)

    @property
    def days(self) -> tuple[date, ...]:
        """The campaign's days up to the day consolidated."""
        return tuple(d for d in self.campaign.days if d <= self.day)

    def name(self, unit: str) -> str:
        """A unit's name on the plan's structure."""
        return structure(self.data.plan.structure).unit(unit).name

    def target(self, code: str, unit: str | None = None) -> float | None:
        """A unit's target, or Σ of the units' targets (Cộng các tỉnh)."""
        if unit is not None:
            return self.targets.get(unit, {}).get(code)
        values = [self.targets.get(u, {}).get(code) for u in self.units]
        present = [v for v in values if v is not None]
        return sum(present) if present else None

    @cached_property
    def _history(self) -> dict[str, tuple[list[date], list[UnitDay]]]:
        """Each unit's reports in day order (days and entries side by side, for bisection)."""
        history: dict[str, tuple[list[date], list[UnitDay]]] = {}
        for (day, unit), entry in sorted(self.entries.items()):
            days, entries = history.setdefault(unit, ([], []))
            days.append(day)
            entries.append(entry)
        return history

    def _reports(self, unit: str, day: date) -> list[UnitDay]:
        """The unit's reports on or before a day, in day order."""
        days, entries = self._history.get(unit, ([], []))
        return entries[:bisect_right(days, day)]

    def latest(self, unit: str, day: date) -> UnitDay | None:
        """The unit's latest report on or before a day."""
        reports = self._reports(unit, day)
        return reports[-1] if reports else None

    def level(self, unit: str, code: str, day: date) -> float | None:
        """A unit's level on a day: its latest level reported up to that day."""
        for entry in reversed(self._reports(unit, day)):
            if code in entry.levels:
                return entry.levels[code]
        return None

    def national(self, code: str, day: date) -> float | None:
        """Σ over units of their level on that day (None when no unit has reported yet)."""
        values = [v for v in (self.level(u, code, day) for u in self.units) if v is not None]
        return sum(values) if values else None

    def reported(self, day: date) -> list[UnitDay]:
        """The reports of that day, in unit order."""
        return [self.entries[(day, u)] for u in self.units if (day, u) in self.entries]

    def status(self, unit: str) -> str:
        """reported, rejected (only unusable files) or missing on the day consolidated."""
        if (self.day, unit) in self.entries:
            return REPORTED
        return REJECTED if unit in self.rejected else MISSING

    def pace(self, unit: str, code: str) -> float | None:
        """The unit's daily gain since its previous report (per day between the two)."""
        now = self.entries.get((self.day, unit))
        if now is None or code not in now.levels:
            return None
        for entry in reversed(self._reports(unit, self.day)[:-1]):
            if code in entry.levels:
                return (now.levels[code] - entry.levels[code]) / (self.day - entry.day).days
        return None

    def needed_pace(self, code: str, level: float | None, target: float | None) -> float | None:
        """What must be achieved each remaining day to meet the target by the plan's last day."""
        left = self.campaign.days_left(self.day)
        if level is None or target is None or left == 0:
            return None
        return max(0.0, target - level) / left

    def completion(self, code: str, unit: str | None = None, day: date | None = None) -> float | None:
        """Level ÷ target on a day (the unit's, or the nation's)."""
        day = day or self.day
        level = self.national(code, day) if unit is None else self.level(unit, code, day)
        target = self.target(code, unit)
        return None if level is None or not target else level / target

    def behind(self, code: str, count: int = 10) -> list[str]:
        """The units furthest behind on an indicator: lowest completion first (no figure counts as 0)."""
        return sorted(self.units, key=lambda u: (self.completion(code, u) or 0.0, u))[:count]

    def as_dict(self) -> dict[str, Any]:
        """The JSON for scripts (strict JSON: dates as text, no NaN)."""
        plan = self.data.plan
        on_day = self.reported(self.day)
        return {
            "plan": plan.id, "document": plan.document.citation(), "structure": plan.structure, "day": self.day.isoformat(),
            "campaign": {"start": self.campaign.start.isoformat(), "end": self.campaign.end.isoformat(),
                         "plan_end": self.campaign.plan_end.isoformat(), "days_left": self.campaign.days_left(self.day)},
            "cutoff": CUTOFF.strftime("%H:%M"), "timeliness_rule": TIMELINESS_RULE,
            "summary": {"expected": len(self.units), REPORTED: len(on_day),
                        ON_TIME: sum(e.timeliness == ON_TIME for e in on_day), LATE: sum(e.timeliness == LATE for e in on_day),
                        UNKNOWN: sum(e.timeliness == UNKNOWN for e in on_day),
                        MISSING: sum(self.status(u) == MISSING for u in self.units),
                        REJECTED: sum(self.status(u) == REJECTED for u in self.units)},
            "indicators": [{"code": c, "label": indicator(c).label, "unit": indicator(c).unit, "target": self.target(c)} for c in self.codes],
            "days": [self._day_dict(d) for d in self.days],
            "units": [self._unit_dict(u) for u in self.units],
            "behind": {c: self.behind(c) for c in self.codes},
            "problems": [p.as_dict() for p in self.problems],
            "notices": self.notices,
        }

    def _day_dict(self, day: date) -> dict[str, Any]:
        """One day of the national progress."""
        reports = self.reported(day)
        previous = next((d for d in reversed(self.days) if d < day), None)
        national = {c: self.national(c, day) for c in self.codes}
        change = {}
        for c in self.codes:
            before = self.national(c, previous) if previous else None
            change[c] = None if national[c] is None or before is None else national[c] - before
        return {"day": day.isoformat(), REPORTED: len(reports), ON_TIME: sum(e.timeliness == ON_TIME for e in reports),
                LATE: sum(e.timeliness == LATE for e in reports), "days_left": self.campaign.days_left(day),
                "national": national, "change": change, "completion": {c: self.completion(c, day=day) for c in self.codes}}

    def _unit_dict(self, unit: str) -> dict[str, Any]:
        """One unit on the day consolidated."""
        entry = self.entries.get((self.day, unit))
        values = {}
        for c in self.codes:
            level, target = self.level(unit, c, self.day), self.target(c, unit)
            values[c] = {"target": target, "level": level, "completion": self.completion(c, unit),
                         "pace": self.pace(unit, c), "needed_pace": self.needed_pace(c, level, target)}
        return {"code": unit, "name": self.name(unit), "status": self.status(unit),
                "time": entry.time.strftime("%H:%M") if entry and entry.time else None,
                "timeliness": entry.timeliness if entry else None, "file": entry.file if entry else None,
                "note": entry.note if entry else None, "values": values}


def campaign_of_returns(returns: Sequence[DailyReturn], held: Campaign | None) -> Campaign:
    """The campaign being consolidated: the one held, else the one most returns were generated for."""
    if held is not None:
        return held
    seen = Counter(r.campaign for r in returns if r.campaign is not None and not r.rejected)
    if not seen:
        raise WorkbookToolsError("không có báo cáo ngày nào đọc được trong thư mục, và chưa có ngày nào được giữ")
    return seen.most_common(1)[0][0]


def day_of_returns(returns: Sequence[DailyReturn], campaign: Campaign) -> date:
    """The day consolidated by default: the latest day most usable returns have reached."""
    seen = Counter(r.round_date for r in returns if r.round_date and not r.rejected and campaign.start <= r.round_date <= campaign.end)
    if not seen:
        raise WorkbookToolsError("không có báo cáo nào có số liệu của một ngày trong đợt; chỉ rõ ngày bằng --day")
    return max(seen.items(), key=lambda item: (item[1], item[0]))[0]


def merge_days(
    held: Mapping[tuple[date, str], UnitDay], chosen: Mapping[str, DailyReturn], day: date,
) -> tuple[dict[tuple[date, str], UnitDay], list[Problem], list[str]]:
    """Days held plus the folder's rows up to `day`: a changed row of an earlier day is a correction."""
    entries = dict(held)
    problems: list[Problem] = []
    notices: list[str] = []
    consolidated = max((d for d, _ in held), default=None)  # the last day a previous run took rows of
    for unit, ret in chosen.items():
        for d, fresh in ret.days.items():
            if d > day:
                continue
            old = held.get((d, unit))
            if old is not None and not old.same_figures(fresh):
                notices.append(f"{unit}: số liệu ngày {d:%d/%m/%Y} được sửa trong {ret.file}; dùng số mới")
                problems.append(problem("daily_corrected", ret.file, unit, period=d.isoformat(), found=f"{d:%d/%m/%Y}", expected=ret.file))
            if old is not None:
                fresh = replace(fresh, filled_late=old.filled_late)  # a correction keeps the day's timeliness
            elif consolidated is not None and d < day and d <= consolidated:
                fresh = replace(fresh, filled_late=True)
                problems.append(_filled_late(ret, fresh))
            entries[(d, unit)] = fresh
    return entries, problems, notices


def _filled_late(ret: DailyReturn, entry: UnitDay) -> Problem:
    """A row of a day already consolidated without it, typed since: late whatever time it carries (else a unit
    that missed a day could fill the row the next morning, type 10:00 and count as on time)."""
    typed = entry.time.strftime("%H:%M") if entry.time else "không ghi giờ"
    return problem("daily_filled_late", ret.file, entry.unit, period=entry.day.isoformat(), indicator="time",
                   found=f"{entry.day:%d/%m/%Y}", expected=typed)


def _in_campaign(ret: DailyReturn, campaign: Campaign) -> DailyReturn:
    """A workbook generated for another campaign window is refused by name, never dropped unseen."""
    if ret.rejected or ret.campaign is None or ret.campaign == campaign:
        return ret
    refused = replace(ret, problems=list(ret.problems), days={})
    refused.add("daily_other_campaign", found=ret.campaign.label, expected=campaign.label)
    return refused


def _only_later_rows(chosen: Mapping[str, DailyReturn], entries: Mapping[tuple[date, str], UnitDay], day: date) -> list[Problem]:
    """A unit with nothing on the day but figures on a later row most likely typed into the wrong row: say so, not just «missing»."""
    found = []
    for unit, ret in sorted(chosen.items()):
        later = sorted(d for d in ret.days if d > day)
        if later and (day, unit) not in entries:
            found.append(problem("daily_only_later_rows", ret.file, unit, period=day.isoformat(),
                                 found=f"{later[0]:%d/%m/%Y}", expected=f"{day:%d/%m/%Y}"))
    return found


def _other_day(found: Problem, day: date) -> bool:
    """A problem on another day's row belongs to that day's consolidation (shown when it was run)."""
    return len(found.period) == 10 and found.period != day.isoformat()


def consolidate_daily(
    data: PlanTargets, returns: Sequence[DailyReturn], *, held: Mapping[tuple[date, str], UnitDay] | None = None,
    held_campaign: Campaign | None = None, day: date | None = None, manifest: Manifest | None = None,
) -> DailyConsolidation:
    """One day of returns onto the days held: the national progress day by day and each unit on that day."""
    refuse_other_manifest(manifest, data)
    campaign = campaign_of_returns(returns, held_campaign)
    day = day or day_of_returns(returns, campaign)
    if not campaign.start <= day <= campaign.end:
        raise WorkbookToolsError(f"ngày {day:%d/%m/%Y} nằm ngoài đợt báo cáo {campaign.label}")
    returns = [_in_campaign(r, campaign) for r in returns]
    chosen = choose_returns(list(returns))
    entries, extra, notices = merge_days(held or {}, chosen, day)
    expected = tuple(sorted(manifest.units)) if manifest else data.unit_codes()
    units = expected + tuple(sorted(set(chosen) - set(expected)))
    rejected = frozenset(r.unit for r in returns if r.unit and r.rejected) - set(chosen)
    targets = {u: {c: v for (c, p), v in unit_targets(data, u, None, None)[0].items() if p == TOTAL} for u in units}
    current = [p for r in returns for p in r.problems if not _other_day(p, day)]
    problems = sorted(current + extra, key=lambda p: (p.file, p.sheet, p.period, p.indicator))
    for unit in sorted(set(chosen) - set(expected)):
        problems.append(problem("unexpected_unit", chosen[unit].file, unit, found=unit))
    problems.extend(_only_later_rows(chosen, entries, day))
    return DailyConsolidation(data, campaign, day, units, entries, rejected, problems, notices, targets)

