"""Lay out the declared forms for one unit of one plan: every cell, its role, style and formula.

The result (`WorkbookSpec`) is plain data; `render.py` writes it with xlsxwriter and tests can
inspect it. Cells are found later by keys (key column A, key row 1), never by address.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .forms import PLACEHOLDER, Column, Form, FormSet, Group
from .paper import PRINT_SCALE, WIDE_COLUMNS, column_breaks, column_points, merged_width, printable_width, row_height
from .plans import TOTAL

KEY_COL, STT_COL, LABEL_COL, UOM_COL, FIRST_DATA_COL = 0, 1, 2, 3, 4
KEY_ROW = 0
KEY_MARK = "#keys"
ROUND_MIN_SCALE = 73  # 11 pt type prints at 8 pt
UOM_WIDTH = 11


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
    v_breaks: list[int] = field(default_factory=list)
    h_breaks: list[int] = field(default_factory=list)
    print_scale: int = PRINT_SCALE
    landscape: bool = True
    completion_ranges: list[tuple[int, int, int, int]] = field(default_factory=list)
    hidden: bool = False
    inputs: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)
    targets: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)
    keyed: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)

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
    source: SheetSpec | None = None
    round_index: str = ""

    def row_key(self, row: int) -> str:
        """The key of a table row."""
        return next(key for key, r in self.rows.items() if r == row)

    def source_ref(self, row: int, column: str, period: str) -> str:
        """The source form's cell of this row's key for a column and period, sheet-qualified."""
        assert self.source is not None
        r, c = self.source.keyed[(self.row_key(row), column_key(column, period))]
        return f"'{self.source.name}'!{cell_ref(r, c)}"


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
        if function == "source":
            ref = layout.source_ref(row, name.split(".")[1], TOTAL)
            return f'IF({ref}="","",{ref})'
        if function == "round":
            k = layout.round_index
            chosen = f"CHOOSE({k},{','.join(layout.source_ref(row, name.split('.')[1], m) for m in layout.months)})"
            return f'IF({k}="","",IF({chosen}="","",{chosen}))'
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


def _title_block(sheet: SheetSpec, form: Form, ctx: Context, last_col: int, label_block: bool = False) -> int:
    """Title, subtitle and note rows; returns the next free row.

    With `label_block` (tables whose label columns repeat on every printed page) the title and
    subtitle sit in the label columns, so every page shows them whole, and the note beside them
    over the first page's data columns.
    """
    sheet.put(KEY_ROW, KEY_COL, f"{KEY_MARK} {form.key}", "key")
    sheet.heights[KEY_ROW] = 11
    title_to = UOM_COL if label_block else last_col
    row = 1
    for text, style in ((form.title, "title"), (form.subtitle, "subtitle")):
        if text:
            sheet.put(row, STT_COL, fill_text(text, ctx.texts), style, merge_to=(row, title_to))
            row += 1
    note = fill_text(form.note, ctx.texts).strip()
    if note and label_block and last_col > UOM_COL:
        sheet.put(1, FIRST_DATA_COL, note, "note", merge_to=(max(row - 1, 1), last_col))
    elif note:
        sheet.put(row, STT_COL, note, "note", merge_to=(row, last_col))
        row += 1
    return row


def build_table_sheet(
    form: Form, ctx: Context, elsewhere: Mapping[tuple[str, str, str], tuple[str, int, int]] | None = None,
    sources: Mapping[str, SheetSpec] | None = None,
) -> SheetSpec:
    """A table form (Chỉ tiêu, Mẫu 01, Mẫu 02, the round report) laid out for one unit; `elsewhere` locates
    earlier sheets' inputs, `sources` the earlier sheets a round report follows."""
    sheet = SheetSpec(form.key, form.sheet)
    groups = [g for g in form.groups if g.applies(ctx.plan_kind, ctx.flags)]
    rows = table_rows(form, ctx)
    width = sum(len(g.columns) * len(_group_periods(g, ctx)) for g in groups)
    last_col = FIRST_DATA_COL + width - 1
    one_page = form.kind == "round"
    sheet.v_breaks = [] if one_page else _page_columns(form, groups, ctx)
    first_page_last = (sheet.v_breaks[0] - 1) if sheet.v_breaks else last_col
    row = _title_block(sheet, form, ctx, first_page_last, label_block=not one_page)
    layout = Layout(months=ctx.months, elsewhere=elsewhere or {})
    if one_page:
        layout.source = (sources or {})[form.source]
        row = _round_info(sheet, ctx, layout, row)
    for info in form.info:
        sheet.put(row, KEY_COL, info.key, "key")
        sheet.put(row, LABEL_COL, info.label, "info_label")
        sheet.put(row, UOM_COL, None, f"input.{info.type}", validation=info.type, merge_to=(row, UOM_COL + 2))
        sheet.inputs[(info.key, "uom")] = (row, UOM_COL)
        row += 1
    header_top = row + (1 if form.info or one_page else 0)
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
            sheet.put(r, STT_COL, table_row.label, "section", merge_to=(r, UOM_COL))
            for c in range(FIRST_DATA_COL, last_col + 1):
                sheet.put(r, c, None, "section")
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
                    sheet.keyed[(table_row.key, column_key(column.key, period))] = (r, c)
    last_row = first + len(rows) - 1
    for group in groups:
        for period in _group_periods(group, ctx):
            for column in group.columns:
                if column.completion:
                    c = layout.columns[(group.key, period, column.key)]
                    sheet.completion_ranges.append((first, c, last_row, c))
    last_page_first = sheet.v_breaks[-1] if sheet.v_breaks else FIRST_DATA_COL
    sheet.widths.update({KEY_COL: 12, STT_COL: 5, LABEL_COL: form.label_width, UOM_COL: UOM_WIDTH})
    if form.signature:
        _signature(sheet, last_row + 2, LABEL_COL if one_page else last_page_first, last_col, sheet.widths)
    sheet.freeze = (first, FIRST_DATA_COL)
    sheet.print_area = (1, STT_COL, last_row + 7, last_col)
    sheet.repeat_rows = (header_top, header_top + 1)
    sheet.repeat_cols = None if one_page else (STT_COL, UOM_COL)
    sheet.heights[header_top] = 20
    if one_page:
        _one_page(sheet, last_col)
    fit_heights(sheet)
    return sheet


