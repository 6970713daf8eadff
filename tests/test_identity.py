"""A file that names two units (its `_meta`, its properties, its name, its signature, its targets)
is an error naming both, and never replaces the real return of the unit it claims."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from workbook_tools.cli import main

from .workbooks import fill, generated

SEP = ("mau01", "bhyt", "actual:2021-09")


def _set_meta(path: Path, **values: str) -> None:
    """Edit the hidden `_meta` sheet in openpyxl, as someone unhiding it would."""
    book = openpyxl.load_workbook(path)
    ws = book["_meta"]
    for row in ws.iter_rows(min_row=2):
        if row[0].value in values:
            row[1].value = values[row[0].value]
    book.save(path)


def _set_property(path: Path, name: str, value: str) -> None:
    """Zip-edit one custom document property (File > Properties > Custom)."""
    edited = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(edited, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "docProps/custom.xml":
                text, count = re.subn(rf'(name="wt_{name}"[^>]*><vt:lpwstr>)[^<]*', rf"\g<1>{value}", data.decode())
                assert count == 1
                data = text.encode()
            zout.writestr(item, data)
    edited.replace(path)


def _returned(src: Path, target: Path, value: int, day: date = date(2021, 9, 30), reporter: str = "") -> Path:
    values = {("mau01", "round_date", "uom"): day, SEP: value}
    if reporter:
        values[("mau01", "reporter", "uom")] = reporter
    return fill(src, values, target)


@pytest.fixture(scope="module")
def blank(tmp_path_factory) -> dict[str, Path]:
    return generated(tmp_path_factory.mktemp("identity"), ("01", "02", "04"))


def _check(folder: Path, tmp_path: Path) -> tuple[int, list[dict]]:
    out = tmp_path / "check.json"
    result = CliRunner().invoke(main, ["check", str(folder), "--plan", "2800-2021", "--json", str(out)], catch_exceptions=False)
    return result.exit_code, json.loads(out.read_text(encoding="utf-8"))["problems"]


def _conflicts(problems: list[dict], file: str) -> list[str]:
    found = [p for p in problems if p["file"] == file and p["code"] == "identity_conflict"]
    assert all(p["severity"] == "error" for p in found)
    return [p["message"] for p in found]


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


def test_meta_edited_to_claim_another_unit_is_an_error_naming_both(blank, tmp_path):
    folder = tmp_path / "returns"
    folder.mkdir()
    edited = _returned(blank["01"], folder / "bao-cao.xlsx", 5_000)
    _set_meta(edited, unit_code="02")
    before = _hashes(folder)
    code, problems = _check(folder, tmp_path)
    messages = _conflicts(problems, "bao-cao.xlsx")
    assert code == 1 and len(messages) == 2
    assert all("sheet _meta ghi 02 Hà Giang" in m for m in messages)
    assert any("thuộc tính tệp (wt_unit_code) ghi 01 Hà Nội" in m for m in messages)
    assert any("tên đơn vị trong sheet _meta «Hà Nội» là 01 Hà Nội" in m for m in messages)
    assert _hashes(folder) == before


def test_meta_and_properties_both_edited_are_caught_by_the_targets(blank, tmp_path):
    folder = tmp_path / "returns"
    folder.mkdir()
    edited = _returned(blank["01"], folder / "bao-cao.xlsx", 5_000)
    _set_meta(edited, unit_code="02", unit_name="Hà Giang")
    _set_property(edited, "unit_code", "02")
    code, problems = _check(folder, tmp_path)
    assert code == 1
    assert _conflicts(problems, "bao-cao.xlsx") == [
        "Thông tin nhận diện mâu thuẫn: sheet _meta ghi 02 Hà Giang, nhưng chỉ tiêu trong sổ là chỉ tiêu của "
        "01 Hà Nội. Tệp không được dùng và không thay báo cáo của đơn vị nào; đề nghị đơn vị gửi lại đúng sổ "
        "đã được gửi cho mình (không sửa sheet _meta, không dùng sổ của đơn vị khác)."
    ]
    assert not [p for p in problems if p["code"] == "target_edited"]


def test_file_name_or_signature_of_another_province_is_an_error(blank, tmp_path):
    folder = tmp_path / "returns"
    folder.mkdir()
    _returned(blank["01"], folder / "02-ha-giang.xlsx", 5_000)
    _returned(blank["01"], folder / "bao-cao-t9.xlsx", 5_000, reporter="Nguyễn Văn A – BHXH tỉnh Hà Giang")
    code, problems = _check(folder, tmp_path)
    assert code == 1
    assert [m.split(". ")[0] for m in _conflicts(problems, "02-ha-giang.xlsx")] == [
        "Thông tin nhận diện mâu thuẫn: sheet _meta ghi 01 Hà Nội, nhưng tên tệp «02-ha-giang.xlsx» ghi 02 Hà Giang"]
    signed = [p for p in problems if p["file"] == "bao-cao-t9.xlsx" and p["code"] == "identity_conflict"]
    assert len(signed) == 1 and signed[0]["sheet"] == "Mẫu 01" and signed[0]["cell"]
    assert "người lập biểu «Nguyễn Văn A – BHXH tỉnh Hà Giang» thuộc 02 Hà Giang" in signed[0]["message"]


def test_renamed_files_and_people_named_like_provinces_are_not_conflicts(blank, tmp_path):
    folder = tmp_path / "returns"
    folder.mkdir()
    _returned(blank["01"], folder / "Bao cao thang 9 (1).xlsx", 5_000, reporter="Trần Long An")
    _returned(blank["02"], folder / "ha-giang-T9-ban-sua.xlsx", 6_000, reporter="Lò Thị Hòa Bình, BHXH tỉnh Hà Giang")
    code, problems = _check(folder, tmp_path)
    assert code == 0 and not [p for p in problems if p["code"] == "identity_conflict"]


def test_a_relabelled_workbook_never_replaces_the_real_return(blank, tmp_path):
    """Hà Nội fills Hà Giang's workbook and relabels it: Hà Giang's real figures stay, this round and the next."""
    folder, out, js = tmp_path / "returns", tmp_path / "national.xlsx", tmp_path / "national.json"
    folder.mkdir()
    _returned(blank["02"], folder / "02-ha-giang.xlsx", 6_000)
    impostor = _returned(blank["01"], folder / "02-ha-giang-moi.xlsx", 99, day=date(2021, 10, 15))
    _set_meta(impostor, unit_code="02", unit_name="Hà Giang")
    _set_property(impostor, "unit_code", "02")

    def run() -> dict:
        args = ["consolidate", str(folder), "--plan", "2800-2021", "--out", str(out), "--json", str(js)]
        CliRunner().invoke(main, args, catch_exceptions=False)
        payload = json.loads(js.read_text(encoding="utf-8"))
        unit = next(u for u in payload["units"] if u["code"] == "02")
        sep = next(f["actual"] for f in unit["values"] if (f["indicator"], f["period"]) == ("bhyt", "2021-09"))
        conflict = "identity_conflict" in {p["code"] for p in payload["problems"] if p["file"] == impostor.name}
        return {"file": unit["file"], "status": unit["status"], "sep": sep, "conflict": conflict, "notices": payload["notices"]}

    expected = {"file": "02-ha-giang.xlsx", "status": "accepted", "sep": 6_000, "conflict": True, "notices": []}
    assert run() == expected
    (folder / "02-ha-giang.xlsx").unlink()  # next round: only the relabelled file comes back
    assert run() == expected


def test_two_senders_for_one_unit_use_neither_until_staff_choose(blank, tmp_path):
    folder = tmp_path / "returns"
    folder.mkdir()
    _returned(blank["04"], folder / "04-cao-bang.xlsx", 3_000, reporter="Hoàng Văn C")
    shutil.copy(blank["04"], tmp_path / "copy.xlsx")
    _returned(tmp_path / "copy.xlsx", folder / "04-cao-bang (1).xlsx", 30, day=date(2021, 10, 5), reporter="Trần Thị D")
    _returned(blank["01"], folder / "01-ha-noi.xlsx", 5_000)
    _returned(blank["01"], folder / "01-ha-noi-lan-2.xlsx", 5_100, day=date(2021, 10, 5))
    code, problems = _check(folder, tmp_path)
    assert code == 1
    rival = {p["file"]: p for p in problems if p["code"] == "duplicate_conflict"}
    assert set(rival) == {"04-cao-bang.xlsx", "04-cao-bang (1).xlsx"}
    assert "người lập biểu hoặc điện thoại khác nhau (các sổ: 04-cao-bang (1).xlsx)" in rival["04-cao-bang.xlsx"]["message"]
    assert "--replace" in rival["04-cao-bang.xlsx"]["message"]
    older = [p for p in problems if p["code"] == "duplicate_unit"]
    assert [(p["file"], p["severity"]) for p in older] == [("01-ha-noi.xlsx", "warning")]


def test_a_signature_added_in_a_later_round_is_not_a_second_sender(blank, tmp_path):
    folder = tmp_path / "returns"
    folder.mkdir()
    _returned(blank["04"], folder / "04-cao-bang.xlsx", 3_000)
    _returned(blank["04"], folder / "04-cao-bang-t10.xlsx", 3_100, day=date(2021, 10, 15), reporter="Hoàng Văn C")
    code, problems = _check(folder, tmp_path)
    assert code == 0 and not [p for p in problems if p["code"] == "duplicate_conflict"]
    assert [p["file"] for p in problems if p["code"] == "duplicate_unit"] == ["04-cao-bang.xlsx"]
