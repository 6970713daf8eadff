"""The table of problems a national workbook shows (`Lỗi dữ liệu` of the rounds, `Lỗi báo cáo ngày` of the daily report).

One Excel table the centre can filter, with its header row repeated on every printed page, each message wrapped
in full and each row as tall as its longest text (neither Excel nor LibreOffice fits wrapped rows on opening).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .paper import row_height
from .problems import Problem

PROBLEM_WIDTHS = (16, 6, 8, 6, 10, 10, 8, 16, 34)
"""Tệp, Đơn vị, Sheet, Ô, Chỉ tiêu, period, Mức độ, Mã lỗi, Nội dung: one A4 landscape page wide at 90 %."""
TYPE_SIZE = 10  # the `problem` style's


def problem_cells(problem: Problem) -> list[str]:
    """A problem's row of the table, its severity in Vietnamese."""
    p = problem
    return [p.file, p.unit, p.sheet, p.cell, p.indicator, p.period, "Lỗi" if p.is_error else "Cảnh báo", p.code, p.message]


def write_problem_table(ws: Any, styles: Any, problems: Sequence[Problem], *, top: int, left: int, name: str, period: str) -> int:
    """The table at (top, left), headed `period` for the problems' period column (Kỳ, Ngày); a sentence under an
    empty table says there is nothing. Returns the table's last printed row."""
    headers = ("Tệp", "Đơn vị", "Sheet", "Ô", "Chỉ tiêu", period, "Mức độ", "Mã lỗi", "Nội dung")
    for k, width in enumerate(PROBLEM_WIDTHS):
        ws.set_column(left + k, left + k, width)
    rows = [problem_cells(p) for p in problems]
    right = left + len(headers) - 1
    ws.add_table(top, left, top + max(len(rows), 1), right,
                 {"name": name, "style": "Table Style Light 9", "columns": [{"header": h} for h in headers]})
    for k, text in enumerate(headers):
        ws.write_string(top, left + k, text, styles["header"])  # the table's style does not print in LibreOffice
    ws.set_row(top, max(row_height(h, w, 11, True, 18) for h, w in zip(headers, PROBLEM_WIDTHS)))
    wrapped = styles["problem"]
    for r, row in enumerate(rows, start=top + 1):
        for k, value in enumerate(row):
            ws.write_string(r, left + k, value or "", wrapped)
        ws.set_row(r, max(row_height(str(v or ""), w, TYPE_SIZE) for v, w in zip(row, PROBLEM_WIDTHS)))
    ws.repeat_rows(top)
    if rows:
        return top + len(rows)
    ws.merge_range(top + 2, left, top + 2, right, "Không có lỗi hay cảnh báo nào.", styles["note"])  # under the table's empty row
    return top + 2
