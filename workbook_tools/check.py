"""Check a folder of returned workbooks: read every file, keep one return per unit, list every problem."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from .errors import DataFileError, WorkbookToolsError
from .forms import FormSet, shipped_forms
from .intake import candidate_files
from .names import resolver
from .parallel import run_jobs
from .plans import PlanTargets
from .problems import Problem, problem
from .read import Return, read_return

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
        payload = json.loads(path.read_text(encoding="utf-8"))
        return Manifest(payload["plan"], str(payload.get("structure", "")), {u["code"]: u for u in payload["units"]})
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DataFileError(f"{path}: not a manifest written by `workbook-tools generate` ({exc})") from exc


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
    if (latest.reporter.strip(), latest.phone.strip()) != (other.reporter.strip(), other.phone.strip()):
        return "người lập biểu hoặc điện thoại khác nhau"
    return ""


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


def check_folder(
    folder: Path, data: PlanTargets, *, manifest: Manifest | None = None, forms: FormSet | None = None,
    workers: int = 0, progress: Callable[[Return], None] | None = None, replace: Sequence[str] = (),
) -> CheckReport:
    """Read every file of a returns folder (never writing to any) and decide what is usable.

    `replace` lists files (or units) staff say replace what a national workbook holds, whatever
    their report date: a file named there is also the one used when its unit sent several.
    """
    if not folder.is_dir():
        raise DataFileError(f"returns folder not found or not a folder: {folder}")
    if manifest and manifest.plan != data.plan.id:
        raise DataFileError(f"the manifest is for plan {manifest.plan}, not {data.plan.id}")
    forms = forms or shipped_forms()
    files = candidate_files(folder)
    chosen_files, replacing = replacements(replace, files, data)
    jobs = [(path,) for path in files]
    returns = run_jobs(read_return, jobs, workers, progress, shared=(data, forms))
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
