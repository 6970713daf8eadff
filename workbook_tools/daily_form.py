"""The daily quick report (báo cáo nhanh, Công điện): one workbook per unit for a whole campaign.

One row per day of the campaign (row key `day:YYYY-MM-DD`), one column group per participant
indicator of the plan and revenue (`templates/daily.toml`), laid out here and written by the same
renderer as the province workbooks (`render.py`), with the same `_meta` identity (form `daily`).
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from . import __version__
from .daily_print import LINE_PT, SCALE, column_breaks, row_height, wrapped_lines
from .datafiles import templates_dir
from .errors import WorkbookToolsError
from .forms import PLACEHOLDER, Column, Form, FormSet, Group, load_form, shipped_forms
from .generate import GeneratedFile, GenerateOptions, build_context, sha256_of, unit_title, write_unit_files
from .outputs import write_atomic
from .indicators import indicator
from .plans import TOTAL, Plan, PlanTargets
from .render import escape_header, render
from .spec import (
    FIRST_DATA_COL, KEY_COL, KEY_ROW, LABEL_COL, STT_COL, UOM_COL, Context, SheetSpec, WorkbookSpec,
    KEY_MARK, build_meta_sheet, build_text_sheet, cell_ref, column_key, fill_text,
)

DAILY_FORM = "daily"
TARGET_ROW = "target"
PLAN_END = "plan_end"
WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")
REVENUE = "thu"
TEXT_COLUMN_WIDTH = 11


@lru_cache(maxsize=1)
def daily_forms() -> FormSet:
    """The daily workbook's sheets (instructions, report) under the shipped form version."""
    folder = templates_dir()
    forms = (load_form(folder / "daily_huong_dan.toml"), load_form(folder / f"{DAILY_FORM}.toml"))
    return FormSet(version=shipped_forms().version, forms=forms)


def plan_first_day(plan: Plan) -> date:
    """The first day of a plan's first month."""
    return date.fromisoformat(plan.start + "-01")


def plan_last_day(plan: Plan) -> date:
    """The last day of a plan's last month: the day every target must be met by."""
    year, month = map(int, plan.end.split("-"))
    return date(year, month, calendar.monthrange(year, month)[1])


def day_key(day: date) -> str:
    """Row key of a day: 'day:2021-12-06'."""
    return f"day:{day.isoformat()}"


@dataclass(frozen=True)
class Campaign:
    """The days staff report on (a window of the plan) and the plan's last day."""

    start: date
    end: date
    plan_end: date

    @cached_property
    def days(self) -> tuple[date, ...]:
        """Every day of the campaign, in order."""
        return tuple(self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1))

    @property
    def label(self) -> str:
        """'01/12/2021 – 10/12/2021'."""
        return f"{self.start:%d/%m/%Y} – {self.end:%d/%m/%Y}"

    def days_left(self, day: date) -> int:
        """Days after `day` until the plan's last day (0 on the last day)."""
        return max(0, (self.plan_end - day).days)


def campaign_for(plan: Plan, start: date | None = None, end: date | None = None) -> Campaign:
    """The campaign window: by default the plan's whole period; it must lie inside the plan."""
    first, last = plan_first_day(plan), plan_last_day(plan)
    campaign = Campaign(start or first, end or last, last)
    if not first <= campaign.start <= campaign.end <= last:
        raise WorkbookToolsError(
            f"đợt báo cáo {campaign.label} phải nằm trong kỳ kế hoạch {plan.id} ({first:%d/%m/%Y} – {last:%d/%m/%Y})")
    return campaign


def daily_indicators(plan: Plan) -> tuple[str, ...]:
    """What the Công điện asks each day: the plan's participant indicators (people), then revenue."""
    people = [c for c in plan.indicators if indicator(c).is_participants]
    return (*people, *([REVENUE] if REVENUE in plan.indicators else []))


@dataclass
class _Layout:
    """Where each (group, indicator, column) landed, and the cells formulas point at."""

    columns: dict[tuple[str, str, str], int]
    target_cols: dict[str, int]
    target_row: int = 0
    plan_end: str = ""
    first_day_row: int = 0


