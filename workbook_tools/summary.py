"""Write the national summary workbook (live formulas, ranking, charts) and its JSON/CSV twins.

The workbook also keeps, in a hidden `_data` sheet, the figures it was built from, so the next
consolidation can tell a newer round from an older one and never loses a unit's figures.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import xlsxwriter

from . import __version__
from .check import ACCEPTED, MISSING, REJECTED
from .consolidate import LATE, ON_TIME, Consolidation, Figure, Source, UnitResult, central_name
from .errors import WorkbookToolsError
from .held import DATA_COLUMNS, DATA_SHEET, FIGURES_ROW, NATIONAL_KIND, figures_cells, is_ours
from .indicators import indicator
from .plans import TOTAL
from .render import BASE, COMPLETION_RULES, PlainFormulas, Styles
from .spec import cell_ref, col_letter, month_label

STATUS_VI = {ACCEPTED: "Đã nhận", REJECTED: "Bị từ chối", MISSING: "Chưa nộp"}
TIMELINESS_VI = {ON_TIME: "Đúng hạn", LATE: "Trễ hạn", "unknown": "Không rõ ngày", "": ""}
TOTALS, MONTHS, TASKS, REPORTING, PROBLEMS, CHARTS = (
    "Tổng hợp", "Theo tháng", "Nhiệm vụ", "Tình hình nộp báo cáo", "Lỗi dữ liệu", "Biểu đồ",
)
SHEETS = (TOTALS, MONTHS, TASKS, REPORTING, PROBLEMS, CHARTS)


class SummaryBook:
    """An xlsxwriter workbook with the tool's styles and a few shortcuts."""

    def __init__(self, path: Path) -> None:
        self.book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False})
        self.styles = Styles(self.book)

    def sheet(self, name: str, title: str, subtitle: str, width: int) -> Any:
        """A sheet with a title block, A4 landscape, one page wide."""
        ws = self.book.add_worksheet(name, worksheet_class=PlainFormulas)
        ws.merge_range(0, 0, 0, width, title, self.styles["title"])
        ws.merge_range(1, 0, 1, width, subtitle, self.styles["subtitle"])
        ws.set_row(0, 22)
        ws.set_landscape()
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        return ws

    def completion_colours(self, ws: Any, first: int, col: int, last: int) -> None:
        """Red under 50 %, amber under 100 %, green from 100 %, as in the province workbooks."""
        ref = cell_ref(first, col)
        for number, (rule, look) in enumerate(COMPLETION_RULES):
            ws.conditional_format(first, col, last, col, {
                "type": "formula", "criteria": "=" + rule.format(ref=ref), "format": self.styles.look(f"completion{number}", look),
            })


def _number(value: float | None) -> float | str:
    """A figure for a cell: blank text when nothing was reported."""
    return "" if value is None else value


def _pct(actual: str, target: str) -> str:
    """Completion formula, guarded against blanks and zero targets."""
    return f'=IF(OR({actual}="",{target}=""),"",IFERROR({actual}/{target},""))'


def _write_figure(doc: SummaryBook, ws: Any, r: int, c: int, figure: Figure | None) -> None:
    """Target and achievement as values, completion as a live formula, in three adjacent cells."""
    s = doc.styles
    ws.write(r, c, _number(figure.target if figure else None), s["target.count"])
    ws.write(r, c + 1, _number(figure.actual if figure else None), s["formula.count"])
    ws.write_formula(r, c + 2, _pct(cell_ref(r, c + 1), cell_ref(r, c)), s["formula.percent"], "")


def _write_sum(doc: SummaryBook, ws: Any, r: int, c: int, total: Callable[[str], str]) -> None:
    """A sums row: Σ target and Σ achieved (formula per column letter), then their completion."""
    for k in (0, 1):
        ws.write_formula(r, c + k, total(col_letter(c + k)), doc.styles["formula.count"], "")
    ws.write_formula(r, c + 2, _pct(cell_ref(r, c + 1), cell_ref(r, c)), doc.styles["formula.percent"], "")


