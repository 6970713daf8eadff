"""Write the national daily workbook (progress day by day, units on the day, laggards, trend chart).

It keeps every day consolidated so far in a hidden `_daily` sheet, read back by `load_held_days`,
so each run adds one day without losing the others (as `_data` does for the reporting rounds).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from . import __version__
from .daily import LATE, ON_TIME, REPORTED, TIMELINESS_RULE, UNKNOWN, DailyConsolidation, UnitDay
from .daily_form import PLAN_END, TARGET_ROW, WEEKDAYS, Campaign, daily_header_footer, day_key
from .daily_print import LINE_PT, SCALE, column_breaks, row_height, wrapped_lines
from .held import is_ours
from .outputs import write_json, write_output
from .plans import PlanTargets
from .problem_table import PROBLEM_WIDTHS, write_problem_table
from .indicators import indicator
from .intake import calamine_book
from .paper import a4_page, even_breaks, page_room, row_heights
from .render import BASE, FONT, PlainFormulas, escape_header
from .spec import KEY_MARK, cell_ref, col_letter
from .summary import STATUS_VI, SummaryBook
from .values import parse_date, parse_time

DAILY_KIND = "national_daily"
DAYS, UNITS, BEHIND, CHART, PROBLEMS = (
    "Tiến độ theo ngày", "Đơn vị trong ngày", "Chậm tiến độ", "Biểu đồ theo ngày", "Lỗi báo cáo ngày",
)
HELD_SHEET, META_SHEET = "_daily", "_daily_meta"
SHEETS = (DAYS, UNITS, BEHIND, CHART, PROBLEMS, META_SHEET, HELD_SHEET)
HELD_COLUMNS = ("day", "unit", "time", "file", "sha256", "note", "filled_late")  # read back by header: older workbooks lack filled_late
TIMELINESS_VI = {ON_TIME: "Đúng hạn", LATE: "Trễ hạn", UNKNOWN: "Không rõ giờ", "": ""}
UNIT_STATUS_VI = {REPORTED: "Đã báo cáo", **STATUS_VI}
PORTRAIT_ROOM_PT = (11.69 - 1.2) * 72 * 100 / SCALE - 40  # printable height of a portrait page at SCALE, less header and footer
CHART_PIXELS, CHART_ROWS, CHART_COLUMNS = (780, 460), 24, 13  # a chart and the cells it covers: one landscape page
RULE_NOTE = ("Lũy kế cả nước = Σ lũy kế các đơn vị; đơn vị chưa báo cáo trong ngày được tính theo số gần nhất đã báo cáo. "
             f"Đúng hạn/trễ hạn: {TIMELINESS_RULE}.")


def _as_datetime(day: date) -> datetime:
    """A date as xlsxwriter writes it."""
    return datetime.combine(day, datetime.min.time())


def _title(doc: SummaryBook, name: str, title: str, result: DailyConsolidation, width: int, form: str, *,
           widths: dict[int, float] | None = None, start: int = 1, landscape: bool = True) -> Any:
    """A keyed sheet: '#keys FORM' in A1, then title, subtitle and the counting rule from column `start` to `width`.

    Printed at a fixed scale that keeps type at 8 pt or more (never shrunk to one page wide), with
    the campaign in the page header and the document the report answers in the footer.
    """
    ws = doc.book.add_worksheet(name, worksheet_class=PlainFormulas)
    s = doc.styles
    ws.write_string(0, 0, f"{KEY_MARK} {form}", s["key"])
    plan = result.data.plan
    subtitle = f"{plan.document.citation()} – báo cáo nhanh hằng ngày (Công điện) – ngày {result.day:%d/%m/%Y} – đợt {result.campaign.label}"
    chars = sum((widths or {}).get(c, 8.43) for c in range(start, width + 1))
    wrap = {"subtitle": s.look("daily_subtitle", {**BASE["subtitle"], "font_name": FONT, "font_size": 11, "text_wrap": True}),
            "note": s.look("daily_note", {**BASE["note"], "font_name": FONT})}
    for row, text, style, size in ((1, title, "title", 14), (2, subtitle, "subtitle", 11), (3, RULE_NOTE, "note", 9)):
        ws.merge_range(row, start, row, width, text, wrap.get(style, s[style]))
        ws.set_row(row, max(22.0 if row == 1 else 0.0, (size + 4) * wrapped_lines(text, chars * 11 / size)))
    a4_page(ws, landscape=landscape, scale=SCALE)
    header, footer = daily_header_footer("BHXH Việt Nam – Ban Quản lý Thu – Sổ, Thẻ", plan.document.citation(), result.campaign)
    ws.set_header(header.replace("&R", f"&C&\"Times New Roman,Bold\"&9{escape_header(name)}&R", 1))
    ws.set_footer(footer)
    return ws


def _first_page(widths: dict[int, float], groups: list[tuple[int, int]], repeated: tuple[int, int]) -> tuple[list[int], int, int]:
    """Page breaks between groups, the first page's last column, and where titles start (after repeated columns)."""
    breaks = column_breaks(widths, groups, repeated)
    return breaks, (breaks[0] - 1 if breaks else max(widths)), (repeated[1] + 1 if breaks else repeated[0])


