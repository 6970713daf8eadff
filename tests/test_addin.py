"""The add-in's button, driven on Linux with a stand-in book, against what the CLI writes."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner
from oletools.olevba import VBA_Parser

from workbook_tools import addin
from workbook_tools.addin_build import ADDIN_NAME, macros_dir
from workbook_tools.cli import main

from .fake_xlwings import FakeBook
from .libreoffice import convert
from .workbooks import fill

UNITS = ("01", "02", "04")
INDICATORS = ("bhxh_bb", "bhxh_tn", "bhyt", "thu", "thanh_tra", "ra_soat_thue", "hoi_nghi")


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    runner = CliRunner()
    root = tmp_path_factory.mktemp("addin")
    args = ["generate", "--plan", "2800-2021", "--out", str(root / "blank")] + [a for u in UNITS for a in ("--unit", u)]
    assert runner.invoke(main, args, catch_exceptions=False).exit_code == 0
    returns = root / "returns"
    returns.mkdir()
    for number, code in enumerate(UNITS[:2]):
        source = next((root / "blank").glob(f"{code}-*.xlsx"))
        values = {("mau01", "round_date", "uom"): dt.date(2021, 10, 14)}
        values.update({("mau01", i, f"actual:{m}"): 100 * (number + 1) + k for k, i in enumerate(INDICATORS) for m in ("2021-09", "2021-10")})
        fill(source, values, returns / source.name)
    manifest = root / "blank" / "manifest.json"
    cli = runner.invoke(main, ["consolidate", str(returns), "--manifest", str(manifest), "--out", str(root / "cli.xlsx"), "--json", str(root / "cli.json")], catch_exceptions=False)
    assert cli.exit_code == 1
    national = root / "national.xlsx"
    result = runner.invoke(main, ["generate-national", "--plan", "2800-2021", "--out", str(national), "--returns-dir", str(returns)], catch_exceptions=False)
    assert result.exit_code == 0
    return {"root": root, "returns": returns, "manifest": manifest, "national": national,
            "cli": json.loads((root / "cli.json").read_text(encoding="utf-8"))}


def _book(setup) -> FakeBook:
    book = FakeBook.from_xlsx(setup["national"])
    _set(book, "manifest", str(setup["manifest"]))
    return book


def _set(book: FakeBook, key: str, value: str) -> None:
    sheet = book.sheets[addin.CONFIG_SHEET]
    row = next(r for (r, c), v in sheet.cells.items() if c == 1 and v == key)
    sheet.range((row, 3)).value = value


def _status(book: FakeBook) -> str:
    sheet = book.sheets[addin.CONFIG_SHEET]
    row = next(r for (r, c), v in sheet.cells.items() if c == 1 and v == "status")
    return sheet.cells[(row, 3)]


def _click(book: FakeBook, monkeypatch) -> str:
    import xlwings

    monkeypatch.setattr(xlwings.Book, "caller", staticmethod(lambda: book))
    addin.main()
    return _status(book)


def _totals(book: FakeBook) -> dict[str, list]:
    sheet = book.sheets["Tổng hợp"]
    rows: dict[int, dict[int, object]] = {}
    for (r, c), v in sheet.cells.items():
        rows.setdefault(r, {})[c] = v
    return {row[2]: [row.get(c) for c in range(1, 4 + 4 * len(INDICATORS) + 1)] for row in rows.values() if row.get(2) in UNITS}


def test_a_click_writes_the_same_figures_as_the_cli(setup, monkeypatch):
    book = _book(setup)
    status = _click(book, monkeypatch)
    assert "Đã tổng hợp 2800-2021: 2 đơn vị được chấp nhận, 0 bị từ chối, 1 chưa nộp" in status
    totals = _totals(book)
    assert set(totals) == set(UNITS)
    for unit in setup["cli"]["units"]:
        row = totals[unit["code"]]
        values = {v["indicator"]: v for v in unit["values"] if v["period"] == "total"}
        for n, indicator in enumerate(INDICATORS):
            target, actual = row[4 + 4 * n], row[5 + 4 * n]
            assert target == values[indicator]["target"]
            assert actual == values[indicator]["actual"]
    formulas = [v for v in book.sheets["Tổng hợp"].cells.values() if isinstance(v, str) and v.startswith("=")]
    assert any("IFERROR(" in f for f in formulas) and any("RANK(" in f for f in formulas)
    assert book.sheets["_data"].visible is False and book.sheets["_meta"].visible is False


def test_the_book_recalculated_in_libreoffice_gives_the_cli_completion(setup, monkeypatch, tmp_path):
    from python_calamine import CalamineWorkbook

    book = _book(setup)
    _click(book, monkeypatch)
    path = convert([book.to_xlsx(tmp_path / "clicked.xlsx")], tmp_path / "recalc")[0]
    grid = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Tổng hợp").to_python(skip_empty_area=False)
    rows = {row[1]: row for row in grid if row[1] in UNITS}
    for unit in setup["cli"]["units"]:
        values = {v["indicator"]: v for v in unit["values"] if v["period"] == "total"}
        for n, indicator in enumerate(INDICATORS):
            expected = values[indicator]["completion"]
            cell = rows[unit["code"]][4 + 4 * n + 2]
            assert (cell == "" and expected is None) or cell == pytest.approx(expected)


def test_a_second_click_replaces_and_keeps_the_users_sheets(setup, monkeypatch):
    book = _book(setup)
    mine = book.sheets.add(name="Ghi chú của tôi", after=book.sheets["Cấu hình"])
    mine.range("A1").value = "đừng xoá"
    _click(book, monkeypatch)
    names = [s.name for s in book.sheets]
    first = _totals(book)
    _click(book, monkeypatch)
    assert [s.name for s in book.sheets] == names
    assert _totals(book) == first
    assert book.sheets["Tổng hợp"].clears == 2
    assert book.sheets["Ghi chú của tôi"].cells == {(1, 1): "đừng xoá"}


def test_figures_held_in_the_book_survive_a_folder_without_that_unit(setup, monkeypatch, tmp_path):
    book = _book(setup)
    _click(book, monkeypatch)
    before = _totals(book)["01"]
    partial = tmp_path / "partial"
    partial.mkdir()
    only = next(setup["returns"].glob("02-*.xlsx"))
    (partial / only.name).write_bytes(only.read_bytes())
    _set(book, "returns_dir", str(partial))
    status = _click(book, monkeypatch)
    assert "2 đơn vị được chấp nhận" in status
    assert _totals(book)["01"][5] == 200 and _totals(book)["01"] == before


def test_errors_reach_the_user_in_vietnamese(setup, monkeypatch):
    book = _book(setup)
    _set(book, "returns_dir", "")
    assert "Chưa nhập «Thư mục chứa báo cáo»" in _click(book, monkeypatch)
    _set(book, "plan", "9999")
    assert "Không thực hiện được: no plan '9999'" in _click(book, monkeypatch)
    _set(book, "plan", "2800-2021")
    _set(book, "returns_dir", str(setup["returns"]))
    monkeypatch.setattr(addin, "consolidate", lambda *a, **k: 1 / 0)
    message = _click(book, monkeypatch)
    assert "Lỗi không mong đợi (ZeroDivisionError" in message and "Traceback" not in message


def test_check_action_writes_only_the_problems_sheet(setup, monkeypatch):
    book = _book(setup)
    _set(book, "action", addin.ACTION_CHECK)
    status = _click(book, monkeypatch)
    assert "Đã kiểm tra 2 tệp" in status
    assert book.sheets["Lỗi dữ liệu"].clears == 1 and book.sheets["Tổng hợp"].clears == 0


def test_generate_action_writes_the_units_workbooks(setup, monkeypatch, tmp_path):
    book = _book(setup)
    _set(book, "action", addin.ACTION_GENERATE)
    _set(book, "out_dir", str(tmp_path / "so"))
    _set(book, "units", "Hà Nội; Kom Tum")
    status = _click(book, monkeypatch)
    assert "Đã tạo 2 sổ" in status
    assert sorted(p.name for p in (tmp_path / "so").glob("*.xlsx")) == ["01-ha-noi.xlsx", "62-kon-tum.xlsx"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    result = CliRunner().invoke(main, ["addin", "build", "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out


def test_the_built_addin_is_a_valid_package_with_ribbon_and_vba(built):
    path = built / f"{ADDIN_NAME}.xlam"
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        names = set(archive.namelist())
        assert {"customUI/customUI.xml", "xl/vbaProject.bin", "[Content_Types].xml"} <= names
        ribbon = ElementTree.fromstring(archive.read("customUI/customUI.xml"))
        rels = archive.read("_rels/.rels").decode()
    assert "customUI/customUI.xml" in rels
    ns = "{http://schemas.microsoft.com/office/2006/01/customui}"
    assert ribbon.find(f".//{ns}tab").get("label") == "BHXH"
    assert ribbon.find(f".//{ns}button").get("label") == "Thực hiện"


def _vba_modules(path: Path) -> dict[str, str]:
    parser = VBA_Parser(str(path))
    try:
        return {stream.split("/")[-1]: code for _f, stream, _n, code in parser.extract_macros()}
    finally:
        parser.close()


def test_every_button_calls_an_existing_vba_procedure_and_python_function(built):
    path = built / f"{ADDIN_NAME}.xlam"
    modules = _vba_modules(path)
    with zipfile.ZipFile(path) as archive:
        ribbon = ElementTree.fromstring(archive.read("customUI/customUI.xml"))
    for button in ribbon.iter("{http://schemas.microsoft.com/office/2006/01/customui}button"):
        module, procedure = button.get("onAction").split(".")
        assert f"Sub {procedure}(control As IRibbonControl)" in modules[module]
    assert 'RunPython "import " & mymodule & ";" & mymodule & ".main()"' in modules["RibbonMyAddin"]
    assert "Left(ThisWorkbook.Name" in modules["RibbonMyAddin"]
    shim = (built / f"{ADDIN_NAME}.py").read_text(encoding="utf-8")
    assert "from workbook_tools.addin import main" in shim and callable(addin.main)


def test_the_vba_kept_in_macros_is_the_vba_in_the_addin(built):
    modules = _vba_modules(built / f"{ADDIN_NAME}.xlam")
    kept = (macros_dir() / "RibbonMyAddin.bas").read_text(encoding="utf-8")
    assert kept.strip().replace("\r\n", "\n") == modules["RibbonMyAddin"].strip().replace("\r\n", "\n")


def test_the_build_is_reproducible_and_can_name_the_interpreter(tmp_path):
    runner = CliRunner()
    for folder in ("a", "b"):
        runner.invoke(main, ["addin", "build", "--out", str(tmp_path / folder)], catch_exceptions=False)
    assert (tmp_path / "a" / f"{ADDIN_NAME}.xlam").read_bytes() == (tmp_path / "b" / f"{ADDIN_NAME}.xlam").read_bytes()
    runner.invoke(main, ["addin", "build", "--out", str(tmp_path / "c"), "--interpreter", r"C:\Python311\python.exe"], catch_exceptions=False)
    with zipfile.ZipFile(tmp_path / "c" / f"{ADDIN_NAME}.xlam") as archive:
        assert 'name="myaddin.conf"' in archive.read("xl/workbook.xml").decode()
        assert r"C:\Python311\python.exe" in archive.read("xl/worksheets/sheet1.xml").decode()


def test_install_explains_the_windows_setup(runner):
    result = runner.invoke(main, ["addin", "install"], catch_exceptions=False)
    assert result.exit_code == 0
    for text in ("xlwings addin install", "Trusted Locations", "Unblock", "Interpreter_Win"):
        assert text in result.output


def test_next_period_action_carries_the_figures_this_book_holds(setup, monkeypatch, tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    monkeypatch.setenv("WORKBOOK_TOOLS_DATA", str(data_dir))
    from .test_next_period import _continuation_plan

    _continuation_plan(tmp_path, data_dir)
    book = _book(setup)
    _click(book, monkeypatch)
    _set(book, "action", addin.ACTION_NEXT_PERIOD)
    _set(book, "next_plan", "2800-2021-t11")
    _set(book, "out_dir", str(tmp_path / "t11"))
    _set(book, "units", "01")
    status = _click(book, monkeypatch)
    assert "Đã tạo 1 sổ kỳ tiếp theo (2800-2021-t11)" in status and "lũy kế các kỳ trước" in status
    from .workbooks import computed

    sheet = computed(next((tmp_path / "t11").glob("01-*.xlsx")))["mau01"]
    assert sheet[("bhxh_bb", "carried:total")] == 200
