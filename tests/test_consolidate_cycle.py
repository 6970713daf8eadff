"""The centre's whole cycle through the CLI: generate 63 workbooks, provinces fill and save them in
LibreOffice (some late, some wrong, two missing, one sent twice), consolidate, and check every figure
of the JSON against sums computed here, and every formula of the national workbook, recalculated in
LibreOffice, against the JSON."""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import shutil

import openpyxl

import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from workbook_tools.cli import main
from workbook_tools.indicators import indicator as indicator_of
from workbook_tools.plans import TOTAL, load_plan

from .libreoffice import convert
from .printed import pages
from .workbooks import fill

pytestmark = pytest.mark.libreoffice
MISSING = {"06", "11"}
LATE = {"02", "04", "08"}
NEGATIVE, TEXT, FORMULA = "10", "12", "14"
TWICE = "79"
ON_TIME_DATE, LATE_DATE, OLD_DATE = dt.date(2021, 11, 12), dt.date(2021, 10, 29), dt.date(2021, 10, 31)


def _typed(rng: random.Random, data, code: str, round_date: dt.date) -> tuple[dict, dict]:
    """What a province types, and the figures that should count (independent of our reader)."""
    values = {("mau01", "round_date", "uom"): round_date, ("mau01", "reporter", "uom"): f"Cán bộ {code}"}
    counted = {}
    months = [m for m in data.plan.months if m <= round_date.isoformat()[:7]]
    for month in months:
        debtors, attendees = rng.randint(10, 500), rng.randint(0, 3000)
        values[("mau02", "no_tren_3t_dv", f"value:{month}")] = debtors
        values[("mau02", "hoi_nghi_nguoi", f"value:{month}")] = attendees
        counted[("task:no_tren_3t_dv", month)] = debtors
        counted[("task:hoi_nghi_nguoi", month)] = attendees
    for indicator in data.plan.indicators:
        for month in months:
            target = data.value(code, indicator, month)
            figure = round(target * rng.uniform(0.2, 1.3), 1) if indicator == "thu" else int(target * rng.uniform(0.2, 1.3))
            values[("mau01", indicator, f"actual:{month}")] = figure
            counted[(indicator, month)] = figure
    return values, counted