ROUND_INDEX_CELL = (1, KEY_COL)
LARGE_TYPE_STYLES = {"uom": "uom_large", "signature_note": "signature_note_large", "note": "note_large"}


def _round_info(sheet: SheetSpec, ctx: Context, layout: Layout, row: int) -> int:
    """Report date and month of the round, read from the source form; the month's index for `{round:…}`."""
    assert layout.source is not None
    r, c = layout.source.inputs[("round_date", "uom")]
    day = f"'{layout.source.name}'!{cell_ref(r, c, absolute=True)}"
    year, month = map(int, ctx.months[0].split("-"))
    index = f"MAX(1,MIN({len(ctx.months)},(YEAR({day})-{year})*12+MONTH({day})-{month}+1))"
    sheet.put(*ROUND_INDEX_CELL, None, "key", formula=f'IF(ISNUMBER({day}),{index},"")')
    layout.round_index = cell_ref(*ROUND_INDEX_CELL, absolute=True)
    labels = ",".join(f'"{month_label(m)}"' for m in ctx.months)
    sheet.put(row, LABEL_COL, "Ngày báo cáo (theo Mẫu 01):", "info_label")
    sheet.put(row, UOM_COL, None, "formula.date", formula=f'IF({day}="","",{day})', merge_to=(row, UOM_COL + 1))
    sheet.put(row + 1, LABEL_COL, "Tháng của kỳ báo cáo:", "info_label")
    sheet.put(row + 1, UOM_COL, None, "formula.text", merge_to=(row + 1, UOM_COL + 1),
              formula=f'IF({layout.round_index}="","Chưa nhập ngày báo cáo ở Mẫu 01",CHOOSE({layout.round_index},{labels}))')
    return row + 2


