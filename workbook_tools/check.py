"""Check a folder of returned workbooks: read every file, keep one return per unit, list every problem."""

from __future__ import annotations

import calendar
import json
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from .errors import DataFileError, WorkbookToolsError
from .figures import compact, ship_by_number
from .forms import FormSet, shipped_forms
from .intake import candidate_files
from .names import fold, resolver
from .plans import PlanTargets
from .problems import Problem, problem
from .read import Return, read_failed, read_return
from .read_cache import identities, read_files

ACCEPTED, REJECTED, MISSING = "accepted", "rejected", "missing"


@dataclass(frozen=True)
class Manifest:
    """The expected returns, as written by `generate`."""

    plan: str
    structure: str
    units: dict[str, dict[str, str]]


def load_manifest(path: Path) -> Manifest:
    """Read a manifest.json, with an error naming the file when it is not one."""
    try:
        text = path.read_text(encoding="utf-8-sig")  # Notepad saves UTF-8 with a byte order mark
    except OSError as exc:
        raise DataFileError(f"Không đọc được tệp danh sách {path} ({exc.strerror or exc}): hãy kiểm tra đường dẫn và quyền đọc.") from exc
    except UnicodeDecodeError as exc:
        raise DataFileError(f"Tệp {path} không phải danh sách (manifest.json) do `workbook-tools generate` tạo ra: "
                            "nội dung không phải văn bản UTF-8. Hãy dùng lại tệp manifest.json gốc.") from exc
    try:
        payload = json.loads(text)
        return Manifest(payload["plan"], str(payload.get("structure", "")), {u["code"]: u for u in payload["units"]})
    except (ValueError, KeyError, TypeError) as exc:
        raise DataFileError(f"Tệp {path} không phải danh sách (manifest.json) do `workbook-tools generate` tạo ra, hoặc đã bị "
                            f"sửa hỏng ({exc}). Hãy dùng lại tệp manifest.json gốc trong thư mục đã tạo.") from exc


def refuse_other_manifest(manifest: Manifest | None, data: PlanTargets, *, structure: bool = True) -> None:
    """A manifest lists the units expected for one plan (and structure); another plan's list would miscount the missing."""
    if manifest is None:
        return
    if manifest.plan != data.plan.id or (structure and manifest.structure not in ("", data.plan.structure)):
        raise DataFileError(f"Tệp manifest.json là danh sách sổ của kế hoạch {manifest.plan} ({manifest.structure or '?'} đơn vị), "
                            f"không phải của kế hoạch {data.plan.id} ({data.plan.structure} đơn vị) đang tổng hợp: "
                            "hãy dùng manifest.json trong thư mục đã tạo sổ của kế hoạch này, hoặc bỏ --manifest.")


@dataclass
class CheckReport:
    """Every file read, the return kept for each unit, and the units expected."""

    data: PlanTargets
    returns: list[Return]
    chosen: dict[str, Return] = field(default_factory=dict)
    expected: tuple[str, ...] = ()
    extra: list[Problem] = field(default_factory=list)
    replacing: set[str] = field(default_factory=set)

    @property
    def problems(self) -> list[Problem]:
        """Every problem of every file, folder-level ones included, in file order."""
        found = [p for r in self.returns for p in r.problems] + self.extra
        return sorted(found, key=lambda p: (p.file, p.sheet, p.indicator, p.period))

    def status(self, unit: str) -> str:
        """accepted (a usable return), rejected (only unusable ones) or missing (none)."""
        if unit in self.chosen:
            return ACCEPTED
        if unit and any(r.unit == unit for r in self.returns):
            return REJECTED
        return MISSING

    @property
    def units(self) -> tuple[str, ...]:
        """Expected units, then any unexpected unit that returned something usable."""
        return self.expected + tuple(sorted(set(self.chosen) - set(self.expected)))


def round_bounds(day: date) -> tuple[date, date]:
    """The reporting round a date falls in: (day after the previous deadline, deadline).

    Provinces report by the 15th and by the last day of each month (Kế hoạch 2800/KH-BHXH).
    """
    last = calendar.monthrange(day.year, day.month)[1]
    if day.day <= 15:
        previous_deadline = day.replace(day=1) - timedelta(days=1)
        return previous_deadline + timedelta(days=1), day.replace(day=15)
    return day.replace(day=16), day.replace(day=last)