def _columns(ws: Any, widths: dict[int, float], breaks: list[int], repeated: tuple[int, int]) -> None:
    """Set column widths, repeat the label columns and break pages between groups."""
    for col, width in widths.items():
        ws.set_column(col, col, width)
    ws.repeat_columns(*repeated)
    if breaks:
        ws.set_v_pagebreaks(breaks)


def _header_pair(doc: SummaryBook, ws: Any, top: int, col: int, title: str, headers: list[tuple[str, str]]) -> int:
    """A merged group title over its columns, their headers, and their keys in row 1; returns the next column."""
    s = doc.styles
    if len(headers) > 1:
        ws.merge_range(top, col, top, col + len(headers) - 1, title, s["header"])
    else:
        ws.write(top, col, title, s["header"])
    for k, (key, text) in enumerate(headers):
        ws.write(top + 1, col + k, text, s["header"])
        ws.write_string(0, col + k, key, s["key"])
    return col + len(headers)


def write_days(doc: SummaryBook, result: DailyConsolidation) -> None:
    """`Tiến độ theo ngày`: the nation's levels each day, the change since the day before, % and pace needed."""
    codes = result.codes
    fixed = [("reported", "Số đơn vị báo cáo"), ("on_time", "Đúng hạn"), ("late", "Trễ hạn"), ("missing", "Chưa báo cáo"),
             ("days_left", "Số ngày còn lại")]
    per = [("level", "Lũy kế cả nước"), ("change", "Tăng so với ngày trước"), ("pct", "% chỉ tiêu"),
           ("remaining", "Còn phải thực hiện"), ("pace", "Bình quân mỗi ngày cần đạt")]
    last_col = 3 + len(fixed) + len(per) * len(codes)
    widths = {0: 10, 1: 5, 2: 11, 3: 8, **{c: 7 for c in range(4, 8)}, 8: 10, **{c: 10 for c in range(9, last_col + 1)}}
    groups = [(4, 8), *((9 + len(per) * n, 8 + len(per) * (n + 1)) for n in range(len(codes)))]
    breaks, end, start = _first_page(widths, groups, (1, 3))
    ws = _title(doc, DAYS, "TIẾN ĐỘ CẢ NƯỚC THEO NGÀY", result, end, "daily_national", widths=widths, start=start)
    _columns(ws, widths, breaks, (1, 3))
    s = doc.styles
    ws.write_string(4, 0, PLAN_END, s["key"])
    ws.merge_range(4, 4, 4, 7, "Ngày kết thúc kỳ kế hoạch", s["info_label"])
    date_style = doc.book.add_format({"font_name": "Times New Roman", "num_format": "dd/mm/yyyy", "border": 1, "align": "center", "bg_color": "#EDEDED"})
    ws.write_datetime(4, 8, _as_datetime(result.campaign.plan_end), date_style)
    ws.write_string(5, 0, "units", s["key"])
    ws.merge_range(5, 4, 5, 7, "Số đơn vị phải báo cáo", s["info_label"])
    ws.write_number(5, 8, len(result.units), s["target.count"])
    top = 7
    for col, (key, text) in enumerate((("stt", "STT"), ("label", "Ngày"), ("uom", "Thứ")), start=1):
        ws.merge_range(top, col, top + 1, col, text, s["header"])
        ws.write_string(0, col, key, s["key"])
    col = _header_pair(doc, ws, top, 4, "Tình hình báo cáo", fixed)
    starts = {}
    for code in codes:
        starts[code] = col
        title = f"{indicator(code).short_label} ({indicator(code).unit})"
        col = _header_pair(doc, ws, top, col, title, [(f"{k}:{code}", t) for k, t in per])
    target_row, first = top + 2, top + 3
    ws.write_string(target_row, 0, TARGET_ROW, s["key"])
    ws.merge_range(target_row, 1, target_row, 3, "Chỉ tiêu cả kỳ kế hoạch", s["section"])
    ws.merge_range(target_row, 4, target_row, 8, "(Cộng các tỉnh)", s["section"])
    for code in codes:
        ws.write(target_row, starts[code], _blank(result.target(code)), s["target.count"])
        for k in range(1, len(per)):
            ws.write_blank(target_row, starts[code] + k, None, s["blank.count"])
    plan_end = cell_ref(4, 8, absolute=True)
    for n, day in enumerate(result.days):
        r = first + n
        reports = result.reported(day)
        ws.write_string(r, 0, day_key(day), s["key"])
        ws.write_number(r, 1, n + 1, s["stt"])
        ws.write_datetime(r, 2, _as_datetime(day), date_style)
        ws.write(r, 3, WEEKDAYS[day.weekday()], s["uom"])
        ws.write_number(r, 4, len(reports), s["formula.count"])
        ws.write_number(r, 5, sum(e.timeliness == ON_TIME for e in reports), s["formula.count"])
        ws.write_number(r, 6, sum(e.timeliness == LATE for e in reports), s["formula.count"])
        ws.write_formula(r, 7, f"={cell_ref(5, 8, absolute=True)}-{cell_ref(r, 4)}", s["formula.count"], "")
        ws.write_formula(r, 8, f"=MAX(0,{plan_end}-{cell_ref(r, 2)})", s["formula.count"], "")
        for code in codes:
            _day_formulas(doc, ws, r, starts[code], result.national(code, day), cell_ref(target_row, starts[code], absolute=True),
                          cell_ref(r - 1, starts[code]) if n else '""', cell_ref(r, 8))
    last = first + max(len(result.days), 1) - 1
    for code in codes:
        doc.completion_colours(ws, first, starts[code] + 2, last)
    ws.set_row(top + 1, row_height([(t, widths[c]) for c, (_, t) in enumerate([*fixed, *per * len(codes)], start=4)]))
    ws.freeze_panes(first, 4)
    ws.repeat_rows(top, top + 1)
    ws.print_area(1, 1, last, last_col)