def _expanded(form: Form, codes: Sequence[str]) -> list[tuple[Group, str, Column]]:
    """Columns in order: `once` groups once (indicator ''), `indicators` groups for each indicator."""
    return [(g, code, c) for g in form.groups for code in (codes if g.repeat == "indicators" else ("",)) for c in g.columns]


def daily_column_key(column: str, code: str) -> str:
    """'level:bhxh_bb' for an indicator's column, 'time' for a once-a-day column."""
    return column_key(column, code) if code else column


def _resolve(template: str, r: int, group: str, code: str, layout: _Layout) -> str:
    """Put cell references of this row into a template formula (placeholders in templates/daily.toml)."""
    def replace(match: Any) -> str:
        function, name = (match.group(1) or "").rstrip(":"), match.group(2)
        if name == "target":
            return cell_ref(layout.target_row, layout.target_cols[code], absolute=True)
        if name == "day":
            return cell_ref(r, LABEL_COL)
        if name == PLAN_END:
            return layout.plan_end
        if "." in name:
            grp, column = name.split(".")
            return cell_ref(r, layout.columns[(grp, "", column)])
        c = layout.columns[(group, code, name)]
        if function == "prev":
            return '""' if r == layout.first_day_row else cell_ref(r - 1, c)
        return cell_ref(r, c)

    return PLACEHOLDER.sub(replace, template)


def _value_type(code: str) -> str:
    """count or money, as the indicator catalogue says."""
    return indicator(code).value_type if code else "count"


def _day_cell(sheet: SheetSpec, r: int, c: int, group: Group, code: str, column: Column, layout: _Layout) -> None:
    """One cell of a day row: an input (validated by its type) or a live formula."""
    kind = column.format or _value_type(code)
    if column.cell == "input":
        sheet.put(r, c, None, f"input.{kind}", validation=kind)
        return
    formula = _resolve(column.formula_for("flow"), r, group.key, code, layout)
    sheet.put(r, c, None, f"formula.{kind}", formula=formula)


def _headers(sheet: SheetSpec, form: Form, columns: list[tuple[Group, str, Column]], top: int, texts: Mapping[str, str]) -> None:
    """Group titles over their columns, column headers, and the key row."""
    for col, text, key in ((STT_COL, "STT", "stt"), (LABEL_COL, form.label_header, "label"), (UOM_COL, "Thứ", "uom")):
        sheet.put(top, col, text, "header", merge_to=(top + 1, col))
        sheet.put(KEY_ROW, col, key, "key")
    col = FIRST_DATA_COL
    spans: list[tuple[str, int, int]] = []
    for group, code, column in columns:
        sheet.put(KEY_ROW, col, daily_column_key(column.key, code), "key")
        sheet.put(top + 1, col, column.header_for("flow"), "header")
        sheet.widths[col] = column.width
        title = group.header.format_map({**texts, "indicator_label": indicator(code).short_label if code else "",
                                         "indicator_unit": indicator(code).unit if code else ""})
        if spans and spans[-1][0] == f"{group.key}:{code}":
            spans[-1] = (spans[-1][0], spans[-1][1], col)
        else:
            spans.append((f"{group.key}:{code}", col, col))
            sheet.put(top, col, title, "header")
        col += 1
    for cell in [c for c in sheet.cells if c.row == top and c.col >= FIRST_DATA_COL]:
        last = next(last for _, first, last in spans if first == cell.col)
        cell.merge_to = (top, last) if last > cell.col else None


def _group_spans(columns: list[tuple[Group, str, Column]]) -> list[tuple[int, int]]:
    """(first, last) column of each group as laid out (an indicator's columns are one group)."""
    spans: list[tuple[int, int]] = []
    previous = None
    for offset, (group, code, _) in enumerate(columns):
        col = FIRST_DATA_COL + offset
        if (group.key, code) == previous:
            spans[-1] = (spans[-1][0], col)
        else:
            spans.append((col, col))
        previous = (group.key, code)
    return spans


