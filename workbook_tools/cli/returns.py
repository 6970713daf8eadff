"""Returned workbooks: check and consolidate."""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import nullcontext
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .app import ToolError, main, parse_day, print_table

if TYPE_CHECKING:  # the core modules load inside the commands, so `--help` starts at once
    from ..check import CheckReport
    from ..plans import PlanTargets
    from ..problems import Problem


def _plan_of_folder(obj: dict[str, Any], folder: Path, manifest_path: Path | None, plan_id: str | None,
                    cache: bool = True) -> tuple[PlanTargets, Any]:
    """The plan to check against: --plan, else the manifest's, else the one the returns name."""
    from ..check import load_manifest
    from ..plans import load_plan

    manifest = load_manifest(manifest_path) if manifest_path else None
    if manifest is None and (folder / "manifest.json").exists():
        manifest = load_manifest(folder / "manifest.json")
    chosen = plan_id or (manifest.plan if manifest else None) or _plan_named_by_returns(folder, cache)
    if not chosen:
        raise ToolError(f"Không biết các báo cáo trong {folder} thuộc kế hoạch nào: hãy thêm --plan hoặc --manifest.")
    return load_plan(chosen, obj["dirs"]), manifest


def _plan_named_by_returns(folder: Path, cache: bool = True) -> str | None:
    """The plan id most returned workbooks carry (in their properties, or in `_meta` when those were removed)."""
    from ..check import named_most

    if not folder.is_dir():
        raise ToolError(f"Không thấy thư mục báo cáo {folder}: hãy kiểm tra đường dẫn.")
    found = named_most(folder, ("plan_id",), cache=cache)
    return found[0] if found else None


def _read_folder(obj: dict[str, Any], folder: Path, manifest_path: Path | None, plan_id: str | None, cache: bool = True) -> CheckReport:
    """Check every returned file of the plan the folder is for."""
    data, manifest = _folder_plan(obj, folder, manifest_path, plan_id, cache)
    return _read_files(folder, data, manifest, cache=cache)


def _folder_plan(obj: dict[str, Any], folder: Path, manifest_path: Path | None, plan_id: str | None,
                 cache: bool = True) -> tuple[PlanTargets, Any]:
    """The returns folder's plan (and manifest), or why there is none."""
    if not folder.is_dir():
        raise ToolError(f"Không thấy thư mục báo cáo {folder} (hoặc đó không phải thư mục): hãy kiểm tra đường dẫn.")
    return _plan_of_folder(obj, folder, manifest_path, plan_id, cache)


def _read_files(folder: Path, data: PlanTargets, manifest: Any, replace: tuple[str, ...] = (), as_of: date | None = None,
                check: Callable[[], None] = lambda: None, cache: bool = True, each: Callable[[Any], None] | None = None) -> CheckReport:
    """Check every returned file with a progress bar on stderr; `check` may stop the reading by raising; `each` is
    given every return as it arrives."""
    from ..check import check_folder
    from ..intake import candidate_files

    def arrived(ret: Any) -> None:
        bar.update(1)
        if each is not None:
            each(ret)
        check()

    with click.progressbar(length=len(candidate_files(folder)), label="Đọc báo cáo", file=sys.stderr) as bar:
        return check_folder(folder, data, manifest=manifest, progress=arrived, replace=replace, as_of=as_of, cache=cache)


def _problem_rows(problems: list[Problem]) -> list[list[str]]:
    """Rows of the problems table for people."""
    return [[p.severity, p.file, p.unit, p.sheet, p.cell, p.indicator, p.period, p.code, p.message] for p in problems]


def _print_problems(problems: list[Problem]) -> None:
    """Every problem, errors first."""
    ordered = sorted(problems, key=lambda p: (not p.is_error, p.file, p.sheet, p.cell))
    if ordered:
        print_table(["severity", "file", "unit", "sheet", "cell", "indicator", "period", "code", "message"], _problem_rows(ordered), numeric_from=99)


returns_options = [
    click.argument("returns_dir", type=click.Path(path_type=Path)),
    click.option("--manifest", "manifest_path", type=click.Path(dir_okay=False, exists=True, path_type=Path), help="manifest.json written by generate (expected units)."),
    click.option("--plan", "plan_id", help="Plan id (default: the manifest's, else the one the returns carry)."),
    click.option("--no-cache", "no_cache", is_flag=True,
                 help="Read every file again (and compare every cell of the national workbook for hand edits), ignoring "
                      "and not updating the cache of the last run (also WORKBOOK_TOOLS_CACHE=off)."),
]


def with_returns_options(func: Any) -> Any:
    """Options shared by check and consolidate."""
    for option in reversed(returns_options):
        func = option(func)
    return func


@main.command("check")
@with_returns_options
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), help="Also write the problems as JSON to this file.")
@click.pass_obj
def check_command(obj: dict[str, Any], returns_dir: Path, manifest_path: Path | None, plan_id: str | None, no_cache: bool,
                  json_path: Path | None) -> None:
    """Read every returned workbook and list every problem (exit 1 when a file or unit is unusable)."""
    from ..check import ACCEPTED, MISSING, REJECTED
    from ..outputs import check_target, is_our_json
    from ..outputs import write_json as write_json_output

    if json_path:
        check_target(json_path, ours=is_our_json, keep_out=[returns_dir])
    report = _read_folder(obj, returns_dir, manifest_path, plan_id, cache=not no_cache)
    problems = report.problems
    _print_problems(problems)
    statuses = {u: report.status(u) for u in report.units}
    counts = {s: sum(1 for v in statuses.values() if v == s) for s in (ACCEPTED, REJECTED, MISSING)}
    click.echo(
        f"Đã đọc {len(report.returns)} tệp của kế hoạch {report.data.plan.id}: {counts[ACCEPTED]} đơn vị được chấp nhận, "
        f"{counts[REJECTED]} bị từ chối, {counts[MISSING]} chưa nộp; "
        f"{sum(p.is_error for p in problems)} lỗi, {sum(not p.is_error for p in problems)} cảnh báo"
    )
    if json_path:
        payload = {"plan": report.data.plan.id, "units": [{"code": u, "status": s} for u, s in statuses.items()], "problems": [p.as_dict() for p in problems]}
        write_json_output(json_path, payload, keep_out=[returns_dir])
    if counts[REJECTED] or any(r.rejected for r in report.returns):
        sys.exit(1)


