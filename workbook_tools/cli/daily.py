"""The daily quick report of the Công điện: `daily generate` and `daily consolidate`."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Any

import click

from .app import ToolError, format_number, main, parse_day, print_table


@main.group("daily")
def daily_group() -> None:
    """The daily quick report (báo cáo nhanh, before 16:00): one workbook per unit for a whole campaign."""


@daily_group.command("generate")
@click.option("--plan", "plan_id", required=True, help="Plan id (see `workbook-tools targets list`).")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path), help="Folder for the workbooks.")
@click.option("--unit", "unit_texts", multiple=True, help="Only this unit (code or name); repeat for several.")
@click.option("--structure", "structure_key", type=click.Choice(["63", "34"]), help="Lay the plan out on this structure (63 → 34 regroups).")
@click.option("--from", "start", callback=parse_day, help="First day of the campaign (default: the plan's first day).")
@click.option("--to", "end", callback=parse_day, help="Last day of the campaign (default: the plan's last day).")
@click.option("--password", default="", help="Password for sheet protection (default: none).")
@click.option("--force", is_flag=True, help="Overwrite workbooks already in the folder.")
@click.pass_obj
def generate_command(obj: dict[str, Any], plan_id: str, out_dir: Path, unit_texts: tuple[str, ...], structure_key: str | None,
                     start: date | None, end: date | None, password: str, force: bool) -> None:
    """Write one daily-report workbook per unit (one row per campaign day) and the manifest."""
    from ..daily_form import campaign_for, generate_daily
    from ..generate import GenerateOptions, in_structure, select_units
    from ..names import resolver
    from ..plans import load_plan

    data = in_structure(load_plan(plan_id, obj["dirs"]), structure_key)
    campaign = campaign_for(data.plan, start, end)
    names = resolver(data.plan.structure)
    units = select_units(data, [names.resolve_code_or_name(t) for t in unit_texts] or None)
    with click.progressbar(length=len(units), label="Tạo sổ", file=sys.stderr) as bar:
        files = generate_daily(data, out_dir, units, campaign, GenerateOptions(password=password, force=force), progress=lambda _f: bar.update(1))
    click.echo(f"Đã tạo {len(files)} sổ báo cáo ngày ({data.plan.id}, đợt {campaign.label}, {len(campaign.days)} ngày) trong {out_dir} (kèm manifest.json)")


@daily_group.command("consolidate")
@click.argument("returns_dir", type=click.Path(path_type=Path))
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False, path_type=Path), help="National daily workbook (.xlsx); earlier days are kept in it.")
@click.option("--day", "day", callback=parse_day, help="Day to consolidate (default: the latest day most returns have reached).")
@click.option("--manifest", "manifest_path", type=click.Path(dir_okay=False, exists=True, path_type=Path), help="manifest.json written by `daily generate` (expected units).")
@click.option("--plan", "plan_id", help="Plan id (default: the one the returns carry).")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), help="Also write the figures as JSON.")
@click.option("--force", is_flag=True, help="Replace --out even if workbook-tools did not write it.")
@click.pass_obj
def consolidate_command(obj: dict[str, Any], returns_dir: Path, out_path: Path, day: date | None, manifest_path: Path | None,
                        plan_id: str | None, json_path: Path | None, force: bool) -> None:
    """Add one day of returns to the national daily workbook (exit 1 when units are missing or rejected)."""
    from ..check import load_manifest
    from ..daily import LATE, ON_TIME, REPORTED, TIMELINESS_RULE, consolidate_daily, plan_of_returns, read_daily_folder
    from ..daily_book import is_daily_national, load_held_days, write_daily_json, write_daily_summary
    from ..generate import in_structure
    from ..outputs import check_target, distinct, is_our_json, locked
    from ..plans import load_plan

    if not returns_dir.is_dir():
        raise ToolError(f"Không thấy thư mục báo cáo {returns_dir} (hoặc đó không phải thư mục): hãy kiểm tra đường dẫn.")
    keep_out = [returns_dir]
    distinct(out_path, json_path)
    check_target(out_path, ours=is_daily_national, force=force, keep_out=keep_out)
    if json_path:
        check_target(json_path, ours=is_our_json, force=force, keep_out=keep_out)
    with locked(out_path):
        held, held_campaign, held_plan = load_held_days(out_path)
        found_plan, structure_key = plan_of_returns(returns_dir)
        chosen = plan_id or found_plan or held_plan
        if not chosen:
            raise ToolError(f"Không xác định được kế hoạch của {returns_dir}: dùng --plan")
        if held_plan and held_plan != chosen:
            if not force:
                raise ToolError(
                    f"{out_path} đang giữ báo cáo ngày của kế hoạch {held_plan}, không phải {chosen}; số liệu hai kế hoạch không được trộn: "
                    f"hãy ghi vào một tệp khác (--out), hoặc thêm --force để bắt đầu lại tệp này chỉ với kế hoạch {chosen}."
                )
            held, held_campaign = {}, None
        data = in_structure(load_plan(chosen, obj["dirs"]), structure_key)
        manifest = load_manifest(manifest_path) if manifest_path else None
        with click.progressbar(length=sum(1 for p in returns_dir.iterdir() if p.is_file()), label="Đọc báo cáo", file=sys.stderr) as bar:
            returns = read_daily_folder(returns_dir, data, progress=lambda _r: bar.update(1))
        result = consolidate_daily(data, returns, held=held, held_campaign=held_campaign, day=day, manifest=manifest)
        write_daily_summary(result, out_path, force=force, keep_out=keep_out)
    if json_path:
        write_daily_json(result, json_path, force=force, keep_out=keep_out)
    _print_result(result)
    summary = result.as_dict()["summary"]
    click.echo(
        f"Đã ghi {out_path}: ngày {result.day:%d/%m/%Y}, {summary[REPORTED]}/{len(result.units)} đơn vị báo cáo "
        f"({summary[ON_TIME]} đúng hạn, {summary[LATE]} trễ hạn), {summary['missing']} chưa báo cáo, {summary['rejected']} bị từ chối; "
        f"{len(result.days)} ngày trong sổ; {sum(p.is_error for p in result.problems)} lỗi, {sum(not p.is_error for p in result.problems)} cảnh báo."
    )
    click.echo(f"Đúng hạn/trễ hạn: {TIMELINESS_RULE}.")
    if summary["missing"] or summary["rejected"]:
        sys.exit(1)


def _print_result(result: Any) -> None:
    """The nation on the day, the notices and the units furthest behind."""
    from ..indicators import indicator

    for notice in result.notices:
        click.echo(notice)
    rows = []
    for code in result.codes:
        previous = [d for d in result.days if d < result.day]
        level = result.national(code, result.day)
        before = result.national(code, previous[-1]) if previous else None
        completion = result.completion(code)
        rows.append([indicator(code).short_label, format_number(result.target(code)), format_number(level),
                     format_number(None if level is None or before is None else level - before),
                     "" if completion is None else f"{completion:.1%}", ", ".join(result.behind(code, 5))])
    print_table(["chỉ tiêu", "chỉ tiêu kế hoạch", "lũy kế cả nước", "tăng so với hôm trước", "% chỉ tiêu", "chậm nhất"], rows)
