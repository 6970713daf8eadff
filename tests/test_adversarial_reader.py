"""An adversarial pass on the reader: returns as other spreadsheet programs, tired clerks and odd
file systems really produce them (cases beyond those of issue 9). Each test asserts what a user
would expect: no traceback, a Vietnamese problem naming the file (and the cell), and the figures
as typed (or left out, and said so)."""

from __future__ import annotations

import hashlib
import json
import os
import resource
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from workbook_tools.cli import main

from .libreoffice import convert
from . import test_adversarial_new as adversarial
from .test_adversarial_new import PLAN, VIETNAMESE, _actual, _return, _source, _unit
from .workbooks import openpyxl_indexes

blank, national = adversarial.blank, adversarial.national  # fixtures shared with the other adversarial tests

FORMULA_MONTH = "2021-10"


def _consolidate(folder: Path, *extra: str) -> tuple[object, dict]:
    """Run consolidate as a user would; the JSON it wrote (empty when none)."""
    out = folder.parent / f"{folder.name}-national"
    json_path = out.with_suffix(".json")
    result = CliRunner().invoke(main, ["consolidate", str(folder), "--plan", PLAN, "--out", str(out.with_suffix(".xlsx")),
                                       "--json", str(json_path), *extra], catch_exceptions=False)
    return result, json.loads(json_path.read_text(encoding="utf-8")) if json_path.exists() else {}


def _problems(payload: dict, file: str, code: str | None = None) -> list[dict]:
    return [p for p in payload["problems"] if p["file"] == file and (code is None or p["code"] == code)]


def _rezip(source: Path, target: Path, edit: Callable[[str, bytes], bytes]) -> Path:
    """Copy a package part by part, letting `edit` rewrite the parts (how other writers differ)."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, edit(info.filename, zin.read(info.filename)))
    return target


# --- Returns written by other spreadsheet programs ------------------------------------------------


@pytest.fixture(scope="module")
def libreoffice_returns(blank, tmp_path_factory) -> dict[str, Path]:
    """Returns saved by LibreOffice (own styles, shared strings, cached formula results) and as .ods.

    `formula.xlsx` has a formula typed over the October bhyt input; LibreOffice stores its result, 300.
    """
    root = tmp_path_factory.mktemp("lo")
    typed = _return(blank, "01", root / "typed" / "01-ha-noi.xlsx", {
        ("mau01", "thu", "actual:2021-10"): 56.5,
        ("mau02", "ghi_chu", "value:2021-09"): "Ghi chú 😀 עברית \u200f dài " + "x" * 5_000,
    })
    formula = _return(blank, "01", root / "typed" / "formula.xlsx", {("mau01", "bhyt", f"actual:{FORMULA_MONTH}"): "=SUM(100,200)"})
    saved = convert([typed, formula], root / "xlsx", "xlsx", force=True)
    ods = convert([typed], root / "ods", "ods", force=False)
    return {"xlsx": saved[0], "formula": saved[1], "ods": ods[0]}


def test_a_return_saved_as_ods_is_read_or_told_to_be_saved_as_xlsx(libreoffice_returns, tmp_path):
    """LibreOffice users (common in the public sector) press Save and get .ods: read it, or say so plainly."""
    folder = tmp_path / "returns"
    folder.mkdir()
    shutil.copy(libreoffice_returns["ods"], folder / "01-ha-noi.ods")
    result, payload = _consolidate(folder)
    if _unit(payload, "01")["status"] == "accepted":
        assert _actual(payload, "01", "bhyt") == 1_234
    else:
        messages = [p["message"] for p in _problems(payload, "01-ha-noi.ods")]
        assert any(".ods" in m and ".xlsx" in m for m in messages), messages
        assert _unit(payload, "01")["status"] == "rejected"  # Hà Nội sent something unusable, not nothing


def _formula_cell(path: Path, month: str = FORMULA_MONTH) -> str:
    """The reference of the input cell the formula was typed over."""
    book = openpyxl.load_workbook(path)
    ws, index = openpyxl_indexes(book)["mau01"]
    r, c = index.cell("bhyt", f"actual:{month}")
    return ws.cell(r + 1, c + 1).coordinate


def _sheet_part_of_mau01(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return next(n for n in archive.namelist() if n.startswith("xl/worksheets/") and f'r="{_formula_cell(path)}"'.encode() in archive.read(n)
                    and b"SUM(100,200)" in archive.read(n))


def _attributes_reordered(cell: str, part: str) -> Callable[[str, bytes], bytes]:
    """A writer that puts the cell's `r` attribute last (XML attribute order carries no meaning)."""
    def edit(name: str, data: bytes) -> bytes:
        if name != part:
            return data
        return re.sub(rb'<c r="' + cell.encode() + rb'"([^>]*?)>', lambda m: b"<c" + m.group(1) + b' r="' + cell.encode() + b'">', data)
    return edit


