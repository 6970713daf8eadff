"""Write the national summary workbook (live formulas, ranking, charts) and its JSON/CSV twins.

The workbook also keeps, in a hidden `_data` sheet, the figures it was built from, so the next
consolidation can tell a newer round from an older one and never loses a unit's figures.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from . import __version__
from .bulk_xlsx import Formula, InlineRowSheet, LightZipBook, Rendered, RowSheet, escape_text, collector_paused, render_sheets
from .check import ACCEPTED, MISSING, REJECTED
from .consolidate import LATE, ON_TIME, Consolidation, Figure, Source, UnitResult, central_name
from .hand_edits import SHOWN_SHEET, refuse_hand_edits, write_shown
from .held import DATA_COLUMNS, DATA_SHEET, FIGURES_ROW, NATIONAL_KIND, figures_cells, held_as_written, is_ours
from .indicators import indicator
from .outputs import write_output
from .parallel import made_in_child
from .plans import TOTAL
from .paper import (
    LEAST_SCALE, PRINT_SCALE, a4_page, column_breaks, column_points, figure_width, merged_width, one_line_width, printable_height,
    even_breaks, page_room, row_height, row_heights, table_scale, text_lines,
)
from .problem_table import PROBLEM_WIDTHS, write_problem_table
from .read_cache import file_sha256, remember_written
from .render import BASE, COMPLETION_RULES, Styles, escape_header, readable_header
from .spec import cell_ref, col_letter, month_label

STATUS_VI = {ACCEPTED: "Đã nhận", REJECTED: "Bị từ chối", MISSING: "Chưa nộp"}
TIMELINESS_VI = {ON_TIME: "Đúng hạn", LATE: "Trễ hạn", "unknown": "Không rõ ngày", "": ""}
HEADLINE, TOTALS, MONTHS, TASKS, REPORTING, PROBLEMS, CHARTS = (
    "Tóm tắt", "Tổng hợp", "Theo tháng", "Nhiệm vụ", "Tình hình nộp báo cáo", "Lỗi dữ liệu", "Biểu đồ",
)
SHEETS = (HEADLINE, TOTALS, MONTHS, TASKS, REPORTING, PROBLEMS, CHARTS)


class SummaryBook:
    """An xlsxwriter workbook with the tool's styles and a few shortcuts."""

    def __init__(self, path: Path, document: str = "") -> None:
        self.book = LightZipBook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False})
        self.styles = Styles(self.book)
        self.document = document
        self.shown: dict[tuple[str, int], list[Any]] = {}  # (sheet, row) → [column, value, column, value, …] (`write_shown`)
        self.sheets: dict[str, Any] = {}  # by name, those added through `reserve` or `worksheet`

    def reserve(self, sheets: Sequence[tuple[str, Any]]) -> None:
        """Add every sheet now, as (name, worksheet class), so the book's order holds whichever process writes which sheet."""
        for name, kind in sheets:
            self.sheets[name] = self.book.add_worksheet(name, worksheet_class=kind)

    def worksheet(self, name: str, kind: Any = RowSheet) -> Any:
        """The sheet of this name (reserved, or added before), else a new one at the end of the book."""
        if name not in self.sheets:
            self.reserve([(name, kind)])
        return self.sheets[name]

    def number_styles(self, names: Sequence[str]) -> None:
        """Give these styles and the completion colours their numbers in the book now (xlsxwriter numbers a style when
        a sheet using it is first assembled), so a sheet made in a forked child uses the numbers the parent's book has."""
        for name in names:
            self.styles[name]._get_xf_index()
        for look in self.completion_looks():
            look._get_dxf_index()

    def completion_looks(self) -> list[Any]:
        """The conditional formats' looks: red, amber, green."""
        return [self.styles.look(f"completion{number}", look) for number, (_rule, look) in enumerate(COMPLETION_RULES)]

    def sheet(self, name: str, title: str, subtitle: str, widths: Sequence[float], fixed: int = 0, landscape: bool = True) -> Any:
        """A sheet with its column widths and a title block, A4 at a readable scale; the title sits over
        the `fixed` label columns when they repeat on every printed page, else over the whole width (no title
        when `title` is empty: `print_dense` writes it once it knows the pages)."""
        ws = self.worksheet(name)
        set_widths(ws, widths)
        if title:
            self.title(ws, title, subtitle, 0, (fixed or len(widths)) - 1, widths)
        a4_page(ws, landscape=landscape)
        self.page_texts(ws)
        return ws

    def title(self, ws: Any, title: str, subtitle: str, first: int, last: int, widths: Sequence[float]) -> None:
        """The title and subtitle rows, each merged over columns first…last, as tall as their wrapped text."""
        ws.merge_range(0, first, 0, last, title, self.styles["title"])
        ws.merge_range(1, first, 1, last, subtitle, self.styles["subtitle"])
        for r, height in enumerate(title_heights(title, subtitle, merged_width(widths[first:last + 1]))):
            ws.set_row(r, height)

    def page_texts(self, ws: Any, scale: int = PRINT_SCALE, centre: str = "") -> None:
        """The page header (BHXH, the sheet's title in the centre if given, the plan's document) and footer (document,
        sheet, page of pages), in type that prints at 8 pt or more at `scale`."""
        font = '&"Times New Roman,Regular"&9'
        middle = f'&C&"Times New Roman,Bold"&9{escape_header(centre)}' if centre else ""
        ws.set_header(readable_header(f"&L{font}BẢO HIỂM XÃ HỘI VIỆT NAM{middle}&R{font}{escape_header(self.document)}", scale))
        ws.set_footer(readable_header(f"&L{font}{escape_header(self.document)} · &A&R{font}Trang &P/&N", scale))

    def completion_colours(self, ws: Any, first: int, col: int, last: int) -> None:
        """Red under 50 %, amber under 100 %, green from 100 %, as in the province workbooks."""
        ref = cell_ref(first, col)
        for (rule, _look), look in zip(COMPLETION_RULES, self.completion_looks()):
            ws.conditional_format(first, col, last, col, {"type": "formula", "criteria": "=" + rule.format(ref=ref), "format": look})


def print_wide(ws: Any, top: int, fixed: Sequence[float], blocks: Sequence[Sequence[float]], scale: int = PRINT_SCALE) -> None:
    """Header rows and label columns repeated; pages break between column blocks, never inside one."""
    ws.repeat_rows(top, top + 1)
    ws.repeat_columns(0, len(fixed) - 1)
    starts, col = [], len(fixed)
    for block in blocks:
        starts.append(col)
        col += len(block)
    widths = [sum(column_points(w) for w in block) for block in blocks]
    breaks = column_breaks(widths, sum(column_points(w) for w in fixed), scale)
    if breaks:
        ws.set_v_pagebreaks([starts[i] for i in breaks])


ONE_LINE = 14.25  # a table row of one line (Times New Roman 11 pt; 19 pixels)
MOST_BREAKS = 1000  # Excel keeps at most 1026 manual page breaks a sheet


