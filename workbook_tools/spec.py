"""Lay out the declared forms for one unit of one plan: every cell, its role, style and formula.

The result (`WorkbookSpec`) is plain data; `render.py` writes it with xlsxwriter and tests can
inspect it. Cells are found later by keys (key column A, key row 1), never by address.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .forms import PLACEHOLDER, Column, Form, FormSet, Group
from .plans import TOTAL

KEY_COL, STT_COL, LABEL_COL, UOM_COL, FIRST_DATA_COL = 0, 1, 2, 3, 4
KEY_ROW = 0
KEY_MARK = "#keys"


def col_letter(col: int) -> str:
    """Excel column letters of a 0-based column index (0 → A, 26 → AA)."""
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def cell_ref(row: int, col: int, absolute: bool = False) -> str:
    """A1 reference of a 0-based cell."""
    mark = "$" if absolute else ""
    return f"{mark}{col_letter(col)}{mark}{row + 1}"


def column_key(column: str, period: str) -> str:
    """The key-row text of a data column: measure and period, e.g. 'actual:2021-09'."""
    return f"{column}:{period}"


@dataclass
class Cell:
    """One written cell: a value or a formula (without '='), a semantic style, maybe a validation."""

    row: int
    col: int
    value: Any = None
    formula: str = ""
    style: str = "text"
    validation: str = ""
    merge_to: tuple[int, int] | None = None


@dataclass
class SheetSpec:
    """Everything needed to write one sheet."""

    key: str
    name: str
    cells: list[Cell] = field(default_factory=list)
    widths: dict[int, float] = field(default_factory=dict)
    heights: dict[int, float] = field(default_factory=dict)
    freeze: tuple[int, int] | None = None
    print_area: tuple[int, int, int, int] | None = None
    repeat_rows: tuple[int, int] | None = None
    repeat_cols: tuple[int, int] | None = None
    print_scale: int | None = None  # None: one page wide
    col_breaks: list[int] = field(default_factory=list)
    completion_ranges: list[tuple[int, int, int, int]] = field(default_factory=list)
    hidden: bool = False
    inputs: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)
    targets: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)

    def put(self, row: int, col: int, value: Any = None, style: str = "text", **extra: Any) -> Cell:
        """Add a cell and return it."""
        cell = Cell(row, col, value, style=style, **extra)
        self.cells.append(cell)
        return cell


@dataclass
class WorkbookSpec:
    """A whole province workbook: sheets, document properties and identity."""

    sheets: list[SheetSpec]
    properties: dict[str, Any]
    custom_properties: dict[str, str]
    defined_names: dict[str, str]
    header: str = ""
    footer: str = ""


@dataclass(frozen=True)
class Context:
    """What a form needs to know about the unit and the plan to lay itself out."""

    plan_kind: str
    months: tuple[str, ...]
    texts: Mapping[str, str]
    indicators: tuple[tuple[str, str, str, str], ...]
    targets: Mapping[tuple[str, str], int]
    derived: frozenset[tuple[str, str]]
    context: Mapping[tuple[str, str], float] = field(default_factory=dict)
    flags: frozenset[str] = frozenset()


@dataclass(frozen=True)
class TableRow:
    """A row of a table form as laid out: key, label, what it measures and how."""

    key: str
    label: str
    uom: str
    kind: str
    type: str
    indicator: str = ""
    formula: str = ""
    section: bool = False
    same_as: str = ""


def month_label(period: str) -> str:
    """'2021-09' → 'Tháng 9/2021'."""
    year, month = period.split("-")
    return f"Tháng {int(month)}/{year}"


def fill_text(template: str, texts: Mapping[str, str]) -> str:
    """Put the plan's and unit's words into a template sentence."""
    return template.format_map(dict(texts)) if template else ""


def table_rows(form: Form, ctx: Context) -> list[TableRow]:
    """Rows of a table form: one per plan indicator, or the form's listed rows."""
    if form.rows == "plan":
        return [TableRow(code, label, uom, ctx.plan_kind, vtype, code) for code, label, uom, vtype in ctx.indicators]
    plan_indicators = {code for code, *_ in ctx.indicators}
    rows = []
    for row in form.listed_rows:
        if row.section:
            rows.append(TableRow("", row.section, "", "", "text", section=True))
            continue
        indicator = row.target if row.target in plan_indicators else ""
        rows.append(TableRow(row.key, row.label, row.uom, row.kind or ctx.plan_kind, row.type, indicator, row.formula,
                             same_as=row.same_as if indicator else ""))
    return rows


