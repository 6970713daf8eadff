"""Adversarial cases that already read right when they were found: kept so they stay right (the cases found wrong are in test_adversarial_*.py)."""

from __future__ import annotations

import datetime
import json
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest


from .workbooks import openpyxl_indexes

from . import test_adversarial_new as adversarial
from .test_adversarial_new import _actual, _hashes, _return, _source, _unit
from . import test_adversarial_reader as reader_cases
from .test_adversarial_reader import _check_subprocess, _consolidate, _problems, _rezip

blank = adversarial.blank  # fixtures shared with the other adversarial tests
libreoffice_returns = reader_cases.libreoffice_returns

PLAN = "2800-2021"
DATE = datetime.date(2021, 11, 10)
VIETNAMESE = re.compile(r"[ăâđêôơưáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ]", re.I)
DATES_READ = {
    "15/11/2021": datetime.date(2021, 11, 15), "2021-11-15": datetime.date(2021, 11, 15), "15.11.2021": datetime.date(2021, 11, 15),
    "serial 44515": datetime.date(2021, 11, 15), "datetime with time": datetime.date(2021, 11, 15),
}
DATES_REFUSED = ["15-11-21", "11/15/2021", "ngày 15/11/2021", "15/11", "2021/11/15"]
FIGURES = [
    ("1\u00a0234", 1_234, "text_number"),   # non-breaking space pasted from a web page or Word
    ("1 234 567", 1_234_567, "text_number"),
    ("12 tr", None, "not_a_number"),        # "12 triệu"
    ("1.234 người", None, "not_a_number"),
    ("\u22125", None, "not_a_number"),      # a Unicode minus pasted from a document
]


def test_a_return_saved_by_libreoffice_is_read_as_typed(libreoffice_returns, tmp_path):
    folder = tmp_path / "returns"
    folder.mkdir()
    shutil.copy(libreoffice_returns["xlsx"], folder / "01-ha-noi.xlsx")
    before = _hashes(folder)
    result, payload = _consolidate(folder)
    assert result.exit_code == 1  # 62 units missing
    assert _unit(payload, "01")["status"] == "accepted"
    assert _actual(payload, "01", "bhyt") == 1_234
    assert _actual(payload, "01", "thu", "2021-10") == 56.5
    assert not [p for p in _problems(payload, "01-ha-noi.xlsx") if p["severity"] == "error"]
    assert _hashes(folder) == before


def _strict(name: str, data: bytes) -> bytes:
    """Excel's 'Strict Open XML Spreadsheet': the same parts under the ISO namespaces."""
    for transitional, strict in (
        (b"http://schemas.openxmlformats.org/spreadsheetml/2006/main", b"http://purl.oclc.org/ooxml/spreadsheetml/main"),
        (b"http://schemas.openxmlformats.org/officeDocument/2006/relationships", b"http://purl.oclc.org/ooxml/officeDocument/relationships"),
    ):
        data = data.replace(transitional, strict)
    if name == "xl/workbook.xml":
        data = data.replace(b"<workbook ", b'<workbook conformance="strict" ', 1)
    return data


def _prefixed(part: str) -> Callable[[str, bytes], bytes]:
    """A writer (e.g. the .NET Open XML SDK) that writes SpreadsheetML with an `x:` prefix."""
    def edit(name: str, data: bytes) -> bytes:
        if name != part:
            return data
        data = re.sub(rb"<(/?)([a-zA-Z]+)([ >/])", rb"<\1x:\2\3", data)
        return data.replace(b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"',
                            b'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"')
    return edit


def _date_value(label: str):
    return {"serial 44515": 44515, "datetime with time": datetime.datetime(2021, 11, 15, 10, 30)}.get(label, label)


@pytest.mark.parametrize("typed", list(DATES_READ))
def test_report_dates_typed_in_common_forms_are_read(blank, tmp_path, typed):
    folder = tmp_path / "returns"
    _return(blank, "01", folder / "01.xlsx", {("mau01", "round_date", "uom"): _date_value(typed)})
    _result, payload = _consolidate(folder)
    assert _unit(payload, "01")["round_date"] == DATES_READ[typed].isoformat()


@pytest.mark.parametrize("typed", DATES_REFUSED)
def test_report_dates_that_cannot_be_read_are_an_error_naming_the_cell(blank, tmp_path, typed):
    folder = tmp_path / "returns"
    _return(blank, "01", folder / "01.xlsx", {("mau01", "round_date", "uom"): typed})
    _result, payload = _consolidate(folder)
    found = _problems(payload, "01.xlsx", "round_date_invalid")
    assert found and found[0]["cell"] and typed in found[0]["message"]
    assert _unit(payload, "01")["round_date"] is None


def test_a_report_date_in_a_1904_date_system_workbook_is_read(blank, tmp_path):
    """A workbook switched to the 1904 date system (Excel for Mac option) stores dates 1462 days apart."""
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    book = openpyxl.load_workbook(_source(blank, "01"))
    book.epoch = CALENDAR_MAC_1904
    ws, index = openpyxl_indexes(book)["mau01"]
    r, c = index.cell("round_date", "uom")
    ws.cell(r + 1, c + 1).value = datetime.date(2021, 11, 15)
    folder = tmp_path / "returns"
    folder.mkdir()
    book.save(folder / "01.xlsx")
    _result, payload = _consolidate(folder)
    assert _unit(payload, "01")["round_date"] == "2021-11-15"


