"""Reference data and target plans: units, targets list/show/check/import/split."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..units import central_unit, mapping_63_to_34, structure, structure_as_of, structures
from .app import Group, ToolError, emit_json, format_number, main, parse_day, print_table

if TYPE_CHECKING:  # the plan modules load inside the commands, so `--help` and `units` start at once
    from ..plans import PlanTargets


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
    from ..plans import list_plans

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
    from ..targets import regroup

    return regroup(data, mapping_63_to_34(), "34")


@targets_group.command("show")
@click.argument("plan_id", metavar="PLAN")
@click.option("--unit", "unit_text", help="Unit code or name (any spelling); default: every unit.")
@click.option("--as-of-structure", "as_of", callback=parse_day, help="Regroup onto the structure in force on this date.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.pass_obj
def targets_show(obj: dict[str, Any], plan_id: str, unit_text: str | None, as_of: date | None, as_json: bool) -> None:
    """Show a plan's targets: every unit's totals, or one unit by indicator and month."""
    from ..indicators import indicator
    from ..names import resolver
    from ..plans import NATIONAL_KEYS, TOTAL, load_plan

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
    from ..plans import list_plans, load_plan
    from ..quality import check_plan

    plan_ids = [plan_id] if plan_id else [p.id for p in list_plans(obj["dirs"])]
    plans = {pid: load_plan(pid, obj["dirs"]) for pid in plan_ids}
    report = {pid: check_plan(data) for pid, data in plans.items()}
    if as_json:
        emit_json({pid: [f.as_dict() for f in findings] for pid, findings in report.items()})
        return
    for pid, findings in report.items():
        data = plans[pid]
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


def _print_check(data: PlanTargets) -> None:
    """The data-quality report of one plan (shared by import, split and targets check)."""
    from ..quality import check_plan

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
    """Import a plan from an official appendix (.xlsx, .ods or .csv) into the user data folder."""
    from ..datafiles import writable_data_dir
    from ..importer import import_appendix, store_plan

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
    from ..datafiles import writable_data_dir
    from ..importer import check_plan_free, store_plan
    from ..names import resolver
    from ..plans import load_plan
    from ..split import read_shares, split_plan, store_structure

    data = load_plan(plan_id, obj["dirs"])
    province = resolver(data.plan.structure).resolve_code_or_name(unit_text)
    unit = structure(data.plan.structure).unit(province)
    shares = read_shares(shares_file)
    key = f"huyen-{data.plan.structure}-{province}"
    split = split_plan(data, province, shares, new_id or f"{plan_id}-{province}", key)
    check_plan_free(split.plan.id, writable_data_dir(), force=force)
    store_structure(writable_data_dir(), key, f"Các huyện của {unit.name}", shares, unit.name, force=force, for_plan=split.plan.id)
    path = store_plan(split, writable_data_dir(), data.plan.document.citation(), force=force)
    click.echo(f"Đã chia chỉ tiêu kế hoạch {plan_id} của {province} {unit.name} cho {len(shares)} huyện: kế hoạch {split.plan.id} "
               f"(cơ cấu {key}), lưu ở {path}")
    _print_check(split)


