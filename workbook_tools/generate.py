"""Generate one province workbook per unit for a plan, plus the manifest of expected returns."""

from __future__ import annotations

import calendar
import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from . import __version__
from .errors import DataFileError, OutputError, WorkbookToolsError
from .forms import FormSet, shipped_forms
from .indicators import indicator
from .outputs import check_target, dumps_json, is_our_json, locked, make_folder, write_atomic
from .parallel import run_jobs
from .plans import PlanTargets
from .render import escape_header, render
from .spec import Context, build_workbook, month_label
from .targets import regroup, unit_targets
from .units import Unit, mapping_63_to_34, structure

MANIFEST_NAME = "manifest.json"
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")


@dataclass(frozen=True)
class GenerateOptions:
    """Choices a user makes when generating: profile for derived months, password, time stamp."""

    profile: tuple[float, ...] | None = None
    password: str = ""
    generated_at: datetime | None = None
    force: bool = False
    workers: int = 0


@dataclass(frozen=True)
class GeneratedFile:
    """One written workbook, as recorded in the manifest."""

    unit: Unit
    path: Path
    sha256: str


def in_structure(data: PlanTargets, key: str | None) -> PlanTargets:
    """The plan on the requested structure: 63-province plans can be regrouped onto the 34 units."""
    if key is None or key == data.plan.structure:
        return data
    if (data.plan.structure, key) == ("63", "34"):
        return regroup(data, mapping_63_to_34(), "34")
    raise WorkbookToolsError(f"plan {data.plan.id} is on structure {data.plan.structure}; it cannot be laid out on {key}")


def unit_title(unit: Unit) -> str:
    """'BHXH thành phố Hà Nội', 'BHXH tỉnh An Giang', 'BHXH Thành phố Hồ Chí Minh'."""
    if unit.name.startswith("TP "):
        return f"BHXH Thành phố {unit.name[3:]}"
    return f"BHXH {unit.kind} {unit.name}".replace("  ", " ")


def period_label(months: Sequence[str]) -> str:
    """'năm 2021' for a calendar year, else 'tháng 9/2021 – tháng 12/2021'."""
    first, last = months[0], months[-1]
    if len(months) == 12 and first.endswith("-01") and last.endswith("-12"):
        return f"năm {first[:4]}"
    return f"{month_label(first).lower()} – {month_label(last).lower()}"


def check_profile(data: PlanTargets, profile: Sequence[float] | None) -> None:
    """A user's profile must have one weight per month of the plan, none negative, not all zero."""
    if profile is None:
        return
    months = len(data.plan.months)
    if len(profile) != months:
        raise WorkbookToolsError(f"--profile has {len(profile)} weights but plan {data.plan.id} has {months} months")
    if any(p < 0 for p in profile) or not any(profile):
        raise WorkbookToolsError("--profile weights must be non-negative and not all zero")


def _derived_note(methods: set[str], profile: Sequence[float] | None) -> str:
    """One sentence telling staff where monthly targets come from."""
    if methods <= {"published", "none"}:
        return "Chỉ tiêu tháng theo phụ lục của kế hoạch."
    shares = "đều các tháng" if not profile else "theo tỷ lệ " + "/".join(f"{p:g}" for p in profile)
    if "allocated" in methods:
        return f"Chỉ tiêu tháng (in nghiêng) do công cụ phân bổ từ chỉ tiêu cả kỳ, {shares}; tổng các tháng bằng đúng chỉ tiêu cả kỳ."
    if "milestones" in methods:
        return f"Mức cuối tháng (in nghiêng) do công cụ tính từ mức năm trước đến chỉ tiêu năm, phần tăng thêm chia {shares}."
    return "Kế hoạch chỉ giao chỉ tiêu năm; mức cuối tháng (in nghiêng) lấy bằng chỉ tiêu năm."


REGROUPED = "regrouped from "


def merged_note(data: PlanTargets, unit: Unit) -> str:
    """For a unit formed by merging provinces (34 structure), which former provinces its targets add up."""
    sources = {t.source for t in data.targets if t.unit == unit.code and t.source.startswith(REGROUPED)}
    codes = sorted({code for text in sources for code in text[len(REGROUPED):].split("+")})
    if len(codes) < 2:
        return ""
    former = structure("63")
    names = ", ".join(former.unit(code).name for code in codes)
    return f"Chỉ tiêu của {unit_title(unit)} là tổng chỉ tiêu của các tỉnh trước khi hợp nhất: {names}."


@dataclass(frozen=True)
class History:
    """What a unit achieved before this plan (from `next-period`): figures for the forms, and which."""

    context: dict[tuple[str, str], float]
    flags: frozenset[str]


