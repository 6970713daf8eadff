"""Every bad input of DESIGN §7, each in its own file built here: its code, its message, and the
other files still read and consolidated. Returned files are never written to."""

from __future__ import annotations

import hashlib
import json
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from msoffcrypto.format.ooxml import OOXMLFile

from workbook_tools.cli import main

from .workbooks import fill, openpyxl_indexes

GOOD = {"30": 1_111, "31": 2_222}
DATE = __import__("datetime").date(2021, 11, 10)


def _edit(source: Path, target: Path, change) -> None:
    """Open a generated workbook in openpyxl, change it as a careless user would, save it."""
    book = openpyxl.load_workbook(source)
    change(book)
    book.save(target)


def _cell(book, form: str, row_key: str, col_key: str):
    ws, index = openpyxl_indexes(book)[form]
    r, c = index.cell(row_key, col_key)
    return ws.cell(r + 1, c + 1)


def _typed(source: Path, target: Path, values: dict) -> None:
    fill(source, {("mau01", "round_date", "uom"): DATE, **values}, target)


@pytest.fixture(scope="module")
def returns(tmp_path_factory) -> dict:
    runner = CliRunner()
    root = tmp_path_factory.mktemp("bad")
    blank = root / "blank"
    result = runner.invoke(main, ["generate", "--plan", "2800-2021", "--out", str(blank)], catch_exceptions=False)
    assert result.exit_code == 0
    other = root / "other"
    runner.invoke(main, ["generate", "--plan", "275-2021", "--out", str(other), "--unit", "01"], catch_exceptions=False)
    src = {p.name[:2]: p for p in blank.glob("*.xlsx")}
    out = root / "returns"
    out.mkdir()
    for code, value in GOOD.items():
        _typed(src[code], out / src[code].name, {("mau01", "bhyt", "actual:2021-09"): value})
    _typed(src["01"], out / "01-text.xlsx", {
        ("mau01", "bhxh_bb", "actual:2021-09"): "1.234", ("mau01", "bhxh_tn", "actual:2021-09"): "1,234",
        ("mau01", "bhyt", "actual:2021-09"): " 12 ", ("mau01", "thu", "actual:2021-09"): "1.234,5",
    })
    _typed(src["02"], out / "02-negative.xlsx", {("mau01", "bhyt", "actual:2021-09"): -5})
    _typed(src["04"], out / "04-formula.xlsx", {("mau01", "bhyt", "actual:2021-09"): "=SUM(100,200)"})
    _typed(src["08"], out / "08-error.xlsx", {("mau01", "bhyt", "actual:2021-09"): "#DIV/0!"})
    _typed(src["25"], out / "25-not-numbers.xlsx", {("mau01", "bhyt", "actual:2021-09"): 12.5, ("mau01", "bhxh_bb", "actual:2021-09"): "mười hai"})
    _typed(src["20"], out / "20-absurd.xlsx", {("mau01", "hoi_nghi", "actual:2021-09"): 99_999})
    fill(src["22"], {("mau01", "round_date", "uom"): "32/13/2021", ("mau01", "bhyt", "actual:2021-09"): 7}, out / "22-bad-date.xlsx")
    fill(src["24"], {("mau01", "bhyt", "actual:2021-09"): 7}, out / "24-no-date.xlsx")

    def move_things(book):
        ws, index = openpyxl_indexes(book)["mau01"]
        _cell(book, "mau01", "bhyt", "actual:2021-09").value = 4_321
        ws.insert_rows(index.rows["bhyt"] + 1, 2)
        ws.insert_cols(6, 1)
        ws.row_dimensions[index.rows["bhxh_tn"] + 1].hidden = True
        ws.column_dimensions["E"].hidden = True
        _cell(book, "mau01", "round_date", "uom").value = DATE
    _edit(src["10"], out / "10-moved.xlsx", move_things)

    def delete_row(book):
        ws, index = openpyxl_indexes(book)["mau01"]
        _cell(book, "mau01", "round_date", "uom").value = DATE
        _cell(book, "mau01", "thu", "actual:2021-09").value = 55
        ws.delete_rows(index.rows["bhyt"] + 1)
    _edit(src["11"], out / "11-deleted-row.xlsx", delete_row)

    def rename(book):
        _cell(book, "mau01", "round_date", "uom").value = DATE
        _cell(book, "mau01", "bhyt", "actual:2021-09").value = 77
        book["Mẫu 01"].title = "Mau 01"
    _edit(src["12"], out / "12-renamed.xlsx", rename)
    _edit(src["14"], out / "14-deleted-sheet.xlsx", lambda book: book.remove(book["Mẫu 02"]))

    def edit_target(book):
        _cell(book, "mau01", "round_date", "uom").value = DATE
        _cell(book, "chi_tieu", "bhyt", "target:total").value = 1
    _edit(src["15"], out / "15-target.xlsx", edit_target)
    fill(src["17"], {("mau01", "round_date", "uom"): __import__("datetime").date(2021, 10, 31)}, out / "17-a.xlsx")
    fill(src["17"], {("mau01", "round_date", "uom"): DATE}, out / "17-b.xlsx")
    shutil.copy(next(other.glob("*.xlsx")), out / "275-other-plan.xlsx")
    (out / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1024)
    with (src["01"]).open("rb") as plain, (out / "secret.xlsx").open("wb") as encrypted:
        OOXMLFile(plain).encrypt("bhxh", encrypted)
    (out / "broken.xlsx").write_bytes(src["01"].read_bytes()[:3000])
    (out / "empty.xlsx").write_bytes(b"")
    (out / "~$01-ha-noi.xlsx").write_bytes(b"\x0bNguyen Van A" + b"\0" * 150)
    _typed(src["19"], root / "19-typed.xlsx", {("mau01", "bhyt", "actual:2021-09"): 19})
    shutil.copy(root / "19-typed.xlsx", out / "19-macros.xlsm")
    with zipfile.ZipFile(out / "19-macros.xlsm", "a") as archive:
        archive.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 fake vba")
    (out / "notes.pdf").write_bytes(b"%PDF-1.4\n%fake\n")
    with zipfile.ZipFile(out / "letter.docx", "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    plain_book = openpyxl.Workbook()
    plain_book.active["A1"] = "Báo cáo tự làm"
    plain_book.save(out / "plain.xlsx")

    before = {p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns) for p in out.iterdir()}
    check = runner.invoke(main, ["check", str(out), "--plan", "2800-2021", "--json", str(root / "check.json")], catch_exceptions=False)
    consolidated = runner.invoke(main, ["consolidate", str(out), "--plan", "2800-2021", "--out", str(root / "national.xlsx"),
                                        "--json", str(root / "national.json")], catch_exceptions=False)
    after = {p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns) for p in out.iterdir()}
    return {
        "check": check, "consolidate": consolidated, "before": before, "after": after,
        "problems": json.loads((root / "check.json").read_text(encoding="utf-8"))["problems"],
        "national": json.loads((root / "national.json").read_text(encoding="utf-8")),
    }


