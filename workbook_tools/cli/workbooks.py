"""Writing workbooks: generate, next-period, generate-national."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .app import main, parse_profile

if TYPE_CHECKING:  # the core modules load inside the commands, so `--help` starts at once
    from ..plans import PlanTargets


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
    from ..generate import GenerateOptions, generate, in_structure, select_units
    from ..names import resolver
    from ..plans import load_plan

    started = time.perf_counter()
    data = in_structure(load_plan(plan_id, obj["dirs"]), structure_key)
    baseline = _previous_targets(obj, data)
    names = resolver(data.plan.structure)
    units = select_units(data, [names.resolve_code_or_name(t) for t in unit_texts] or None)
    options = GenerateOptions(profile=profile, password=password, force=force)
    with click.progressbar(length=len(units), label="Tạo sổ", file=sys.stderr) as bar:
        files = generate(data, out_dir, units, options, baseline=baseline, progress=lambda _f: bar.update(1))
    if as_json:
        click.echo((out_dir / "manifest.json").read_text(encoding="utf-8"), nl=False)
        return
    elapsed = time.perf_counter() - started
    click.echo(f"Đã tạo {len(files)} sổ của kế hoạch {data.plan.id} trong {out_dir} (kèm manifest.json), {elapsed:.1f} giây")


def _previous_targets(obj: dict[str, Any], data: PlanTargets) -> PlanTargets | None:
    """Last year's targets a stock plan's month-end levels climb from, when the plan names its previous year."""
    from ..generate import in_structure
    from ..plans import load_plan

    if data.plan.is_stock and data.plan.previous_plan:
        return in_structure(load_plan(data.plan.previous_plan, obj["dirs"]), data.plan.structure)
    return None


@main.command("generate-national")
@click.option("--plan", "plan_id", required=True, help="Plan id the national workbook consolidates.")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Workbook to write (.xlsx).")
@click.option("--returns-dir", default="", help="Folder where the returned workbooks arrive (can be set later in Excel).")
@click.option("--workbooks-dir", default="", help="Folder where `Tạo sổ` writes the units' workbooks.")
@click.option("--force", is_flag=True, help="Replace --out even if workbook-tools did not write it.")
@click.pass_obj
def generate_national_command(obj: dict[str, Any], plan_id: str, out_path: Path, returns_dir: str, workbooks_dir: str, force: bool) -> None:
    """Write the national workbook the Excel add-in works in (Cấu hình and empty summary sheets)."""
    from ..addin import ACTION_CONSOLIDATE, write_national_workbook
    from ..plans import load_plan

    data = load_plan(plan_id, obj["dirs"])
    settings = {"plan": data.plan.id, "returns_dir": returns_dir, "out_dir": workbooks_dir, "action": ACTION_CONSOLIDATE}
    write_national_workbook(data.plan.id, out_path, settings, force=force)
    click.echo(f"Đã ghi {out_path} cho kế hoạch {data.plan.id}: điền sheet Cấu hình, rồi bấm một nút của thẻ BHXH trong Excel (Tổng hợp, Kiểm tra, Tạo sổ, Kỳ tiếp theo, Báo cáo ngày)")


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
    from ..generate import GenerateOptions, generate, select_units
    from ..names import resolver
    from ..next_period import CONTINUES, roll_over
    from ..plans import load_plan

    data = load_plan(plan_id, obj["dirs"])
    rollover = roll_over(source, data, obj["dirs"])
    for notice in rollover.notices:
        click.echo(f"Lưu ý: {notice}", err=True)
    names = resolver(data.plan.structure)
    units = select_units(data, [names.resolve_code_or_name(t) for t in unit_texts] or None)
    options = GenerateOptions(profile=profile, password=password, force=force)
    baseline = rollover.baseline or _previous_targets(obj, data)
    with click.progressbar(length=len(units), label="Tạo sổ", file=sys.stderr) as bar:
        files = generate(data, out_dir, units, options, baseline=baseline, histories=rollover.histories,
                         progress=lambda _f: bar.update(1))
    if not rollover.histories:
        click.echo(f"Đã tạo {len(files)} sổ của kế hoạch {data.plan.id} trong {out_dir} với chỉ tiêu của chính kế hoạch này; không mang số liệu nào từ {rollover.old.plan.id}")
        return
    what = "số thực hiện" if rollover.achieved else "chỉ tiêu (nguồn là mã kế hoạch, không có số thực hiện)"
    how = "mang sang làm số lũy kế từ đầu năm" if rollover.relation == CONTINUES else "ghi làm số của năm trước"
    click.echo(f"Đã tạo {len(files)} sổ của kế hoạch {data.plan.id} trong {out_dir}; {what} của {rollover.old.plan.id} được {how} "
               f"cho {len(rollover.histories)} đơn vị")