def build_context(
    data: PlanTargets, unit: Unit, profile: Sequence[float] | None, baseline: PlanTargets | None,
    history: History | None = None,
) -> tuple[Context, set[str]]:
    """Everything the forms need about this unit and plan."""
    plan = data.plan
    values, derived, methods = unit_targets(data, unit.code, profile, baseline)
    stock = plan.is_stock
    texts = {
        "document": f"{plan.document.citation()} của {plan.document.issuer}",
        "document_short": f"{plan.document.kind} {plan.document.number}",
        "plan_title": plan.title,
        "unit_title": unit_title(unit),
        "period_label": period_label(plan.months),
        "plan_kind_label": "chỉ tiêu số người tham gia, số liệu là mức tại thời điểm" if stock
        else "chỉ tiêu thực hiện mới, số liệu cộng dồn theo tháng",
        "derived_note": _derived_note(methods, profile),
        "merged_note": merged_note(data, unit),
        "actual_note": "Nhập số người đang tham gia tại ngày báo cáo (không cộng dồn)." if stock
        else "Nhập số thực hiện lũy kế từ đầu tháng đến ngày báo cáo; cả kỳ tự cộng các tháng.",
    }
    rows = tuple(
        (code, indicator(code).label, indicator(code).unit, indicator(code).value_type) for code in plan.indicators
    )
    ctx = Context(plan.kind, plan.months, texts, rows, values, frozenset(derived),
                  history.context if history else {}, history.flags if history else frozenset())
    return ctx, methods


def round_date_range(months: Sequence[str]) -> tuple[date, date]:
    """Report dates accepted: from the plan's first day to a month after its last."""
    first_year, first_month = map(int, months[0].split("-"))
    last_year, last_month = map(int, months[-1].split("-"))
    last_day = calendar.monthrange(last_year, last_month)[1]
    return date(first_year, first_month, 1), date(last_year, last_month, last_day) + timedelta(days=31)


def sha256_of(path: Path) -> str:
    """Fingerprint recorded in the manifest, so a return can be told from the blank form."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_workbook(
    unit: Unit, path: Path, data: PlanTargets, forms: FormSet, options: GenerateOptions,
    generated_at: datetime, baseline: PlanTargets | None = None, histories: Mapping[str, History] | None = None,
) -> GeneratedFile:
    """Write one unit's workbook atomically (temporary name, then rename)."""
    plan = data.plan
    ctx, methods = build_context(data, unit, options.profile, baseline, (histories or {}).get(unit.code))
    meta = {
        "tool": "workbook-tools",
        "tool_version": __version__,
        "form_version": forms.version,
        "plan_id": plan.id,
        "plan_kind": plan.kind,
        "plan_document": plan.document.citation(),
        "structure": plan.structure,
        "unit_code": unit.code,
        "unit_name": unit.name,
        "generated_at": generated_at.isoformat(timespec="seconds"),
        "months": ",".join(plan.months),
        "monthly_targets": ",".join(sorted(methods)),
        "profile": ",".join(f"{p:g}" for p in options.profile) if options.profile else "",
    }
    font = '&"Times New Roman,Regular"&9'
    header = f'&L{font}{escape_header(unit_title(unit))}&R{font}{escape_header(ctx.texts["document_short"])}'
    footer = f"&L{font}{escape_header(plan.document.citation())} · &A&R{font}Trang &P/&N"
    spec = build_workbook(forms, ctx, meta, header, footer)
    write_atomic(path, lambda temporary: render(spec, temporary, password=options.password,
                                                date_range=round_date_range(plan.months), created=generated_at))
    return GeneratedFile(unit, path, sha256_of(path))


def select_units(data: PlanTargets, codes: Iterable[str] | None) -> list[Unit]:
    """Units to generate: those asked for, else every unit of the plan, in code order."""
    chosen = list(codes) if codes else list(data.unit_codes())
    layout = structure(data.plan.structure)
    missing = [c for c in chosen if not data.has(c)]
    if missing:
        raise WorkbookToolsError(f"plan {data.plan.id} has no targets for unit(s) {', '.join(missing)}")
    return [layout.unit(c) for c in chosen]


def generate(
    data: PlanTargets, out_dir: Path, units: Sequence[Unit], options: GenerateOptions = GenerateOptions(),
    *, forms: FormSet | None = None, baseline: PlanTargets | None = None,
    histories: Mapping[str, History] | None = None, progress: Callable[[GeneratedFile], None] | None = None,
) -> list[GeneratedFile]:
    """Write every unit's workbook and the manifest; refuse to overwrite unless forced."""
    forms = forms or shipped_forms()
    check_profile(data, options.profile)
    paths = {u.code: out_dir / f"{u.file_stem}.xlsx" for u in units}
    generated_at = options.generated_at or datetime.now().replace(microsecond=0)
    return write_unit_files(
        data, forms, out_dir, units, paths, options, progress,
        write_workbook, (data, forms, options, generated_at, baseline, histories), generated_at,
    )