def _day_formulas(doc: SummaryBook, ws: Any, r: int, c: int, level: float | None, target: str, previous: str, days_left: str) -> None:
    """Level as a value; change, %, remaining and pace needed as live formulas."""
    s = doc.styles
    here = cell_ref(r, c)
    ws.write(r, c, _blank(level), s["formula.count"])
    ws.write_formula(r, c + 1, f'=IF(OR({here}="",{previous}=""),"",{here}-{previous})', s["formula.count"], "")
    ws.write_formula(r, c + 2, f'=IF(OR({here}="",{target}=""),"",IFERROR({here}/{target},""))', s["formula.percent"], "")
    ws.write_formula(r, c + 3, f'=IF(OR({here}="",{target}=""),"",MAX(0,{target}-{here}))', s["formula.count"], "")
    remaining = cell_ref(r, c + 3)
    ws.write_formula(r, c + 4, f'=IF({remaining}="","",IFERROR({remaining}/{days_left},""))', s["formula.count"], "")


def _blank(value: float | None) -> float | str:
    """A figure for a cell: blank text when there is none."""
    return "" if value is None else value


def write_units(doc: SummaryBook, result: DailyConsolidation) -> None:
    """`Đơn vị trong ngày`: each unit on the day: time, timeliness, level, %, its pace against the pace it needs, rank."""
    codes = result.codes
    per = [("target", "Chỉ tiêu"), ("level", "Lũy kế"), ("pct", "% chỉ tiêu"), ("pace", "Bình quân/ngày đạt (nền đỏ: chậm hơn mức cần)"),
           ("needed", "Bình quân/ngày cần đạt"), ("rank", "Xếp hạng")]
    last_col = 7 + len(per) * len(codes)
    widths = {0: 8, 1: 5, 2: 5, 3: 16, 4: 9, 5: 6, 6: 9, **{c: (9, 9, 8, 9, 9, 7)[(c - 7) % 6] for c in range(7, last_col)}, last_col: 30}
    groups = [(4, 6), *((7 + len(per) * n, 6 + len(per) * (n + 1)) for n in range(len(codes))), (last_col, last_col)]
    breaks, end, start = _first_page(widths, groups, (1, 3))
    ws = _title(doc, UNITS, f"TÌNH HÌNH CÁC ĐƠN VỊ NGÀY {result.day:%d/%m/%Y}", result, end, "daily_units", widths=widths, start=start)
    _columns(ws, widths, breaks, (1, 3))
    s = doc.styles
    ws.write_string(4, 0, "days_left", s["key"])
    ws.merge_range(4, 4, 4, 6, "Số ngày còn lại của kế hoạch", s["info_label"])
    ws.write_number(4, 7, result.campaign.days_left(result.day), s["target.count"])
    days_left = cell_ref(4, 7, absolute=True)
    top = 6
    fixed = (("stt", "STT"), ("code", "Mã"), ("label", "Đơn vị"), ("status", "Tình trạng"), ("time", "Giờ gửi"), ("timeliness", "Thời hạn (16:00)"))
    for col, (key, text) in enumerate(fixed, start=1):
        ws.merge_range(top, col, top + 1, col, text, s["header"])
        ws.write_string(0, col, key, s["key"])
    col, starts = 7, {}
    for code in codes:
        starts[code] = col
        col = _header_pair(doc, ws, top, col, f"{indicator(code).short_label} ({indicator(code).unit})", [(f"{k}:{code}", t) for k, t in per])
    first = top + 2
    last = first + len(result.units) - 1
    for i, unit in enumerate(result.units):
        r = first + i
        entry = result.entries.get((result.day, unit))
        ws.write_string(r, 0, unit, s["key"])
        ws.write_number(r, 1, i + 1, s["stt"])
        ws.write_string(r, 2, unit, s["stt"])
        ws.write(r, 3, result.name(unit), s["label"])
        ws.write(r, 4, UNIT_STATUS_VI[result.status(unit)], s["uom"])
        ws.write(r, 5, entry.time.strftime("%H:%M") if entry and entry.time else "", s["uom"])
        ws.write(r, 6, TIMELINESS_VI[entry.timeliness] if entry else "", s["uom"])
        for code in codes:
            c = starts[code]
            target, level = cell_ref(r, c), cell_ref(r, c + 1)
            ws.write(r, c, _blank(result.target(code, unit)), s["target.count"])
            ws.write(r, c + 1, _blank(result.level(unit, code, result.day)), s["formula.count"])
            ws.write_formula(r, c + 2, f'=IF(OR({level}="",{target}=""),"",IFERROR({level}/{target},""))', s["formula.percent"], "")
            ws.write(r, c + 3, _blank(result.pace(unit, code)), s["formula.count"])
            ws.write_formula(r, c + 4, f'=IF(OR({level}="",{target}=""),"",IFERROR(MAX(0,{target}-{level})/{days_left},""))', s["formula.count"], "")
            pct_range = f"{col_letter(c + 2)}${first + 1}:{col_letter(c + 2)}${last + 1}"
            ws.write_formula(r, c + 5, f'=IF(ISNUMBER({cell_ref(r, c + 2)}),RANK({cell_ref(r, c + 2)},{pct_range}),"")', s["stt"], "")
    total = last + 1
    ws.write_string(total, 0, "total", s["key"])
    ws.merge_range(total, 1, total, 6, "Cộng các tỉnh (Σ lũy kế ÷ Σ chỉ tiêu)", s["section"])
    for code in codes:
        c = starts[code]
        for k in (0, 1):
            column = col_letter(c + k)
            ws.write_formula(total, c + k, f'=IF(COUNT({column}{first + 1}:{column}{last + 1})=0,"",SUM({column}{first + 1}:{column}{last + 1}))', s["formula.count"], "")
        target, level = cell_ref(total, c), cell_ref(total, c + 1)
        ws.write_formula(total, c + 2, f'=IF(OR({level}="",{target}=""),"",IFERROR({level}/{target},""))', s["formula.percent"], "")
        ws.write_blank(total, c + 3, None, s["blank.count"])
        ws.write_formula(total, c + 4, f'=IF(OR({level}="",{target}=""),"",IFERROR(MAX(0,{target}-{level})/{days_left},""))', s["formula.count"], "")
        ws.write_blank(total, c + 5, None, s["blank.count"])
        doc.completion_colours(ws, first, c + 2, total)
        pace, needed = cell_ref(first, c + 3), cell_ref(first, c + 4)
        ws.conditional_format(first, c + 3, last, c + 3, {
            "type": "formula", "criteria": f"=AND(ISNUMBER({pace}),ISNUMBER({needed}),{pace}<{needed})",
            "format": doc.styles.look("behind_pace", {"bg_color": "#F8CBAD", "font_color": "#9C0006"})})
    ws.merge_range(top, last_col, top + 1, last_col, "Ghi chú của đơn vị", s["header"])
    ws.write_string(0, last_col, "note", s["key"])
    for i, unit in enumerate(result.units):
        entry = result.entries.get((result.day, unit))
        ws.write(first + i, last_col, entry.note if entry else "", s["label"])
    ws.set_row(top + 1, row_height([(t, widths[7 + k]) for k, (_, t) in enumerate(per)]))
    for i, unit in enumerate(result.units):
        entry = result.entries.get((result.day, unit))
        ws.set_row(first + i, row_height([(result.name(unit), widths[3]), (entry.note if entry else "", widths[last_col])]))
    ws.repeat_rows(top, top + 1)
    heights = row_heights(ws, 1, top - 1) + row_heights(ws, first, total)  # the title on the first page, then the units
    room = page_room(SCALE, sum(row_heights(ws, top, top + 1)))
    ws.set_h_pagebreaks([first + k - (top - 1) for k in even_breaks(heights, room)])  # the sums row never alone on a page
    ws.freeze_panes(first, 4)
    ws.autofilter(top + 1, 1, last, last_col)
    ws.print_area(1, 1, total, last_col)