def round_of(dates: Sequence[date | None], as_of: date | None) -> tuple[date, date] | None:
    """The round being reported: the one `as_of` falls in, else the one most dates fall in."""
    if as_of:
        return round_bounds(as_of)
    rounds = Counter(round_bounds(day) for day in dates if day)
    if not rounds:
        return None
    return max(rounds.items(), key=lambda item: (item[1], item[0]))[0]


def latest_possible(dates: Sequence[date | None], as_of: date | None) -> date | None:
    """The last report date a return can carry: `as_of` (the day of consolidation), else the next round's deadline.

    Without `as_of`, a return may be late (dated in the round after the one most returns are
    dated in), but not two rounds ahead.
    """
    if as_of:
        return as_of
    bounds = round_of(dates, None)
    return round_bounds(bounds[1] + timedelta(days=1))[1] if bounds else None


def undate_future(returns: Sequence[Return], as_of: date | None) -> None:
    """Returns dated after the latest possible day: an error, and their date is not kept.

    A month typo (15/12 for 15/11) kept as the unit's round would make every corrected return
    after it look older; undated, its figures are still used, a dated return of the unit in the
    same folder wins over it, and the next round's return replaces it.
    """
    latest: dict[str, date] = {}
    for ret in returns:
        if ret.round_date and not ret.rejected and ret.round_date > latest.get(ret.unit, date.min):
            latest[ret.unit] = ret.round_date
    limit = latest_possible(list(latest.values()), as_of)  # each unit's latest: older rounds left in the folder do not count
    for ret in returns:
        if limit and ret.round_date and ret.round_date > limit and not ret.rejected:
            after = f"ngày tổng hợp {limit:%d/%m/%Y} (--as-of)" if as_of else f"hạn của kỳ báo cáo kế tiếp ({limit:%d/%m/%Y})"
            ret.add("round_date_future", sheet=ret.meta.get("sheet:mau01", "Mẫu 01"), indicator="round_date",
                    found=f"{ret.round_date:%d/%m/%Y}", expected=after)
            ret.round_date = None


def _round_key(ret: Return) -> tuple[date, str]:
    """Later report date wins; the file's modification time breaks ties."""
    return ret.round_date or date.min, ret.modified.isoformat() if ret.modified else ""


def _rivalry(latest: Return, other: Return) -> str:
    """Why two returns of one unit cannot be told apart by date ('' when the later one may win).

    The same figures never conflict. Otherwise two returns with the same report date, or signed by
    different people, may come from two senders (a province filling another's workbook): neither
    may silently replace the other.
    """
    if (latest.actuals, latest.tasks) == (other.actuals, other.tasks):
        return ""
    if latest.round_date == other.round_date:
        return "cùng ngày báo cáo"
    if _differ(fold(latest.reporter), fold(other.reporter)) or _differ(_digits(latest.phone), _digits(other.phone)):
        return "người lập biểu hoặc điện thoại khác nhau"
    return ""


def _digits(text: str) -> str:
    """A phone number's digits, however it was spaced or punctuated."""
    return "".join(ch for ch in text if ch.isdigit())


def _differ(one: str, other: str) -> bool:
    """Two signatures differ only when both were typed (one left empty is no evidence)."""
    return bool(one and other and one != other)


def choose_returns(returns: list[Return], chosen_files: Collection[str] = ()) -> dict[str, Return]:
    """One return per unit: the one staff chose, else the latest round; rival returns use none."""
    by_unit: dict[str, list[Return]] = {}
    for ret in returns:
        if ret.unit and not ret.rejected:
            by_unit.setdefault(ret.unit, []).append(ret)
    chosen = {}
    for unit, candidates in by_unit.items():
        candidates.sort(key=_round_key)
        named = [r for r in candidates if r.file in chosen_files]
        if named:
            chosen[unit] = named[-1]
            for other in candidates:
                if other is not named[-1]:
                    other.add("set_aside", expected=named[-1].file)
            continue
        latest = candidates[-1]
        reasons = {r.file: _rivalry(latest, r) for r in candidates[:-1]}
        if any(reasons.values()):
            why = next(reason for reason in reasons.values() if reason)
            for ret in candidates:
                others = ", ".join(r.file for r in candidates if r is not ret)
                ret.add("duplicate_conflict", found=why, expected=others)
            continue
        chosen[unit] = latest
        for older in candidates[:-1]:
            older.add("duplicate_unit", expected=latest.file)
    return chosen