def unit_height(name: str, width: float = 16) -> float:
    """A unit's row height: one line, unless its name wraps in its column."""
    return ONE_LINE if text_lines(name, width) == 1 else row_height(name, width)


def unit_row(ws: Any, r: int, name: str, width: float = 16) -> None:
    """A unit's row, as high as `unit_height`."""
    ws.set_row(r, unit_height(name, width))


def title_heights(title: str, subtitle: str, span: float) -> tuple[float, float]:
    """The heights (points) of a sheet's title and subtitle rows merged over `span` points of columns."""
    return row_height(title, span, 13, True, 22), row_height(subtitle, span, 11, False)


def print_dense(doc: SummaryBook, ws: Any, top: int, fixed: Sequence[float], blocks: Sequence[Sequence[float]], last: int,
                title: tuple[str, str]) -> None:
    """`print_wide` at the scale (80–90 %) that prints the sheet down to row `last` on the fewest pages (its header rows
    `top`, `top` + 1 repeated), pages across then down (a page's later columns follow it); the title over the first
    page's columns right of the repeated labels (over those, a page across would show a cut piece of it)."""
    blocks_points = [sum(column_points(w) for w in block) for block in blocks]
    fixed_points = sum(column_points(w) for w in fixed)
    widths = [*fixed, *(w for block in blocks for w in block)]

    def title_columns(scale: int) -> tuple[int, int]:
        breaks = column_breaks(blocks_points, fixed_points, scale)
        return len(fixed), len(fixed) + sum(len(b) for b in blocks[:breaks[0] if breaks else len(blocks)]) - 1

    first, end = title_columns(LEAST_SCALE)  # the first page as the fewest pages across have it
    span = merged_width(widths[first:end + 1])
    heading = [*title_heights(*title, span), *row_heights(ws, 2, top - 1)]
    header = sum(row_heights(ws, top, top + 1))
    scale = table_scale(fixed_points, blocks_points, [heading + row_heights(ws, top + 2, last)], header)
    doc.title(ws, *title, *title_columns(scale), widths)
    heights = row_heights(ws, 0, top - 1) + row_heights(ws, top + 2, last)
    breaks = [k + 2 for k in even_breaks(heights, page_room(scale, header))]  # index k: row k + 2 (no header)
    ws.set_h_pagebreaks(breaks if len(breaks) < MOST_BREAKS else [])
    ws.set_print_scale(scale)
    doc.page_texts(ws, scale)
    print_wide(ws, top, fixed, blocks, scale)
    ws.print_across()


def set_widths(ws: Any, widths: Sequence[float]) -> None:
    """Column widths from the first column on."""
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)


def _number(value: float | None) -> float | str:
    """A figure for a cell: blank text when nothing was reported."""
    return "" if value is None else value


def _pct(actual: str, target: str) -> str:
    """Completion formula, guarded against blanks and zero targets."""
    return f'=IF(OR({actual}="",{target}=""),"",IFERROR({actual}/{target},""))'


class FigureWriter:
    """Target / achievement / completion triples for the rows of one sheet, with its formats and column letters
    looked up once (the national summary writes tens of thousands of them): made XML at once (`Rendered`) on a
    `RowSheet`, cell by cell otherwise (or with `RENDERED` off, as tests/test_bulk_xlsx.py's oracle does)."""

    RENDERED = True

    def __init__(self, doc: SummaryBook, ws: Any, *, shown: bool = True) -> None:
        s = doc.styles
        self.target, self.count, self.percent = s["target.count"], s["formula.count"], s["formula.percent"]
        self.shown, self.name = doc.shown if shown else {}, ws.name  # not `shown`: kept beforehand (`record`)
        self.completions: dict[int, list[str]] = {}
        self.looks = tuple(map(ws.style_attribute, (self.target, self.count, self.percent))) \
            if self.RENDERED and isinstance(ws, RowSheet) else None
        self.forms: dict[int, list[Callable[..., str]]] = {}  # by column (`_forms`)

    def cells(self, r: int, figures: Sequence[tuple[int, Figure | None]]) -> list[tuple[int, Any, Any]]:
        """The cells of figures at (first column, figure) of one row (a blank for nothing reported); the values
        are kept in `doc.shown`, to find hand edits later."""
        if self.looks is not None:
            return self._rendered(r, figures)
        row_text, written, cells = str(r + 1), [], []
        target_look, count_look, percent_look = self.target, self.count, self.percent
        for c, figure in figures:
            target, actual = (figure.target, figure.actual) if figure else (None, None)
            pieces = self.completions.get(c) or self._completion(c)
            cells += ((c, target, target_look), (c + 1, actual, count_look), (c + 2, Formula(row_text.join(pieces)), percent_look))
            written += (c, "" if target is None else target, c + 1, "" if actual is None else actual)
        self.shown.setdefault((self.name, r + 1), []).extend(written)
        return cells

    def record(self, r: int, figures: Sequence[tuple[int, Figure | None]]) -> None:
        """Only keep in `doc.shown` what `cells` writes of these figures (the sheet is written later, elsewhere)."""
        written: list[Any] = []
        for c, figure in figures:
            target, actual = (figure.target, figure.actual) if figure else (None, None)
            written += (c, "" if target is None else target, c + 1, "" if actual is None else actual)
        self.shown.setdefault((self.name, r + 1), []).extend(written)

    def _rendered(self, r: int, figures: Sequence[tuple[int, Figure | None]]) -> list[tuple[int, Any, Any]]:
        """`cells`, each run of triples as the XML `RowSheet.write_cells` would make of its cells (a figure that is not a
        plain number or None goes through `write_cells` itself)."""
        row_text, written, cells, xml = str(r + 1), [], [], []
        start = last = -1
        for c, figure in figures:
            target, actual = (figure.target, figure.actual) if figure else (None, None)
            written += (c, "" if target is None else target, c + 1, "" if actual is None else actual)
            if target.__class__ not in _PLAIN or actual.__class__ not in _PLAIN:
                if xml:
                    cells.append((start, Rendered("".join(xml), last, self.looks), None))  # type: ignore[arg-type]
                    xml = []
                cells += ((c, target, self.target), (c + 1, actual, self.count), (c + 2, Formula(row_text.join(self._completion(c))), self.percent))
                continue
            if not xml:
                start = c
            xml.append((self.forms.get(c) or self._forms(c))[(target is None) * 2 + (actual is None)](row_text, target, actual))
            last = c + 2
        if xml:
            cells.append((start, Rendered("".join(xml), last, self.looks), None))  # type: ignore[arg-type]
        self.shown.setdefault((self.name, r + 1), []).extend(written)
        return cells

    def _forms(self, c: int) -> list[Callable[..., str]]:
        """The XML of the triple at column c for (row number, target, achieved) as `write_cells` makes it, by which of
        the two figures is None (neither, achieved, target, both)."""
        target_look, count_look, percent_look = self.looks  # type: ignore[misc]
        pieces = self._completion(c)
        formula = "{0}".join(escape_text(p).replace("{", "{{").replace("}", "}}") for p in [pieces[0][1:], *pieces[1:]])
        first, second, third = (col_letter(c + k) for k in range(3))
        numbers = (f'<c r="{first}{{0}}"{target_look}><v>{{1:.16G}}</v></c>', f'<c r="{second}{{0}}"{count_look}><v>{{2:.16G}}</v></c>')
        blanks = (f'<c r="{first}{{0}}"{target_look}/>', f'<c r="{second}{{0}}"{count_look}/>')
        completion = f'<c r="{third}{{0}}"{percent_look}><f>{formula}</f><v></v></c>'
        self.forms[c] = [(t + a + completion).format for t in (numbers[0], blanks[0]) for a in (numbers[1], blanks[1])]
        return self.forms[c]

    def _completion(self, c: int) -> list[str]:
        """The completion formula of column c + 2 cut where the row number goes, so a row's is one join."""
        if c not in self.completions:
            marker = "\x00"
            self.completions[c] = _pct(col_letter(c + 1) + marker, col_letter(c) + marker).split(marker)
        return self.completions[c]


