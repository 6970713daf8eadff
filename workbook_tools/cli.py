"""The `workbook-tools` command line: a thin click layer over the core modules.

Each command parses its options, calls core functions and prints; domain errors become a
message and exit code 2 (DESIGN.md §8: 0 success, 1 finished with rejected inputs, 2 usage or
unreadable input).
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

import click

from . import __version__
from .errors import WorkbookToolsError
from .check import ACCEPTED, MISSING, REJECTED, CheckReport, check_folder, load_manifest
from .consolidate import consolidate, regroup_results
from .generate import GenerateOptions, generate, in_structure, select_units
from .problems import Problem
from .summary import load_held, write_csv, write_json, write_national_workbook, write_summary
from .indicators import indicator
from .names import resolver
from .datafiles import data_dirs, use_data_dirs, writable_data_dir
from .plans import NATIONAL_KEYS, TOTAL, PlanTargets, list_plans, load_plan
from .quality import check_plan
from .targets import regroup
from .units import central_unit, mapping_63_to_34, structure, structure_as_of, structures


class ToolError(click.ClickException):
    """A domain error shown without a traceback, exit code 2 (unreadable input)."""

    exit_code = 2


class Group(click.Group):
    """A click group that turns the core's expected errors into ToolError."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the sub-command, translating WorkbookToolsError."""
        try:
            return super().invoke(ctx)
        except WorkbookToolsError as exc:
            raise ToolError(str(exc)) from exc


def emit_json(payload: Any) -> None:
    """Print JSON for scripts: UTF-8 names kept readable, stable indentation."""
    click.echo(json.dumps(payload, ensure_ascii=False, indent=2))


def format_number(value: int | float | None) -> str:
    """Thousands separators for people; an empty cell for nothing."""
    if value is None:
        return ""
    return f"{value:,}" if isinstance(value, int) else f"{value:,.2f}"


def print_table(headers: list[str], rows: list[list[str]], numeric_from: int = 1) -> None:
    """Aligned text table: text columns left, numeric columns right."""
    widths = [max(len(str(c)) for c in column) for column in zip(headers, *rows)]
    def line(cells: list[str]) -> str:
        return "  ".join(
            str(c).rjust(w) if i >= numeric_from else str(c).ljust(w) for i, (c, w) in enumerate(zip(cells, widths))
        ).rstrip()
    click.echo(line(headers))
    click.echo("  ".join("-" * w for w in widths))
    for row in rows:
        click.echo(line(row))


def parse_day(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    """Accept an ISO date (2025-07-01) or a Vietnamese one (01/07/2025)."""
    if value is None:
        return None
    for parse in (date.fromisoformat, lambda v: date(*reversed([int(x) for x in v.split("/")]))):
        try:
            return parse(value)
        except (ValueError, TypeError):
            continue
    raise click.BadParameter(f"{value!r} is not a date (use 2025-07-01 or 01/07/2025)")


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="workbook-tools")
@click.option(
    "--data-dir",
    "extra_dirs",
    multiple=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder with user plans and structures, searched first; imports are stored there (default: $WORKBOOK_TOOLS_DATA or the user data folder).",
)
@click.pass_context
def main(ctx: click.Context, extra_dirs: tuple[Path, ...]) -> None:
    """Targets and reports of BHXH Việt Nam through Excel workbooks."""
    use_data_dirs(extra_dirs)
    ctx.obj = {"dirs": data_dirs()}


