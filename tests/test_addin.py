"""The add-in's button, driven on Linux with a stand-in book, against what the CLI writes."""

from __future__ import annotations

import datetime as dt
import json
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner
from oletools.olevba import VBA_Parser

from workbook_tools import addin
from workbook_tools.addin_build import ADDIN_NAME, PIP_INSTALL, load_ribbon, macros_dir, ribbon_module, ribbon_xml, template_path
from workbook_tools.held import load_held
from workbook_tools.cli import main

from .fake_xlwings import FakeBook
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
    national = root / "panel.xlsx"
    result = runner.invoke(main, ["generate-national", "--plan", "2800-2021", "--out", str(national), "--returns-dir", str(returns)], catch_exceptions=False)
    assert result.exit_code == 0
    return {"root": root, "returns": returns, "manifest": manifest, "national": national,
            "cli": json.loads((root / "cli.json").read_text(encoding="utf-8")), "cli_xlsx": root / "cli.xlsx"}


def _book(setup, folder: Path) -> FakeBook:
    """The control book (Cấu hình) as Excel shows it, saved in its own folder."""
    path = folder / "panel.xlsx"
    path.write_bytes(setup["national"].read_bytes())
    book = FakeBook.from_xlsx(path)
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


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _generated_at(xml: bytes) -> bytes:
    """Blank the generation time, the one thing two runs of the same consolidation may differ in."""
    return re.sub(rb"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}Z?", b"<time>", xml)


def test_consolidate_button_writes_the_clis_national_workbook_charts_and_colours_included(setup, tmp_path):
    book = _book(setup, tmp_path)
    status = addin.run_consolidate(book)
    out = tmp_path / "tong-hop-2800-2021.xlsx"
    assert "Đã tổng hợp 2800-2021 vào" in status and "2 đơn vị được chấp nhận, 0 bị từ chối, 1 chưa nộp" in status
    assert book.app.books.opened == [str(out)]
    ours, cli = _parts(out), _parts(setup["cli_xlsx"])
    assert set(ours) == set(cli)
    assert any(name.startswith("xl/charts/chart") for name in ours)
    assert any(b"<conditionalFormatting" in data for name, data in ours.items() if name.startswith("xl/worksheets/"))
    for name in ours:
        assert _generated_at(ours[name]) == _generated_at(cli[name]), name


def test_a_second_click_never_closes_the_open_workbook_for_the_user_and_keeps_held_figures(setup, tmp_path):
    book = _book(setup, tmp_path)
    addin.run_consolidate(book)
    out = tmp_path / "tong-hop-2800-2021.xlsx"
    before = out.read_bytes()
    partial = tmp_path / "partial"
    partial.mkdir()
    only = next(setup["returns"].glob("02-*.xlsx"))
    (partial / only.name).write_bytes(only.read_bytes())
    _set(book, "returns_dir", str(partial))
    status = addin.run_consolidate(book)
    assert "đang mở trong Excel" in status and "lưu lại nếu đã sửa" in status
    assert book.app.books.closed == [] and out.read_bytes() == before
    book.app.books.user_closes_outputs()
    status = addin.run_consolidate(book)
    assert "2 đơn vị được chấp nhận" in status
    assert book.app.books.opened == [str(out), str(out)]
    assert {"01", "02"} <= set(load_held(out))


def test_errors_reach_the_user_in_vietnamese(setup, tmp_path, monkeypatch):
    book = _book(setup, tmp_path)
    _set(book, "returns_dir", "")
    assert "Chưa nhập «Thư mục chứa báo cáo»" in addin.run_consolidate(book)
    _set(book, "plan", "9999")
    assert "Không thực hiện được: không có kế hoạch «9999»" in addin.run_consolidate(book)
    _set(book, "plan", "2800-2021")
    _set(book, "returns_dir", str(setup["returns"]))
    monkeypatch.setattr(addin, "consolidate", lambda *a, **k: 1 / 0)
    message = addin.run_consolidate(book)
    assert "Lỗi không mong đợi (ZeroDivisionError" in message and "Traceback" not in message
    assert _status(book).endswith(message)


