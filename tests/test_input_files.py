"""Files people feed the tool as they really come: CSVs saved by Vietnamese Windows (Windows-1258,
UTF-16 with a BOM), empty ones, a corrupt `.xls`, a workbook whose custom properties are damaged.
Each either reads right or ends in a Vietnamese sentence naming the file, exit code 2."""

from __future__ import annotations

import csv
import io
import unicodedata
import zipfile
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from workbook_tools.cli import main
from workbook_tools.plans import load_plan
from workbook_tools.units import structure

from .workbooks import fill

TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
DISTRICTS = ["Quận Ba Đình", "Quận Hoàn Kiếm", "Huyện Sóc Sơn", "Thị xã Sơn Tây", "Huyện Mỹ Đức", "Quận Hà Đông"]


def _cp1258(text: str) -> bytes:
    """Text as Windows saves it in code page 1258: a precomposed base letter, then the tone as a combining mark."""
    out = b""
    for char in unicodedata.normalize("NFC", text):
        try:
            out += char.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", char)
            tone = "".join(p for p in parts if p in TONES)
            base = unicodedata.normalize("NFC", "".join(p for p in parts if p not in TONES))
            out += (base + tone).encode("cp1258")
    return out


def _csv_text(rows: list[list[object]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def _shares_text() -> str:
    return _csv_text([["Mã", "Tên huyện", "Tỷ lệ"]] + [[f"{k + 1:03d}", name, k + 1] for k, name in enumerate(DISTRICTS)])


ENCODINGS = {
    "cp1258": _cp1258,
    "utf-16-bom": lambda text: text.encode("utf-16"),
    "utf-16-le-no-bom": lambda text: text.encode("utf-16-le"),
    "utf-8-bom": lambda text: text.encode("utf-8-sig"),
}


def _invoke(data_dir: Path, *args: str):
    return CliRunner().invoke(main, ["--data-dir", str(data_dir), *args])


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
def test_split_reads_shares_saved_in_any_windows_encoding(tmp_path, encoding):
    path = tmp_path / "ty-le.csv"
    path.write_bytes(ENCODINGS[encoding](_shares_text()))
    result = _invoke(tmp_path / "data", "targets", "split", "2800-2021", "--unit", "01", "--by", str(path))
    assert result.exit_code == 0, result.output
    split = load_plan("2800-2021-01", [tmp_path / "data"])
    names = {t.unit: t.published_name for t in split.targets if t.unit != "VN"}
    assert [names[f"{k + 1:03d}"] for k in range(len(DISTRICTS))] == DISTRICTS
    stored = (tmp_path / "data" / "units" / "huyen-63-01.csv").read_text(encoding="utf-8")
    assert all(name in stored for name in DISTRICTS)


def _appendix_text() -> str:
    data = load_plan("2800-2021")
    rows: list[list[object]] = [["TT", "Tỉnh", "BHXH bắt buộc tháng 11/2021", "BHYT tháng 11/2021"]]
    for number, code in enumerate(data.unit_codes(), start=1):
        rows.append([number, structure("63").unit(code).name, data.value(code, "bhxh_bb", "2021-11"), data.value(code, "bhyt", "2021-11")])
    return _csv_text(rows)


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
def test_import_reads_an_appendix_saved_in_any_windows_encoding(tmp_path, encoding):
    path = tmp_path / "phu-luc.csv"
    path.write_bytes(ENCODINGS[encoding](_appendix_text()))
    result = _invoke(tmp_path / "data", "targets", "import", str(path), "--plan", "t11", "--structure", "63", "--kind", "flow")
    assert result.exit_code == 0, result.output
    imported, published = load_plan("t11", [tmp_path / "data"]), load_plan("2800-2021")
    for code in published.unit_codes():
        assert imported.value(code, "bhyt", "2021-11") == published.value(code, "bhyt", "2021-11")


BAD_FILES = {
    "empty.csv": (b"", "rỗng"),
    "blank-lines.csv": (b"\r\n\r\n  \r\n", "rỗng"),
    "corrupt.xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 4, "tệp hỏng"),
    "corrupt.xlsx": (b"PK\x03\x04" + b"\x00" * 100, "tệp hỏng"),
    "undecodable.csv": (b"\xff\xfe"[:1] + b"Ma,Ten\x81\x8a\x8d,Ty le\n1,\x81\x9d\x9e,2\n", "bảng mã"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
@pytest.mark.parametrize("command", ["split", "import"])
def test_unreadable_inputs_end_in_one_sentence_naming_the_file(tmp_path, name, command):
    content, expected = BAD_FILES[name]
    path = tmp_path / name
    path.write_bytes(content)
    if command == "split":
        args = ["targets", "split", "2800-2021", "--unit", "01", "--by", str(path)]
    else:
        args = ["targets", "import", str(path), "--plan", "bad", "--structure", "63"]
    result = _invoke(tmp_path / "data", *args)
    assert result.exit_code == 2, result.output
    assert str(path) in result.output and expected in result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    assert not (tmp_path / "data" / "plans").exists() and not (tmp_path / "data" / "units").exists()


def test_check_without_plan_reads_past_a_malformed_custom_properties_part(tmp_path):
    runner = CliRunner()
    blank = tmp_path / "blank"
    assert runner.invoke(main, ["generate", "--plan", "2800-2021", "--out", str(blank), "--unit", "30", "--unit", "31"]).exit_code == 0
    returns = tmp_path / "returns"
    returns.mkdir()
    for path in sorted(blank.glob("*.xlsx")):
        fill(path, {("mau01", "round_date", "uom"): date(2021, 11, 10), ("mau01", "bhyt", "actual:2021-09"): 100}, returns / path.name)
    damaged = returns / "31-hai-phong.xlsx"
    assert damaged.exists()
    with zipfile.ZipFile(damaged) as source:
        parts = {info.filename: source.read(info.filename) for info in source.infolist()}
    parts["docProps/custom.xml"] = b'<?xml version="1.0"?><Properties><property name="wt_plan_id"'
    with zipfile.ZipFile(damaged, "w", zipfile.ZIP_DEFLATED) as target:
        for part, data in parts.items():
            target.writestr(part, data)
    result = runner.invoke(main, ["check", str(returns)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 0, result.output
    assert "Đã đọc 2 tệp của kế hoạch 2800-2021: 2 đơn vị được chấp nhận" in result.output


def test_a_returns_folder_lists_its_files_and_whatever_is_named_like_a_workbook_in_path_order(tmp_path):
    import os

    from workbook_tools.intake import candidate_files

    for name in ("b.xlsx", "A.xlsx", "a2.xlsx", "Ghi chú.txt", ".hidden.xlsx", ".~lock.b.xlsx#", "manifest.json"):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "c.xlsx").mkdir()  # a folder unzipped from a mail
    (tmp_path / "notes").mkdir()
    (tmp_path / "d.XLSX").symlink_to(tmp_path / "gone.xlsx")  # a link to a share that is gone
    os.mkfifo(tmp_path / "e.xlsx")
    expected = ["A.xlsx", "Ghi chú.txt", "a2.xlsx", "b.xlsx", "c.xlsx", "d.XLSX", "e.xlsx"]
    assert candidate_files(tmp_path) == sorted(tmp_path / name for name in expected)
    assert [p.name for p in candidate_files(tmp_path)] == expected