@pytest.mark.parametrize("typed,expected,code", FIGURES, ids=[f[0] for f in FIGURES])
def test_figures_typed_with_spaces_or_units_are_read_or_refused_with_the_cell(blank, tmp_path, typed, expected, code):
    folder = tmp_path / "returns"
    _return(blank, "01", folder / "01.xlsx", {("mau01", "bhxh_bb", "actual:2021-09"): typed})
    _result, payload = _consolidate(folder)
    assert _actual(payload, "01", "bhxh_bb") == expected
    found = _problems(payload, "01.xlsx", code)
    assert found and found[0]["cell"] and VIETNAMESE.search(found[0]["message"])


def test_rows_sorted_without_their_hidden_key_column_are_not_read_under_the_wrong_indicator(blank, tmp_path):
    """Sorting (or cut-and-paste of) the visible table moves figures and labels but not the keys in column A."""
    book = openpyxl.load_workbook(_source(blank, "01"))
    ws, index = openpyxl_indexes(book)["mau01"]
    ws.cell(index.rows["round_date"] + 1, index.cols["uom"] + 1).value = DATE
    first, second = index.rows["bhxh_bb"] + 1, index.rows["bhyt"] + 1
    ws.cell(first, index.cols["actual:2021-09"] + 1).value = 111      # typed against BHXH bắt buộc
    ws.cell(second, index.cols["actual:2021-09"] + 1).value = 999     # typed against Bảo hiểm y tế
    ws.protection.sheet = False
    for column in range(index.key_col + 2, ws.max_column + 1):
        a, b = ws.cell(first, column), ws.cell(second, column)
        a.value, b.value = b.value, a.value
    folder = tmp_path / "returns"
    folder.mkdir()
    book.save(folder / "01.xlsx")
    _result, payload = _consolidate(folder)
    assert _actual(payload, "01", "bhxh_bb") != 999 and _actual(payload, "01", "bhyt") != 111
    assert [p for p in _problems(payload, "01.xlsx") if p["severity"] == "error"]


def test_a_sheet_protected_with_a_password_is_read(blank, tmp_path):
    book = openpyxl.load_workbook(_return(blank, "01", tmp_path / "typed.xlsx"))
    for ws in book.worksheets:
        ws.protection.sheet = True
        ws.protection.password = "bhxh2021"
    book.security = openpyxl.workbook.protection.WorkbookProtection(workbookPassword="bhxh2021", lockStructure=True)
    folder = tmp_path / "returns"
    folder.mkdir()
    book.save(folder / "01.xlsx")
    _result, payload = _consolidate(folder)
    assert _actual(payload, "01", "bhyt") == 1_234


def test_fifos_and_device_links_in_the_returns_folder_do_not_hang_the_run(blank, tmp_path):
    folder = tmp_path / "returns"
    _return(blank, "01", folder / "01-ha-noi.xlsx")
    os.mkfifo(folder / "02-ha-giang.xlsx")
    os.symlink("/dev/zero", folder / "10-lao-cai.xlsx")
    result = _check_subprocess(folder, tmp_path / "check.json", timeout=60)
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr
    units = {u["code"]: u["status"] for u in json.loads((tmp_path / "check.json").read_text(encoding="utf-8"))["units"]}
    assert units["01"] == "accepted"


def test_a_sheet_that_inflates_to_hundreds_of_megabytes_is_refused_and_the_others_are_read(blank, tmp_path):
    """A 400 KB file whose sheet inflates to 400 MB: bounded memory, one problem for that file, the rest read."""
    folder = tmp_path / "returns"
    _return(blank, "01", folder / "01-ha-noi.xlsx")
    source = _return(blank, "02", tmp_path / "02.xlsx")
    part = _sheet_part_of(source, "Mẫu 01")

    def inflate(name: str, data: bytes) -> bytes:
        if name != part:
            return data
        at = data.index(b"<sheetData>")
        return data[:at] + b" " * (400 << 20) + data[at:]
    _rezip(source, folder / "02-ha-giang.xlsx", inflate)
    before = _hashes(folder)
    result = _check_subprocess(folder, tmp_path / "check.json", limit_mb=1200, timeout=300)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr[-2000:]
    payload = json.loads((tmp_path / "check.json").read_text(encoding="utf-8"))
    assert {u["code"]: u["status"] for u in payload["units"]}["01"] == "accepted"
    assert [p for p in payload["problems"] if p["file"] == "02-ha-giang.xlsx" and p["severity"] == "error"]
    assert _hashes(folder) == before


def _sheet_part_of(path: Path, sheet: str) -> str:
    book = openpyxl.load_workbook(path, read_only=True)
    position = book.sheetnames.index(sheet)
    book.close()
    return f"xl/worksheets/sheet{position + 1}.xml"