def write_behind(doc: SummaryBook, result: DailyConsolidation) -> None:
    """`Chậm tiến độ`: for each indicator, the ten units with the lowest completion on the day (a block never split by a page)."""
    widths = {0: 8, 1: 5, 2: 5, 3: 20, 4: 10, 5: 14, 6: 14}
    ws = _title(doc, BEHIND, f"CÁC ĐƠN VỊ CHẬM TIẾN ĐỘ NHẤT NGÀY {result.day:%d/%m/%Y}", result, 6, "daily_behind", widths=widths, landscape=False)
    s = doc.styles
    row = 4
    headers = ("STT", "Mã", "Đơn vị", "% chỉ tiêu", "Bình quân/ngày đạt", "Bình quân/ngày cần đạt")
    header_height = row_height([(t, widths[1 + k]) for k, t in enumerate(headers)])
    room, used, breaks = PORTRAIT_ROOM_PT, 90.0, []
    for code in result.codes:
        behind = result.behind(code)
        heights = [LINE_PT, header_height, *(row_height([(result.name(u), widths[3])]) for u in behind), 2 * LINE_PT]
        if used + sum(heights) > room:
            breaks.append(row)
            used = 0.0
        used += sum(heights)
        ws.merge_range(row, 1, row, 6, f"{indicator(code).short_label} ({indicator(code).unit})", s["section"])
        ws.set_row(row + 1, header_height)
        for k, text in enumerate(headers):
            ws.write(row + 1, 1 + k, text, s["header"])
        for n, unit in enumerate(behind, start=1):
            r = row + 1 + n
            level, target = result.level(unit, code, result.day), result.target(code, unit)
            ws.write_string(r, 0, f"{code}:{n}", s["key"])
            ws.write_number(r, 1, n, s["stt"])
            ws.write_string(r, 2, unit, s["stt"])
            ws.write(r, 3, result.name(unit), s["label"])
            ws.write(r, 4, _blank(result.completion(code, unit)), s["formula.percent"])
            ws.write(r, 5, _blank(result.pace(unit, code)), s["formula.count"])
            ws.write(r, 6, _blank(result.needed_pace(code, level, target)), s["formula.count"])
        row += 3 + len(behind)
    for col, width in widths.items():
        ws.set_column(col, col, width)
    if breaks:
        ws.set_h_pagebreaks(breaks)
    ws.print_area(1, 1, row, 6)