@pytest.mark.parametrize("writer", ["attributes_reordered"])
def test_a_formula_typed_over_an_input_is_an_error_whatever_wrote_the_xml(libreoffice_returns, tmp_path, writer):
    """The same workbook, as other valid OOXML writers serialise it: the formula must still be caught, not its result used."""
    source = libreoffice_returns["formula"]
    cell, part = _formula_cell(source), _sheet_part_of_mau01(source)
    edit = {"attributes_reordered": _attributes_reordered(cell, part)}[writer]
    folder = tmp_path / "returns"
    folder.mkdir()
    _rezip(source, folder / "01-ha-noi.xlsx", edit)
    result, payload = _consolidate(folder)
    assert result.exit_code in (1, 2)
    used = _actual(payload, "01", "bhyt", FORMULA_MONTH)
    assert used is None, f"the formula's cached result {used} was consolidated as if typed"
    found = _problems(payload, "01-ha-noi.xlsx", "formula_in_input")
    assert found and found[0]["cell"] == cell, [p["code"] for p in _problems(payload, "01-ha-noi.xlsx")]
    assert _actual(payload, "01", "bhyt") == 1_234


def _shared(part: str, cell: str, next_cell: str, text: str) -> Callable[[str, bytes], bytes]:
    """Excel's way of storing a formula filled right: the first cell carries the text, the next one only its index."""
    def edit(name: str, data: bytes) -> bytes:
        if name != part:
            return data
        data = re.sub(rb'(<c r="' + cell.encode() + rb'"[^>]*>)<f[^>]*>SUM\(100,200\)</f>',
                      lambda m: m.group(1) + f'<f t="shared" ref="{cell}:{next_cell}" si="0">{text}</f>'.encode(), data)
        return re.sub(rb'<c r="' + next_cell.encode() + rb'"([^>]*?)/>',
                      lambda m: b'<c r="' + next_cell.encode() + b'"' + m.group(1) + b' t="n"><f t="shared" si="0"/><v>300</v></c>', data)
    return edit


def _dragged(source: Path, tmp_path: Path, text: str) -> tuple[str, str, dict[str, str], dict]:
    """The formula return with `text` filled from October's bhyt cell into November's as Excel stores it;
    the two cells, the formula_in_input messages by cell, and the consolidated JSON."""
    cell, part, next_cell = _formula_cell(source), _sheet_part_of_mau01(source), _formula_cell(source, "2021-11")
    folder = tmp_path / "returns"
    folder.mkdir()
    _rezip(source, folder / "01-ha-noi.xlsx", _shared(part, cell, next_cell, text))
    _result, payload = _consolidate(folder)
    return cell, next_cell, {p["cell"]: p["message"] for p in _problems(payload, "01-ha-noi.xlsx", "formula_in_input")}, payload


def test_a_formula_dragged_across_months_names_the_formula_in_every_cell(libreoffice_returns, tmp_path):
    """Excel stores a formula filled right as a shared formula: only the first cell carries its text."""
    cell, next_cell, found, payload = _dragged(libreoffice_returns["formula"], tmp_path, "SUM(100,200)")
    assert set(found) == {cell, next_cell}
    assert _actual(payload, "01", "bhyt", "2021-11") is None
    assert "«=»" not in found[next_cell], found[next_cell]