def _headers(doc: SummaryBook, ws: Any, top: int, fixed: Sequence[str], groups: Sequence[tuple[str, Sequence[str]]]) -> None:
    """Two header rows: fixed columns merged down, then a merged title over each group's columns."""
    for col, text in enumerate(fixed):
        ws.merge_range(top, col, top + 1, col, text, doc.styles["header"])
    col = len(fixed)
    for title, columns in groups:
        ws.merge_range(top, col, top, col + len(columns) - 1, title, doc.styles["header"])
        for k, text in enumerate(columns):
            ws.write(top + 1, col + k, text, doc.styles["header"])
        col += len(columns)


def _unit_columns(doc: SummaryBook, ws: Any, r: int, number: int, unit: UnitResult) -> None:
    """STT, code, name and status: the first four columns of every per-unit table."""
    s = doc.styles
    ws.write(r, 0, number, s["stt"])
    ws.write_string(r, 1, unit.code, s["stt"])
    ws.write(r, 2, unit.name, s["label"])
    ws.write(r, 3, STATUS_VI[unit.status], s["uom"])


def _subtitle(result: Consolidation) -> str:
    """Plan document and reporting round, for every sheet's second line."""
    text = f"{result.plan.document.citation()} – {result.plan.title}"
    if result.round_deadline:
        text += f" – kỳ báo cáo {result.round_start:%d/%m/%Y} – {result.round_deadline:%d/%m/%Y}"
    return text


def write_totals(doc: SummaryBook, result: Consolidation) -> None:
    """`Tổng hợp`: one row per unit, target / achieved / % / rank per indicator, national sums."""
    indicators = result.plan.indicators
    last_col = 3 + 4 * len(indicators)
    ws = doc.sheet(TOTALS, "TỔNG HỢP KẾT QUẢ THỰC HIỆN CHỈ TIÊU", _subtitle(result), last_col)
    s = doc.styles
    top, first = 3, 5
    measures = ("Chỉ tiêu", "Thực hiện", "% hoàn thành", "Xếp hạng")
    _headers(doc, ws, top, ("STT", "Mã", "Đơn vị", "Tình trạng"),
             [(f"{indicator(code).short_label} ({indicator(code).unit})", measures) for code in indicators])
    for n in range(len(indicators)):
        for k, width in enumerate((13, 13, 9, 7)):
            ws.set_column(4 + 4 * n + k, 4 + 4 * n + k, width)
    last = first + len(result.units) - 1
    for i, unit in enumerate(result.units):
        r = first + i
        _unit_columns(doc, ws, r, i + 1, unit)
        for n, code in enumerate(indicators):
            c = 4 + 4 * n
            _write_figure(doc, ws, r, c, unit.figure(code, TOTAL))
            pct_range = f"{col_letter(c + 2)}${first + 1}:{col_letter(c + 2)}${last + 1}"
            ws.write_formula(r, c + 3, f'=IF(ISNUMBER({cell_ref(r, c + 2)}),RANK({cell_ref(r, c + 2)},{pct_range}),"")', s["stt"], "")
    total_row = last + 1
    ws.merge_range(total_row, 0, total_row, 3, "Cộng các tỉnh (Σ thực hiện ÷ Σ chỉ tiêu)", s["section"])
    for n, _code in enumerate(indicators):
        c = 4 + 4 * n
        _write_sum(doc, ws, total_row, c, lambda col: f'=IF(COUNT({col}{first + 1}:{col}{last + 1})=0,"",SUM({col}{first + 1}:{col}{last + 1}))')
        ws.write_blank(total_row, c + 3, None, s["blank.count"])
    row = total_row + 1
    for label, figures in ((central_name(), result.central), ("Toàn quốc (theo kế hoạch)", result.published)):
        if not figures:
            continue
        ws.merge_range(row, 0, row, 3, label, s["label"])
        for n, code in enumerate(indicators):
            c = 4 + 4 * n
            figure = next((f for f in figures if f.indicator == code and f.period == TOTAL), None)
            ws.write(row, c, _number(figure.target if figure else None), s["target.count"])
            for k in (1, 2, 3):
                ws.write_blank(row, c + k, None, s["blank.count"])
        row += 1
    for n, _code in enumerate(indicators):
        doc.completion_colours(ws, first, 4 + 4 * n + 2, total_row)
    ws.set_column(0, 1, 5)
    ws.set_column(2, 2, 20)
    ws.set_column(3, 3, 11)
    ws.freeze_panes(first, 4)
    ws.repeat_rows(top, top + 1)
    ws.autofilter(top + 1, 0, last, last_col)


