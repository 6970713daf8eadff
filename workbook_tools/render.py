"""Write a `WorkbookSpec` to .xlsx with xlsxwriter: styles, validation, protection, print setup.

Every formula is written with an empty cached result, so LibreOffice computes it on load (it
trusts cached values otherwise) and Excel recalculates on open (xlsxwriter sets fullCalcOnLoad).
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from .paper import a4_page
from .spec import SheetSpec, WorkbookSpec, cell_ref

FONT = "Times New Roman"
NUMBER_FORMATS = {"count": "#,##0", "money": "#,##0.0", "percent": "0.0%", "date": "dd/mm/yyyy", "time": "hh:mm", "text": "@"}
FILLS = {"target": "#EDEDED", "derived": "#EDEDED", "input": "#FFF2CC", "formula": "#E2EFDA", "blank": "#D9D9D9"}
BASE: dict[str, dict[str, Any]] = {
    "text": {},
    "key": {"font_size": 7, "font_color": "#A6A6A6"},
    "title": {"bold": True, "font_size": 13, "align": "center", "valign": "vcenter", "text_wrap": True},
    "subtitle": {"italic": True, "align": "center", "valign": "vcenter", "text_wrap": True},
    "note": {"italic": True, "font_size": 9, "font_color": "#595959", "text_wrap": True, "valign": "top"},
    "paragraph": {"text_wrap": True, "valign": "top"},
    "header": {"bold": True, "align": "center", "valign": "vcenter", "text_wrap": True, "border": 1, "bg_color": "#DDEBF7"},
    "section": {"bold": True, "border": 1, "bg_color": "#F2F2F2", "text_wrap": True, "valign": "vcenter"},
    "label": {"border": 1, "text_wrap": True, "valign": "vcenter"},
    "info_label": {"bold": True, "align": "right"},
    "stt": {"border": 1, "align": "center", "valign": "vcenter"},
    "uom": {"border": 1, "align": "center", "valign": "vcenter", "font_size": 10},
    "signature": {"bold": True, "align": "center"},
    "signature_note": {"italic": True, "align": "center", "font_size": 9},
    "place_date": {"italic": True, "align": "center", "text_wrap": True},
    "problem": {"text_wrap": True, "valign": "top", "font_size": 10, "border": 1},
    "uom_large": {"border": 1, "align": "center", "valign": "vcenter", "text_wrap": True},
    "signature_note_large": {"italic": True, "align": "center"},
    "note_large": {"italic": True, "text_wrap": True, "valign": "top"},
}
VALIDATIONS: dict[str, dict[str, Any]] = {
    "count": {
        "validate": "integer", "criteria": "between", "minimum": 0, "maximum": 1_000_000_000,
        "input_title": "Số nguyên không âm", "input_message": "Nhập số lũy kế đến ngày báo cáo, gõ liền không có dấu phân cách hàng nghìn: ví dụ 4650 (không gõ 4.650 hay 4,650).",
        "error_title": "Số liệu không hợp lệ",
        "error_message": "Chỉ nhập số nguyên không âm, gõ liền không có dấu phân cách hàng nghìn (ví dụ 4650). Không nhập chữ, dấu cách, số âm hay công thức.",
    },
    "money": {
        "validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 1_000_000_000,
        "input_title": "Số tiền (triệu đồng)", "input_message": "Số tiền tính bằng triệu đồng, gõ liền không có dấu phân cách hàng nghìn: ví dụ 4650 (không gõ 4.650: máy đặt kiểu số tiếng Anh hiểu là bốn phẩy sáu lăm). Phần lẻ gõ bằng dấu thập phân của máy.",
        "error_title": "Số tiền không hợp lệ",
        "error_message": "Chỉ nhập số không âm, tính bằng triệu đồng, gõ liền không có dấu phân cách hàng nghìn (ví dụ 4650). Không nhập chữ hay công thức.",
    },
    "percent": {
        "validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 10,
        "error_title": "Tỷ lệ không hợp lệ", "error_message": "Nhập tỷ lệ từ 0% đến 1000%.",
    },
    "date": {
        "validate": "date", "criteria": "between",
        "input_title": "Ngày báo cáo", "input_message": "Ngày lập báo cáo. Gõ dạng năm-tháng-ngày (ví dụ 2021-10-15): máy nào cũng hiểu đúng; sau khi gõ, kiểm tra ngày hiển thị đúng ngày, tháng.",
        "error_title": "Ngày không hợp lệ",
        "error_message": "Nhập ngày trong kỳ kế hoạch, dạng năm-tháng-ngày (ví dụ 2021-10-15).",
    },
}
VALIDATIONS["time"] = {
    "validate": "time", "criteria": "between", "minimum": time(0, 0), "maximum": time(23, 59, 59),
    "input_title": "Giờ gửi báo cáo", "input_message": "Giờ:phút, ví dụ 15:30 (hạn gửi trước 16:00).",
    "error_title": "Giờ không hợp lệ", "error_message": "Nhập giờ dạng giờ:phút từ 00:00 đến 23:59 (ví dụ 15:30).",
}
COMPLETION_RULES = (
    ("AND(ISNUMBER({ref}),{ref}<0.5)", {"bg_color": "#F8CBAD", "font_color": "#9C0006"}),
    ("AND(ISNUMBER({ref}),{ref}>=0.5,{ref}<1)", {"bg_color": "#FFE699", "font_color": "#7F6000"}),
    ("AND(ISNUMBER({ref}),{ref}>=1)", {"bg_color": "#C6EFCE", "font_color": "#006100"}),
)


class PlainFormulas(Worksheet):
    """A worksheet that writes our formulas as given.

    xlsxwriter runs some thirty regular expressions over every formula to prefix Excel 2010+
    functions (`_xlfn.`); the forms use none of them (IF, IFERROR, SUM, COUNT, RANK, SUMIF, …),
    and skipping that pass makes writing a workbook about a quarter faster.
    """

    def _prepare_formula(self, formula: str, expand_future_functions: bool = False) -> str:
        """Strip the leading '=' only."""
        return formula[1:] if formula.startswith("=") else formula


class Styles:
    """Formats created once per workbook, by semantic name ('input.count', 'header', …)."""

    def __init__(self, book: Workbook) -> None:
        self._book = book
        self._cache: dict[str, Any] = {}

    def look(self, name: str, properties: dict[str, Any]) -> Any:
        """A conditional-format look, created once per workbook."""
        if name not in self._cache:
            self._cache[name] = self._book.add_format(properties)
        return self._cache[name]

    def __getitem__(self, name: str) -> Any:
        if name not in self._cache:
            self._cache[name] = self._book.add_format({"font_name": FONT, "font_size": 11, **self._properties(name)})
        return self._cache[name]

    @staticmethod
    def _properties(name: str) -> dict[str, Any]:
        """Look of a style: the base ones, or role.format for data cells."""
        if name in BASE:
            return BASE[name]
        role, _, fmt = name.partition(".")
        number = NUMBER_FORMATS.get(fmt, "General")
        if role in ("target", "derived") and fmt == "money":
            number = NUMBER_FORMATS["count"]  # targets are whole; decimals are for what staff type and what follows
        props: dict[str, Any] = {"border": 1, "num_format": number, "valign": "vcenter"}
        props["bg_color"] = FILLS[role]
        props["locked"] = role != "input"
        if role == "derived":
            props["italic"] = True
        if fmt == "text":
            props["text_wrap"] = True
        if fmt == "date":
            props["align"] = "left"
        return props


def readable_header(text: str, scale: int) -> str:
    """Header and footer type scales with the page: raise its size so it still prints at 8 pt or more."""
    least = math.ceil(810 / scale)
    return re.sub(r'(&"[^"]*")&(\d+)', lambda m: f"{m.group(1)}&{max(int(m.group(2)), least)}", text)


def escape_header(text: str) -> str:
    """Ampersands are control characters in Excel headers and footers."""
    return text.replace("&", "&&")


def _write_cell(sheet: Worksheet, styles: Styles, cell: Any) -> None:
    """Write one spec cell: merged range, formula (empty cached result) or value."""
    fmt = styles[cell.style]
    if cell.merge_to:
        last_row, last_col = cell.merge_to
        sheet.merge_range(cell.row, cell.col, last_row, last_col, "" if cell.value is None else cell.value, fmt)
        if cell.formula:
            sheet.write_formula(cell.row, cell.col, "=" + cell.formula, fmt, "")
    elif cell.formula:
        sheet.write_formula(cell.row, cell.col, "=" + cell.formula, fmt, "")
    elif cell.value is None:
        sheet.write_blank(cell.row, cell.col, None, fmt)
    else:
        sheet.write(cell.row, cell.col, cell.value, fmt)


def _validate(sheet: Worksheet, cell: Any, date_range: tuple[date, date]) -> None:
    """Attach the Vietnamese-worded validation of an input cell."""
    if cell.validation not in VALIDATIONS:
        return
    options = dict(VALIDATIONS[cell.validation])
    if cell.validation == "date":
        options["minimum"], options["maximum"] = date_range
    sheet.data_validation(cell.row, cell.col, cell.row, cell.col, options)


def _page_setup(sheet: Worksheet, spec: SheetSpec, header: str, footer: str) -> None:
    """A4 at a readable scale (never shrunk to one page width): wide tables continue on further pages
    with their label columns and header rows repeated; header and footer name the unit and document."""
    a4_page(sheet, landscape=spec.landscape, scale=spec.print_scale)
    if spec.print_area:
        sheet.print_area(*spec.print_area)
    if spec.repeat_rows:
        sheet.repeat_rows(*spec.repeat_rows)
    if spec.repeat_cols:
        sheet.repeat_columns(*spec.repeat_cols)
    if spec.v_breaks:
        sheet.set_v_pagebreaks(spec.v_breaks)
    if spec.h_breaks:
        sheet.set_h_pagebreaks(spec.h_breaks)
    sheet.set_header(readable_header(header, spec.print_scale))
    sheet.set_footer(readable_header(footer, spec.print_scale))


def write_sheet(book: Workbook, styles: Styles, spec: SheetSpec, wb: WorkbookSpec, password: str, date_range: tuple[date, date]) -> None:
    """Write one sheet and protect it: only input cells stay editable."""
    sheet = book.add_worksheet(spec.name, worksheet_class=PlainFormulas)
    for col, width in spec.widths.items():
        sheet.set_column(col, col, width)
    for row, height in spec.heights.items():
        sheet.set_row(row, height)
    for cell in spec.cells:
        _write_cell(sheet, styles, cell)
        if cell.validation:
            _validate(sheet, cell, date_range)
    for first_row, col, last_row, _ in spec.completion_ranges:
        ref = cell_ref(first_row, col)
        for number, (rule, look) in enumerate(COMPLETION_RULES):
            sheet.conditional_format(first_row, col, last_row, col, {
                "type": "formula", "criteria": "=" + rule.format(ref=ref), "format": styles.look(f"completion{number}", look),
            })
    if spec.freeze:
        sheet.freeze_panes(*spec.freeze)
    _page_setup(sheet, spec, wb.header, wb.footer)
    sheet.protect(password, {"format_columns": True, "format_rows": True})
    if spec.hidden:
        sheet.hide()


def render(wb: WorkbookSpec, path: Path, *, password: str = "", date_range: tuple[date, date], created: datetime) -> None:
    """Write the workbook file; the creation date is pinned so output is reproducible."""
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False})
    book.set_properties({**wb.properties, "created": created})
    for name, value in wb.custom_properties.items():
        book.set_custom_property(name, value)
    styles = Styles(book)
    for spec in wb.sheets:
        write_sheet(book, styles, spec, wb, password, date_range)
    for name, ref in wb.defined_names.items():
        book.define_name(name, ref)
    book.close()