def test_a_shared_formula_is_named_as_it_reads_in_each_cell(libreoffice_returns, tmp_path):
    """A formula with relative references, filled right, reads as many columns further in the next cell."""
    from openpyxl.utils import column_index_from_string, get_column_letter
    from openpyxl.utils.cell import coordinate_from_string

    cell, next_cell, found, _payload = _dragged(libreoffice_returns["formula"], tmp_path, "A1*2+$B$1")
    offset = column_index_from_string(coordinate_from_string(next_cell)[0]) - column_index_from_string(coordinate_from_string(cell)[0])
    assert offset > 0
    assert "«=A1*2+$B$1»" in found[cell], found
    assert f"«={get_column_letter(1 + offset)}1*2+$B$1»" in found[next_cell], found


# --- What clerks send back ---------------------------------------------------------------------------


def test_a_blank_workbook_sent_back_by_mistake_is_not_counted_as_a_return(blank, tmp_path):
    """The clerk attaches the blank form instead of the filled one: the unit has sent nothing."""
    folder = tmp_path / "returns"
    _return(blank, "01", folder / "01-ha-noi.xlsx")
    shutil.copy(_source(blank, "02"), folder / "02-ha-giang.xlsx")
    _result, payload = _consolidate(folder)
    assert _unit(payload, "02")["status"] != "accepted", _unit(payload, "02")
    assert payload["summary"]["accepted"] == 1
    assert [p for p in _problems(payload, "02-ha-giang.xlsx") if p["severity"] == "error"]


def _check_subprocess(folder: Path, json_path: Path, *extra: str, limit_mb: int = 0, timeout: int = 120) -> subprocess.CompletedProcess:
    """check in its own process (a hang or a memory blow-up must not take the test run with it)."""
    def limit() -> None:
        if limit_mb:
            resource.setrlimit(resource.RLIMIT_AS, (limit_mb << 20, limit_mb << 20))
    command = [str(Path(sys.executable).parent / "workbook-tools"), "check", str(folder), "--plan", PLAN, "--json", str(json_path), *extra]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, preexec_fn=limit)


@pytest.mark.parametrize("kind", ["folder", "dangling link"])
def test_an_entry_named_like_a_return_that_is_not_a_file_is_reported_not_silently_skipped(blank, tmp_path, kind):
    """A return extracted from a mailed .zip becomes a folder; a shortcut to a share can dangle: say so."""
    folder = tmp_path / "returns"
    _return(blank, "01", folder / "01-ha-noi.xlsx")
    odd = folder / "02-ha-giang.xlsx"
    if kind == "folder":
        odd.mkdir()
        _return(blank, "02", odd / "02-ha-giang.xlsx")
    else:
        os.symlink(tmp_path / "gone" / "02-ha-giang.xlsx", odd)
    result = _check_subprocess(folder, tmp_path / "check.json")
    assert "Traceback" not in result.stderr
    problems = json.loads((tmp_path / "check.json").read_text(encoding="utf-8"))["problems"]
    named = [p for p in problems if p["file"] == "02-ha-giang.xlsx"]
    assert named and VIETNAMESE.search(named[0]["message"]), problems


@pytest.mark.parametrize("deleted", ["column", "row"])
def test_deleting_the_hidden_keys_is_not_reported_as_a_deleted_sheet(blank, tmp_path, deleted):
    """Staff unhide everything and delete column A (or the key row), which looked empty: the sheet is still there."""
    book = openpyxl.load_workbook(_return(blank, "01", tmp_path / "typed.xlsx"))
    ws, index = openpyxl_indexes(book)["mau01"]
    if deleted == "column":
        ws.delete_cols(index.key_col + 1)
    else:
        ws.delete_rows(index.key_row + 1)
    folder = tmp_path / "returns"
    folder.mkdir()
    book.save(folder / "01-ha-noi.xlsx")
    _result, payload = _consolidate(folder)
    messages = [p["message"] for p in _problems(payload, "01-ha-noi.xlsx") if p["severity"] == "error"]
    assert messages, "a return that cannot be read by its keys must say so"
    assert not [m for m in messages if "đã bị xoá" in m and "sheet" in m], messages  # the sheet was not deleted