def write_months(doc: SummaryBook, result: Consolidation) -> None:
    """`Theo tháng`: one row per unit and indicator; each month's target, achievement and %."""
    periods = (*result.plan.months, TOTAL)
    last_col = 4 + 3 * len(periods)
    ws = doc.sheet(MONTHS, "KẾT QUẢ THEO THÁNG", _subtitle(result) + (" – chỉ tiêu số người: mức mới nhất" if result.plan.is_stock else " – cả kỳ: cộng dồn các tháng"), last_col)
    s = doc.styles
    top, first = 3, 5
    _headers(doc, ws, top, ("Mã", "Đơn vị", "Chỉ tiêu", "Mã chỉ tiêu"),
             [("Cả kỳ kế hoạch" if p == TOTAL else month_label(p), ("Chỉ tiêu", "Thực hiện", "%")) for p in periods])
    rows = [(u, code) for u in result.units for code in result.plan.indicators]
    last = first + len(rows) - 1
    for i, (unit, code) in enumerate(rows):
        r = first + i
        ws.write_string(r, 0, unit.code, s["stt"])
        ws.write(r, 1, unit.name, s["label"])
        ws.write(r, 2, indicator(code).short_label, s["label"])
        ws.write(r, 3, code, s["uom"])
        for n, period in enumerate(periods):
            _write_figure(doc, ws, r, 4 + 3 * n, unit.figure(code, period))
    keys = f"$D${first + 1}:$D${last + 1}"
    for j, code in enumerate(result.plan.indicators):
        r = last + 1 + j
        ws.merge_range(r, 0, r, 1, "Cộng các tỉnh", s["section"])
        ws.write(r, 2, indicator(code).short_label, s["section"])
        ws.write(r, 3, code, s["uom"])
        for n, _period in enumerate(periods):
            key = cell_ref(r, 3)
            _write_sum(doc, ws, r, 4 + 3 * n, lambda col, key=key: f"=SUMIF({keys},{key},{col}${first + 1}:{col}${last + 1})")
    for n in range(len(periods)):
        doc.completion_colours(ws, first, 4 + 3 * n + 2, last + len(result.plan.indicators))
        ws.set_column(4 + 3 * n, 4 + 3 * n + 1, 12)
        ws.set_column(4 + 3 * n + 2, 4 + 3 * n + 2, 8)
    ws.set_column(0, 0, 5)
    ws.set_column(1, 2, 18)
    ws.set_column(3, 3, 11)
    ws.freeze_panes(first, 4)
    ws.autofilter(top + 1, 0, last, last_col)


def write_tasks(doc: SummaryBook, result: Consolidation) -> None:
    """`Nhiệm vụ`: each unit's Mẫu 02 figures to date (debt, inspections, tax review, conferences, budget)."""
    tasks = result.tasks
    last_col = 3 + len(tasks)
    ws = doc.sheet(TASKS, "KẾT QUẢ THỰC HIỆN NHIỆM VỤ (MẪU 02)", _subtitle(result) + " – nợ, kinh phí được giao: số mới nhất; các số khác: cộng dồn", last_col)
    s = doc.styles
    top, first = 3, 5
    _headers(doc, ws, top, ("STT", "Mã", "Đơn vị", "Tình trạng"), [("Kết quả đến kỳ báo cáo", [f"{t.label} ({t.uom})" for t in tasks])])
    for i, unit in enumerate(result.units):
        _unit_columns(doc, ws, first + i, i + 1, unit)
        for k, task in enumerate(tasks):
            ws.write(first + i, 4 + k, _number(unit.tasks.get(task.key)), s["formula.count"])
    last = first + len(result.units) - 1
    ws.merge_range(last + 1, 0, last + 1, 3, "Cộng các tỉnh", s["section"])
    for k in range(len(tasks)):
        column = col_letter(4 + k)
        ws.write_formula(last + 1, 4 + k, f'=IF(COUNT({column}{first + 1}:{column}{last + 1})=0,"",SUM({column}{first + 1}:{column}{last + 1}))', s["formula.count"], "")
        ws.set_column(4 + k, 4 + k, 14)
    ws.set_row(top + 1, 60)
    ws.set_column(0, 1, 5)
    ws.set_column(2, 2, 20)
    ws.set_column(3, 3, 11)
    ws.freeze_panes(first, 4)