def write_chart(doc: SummaryBook, result: DailyConsolidation) -> None:
    """`Biểu đồ theo ngày`: % of the plan's target reached by the nation each day, then the reports each day; one chart a page."""
    ws = _title(doc, CHART, "XU HƯỚNG CẢ NƯỚC QUA CÁC NGÀY CỦA ĐỢT", result, CHART_COLUMNS, "daily_chart")
    first, last = 10, 9 + max(len(result.days), 1)
    font = {"name": FONT, "size": 10}
    chart = doc.book.add_chart({"type": "line"})
    for n, code in enumerate(result.codes):
        pct_col = 9 + 5 * n + 2
        chart.add_series({
            "name": indicator(code).short_label, "categories": [DAYS, first, 2, last, 2], "values": [DAYS, first, pct_col, last, pct_col],
            "marker": {"type": "circle", "size": 5},
        })
    chart.set_title({"name": "% chỉ tiêu kế hoạch đạt được theo ngày (cả nước)", "name_font": {"name": FONT, "size": 12, "bold": True}})
    chart.set_x_axis({"date_axis": True, "num_format": "dd/mm", "num_font": font})
    chart.set_y_axis({"num_format": "0%", "min": 0, "num_font": font})
    chart.set_legend({"position": "bottom", "font": font})
    chart.set_size({"width": CHART_PIXELS[0], "height": CHART_PIXELS[1]})
    ws.insert_chart(4, 1, chart)
    reports = doc.book.add_chart({"type": "column", "subtype": "stacked"})
    for key, col, colour in (("Đúng hạn", 5, "#70AD47"), ("Trễ hạn", 6, "#ED7D31"), ("Chưa báo cáo", 7, "#A5A5A5")):
        reports.add_series({"name": key, "categories": [DAYS, first, 2, last, 2], "values": [DAYS, first, col, last, col], "fill": {"color": colour}})
    reports.set_title({"name": "Số đơn vị báo cáo theo ngày (đúng hạn: giờ ghi trong báo cáo trước 16:00)",
                       "name_font": {"name": FONT, "size": 12, "bold": True}})
    reports.set_x_axis({"date_axis": True, "num_format": "dd/mm", "num_font": font})
    reports.set_y_axis({"num_font": font})
    reports.set_legend({"position": "bottom", "font": font})
    reports.set_size({"width": CHART_PIXELS[0], "height": CHART_PIXELS[1]})
    second = 4 + CHART_ROWS + 1
    ws.insert_chart(second, 1, reports)
    ws.set_h_pagebreaks([second])
    ws.print_area(1, 1, second + CHART_ROWS, CHART_COLUMNS)