_PLAIN = frozenset({int, float, type(None)})


def _write_sum(doc: SummaryBook, ws: Any, r: int, c: int, total: Callable[[str], str]) -> None:
    """A sums row: Σ target and Σ achieved (formula per column letter), then their completion."""
    for k in (0, 1):
        ws.write_formula(r, c + k, total(col_letter(c + k)), doc.styles["formula.count"], "")
    ws.write_formula(r, c + 2, _pct(cell_ref(r, c + 1), cell_ref(r, c)), doc.styles["formula.percent"], "")


def _headers(doc: SummaryBook, ws: Any, top: int, fixed: Sequence[str], groups: Sequence[tuple[str, Sequence[str]]], widths: Sequence[float]) -> None:
    """Two header rows: fixed columns merged down, then a merged title over each group's columns; heights fit the text."""
    lines = [0.0, 0.0]
    for col, text in enumerate(fixed):
        ws.merge_range(top, col, top + 1, col, text, doc.styles["header"])
        lines[1] = max(lines[1], row_height(text, widths[col], 11, True) - 15)
    col = len(fixed)
    for title, columns in groups:
        ws.merge_range(top, col, top, col + len(columns) - 1, title, doc.styles["header"])
        lines[0] = max(lines[0], row_height(title, merged_width(widths[col:col + len(columns)]), 11, True))
        for k, text in enumerate(columns):
            ws.write(top + 1, col + k, text, doc.styles["header"])
            lines[1] = max(lines[1], row_height(text, widths[col + k], 11, True))
        col += len(columns)
    ws.set_row(top, max(lines[0], 18))
    ws.set_row(top + 1, max(lines[1], 18))


def _unit_cells(doc: SummaryBook, number: int, unit: UnitResult) -> list[tuple[int, Any, Any]]:
    """STT, code, name and status: the first four columns of every per-unit table."""
    s = doc.styles
    return [(0, number, s["stt"]), (1, unit.code, s["stt"]), (2, unit.name, s["label"]), (3, STATUS_VI[unit.status], s["uom"])]


def _subtitle(result: Consolidation) -> str:
    """Plan document and reporting round, for every sheet's second line."""
    text = f"{result.plan.document.citation()} – {result.plan.title}"
    if result.round_deadline:
        text += f" – kỳ báo cáo {result.round_start:%d/%m/%Y} – {result.round_deadline:%d/%m/%Y}"
    return text


UNIT_FIXED = ("STT", "Mã", "Đơn vị", "Tình trạng")
UNIT_WIDTHS = (4, 4, 16, 10)
TOTALS_FIRST = 5


def _sum_if_any(col: str, first: int, last: int) -> str:
    """Σ of a column, blank when nothing in it is a number."""
    return f'=IF(COUNT({col}{first + 1}:{col}{last + 1})=0,"",SUM({col}{first + 1}:{col}{last + 1}))'


def write_totals(doc: SummaryBook, result: Consolidation) -> None:
    """`Tổng hợp`: one row per unit, target / achieved / % / rank per indicator; the reporting units'
    completion and the whole country's side by side, each labelled."""
    indicators = result.plan.indicators
    last_col = 3 + 4 * len(indicators)
    block = (12, 12, 8, 7)
    widths = [*UNIT_WIDTHS, *(block * len(indicators))]
    ws = doc.sheet(TOTALS, "", "", widths)
    s = doc.styles
    top, first = 3, TOTALS_FIRST
    measures = ("Chỉ tiêu", "Thực hiện", "% hoàn thành", "Xếp hạng")
    _headers(doc, ws, top, UNIT_FIXED,
             [(f"{indicator(code).short_label} ({indicator(code).unit})", measures) for code in indicators], widths)
    last = first + len(result.units) - 1
    figures = FigureWriter(doc, ws, shown=False)  # kept before the figure child starts (`record_totals_shown`)
    pct_ranges = [f"{col_letter(4 + 4 * n + 2)}${first + 1}:{col_letter(4 + 4 * n + 2)}${last + 1}" for n in range(len(indicators))]
    for i, unit in enumerate(result.units):
        r = first + i
        unit_row(ws, r, unit.name, UNIT_WIDTHS[2])
        cells = _unit_cells(doc, i + 1, unit)
        for n, code in enumerate(indicators):
            c = 4 + 4 * n
            pct = cell_ref(r, c + 2)
            cells += figures.cells(r, [(c, unit.figure(code, TOTAL))])
            cells.append((c + 3, Formula(f'=IF(ISNUMBER({pct}),RANK({pct},{pct_ranges[n]}),"")'), s["stt"]))
        ws.write_cells(r, cells)
    total_row = last + 1
    ws.merge_range(total_row, 0, total_row, 3, f"Cộng các tỉnh – cả nước, {len(result.units)} đơn vị (Σ thực hiện ÷ Σ chỉ tiêu)", s["section"])
    ws.set_row(total_row, row_height("Cộng các tỉnh – cả nước, 63 đơn vị (Σ thực hiện ÷ Σ chỉ tiêu)", merged_width(UNIT_WIDTHS), 11, True))
    for n, _code in enumerate(indicators):
        c = 4 + 4 * n
        _write_sum(doc, ws, total_row, c, lambda col: _sum_if_any(col, first, last))
        ws.write_blank(total_row, c + 3, None, s["blank.count"])
    reporting_row = total_row + 1
    status = f"$D${first + 1}:$D${last + 1}"
    ws.merge_range(reporting_row, 0, reporting_row, 3, "", s["section"])
    ws.write_formula(reporting_row, 0, f'="Các đơn vị đã báo cáo: "&COUNTIF({status},"{STATUS_VI[ACCEPTED]}")&"/{len(result.units)} (Σ thực hiện ÷ Σ chỉ tiêu của các đơn vị đó)"', s["section"], "")
    ws.set_row(reporting_row, row_height("Các đơn vị đã báo cáo: 63/63 (Σ thực hiện ÷ Σ chỉ tiêu của các đơn vị đó)", merged_width(UNIT_WIDTHS), 11, True))
    for n, _code in enumerate(indicators):
        c = 4 + 4 * n
        target, actual = (f"{col_letter(c + k)}${first + 1}:{col_letter(c + k)}${last + 1}" for k in (0, 1))
        ws.write_formula(reporting_row, c, f'=IF(COUNT({actual})=0,"",SUMIFS({target},{actual},"<>"))', s["formula.count"], "")
        ws.write_formula(reporting_row, c + 1, f'=IF(COUNT({actual})=0,"",SUM({actual}))', s["formula.count"], "")
        ws.write_formula(reporting_row, c + 2, _pct(cell_ref(reporting_row, c + 1), cell_ref(reporting_row, c)), s["formula.percent"], "")
        ws.write_formula(reporting_row, c + 3, f'=COUNT({actual})&"/"&ROWS({actual})', s["stt"], "")
    row = reporting_row + 1
    for label, figures in ((central_name(), result.central), ("Toàn quốc (theo kế hoạch)", result.published)):
        if not figures:
            continue
        ws.merge_range(row, 0, row, 3, label, s["label"])
        ws.set_row(row, row_height(label, merged_width(UNIT_WIDTHS)))
        for n, code in enumerate(indicators):
            c = 4 + 4 * n
            figure = next((f for f in figures if f.indicator == code and f.period == TOTAL), None)
            ws.write(row, c, _number(figure.target if figure else None), s["target.count"])
            for k in (1, 2, 3):
                ws.write_blank(row, c + k, None, s["blank.count"])
        row += 1
    for n, _code in enumerate(indicators):
        doc.completion_colours(ws, first, 4 + 4 * n + 2, reporting_row)
    ws.freeze_panes(first, 4)
    print_dense(doc, ws, top, UNIT_WIDTHS, [block] * len(indicators), row - 1, ("TỔNG HỢP KẾT QUẢ THỰC HIỆN CHỈ TIÊU", _subtitle(result)))
    ws.print_area(0, 0, row - 1, last_col)
    ws.autofilter(top + 1, 0, last, last_col)