@main.command("units")
@click.option("--as-of", "as_of", callback=parse_day, help="Structure in force on this date (default: today).")
@click.option("--structure", "structure_key", type=click.Choice(sorted(structures())), help="Pick a structure by key.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def units_command(as_of: date | None, structure_key: str | None, as_json: bool) -> None:
    """List the provincial-level units (63 until 30/06/2025, 34 from 01/07/2025)."""
    chosen = structure(structure_key) if structure_key else structure_as_of(as_of or date.today())
    mapping = mapping_63_to_34() if chosen.key == "63" else {}
    if as_json:
        emit_json(
            {
                "structure": chosen.key,
                "label": chosen.label,
                "valid_from": chosen.valid_from.isoformat() if chosen.valid_from else None,
                "valid_to": chosen.valid_to.isoformat() if chosen.valid_to else None,
                "units": [{**asdict(u), "becomes": mapping.get(u.code)} for u in chosen.units],
                "central": asdict(central_unit()),
            }
        )
        return
    valid = f"{chosen.valid_from or '…'} → {chosen.valid_to or 'now'}"
    click.echo(f"{chosen.label} ({len(chosen.units)} units, valid {valid}; {chosen.basis})")
    headers = ["code", "name", "kind", "region"] + (["from 01/07/2025"] if mapping else [])
    new = structure("34") if mapping else None
    rows = [
        [u.code, u.name, u.kind, u.region] + ([f"{mapping[u.code]} {new.unit(mapping[u.code]).name}"] if new else [])
        for u in chosen.units
    ]
    print_table(headers, rows, numeric_from=len(headers))
    click.echo(f"Not in any province: {central_unit().code} {central_unit().name}")


@main.group("targets", cls=Group)
def targets_group() -> None:
    """Target plans: list them, show a unit's targets, check the published figures."""


@targets_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.pass_obj
def targets_list(obj: dict[str, Any], as_json: bool) -> None:
    """List the target plans available (shipped and imported)."""
    plans = list_plans(obj["dirs"])
    if as_json:
        emit_json([{**asdict(p), "months": list(p.months)} for p in plans])
        return
    rows = [
        [p.id, p.document.citation(), p.kind, f"{p.start} → {p.end}", p.structure, ", ".join(p.indicators)]
        for p in plans
    ]
    print_table(["plan", "document", "kind", "period", "units", "indicators"], rows, numeric_from=99)


def _unit_name(data: PlanTargets, code: str) -> str:
    """Name of a unit code, national keys included."""
    special = {"VN": "Toàn quốc", "VN_TINH": "Cộng các tỉnh", central_unit().code: central_unit().name}
    return special.get(code) or structure(data.plan.structure).unit(code).name


def _in_structure(data: PlanTargets, as_of: date | None) -> PlanTargets:
    """Regroup a 63-province plan onto the structure in force on a date, when asked."""
    if as_of is None:
        return data
    target = structure_as_of(as_of)
    if target.key == data.plan.structure:
        return data
    if (data.plan.structure, target.key) != ("63", "34"):
        raise ToolError(f"cannot regroup structure {data.plan.structure} onto {target.key}")
    return regroup(data, mapping_63_to_34(), "34")


@targets_group.command("show")
@click.argument("plan_id", metavar="PLAN")
@click.option("--unit", "unit_text", help="Unit code or name (any spelling); default: every unit.")
@click.option("--as-of-structure", "as_of", callback=parse_day, help="Regroup onto the structure in force on this date.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.pass_obj
def targets_show(obj: dict[str, Any], plan_id: str, unit_text: str | None, as_of: date | None, as_json: bool) -> None:
    """Show a plan's targets: every unit's totals, or one unit by indicator and month."""
    data = _in_structure(load_plan(plan_id, obj["dirs"]), as_of)
    plan = data.plan
    units = data.unit_codes()
    if unit_text:
        units = (resolver(plan.structure).resolve_code_or_name(unit_text),)
    if as_json:
        emit_json(
            {
                "plan": plan.id,
                "document": plan.document.citation(),
                "kind": plan.kind,
                "structure": plan.structure,
                "targets": [
                    {"unit": t.unit, "name": _unit_name(data, t.unit), "indicator": t.indicator, "period": t.period, "value": t.value}
                    for t in data.targets
                    if t.unit in units or (not unit_text and t.unit in NATIONAL_KEYS)
                ],
            }
        )
        return
    click.echo(f"{plan.id}: {plan.title} ({plan.document.citation()}; {plan.kind}; structure {plan.structure})")
    if unit_text:
        code = units[0]
        click.echo(f"{code} {_unit_name(data, code)}")
        periods = sorted({p for ind in plan.indicators for p in data.periods(ind)}, key=lambda p: (p != TOTAL, p))
        rows = [
            [f"{indicator(i).short_label} ({indicator(i).unit})"] + [format_number(data.value(code, i, p)) for p in periods]
            for i in plan.indicators
        ]
        print_table(["indicator"] + ["Tổng số" if p == TOTAL else p for p in periods], rows)
        return
    keys = [k for k in NATIONAL_KEYS if data.has(k)] + list(units)
    rows = [
        [k, _unit_name(data, k)] + [format_number(data.value(k, i, TOTAL)) for i in plan.indicators] for k in keys
    ]
    print_table(["code", "unit"] + [indicator(i).short_label for i in plan.indicators], rows, numeric_from=2)


@targets_group.command("check")
@click.argument("plan_id", metavar="[PLAN]", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.pass_obj
def targets_check(obj: dict[str, Any], plan_id: str | None, as_json: bool) -> None:
    """Report where published figures disagree (exit 0: the report is information)."""
    plan_ids = [plan_id] if plan_id else [p.id for p in list_plans(obj["dirs"])]
    report = {pid: check_plan(load_plan(pid, obj["dirs"])) for pid in plan_ids}
    if as_json:
        emit_json({pid: [f.as_dict() for f in findings] for pid, findings in report.items()})
        return
    for pid, findings in report.items():
        data = load_plan(pid, obj["dirs"])  # reloaded for names
        problems = [f for f in findings if f.is_inconsistency]
        click.echo(f"\n{pid} ({data.plan.document.citation()}): {len(problems)} disagreement(s)")
        if problems:
            rows = [
                [f.check, f.unit, _unit_name(data, f.unit), f.indicator, f.period,
                 format_number(f.published), format_number(f.recomputed), f"{f.difference:+,}"]
                for f in problems
            ]
            print_table(["check", "unit", "name", "indicator", "period", "published", "recomputed", "difference"], rows, numeric_from=5)
        for f in findings:
            if not f.is_inconsistency:
                click.echo(
                    f"  {_unit_name(data, f.unit)}: {f.indicator} {format_number(f.difference)}"
                    f" (Toàn quốc {format_number(f.published)} − Cộng các tỉnh {format_number(f.recomputed)})"
                )


def parse_profile(_ctx: click.Context, _param: click.Parameter, value: str | None) -> tuple[float, ...] | None:
    """'20,35,30,15' → weights for splitting a total over the plan's months."""
    if not value:
        return None
    try:
        return tuple(float(part) for part in value.replace(";", ",").split(","))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a list of numbers such as 20,35,30,15") from None


@main.command("generate")
@click.option("--plan", "plan_id", required=True, help="Plan id (see `workbook-tools targets list`).")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path), help="Folder for the workbooks.")
@click.option("--unit", "unit_texts", multiple=True, help="Only this unit (code or name); repeat for several.")
@click.option("--structure", "structure_key", type=click.Choice(["63", "34"]), help="Lay the plan out on this structure (63 → 34 regroups).")
@click.option("--profile", callback=parse_profile, help="Weights for months the plan does not publish, e.g. 20,35,30,15.")
@click.option("--password", default="", help="Password for sheet protection (default: none, staff can unprotect).")
@click.option("--force", is_flag=True, help="Overwrite workbooks already in the folder.")
@click.option("--json", "as_json", is_flag=True, help="Print the manifest as JSON.")
@click.pass_obj
def generate_command(
    obj: dict[str, Any], plan_id: str, out_dir: Path, unit_texts: tuple[str, ...], structure_key: str | None,
    profile: tuple[float, ...] | None, password: str, force: bool, as_json: bool,
) -> None:
    """Write one workbook per unit (targets, Mẫu 01, Mẫu 02) and a manifest of expected returns."""
    started = time.perf_counter()
    data = in_structure(load_plan(plan_id, obj["dirs"]), structure_key)
    baseline = None
    if data.plan.is_stock and data.plan.previous_plan:
        baseline = in_structure(load_plan(data.plan.previous_plan, obj["dirs"]), data.plan.structure)
    names = resolver(data.plan.structure)
    units = select_units(data, [names.resolve_code_or_name(t) for t in unit_texts] or None)
    options = GenerateOptions(profile=profile, password=password, force=force)
    with click.progressbar(length=len(units), label="Generating", file=sys.stderr) as bar:
        files = generate(data, out_dir, units, options, baseline=baseline, progress=lambda _f: bar.update(1))
    if as_json:
        click.echo((out_dir / "manifest.json").read_text(encoding="utf-8"), nl=False)
        return
    elapsed = time.perf_counter() - started
    click.echo(f"Wrote {len(files)} workbook(s) for {data.plan.id} to {out_dir} (manifest.json) in {elapsed:.1f} s")


def _plan_of_folder(obj: dict[str, Any], folder: Path, manifest_path: Path | None, plan_id: str | None) -> tuple[PlanTargets, Any]:
    """The plan to check against: --plan, else the manifest's, else the one the returns name."""
    manifest = load_manifest(manifest_path) if manifest_path else None
    if manifest is None and (folder / "manifest.json").exists():
        manifest = load_manifest(folder / "manifest.json")
    chosen = plan_id or (manifest.plan if manifest else None) or _plan_named_by_returns(folder)
    if not chosen:
        raise ToolError(f"cannot tell which plan {folder} is for: give --plan or --manifest")
    return load_plan(chosen, obj["dirs"]), manifest


def _plan_named_by_returns(folder: Path) -> str | None:
    """The plan id most returned workbooks carry in their properties."""
    import zipfile
    from collections import Counter

    from .intake import WORKBOOK, candidate_files, classify
    from .read import custom_properties

    seen: Counter[str] = Counter()
    if not folder.is_dir():
        raise ToolError(f"returns folder not found: {folder}")
    for path in candidate_files(folder):
        if classify(path).kind == WORKBOOK:
            with zipfile.ZipFile(path) as archive:
                plan = custom_properties(archive).get("plan_id")
            if plan:
                seen[plan] += 1
    return seen.most_common(1)[0][0] if seen else None


def _read_folder(obj: dict[str, Any], folder: Path, manifest_path: Path | None, plan_id: str | None) -> CheckReport:
    """Check every returned file with a progress bar on stderr."""
    if not folder.is_dir():
        raise ToolError(f"returns folder not found or not a folder: {folder}")
    data, manifest = _plan_of_folder(obj, folder, manifest_path, plan_id)
    files = [p for p in folder.iterdir() if p.is_file()]
    with click.progressbar(length=len(files), label="Reading returns", file=sys.stderr) as bar:
        return check_folder(folder, data, manifest=manifest, progress=lambda _r: bar.update(1))


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
def check_command(obj: dict[str, Any], returns_dir: Path, manifest_path: Path | None, plan_id: str | None, json_path: Path | None) -> None:
    """Read every returned workbook and list every problem (exit 1 when a file or unit is unusable)."""
    report = _read_folder(obj, returns_dir, manifest_path, plan_id)
    problems = report.problems
    _print_problems(problems)
    statuses = {u: report.status(u) for u in report.units}
    counts = {s: sum(1 for v in statuses.values() if v == s) for s in (ACCEPTED, REJECTED, MISSING)}
    click.echo(
        f"{len(report.returns)} file(s) read for {report.data.plan.id}: {counts[ACCEPTED]} unit(s) accepted, "
        f"{counts[REJECTED]} rejected, {counts[MISSING]} missing; "
        f"{sum(p.is_error for p in problems)} error(s), {sum(not p.is_error for p in problems)} warning(s)"
    )
    if json_path:
        payload = {"plan": report.data.plan.id, "units": [{"code": u, "status": s} for u, s in statuses.items()], "problems": [p.as_dict() for p in problems]}
        json_path.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    if counts[REJECTED] or any(r.rejected for r in report.returns):
        sys.exit(1)


@main.command("consolidate")
@with_returns_options
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False, path_type=Path), help="National summary workbook to write (.xlsx).")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), help="Also write the figures as JSON.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path), help="Also write the figures as CSV.")
@click.option("--structure", "structure_key", type=click.Choice(["63", "34"]), help="Show the summary on this structure (63 → 34 regroups).")
@click.option("--as-of", "as_of", callback=parse_day, help="Reporting round to judge timeliness by (default: the round most returns are dated in).")
@click.option("--force", is_flag=True, help="Replace --out even if workbook-tools did not write it.")
@click.pass_obj
def consolidate_command(
    obj: dict[str, Any], returns_dir: Path, manifest_path: Path | None, plan_id: str | None, out_path: Path,
    json_path: Path | None, csv_path: Path | None, structure_key: str | None, as_of: date | None, force: bool,
) -> None:
    """Consolidate the returns into a national summary (exit 1 when units are missing or rejected)."""
    report = _read_folder(obj, returns_dir, manifest_path, plan_id)
    data = report.data
    baseline = load_plan(data.plan.previous_plan, obj["dirs"]) if data.plan.is_stock and data.plan.previous_plan else None
    result = consolidate(report, held=load_held(out_path), as_of=as_of, baseline=baseline)
    if structure_key and structure_key != data.plan.structure:
        result = regroup_results(result, mapping_63_to_34(), in_structure(data, structure_key))
    write_summary(result, out_path, force=force)
    if json_path:
        write_json(result, json_path)
    if csv_path:
        write_csv(result, csv_path)
    for notice in result.notices:
        click.echo(notice)
    accepted, rejected, missing = (result.count(s) for s in (ACCEPTED, REJECTED, MISSING))
    click.echo(
        f"Wrote {out_path}: {accepted} unit(s) accepted, {rejected} rejected, {missing} missing; "
        f"{sum(p.is_error for p in result.problems)} error(s), {sum(not p.is_error for p in result.problems)} warning(s)"
    )
    if rejected or missing:
        sys.exit(1)