@pytest.fixture(scope="module")
def cycle(tmp_path_factory):
    runner = CliRunner()
    root = tmp_path_factory.mktemp("cycle")
    result = runner.invoke(main, ["generate", "--plan", "2800-2021", "--out", str(root / "blank")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    data = load_plan("2800-2021")
    rng = random.Random(2021)
    expected, filled = {}, root / "filled"
    filled.mkdir()
    for path in sorted((root / "blank").glob("*.xlsx")):
        code = path.name[:2]
        if code in MISSING:
            continue
        values, counted = _typed(rng, data, code, LATE_DATE if code in LATE else ON_TIME_DATE)
        if code == NEGATIVE:
            values[("mau01", "bhyt", "actual:2021-10")] = -500
            del counted[("bhyt", "2021-10")]
        if code == TEXT:
            values[("mau01", "bhxh_bb", "actual:2021-09")] = "1.234"
            counted[("bhxh_bb", "2021-09")] = 1234
        if code == FORMULA:
            values[("mau01", "thanh_tra", "actual:2021-10")] = "=100+23"
            del counted[("thanh_tra", "2021-10")]
        if code == TWICE:
            old_values, _ = _typed(rng, data, code, OLD_DATE)
            fill(path, old_values, filled / "79-ho-chi-minh-ban-cu.xlsx")
        fill(path, values, filled / path.name)
        expected[code] = counted
    returns = root / "returns"
    convert(sorted(filled.glob("*.xlsx")), returns, force=False)
    args = ["consolidate", str(returns), "--manifest", str(root / "blank" / "manifest.json"), "--out", str(root / "national.xlsx"),
            "--json", str(root / "national.json"), "--csv", str(root / "national.csv")]
    result = runner.invoke(main, args, catch_exceptions=False)
    payload = json.loads((root / "national.json").read_text(encoding="utf-8"))
    return {"root": root, "result": result, "json": payload, "expected": expected, "data": data}


def test_exit_code_1_when_units_are_missing(cycle):
    assert cycle["result"].exit_code == 1
    assert "61 đơn vị được chấp nhận, 0 bị từ chối, 2 chưa nộp" in cycle["result"].output


def test_every_unit_has_its_status_and_the_latest_round(cycle):
    units = {u["code"]: u for u in cycle["json"]["units"]}
    assert len(units) == 63
    assert {c for c, u in units.items() if u["status"] == "missing"} == MISSING
    assert all(u["status"] == "accepted" for c, u in units.items() if c not in MISSING)
    assert units[TWICE]["round_date"] == ON_TIME_DATE.isoformat() and units[TWICE]["file"] == "79-ho-chi-minh.xlsx"
    assert {c for c, u in units.items() if u["timeliness"] == "late"} == LATE
    assert cycle["json"]["round"] == {"start": "2021-11-01", "deadline": "2021-11-15"}


def test_every_figure_matches_sums_computed_independently(cycle):
    data, expected = cycle["data"], cycle["expected"]
    units = {u["code"]: u for u in cycle["json"]["units"]}
    national: dict[tuple[str, str], list[float]] = {}
    for code, unit in units.items():
        counted = {k: v for k, v in expected.get(code, {}).items() if not k[0].startswith("task:")}
        for value in unit["values"]:
            key = (value["indicator"], value["period"])
            assert value["target"] == data.value(code, *key)
            if value["period"] == TOTAL:
                months = [v for (i, _m), v in counted.items() if i == value["indicator"]]
                actual = sum(months) if months else None
            else:
                actual = counted.get(key)
            assert value["actual"] == pytest.approx(actual), (code, key)
            if actual is not None:
                assert value["completion"] == pytest.approx(actual / value["target"])
            national.setdefault(key, [0, None])
            national[key][0] += value["target"]
            if actual is not None:
                national[key][1] = (national[key][1] or 0) + actual
    for value in cycle["json"]["national"]:
        target, actual = national[(value["indicator"], value["period"])]
        assert value["target"] == target and value["actual"] == pytest.approx(actual)
        assert value["completion"] == (None if actual is None else pytest.approx(actual / target))


def test_wrong_inputs_are_reported_and_left_out(cycle):
    problems = {(p["unit"], p["code"]) for p in cycle["json"]["problems"]}
    assert {(NEGATIVE, "negative"), (TEXT, "text_number"), (FORMULA, "formula_in_input"), (TWICE, "duplicate_unit")} <= problems
    duplicate = next(p for p in cycle["json"]["problems"] if p["code"] == "duplicate_unit")
    assert duplicate["file"] == "79-ho-chi-minh-ban-cu.xlsx" and "79-ho-chi-minh.xlsx" in duplicate["message"]


def test_csv_holds_the_same_figures(cycle):
    import csv

    with (cycle["root"] / "national.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    hanoi = next(r for r in rows if r["code"] == "01" and r["indicator"] == "bhyt" and r["period"] == TOTAL)
    unit = next(u for u in cycle["json"]["units"] if u["code"] == "01")
    value = next(v for v in unit["values"] if v["indicator"] == "bhyt" and v["period"] == TOTAL)
    assert float(hanoi["actual"]) == pytest.approx(value["actual"])


@pytest.fixture(scope="module")
def recalculated(cycle):
    path = convert([cycle["root"] / "national.xlsx"], cycle["root"] / "recalc", force=True)[0]
    book = CalamineWorkbook.from_path(str(path))
    return {name: book.get_sheet_by_name(name).to_python(skip_empty_area=False) for name in book.sheet_names}


def _blank(value):
    return None if value == "" else value


def test_national_workbook_formulas_agree_with_the_json(cycle, recalculated):
    grid = recalculated["Tổng hợp"]
    indicators = cycle["data"].plan.indicators
    units = {u["code"]: u for u in cycle["json"]["units"]}
    rows = {row[1]: row for row in grid if isinstance(row[1], str) and row[1] in units}
    assert len(rows) == 63
    for code, row in rows.items():
        totals = {v["indicator"]: v for v in units[code]["values"] if v["period"] == TOTAL}
        for n, indicator in enumerate(indicators):
            c = 4 + 4 * n
            assert row[c] == totals[indicator]["target"]
            assert _blank(row[c + 1]) == pytest.approx(totals[indicator]["actual"])
            assert _blank(row[c + 2]) == pytest.approx(totals[indicator]["completion"])
            completions = sorted((u_values["completion"] for u in units.values() for u_values in u["values"]
                                  if u_values["indicator"] == indicator and u_values["period"] == TOTAL and u_values["completion"] is not None), reverse=True)
            if totals[indicator]["completion"] is None:
                assert row[c + 3] == ""
            else:
                assert row[c + 3] == 1 + sum(1 for x in completions if x > totals[indicator]["completion"])
    total_row = next(row for row in grid if isinstance(row[0], str) and row[0].startswith("Cộng các tỉnh"))
    national = {v["indicator"]: v for v in cycle["json"]["national"] if v["period"] == TOTAL}
    for n, indicator in enumerate(indicators):
        c = 4 + 4 * n
        assert total_row[c] == national[indicator]["target"]
        assert total_row[c + 1] == pytest.approx(national[indicator]["actual"])
        assert total_row[c + 2] == pytest.approx(national[indicator]["completion"])


def test_monthly_sheet_sums_agree_with_the_json(cycle, recalculated):
    grid = recalculated["Theo tháng"]
    periods = (*cycle["data"].plan.months, TOTAL)
    sums = [row for row in grid if row[0] == "Cộng các tỉnh"]
    assert len(sums) == len(cycle["data"].plan.indicators)
    national = {(v["indicator"], v["period"]): v for v in cycle["json"]["national"]}
    for row in sums:
        for n, period in enumerate(periods):
            value = national[(row[3], period)]
            assert row[4 + 3 * n] == value["target"]
            assert _blank(row[5 + 3 * n]) == pytest.approx(value["actual"] or 0) or value["actual"] is None
            if value["completion"] is not None:
                assert row[6 + 3 * n] == pytest.approx(value["completion"])


def test_monthly_sheet_unit_rows_agree_with_the_json_after_recalculation(cycle, recalculated):
    """Each indicator's block: its 63 units in order, every figure and completion as the JSON has it, then its sum."""
    grid = recalculated["Theo tháng"]
    periods = (*cycle["data"].plan.months, TOTAL)
    units = cycle["json"]["units"]
    rows = [row for row in grid[5:] if row[3]]
    for j, indicator in enumerate(cycle["data"].plan.indicators):
        block = rows[j * 64:(j + 1) * 64]
        assert [row[0] for row in block] == [u["code"] for u in units] + ["Cộng các tỉnh"]
        assert {row[3] for row in block} == {indicator}
    checked = 0
    for unit in (u for u in units if u["code"] in {"01", "06", TEXT, NEGATIVE, TWICE}):
        for value in unit["values"]:
            row = next(r for r in rows if r[0] == unit["code"] and r[3] == value["indicator"])
            c = 4 + 3 * periods.index(value["period"])
            assert row[c] == value["target"]
            assert _blank(row[c + 1]) == (None if value["actual"] is None else pytest.approx(value["actual"]))
            assert _blank(row[c + 2]) == (None if value["completion"] is None else pytest.approx(value["completion"]))
            checked += 1
    assert checked == 5 * len(cycle["data"].plan.indicators) * len(periods)


@pytest.fixture(scope="module")
def printed(cycle):
    """The national workbook printed to PDF by LibreOffice: pages by the sheet their footer names."""
    pdf = convert([cycle["root"] / "national.xlsx"], cycle["root"] / "pdf", to="pdf", force=True)[0]
    by_sheet: dict[str, list] = {}
    for page in pages(pdf):
        by_sheet.setdefault(re.search(r"· (.+?) Trang \d+/\d+", page.footer()).group(1), []).append(page)
    return by_sheet


def test_the_monthly_sheet_prints_63_provinces_on_few_dense_pages_one_indicator_a_page(cycle, printed):
    """7 indicators × 63 provinces × 5 periods: two pages down and two across per indicator (99 pages before), each page
    one indicator's, its header rows and label columns repeated, no figure too wide for its column (####)."""
    sheet = printed["Theo tháng"]
    labels = {code: indicator_of(code).short_label for code in cycle["data"].plan.indicators}
    assert len(sheet) <= 4 * len(labels)
    for page in sheet:
        assert sum(label in page.text for label in labels.values()) == 1, page.text[:200]
        assert "Mã" in page.text and "Thực" in page.text and "Trang" in page.footer()
        assert "###" not in page.text
        assert min(page.body_sizes()) >= 7.95
    assert sum("Cộng" in page.text for page in sheet) == 2 * len(labels)  # each sum on its indicator's last page (both across)


def test_the_monthly_sheet_page_setup_repeats_labels_and_hides_the_key_column(cycle):
    ws = openpyxl.load_workbook(cycle["root"] / "national.xlsx")["Theo tháng"]
    assert ws.print_title_rows == "$4:$5" and ws.print_title_cols == "$A:$D"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9 and 80 <= ws.page_setup.scale <= 90
    assert ws.page_setup.pageOrder == "overThenDown" and ws.column_dimensions["D"].hidden
    assert "Trang &P/&N" in ws.oddFooter.right.text and "KẾT QUẢ THEO THÁNG" in ws.oddHeader.center.text
    assert ws["E6"].number_format == "#,##0" and ws["G6"].number_format.endswith("%")


@pytest.mark.parametrize("sheet, most", [("Tổng hợp", 8), ("Nhiệm vụ", 9), ("Tình hình nộp báo cáo", 3), ("Theo tháng", 28)])
def test_the_unit_tables_print_on_few_pages_none_of_them_a_remnant(cycle, printed, sheet, most):
    """Every page of a per-unit table shows a good share of the units (no page holding only the sums or a unit or
    two), the header repeated, figures in full (no ####), type of 8 pt or more; fewer pages than before (Tổng hợp 12,
    Nhiệm vụ 12, Theo tháng 99)."""
    names = {u["name"].split()[-1] for u in cycle["json"]["units"]}
    pages = printed[sheet]
    assert len(pages) <= most
    for page in pages:
        words = page.text.split()
        assert sum(w in names for w in words) >= 8, (sheet, page.number, page.text[:200])
        assert {"STT", "Mã"} & set(words) and "###" not in page.text and min(page.body_sizes()) >= 7.95, (sheet, page.number)


def test_wide_unit_tables_print_across_then_down_with_their_labels_repeated(cycle):
    book = openpyxl.load_workbook(cycle["root"] / "national.xlsx")
    for name in ("Tổng hợp", "Nhiệm vụ"):
        ws = book[name]
        assert ws.print_title_rows == "$4:$5" and ws.print_title_cols == "$A:$D", name
        assert ws.page_setup.pageOrder == "overThenDown" and 80 <= ws.page_setup.scale <= 90, name
        assert ws.cell(1, 5).value and ws.cell(1, 1).value is None, name  # the title right of the repeated labels


def test_reporting_sheet_counts_agree(cycle, recalculated):
    grid = recalculated["Tình hình nộp báo cáo"]
    counts = {row[0]: row[2] for row in grid[3:12]}
    assert counts["Số đơn vị phải báo cáo"] == 63
    assert counts["Đã nộp"] == 61 and counts["Chưa nộp"] == 2 and counts["Bị từ chối"] == 0
    assert counts["Trễ hạn"] == len(LATE) and counts["Đúng hạn"] == 61 - len(LATE)
    assert counts["Tỷ lệ nộp báo cáo"] == pytest.approx(61 / 63)


def test_consolidating_again_with_a_newer_round_replaces_and_an_older_one_warns(cycle, tmp_path):
    root = cycle["root"]
    out = tmp_path / "national.xlsx"
    shutil.copy(root / "national.xlsx", out)
    newer = tmp_path / "newer"
    newer.mkdir()
    source = root / "blank" / "01-ha-noi.xlsx"
    fill(source, {("mau01", "round_date", "uom"): dt.date(2021, 11, 30), ("mau01", "bhyt", "actual:2021-11"): 9_999}, newer / "01-ha-noi.xlsx")
    fill(source, {("mau01", "round_date", "uom"): dt.date(2021, 10, 15), ("mau01", "bhyt", "actual:2021-10"): 1}, newer / "15-yen-bai.xlsx")
    # the second file is Hà Nội's workbook too (identity travels inside), dated before what is held
    runner = CliRunner()
    args = ["consolidate", str(newer), "--plan", "2800-2021", "--out", str(out), "--json", str(tmp_path / "n.json")]
    result = runner.invoke(main, args, catch_exceptions=False)
    payload = json.loads((tmp_path / "n.json").read_text(encoding="utf-8"))
    units = {u["code"]: u for u in payload["units"]}
    assert units["01"]["round_date"] == "2021-11-30"
    assert "replaces" in result.output
    bhyt = next(v for v in units["01"]["values"] if v["indicator"] == "bhyt" and v["period"] == "2021-11")
    assert bhyt["actual"] == 9_999
    assert units["15"]["status"] == "accepted" and units["15"]["file"] == "15-yen-bai.xlsx"
    assert units["15"]["round_date"] == ON_TIME_DATE.isoformat()
    assert sum(u["status"] == "accepted" for u in units.values()) == 61


def test_regrouped_onto_34_units_the_national_sums_stay_the_same(cycle, tmp_path):
    root = cycle["root"]
    args = ["consolidate", str(root / "returns"), "--manifest", str(root / "blank" / "manifest.json"),
            "--out", str(tmp_path / "n34.xlsx"), "--json", str(tmp_path / "n34.json"), "--structure", "34"]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 1
    payload = json.loads((tmp_path / "n34.json").read_text(encoding="utf-8"))
    assert payload["structure"] == "34" and len(payload["units"]) == 34
    hcm = next(u for u in payload["units"] if u["code"] == "79")
    assert hcm["name"] == "TP Hồ Chí Minh" and set(hcm["parts"]) == {"74", "77", "79"}
    for old, new in zip(cycle["json"]["national"], payload["national"]):
        assert (old["indicator"], old["period"], old["target"]) == (new["indicator"], new["period"], new["target"])
        assert old["actual"] == pytest.approx(new["actual"])
    lao_cai = next(u for u in payload["units"] if u["code"] == "15")
    assert lao_cai["status"] == "accepted"
    missing_parts = next(u for u in payload["units"] if u["code"] == "19")
    assert missing_parts["status"] == "missing" and "06" in missing_parts["parts"]


def test_task_results_are_consolidated_stocks_latest_flows_summed(cycle, recalculated):
    months = cycle["data"].plan.months
    national = {"no_tren_3t_dv": 0, "hoi_nghi_nguoi": 0, "hoi_nghi_so": 0}
    units = {u["code"]: u for u in cycle["json"]["units"]}
    for code, counted in cycle["expected"].items():
        debt = [counted[("task:no_tren_3t_dv", m)] for m in months if ("task:no_tren_3t_dv", m) in counted]
        people = [counted[("task:hoi_nghi_nguoi", m)] for m in months if ("task:hoi_nghi_nguoi", m) in counted]
        conferences = [counted[("hoi_nghi", m)] for m in months if ("hoi_nghi", m) in counted]
        tasks = units[code]["tasks"]
        assert tasks["no_tren_3t_dv"] == debt[-1] and tasks["hoi_nghi_nguoi"] == sum(people)
        assert tasks["hoi_nghi_so"] == sum(conferences)
        national["no_tren_3t_dv"] += debt[-1]
        national["hoi_nghi_nguoi"] += sum(people)
        national["hoi_nghi_so"] += sum(conferences)
    by_key = {t["key"]: t for t in cycle["json"]["tasks"]}
    for key, value in national.items():
        assert by_key[key]["national"] == value
    grid = recalculated["Nhiệm vụ"]
    header = next(row for row in grid if any(isinstance(c, str) and c.startswith("Nợ từ 03 tháng trở lên – số đơn vị") for c in row))
    column = next(i for i, c in enumerate(header) if isinstance(c, str) and c.startswith("Nợ từ 03 tháng trở lên – số đơn vị"))
    total_row = next(row for row in grid if row[0] == "Cộng các tỉnh")
    assert total_row[column] == national["no_tren_3t_dv"]


def test_returns_read_by_the_worker_processes_share_one_copy_of_each_figure_key(cycle):
    """A folder of thousands of returns keeps one (indicator, month) key object, not one per return."""
    from workbook_tools.check import check_folder

    report = check_folder(cycle["root"] / "returns", cycle["data"], workers=2)
    filled = [r for r in report.returns if r.actuals]
    assert len(filled) > 10
    first = {k: k for k in filled[0].actuals}
    shared = [k for r in filled[1:] for k in r.actuals if k in first]
    assert shared and all(k is first[k] for k in shared)