def _held_then_writer(*args: Any, **kwargs: Any) -> Any:
    """The figures the previous national workbook holds (`held.prior_figures`); then, still beside the reading, the
    modules that write the new workbook are loaded (25 ms of a 63-return run; the workers, forked before, never
    load them)."""
    from ..held import prior_figures

    held = prior_figures(*args, **kwargs)
    from .. import generate, summary  # noqa: F401

    return held


@main.command("consolidate")
@with_returns_options
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False, path_type=Path), help="National summary workbook to write (.xlsx).")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), help="Also write the figures as JSON.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path), help="Also write the figures as CSV.")
@click.option("--structure", "structure_key", type=click.Choice(["63", "34"]), help="Show the summary on this structure (63 → 34 regroups).")
@click.option("--as-of", "as_of", callback=parse_day,
              help="Day of the consolidation: its reporting round judges timeliness, and a return dated after it is an error "
                   "(default: the round most returns are dated in).")
@click.option("--replace", "replace", multiple=True, metavar="FILE_OR_UNIT",
              help="This returned file (or this unit's return) replaces the figures held in --out whatever its report date, "
                   "and is the one used when its unit sent several. Repeat for several.")
@click.option("--force", is_flag=True, help="Replace --out even if workbook-tools did not write it, or if figures in it were changed by hand (they are replaced by the returns' figures).")
@click.pass_obj
def consolidate_command(
    obj: dict[str, Any], returns_dir: Path, manifest_path: Path | None, plan_id: str | None, no_cache: bool, out_path: Path,
    json_path: Path | None, csv_path: Path | None, structure_key: str | None, as_of: date | None,
    replace: tuple[str, ...], force: bool,
) -> None:
    """Consolidate the returns into a national summary (exit 1 when units are missing or rejected)."""
    from ..check import ACCEPTED, MISSING, REJECTED
    from ..consolidate import Worked, consolidate, regroup_results
    from ..exports import CSV_HEADER, encode_json, write_csv, write_json
    from ..held import is_ours
    from ..outputs import check_target, csv_with_header, distinct, is_our_json, locked
    from ..parallel import Made, alongside, made_in_child
    from ..plans import load_plan
    from ..units import mapping_63_to_34

    keep_out = [returns_dir]
    distinct(out_path, json_path, csv_path)
    check_target(out_path, ours=is_ours, force=force, keep_out=keep_out)
    if json_path:
        check_target(json_path, ours=is_our_json, force=force, keep_out=keep_out)
    if csv_path:
        check_target(csv_path, ours=csv_with_header(CSV_HEADER), force=force, keep_out=keep_out)
    with locked(out_path):
        data, manifest = _folder_plan(obj, returns_dir, manifest_path, plan_id, not no_cache)
        shown = structure_key or data.plan.structure
        baseline = load_plan(data.plan.previous_plan, obj["dirs"]) if data.plan.is_stock and data.plan.previous_plan else None
        worked = Worked(data, baseline)  # each return's figures worked out as it arrives, while the others are read
        with alongside(_held_then_writer, out_path, data.plan.id, shown, force=force, cache=not no_cache) as prior:  # read while the files are
            report = _read_files(returns_dir, data, manifest, replace, as_of, check=prior.check, cache=not no_cache, each=worked.add)
            held = prior.result()
        from ..generate import in_structure  # loaded by now, beside the reading
        from ..summary import write_summary
        result = consolidate(report, held=held, as_of=as_of, baseline=baseline, worked=worked)
        del report, held, worked  # summed into result (which keeps the sources it uses): free the rest before the summary is written
        if structure_key and structure_key != data.plan.structure:
            result = regroup_results(result, mapping_63_to_34(), in_structure(data, structure_key))
        with made_in_child(lambda file: encode_json(result, file), ".json", yielding=True) if json_path else nullcontext(Made()) as json_text:
            write_summary(result, out_path, force=force, hand_edits_checked=True, cache=not no_cache)  # while a child encodes the JSON
            # (yielding to the workbook's own child and this process: the JSON is wanted after the workbook)
            if json_path:
                write_json(result, json_path, force=force, keep_out=keep_out, encoded=json_text.take())
    if csv_path:
        write_csv(result, csv_path, force=force, keep_out=keep_out)
    for notice in result.notices:
        click.echo(notice)
    accepted, rejected, missing = (result.count(s) for s in (ACCEPTED, REJECTED, MISSING))
    click.echo(
        f"Đã ghi {out_path}: {accepted} đơn vị được chấp nhận, {rejected} bị từ chối, {missing} chưa nộp; "
        f"{sum(p.is_error for p in result.problems)} lỗi, {sum(not p.is_error for p in result.problems)} cảnh báo"
    )
    if rejected or missing:
        sys.exit(1)