def write_unit_files(
    data: PlanTargets, forms: FormSet, out_dir: Path, units: Sequence[Unit], paths: Mapping[str, Path],
    options: GenerateOptions, progress: Callable[[GeneratedFile], None] | None,
    write_one: Callable[..., GeneratedFile], shared: tuple[Any, ...], generated_at: datetime,
) -> list[GeneratedFile]:
    """Every set of unit workbooks leaves the same way: one folder lock, filled workbooks never overwritten unless forced, the manifest last."""
    make_folder(out_dir)
    manifest = out_dir / MANIFEST_NAME
    with locked(manifest):
        earlier = _listed_units(manifest, data)
        replaced = {p.name for p in paths.values()}
        strangers = workbooks_not_written_here(out_dir, earlier, replaced)
        if strangers:
            raise OutputError(
                f"{out_dir} có vẻ là thư mục báo cáo gửi về: có {len(strangers)} sổ không do lệnh tạo sổ ghi ra cho kế hoạch "
                f"{data.plan.id} hoặc đã được điền, ví dụ «{strangers[0]}»; không ghi sổ trắng lẫn vào đó. "
                "Hãy chọn một thư mục khác (thư mục trống) cho sổ mới."
            )
        existing = [p.name for p in paths.values() if p.exists()]
        if existing and not options.force:
            raise OutputError(
                f"{out_dir} đã có {len(existing)} sổ, ví dụ {existing[0]} (có thể đã được điền); "
                "hãy chọn thư mục khác, hoặc thêm --force để ghi đè."
            )
        if not options.force:
            check_target(manifest, ours=is_our_json)
        jobs = [(unit, paths[unit.code]) for unit in units]
        written = run_jobs(write_one, jobs, options.workers, progress, shared=shared)
        kept = [u for u in earlier if u.get("file") not in replaced and u.get("code") not in paths and (out_dir / str(u.get("file"))).is_file()]
        write_manifest(manifest, data, forms, written, generated_at, kept)
    return written


def workbooks_not_written_here(out_dir: Path, listed: Sequence[dict[str, Any]], replaced: set[str]) -> list[str]:
    """Workbooks in out_dir that the folder's manifest (`listed` units) does not hold as they are now: returns, others' files.

    Blank workbooks must never be mixed among filled returns; the files about to be replaced are left
    to the overwrite rule (--force).
    """
    recorded = {str(u.get("file")): str(u.get("sha256")) for u in listed}
    found = []
    for entry in sorted(out_dir.iterdir()):
        if entry.name in replaced or entry.name.startswith("~$") or entry.suffix.lower() not in WORKBOOK_SUFFIXES:
            continue
        if not entry.is_file() or recorded.get(entry.name) != sha256_of(entry):
            found.append(entry.name)
    return found


def _listed_units(manifest: Path, data: PlanTargets) -> list[dict[str, Any]]:
    """The units a manifest of this plan and structure lists (none when it is absent, unreadable or another plan's)."""
    from .check import load_manifest

    if not manifest.is_file():
        return []
    try:
        listed = load_manifest(manifest)
    except DataFileError:
        return []
    if listed.plan != data.plan.id or listed.structure not in ("", data.plan.structure):
        return []
    return [u for u in listed.units.values() if isinstance(u, dict)]


def write_manifest(path: Path, data: PlanTargets, forms: FormSet, files: Sequence[GeneratedFile], generated_at: datetime,
                   kept: Sequence[dict[str, Any]] = ()) -> None:
    """The list of expected returns that check and consolidate compare against (`kept`: units of earlier runs still in the folder)."""
    written = [{"code": f.unit.code, "name": f.unit.name, "file": f.path.name, "sha256": f.sha256} for f in files]
    payload = {
        "tool": "workbook-tools",
        "tool_version": __version__,
        "plan": data.plan.id,
        "document": data.plan.document.citation(),
        "structure": data.plan.structure,
        "form_version": forms.version,
        "generated_at": generated_at.isoformat(timespec="seconds"),
        "units": sorted([*kept, *written], key=lambda u: str(u.get("code"))) if kept else written,
    }
    text = dumps_json(payload, indent=2) + "\n"
    write_atomic(path, lambda temporary: temporary.write_text(text, encoding="utf-8"))
