"""Check a folder of returned workbooks: read every file, keep one return per unit, list every problem."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from .errors import DataFileError
from .forms import FormSet, shipped_forms
from .intake import candidate_files
from .parallel import run_jobs
from .plans import PlanTargets
from .problems import Problem, problem
from .read import Return, read_failed, read_return

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


def choose_returns(returns: list[Return]) -> dict[str, Return]:
    """One return per unit: the latest round; the others are marked superseded."""
    by_unit: dict[str, list[Return]] = {}
    for ret in returns:
        if ret.unit and not ret.rejected:
            by_unit.setdefault(ret.unit, []).append(ret)
    chosen = {}
    for unit, candidates in by_unit.items():
        candidates.sort(key=_round_key)
        chosen[unit] = candidates[-1]
        for older in candidates[:-1]:
            older.add("duplicate_unit", expected=chosen[unit].file)
    return chosen


def check_folder(
    folder: Path, data: PlanTargets, *, manifest: Manifest | None = None, forms: FormSet | None = None,
    workers: int = 0, progress: Callable[[Return], None] | None = None,
) -> CheckReport:
    """Read every file of a returns folder (never writing to any) and decide what is usable."""
    if not folder.is_dir():
        raise DataFileError(f"returns folder not found or not a folder: {folder}")
    if manifest and manifest.plan != data.plan.id:
        raise DataFileError(f"the manifest is for plan {manifest.plan}, not {data.plan.id}")
    forms = forms or shipped_forms()
    jobs = [(path,) for path in candidate_files(folder)]
    returns = run_jobs(read_return, jobs, workers, progress, shared=(data, forms), failed=read_failed)
    report = CheckReport(data, returns)
    report.chosen = choose_returns(returns)
    report.expected = tuple(sorted(manifest.units)) if manifest else data.unit_codes()
    for unit, ret in report.chosen.items():
        if unit not in report.expected:
            report.extra.append(problem("unexpected_unit", ret.file, unit, found=unit))
    return report
