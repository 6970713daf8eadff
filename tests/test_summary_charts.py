"""The `Biểu đồ` sheet as leadership reads it: every reporting unit charted for 63 or 34 units; for
hundreds of communes, only the units furthest behind and the best, titled as a selection."""

from __future__ import annotations

import re
import zipfile

import pytest
from python_calamine import CalamineWorkbook

from workbook_tools.check import ACCEPTED
from workbook_tools.consolidate import Consolidation, Figure, UnitResult, sum_figures
from workbook_tools.indicators import indicator
from workbook_tools.plans import TOTAL, load_plan
from workbook_tools.spec import col_letter
from workbook_tools.summary import CHART_UNITS, CHARTS, write_summary
from workbook_tools.units import structure

from .libreoffice import convert
from .printed import pages

COMMUNES = 300


def _summary(path, units):
    """The national workbook of these units, written as `consolidate` writes it."""
    plan = load_plan("2800-2021").plan
    write_summary(Consolidation(plan, "63", None, None, units, sum_figures([u.values for u in units])), path)
    return plan


def _charts(path):
    """(title, unit names drawn top to bottom) of every chart, in the order they were added."""
    grid = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(CHARTS).to_python(skip_empty_area=False)
    letters = {col_letter(c): c for c in range(60)}
    with zipfile.ZipFile(path) as archive:
        names = sorted((n for n in archive.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n)), key=lambda n: int(re.sub(r"\D", "", n)))
        xmls = [archive.read(n).decode() for n in names]
    charts = []
    for xml in xmls:
        title = "".join(re.findall(r"<a:t>(.*?)</a:t>", re.search(r"<c:title>.*?</c:title>", xml, re.S).group(0)))
        col, first, last = re.search(r"<c:cat>.*?\$([A-Z]+)\$(\d+):\$[A-Z]+\$(\d+)", xml, re.S).groups()
        charts.append((title, [grid[r - 1][letters[col]] for r in range(int(first), int(last) + 1)]))
    return charts, grid


def _communes(plan):
    """300 communes with many tied completions; one commune reports nothing for the second indicator."""
    units = []
    for n in range(COMMUNES):
        code = f"{n + 1:05d}"
        values = [Figure(ind, TOTAL, 100.0, None if (k == 1 and n == 7) else float((n * 37 + 11 * k) % 120)) for k, ind in enumerate(plan.indicators)]
        units.append(UnitResult(code, f"Xã {code}", ACCEPTED, values))
    return units


def test_a_63_unit_summary_still_charts_every_unit_high_to_low_on_two_charts(tmp_path):
    plan = load_plan("2800-2021").plan
    units = [UnitResult(u.code, u.name, ACCEPTED, [Figure(code, TOTAL, 100.0, float((n * 7) % 40)) for code in plan.indicators])
             for n, u in enumerate(structure("63").units)]
    _summary(tmp_path / "n.xlsx", units)
    charts, _ = _charts(tmp_path / "n.xlsx")
    assert len(charts) == 2 * len(plan.indicators)
    for n, code in enumerate(plan.indicators):
        ranked = sorted(units, key=lambda u: (-u.figure(code, TOTAL).completion, u.code))
        label = indicator(code).short_label
        assert [c[0] for c in charts[2 * n: 2 * n + 2]] == [
            f"{label}: % hoàn thành cả kỳ – 63/63 đơn vị đã báo cáo (vạch đỏ: 100 %) – phần {part}/2" for part in (1, 2)]
        assert charts[2 * n][1] + charts[2 * n + 1][1] == [u.name for u in ranked]


def test_hundreds_of_communes_chart_only_the_lowest_and_the_highest_units(tmp_path):
    plan = load_plan("2800-2021").plan
    units = _communes(plan)
    _summary(tmp_path / "n.xlsx", units)
    charts, grid = _charts(tmp_path / "n.xlsx")
    assert len(charts) == 2 * len(plan.indicators)
    for n, code in enumerate(plan.indicators):
        reported = [u for u in units if u.figure(code, TOTAL).completion is not None]
        lowest = sorted(reported, key=lambda u: (u.figure(code, TOTAL).completion, u.code))[:CHART_UNITS]
        highest = sorted(reported, key=lambda u: (-u.figure(code, TOTAL).completion, u.code))[:CHART_UNITS]
        (low_title, low_names), (high_title, high_names) = charts[2 * n: 2 * n + 2]
        of = f"trong {len(reported)}/{COMMUNES} đơn vị đã báo cáo"
        assert low_title.startswith(indicator(code).short_label) and f"{CHART_UNITS} đơn vị thấp nhất {of}" in low_title
        assert f"{CHART_UNITS} đơn vị cao nhất {of}" in high_title
        assert low_names == [u.name for u in lowest] and high_names == [u.name for u in highest]
        column = [row[14 + 2 * n] for row in grid[4:]]
        assert sum(1 for value in column if value != "") == 2 * CHART_UNITS  # only what is drawn is written
    assert any("xem sheet «Tổng hợp»" in str(row[0]) for row in grid[:4])
    assert any("35 đơn vị thấp nhất (từ thấp lên cao) và 35 đơn vị cao nhất" in str(row[0]) for row in grid[:4])


@pytest.mark.libreoffice
def test_hundreds_of_communes_print_two_chart_pages_per_indicator_with_the_note(tmp_path):
    plan = _summary(tmp_path / "n.xlsx", _communes(load_plan("2800-2021").plan))
    printed = [p for p in pages(convert([tmp_path / "n.xlsx"], tmp_path / "pdf", to="pdf")[0]) if "· Biểu đồ Trang" in p.footer()]
    assert len(printed) == 2 * len(plan.indicators)
    assert "Thứ hạng đầy đủ của cả 300 đơn vị: xem sheet «Tổng hợp»." in printed[0].text
    for n, page in enumerate(printed):
        assert page.text.count("% hoàn thành cả kỳ") == 1 and ("thấp nhất" if n % 2 == 0 else "cao nhất") in page.text
        assert len(re.findall(r"Xã \d{5}", page.text)) == CHART_UNITS  # every name printed, none cut