@dataclass
class Layout:
    """Where each (group, period, column) landed, for formula placeholders; other sheets' inputs too."""

    columns: dict[tuple[str, str, str], int] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    months: tuple[str, ...] = ()
    elsewhere: Mapping[tuple[str, str, str], tuple[str, int, int]] = field(default_factory=dict)


def _group_periods(group: Group, ctx: Context) -> tuple[str, ...]:
    """The periods a group stands for: each month, or the whole plan."""
    return ctx.months if group.repeat == "months" else (TOTAL,)


def _to_date(cells: list[str], kind: str) -> str:
    """Flows add their months; stocks take the latest month filled in."""
    if kind == "stock":
        expression = '""'
        for ref in cells:
            expression = f'IF({ref}<>"",{ref},{expression})'
        return expression
    joined = ",".join(cells)
    return f'IF(COUNT({joined})=0,"",SUM({joined}))'


def resolve_formula(template: str, row: int, col: int, group: str, period: str, kind: str, layout: Layout) -> str:
    """Replace placeholders of a template formula by cell references of this row."""
    def replace(match: Any) -> str:
        function, name = (match.group(1) or "").rstrip(":"), match.group(2)
        if function == "row":
            return cell_ref(layout.rows[name], col)
        if function == "to_date":
            grp, column = name.split(".")
            refs = [cell_ref(row, layout.columns[(grp, m, column)]) for m in layout.months]
            return _to_date(refs, kind)
        if "." in name:
            grp, column = name.split(".")
            return cell_ref(row, layout.columns[(grp, TOTAL, column)])
        return cell_ref(row, layout.columns[(group, period, name)])

    return PLACEHOLDER.sub(replace, template)


def _data_cell(sheet: SheetSpec, row: TableRow, r: int, c: int, group: Group, column: Column, period: str, ctx: Context, layout: Layout) -> None:
    """Write one data cell according to its column and its row."""
    needs_target = "target" in column.requires and not row.indicator
    number_format = row.type if row.type in ("count", "money", "percent") else "count"
    if needs_target or (row.type == "text" and column.cell != "input"):
        sheet.put(r, c, None, "blank")
        return
    if row.formula and column.cell != "target":
        formula = resolve_formula(row.formula, r, c, group.key, period, row.kind, layout)
        sheet.put(r, c, None, f"formula.{row.type}", formula=formula)
        return
    if column.cell == "target":
        value = ctx.targets.get((row.indicator, period)) if row.indicator else None
        derived = (row.indicator, period) in ctx.derived
        sheet.put(r, c, value, f"{'derived' if derived else 'target'}.{number_format}")
        sheet.targets[(row.key, column_key(column.key, period))] = (r, c)
    elif column.cell == "input" and row.same_as:
        form, measure = row.same_as.split(".")
        name, rr, cc = layout.elsewhere[(form, row.indicator, column_key(measure, period))]
        ref = f"'{name}'!{cell_ref(rr, cc)}"
        sheet.put(r, c, None, f"formula.{number_format}", formula=f'IF({ref}="","",{ref})')
    elif column.cell == "input":
        prefill = ctx.context.get((row.indicator, column.key)) if row.indicator else None
        sheet.put(r, c, prefill, f"input.{row.type}", validation=row.type)
        sheet.inputs[(row.key, column_key(column.key, period))] = (r, c)
    elif column.cell == "context":
        value = ctx.context.get((row.indicator, column.key)) if row.indicator else None
        sheet.put(r, c, value, f"target.{number_format}")
    else:
        formula = resolve_formula(column.formula_for(row.kind or ctx.plan_kind), r, c, group.key, period, row.kind, layout)
        sheet.put(r, c, None, f"formula.{column.format or number_format}", formula=formula)


