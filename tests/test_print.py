"""What people print: every sheet of province workbooks and of a national summary, printed to PDF by
LibreOffice as a person would (A4, the file's own print setup), read back word by word."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from click.testing import CliRunner

from workbook_tools.cli import main
from workbook_tools.plans import load_plan

from .libreoffice import convert
from .printed import Page, pages
from .workbooks import fill

pytestmark = pytest.mark.libreoffice
SMALLEST_TYPE = 8.0
FORM_SHEETS = ("Chỉ tiêu", "Mẫu 01", "Mẫu 02")
# words (single, as wrapped headers print them) a page of each table must show. The first header
# cell sits where the repeated header rows meet the repeated label columns, so it is on a page only
# when both repeat.
HEADERS = {
    "Chỉ tiêu": ("STT", "tính"),
    "Mẫu 01": ("STT", "tính"),
    "Mẫu 02": ("STT", "tính", "Nội"),
    "Tổng hợp": ("STT", "Tình", "Xếp"),
    "Theo tháng": ("Mã", "Thực", "%"),
    "Nhiệm vụ": ("STT", "Tình", "đồng)"),
    "Tình hình nộp báo cáo": ("STT", "Ngày", "Thời"),
    "Lỗi dữ liệu": ("Mã", "Nội"),
}


def _run(args: list[str]) -> None:
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output


@pytest.fixture(scope="module")
def printed(tmp_path_factory) -> dict[str, list[Page]]:
    """A 4-month flow plan on 63 units, a 12-month stock plan regrouped onto 34, a national summary: one soffice call."""
    root = tmp_path_factory.mktemp("print")
    _run(["generate", "--plan", "2800-2021", "--out", str(root / "2800"), "--unit", "01", "--unit", "79", "--unit", "15"])
    _run(["generate", "--plan", "1813-2025", "--structure", "34", "--out", str(root / "1813"), "--unit", "15"])
    data = load_plan("2800-2021")
    (root / "returns").mkdir()
    for share, code in ((0.6, "01"), (1.1, "79")):
        source = next((root / "2800").glob(f"{code}-*.xlsx"))
        values = {("mau01", "round_date", "uom"): dt.date(2021, 10, 31),
                  ("mau02", "ghi_chu", "value:2021-10"): f"Đơn vị {code} đề nghị bổ sung kinh phí tuyên truyền."}
        for ind in data.plan.indicators:
            values[("mau01", ind, "actual:2021-09")] = round((data.value(code, ind, "2021-09") or 10) * share)
        fill(source, values, root / "returns" / source.name)
    _run(["consolidate", str(root / "returns"), "--plan", "2800-2021", "--out", str(root / "tong-hop.xlsx")])
    files = [root / "returns" / "01-ha-noi.xlsx", next((root / "1813").glob("15-*.xlsx")), root / "tong-hop.xlsx"]
    pdfs = convert(files, root / "pdf", to="pdf", force=True)
    return {pdf.stem: pages(pdf) for pdf in pdfs}


def _sheet_of(page: Page) -> str:
    """The sheet a page belongs to, from its footer ('… · SHEET   Trang n/N')."""
    match = re.search(r"· (.+?) Trang \d+/\d+", page.footer())
    assert match, page.footer()
    return match.group(1)


def test_no_printed_word_is_smaller_than_8_pt(printed):
    for name, book in printed.items():
        for page in book:
            small = [(w.text, round(w.size, 1)) for w in page.words if w.size < SMALLEST_TYPE - 0.05]
            assert not small, f"{name} page {page.number} ({_sheet_of(page)}): {small[:8]}"


def test_every_page_of_a_continued_table_repeats_its_headers(printed):
    continued = set()
    for name, book in printed.items():
        by_sheet: dict[str, list[Page]] = {}
        for page in book:
            by_sheet.setdefault(_sheet_of(page), []).append(page)
        for sheet, sheet_pages in by_sheet.items():
            if len(sheet_pages) > 1 and sheet in HEADERS:
                continued.add(sheet)
            for page in sheet_pages:
                for word in HEADERS.get(sheet, ()):
                    assert word in {w.text for w in page.words}, f"{name}: '{sheet}' page {page.number} lacks its header '{word}'"
    assert {"Mẫu 01", "Mẫu 02", "Tổng hợp", "Theo tháng", "Nhiệm vụ"} <= continued


def test_every_sheet_is_printed_and_the_forms_sign_on_their_last_page(printed):
    sheets = {name: [_sheet_of(p) for p in book] for name, book in printed.items()}
    assert set(FORM_SHEETS) | {"Hướng dẫn"} <= set(sheets["01-ha-noi"])
    assert {"Tóm tắt", "Tổng hợp", "Theo tháng", "Nhiệm vụ", "Tình hình nộp báo cáo", "Lỗi dữ liệu", "Biểu đồ"} <= set(sheets["tong-hop"])
    for name in ("01-ha-noi", "15-lao-cai"):
        for form in ("Mẫu 01", "Mẫu 02"):
            form_pages = [p for p in printed[name] if _sheet_of(p) == form]
            assert "GIÁM ĐỐC" in form_pages[-1].text and "ngày …… tháng …… năm" in form_pages[-1].text


def test_charts_one_per_page_with_only_the_units_that_reported(printed):
    chart_pages = [p for p in printed["tong-hop"] if _sheet_of(p) == "Biểu đồ"]
    indicators = load_plan("2800-2021").plan.indicators
    assert len(chart_pages) == len(indicators)
    for page in chart_pages:
        assert page.text.count("% hoàn thành cả kỳ") == 1, page.text
        assert "2/63 đơn vị đã báo cáo" in page.text
        assert "Hà Nội" in page.text and "TP Hồ Chí Minh" in page.text and "Yên Bái" not in page.text
        assert "100%" in page.text


def test_a_merged_unit_names_its_former_provinces_and_no_form_counts_in_số_lượng(printed):
    targets = [p for p in printed["15-lao-cai"] if _sheet_of(p) in ("Chỉ tiêu", "Báo cáo kỳ")]
    assert targets and all("hợp nhất: Lào Cai, Yên Bái." in p.text for p in targets[:1])
    assert any("hợp nhất: Lào Cai, Yên Bái." in p.text for p in targets if _sheet_of(p) == "Báo cáo kỳ")
    for name in ("01-ha-noi", "15-lao-cai"):
        assert not any("số lượng" in p.text for p in printed[name])
    hanoi = " ".join(p.text for p in printed["01-ha-noi"])
    assert "hợp nhất" not in hanoi and "workbook-tools ·" not in hanoi