PERCENT_WIDTH = 6.5  # "105.3%"


def _month_blocks(result: Consolidation, periods: Sequence[str]) -> list[tuple[float, float, float]]:
    """Each period's (target, achieved, %) column widths, fitted to the largest figure the column shows: the sum of
    the units (no unit's figure is larger; the figures are never negative)."""
    largest = dict.fromkeys(periods, 0.0)
    for figure in result.national:
        for value in (figure.target, figure.actual):
            if value.__class__ in (int, float) and math.isfinite(value):
                largest[figure.period] = max(largest[figure.period], abs(value))
    return [(figure_width(largest[p]), figure_width(largest[p]), PERCENT_WIDTH) for p in periods]


MONTHS_HEADER = 51.0  # the two header rows repeated on every page (the second wraps "Thực hiện")
MONTHS_TITLE = 70.0  # the title and subtitle over the first page


def write_months(doc: SummaryBook, result: Consolidation) -> None:
    """`Theo tháng`: for each indicator, one row per unit with each month's target, achievement and % across, then
    the units' sum; every indicator starts a page, columns sized to the figures, printed as large as fits the
    fewest pages."""
    periods = (*result.plan.months, TOTAL)
    indicators = result.plan.indicators
    labels = {code: indicator(code).short_label for code in indicators}
    codes = sorted({u.code + "0" for u in result.units})  # a digit of room
    fixed = (one_line_width(codes, 3.5, 8), one_line_width(sorted({u.name for u in result.units}), 8, 18),
             one_line_width(list(labels.values()), 8, 22), 9)
    blocks = _month_blocks(result, periods)
    widths = [*fixed, *(w for block in blocks for w in block)]
    last_col = len(widths) - 1
    units = len(result.units)
    label_lines = {code: text_lines(label, fixed[2]) for code, label in labels.items()}
    name_heights = [unit_height(unit.name, fixed[1]) for unit in result.units]
    heights = {code: [max(h, row_height(labels[code], fixed[2]) if label_lines[code] > 1 else 0) for h in name_heights] for code in indicators}
    sums = {code: max(ONE_LINE + 1, row_height(labels[code], fixed[2], 11, True) if label_lines[code] > 1 else 0) for code in indicators}
    fixed_points, block_points = sum(column_points(w) for w in fixed[:3]), [sum(column_points(w) for w in b) for b in blocks]
    parts = [[*([MONTHS_TITLE] if j == 0 else []), *heights[code], sums[code]] for j, code in enumerate(indicators)]
    scale = table_scale(fixed_points, block_points, parts, MONTHS_HEADER)
    ws = doc.worksheet(MONTHS)
    set_widths(ws, widths)
    a4_page(ws, scale=scale)
    s = doc.styles
    across = column_breaks(block_points, fixed_points, scale)
    last_titled = 3 + 3 * (across[0] if across else len(blocks))  # the first printed page's last column
    subtitle = _subtitle(result) + (" – chỉ tiêu số người: mức mới nhất" if result.plan.is_stock else " – cả kỳ: cộng dồn các tháng")
    doc.title(ws, "KẾT QUẢ THEO THÁNG", subtitle, 4, last_titled, widths)  # over the first page's months, not the repeated
    # labels: a page across would show a cut piece of it
    top, first = 3, 5
    _headers(doc, ws, top, ("Mã", "Đơn vị", "Chỉ tiêu", "Mã chỉ tiêu"),
             [("Cả kỳ kế hoạch" if p == TOTAL else month_label(p), ("Chỉ tiêu", "Thực hiện", "%")) for p in periods], widths)
    figures = FigureWriter(doc, ws)
    code_look, label_look, uom_look = s["stt"], s["label"], s["uom"]
    columns = [4 + 3 * n for n in range(len(periods))]
    keys = [[(code, period) for period in periods] for code in indicators]
    starts = []
    for j, code in enumerate(indicators):
        start = first + j * (units + 1)
        starts.append(start)
        label, height, row_keys = labels[code], heights[code], keys[j]
        for i, unit in enumerate(result.units):  # a row's figures looked up as it is written, not all beforehand (11 MB at 3,300)
            r = start + i
            ws.set_row(r, height[i])
            ws.write_cells(r, [(0, unit.code, code_look), (1, unit.name, label_look), (2, label, label_look), (3, code, uom_look),
                               *figures.cells(r, list(zip(columns, unit.figures_at(row_keys))))])
        r = start + units
        ws.set_row(r, sums[code])
        ws.merge_range(r, 0, r, 1, "Cộng các tỉnh", s["section"])
        ws.write(r, 2, label, s["section"])
        ws.write(r, 3, code, s["uom"])
        for n, _period in enumerate(periods):
            _write_sum(doc, ws, r, 4 + 3 * n, lambda col, a=start, b=r - 1: _sum_if_any(col, a, b) if b >= a else '=""')
    last = first + len(indicators) * (units + 1) - 1
    for n in range(len(periods)):
        doc.completion_colours(ws, first, 4 + 3 * n + 2, last)
    ws.set_column(3, 3, fixed[3], None, {"hidden": True})  # the indicator's key: for filters and programs, not for paper
    ws.freeze_panes(first, 4)
    doc.page_texts(ws, scale, "KẾT QUẢ THEO THÁNG")
    print_wide(ws, top, (*fixed[:3], 0), blocks, scale)  # the key column, hidden, prints no width
    ws.print_across()  # a page's months, then the same units' later months: side by side in the printed pile
    room = page_room(scale, MONTHS_HEADER)
    breaks = [start - (j == 0) + k for j, (start, part) in enumerate(zip(starts, parts)) for k in even_breaks(part, room)]
    ws.set_h_pagebreaks(sorted({*starts[1:], *(breaks if len(breaks) + len(starts) < MOST_BREAKS else [])}))  # an indicator a page
    ws.print_area(0, 0, last, last_col)
    ws.autofilter(top + 1, 0, last, last_col)