def write_problems_table(doc: SummaryBook, result: DailyConsolidation) -> None:
    """`Lỗi dữ liệu`: every problem of the day's files, as a table the centre can filter; messages wrap, rows fit them."""
    widths = {0: 4, **{1 + k: w for k, w in enumerate(PROBLEM_WIDTHS)}}
    ws = _title(doc, PROBLEMS, "LỖI VÀ CẢNH BÁO DỮ LIỆU", result, 9, "daily_problems", widths=widths)
    ws.set_column(0, 0, widths[0])
    last = write_problem_table(ws, doc.styles, result.problems, top=4, left=1, name="LoiDuLieuNgay", period="Ngày")
    ws.print_area(1, 1, last, 9)


def write_held(doc: SummaryBook, result: DailyConsolidation, generated_at: datetime) -> None:
    """`_daily_meta` (identity, campaign) and `_daily` (every unit's report of every day, for the next run)."""
    campaign = result.campaign
    meta = doc.book.add_worksheet(META_SHEET)
    held = doc.book.add_worksheet(HELD_SHEET)
    codes = result.codes
    held.write_row(0, 0, (*HELD_COLUMNS, *codes))
    r = 1
    for (day, unit), entry in sorted(result.entries.items()):
        levels = [entry.levels.get(code, "") for code in codes]
        held.write_row(r, 0, [day.isoformat(), unit, entry.time.strftime("%H:%M") if entry.time else "", entry.file, entry.sha256, entry.note,
                             "x" if entry.filled_late else "", *levels])
        r += 1
    rows = [(f"{KEY_MARK} {META_SHEET}", ""), ("tool", "workbook-tools"), ("tool_version", __version__), ("kind", DAILY_KIND),
            ("plan_id", result.data.plan.id), ("structure", result.data.plan.structure), ("generated_at", generated_at.isoformat(timespec="seconds")),
            ("day", result.day.isoformat()), ("campaign_start", campaign.start.isoformat()), ("campaign_end", campaign.end.isoformat()),
            ("plan_end", campaign.plan_end.isoformat()), ("data_rows", str(r))]
    for n, (key, value) in enumerate(rows):
        meta.write_string(n, 0, key)
        meta.write_string(n, 1, value)
    meta.hide()
    held.hide()
    for name, value in (("kind", DAILY_KIND), ("plan_id", result.data.plan.id), ("structure", result.data.plan.structure)):
        doc.book.set_custom_property(f"wt_{name}", value)