def _problems(returns, file: str, code: str) -> list[dict]:
    return [p for p in returns["problems"] if p["file"] == file and p["code"] == code]


def _unit(returns, code: str) -> dict:
    return next(u for u in returns["national"]["units"] if u["code"] == code)


def _actual(returns, code: str, indicator: str, period: str = "2021-09"):
    return next(v["actual"] for v in _unit(returns, code)["values"] if v["indicator"] == indicator and v["period"] == period)


CASES = [
    ("01-text.xlsx", "text_number", "đã hiểu là 1.234", "warning"),
    ("02-negative.xlsx", "negative", "Số âm (-5)", "error"),
    ("04-formula.xlsx", "formula_in_input", "=SUM(100,200)", "error"),
    ("08-error.xlsx", "excel_error", "#DIV/0!", "error"),
    ("25-not-numbers.xlsx", "not_whole", "không phải số nguyên", "error"),
    ("25-not-numbers.xlsx", "not_a_number", "«mười hai» không phải là số", "error"),
    ("20-absurd.xlsx", "absurd_value", "99.999", "warning"),
    ("22-bad-date.xlsx", "round_date_invalid", "32/13/2021", "error"),
    ("24-no-date.xlsx", "round_date_missing", "Chưa nhập ngày báo cáo", "warning"),
    ("11-deleted-row.xlsx", "key_missing", "bhyt", "error"),
    ("12-renamed.xlsx", "sheet_renamed", "«Mau 01»", "warning"),
    ("14-deleted-sheet.xlsx", "sheet_missing", "«Mẫu 02»", "error"),
    ("15-target.xlsx", "target_edited", "được giao là 92.179", "warning"),
    ("17-a.xlsx", "duplicate_unit", "17-b.xlsx", "warning"),
    ("275-other-plan.xlsx", "other_plan", "275-2021", "error"),
    ("old.xls", "legacy_xls", ".xls", "error"),
    ("secret.xlsx", "encrypted", "mật khẩu", "error"),
    ("broken.xlsx", "corrupt", "bị hỏng", "error"),
    ("empty.xlsx", "empty_file", "rỗng", "error"),
    ("~$01-ha-noi.xlsx", "lock_file", "tệp khoá", "warning"),
    ("19-macros.xlsm", "macros", "macro không được chạy", "warning"),
    ("notes.pdf", "not_workbook", "Không phải sổ Excel", "error"),
    ("letter.docx", "not_workbook", "Không phải sổ Excel", "error"),
    ("plain.xlsx", "no_identity", "_meta", "error"),
]


@pytest.mark.parametrize("file,code,fragment,severity", CASES, ids=[f"{c[1]}:{c[0]}" for c in CASES])
def test_each_bad_input_has_its_code_and_an_actionable_message(returns, file, code, fragment, severity):
    found = _problems(returns, file, code)
    assert found, f"{code} not reported for {file}"
    assert any(fragment.lower() in p["message"].lower() for p in found), [p["message"] for p in found]
    assert all(p["severity"] == severity for p in found)