def write_tasks(doc: SummaryBook, result: Consolidation) -> None:
    """`Nhiệm vụ`: each unit's Mẫu 02 figures to date (debt, inspections, tax review, conferences, budget)."""
    tasks = result.tasks
    last_col = 3 + len(tasks)
    widths = [*UNIT_WIDTHS, *([13] * len(tasks))]
    ws = doc.sheet(TASKS, "", "", widths)
    s = doc.styles
    top, first = 3, TASKS_FIRST
    _headers(doc, ws, top, [*UNIT_FIXED, *(f"{t.label} ({t.uom})" for t in tasks)], [], widths)
    looks = [s[f"formula.{_task_format(task)}"] for task in tasks]
    for i, (unit, values) in enumerate(zip(result.units, task_rows(result))):
        unit_row(ws, first + i, unit.name, UNIT_WIDTHS[2])
        ws.write_cells(first + i, [*_unit_cells(doc, i + 1, unit), *((c, v, looks[c - TASKS_COL]) for c, v in values)])
    last = first + len(result.units) - 1
    ws.merge_range(last + 1, 0, last + 1, 3, "Cộng các tỉnh", s["section"])
    for c, task in enumerate(tasks, start=TASKS_COL):
        ws.write_formula(last + 1, c, _sum_if_any(col_letter(c), first, last), s[f"formula.{_task_format(task)}"], "")
    ws.set_row(top, 18)
    ws.freeze_panes(first, 4)
    print_dense(doc, ws, top, UNIT_WIDTHS, [(13,)] * len(tasks), last + 1,
                ("KẾT QUẢ THỰC HIỆN NHIỆM VỤ (MẪU 02)", _subtitle(result) + " – nợ, kinh phí được giao: số mới nhất; các số khác: cộng dồn"))
    ws.print_area(0, 0, last + 1, last_col)


TASKS_FIRST, TASKS_COL = 5, 4


def task_rows(result: Consolidation) -> Iterator[list[tuple[int, float | None]]]:
    """Each unit's row of `Nhiệm vụ` as (column, figure): one source for the sheet and for `_shown`."""
    for unit in result.units:
        yield [(TASKS_COL + k, unit.tasks.get(task.key)) for k, task in enumerate(result.tasks)]


def record_totals_shown(doc: SummaryBook, result: Consolidation) -> None:
    """What `Tổng hợp` shows, kept in `_shown` before the figure child starts (the child writes `_shown`, the parent `Tổng hợp`)."""
    figures = FigureWriter(doc, doc.worksheet(TOTALS))
    for i, unit in enumerate(result.units):
        figures.record(TOTALS_FIRST + i, [(4 + 4 * n, unit.figure(code, TOTAL)) for n, code in enumerate(result.plan.indicators)])


def record_tasks_shown(doc: SummaryBook, result: Consolidation) -> None:
    """What `Nhiệm vụ` shows, kept in `_shown` (before the figure child starts: it writes that sheet) so a task figure
    typed over by hand is found like one in `Tổng hợp`."""
    for i, values in enumerate(task_rows(result)):
        doc.shown[(TASKS, TASKS_FIRST + i + 1)] = [x for c, v in values for x in (c, "" if v is None else v)]


def _task_format(task: Any) -> str:
    """Money tasks show their decimals (millions of đồng); counts are whole."""
    return "money" if task.uom == "triệu đồng" else "count"


def write_reporting(doc: SummaryBook, result: Consolidation) -> None:
    """`Tình hình nộp báo cáo`: expected, returned, on time, late, missing, rejected, per unit."""
    widths = (5, 16, 18, 11, 11, 10, 22, 6, 8, 20)
    ws = doc.sheet(REPORTING, "TÌNH HÌNH NỘP BÁO CÁO", _subtitle(result), widths[:9])
    set_widths(ws, widths)
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
        ws.set_row(3 + i, row_height(label, merged_width(widths[:2])))
        ws.write_formula(3 + i, 2, formula, s[f"formula.{fmt}"], "")
    headers = ("STT", "Mã", "Đơn vị", "Tình trạng", "Ngày báo cáo", "Thời hạn", "Tệp", "Số lỗi", "Số cảnh báo", "SHA-256")
    for col, text in enumerate(headers):
        ws.write(first - 1, col, text, s["header"])
    ws.set_row(first - 1, max(row_height(t, w, 11, True) for t, w in zip(headers, widths)))
    date_style = doc.book.add_format({**BASE["stt"], "num_format": "dd/mm/yyyy", "font_name": "Times New Roman"})
    for i, unit in enumerate(result.units):
        r = first + i
        one_line = text_lines(unit.name, widths[2]) == 1 and text_lines(unit.file, widths[6]) == 1
        ws.set_row(r, ONE_LINE if one_line else max(row_height(unit.name, widths[2]), row_height(unit.file, widths[6])))
        day = (datetime.combine(unit.round_date, datetime.min.time()), date_style) if unit.round_date else (None, s["stt"])
        shown = unit.status != MISSING or unit.errors or unit.warnings
        ws.write_cells(r, [*_unit_cells(doc, i + 1, unit), (4, *day), (5, TIMELINESS_VI[unit.timeliness], s["uom"]), (6, unit.file, s["label"]),
                           (7, unit.errors if shown else "", s["stt"]), (8, unit.warnings if shown else "", s["stt"]), (9, unit.sha256, s["key"])])
    ws.repeat_rows(first - 1)
    ws.print_area(0, 0, last, 8)
    ws.autofilter(first - 1, 0, last, 9)