def write_reporting(doc: SummaryBook, result: Consolidation) -> None:
    """`Tình hình nộp báo cáo`: expected, returned, on time, late, missing, rejected, per unit."""
    ws = doc.sheet(REPORTING, "TÌNH HÌNH NỘP BÁO CÁO", _subtitle(result), 9)
    s = doc.styles
    first = 14
    last = first + len(result.units) - 1
    status = f"$D${first + 1}:$D${last + 1}"
    timely = f"$F${first + 1}:$F${last + 1}"
    lines = [
        ("Số đơn vị phải báo cáo", f"=COUNTA($B${first + 1}:$B${last + 1})", "count"),
        ("Đã nộp", f'=COUNTIF({status},"{STATUS_VI[ACCEPTED]}")+COUNTIF({status},"{STATUS_VI[REJECTED]}")', "count"),
        ("Được chấp nhận", f'=COUNTIF({status},"{STATUS_VI[ACCEPTED]}")', "count"),
        ("Bị từ chối", f'=COUNTIF({status},"{STATUS_VI[REJECTED]}")', "count"),
        ("Chưa nộp", f'=COUNTIF({status},"{STATUS_VI[MISSING]}")', "count"),
        ("Đúng hạn", f'=COUNTIF({timely},"{TIMELINESS_VI[ON_TIME]}")', "count"),
        ("Trễ hạn", f'=COUNTIF({timely},"{TIMELINESS_VI[LATE]}")', "count"),
        ("Tỷ lệ nộp báo cáo", '=IFERROR(C5/C4,"")', "percent"),
        ("Tỷ lệ đúng hạn", '=IFERROR(C9/C4,"")', "percent"),
    ]
    for i, (label, formula, fmt) in enumerate(lines):
        ws.merge_range(3 + i, 0, 3 + i, 1, label, s["label"])
        ws.write_formula(3 + i, 2, formula, s[f"formula.{fmt}"], "")
    headers = ("STT", "Mã", "Đơn vị", "Tình trạng", "Ngày báo cáo", "Thời hạn", "Tệp", "SHA-256", "Số lỗi", "Số cảnh báo")
    for col, text in enumerate(headers):
        ws.write(first - 1, col, text, s["header"])
    date_style = doc.book.add_format({**BASE["stt"], "num_format": "dd/mm/yyyy", "font_name": "Times New Roman"})
    for i, unit in enumerate(result.units):
        r = first + i
        _unit_columns(doc, ws, r, i + 1, unit)
        if unit.round_date:
            ws.write_datetime(r, 4, datetime.combine(unit.round_date, datetime.min.time()), date_style)
        else:
            ws.write_blank(r, 4, None, s["stt"])
        ws.write(r, 5, TIMELINESS_VI[unit.timeliness], s["uom"])
        ws.write(r, 6, unit.file, s["label"])
        ws.write(r, 7, unit.sha256, s["key"])
        ws.write(r, 8, unit.errors, s["stt"])
        ws.write(r, 9, unit.warnings, s["stt"])
    for col, width in enumerate((5, 5, 20, 12, 12, 12, 28, 20, 7, 9)):
        ws.set_column(col, col, width)
    ws.autofilter(first - 1, 0, last, 9)


def write_problems(doc: SummaryBook, result: Consolidation) -> None:
    """`Lỗi dữ liệu`: every problem as an Excel table the centre can filter."""
    ws = doc.sheet(PROBLEMS, "LỖI VÀ CẢNH BÁO DỮ LIỆU", _subtitle(result), 8)
    rows = [[p.file, p.unit, p.sheet, p.cell, p.indicator, p.period, "Lỗi" if p.is_error else "Cảnh báo", p.code, p.message] for p in result.problems]
    headers = ("Tệp", "Đơn vị", "Sheet", "Ô", "Chỉ tiêu", "Kỳ", "Mức độ", "Mã lỗi", "Nội dung")
    options: dict[str, Any] = {"name": "LoiDuLieu", "style": "Table Style Light 9", "columns": [{"header": h} for h in headers]}
    if rows:
        options["data"] = rows
    ws.add_table(3, 0, 3 + max(len(rows), 1), 8, options)
    for col, width in enumerate((24, 7, 12, 7, 14, 9, 9, 16, 80)):
        ws.set_column(col, col, width)