def _headers(sheet: SheetSpec, form: Form, groups: list[Group], ctx: Context, top: int, layout: Layout) -> int:
    """Two header rows (group, then column) and the key row; returns the last data column."""
    for col, text, key in ((STT_COL, "STT", "stt"), (LABEL_COL, form.label_header, "label"), (UOM_COL, "Đơn vị tính", "uom")):
        sheet.put(top, col, text, "header", merge_to=(top + 1, col))
        sheet.put(KEY_ROW, col, key, "key")
    col = FIRST_DATA_COL
    for group in groups:
        for period in _group_periods(group, ctx):
            start = col
            for column in group.columns:
                layout.columns[(group.key, period, column.key)] = col
                sheet.put(KEY_ROW, col, column_key(column.key, period), "key")
                sheet.put(top + 1, col, column.header_for(ctx.plan_kind), "header")
                sheet.widths[col] = column.width
                col += 1
            title = fill_text(group.header, {**ctx.texts, "month_label": month_label(period) if period != TOTAL else ""})
            sheet.put(top, start, title, "header", merge_to=(top, col - 1) if col - 1 > start else None)
    return col - 1


def _title_block(sheet: SheetSpec, form: Form, ctx: Context, last_col: int) -> int:
    """Title, subtitle and note rows; returns the next free row."""
    sheet.put(KEY_ROW, KEY_COL, f"{KEY_MARK} {form.key}", "key")
    sheet.heights[KEY_ROW] = 11
    lines = [(form.title, "title", 22), (form.subtitle, "subtitle", 18), (form.note, "note", 30)]
    row = 1
    for text, style, height in lines:
        if text:
            sheet.put(row, STT_COL, fill_text(text, ctx.texts), style, merge_to=(row, last_col))
            sheet.heights[row] = height
            row += 1
    return row


def build_table_sheet(form: Form, ctx: Context, elsewhere: Mapping[tuple[str, str, str], tuple[str, int, int]] | None = None) -> SheetSpec:
    """A table form (Chỉ tiêu, Mẫu 01, Mẫu 02) laid out for one unit; `elsewhere` locates earlier sheets' inputs."""
    sheet = SheetSpec(form.key, form.sheet)
    groups = [g for g in form.groups if g.applies(ctx.plan_kind, ctx.flags)]
    rows = table_rows(form, ctx)
    width = sum(len(g.columns) * len(_group_periods(g, ctx)) for g in groups)
    last_col = FIRST_DATA_COL + width - 1
    row = _title_block(sheet, form, ctx, last_col)
    for info in form.info:
        sheet.put(row, KEY_COL, info.key, "key")
        sheet.put(row, LABEL_COL, info.label, "info_label")
        sheet.put(row, UOM_COL, None, f"input.{info.type}", validation=info.type, merge_to=(row, UOM_COL + 2))
        sheet.inputs[(info.key, "uom")] = (row, UOM_COL)
        row += 1
    header_top = row + (1 if form.info else 0)
    layout = Layout(months=ctx.months, elsewhere=elsewhere or {})
    _headers(sheet, form, groups, ctx, header_top, layout)
    first = header_top + 2
    sheet.heights.update({header_top: 20, header_top + 1: 48})
    for offset, table_row in enumerate(rows):
        if table_row.key:
            layout.rows[table_row.key] = first + offset
    number = 0
    for offset, table_row in enumerate(rows):
        r = first + offset
        if table_row.section:
            sheet.put(r, STT_COL, table_row.label, "section", merge_to=(r, last_col))
            continue
        number += 1
        sheet.put(r, KEY_COL, table_row.key, "key")
        sheet.put(r, STT_COL, number, "stt")
        sheet.put(r, LABEL_COL, table_row.label, "label")
        sheet.put(r, UOM_COL, table_row.uom, "uom")
        for group in groups:
            for period in _group_periods(group, ctx):
                for column in group.columns:
                    c = layout.columns[(group.key, period, column.key)]
                    _data_cell(sheet, table_row, r, c, group, column, period, ctx, layout)
    last_row = first + len(rows) - 1
    for group in groups:
        for period in _group_periods(group, ctx):
            for column in group.columns:
                if column.completion:
                    c = layout.columns[(group.key, period, column.key)]
                    sheet.completion_ranges.append((first, c, last_row, c))
    _signature(sheet, last_row + 2, last_col)
    sheet.widths.update({KEY_COL: 12, STT_COL: 5, LABEL_COL: form.label_width, UOM_COL: 12})
    sheet.freeze = (first, FIRST_DATA_COL)
    sheet.print_area = (1, STT_COL, last_row + 6, last_col)
    sheet.repeat_rows = (header_top, header_top + 1)
    return sheet


