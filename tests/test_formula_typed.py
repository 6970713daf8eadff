"""A figure typed over a formula cell of Mẫu 01 or Mẫu 02 (the formula gone, a value there) is never dropped without
a word: the reader says where it is and what the cell computes, unless the value is the very figure the formula gives
(values pasted over the formulas: nothing lost). Returns are made as clerks make them: openpyxl typing over a cell,
LibreOffice recalculating and its formulas replaced by their values (Excel's "paste values")."""

from __future__ import annotations

import datetime
import hashlib
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from workbook_tools.cli import main
from workbook_tools.computed import same_figure
from workbook_tools.forms import shipped_forms
from workbook_tools.plans import load_plan
from workbook_tools.read import read_return, sheet_parts

from .libreoffice import convert
from .workbooks import fill, openpyxl_indexes

VIETNAMESE = re.compile(r"[ăâđêôơưáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ]", re.I)
FLOW, STOCK = "2800-2021", "1813-2025"


def _blank(root: Path, plan: str) -> Path:
    """Hà Nội's workbook of a plan, as generate writes it (with its manifest)."""
    result = CliRunner().invoke(main, ["generate", "--plan", plan, "--out", str(root), "--unit", "01"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return next(root.glob("01-*.xlsx"))


@pytest.fixture(scope="module")
def blanks(tmp_path_factory) -> dict[str, Path]:
    """Blank workbooks of a flow plan (Kế hoạch 2800: months add up, Mẫu 02 rows linked to Mẫu 01) and of a stock plan
    (Kế hoạch 1813: latest level, comparison columns)."""
    root = tmp_path_factory.mktemp("blanks")
    return {plan: _blank(root / plan, plan) for plan in (FLOW, STOCK)}


def _inputs(plan: str) -> dict[tuple[str, str, str], Any]:
    """A report as staff type it: a date, two months of several indicators, the baseline columns of a stock plan,
    Mẫu 02 figures including the propaganda budget (whose rate is a row formula)."""
    months = load_plan(plan).plan.months
    day = datetime.date(2021, 10, 31) if plan == FLOW else datetime.date(2025, 2, 28)
    typed: dict[tuple[str, str, str], Any] = {("mau01", "round_date", "uom"): day}
    for n, code in enumerate(load_plan(plan).plan.indicators[:3]):
        typed[("mau01", code, f"actual:{months[0]}")] = 1_000 + 10 * n
        typed[("mau01", code, f"actual:{months[1]}")] = 1_500 + 10 * n
    if plan == STOCK:
        typed.update({("mau01", "bhxh_bb", "baseline:total"): 900, ("mau01", "bhxh_bb", "previous:total"): 1_200,
                      ("mau01", "bhxh_bb", "last_year:total"): 1_250})
    typed.update({("mau02", "kinh_phi_giao", f"value:{months[0]}"): 120, ("mau02", "kinh_phi_giao", f"value:{months[1]}"): 150,
                  ("mau02", "kinh_phi_da_chi", f"value:{months[0]}"): 25.5, ("mau02", "kinh_phi_da_chi", f"value:{months[1]}"): 40,
                  ("mau02", "hoi_nghi_nguoi", f"value:{months[0]}"): 300})
    return typed


def _filled(blanks: dict[str, Path], plan: str, folder: Path, extra: dict[tuple[str, str, str], Any] | None = None) -> Path:
    """Hà Nội's return typed in openpyxl (each value written into its keyed cell, over whatever it held)."""
    folder.mkdir(parents=True, exist_ok=True)
    return fill(blanks[plan], {**_inputs(plan), **(extra or {})}, folder / "01-ha-noi.xlsx")


def _cell(path: Path, form: str, row_key: str, col_key: str) -> str:
    """The A1 reference of a keyed cell, as openpyxl finds it."""
    ws, index = openpyxl_indexes(openpyxl.load_workbook(path))[form]
    r, c = index.cell(row_key, col_key)
    return ws.cell(r + 1, c + 1).coordinate


def _run(command: str, folder: Path, plan: str, blanks: dict[str, Path]) -> tuple[Any, dict]:
    """`check` or `consolidate` through the CLI, as staff run it; the JSON it wrote."""
    out = folder.parent / f"{folder.name}-{command}"
    args = [command, str(folder), "--manifest", str(blanks[plan].parent / "manifest.json"), "--json", str(out.with_suffix(".json"))]
    if command == "consolidate":
        args += ["--out", str(out.with_suffix(".xlsx"))]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    return result, json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))