def write_problems(doc: SummaryBook, result: Consolidation) -> None:
    """`Lỗi dữ liệu`: every problem as an Excel table the centre can filter; messages wrapped in full."""
    ws = doc.sheet(PROBLEMS, "LỖI VÀ CẢNH BÁO DỮ LIỆU", _subtitle(result), PROBLEM_WIDTHS)
    write_problem_table(ws, doc.styles, result.problems, top=3, left=0, name="LoiDuLieu", period="Kỳ")


CHART_DATA_COL = 14


def _chart_scale_max(completions: Sequence[float]) -> float:
    """The value axis ends past 100 % and past the best unit, in tenths."""
    return max(1.2, math.ceil(max(completions, default=0) * 10) / 10 + 0.1)


CHART_UNITS = 35  # names a chart can show on one A4 page at 8 pt or more
CHART_PARTS = 3  # beyond this many charts an indicator shows only its lowest and highest units


def _count(n: int) -> str:
    """A count as Vietnamese print writes it: 1.000, not 1,000."""
    return f"{n:,}".replace(",", ".")


def _chart_parts(reported: Sequence[tuple[UnitResult, float]], units: int) -> list[tuple[list[tuple[UnitResult, float]], str]]:
    """The charts of one indicator, each (units in drawn order, title end): every reporting unit, high to low,
    when they fit on `CHART_PARTS` charts; else the `CHART_UNITS` lowest (lowest first) and the highest,
    as no one reads hundreds of charts and every unit's rank is in `Tổng hợp`. Ties go by unit code."""
    ranked = sorted(reported, key=lambda item: (-item[1], item[0].code))
    of = f"{_count(len(ranked))}/{_count(units)} đơn vị đã báo cáo (vạch đỏ: 100 %)"
    if len(ranked) > CHART_PARTS * CHART_UNITS:
        lowest = sorted(reported, key=lambda item: (item[1], item[0].code))[:CHART_UNITS]
        return [(lowest, f"{CHART_UNITS} đơn vị thấp nhất trong {of}"), (ranked[:CHART_UNITS], f"{CHART_UNITS} đơn vị cao nhất trong {of}")]
    parts = max(1, math.ceil(len(ranked) / CHART_UNITS))
    size = math.ceil(len(ranked) / parts)
    chunks = [ranked[part * size:(part + 1) * size] for part in range(parts)]
    return [(chunk, of + (f" – phần {part + 1}/{parts}" if parts > 1 else "")) for part, chunk in enumerate(chunks)]


def _chart_order(every: bool, some: bool) -> str:
    """The sheet's subtitle end: how the units on its charts were chosen and sorted."""
    pick = f"{CHART_UNITS} đơn vị thấp nhất (từ thấp lên cao) và {CHART_UNITS} đơn vị cao nhất (từ cao xuống thấp)"
    if every:
        return "mỗi chỉ tiêu: " + pick
    if some:
        return f"sắp xếp từ cao xuống thấp; chỉ tiêu có trên {CHART_PARTS * CHART_UNITS} đơn vị báo cáo: " + pick
    return "sắp xếp từ cao xuống thấp"


def _reported(result: Consolidation, code: str) -> list[tuple[UnitResult, float]]:
    """The units that reported an indicator, with their completion over the whole period."""
    return [(u, f.completion) for u in result.units if (f := u.figure(code, TOTAL)) and f.completion is not None]


def write_charts(doc: SummaryBook, result: Consolidation) -> None:
    """`Biểu đồ`: per indicator, the units that reported, sorted, every name shown, a red line at 100 %;
    one chart per printed page (A4 portrait), never cut by a page break; more units than a page holds
    continue on a second chart; past `CHART_PARTS` charts, only the lowest and the highest units are drawn.
    Only the drawn units' names and values are written beside the charts."""
    widths = [9.0] * 8
    reported = {code: _reported(result, code) for code in result.plan.indicators}
    many = [len(r) > CHART_PARTS * CHART_UNITS for r in reported.values()]
    selected = any(many)
    order = _chart_order(all(many) and selected, selected)
    ws = doc.sheet(CHARTS, "BIỂU ĐỒ TỶ LỆ HOÀN THÀNH THEO ĐƠN VỊ", _subtitle(result) + " – chỉ các đơn vị đã báo cáo, " + order, widths, landscape=False)
    s = doc.styles
    if selected:
        ws.merge_range(2, 0, 2, 7, f"Thứ hạng đầy đủ của cả {_count(len(result.units))} đơn vị: xem sheet «{TOTALS}».", s["note"])
    breaks, row = [], 3
    for n, code in enumerate(result.plan.indicators):
        col = CHART_DATA_COL + 2 * n
        label = indicator(code).short_label
        ws.write(3, col, label, s["header"])
        ws.write(3, col + 1, "%", s["header"])
        if not reported[code]:
            if n:
                breaks.append(row)
                row += 1
            ws.merge_range(row, 0, row, 7, f"{label}: chưa đơn vị nào báo cáo.", s["note"])
            row += 2
            continue
        top = _chart_scale_max([v for _, v in reported[code]])
        first = 4
        for part, (drawn, end) in enumerate(_chart_parts(reported[code], len(result.units))):
            for i, (unit, value) in enumerate(drawn):
                ws.write(first + i, col, unit.name)
                ws.write(first + i, col + 1, value, s["formula.percent"])
            if n or part:
                breaks.append(row)
                row += 1  # a chart starting right at a page break bleeds onto the page before
            title = f"{label}: % hoàn thành cả kỳ – {end}"
            row = _bar_chart(doc, ws, row, title, label, (first, first + len(drawn) - 1, col), top, len(drawn))
            first += len(drawn)
    for r in range(3, row + 1):
        ws.set_row(r, 15)
    if breaks:
        ws.set_h_pagebreaks(breaks)
    ws.print_area(0, 0, row, 7)


def _bar_chart(doc: SummaryBook, ws: Any, row: int, title: str, label: str, data: tuple[int, int, int], top: float, count: int) -> int:
    """One horizontal bar chart of completion by unit at `row`; returns the row after it."""
    first, last, col = data
    chart = doc.book.add_chart({"type": "bar"})
    chart.add_series({
        "name": label,
        "categories": [CHARTS, first, col, last, col],
        "values": [CHARTS, first, col + 1, last, col + 1],
        "fill": {"color": "#5B9BD5"}, "gap": 40,
        "data_labels": {"value": True, "num_format": "0%", "font": {"size": 9}},
    })
    chart.set_title({"name": title, "name_font": {"size": 11, "bold": True}, "overlay": False})
    chart.set_y_axis({"reverse": True, "num_font": {"size": 9}, "interval_unit": 1, "major_tick_mark": "none"})
    chart.set_x_axis({
        "num_format": "0%", "min": 0, "max": top, "major_unit": 1, "minor_unit": 0.1, "num_font": {"size": 9},
        "major_gridlines": {"visible": True, "line": {"color": "#C00000", "width": 2, "dash_type": "dash"}},
        "minor_gridlines": {"visible": True, "line": {"color": "#E7E6E6"}},
    })
    chart.set_legend({"none": True})
    height = min(int((printable_height(landscape=False) - 110) / 0.75), 110 + 22 * count)
    chart.set_size({"width": 540, "height": height})
    ws.insert_chart(row, 0, chart, {"object_position": 3})
    return row + math.ceil(height * 0.75 / 15) + 1