@main.command("generate-national")
@click.option("--plan", "plan_id", required=True, help="Plan id the national workbook consolidates.")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Workbook to write (.xlsx).")
@click.option("--returns-dir", default="", help="Folder where the returned workbooks arrive (can be set later in Excel).")
@click.option("--workbooks-dir", default="", help="Folder where `Tạo sổ` writes the units' workbooks.")
@click.option("--force", is_flag=True, help="Replace --out even if workbook-tools did not write it.")
@click.pass_obj
def generate_national_command(obj: dict[str, Any], plan_id: str, out_path: Path, returns_dir: str, workbooks_dir: str, force: bool) -> None:
    """Write the national workbook the Excel add-in works in (Cấu hình and empty summary sheets)."""
    from .addin import ACTION_CONSOLIDATE

    data = load_plan(plan_id, obj["dirs"])
    settings = {"plan": data.plan.id, "returns_dir": returns_dir, "out_dir": workbooks_dir, "action": ACTION_CONSOLIDATE}
    write_national_workbook(data.plan.id, out_path, settings, force=force)
    click.echo(f"Wrote {out_path} for {data.plan.id}: fill the Cấu hình sheet, then click BHXH › Thực hiện in Excel")


@main.group("addin", cls=Group)
def addin_group() -> None:
    """The Excel add-in: build it without Excel, and how to install it on Windows."""