def _place_and_signature(sheet: SheetSpec, row: int, left: int, right: tuple[int, int], place: str, report_date: str) -> int:
    """The place/date line (from the report date typed above the table), who prepared it, who signs; the last row used."""
    first, last = right
    merge = {"merge_to": (row, last)} if last > first else {}
    day = f'"{place}, ngày "&DAY({report_date})&" tháng "&MONTH({report_date})&" năm "&YEAR({report_date})'
    formula = f'IF(ISNUMBER({report_date}),{day},"{place}, ngày ... tháng ... năm ...")'
    sheet.put(row, first, None, "subtitle", formula=formula, **merge)
    for offset, (prepared, signs) in enumerate((("NGƯỜI LẬP BIỂU", "GIÁM ĐỐC"), ("(Ký, ghi rõ họ tên)", "(Ký tên, đóng dấu)")), start=1):
        style = "signature" if offset == 1 else "signature_note"
        sheet.put(row + offset, left, prepared, style, merge_to=(row + offset, left + 2))
        sheet.put(row + offset, first, signs, style, **({"merge_to": (row + offset, last)} if last > first else {}))
    return row + 6


def _title_block(sheet: SheetSpec, form: Form, ctx: Context, first: int, last: int) -> int:
    """Title (its topic after ' – ' on a line of its own, so it fits a page), subtitle and note; the next free row.

    The block starts after the label columns when those repeat on later pages, so no later page
    shows the left end of a title cut off.
    """
    sheet.put(KEY_ROW, KEY_COL, f"{KEY_MARK} {form.key}", "key")
    sheet.heights[KEY_ROW] = 11
    chars = sum(sheet.widths.get(c, 8.43) for c in range(first, last + 1))
    title, _, topic = form.title.partition(" – ")
    note = fill_text(form.note, ctx.texts) if form.note else ""
    lines = [(title, "title", 22.0), (topic, "signature", 18.0), (fill_text(form.subtitle, ctx.texts), "subtitle", 18.0),
             (note, "note", 12.0 * wrapped_lines(note, chars * 11 / 9))]
    row = 1
    for text, style, height in lines:
        if text:
            sheet.put(row, first, text, style, merge_to=(row, last) if last > first else None)
            sheet.heights[row] = height
            row += 1
    return row