def replacements(replace: Sequence[str], files: Sequence[Path], data: PlanTargets) -> tuple[set[str], set[str]]:
    """`--replace` entries as (file names, unit codes): a file of the folder, else a unit's code or name."""
    names = {p.name for p in files}
    chosen_files, units = set(), set()
    for entry in replace:
        name = Path(entry).name
        if name in names:
            chosen_files.add(name)
            continue
        try:
            units.add(resolver(data.plan.structure).resolve_code_or_name(entry))
        except WorkbookToolsError as exc:
            raise DataFileError(f"--replace {entry}: neither a file of the returns folder nor a unit ({exc})") from exc
    return chosen_files, units


def named_most(folder: Path, fields: Sequence[str], *, form: str | None = None, cache: bool = True) -> tuple[str, ...] | None:
    """The identity (plan, and any other `fields`) most files of a returns folder carry inside them, never in their
    names; only files of `form` when given. None when no file names a plan. With `cache`, files unchanged since the
    last run on the folder are not opened again (see `read_cache.identities`)."""
    seen: Counter[tuple[str, ...]] = Counter()
    for found in identities(folder, candidate_files(folder), cache):
        if found and found.get("plan_id") and (form is None or found.get("form") == form):
            seen[tuple(found.get(name, "") for name in fields)] += 1
    return seen.most_common(1)[0][0] if seen else None


def read_compactly(path: Path, data: PlanTargets, forms: FormSet) -> Return:
    """`read_return` with its figures made compact where they were read: from a worker they then travel as arrays and a
    layout's number (`figures.ship_by_number`), not as hundreds of keys a file for the main process to unpickle."""
    ret = read_return(path, data, forms)
    ret.actuals, ret.tasks = compact(ret.actuals), compact(ret.tasks)
    return ret


def check_folder(
    folder: Path, data: PlanTargets, *, manifest: Manifest | None = None, forms: FormSet | None = None,
    workers: int = 0, progress: Callable[[Return], None] | None = None, replace: Sequence[str] = (),
    as_of: date | None = None, cache: bool = True,
) -> CheckReport:
    """Read every file of a returns folder (never writing to any) and decide what is usable.

    `as_of` is the day of the consolidation: a return dated after it is an error, and its date
    is not kept (see `undate_future`).

    `replace` lists files (or units) staff say replace what a national workbook holds, whatever
    their report date: a file named there is also the one used when its unit sent several.

    With `cache`, a file whose bytes and name are those of the last run on this folder is not read
    again: its result is the one kept then (see `read_cache`).
    """
    if not folder.is_dir():
        raise DataFileError(f"returns folder not found or not a folder: {folder}")
    refuse_other_manifest(manifest, data, structure=False)  # returns on the 34 are checked against the 63 plan they regroup
    forms = forms or shipped_forms()
    files = candidate_files(folder)
    chosen_files, replacing = replacements(replace, files, data)
    known: dict[Any, Any] = {}  # one object per key and per identity text, for every return of the folder

    def arrived(ret: Return) -> None:
        ret.compact(known)  # as each return arrives, so the copies from the workers are freed at once
        if progress:
            progress(ret)

    returns = read_files(read_compactly, files, data, forms, folder=folder, workers=workers, progress=arrived, failed=read_failed,
                         cache=cache, start=ship_by_number)
    undate_future(returns, as_of)
    report = CheckReport(data, returns)
    report.chosen = choose_returns(returns, chosen_files)
    report.replacing = replacing | {r.unit for r in returns if r.file in chosen_files and r.unit}
    for entry in sorted(replacing - set(report.chosen)):
        report.extra.append(problem("replace_unused", "", entry, found=entry))
    report.expected = tuple(sorted(manifest.units)) if manifest else data.unit_codes()
    for unit, ret in report.chosen.items():
        if unit not in report.expected:
            report.extra.append(problem("unexpected_unit", ret.file, unit, found=unit))
    return report