@addin_group.command("build")
@click.option("--out", "out_dir", default="dist", show_default=True, type=click.Path(file_okay=False, path_type=Path), help="Folder for bhxh_tools.xlam and bhxh_tools.py.")
@click.option("--interpreter", default="", help="Python on the user's PC, written into the add-in's config (Interpreter_Win).")
def addin_build_command(out_dir: Path, interpreter: str) -> None:
    """Assemble bhxh_tools.xlam from xlwings' ribbon add-in template and macros/ (reproducible)."""
    from .addin_build import build_addin

    for path in build_addin(out_dir, interpreter):
        click.echo(f"wrote {path}")


@addin_group.command("install")
@click.option("--out", "out_dir", default="dist", show_default=True, type=click.Path(file_okay=False, path_type=Path), help="Folder of the built add-in.")
def addin_install_command(out_dir: Path) -> None:
    """Print the one-time set-up of the add-in on a Windows PC (Python, xlwings, Trust Center)."""
    from .addin_build import ADDIN_NAME, INSTALL_STEPS

    click.echo(INSTALL_STEPS.format(xlam=out_dir / f"{ADDIN_NAME}.xlam", shim=out_dir / f"{ADDIN_NAME}.py"))


def _print_check(data: PlanTargets) -> None:
    """The data-quality report of one plan (shared by import, split and targets check)."""
    findings = check_plan(data)
    problems = [f for f in findings if f.is_inconsistency]
    click.echo(f"{data.plan.id}: {len(problems)} disagreement(s) between published figures")
    for f in problems:
        click.echo(f"  {f.check}: {f.unit} {f.indicator} {f.period}: published {format_number(f.published)}, recomputed {format_number(f.recomputed)} ({f.difference:+,})")