def build_daily_sheet(form: Form, ctx: Context, campaign: Campaign, codes: Sequence[str], targets: Mapping[str, float | None],
                      place: str = "") -> SheetSpec:
    """The daily report sheet of one unit: info, the plan's targets, one row per campaign day, place, date and signatures."""
    sheet = SheetSpec(form.key, form.sheet)
    columns = _expanded(form, codes)
    last_col = FIRST_DATA_COL + len(columns) - 1
    sheet.widths.update({KEY_COL: 12, STT_COL: 5, LABEL_COL: form.label_width, UOM_COL: 11})
    sheet.widths.update({FIRST_DATA_COL + n: column.width for n, (_, _, column) in enumerate(columns)})
    spans = _group_spans(columns)
    sheet.v_breaks = column_breaks(sheet.widths, spans, (STT_COL, UOM_COL))
    first_page_end = sheet.v_breaks[0] - 1 if sheet.v_breaks else last_col
    row = _title_block(sheet, form, ctx, FIRST_DATA_COL if sheet.v_breaks else STT_COL, first_page_end)
    for info in form.info:
        sheet.put(row, KEY_COL, info.key, "key")
        sheet.put(row, STT_COL, info.label, "info_label", merge_to=(row, LABEL_COL))
        sheet.put(row, UOM_COL, None, f"input.{info.type}", validation=info.type, merge_to=None if sheet.v_breaks else (row, UOM_COL + 2))
        sheet.inputs[(info.key, "uom")] = (row, UOM_COL)
        if sheet.v_breaks and info.type == "text":
            sheet.heights[row] = 2 * LINE_PT
        row += 1
    sheet.put(row, KEY_COL, PLAN_END, "key")
    sheet.put(row, STT_COL, "Kỳ kế hoạch đến ngày", "info_label", merge_to=(row, LABEL_COL))
    sheet.put(row, UOM_COL, datetime.combine(campaign.plan_end, datetime.min.time()), "target.date",
              merge_to=None if sheet.v_breaks else (row, UOM_COL + 2))
    layout = _Layout({}, {}, plan_end=cell_ref(row, UOM_COL, absolute=True))
    top = row + 2
    _headers(sheet, form, columns, top, ctx.texts)
    sheet.heights.update({top: 32, top + 1: row_height([(c.header_for("flow"), c.width) for _, _, c in columns], least=32)})
    for offset, (group, code, column) in enumerate(columns):
        layout.columns[(group.key, code, column.key)] = FIRST_DATA_COL + offset
        if code and column.cell == "input" and code not in layout.target_cols:
            layout.target_cols[code] = FIRST_DATA_COL + offset
    layout.target_row, layout.first_day_row = top + 2, top + 3
    _target_row(sheet, layout, columns, targets)
    for number, day in enumerate(campaign.days, start=1):
        r = layout.first_day_row + number - 1
        sheet.put(r, KEY_COL, day_key(day), "key")
        sheet.put(r, STT_COL, number, "stt")
        sheet.put(r, LABEL_COL, datetime.combine(day, datetime.min.time()), "target.date")
        sheet.put(r, UOM_COL, WEEKDAYS[day.weekday()], "uom")
        for group, code, column in columns:
            c = layout.columns[(group.key, code, column.key)]
            _day_cell(sheet, r, c, group, code, column, layout)
            if column.cell == "input":
                sheet.inputs[(day_key(day), daily_column_key(column.key, code))] = (r, c)
    last_row = layout.first_day_row + len(campaign.days) - 1
    for (group_key, code, key), c in layout.columns.items():
        column = next(col for g, cd, col in columns if (g.key, cd, col.key) == (group_key, code, key))
        if column.completion:
            sheet.completion_ranges.append((layout.first_day_row, c, last_row, c))
    left = sheet.v_breaks[-1] if sheet.v_breaks else LABEL_COL
    report_date = cell_ref(*sheet.inputs[("report_date", "uom")], absolute=True) if ("report_date", "uom") in sheet.inputs else '""'
    end = _place_and_signature(sheet, last_row + 2, left, (max(left + 3, last_col - 2), last_col), place or ctx.texts.get("unit_name", ""), report_date)
    sheet.freeze = (layout.first_day_row, FIRST_DATA_COL)
    sheet.print_area = (1, STT_COL, end, last_col)
    sheet.repeat_rows = (top, top + 1)
    sheet.repeat_cols = (STT_COL, UOM_COL)
    sheet.print_scale = SCALE
    return sheet


def _target_row(sheet: SheetSpec, layout: _Layout, columns: list[tuple[Group, str, Column]], targets: Mapping[str, float | None]) -> None:
    """The plan's target of each indicator, locked, above the day rows (what every % is measured against)."""
    r = layout.target_row
    sheet.put(r, KEY_COL, TARGET_ROW, "key")
    sheet.put(r, STT_COL, None, "section")
    sheet.put(r, LABEL_COL, "Chỉ tiêu cả kỳ kế hoạch", "section", merge_to=(r, UOM_COL))
    for group, code, column in columns:
        c = layout.columns[(group.key, code, column.key)]
        if code and layout.target_cols[code] == c:
            sheet.put(r, c, targets.get(code), f"target.{_value_type(code)}")
            sheet.targets[(TARGET_ROW, daily_column_key(column.key, code))] = (r, c)
        else:
            sheet.put(r, c, None, "blank")


def daily_texts(ctx: Context, campaign: Campaign) -> dict[str, str]:
    """The unit's and plan's words plus the campaign's dates, for titles and instructions."""
    return {**ctx.texts, "campaign_label": campaign.label, "plan_end_label": f"{campaign.plan_end:%d/%m/%Y}"}