def write_headline(doc: SummaryBook, result: Consolidation) -> None:
    """`Tóm tắt`: what leadership reads first: who reported and when, completion of the reporting units
    beside the whole country's, the units furthest behind, what provinces ask of the centre."""
    widths = (5, 28, 9, 9, 13, 13, 9, 13, 9)
    ws = doc.sheet(HEADLINE, "BÁO CÁO NHANH KẾT QUẢ THỰC HIỆN CHỈ TIÊU", _subtitle(result), widths)
    s = doc.styles
    units = len(result.units)
    last = TOTALS_FIRST + units - 1
    total_row, reporting_row = last + 1, last + 2
    row = 3
    row = _headline_section(ws, s, row, "1. Tình hình báo cáo", widths)
    reporting = f"'{REPORTING}'!$C$"
    counts = (("Số đơn vị đã báo cáo (được chấp nhận)", f"={reporting}6"), ("Số đơn vị phải báo cáo", f"={reporting}4"),
              ("Báo cáo đúng hạn", f"={reporting}9"), ("Báo cáo trễ hạn", f"={reporting}10"),
              ("Chưa nộp", f"={reporting}8"), ("Bị từ chối (lỗi không dùng được)", f"={reporting}7"))
    for label, formula in counts:
        ws.merge_range(row, 0, row, 1, label, s["label"])
        ws.write_formula(row, 2, formula, s["formula.count"], "")
        row += 1
    ws.merge_range(row, 0, row, 1, "Tỷ lệ đã báo cáo", s["label"])
    ws.write_formula(row, 2, f"=IFERROR(C{row - 5}/C{row - 4},\"\")", s["formula.percent"], "")
    row += 2
    row = _headline_section(ws, s, row, "2. Kết quả thực hiện cả kỳ (Σ thực hiện ÷ Σ chỉ tiêu, không lấy bình quân các tỷ lệ)", widths)
    top = row
    headers = ("STT", "Chỉ tiêu", "Đơn vị tính")
    groups = (("Các đơn vị đã báo cáo", ("Số đơn vị", "Chỉ tiêu", "Thực hiện", "% hoàn thành")),
              ("Cả nước (tất cả đơn vị)", ("Chỉ tiêu", "% hoàn thành")))
    _headers(doc, ws, top, headers, groups, widths)
    row = top + 2
    for n, code in enumerate(result.plan.indicators):
        c = 4 + 4 * n
        item = indicator(code)
        ws.write(row, 0, n + 1, s["stt"])
        ws.write(row, 1, item.label, s["label"])
        ws.set_row(row, row_height(item.label, widths[1]))
        ws.write(row, 2, item.unit, s["uom"])
        ref = lambda r, k, c=c: f"'{TOTALS}'!{cell_ref(r, c + k, absolute=True)}"  # noqa: E731 - a local shorthand
        ws.write_formula(row, 3, f"={ref(reporting_row, 3)}", s["stt"], "")
        ws.write_formula(row, 4, f"={ref(reporting_row, 0)}", s["formula.count"], "")
        ws.write_formula(row, 5, f"={ref(reporting_row, 1)}", s["formula.count"], "")
        ws.write_formula(row, 6, _pct(cell_ref(row, 5), cell_ref(row, 4)), s["formula.percent"], "")
        ws.write_formula(row, 7, f"={ref(total_row, 0)}", s["formula.count"], "")
        ws.write_formula(row, 8, _pct(cell_ref(row, 5), cell_ref(row, 7)), s["formula.percent"], "")
        row += 1
    for col in (6, 8):
        doc.completion_colours(ws, top + 2, col, row - 1)
    ws.merge_range(row, 0, row, 8, "Cả nước: thực hiện của các đơn vị đã báo cáo chia cho chỉ tiêu của tất cả các đơn vị; "
                   "khi còn đơn vị chưa báo cáo, tỷ lệ này thấp hơn thực tế.", s["note"])
    row += 1
    ws.set_h_pagebreaks([row])
    row = _headline_section(ws, s, row, "3. Các đơn vị có tỷ lệ hoàn thành thấp nhất (cả kỳ)", widths)
    for col, text in enumerate(("STT", "Chỉ tiêu", "Đơn vị", "", "% hoàn thành")):
        if col != 3:
            ws.write(row, col, text, s["header"])
    ws.merge_range(row, 2, row, 3, "Đơn vị", s["header"])
    row += 1
    for n, code in enumerate(result.plan.indicators):
        c = 4 + 4 * n
        behind = sorted(((u, f.completion) for i, u in enumerate(result.units)
                         if (f := u.figure(code, TOTAL)) and f.completion is not None), key=lambda item: (item[1], item[0].code))[:3]
        for k, (unit, _value) in enumerate(behind or [(None, None)]):
            ws.write(row, 0, n + 1 if k == 0 else "", s["stt"])
            ws.write(row, 1, indicator(code).short_label if k == 0 else "", s["label"])
            ws.merge_range(row, 2, row, 3, unit.name if unit else "Chưa có đơn vị báo cáo", s["label"])
            if unit:
                unit_row = TOTALS_FIRST + result.units.index(unit)
                ws.write_formula(row, 4, f"='{TOTALS}'!{cell_ref(unit_row, c + 2, absolute=True)}", s["formula.percent"], "")
            else:
                ws.write_blank(row, 4, None, s["blank.count"])
            row += 1
    row += 1
    row = _headline_section(ws, s, row, "4. Khó khăn, kiến nghị của các đơn vị (Mẫu 02, kỳ báo cáo mới nhất)", widths)
    noted = [u for u in result.units if u.latest_note()]
    for col, text in enumerate(("STT", "Đơn vị")):
        ws.write(row, col, text, s["header"])
    ws.merge_range(row, 2, row, 8, "Nội dung", s["header"])
    row += 1
    for i, unit in enumerate(noted, start=1):
        note = unit.latest_note()
        ws.write(row, 0, i, s["stt"])
        ws.write(row, 1, unit.name, s["label"])
        ws.merge_range(row, 2, row, 8, note, s["label"])
        ws.set_row(row, row_height(note, merged_width(widths[2:])))
        row += 1
    if not noted:
        ws.merge_range(row, 0, row, 8, "Chưa đơn vị nào ghi khó khăn, kiến nghị.", s["note"])
        row += 1
    ws.print_area(0, 0, row, 8)
    ws.activate()