@targets_group.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--plan", "plan_id", required=True, help="Id of the new plan, e.g. 2026 or 123-2026.")
@click.option("--structure", "structure_key", default="34", show_default=True, help="Units the appendix lists: 63, 34, or a stored district structure.")
@click.option("--kind", type=click.Choice(["stock", "flow"]), help="Stock (levels) or flow (additions); default: flow when the columns are months, else stock.")
@click.option("--document", default="", help='The decision, e.g. "Kế hoạch 123/KH-BHXH ngày 05/01/2026".')
@click.option("--year", type=int, help="Year of month columns written without one, or of an annual plan.")
@click.option("--columns", default="", help="Explicit mapping when headers are unclear, e.g. C=bhxh_bb:total,D=bhyt:2026-01.")
@click.option("--dry-run", is_flag=True, help="Show what would be stored; store nothing.")
@click.option("--force", is_flag=True, help="Replace a user plan with the same id.")
@click.pass_obj
def targets_import(obj: dict[str, Any], file: Path, plan_id: str, structure_key: str, kind: str | None, document: str,
                   year: int | None, columns: str, dry_run: bool, force: bool) -> None:
    """Import a plan from an official appendix (.xlsx or .csv) into the user data folder."""
    from .importer import import_appendix, store_plan

    data = import_appendix(file, plan_id, structure_key, kind=kind, document=document, year=year, columns=columns)
    plan = data.plan
    click.echo(f"{plan.id}: {len(data.unit_codes())} units, indicators {', '.join(plan.indicators)}, {plan.kind}, {plan.start} → {plan.end}")
    _print_check(data)
    if dry_run:
        click.echo("dry run: nothing stored")
        return
    path = store_plan(data, writable_data_dir(), document, force=force)
    click.echo(f"stored {path.with_suffix('.csv')} and {path}")