def _printable_text(sheet: SheetSpec) -> SheetSpec:
    """The instructions at the daily sheets' scale, one page wide, rows as tall as their wrapped paragraphs."""
    _, first, _, last = sheet.print_area or (0, STT_COL, 0, STT_COL)
    sheet.widths.update({c: TEXT_COLUMN_WIDTH for c in range(first, last + 1)})
    width = TEXT_COLUMN_WIDTH * (last - first + 1)
    for cell in sheet.cells:
        if cell.style == "paragraph" and cell.value:
            sheet.heights[cell.row] = LINE_PT * wrapped_lines(str(cell.value), width) + 4
    sheet.print_scale = SCALE
    return sheet


def daily_header_footer(who: str, document: str, campaign: Campaign) -> tuple[str, str]:
    """Page header (who reports, for which campaign) and footer (the document it answers, page of pages)."""
    font = '&"Times New Roman,Regular"&9'
    header = f"&L{font}{escape_header(who)}&R{font}Đợt báo cáo {campaign.label}"
    footer = f"&L{font}Báo cáo nhanh hằng ngày theo Công điện – {escape_header(document)}&R{font}Trang &P/&N"
    return header, footer


def write_daily_workbook(
    unit: Any, path: Path, data: PlanTargets, forms: FormSet, campaign: Campaign, options: GenerateOptions, generated_at: datetime,
) -> GeneratedFile:
    """Write one unit's daily workbook atomically (temporary name, then rename)."""
    plan = data.plan
    base, _ = build_context(data, unit, None, None)
    ctx = Context(base.plan_kind, base.months, daily_texts(base, campaign), base.indicators, base.targets, base.derived)
    codes = daily_indicators(plan)
    targets = {code: base.targets.get((code, TOTAL)) for code in codes}
    meta = {
        "tool": "workbook-tools", "tool_version": __version__, "form": DAILY_FORM, "form_version": forms.version,
        "plan_id": plan.id, "plan_kind": plan.kind, "plan_document": plan.document.citation(), "structure": plan.structure,
        "unit_code": unit.code, "unit_name": unit.name, "generated_at": generated_at.isoformat(timespec="seconds"),
        "campaign_start": campaign.start.isoformat(), "campaign_end": campaign.end.isoformat(),
        "plan_end": campaign.plan_end.isoformat(), "indicators": ",".join(codes),
    }
    sheets = []
    for form in forms.forms:
        sheets.append(_printable_text(build_text_sheet(form, ctx)) if form.kind == "text"
                      else build_daily_sheet(form, ctx, campaign, codes, targets, unit.name))
    sheets.append(build_meta_sheet(meta, {f.key: f.sheet for f in forms.forms}))
    header, footer = daily_header_footer(unit_title(unit), ctx.texts["document_short"], campaign)
    properties = {"title": f"Báo cáo nhanh hằng ngày – {ctx.texts['unit_title']}", "subject": plan.title,
                  "author": "BHXH Việt Nam – Ban Quản lý Thu – Sổ, Thẻ", "company": "Bảo hiểm xã hội Việt Nam",
                  "comments": "Tạo bởi workbook-tools"}
    custom = {f"wt_{k}": meta[k] for k in ("unit_code", "plan_id", "form", "form_version", "generated_at", "structure")}
    spec = WorkbookSpec(sheets, properties, custom, {}, header, footer)
    write_atomic(path, lambda temporary: render(spec, temporary, password=options.password,
                                                date_range=(campaign.start, campaign.end), created=generated_at))
    return GeneratedFile(unit, path, sha256_of(path))


def generate_daily(
    data: PlanTargets, out_dir: Path, units: Sequence[Any], campaign: Campaign, options: GenerateOptions | None = None,
    *, progress: Callable[[GeneratedFile], None] | None = None,
) -> list[GeneratedFile]:
    """Every unit's daily workbook and the manifest of expected returns; refuse to overwrite unless forced."""
    forms = daily_forms()
    options = options or GenerateOptions()
    paths = {u.code: out_dir / f"{u.file_stem}-bao-cao-ngay.xlsx" for u in units}
    generated_at = options.generated_at or datetime.now().replace(microsecond=0)
    return write_unit_files(data, forms, out_dir, units, paths, options, progress,
                            write_daily_workbook, (data, forms, campaign, options, generated_at), generated_at)