def _typed(payload: dict) -> list[dict]:
    return [p for p in payload["problems"] if p["code"] in ("formula_typed", "linked_cell_typed")]


def _actual(payload: dict, indicator: str, period: str) -> Any:
    unit = next(u for u in payload["units"] if u["code"] == "01")
    return next(v["actual"] for v in unit["values"] if v["indicator"] == indicator and v["period"] == period)


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


def test_a_figure_typed_over_the_to_date_formula_is_a_warning_and_the_months_figures_are_consolidated(blanks, tmp_path):
    """A clerk types the plan's total (5.000) over 'Thực hiện lũy kế' instead of the month: it is said, not used."""
    folder = tmp_path / "returns"
    path = _filled(blanks, FLOW, folder, {("mau01", "bhxh_bb", "actual:total"): 5_000})
    before = _hashes(folder)
    result, payload = _run("consolidate", folder, FLOW, blanks)
    assert result.exit_code == 0, result.output  # a warning rejects nothing
    assert _hashes(folder) == before
    [found] = _typed(payload)
    assert (found["severity"], found["sheet"], found["cell"]) == ("warning", "Mẫu 01", _cell(path, "mau01", "bhxh_bb", "actual:total"))
    assert (found["indicator"], found["period"]) == ("bhxh_bb", "total")
    message = found["message"]
    assert "5.000" in message and "gõ đè" in message and "lũy kế" in message and "2.500" in message, message
    assert "«Bảo hiểm xã hội bắt buộc»" in message and "không được dùng" in message and "ô nhập liệu" in message
    assert VIETNAMESE.search(message)
    assert _actual(payload, "bhxh_bb", "total") == 2_500  # the months' figures, not the 5.000 typed over their sum
    assert "0 lỗi" in result.output
    listed = openpyxl.load_workbook(tmp_path / "returns-consolidate.xlsx")["Lỗi dữ liệu"]
    assert message in [cell.value for row in listed.iter_rows() for cell in row]  # staff read it in the national workbook


def test_check_lists_the_figure_typed_over_a_completion_formula_and_exits_0(blanks, tmp_path):
    """'% hoàn thành' typed as 80 % over its formula: `check` lists it as a warning; nothing is rejected."""
    folder = tmp_path / "returns"
    month = load_plan(FLOW).plan.months[0]
    path = _filled(blanks, FLOW, folder, {("mau01", "bhyt", f"pct:{month}"): 0.8})
    result, payload = _run("check", folder, FLOW, blanks)
    assert result.exit_code == 0, result.output
    [found] = _typed(payload)
    assert found["cell"] == _cell(path, "mau01", "bhyt", f"pct:{month}") and found["period"] == month
    assert "80 %" in found["message"] and "thực hiện ÷ chỉ tiêu tháng" in found["message"], found["message"]
    assert "formula_typed" in result.output and found["cell"] in result.output


def test_the_figure_a_formula_gives_typed_over_it_is_quiet(blanks, tmp_path):
    """The same figure typed over its formula (the sum of the months, the rate as the percentage it shows) loses nothing."""
    month = load_plan(FLOW).plan.months[0]
    path = _filled(blanks, FLOW, tmp_path / "returns", {
        ("mau01", "bhxh_bb", "actual:total"): 2_500,
        ("mau02", "kinh_phi_ty_le", f"value:{month}"): 25.5 / 120,
        ("mau02", "kinh_phi_ty_le", "value:total"): 0.4699999999,  # 65,5 ÷ 150 = 43,7 %: not the same
        ("mau02", "kinh_phi_da_chi", "value:total"): 65.5,
    })
    ret = read_return(path, load_plan(FLOW), shipped_forms())
    found = [(p.code, p.indicator, p.period) for p in ret.problems if p.code == "formula_typed"]
    assert found == [("formula_typed", "kinh_phi_ty_le", "total")], found


def test_a_formula_cell_cleared_is_no_problem(blanks, tmp_path):
    """A formula deleted (the cell left empty) loses no figure: the figure comes from the inputs."""
    path = _filled(blanks, FLOW, tmp_path / "returns", {("mau01", "bhxh_bb", "actual:total"): None, ("mau01", "bhxh_bb", "pct:total"): None})
    ret = read_return(path, load_plan(FLOW), shipped_forms())
    assert not [p for p in ret.problems if p.code == "formula_typed"]
    assert ret.actuals[("bhxh_bb", load_plan(FLOW).plan.months[1])] == 1_500