def _one_page(sheet: SheetSpec, last_col: int) -> None:
    """A page that prints whole on one A4 sheet: every text 11 pt or more, scaled down no further than 8 pt."""
    for cell in sheet.cells:
        cell.style = LARGE_TYPE_STYLES.get(cell.style, cell.style)
    width = sum(column_points(sheet.widths.get(c, 8.43)) for c in range(STT_COL, last_col + 1))
    sheet.print_scale = max(ROUND_MIN_SCALE, min(PRINT_SCALE, int(printable_width(100) * 100 / (width * WIDE_COLUMNS))))


def _page_columns(form: Form, groups: list[Group], ctx: Context) -> list[int]:
    """First column of each further printed page: whole column groups, label columns repeated."""
    starts, blocks = [], []
    col = FIRST_DATA_COL
    for group in groups:
        for _period in _group_periods(group, ctx):
            starts.append(col)
            blocks.append(sum(column_points(c.width) for c in group.columns))
            col += len(group.columns)
    fixed = column_points(5) + column_points(form.label_width) + column_points(UOM_WIDTH)
    return [starts[i] for i in column_breaks(blocks, fixed)]


PLACE_DATE = "…………, ngày …… tháng …… năm ……"


def _signature(sheet: SheetSpec, row: int, first_col: int, last_col: int, widths: dict[int, float]) -> None:
    """Place and date, then who prepared the report and who signs it, on the last printed page."""
    right_first = last_col
    while right_first > first_col and sum(widths.get(c, 12) for c in range(right_first, last_col + 1)) < 30:
        right_first -= 1
    right = (right_first, last_col)
    left = (first_col, right_first - 1) if right_first - first_col >= 2 else (LABEL_COL, LABEL_COL)
    for r, (text, style) in enumerate(((PLACE_DATE, "place_date"), ("GIÁM ĐỐC", "signature"), ("(Ký tên, đóng dấu)", "signature_note"))):
        sheet.put(row + r, right[0], text, style, merge_to=(row + r, right[1]) if right[1] > right[0] else None)
    for r, (text, style) in enumerate((("NGƯỜI LẬP BIỂU", "signature"), ("(Ký, ghi rõ họ tên)", "signature_note")), start=1):
        sheet.put(row + r, left[0], text, style, merge_to=(row + r, left[1]) if left[1] > left[0] else None)


WRAPPED_STYLES = {
    "title": (13, True), "subtitle": (11, False), "note": (9, False), "paragraph": (11, False),
    "header": (11, True), "label": (11, False), "section": (11, True), "place_date": (11, False), "note_large": (11, False),
}


def fit_heights(sheet: SheetSpec, default_width: float = 8.43) -> None:
    """Raise each row to the height its wrapped texts need (merged cells over their whole width)."""
    for cell in sheet.cells:
        look = WRAPPED_STYLES.get(cell.style)
        if look is None or not isinstance(cell.value, str) or not cell.value:
            continue
        last_row, last_col = cell.merge_to or (cell.row, cell.col)
        width = merged_width([sheet.widths.get(c, default_width) for c in range(cell.col, last_col + 1)])
        needed = row_height(cell.value, width, *look) / (last_row - cell.row + 1)
        for r in range(cell.row, last_row + 1):
            sheet.heights[r] = max(sheet.heights.get(r, 15), needed)


def build_text_sheet(form: Form, ctx: Context) -> SheetSpec:
    """A sheet of instructions: title and wrapped paragraphs."""
    sheet = SheetSpec(form.key, form.sheet)
    last_col = 9
    row = _title_block(sheet, form, ctx, last_col)
    row += 1
    for paragraph in form.paragraphs:
        text = fill_text(paragraph, ctx.texts)
        sheet.put(row, STT_COL, text, "paragraph", merge_to=(row, last_col))
        row += 1
    sheet.widths.update({KEY_COL: 12, **{c: 13 for c in range(STT_COL, last_col + 1)}})
    sheet.print_area = (1, STT_COL, row, last_col)
    fit_heights(sheet)
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
    built: dict[str, SheetSpec] = {}
    for form in forms.forms:
        sheet = build_text_sheet(form, ctx) if form.kind == "text" else build_table_sheet(form, ctx, inputs, built)
        built[form.key] = sheet
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