@targets_group.command("split")
@click.argument("plan_id", metavar="PLAN")
@click.option("--unit", "unit_text", required=True, help="The province whose targets are split (code or name).")
@click.option("--by", "shares_file", required=True, type=click.Path(path_type=Path), help="CSV or workbook: district code (optional), name, share.")
@click.option("--plan-id", "new_id", help="Id of the district plan (default: PLAN-CODE).")
@click.option("--force", is_flag=True, help="Replace a district plan with the same id.")
@click.pass_obj
def targets_split(obj: dict[str, Any], plan_id: str, unit_text: str, shares_file: Path, new_id: str | None, force: bool) -> None:
    """Split a province's targets over its districts (exactly) and store them as a plan of their own."""
    from .importer import store_plan
    from .split import read_shares, split_plan, store_structure

    data = load_plan(plan_id, obj["dirs"])
    province = resolver(data.plan.structure).resolve_code_or_name(unit_text)
    unit = structure(data.plan.structure).unit(province)
    shares = read_shares(shares_file)
    key = f"huyen-{data.plan.structure}-{province}"
    store_structure(writable_data_dir(), key, f"Các huyện của {unit.name}", shares, unit.name)
    split = split_plan(data, province, shares, new_id or f"{plan_id}-{province}", key)
    path = store_plan(split, writable_data_dir(), data.plan.document.citation(), force=force)
    click.echo(f"split {plan_id} for {province} {unit.name} over {len(shares)} districts: plan {split.plan.id} (structure {key}), stored {path}")
    _print_check(split)


@main.command("next-period")
@click.option("--from", "source", required=True, help="National summary workbook of the last period (achieved figures), or a plan id.")
@click.option("--plan", "plan_id", required=True, help="The new period's plan.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path), help="Folder for the workbooks.")
@click.option("--unit", "unit_texts", multiple=True, help="Only this unit (code or name); repeat for several.")
@click.option("--profile", callback=parse_profile, help="Weights for months the plan does not publish.")
@click.option("--password", default="", help="Password for sheet protection.")
@click.option("--force", is_flag=True, help="Overwrite workbooks already in the folder.")
@click.pass_obj
def next_period_command(obj: dict[str, Any], source: str, plan_id: str, out_dir: Path, unit_texts: tuple[str, ...],
                        profile: tuple[float, ...] | None, password: str, force: bool) -> None:
    """Generate the next period's workbooks, carrying what each unit achieved before."""
    from .next_period import CONTINUES, roll_over

    data = load_plan(plan_id, obj["dirs"])
    rollover = roll_over(source, data, obj["dirs"])
    names = resolver(data.plan.structure)
    units = select_units(data, [names.resolve_code_or_name(t) for t in unit_texts] or None)
    options = GenerateOptions(profile=profile, password=password, force=force)
    with click.progressbar(length=len(units), label="Generating", file=sys.stderr) as bar:
        files = generate(data, out_dir, units, options, baseline=rollover.baseline, histories=rollover.histories,
                         progress=lambda _f: bar.update(1))
    what = "achieved figures" if rollover.achieved else "targets (no achieved figures in a plan id)"
    how = "carried as year-to-date" if rollover.relation == CONTINUES else "shown as last year's"
    click.echo(f"Wrote {len(files)} workbook(s) for {data.plan.id} to {out_dir}; {rollover.old.plan.id}'s {what} {how} for {len(rollover.histories)} unit(s)")