def test_a_sheet_name_retyped_in_decomposed_unicode_is_not_called_renamed(blank, tmp_path):
    """Vietnamese typing tools can write 'Unicode tổ hợp' (NFD): the name looks identical to the user."""
    import unicodedata

    book = openpyxl.load_workbook(_return(blank, "01", tmp_path / "typed.xlsx"))
    book["Mẫu 01"].title = unicodedata.normalize("NFD", "Mẫu 01")
    folder = tmp_path / "returns"
    folder.mkdir()
    book.save(folder / "01-ha-noi.xlsx")
    _result, payload = _consolidate(folder)
    assert _actual(payload, "01", "bhyt") == 1_234
    assert not _problems(payload, "01-ha-noi.xlsx", "sheet_renamed"), _problems(payload, "01-ha-noi.xlsx", "sheet_renamed")


def test_a_count_with_a_hidden_fraction_names_the_value_it_found(blank, tmp_path):
    """Values pasted from a computed sheet (3.0000000001 shown as 3 by the '#,##0' format): the message must show the fraction."""
    folder = tmp_path / "returns"
    _return(blank, "01", folder / "01.xlsx", {("mau01", "hoi_nghi", "actual:2021-09"): 3.0000000001})
    _result, payload = _consolidate(folder)
    found = _problems(payload, "01.xlsx", "not_whole")
    assert found and found[0]["cell"]
    assert "3,0000000001" in found[0]["message"], found[0]["message"]  # not "Giá trị 3 không phải số nguyên"


def test_a_figure_typed_over_a_mau02_cell_linked_to_mau01_is_reported(blank, tmp_path):
    """Mẫu 02's conferences row shows Mẫu 01's figure; a clerk unprotects the sheet (no password) and types there instead."""
    folder = tmp_path / "returns"
    _return(blank, "01", folder / "01.xlsx", {("mau02", "hoi_nghi_so", "value:2021-10"): 7})
    _result, payload = _consolidate(folder)
    book = openpyxl.load_workbook(folder / "01.xlsx")
    ws, index = openpyxl_indexes(book)["mau02"]
    r, c = index.cell("hoi_nghi_so", "value:2021-10")
    cell = ws.cell(r + 1, c + 1).coordinate
    used = _actual(payload, "01", "hoi_nghi", "2021-10") == 7
    named = [p for p in _problems(payload, "01.xlsx") if p["sheet"] == "Mẫu 02" and p["cell"] == cell]
    assert used or named, "the 7 conferences typed in Mẫu 02 vanished without a word"


# --- The national workbook between two runs --------------------------------------------------------


def _correct_by_hand(out: Path, value: float) -> str:
    """Type a figure over Hà Nội's BHYT 'Thực hiện' in Tổng hợp and save, as staff would; the cell's reference."""
    book = openpyxl.load_workbook(out)
    ws = book["Tổng hợp"]
    header = next(c.column for c in ws[4] if isinstance(c.value, str) and c.value.startswith("BHYT"))
    row = next(c.row for c in ws["B"] if c.value == "01")
    assert ws.cell(row, header + 1).value == 1_234
    ws.cell(row, header + 1).value = value
    book.save(out)
    return ws.cell(row, header + 1).coordinate


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_figure_corrected_by_hand_in_the_national_workbook_is_not_lost_without_a_word(national):
    """A province phones in a correction; staff type it over Hà Nội's BHYT 'Thực hiện' in Tổng hợp and save."""
    out, empty = national
    cell = _correct_by_hand(out, 1_500)
    before = _sha(out)
    json_path = out.with_suffix(".json")
    result = CliRunner().invoke(main, ["consolidate", str(empty), "--plan", PLAN, "--out", str(out), "--json", str(json_path)],
                                catch_exceptions=False)
    kept = json_path.exists() and _actual(json.loads(json_path.read_text(encoding="utf-8")), "01", "bhyt") == 1_500
    refused = result.exit_code == 2 and _sha(out) == before and "Tổng hợp" in result.output
    assert kept or refused, result.output
    assert cell in result.output and "1.500" in result.output and "--force" in result.output, result.output


