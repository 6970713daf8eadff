"""The daily workbooks on paper: printed to PDF by LibreOffice, measured with `pdftotext -bbox`.

One soffice call prints a unit's 10-day workbook as returned (63 units), the default whole-campaign
workbook (122 days), a 34-unit one and the national daily workbook. Word boxes give the type size
(calibrated on the 14 pt title printed at the sheets' scale): nothing under 8 pt; every page of a
continued table carries its header rows and label columns; the unit's report ends with the place,
date and signatures; the footer names the Công điện and the plan, not the tool; one chart a page.
"""

from __future__ import annotations

import re
import subprocess
from datetime import date, time, timedelta
from pathlib import Path
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner

from workbook_tools.cli import main
from workbook_tools.daily_print import MIN_PRINTED_TYPE, SCALE
from workbook_tools.plans import load_plan

from .daily_returns import DailyFiller
from .libreoffice import convert

PLAN = "2800-2021"
FIRST = date(2021, 12, 1)
TITLE_PT = 14


def _generate(root: Path, name: str, *args: str) -> list[Path]:
    result = CliRunner().invoke(main, ["daily", "generate", "--plan", PLAN, "--out", str(root / name), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return sorted((root / name).glob("*.xlsx"))


def _filled(blank: Path, out: Path, n: int) -> Path:
    """A return of five days, levels from 70 % to 90 % of the unit's targets (as the 63-unit plan sets them)."""
    data = load_plan(PLAN)
    unit = blank.name.split("-")[0]
    cells: dict[tuple[str, str], object] = {("report_date", "uom"): FIRST + timedelta(days=4), ("reporter", "uom"): "Nguyễn Thị Thanh Hương"}
    for k in range(5):
        key = f"day:{(FIRST + timedelta(days=k)).isoformat()}"
        cells[(key, "time")] = time(15 if n % 9 else 16, 10 + k)
        cells[(key, "note")] = "Đôn đốc đơn vị nợ đóng kéo dài; phối hợp Bưu điện vận động BHXH tự nguyện" if n % 7 == 3 else "Bình thường"
        for code in ("bhxh_bb", "bhxh_tn", "bhyt", "thu"):
            target = data.value(unit, code) or 1_000
            share = 0.7 + 0.2 * ((n * 7) % 10) / 10 + 0.01 * k
            cells[(key, f"level:{code}")] = round(target * share, 1) if code == "thu" else int(target * share)
    return DailyFiller(blank).write(cells, out)


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    root = tmp_path_factory.mktemp("paper")
    ten = _generate(root, "g10", "--from", FIRST.isoformat(), "--to", (FIRST + timedelta(days=9)).isoformat())
    whole = _generate(root, "g122", "--unit", "01")
    small = _generate(root, "g34", "--structure", "34", "--unit", "79", "--from", FIRST.isoformat(), "--to", (FIRST + timedelta(days=9)).isoformat())
    returns = root / "returns"
    returns.mkdir()
    sent = [_filled(blank, returns / blank.name, n) for n, blank in enumerate(ten)]
    out = CliRunner().invoke(main, ["daily", "consolidate", str(returns), "--out", str(root / "national.xlsx"),
                                  "--manifest", str(root / "g10" / "manifest.json")], catch_exceptions=False)
    assert out.exit_code == 0, out.output
    sources = {"unit10": sent[0], "unit122": whole[0], "unit34": _filled(small[0], root / "unit34-filled.xlsx", 0), "national": root / "national.xlsx"}
    named = root / "named"
    named.mkdir()
    files = []
    for name, path in sources.items():
        files.append(named / f"{name}.xlsx")
        files[-1].write_bytes(path.read_bytes())
    pdfs = convert(files, root / "pdf", to="pdf", force=False)
    return {path.stem: _pages(path) for path in pdfs}


def _pages(pdf: Path) -> list[dict]:
    """Each page: its height and its words (text, x, y, box height)."""
    xml = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, check=True).stdout
    xml = re.sub(rb"<!DOCTYPE[^>]*>", b"", xml)
    root = ElementTree.fromstring(xml)
    pages = []
    for page in root.iter("{http://www.w3.org/1999/xhtml}page"):
        words = [(w.text or "", float(w.get("xMin")), float(w.get("yMin")), float(w.get("yMax")) - float(w.get("yMin")))
                 for w in page.iter("{http://www.w3.org/1999/xhtml}word")]
        pages.append({"height": float(page.get("height")), "words": words, "text": " ".join(w[0] for w in words)})
    return pages


def _points_per_box(pages: list[dict], title_word: str) -> float:
    """Box height of one point of type, from the title (14 pt at the sheets' scale)."""
    heights = [h for page in pages for text, _, _, h in page["words"] if text == title_word]
    assert heights, title_word
    return max(heights) / (TITLE_PT * SCALE / 100)


@pytest.mark.parametrize("name, title", [("unit10", "NHANH"), ("unit122", "NHANH"), ("unit34", "NHANH"), ("national", "NƯỚC")])
def test_no_type_under_8_pt_on_paper(printed, name, title):
    pages = printed[name]
    ratio = _points_per_box(pages, title)
    smallest = min((h / ratio, text, n) for n, page in enumerate(pages, start=1) for text, _, _, h in page["words"])
    assert smallest[0] >= MIN_PRINTED_TYPE - 0.05, smallest


@pytest.mark.parametrize("name", ["unit10", "unit122", "unit34"])
def test_every_page_of_the_unit_report_carries_header_rows_and_label_columns(printed, name):
    pages = printed[name]
    report = [page for page in pages if "Hướng dẫn" not in page["text"] and "HƯỚNG DẪN" not in page["text"]]
    assert len(report) >= 3, len(report)
    for number, page in enumerate(report, start=1):
        words = page["text"].split()
        assert {"STT", "Ngày", "Thứ", "Lũy", "báo"} <= set(words), (name, number)
        assert "ngày" in page["text"] and re.search(r"\d\d/12/2021", page["text"]), (name, number)
    if name == "unit122":
        assert "31/12/2021" in report[-1]["text"] and "01/09/2021" in report[0]["text"]


def test_unit_report_ends_with_place_date_and_signatures(printed):
    last = printed["unit10"][-1]["text"]
    assert "Hà Nội, ngày 5 tháng 12 năm 2021" in last
    assert "NGƯỜI LẬP BIỂU" in last and "GIÁM ĐỐC" in last and "(Ký tên, đóng dấu)" in last
    assert "Hà Nội, ngày ... tháng ... năm ..." in printed["unit122"][-1]["text"]


@pytest.mark.parametrize("name", ["unit10", "unit122", "unit34", "national"])
def test_footer_names_the_cong_dien_and_the_plan_not_the_tool(printed, name):
    for page in printed[name]:
        footer = " ".join(text for text, _, y, _ in page["words"] if y > page["height"] - 45)
        assert "Công điện" in footer and "2800/KH-BHXH" in footer and "Trang" in footer, footer
        assert "workbook-tools" not in footer


def test_national_tables_repeat_their_headers_and_each_chart_has_its_page(printed):
    pages = printed["national"]
    for sheet in ("Tiến độ theo ngày", "Đơn vị trong ngày"):
        own = [page for page in pages if sheet in page["text"][:200]]
        assert len(own) >= 2, sheet
        for page in own:
            assert {"STT", "Ngày" if sheet.startswith("Tiến") else "Đơn"} <= set(page["text"].split()), sheet
    trend = [n for n, page in enumerate(pages) if "% chỉ tiêu kế hoạch đạt được theo ngày" in page["text"]]
    reports = [n for n, page in enumerate(pages) if "Số đơn vị báo cáo theo ngày" in page["text"]]
    assert len(trend) == 1 and set(reports) - set(trend), (trend, reports)


def test_the_units_sums_row_never_stands_alone_on_a_page(printed):
    """`Đơn vị trong ngày`, 63 units and their sums row: pages filled evenly (before, each indicator's last page held the
    sums row alone)."""
    own = [page for page in printed["national"] if "Đơn vị trong ngày" in page["text"][:200]]
    for page in own:
        codes = {text for text, x, _, _ in page["words"] if re.fullmatch(r"\d\d", text) and x < 120}  # STT and Mã columns
        assert len(codes) >= 10, page["text"][:300]
    assert sum("Cộng các tỉnh" in page["text"] for page in own) >= 4