def is_daily_national(path: Path) -> bool:
    """A national daily workbook this tool wrote (the only kind of file `daily consolidate --out` replaces)."""
    return is_ours(path, DAILY_KIND)


def write_daily_summary(result: DailyConsolidation, path: Path, *, force: bool = False, generated_at: datetime | None = None,
                        keep_out: Sequence[Path] = ()) -> None:
    """Write the national daily workbook atomically; refuse to replace a file this tool did not write."""
    stamp = generated_at or datetime.now().replace(microsecond=0)

    def write(temporary: Path) -> None:
        doc = SummaryBook(temporary)
        doc.book.set_properties({"title": f"Báo cáo nhanh hằng ngày {result.data.plan.id}", "author": "BHXH Việt Nam – Ban Quản lý Thu – Sổ, Thẻ", "created": stamp})
        write_days(doc, result)
        write_units(doc, result)
        write_behind(doc, result)
        write_chart(doc, result)
        write_problems_table(doc, result)
        write_held(doc, result, stamp)
        doc.book.close()

    write_output(path, write, ours=is_daily_national, force=force, keep_out=keep_out)


def held_days_from_rows(rows: list[list[Any]]) -> dict[tuple[date, str], UnitDay]:
    """Every unit's report of every day, from the rows of a `_daily` sheet (header first: columns, then indicator codes)."""
    if not rows:
        return {}
    header = [str(h).lstrip("'") if h is not None else "" for h in rows[0]]
    fixed = {name: n for n, name in enumerate(header) if name in HELD_COLUMNS}
    codes = [(n, code) for n, code in enumerate(header) if n > max(fixed.values(), default=-1) and code]
    held = {}
    for row in rows[1:]:
        record = {name: row[n] for name, n in fixed.items() if n < len(row)}
        day = parse_date(record.get("day"))
        if day is None or not record.get("unit"):
            continue
        levels = {code: _whole(row[n]) for n, code in codes if n < len(row) and isinstance(row[n], (int, float))}
        held[(day, str(record["unit"]))] = UnitDay(
            str(record["unit"]), day, parse_time(record["time"]) if record.get("time") else None, levels,
            str(record.get("file") or ""), str(record.get("sha256") or ""), str(record.get("note") or ""),
            filled_late=bool(record.get("filled_late")))
    return held