def _headline_section(ws: Any, s: Any, row: int, text: str, widths: Sequence[float]) -> int:
    """A bold section heading over the whole width; returns the next row."""
    ws.merge_range(row, 0, row, len(widths) - 1, text, s["section"])
    ws.set_row(row, row_height(text, merged_width(widths), 11, True))
    return row + 1


def write_hidden(doc: SummaryBook, result: Consolidation, sources: Mapping[str, Source], generated_at: datetime) -> None:
    """`_meta` (identity) and `_data` (the figures used, for the next consolidation)."""
    meta = doc.worksheet("_meta", None)
    rows = [("#keys _meta", ""), ("tool", "workbook-tools"), ("tool_version", __version__), ("kind", NATIONAL_KIND),
            ("plan_id", result.plan.id), ("structure", result.structure), ("generated_at", generated_at.isoformat(timespec="seconds")),
            ("round_deadline", result.round_deadline.isoformat() if result.round_deadline else "")]
    for r, (key, value) in enumerate(rows):
        meta.write_string(r, 0, key)
        meta.write_string(r, 1, value)
    meta.hide()
    data = doc.worksheet(DATA_SHEET, InlineRowSheet)  # rows in an unnamed file: none left behind by a stop
    data.write_cells(0, [(col, name, None) for col, name in enumerate(DATA_COLUMNS)])
    r = 1
    for unit, source in sorted(sources.items()):
        base = [unit, source.round_date.isoformat() if source.round_date else "", source.file, source.sha256, FIGURES_ROW, "", None]
        for chunk in figures_cells(source):
            base[6] = chunk
            data.write_cells(r, [(col, value, None) for col, value in enumerate(base)])
            r += 1
    data.hide()
    meta.write_string(len(rows), 0, "data_rows")
    meta.write_number(len(rows), 1, r)
    for name, value in (("kind", NATIONAL_KIND), ("plan_id", result.plan.id), ("structure", result.structure)):
        doc.book.set_custom_property(f"wt_{name}", value)


FIGURE_SHEETS = (MONTHS, SHOWN_SHEET)
"""The sheets of every unit's monthly figures (most of the book), written by a forked child while the parent writes the rest."""
INLINE_SHEETS = (TOTALS, *FIGURE_SHEETS)
"""Sheets whose text is written inline: those the child writes, and `Tổng hợp` (its text as when the child wrote it)."""
SHOWN = ((SHOWN_SHEET, InlineRowSheet),)
PACKED_HERE = (TOTALS, TASKS, REPORTING, DATA_SHEET)
"""The parent's big sheets whose parts depend on nothing the book prepares when it closes (no chart, table, active tab)."""
FIGURE_STYLES = ("title", "subtitle", "header", "stt", "label", "uom", "section", "target.count", "formula.count", "formula.percent", "blank.count")
"""Every style the figure sheets use (numbered before the child starts: a child meeting another one gives up)."""


def write_figures(doc: SummaryBook, result: Consolidation) -> None:
    """`Theo tháng`, and `_shown`: what the figure sheets showed, for finding hand edits later."""
    write_months(doc, result)
    write_shown(doc.worksheet(SHOWN_SHEET, InlineRowSheet), doc.shown)


def render_figures(doc: SummaryBook, result: Consolidation, file: Path) -> None:
    """In a forked child: the figure sheets, packed into `file` for the parent's book (`LightZipBook.adopt`)."""
    styles = len(doc.book.formats)
    write_figures(doc, result)
    if len(doc.book.formats) != styles:
        raise RuntimeError("a style not numbered before the fork (FIGURE_STYLES)")
    render_sheets([doc.worksheet(name) for name in FIGURE_SHEETS], file)


def write_book(doc: SummaryBook, result: Consolidation, stamp: datetime, meanwhile: Callable[[], None] | None = None) -> None:
    """Every sheet, the figure sheets in a forked child when there is one (the other core), then the book closed;
    `meanwhile` is called once this process's sheets are done, while the child may still be at work."""
    doc.book.set_properties({"title": f"Tổng hợp {result.plan.id}", "author": "BHXH Việt Nam – Ban Quản lý Thu – Sổ, Thẻ", "created": stamp})
    doc.reserve([(name, InlineRowSheet if name in INLINE_SHEETS else RowSheet) for name in SHEETS])  # `_meta`, `_data` when written
    doc.number_styles(FIGURE_STYLES)
    record_totals_shown(doc, result)
    record_tasks_shown(doc, result)
    with made_in_child(lambda file: render_figures(doc, result, file), ".sheets") as figures:
        write_headline(doc, result)
        for writer in (write_totals, write_tasks, write_reporting, write_problems, write_charts):
            writer(doc, result)
        write_hidden(doc, result, result.sources, stamp)
        doc.reserve(SHOWN)  # last, after `_data` (in the child, after `Biểu đồ`: a sheet's place is not in its XML)
        doc.book.pack(doc.worksheet(name) for name in PACKED_HERE)  # deflated while the child works, not after
        if meanwhile is not None:
            meanwhile()
        made = figures.take()
        if made is None or not doc.book.adopt(made, FIGURE_SHEETS):
            write_figures(doc, result)  # no child, or it failed: the same sheets, here
            doc.book.pack(doc.worksheet(name) for name in FIGURE_SHEETS)
        doc.book.close()


def write_summary(result: Consolidation, path: Path, *, force: bool = False, discard_hand_edits: bool = False,
                  generated_at: datetime | None = None, hand_edits_checked: bool = False, cache: bool = True) -> None:
    """Write the national workbook atomically; refuse to replace a file this tool did not write, or figures
    changed by hand in the one it wrote (`hand_edits`), unless forced. With `cache`, the SHA-256 of the bytes
    written is noted, so the next round need not search a workbook nobody has touched."""
    stamp = generated_at or datetime.now().replace(microsecond=0)
    written: list[str] = []
    noted: list[Any] = []

    def note() -> None:
        try:
            noted.append(held_as_written(result.sources))  # what `_data` reads back as: for the note of the bytes written
        except Exception:  # noqa: BLE001 - the note only saves the next round time: the workbook is written whatever it meets
            noted.clear()

    def write(temporary: Path) -> None:
        with collector_paused():
            write_book(SummaryBook(temporary, result.plan.document.citation()), result, stamp, note if cache else None)
        written.append(file_sha256(temporary))  # the bytes renamed into place

    if not (force or discard_hand_edits or hand_edits_checked) and path.is_file() and is_ours(path):
        refuse_hand_edits(path, cache=cache)  # unless the caller did, under the same lock (`held.prior_figures`)
    write_output(path, write, ours=is_ours, force=force)
    if cache:
        remember_written(path, written[-1], noted[-1] if noted else None)  # while these bytes stay, the next round takes the figures
        # from the note and need not search the workbook for hand edits