@pytest.mark.parametrize("file,code,fragment,severity", CASES, ids=[f"{c[1]}:{c[0]}" for c in CASES])
def test_the_good_files_are_still_consolidated(returns, file, code, fragment, severity):
    for unit, value in GOOD.items():
        assert _unit(returns, unit)["status"] == "accepted"
        assert _actual(returns, unit, "bhyt") == value



def test_text_numbers_are_read_with_their_separators(returns):
    assert _actual(returns, "01", "bhxh_bb") == 1_234
    assert _actual(returns, "01", "bhxh_tn") == 1_234
    assert _actual(returns, "01", "bhyt") == 12
    assert _actual(returns, "01", "thu") == 1_234.5


def test_unusable_values_are_left_out_but_the_file_is_used(returns):
    for unit in ("02", "04", "08", "25"):
        assert _unit(returns, unit)["status"] == "accepted"
        assert _actual(returns, unit, "bhyt") is None
    problem = _problems(returns, "02-negative.xlsx", "negative")[0]
    assert problem["sheet"] == "Mẫu 01" and problem["indicator"] == "bhyt" and problem["period"] == "2021-09" and problem["cell"]


def test_moved_and_hidden_rows_and_columns_still_read_right(returns):
    assert _actual(returns, "10", "bhyt") == 4_321
    assert not [p for p in returns["problems"] if p["file"] == "10-moved.xlsx" and p["severity"] == "error"]


def test_a_deleted_row_loses_only_that_row(returns):
    assert _actual(returns, "11", "thu") == 55
    assert _actual(returns, "11", "bhyt") is None


def test_renamed_sheet_is_still_read(returns):
    assert _actual(returns, "12", "bhyt") == 77


def test_file_level_errors_reject_the_unit(returns):
    assert _unit(returns, "14")["status"] == "rejected"
    assert _unit(returns, "17")["file"] == "17-b.xlsx"
    assert _unit(returns, "19")["status"] == "accepted"


def test_exit_codes(returns):
    assert returns["check"].exit_code == 1
    assert returns["consolidate"].exit_code == 1


def test_returned_files_are_never_written_to(returns):
    assert returns["before"] == returns["after"]


def test_unreadable_folder_exits_2(runner, tmp_path):
    result = runner.invoke(main, ["check", str(tmp_path / "nowhere"), "--plan", "2800-2021"])
    assert result.exit_code == 2 and "Không thấy thư mục báo cáo" in result.output and str(tmp_path / "nowhere") in result.output


def test_clean_returns_consolidate_with_an_empty_problems_table(runner, tmp_path):
    result = runner.invoke(main, ["generate", "--plan", "2800-2021", "--out", str(tmp_path / "blank"), "--unit", "01", "--unit", "02"])
    assert result.exit_code == 0
    returns = tmp_path / "returns"
    returns.mkdir()
    for path in (tmp_path / "blank").glob("*.xlsx"):
        indicators = ("bhxh_bb", "bhxh_tn", "bhyt", "thu", "thanh_tra", "ra_soat_thue", "hoi_nghi")
        _typed(path, returns / path.name, {("mau01", i, f"actual:{m}"): 10 for i in indicators for m in ("2021-09", "2021-10", "2021-11")})
    args = ["consolidate", str(returns), "--manifest", str(tmp_path / "blank" / "manifest.json"), "--out", str(tmp_path / "n.xlsx"), "--json", str(tmp_path / "n.json")]
    result = runner.invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    payload = json.loads((tmp_path / "n.json").read_text(encoding="utf-8"))
    assert payload["problems"] == [] and payload["summary"] == {"accepted": 2, "rejected": 0, "missing": 0}
    assert openpyxl.load_workbook(tmp_path / "n.xlsx")["Lỗi dữ liệu"].tables["LoiDuLieu"].ref == "A4:I5"


def test_an_existing_file_not_written_by_the_tool_is_not_replaced(runner, tmp_path):
    result = runner.invoke(main, ["generate", "--plan", "2800-2021", "--out", str(tmp_path / "blank"), "--unit", "01"])
    precious = tmp_path / "bao-cao-cua-toi.xlsx"
    openpyxl.Workbook().save(precious)
    before = precious.read_bytes()
    result = runner.invoke(main, ["consolidate", str(tmp_path / "blank"), "--plan", "2800-2021", "--out", str(precious)])
    assert result.exit_code == 2 and "--force" in result.output
    assert precious.read_bytes() == before
    forced = runner.invoke(main, ["consolidate", str(tmp_path / "blank"), "--plan", "2800-2021", "--out", str(precious), "--force"])
    assert forced.exit_code == 1 and precious.read_bytes() != before  # 1: a blank form sent back is no return