def test_force_replaces_a_figure_corrected_by_hand_with_the_returns_figure(national):
    """Told what the hand edit was, staff may discard it: --force writes the figures of the returns."""
    out, empty = national
    _correct_by_hand(out, 1_500)
    json_path = out.with_suffix(".json")
    result = CliRunner().invoke(main, ["consolidate", str(empty), "--plan", PLAN, "--out", str(out), "--json", str(json_path), "--force"],
                                catch_exceptions=False)
    assert result.exit_code == 1, result.output  # 62 units missing
    assert _actual(json.loads(json_path.read_text(encoding="utf-8")), "01", "bhyt") == 1_234
    again = CliRunner().invoke(main, ["consolidate", str(empty), "--plan", PLAN, "--out", str(out)], catch_exceptions=False)
    assert again.exit_code == 1, again.output  # the rewritten workbook holds no hand edit any more


def test_a_national_workbook_resaved_by_libreoffice_is_not_taken_for_hand_edits(national, tmp_path):
    """Opened in LibreOffice and saved without typing anything: the next consolidation goes ahead."""
    out, empty = national
    resaved = convert([out], tmp_path / "resaved", "xlsx", force=False)[0]
    assert "_shown" in openpyxl.load_workbook(resaved, read_only=True).sheetnames  # the record of what was written survives
    result = CliRunner().invoke(main, ["consolidate", str(empty), "--plan", PLAN, "--out", str(resaved)], catch_exceptions=False)
    assert result.exit_code == 1, result.output
    assert "sửa tay" not in result.output, result.output


def _type_over(out: Path, sheet: str, pick: Callable[[Any], Any], value: float) -> tuple[str, Any]:
    """Type a value over one cell of a national workbook's sheet and save, as staff would: the cell and what it held."""
    book = openpyxl.load_workbook(out)
    cell = pick(book[sheet])
    written, cell.value = cell.value, value
    book.save(out)
    return cell.coordinate, written


def _refused(out: Path, empty: Path) -> str:
    """The next consolidation onto `out`: refused (exit 2), the workbook untouched; what it said."""
    before = _sha(out)
    result = CliRunner().invoke(main, ["consolidate", str(empty), "--plan", PLAN, "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 2 and _sha(out) == before, result.output
    return result.output


def test_a_monthly_figure_corrected_by_hand_is_named_too(national):
    """The correction typed in `Theo tháng` (Hà Nội, BHYT, September) instead of `Tổng hợp`."""
    out, empty = national

    def september(ws: Any) -> Any:  # the first month's Thực hiện (the whole-plan column comes last)
        row = next(r for r in ws.iter_rows(min_row=6) if r[0].value == "01" and r[3].value == "bhyt")
        return next(c for c in row[4:] if c.value == 1_234)
    cell, _ = _type_over(out, "Theo tháng", september, 1_500)
    output = _refused(out, empty)
    assert "Theo tháng" in output and cell in output and "1.500" in output, output


def test_a_task_figure_corrected_by_hand_in_nhiem_vu_is_named_too(national):
    """A Mẫu 02 result phoned in and typed over Hà Nội's row of `Nhiệm vụ`: refused like a figure of `Tổng hợp`."""
    out, empty = national
    # the first task (Hà Nội sent no Mẫu 02 figure: the cell is blank)
    cell, written = _type_over(out, "Nhiệm vụ", lambda ws: next(r for r in ws.iter_rows(min_row=6) if r[1].value == "01")[4], 7)
    output = _refused(out, empty)
    assert "Nhiệm vụ" in output and cell in output and "Hà Nội" in output and "7, sổ đã ghi (trống)" in output, output
    forced = CliRunner().invoke(main, ["consolidate", str(empty), "--plan", PLAN, "--out", str(out), "--force"], catch_exceptions=False)
    assert forced.exit_code == 1, forced.output
    assert openpyxl.load_workbook(out)["Nhiệm vụ"][cell].value == written  # the returns' figure again