def test_a_book_opened_from_onedrive_gets_a_vietnamese_way_out(setup, tmp_path):
    book = _book(setup, tmp_path)
    book.fullname = "https://d.docs.live.net/4f2a/Documents/panel.xlsx"
    assert "OneDrive/SharePoint" in addin.run_consolidate(book) and "ổ máy" in _status(book)
    _set(book, "out_file", str(tmp_path / "ra-day.xlsx"))
    assert "Đã tổng hợp" in addin.run_consolidate(book) and (tmp_path / "ra-day.xlsx").exists()


def test_check_button_writes_only_the_problems_sheet(setup, tmp_path):
    book = _book(setup, tmp_path)
    status = addin.run_check(book)
    assert "Đã kiểm tra 2 tệp" in status
    assert book.sheets["Lỗi dữ liệu"].clears == 0 and "Tổng hợp" not in [s.name for s in book.sheets]
    assert not (tmp_path / "tong-hop-2800-2021.xlsx").exists()


def test_generate_button_writes_the_units_workbooks(setup, tmp_path):
    book = _book(setup, tmp_path)
    _set(book, "out_dir", str(tmp_path / "so"))
    _set(book, "units", "Hà Nội; Kom Tum")
    status = addin.run_generate(book)
    assert "Đã tạo 2 sổ" in status
    assert sorted(p.name for p in (tmp_path / "so").glob("*.xlsx")) == ["01-ha-noi.xlsx", "62-kon-tum.xlsx"]