def _signature(sheet: SheetSpec, row: int, last_col: int) -> None:
    """Signature block of an official report: who prepared it, who signs it."""
    sheet.put(row, LABEL_COL, "NGƯỜI LẬP BIỂU", "signature")
    sign_col = max(FIRST_DATA_COL, last_col - 2)
    sheet.put(row, sign_col, "GIÁM ĐỐC", "signature", merge_to=(row, last_col) if last_col > sign_col else None)
    sheet.put(row + 1, LABEL_COL, "(Ký, ghi rõ họ tên)", "signature_note")
    sheet.put(row + 1, sign_col, "(Ký tên, đóng dấu)", "signature_note", merge_to=(row + 1, last_col) if last_col > sign_col else None)


def build_text_sheet(form: Form, ctx: Context) -> SheetSpec:
    """A sheet of instructions: title and wrapped paragraphs."""
    sheet = SheetSpec(form.key, form.sheet)
    last_col = 9
    row = _title_block(sheet, form, ctx, last_col)
    row += 1
    for paragraph in form.paragraphs:
        text = fill_text(paragraph, ctx.texts)
        sheet.put(row, STT_COL, text, "paragraph", merge_to=(row, last_col))
        sheet.heights[row] = 16 * (1 + len(text) // 120)
        row += 1
    sheet.widths.update({KEY_COL: 12, **{c: 14 for c in range(STT_COL, last_col + 1)}})
    sheet.print_area = (1, STT_COL, row, last_col)
    return sheet


def build_meta_sheet(meta: Mapping[str, str], sheet_names: Mapping[str, str]) -> SheetSpec:
    """The hidden, protected identity sheet: key/value pairs the reader trusts over file names."""
    sheet = SheetSpec("_meta", "_meta", hidden=True)
    sheet.put(0, 0, f"{KEY_MARK} _meta", "key")
    rows = list(meta.items()) + [(f"sheet:{k}", v) for k, v in sheet_names.items()]
    for offset, (key, value) in enumerate(rows, start=1):
        sheet.put(offset, 0, key, "text")
        sheet.put(offset, 1, value, "text")
    sheet.widths.update({0: 22, 1: 60})
    return sheet


def build_workbook(forms: FormSet, ctx: Context, meta: Mapping[str, str], header: str, footer: str) -> WorkbookSpec:
    """Every sheet of a province workbook, then `_meta`, with properties for the file."""
    sheets: list[SheetSpec] = []
    inputs: dict[tuple[str, str, str], tuple[str, int, int]] = {}
    for form in forms.forms:
        sheet = build_text_sheet(form, ctx) if form.kind == "text" else build_table_sheet(form, ctx, inputs)
        inputs.update({(form.key, row_key, col_key): (sheet.name, r, c) for (row_key, col_key), (r, c) in sheet.inputs.items()})
        sheets.append(sheet)
    sheets.append(build_meta_sheet(meta, {f.key: f.sheet for f in forms.forms}))
    defined = {}
    for sheet in sheets:
        if ("round_date", "uom") in sheet.inputs:
            r, c = sheet.inputs[("round_date", "uom")]
            defined["wt_round_date"] = f"='{sheet.name}'!{cell_ref(r, c, absolute=True)}"
    properties = {
        "title": f"{ctx.texts['document_short']} – {ctx.texts['unit_title']}",
        "subject": ctx.texts["plan_title"],
        "author": "BHXH Việt Nam – Ban Quản lý Thu – Sổ, Thẻ",
        "company": "Bảo hiểm xã hội Việt Nam",
        "comments": "Tạo bởi workbook-tools",
    }
    custom = {f"wt_{k}": v for k, v in meta.items() if k in ("unit_code", "plan_id", "form_version", "generated_at", "structure")}
    return WorkbookSpec(sheets, properties, custom, defined, header, footer)