def test_a_figure_typed_over_a_stock_plans_comparison_is_checked_against_the_latest_level(blanks, tmp_path):
    """Stock plan: the latest level is the last month filled in (1.500), so 'Tăng/giảm so với 31/12 năm trước' is
    600; 600 typed over it is quiet, 1.600 typed over the change since the previous report (300) is not."""
    path = _filled(blanks, STOCK, tmp_path / "returns", {("mau01", "bhxh_bb", "change_year:total"): 600,
                                                         ("mau01", "bhxh_bb", "change_previous:total"): 1_600,
                                                         ("mau01", "bhxh_bb", "growth:total"): 0.25})
    ret = read_return(path, load_plan(STOCK), shipped_forms())
    found = {p.cell: p for p in ret.problems if p.code == "formula_typed"}
    assert set(found) == {_cell(path, "mau01", "bhxh_bb", "change_previous:total"), _cell(path, "mau01", "bhxh_bb", "growth:total")}
    change = found[_cell(path, "mau01", "bhxh_bb", "change_previous:total")].message
    assert "1.600" in change and "ô này là 300" in change and "kỳ báo cáo trước" in change, change
    assert "ô này là 20 %" in found[_cell(path, "mau01", "bhxh_bb", "growth:total")].message  # 1.500 ÷ 1.250 − 1


def _swap_rows(path: Path, form: str, first: str, second: str, out: Path) -> Path:
    """Two rows exchanged whole, keys and labels with them (a clerk sorting the table with column A included)."""
    book = openpyxl.load_workbook(path)
    ws, index = openpyxl_indexes(book)[form]
    a, b = index.rows[first] + 1, index.rows[second] + 1
    for column in range(1, ws.max_column + 1):
        upper, lower = ws.cell(a, column), ws.cell(b, column)
        upper.value, lower.value = lower.value, upper.value
    book.save(out)
    return out


def test_a_figure_typed_over_a_formula_in_a_moved_row_is_found_by_its_keys(blanks, tmp_path):
    """BHYT's row moved above BHXH bắt buộc's (keys moved with them): the typed cell is named where it now is, and what
    it should compute is BHYT's own months."""
    filled = _filled(blanks, FLOW, tmp_path / "typed")
    folder = tmp_path / "returns"
    folder.mkdir()
    moved = _swap_rows(filled, "mau01", "bhxh_bb", "bhyt", tmp_path / "moved.xlsx")
    path = fill(moved, {("mau01", "bhyt", "actual:total"): 9_999}, folder / "01-ha-noi.xlsx")
    ret = read_return(path, load_plan(FLOW), shipped_forms())
    assert not [p for p in ret.problems if p.is_error], [p.message for p in ret.problems if p.is_error]
    [found] = [p for p in ret.problems if p.code == "formula_typed"]
    cell = _cell(path, "mau01", "bhyt", "actual:total")
    assert found.cell == cell and found.indicator == "bhyt"
    assert int(re.sub(r"\D", "", cell)) < int(re.sub(r"\D", "", _cell(filled, "mau01", "bhyt", "actual:total")))  # it moved up
    n = load_plan(FLOW).plan.indicators.index("bhyt")
    assert f"ô này là {2_500 + 20 * n:,}".replace(",", ".") in found.message, found.message  # BHYT's two months


def _pasted_values(source: Path, out: Path, sheets: tuple[str, ...] = ("Mẫu 01", "Mẫu 02"), change: str = "") -> Path:
    """A recalculated workbook whose formulas in `sheets` are replaced by their values, as Excel's "paste values"
    leaves them (the cached value stays, the formula goes); `change` ('F12') gives that cell another value."""
    with zipfile.ZipFile(source) as archive:
        parts = {sheet_parts(archive)[name] for name in sheets}
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy:
            for info in archive.infolist():
                data = archive.read(info.filename)
                if info.filename in parts:
                    data = re.sub(rb"<f(?: [^>]*)?>[^<]*</f>|<f(?: [^>]*)?/>", b"", data)
                    assert not re.search(rb"<f[ >/]", data)  # (conditional formats keep their <formula>)
                    if change:
                        data, count = re.subn(rb'(<c r="' + change.encode() + rb'"[^>]*>)<v>[^<]*</v>', rb"\g<1><v>0.123</v>", data)
                        change = "" if count else change
                copy.writestr(info, data)
    assert not change, "the cell to change was not found"
    return out