def test_next_period_button_carries_the_national_workbooks_figures(setup, monkeypatch, tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    monkeypatch.setenv("WORKBOOK_TOOLS_DATA", str(data_dir))
    from .test_next_period import _continuation_plan

    _continuation_plan(tmp_path, data_dir)
    book = _book(setup, tmp_path)
    _set(book, "next_plan", "2800-2021-t11")
    _set(book, "out_dir", str(tmp_path / "t11"))
    _set(book, "units", "01")
    assert "bấm «Tổng hợp» trước" in addin.run_next_period(book)
    addin.run_consolidate(book)
    status = addin.run_next_period(book)
    assert "Đã tạo 1 sổ kỳ tiếp theo (2800-2021-t11)" in status and "lũy kế các kỳ trước" in status
    from .workbooks import computed

    sheet = computed(next((tmp_path / "t11").glob("01-*.xlsx")))["mau01"]
    assert sheet[("bhxh_bb", "carried:total")] == 200


def test_template_build_button_still_runs_the_action_chosen_on_the_config_sheet(setup, tmp_path, monkeypatch):
    import xlwings

    book = _book(setup, tmp_path)
    _set(book, "action", addin.ACTION_CHECK)
    monkeypatch.setattr(xlwings.Book, "caller", staticmethod(lambda: book))
    addin.main()
    assert "Đã kiểm tra 2 tệp" in _status(book)


def test_every_ribbon_button_has_its_python_entry_point():
    for button in load_ribbon().buttons:
        assert callable(getattr(addin, button.entry, None)), (
            f"the ribbon button «{button.label}» runs workbook_tools.addin.{button.entry}(), which does not exist")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    result = CliRunner().invoke(main, ["addin", "build", "--out", str(out), "--interpreter", r"C:\Python312\python.exe"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out / f"{ADDIN_NAME}.xlam"


def _vba_modules(path: Path) -> dict[str, str]:
    parser = VBA_Parser(str(path))
    try:
        return {stream.split("/")[-1]: code for _f, stream, _n, code in parser.extract_macros()}
    finally:
        parser.close()


def _buttons(path: Path) -> list:
    with zipfile.ZipFile(path) as archive:
        ribbon = ElementTree.fromstring(archive.read("customUI/customUI.xml"))
    return list(ribbon.iter("{http://schemas.microsoft.com/office/2006/01/customui}button"))


def test_one_button_per_action_each_calling_its_own_python_entry_point(built, setup, tmp_path, monkeypatch):
    import xlwings

    buttons = _buttons(built)
    assert [b.get("label") for b in buttons] == ["Tổng hợp", "Kiểm tra", "Tạo sổ", "Kỳ tiếp theo", "Báo cáo ngày"]
    modules = _vba_modules(built)
    commands = {}
    for button in buttons:
        module, procedure = button.get("onAction").split(".")
        found = re.search(rf'Sub {procedure}\(control As IRibbonControl\)\r\n    RunPython "([^"]+)"\r\nEnd Sub', modules[module])
        assert found, procedure
        commands[button.get("label")] = found.group(1)
    assert len(set(commands.values())) == len(commands)
    assert all(c.startswith("import workbook_tools.addin as a; a.run_") for c in commands.values())
    book = _book(setup, tmp_path)
    _set(book, "out_dir", str(tmp_path / "so"))
    _set(book, "units", "01")
    monkeypatch.setattr(xlwings.Book, "caller", staticmethod(lambda: book))
    expected = {"Tổng hợp": "Đã tổng hợp 2800-2021", "Kiểm tra": "Đã kiểm tra 2 tệp", "Tạo sổ": "Đã tạo 1 sổ"}
    for label, start in expected.items():
        exec(commands[label], {})  # exactly what RunPython runs
        assert start in _status(book), label


def test_the_ribbon_files_in_macros_are_generated_from_the_table():
    ribbon = load_ribbon()
    stale = "macros/ is stale: run `python -m workbook_tools.addin_build` after editing macros/ribbon.toml"
    assert (macros_dir() / "customUI.xml").read_text(encoding="utf-8") == ribbon_xml(ribbon), stale
    assert (macros_dir() / "BHXHRibbon.bas").read_text(encoding="utf-8") == ribbon_module(ribbon), stale


def test_xlwings_vba_is_kept_as_xlwings_ships_it_but_for_our_project_name():
    shipped = _vba_modules(template_path())
    ours = (macros_dir() / "xlwings.bas").read_text(encoding="ascii").split("\n")
    theirs = shipped["xlwings"].replace("\r\n", "\n").split("\n")
    changed = [(a, b) for a, b in zip(theirs, ours, strict=True) if a != b]
    assert changed == [('Public Const PROJECT_NAME As String = "myaddin"', 'Public Const PROJECT_NAME As String = "bhxh_tools"')]
    assert (macros_dir() / "Dictionary.cls").read_text(encoding="ascii") == shipped["Dictionary"].replace("\r\n", "\n")


def test_the_build_is_reproducible_and_writes_the_interpreter_always(tmp_path):
    import sys

    runner = CliRunner()
    for folder in ("a", "b"):
        result = runner.invoke(main, ["addin", "build", "--out", str(tmp_path / folder)], catch_exceptions=False)
        assert result.exit_code == 0 and f"Interpreter_Win = {sys.executable}" in result.output
    first = (tmp_path / "a" / f"{ADDIN_NAME}.xlam").read_bytes()
    assert first == (tmp_path / "b" / f"{ADDIN_NAME}.xlam").read_bytes()
    parts = _parts(tmp_path / "a" / f"{ADDIN_NAME}.xlam")
    assert f'name="{ADDIN_NAME}.conf"' in parts["xl/workbook.xml"].decode()
    assert f"<t>{sys.executable}</t>" in parts["xl/worksheets/sheet1.xml"].decode()
    assert not (tmp_path / "a" / f"{ADDIN_NAME}.py").exists()
    runner.invoke(main, ["addin", "build", "--out", str(tmp_path / "c"), "--interpreter", r"C:\Python312\python.exe"], catch_exceptions=False)
    assert r"<t>C:\Python312\python.exe</t>" in _parts(tmp_path / "c" / f"{ADDIN_NAME}.xlam")["xl/worksheets/sheet1.xml"].decode()


def test_from_template_builds_todays_one_button_add_in(tmp_path):
    result = CliRunner().invoke(main, ["addin", "build", "--from-template", "--out", str(tmp_path)], catch_exceptions=False)
    assert result.exit_code == 0
    path = tmp_path / f"{ADDIN_NAME}.xlam"
    assert _parts(path)["xl/vbaProject.bin"] == _parts(template_path())["xl/vbaProject.bin"]
    assert [b.get("label") for b in _buttons(path)] == ["Thực hiện"]
    kept = (macros_dir() / "template" / "RibbonMyAddin.bas").read_text(encoding="utf-8")
    assert kept.strip() == _vba_modules(path)["RibbonMyAddin"].strip().replace("\r\n", "\n")
    assert "from workbook_tools.addin import main" in (tmp_path / f"{ADDIN_NAME}.py").read_text(encoding="utf-8")


def test_install_explains_the_windows_setup_as_the_docs_do(runner):
    result = runner.invoke(main, ["addin", "install"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "xlwings addin install" not in result.output and "pip install workbook-tools" not in result.output
    for text in (PIP_INSTALL, "App execution aliases", "Trusted Locations", "Unblock", "OneDrive", "addin build"):
        assert text in result.output
    docs = (Path(__file__).parents[1] / "docs" / "addin.md").read_text(encoding="utf-8")
    assert PIP_INSTALL.startswith("py -m pip install <") and f"`{PIP_INSTALL}`" in docs
    assert docs.count("xlwings addin install") == 1 and "No `xlwings addin install`" in docs


def _named_commands(text: str) -> list[list[str]]:
    """Every `workbook-tools …` command line the text names, as tokens (placeholders and values included)."""
    found = []
    for span in re.findall(r"`([^`\n]*workbook-tools [^`\n]*)`", text):
        for command in re.findall(r"workbook-tools ((?:[^\s`]+ ?)+)", span):
            found.append(command.split())
    return found


def test_every_command_and_option_the_addin_doc_names_exists():
    import click

    text = (Path(__file__).parents[1] / "docs" / "addin.md").read_text(encoding="utf-8")
    named = _named_commands(text)
    assert len(named) >= 5
    for tokens in named:
        command: click.Command = main
        words = list(tokens)
        while isinstance(command, click.Group) and words and not words[0].startswith("-"):
            sub = command.commands.get(words[0])
            if sub is None:
                break
            command, words = sub, words[1:]
        assert command is not main or words == ["--help"], tokens
        if isinstance(command, click.Group):
            assert not words or words[0].startswith("--help"), f"docs/addin.md names a missing command: workbook-tools {' '.join(tokens)}"
        options = {opt for param in command.params for opt in param.opts} | {"--help"}
        for word in words:
            if word.startswith("--"):
                assert word in options, f"docs/addin.md: workbook-tools {' '.join(tokens)}: no option {word}"
    for module in re.findall(r"python -m ([\w.]+)", text):
        import importlib.util

        assert importlib.util.find_spec(module) is not None, module


def test_the_add_in_vba_matches_the_xlwings_the_package_installs(monkeypatch, tmp_path):
    import tomllib

    import xlwings

    from workbook_tools.addin_build import vba_xlwings_version

    version = vba_xlwings_version()
    pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text(encoding="utf-8"))
    assert f"xlwings=={version}" in pyproject["project"]["dependencies"] and xlwings.__version__ == version
    monkeypatch.setattr(xlwings, "__version__", "0.99.0")
    result = CliRunner().invoke(main, ["addin", "build", "--out", str(tmp_path)])
    assert result.exit_code == 2 and f"py -m pip install xlwings=={version}" in result.output
    assert not (tmp_path / f"{ADDIN_NAME}.xlam").exists()


def test_the_consolidate_button_refuses_hand_edits_and_discards_them_only_when_told_once(setup, tmp_path):
    import openpyxl

    book = _book(setup, tmp_path)
    addin.run_consolidate(book)
    out = tmp_path / "tong-hop-2800-2021.xlsx"
    book.app.books.user_closes_outputs()
    typed = openpyxl.load_workbook(out)  # staff type a phoned-in figure over Tổng hợp and save
    ws = typed["Tổng hợp"]
    row = next(c.row for c in ws["B"] if c.value == "01")
    cell = next(c for c in ws[row] if isinstance(c.value, (int, float)) and not isinstance(c.value, bool) and c.column > 4)
    cell.value = 987_654
    typed.save(out)
    before = out.read_bytes()
    status = addin.run_consolidate(book)
    assert "bị sửa tay" in status and cell.coordinate in status and "987.654" in status, status
    assert "gõ «có» vào dòng «discard_hand_edits»" in status and "--force" not in status
    assert out.read_bytes() == before and book.app.books.opened == [str(out)]
    _set(book, "discard_hand_edits", "có")
    assert addin.run_consolidate(book).startswith("Đã tổng hợp 2800-2021")
    assert out.read_bytes() != before
    config = book.sheets[addin.CONFIG_SHEET]
    row = next(r for (r, c), v in config.cells.items() if c == 1 and v == "discard_hand_edits")
    assert config.cells.get((row, 3)) in (None, "")  # used once: a later hand edit is caught again