def _whole(value: float) -> float:
    """1234.0 read back as 1234, so a held level compares equal to the one typed."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def campaign_from_meta(meta: dict[str, Any]) -> Campaign | None:
    """The campaign a national daily workbook holds."""
    try:
        return Campaign(*(date.fromisoformat(str(meta[k])) for k in ("campaign_start", "campaign_end", "plan_end")))
    except (KeyError, ValueError):
        return None


def load_held_days(path: Path) -> tuple[dict[tuple[date, str], UnitDay], Campaign | None, str | None]:
    """The days a previous run kept, the campaign and the plan (nothing when there is no previous workbook)."""
    held, campaign, plan, _ = load_held_book(path)
    return held, campaign, plan


def load_held_book(path: Path) -> tuple[dict[tuple[date, str], UnitDay], Campaign | None, str | None, str | None]:
    """The days a previous run kept, the campaign, the plan and the unit structure they are on."""
    if not path.exists() or not is_ours(path, DAILY_KIND):
        return {}, None, None, None
    book = calamine_book(path)
    try:
        rows = book.get_sheet_by_name(HELD_SHEET).to_python()
        meta = {str(r[0]): r[1] for r in book.get_sheet_by_name(META_SHEET).to_python() if r and r[0]}
    finally:
        book.close()
    return held_days_from_rows(rows), campaign_from_meta(meta), str(meta.get("plan_id") or "") or None, str(meta.get("structure") or "") or None


def other_held(path: Path, held_plan: str | None, held_structure: str | None, data: PlanTargets) -> str | None:
    """Why the days held in `path` cannot take this plan's days (another plan, or the same plan on other units); None when they can."""
    if held_plan and held_plan != data.plan.id:
        return (f"{path} đang giữ báo cáo ngày của kế hoạch {held_plan}, không phải {data.plan.id}; "
                "số liệu hai kế hoạch không được trộn")
    if held_structure and held_structure != data.plan.structure:
        return (f"{path} đang giữ báo cáo ngày theo {held_structure} đơn vị, không phải {data.plan.structure} đơn vị như các báo cáo này; "
                "số liệu theo hai cách chia đơn vị không được trộn")
    return None


def write_daily_json(result: DailyConsolidation, path: Path, *, force: bool = False, keep_out: Sequence[Path] = ()) -> None:
    """The same figures for scripts: strict JSON (no NaN), written atomically, marked as ours."""
    write_json(path, result.as_dict(), force=force, keep_out=keep_out)