@pytest.mark.parametrize("plan", [FLOW, STOCK])
def test_values_pasted_over_every_formula_after_libreoffice_computed_them_lose_nothing(blanks, tmp_path, plan):
    """LibreOffice (the real engine) computes every formula; the clerk then pastes values over them all: every value is
    the figure its formula gives, so nothing is reported; one of them changed is the one warning."""
    typed = _filled(blanks, plan, tmp_path / "typed")
    computed = convert([typed], tmp_path / "recalculated")[0]
    folder = tmp_path / "returns"
    folder.mkdir()
    pasted = _pasted_values(computed, folder / "01-ha-noi.xlsx")
    result, payload = _run("consolidate", folder, plan, blanks)
    assert result.exit_code == 0, result.output
    assert not _typed(payload), [p["message"] for p in _typed(payload)]
    original_folder = typed.parent
    _, original = _run("consolidate", original_folder, plan, blanks)
    assert [u["values"] for u in payload["units"]] == [u["values"] for u in original["units"]]
    cell = _cell(pasted, "mau01", "bhxh_tn", "pct:total")
    other = tmp_path / "other"
    other.mkdir()
    _pasted_values(computed, other / "01-ha-noi.xlsx", change=cell)
    result, payload = _run("consolidate", other, plan, blanks)
    assert result.exit_code == 0, result.output
    [found] = _typed(payload)
    assert (found["code"], found["cell"], found["indicator"], found["period"]) == ("formula_typed", cell, "bhxh_tn", "total")
    assert "12,3 %" in found["message"], found["message"]


def test_percentages_that_show_alike_are_the_same_figure():
    """0.49999999 and 0.5 both show 50,0 %; 1.234 and 1.235 people differ; 1e-9 relative is the same figure."""
    assert same_figure(0.49999999, 0.5, "percent") and same_figure(0.5, 0.5, "percent")
    assert not same_figure(0.4994, 0.5, "percent")
    assert not same_figure(1_234, 1_235, "count") and same_figure(1_234.000000001, 1_234, "count")
    assert same_figure(65.54, 65.5, "money") and not same_figure(65.56, 65.5, "money")


def _year_to_date(kind: str, figures: dict[str, Any]) -> Any:
    """What Mẫu 01's 'Lũy kế từ đầu năm' computes for one row of a plan of `kind` (a workbook carrying last period's
    figure), from the month inputs and the carried figure given (an absent key is an empty cell)."""
    from workbook_tools.computed import BLANK, RowShape, evaluate, row_slots

    form = shipped_forms().form("mau01")
    months = ("2021-11", "2021-12")
    slots = {"bhyt": row_slots(form, RowShape("bhyt", kind, "count", True), kind, months)}
    return evaluate(slots, months, "bhyt", "ytd:total", lambda _row, col, _slot: figures.get(col, BLANK))


def test_the_year_to_date_of_a_carried_workbook_is_computed_as_its_formula_says():
    """Flows: the periods before plus this one (N() of empty is 0); stocks: this period's latest level, else the level
    carried (an empty cell returned by IF shows 0)."""
    assert _year_to_date("flow", {"carried:total": 110_000, "actual:2021-11": 20_000, "actual:2021-12": 5}) == 130_005
    assert _year_to_date("flow", {"carried:total": 110_000}) == 110_000
    assert _year_to_date("flow", {}) == ""
    assert _year_to_date("stock", {"carried:total": 110_000, "actual:2021-11": 120_000}) == 120_000
    assert _year_to_date("stock", {"carried:total": 110_000}) == 110_000
    assert _year_to_date("stock", {}) == 0


def test_a_formula_typed_into_an_input_does_not_hide_a_figure_typed_over_a_formula_of_its_row(blanks, tmp_path):
    """The row still holds as many formulas as generated (one moved from the to-date cell into October's input): both
    are told, and what the to-date cell computes cannot be told from an input holding a formula."""
    october = load_plan(FLOW).plan.months[1]
    path = _filled(blanks, FLOW, tmp_path / "returns", {("mau01", "bhxh_bb", f"actual:{october}"): "=1000+500",
                                                        ("mau01", "bhxh_bb", "actual:total"): 2_500})
    ret = read_return(path, load_plan(FLOW), shipped_forms())
    codes = {p.code: p for p in ret.problems if p.indicator == "bhxh_bb"}
    assert codes["formula_in_input"].cell == _cell(path, "mau01", "bhxh_bb", f"actual:{october}")
    assert codes["formula_typed"].cell == _cell(path, "mau01", "bhxh_bb", "actual:total")
    assert "không tính được" in codes["formula_typed"].message, codes["formula_typed"].message
