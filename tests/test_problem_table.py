"""The problem table both national workbooks print (`Lỗi dữ liệu`, `Lỗi báo cáo ngày`): one function writes it, so the
two agree: an Excel table to filter, its header repeated on every page, every message wrapped in full."""

from __future__ import annotations

import openpyxl
import pytest

from workbook_tools.paper import text_lines
from workbook_tools.problem_table import PROBLEM_WIDTHS, TYPE_SIZE, write_problem_table
from workbook_tools.problems import problem
from workbook_tools.summary import SummaryBook

from .libreoffice import convert
from .printed import pages

LONG = "01-ha-noi-bao-cao-thang-10-ban-sua-lan-thu-hai-gui-qua-thu-dien-tu.xlsx"


def _book(tmp_path, problems, period: str, left: int):
    path = tmp_path / f"{period}-{left}.xlsx"
    doc = SummaryBook(path, "Kế hoạch 2800/KH-BHXH")
    ws = doc.sheet("Lỗi", "LỖI VÀ CẢNH BÁO DỮ LIỆU", "thử", PROBLEM_WIDTHS)
    ws.set_column(0, 0, 4)  # as the daily book's key column (not printed), when the table starts at B
    last = write_problem_table(ws, doc.styles, problems, top=3 + left, left=left, name=f"Loi{left}", period=period)
    ws.print_area(0, left, last, left + 8)
    doc.book.close()
    return path, last


@pytest.mark.parametrize("period, left", [("Kỳ", 0), ("Ngày", 1)])
def test_every_problem_is_a_row_of_a_filterable_table_tall_enough_for_its_message(tmp_path, period, left):
    many = [problem("duplicate_unit", LONG if n % 7 == 0 else f"{n:02d}.xlsx", f"{n:02d}", kept=f"{n:02d}-moi.xlsx") for n in range(60)]
    path, last = _book(tmp_path, many, period, left)
    ws = openpyxl.load_workbook(path)["Lỗi"]
    top = 3 + left
    table = next(iter(ws.tables.values()))
    assert table.ref == f"{'AB'[left]}{top + 1}:{'IJ'[left]}{top + 61}" and last == top + 60
    assert [c.value for c in ws[top + 1][left:left + 9]] == ["Tệp", "Đơn vị", "Sheet", "Ô", "Chỉ tiêu", period, "Mức độ", "Mã lỗi", "Nội dung"]
    assert ws.print_title_rows == f"${top + 1}:${top + 1}"
    for n, p in enumerate(many):
        row = top + 2 + n
        assert ws.cell(row, left + 9).value == p.message and ws.cell(row, left + 7).value == "Cảnh báo"
        lines = max(text_lines(p.message, PROBLEM_WIDTHS[8], TYPE_SIZE), text_lines(p.file, PROBLEM_WIDTHS[0], TYPE_SIZE))
        assert ws.row_dimensions[row].height >= lines * TYPE_SIZE * 1.25
        assert ws.cell(row, left + 9).alignment.wrap_text


def test_an_empty_table_says_there_is_nothing(tmp_path):
    path, last = _book(tmp_path, [], "Kỳ", 0)
    ws = openpyxl.load_workbook(path)["Lỗi"]
    assert ws.cell(last + 1, 1).value == "Không có lỗi hay cảnh báo nào." and ws.tables["Loi0"].ref == "A4:I5"


def test_the_printed_table_repeats_its_header_and_cuts_no_column(tmp_path):
    many = [problem("duplicate_unit", LONG, f"{n:02d}", kept=f"{n:02d}-moi.xlsx") for n in range(60)]
    path, _ = _book(tmp_path, many, "Ngày", 1)
    printed = pages(convert([path], tmp_path / "pdf", to="pdf", force=False)[0])
    assert len(printed) > 1
    for page in printed:
        words = page.text.split()
        assert {"Tệp", "Mã", "Nội", "dung", "Ngày"} <= set(words) and "Trang" in page.footer()
        assert sum(w.startswith("duplicate_unit") for w in words) == words.count("Cảnh")  # every row whole on its page
        assert min(page.body_sizes()) >= 7.95