def write_charts(doc: SummaryBook, result: Consolidation) -> None:
    """`Biểu đồ`: completion by unit, sorted, one bar chart per indicator (figures as of writing)."""
    ws = doc.sheet(CHARTS, "BIỂU ĐỒ TỶ LỆ HOÀN THÀNH THEO ĐƠN VỊ", _subtitle(result) + " – sắp xếp từ cao xuống thấp", 12)
    s = doc.styles
    units = result.units
    for n, code in enumerate(result.plan.indicators):
        col = 14 + 2 * n
        ranked = sorted(units, key=lambda u: (-(u.figure(code, TOTAL).completion or -1), u.code))
        ws.write(3, col, indicator(code).short_label, s["header"])
        ws.write(3, col + 1, "%", s["header"])
        for i, unit in enumerate(ranked):
            ws.write(4 + i, col, unit.name)
            ws.write(4 + i, col + 1, _number(unit.figure(code, TOTAL).completion), s["formula.percent"])
        chart = doc.book.add_chart({"type": "bar"})
        chart.add_series({
            "name": indicator(code).short_label,
            "categories": [CHARTS, 4, col, 3 + len(units), col],
            "values": [CHARTS, 4, col + 1, 3 + len(units), col + 1],
            "fill": {"color": "#5B9BD5"}, "data_labels": {"value": True, "num_format": "0%"},
        })
        chart.set_title({"name": f"{indicator(code).short_label}: % hoàn thành cả kỳ"})
        chart.set_y_axis({"reverse": True})
        chart.set_x_axis({"num_format": "0%", "min": 0})
        chart.set_legend({"none": True})
        chart.set_size({"width": 720, "height": max(320, 16 * len(units))})
        ws.insert_chart(3 + n * (2 + max(20, len(units))), 0, chart)


def write_hidden(doc: SummaryBook, result: Consolidation, sources: Mapping[str, Source], generated_at: datetime) -> None:
    """`_meta` (identity) and `_data` (the figures used, for the next consolidation)."""
    meta = doc.book.add_worksheet("_meta")
    rows = [("#keys _meta", ""), ("tool", "workbook-tools"), ("tool_version", __version__), ("kind", NATIONAL_KIND),
            ("plan_id", result.plan.id), ("structure", result.structure), ("generated_at", generated_at.isoformat(timespec="seconds")),
            ("round_deadline", result.round_deadline.isoformat() if result.round_deadline else "")]
    for r, (key, value) in enumerate(rows):
        meta.write_string(r, 0, key)
        meta.write_string(r, 1, value)
    meta.hide()
    data = doc.book.add_worksheet(DATA_SHEET)
    data.write_row(0, 0, DATA_COLUMNS)
    r = 1
    for unit, source in sorted(sources.items()):
        base = [unit, source.round_date.isoformat() if source.round_date else "", source.file, source.sha256]
        for chunk in figures_cells(source):
            data.write_row(r, 0, [*base, FIGURES_ROW, "", chunk])
            r += 1
    data.hide()
    meta.write_string(len(rows), 0, "data_rows")
    meta.write_number(len(rows), 1, r)
    for name, value in (("kind", NATIONAL_KIND), ("plan_id", result.plan.id), ("structure", result.structure)):
        doc.book.set_custom_property(f"wt_{name}", value)


def write_summary(result: Consolidation, path: Path, *, force: bool = False, generated_at: datetime | None = None) -> None:
    """Write the national workbook atomically; refuse to replace a file this tool did not write."""
    if path.exists() and not force and not is_ours(path):
        raise WorkbookToolsError(f"{path} exists and was not written by workbook-tools; use --force to replace it")
    stamp = generated_at or datetime.now().replace(microsecond=0)
    temporary = path.with_name(f".{path.name}.tmp")
    doc = SummaryBook(temporary)
    doc.book.set_properties({"title": f"Tổng hợp {result.plan.id}", "author": "BHXH Việt Nam – Ban Quản lý Thu – Sổ, Thẻ", "created": stamp})
    write_totals(doc, result)
    write_months(doc, result)
    write_tasks(doc, result)
    write_reporting(doc, result)
    write_problems(doc, result)
    write_charts(doc, result)
    write_hidden(doc, result, result.sources, stamp)
    doc.book.close()
    os.replace(temporary, path)

