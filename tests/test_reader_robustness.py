"""The reader against files that are valid but hostile to a grid reader, and against workers that
die: one bad file costs that file only, every other return is still read and consolidated.

Each case is built the way it happens: openpyxl saving a value typed at XFD1048576, a zip edit of
the declared dimension, a worker killed in the middle of a file, SIGTERM sent to a running command.
"""

from __future__ import annotations

import ctypes
import datetime
import faulthandler
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
from openpyxl.utils import get_column_letter
import pytest
from click.testing import CliRunner

from workbook_tools import parallel
from workbook_tools.cli import main
from workbook_tools.read import read_return

from .processes import alive, children, interruptible
from .workbooks import fill, openpyxl_indexes

UNITS = ("01", "02", "04", "06", "08", "10", "11", "12", "14")
DATE = datetime.date(2021, 11, 10)
CLI = str(Path(sys.executable).parent / "workbook-tools")


def _value(unit: str) -> int:
    """The bhyt figure typed by each unit (distinct, so a mix-up shows)."""
    return 1_000 + int(unit)


def _run(*args: str, env: dict | None = None, timeout: float = 240) -> subprocess.CompletedProcess:
    """Run the installed command as staff would, in its own process."""
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=timeout, env=env)


@pytest.fixture(scope="module")
def blank(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("blank")
    args = ["generate", "--plan", "2800-2021", "--out", str(folder)]
    for unit in UNITS:
        args += ["--unit", unit]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return folder


@pytest.fixture(scope="module")
def filled(blank, tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("filled")
    out = {}
    for path in sorted(blank.glob("*.xlsx")):
        unit = path.name[:2]
        out[unit] = fill(path, {("mau01", "round_date", "uom"): DATE, ("mau01", "bhyt", "actual:2021-09"): _value(unit)},
                         folder / path.name)
    return out


def _returns(filled: dict[str, Path], folder: Path) -> Path:
    folder.mkdir()
    for path in filled.values():
        shutil.copy(path, folder / path.name)
    return folder


def _typed_far_away(path: Path, sheet: str) -> None:
    """A value typed at the last cell of a sheet, saved by openpyxl (the declared range becomes A1:XFD1048576)."""
    book = openpyxl.load_workbook(path)
    book[sheet]["XFD1048576"] = 1
    book.save(path)


def _dimension_edited(path: Path) -> None:
    """Only the declared dimension of every sheet changed, by rewriting the zip (nothing else touched)."""
    data = path.read_bytes()
    target = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as copy:
        for info in source.infolist():
            body = source.read(info)
            if info.filename.startswith("xl/worksheets/sheet"):
                body = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', body)
            copy.writestr(info, body)
    target.replace(path)
    assert path.read_bytes() != data


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


def _consolidated(blank: Path, returns: Path, out: Path) -> tuple[subprocess.CompletedProcess, dict]:
    result = _run("consolidate", str(returns), "--manifest", str(blank / "manifest.json"), "--out", str(out / "n.xlsx"),
                  "--json", str(out / "n.json"))
    payload = json.loads((out / "n.json").read_text(encoding="utf-8")) if (out / "n.json").exists() else {}
    return result, payload


def _bhyt(payload: dict, unit: str):
    found = next(u for u in payload["units"] if u["code"] == unit)
    return found["status"], next(v["actual"] for v in found["values"] if v["indicator"] == "bhyt" and v["period"] == "2021-09")


def test_a_value_typed_at_the_last_cell_of_any_sheet_reads_right_and_stops_nothing(blank, filled, tmp_path):
    returns = _returns(filled, tmp_path / "returns")
    far = {"01": "Mẫu 01", "02": "_meta", "04": "Hướng dẫn", "06": "Mẫu 02"}
    for unit, sheet in far.items():
        _typed_far_away(returns / filled[unit].name, sheet)
    _dimension_edited(returns / filled["08"].name)
    before = _hashes(returns)

    check = _run("check", str(returns), "--manifest", str(blank / "manifest.json"), "--json", str(tmp_path / "check.json"))
    result, payload = _consolidated(blank, returns, tmp_path)

    assert check.returncode == 0, check.stderr
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr + check.stderr
    for unit in UNITS:
        assert _bhyt(payload, unit) == ("accepted", _value(unit))
    problems = json.loads((tmp_path / "check.json").read_text(encoding="utf-8"))["problems"]
    assert {p["code"] for p in problems} == {"missing_value"}  # the months left empty, as in every untouched file
    assert _hashes(returns) == before


def test_a_sheet_that_inflates_beyond_any_return_is_an_error_on_that_file_only(blank, filled, tmp_path):
    returns = _returns(filled, tmp_path / "returns")
    bomb = returns / filled["10"].name
    with zipfile.ZipFile(filled["10"]) as source, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as copy:
        for info in source.infolist():
            body = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = body.replace(b"</worksheet>", b"<!--" + b" " * (40 * 1024 * 1024) + b"--></worksheet>")
            copy.writestr(info, body)
    assert bomb.stat().st_size < 200_000

    result, payload = _consolidated(blank, returns, tmp_path)

    assert result.returncode == 1, result.stderr
    assert _bhyt(payload, "10")[0] == "missing"  # nothing of the file is trusted, not even its identity
    problem = next(p for p in payload["problems"] if p["file"] == bomb.name)
    assert problem["code"] == "too_large" and "quá lớn" in problem["message"]
    for unit in set(UNITS) - {"10"}:
        assert _bhyt(payload, unit) == ("accepted", _value(unit))


def _hostile_read(path: Path, data, forms):
    """The reader, except that some files kill it the ways a native library or the OS would."""
    unit = path.name[:2]
    if unit == "04":
        os._exit(3)
    if unit == "06":
        faulthandler.disable()  # pytest's crash report would only clutter the output
        ctypes.string_at(0)  # a segmentation fault
    if unit == "08":
        raise MemoryError
    if unit == "10":
        time.sleep(120)
    return read_return(path, data, forms)


def test_a_worker_that_crashes_or_hangs_costs_only_its_file(blank, filled, tmp_path, monkeypatch):
    returns = _returns(filled, tmp_path / "returns")
    monkeypatch.setattr("workbook_tools.check.read_return", _hostile_read)
    monkeypatch.setattr(parallel, "JOB_TIMEOUT", 3.0)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)

    result = CliRunner().invoke(main, ["consolidate", str(returns), "--manifest", str(blank / "manifest.json"),
                                       "--out", str(tmp_path / "n.xlsx"), "--json", str(tmp_path / "n.json")],
                                catch_exceptions=False)

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "BrokenProcessPool" not in result.output
    payload = json.loads((tmp_path / "n.json").read_text(encoding="utf-8"))
    expected = {"04": ("read_crashed", "exit 3"), "06": ("read_crashed", "SIGSEGV"), "08": ("read_failed", "MemoryError"),
                "10": ("read_timeout", "quá 3 giây")}
    for unit, (code, fragment) in expected.items():
        name = filled[unit].name
        found = [p for p in payload["problems"] if p["file"] == name]
        assert [p["code"] for p in found] == [code]
        assert f"«{name}»" in found[0]["message"] and fragment in found[0]["message"], found[0]["message"]
        assert found[0]["severity"] == "error"
    for unit in set(UNITS) - set(expected):
        assert _bhyt(payload, unit) == ("accepted", _value(unit))
    assert alive(children(os.getpid())) == set()


@pytest.mark.parametrize("how", ["SIGTERM to the command", "Ctrl-C in the terminal"])
def test_no_worker_outlives_an_interrupted_command(filled, tmp_path, how):
    returns = tmp_path / "returns"
    returns.mkdir()
    for copy in range(120):
        for path in filled.values():
            shutil.copy(path, returns / f"{copy:03d}-{path.name}")
    command = subprocess.Popen([CLI, "check", str(returns), "--plan", "2800-2021"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, start_new_session=True, preexec_fn=interruptible)
    workers: set[int] = set()
    deadline = time.monotonic() + 60
    while len(workers) < 2 and command.poll() is None and time.monotonic() < deadline:
        workers |= children(command.pid)
        time.sleep(0.01)
    assert workers, "the command ended before its workers were seen"
    if how.startswith("SIGTERM"):
        command.send_signal(signal.SIGTERM)
    else:
        os.killpg(command.pid, signal.SIGINT)
    command.wait(30)
    stderr = command.stderr.read().decode("utf-8", "replace")
    command.stderr.close()
    deadline = time.monotonic() + 10
    while alive(workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert alive(workers) == set(), stderr
    assert "BrokenProcessPool" not in stderr


def _copy_row_below(ws, index, key: str, value: int, column: int) -> int:
    """Insert a copy of a keyed row just below it (Insert Copied Cells) and type another figure in it."""
    r = index.rows[key] + 1
    ws.insert_rows(r + 1)
    for c in range(1, ws.max_column + 1):
        ws.cell(r + 1, c).value = ws.cell(r, c).value
    ws.cell(r + 1, column + 1).value = value
    return r + 1


def _sort_without_keys(ws, index, first: str, second: str) -> None:
    """Two rows exchanged by a sort that left out the hidden key column A."""
    a, b = index.rows[first] + 1, index.rows[second] + 1
    for c in range(2, ws.max_column + 1):
        ws.cell(a, c).value, ws.cell(b, c).value = ws.cell(b, c).value, ws.cell(a, c).value


def _swap_keys(ws, index, first: str, second: str) -> None:
    """The key cells of two rows exchanged."""
    a, b = index.rows[first] + 1, index.rows[second] + 1
    ws.cell(a, 1).value, ws.cell(b, 1).value = ws.cell(b, 1).value, ws.cell(a, 1).value


def _edited(source: Path, target: Path, change) -> Path:
    book = openpyxl.load_workbook(source)
    ws, index = openpyxl_indexes(book)["mau01"]
    change(book, ws, index)
    book.save(target)
    return target


KEY_CASES = {
    "01": ("row", "key_repeated", ["«bhyt»", "sheet «Mẫu 01», {places}"]),
    "02": ("column", "key_repeated", ["«actual:2021-09»", "sheet «Mẫu 01», {places}"]),
    "04": ("sheet", "sheet_repeated", ["«Mẫu 01»", "«Mẫu 01 Copy»"]),
    "06": ("sorted", "row_moved", ["«bhyt»", "Bảo hiểm xã hội bắt buộc"]),
    "08": ("keys swapped", "row_moved", ["«bhxh_bb»", "Bảo hiểm y tế"]),
}


@pytest.fixture(scope="module")
def key_trouble(filled, tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("keys")
    returns = _returns(filled, root / "returns")
    places: dict[str, str] = {}

    def row(book, ws, index):
        r = index.rows["bhyt"] + 1
        places["01"] = f"ô A{r} và ô A{r + 1}"
        _copy_row_below(ws, index, "bhyt", 9_999, index.cols["actual:2021-09"])

    def column(book, ws, index):
        c = index.cols["actual:2021-09"] + 1
        places["02"] = f"ô {get_column_letter(c)}1 và ô {get_column_letter(c + 1)}1"
        ws.insert_cols(c + 1)
        for r in range(1, ws.max_row + 1):
            ws.cell(r, c + 1).value = ws.cell(r, c).value
        ws.cell(index.rows["bhyt"] + 1, c + 1).value = 9_999

    def sheet(book, ws, index):
        copy = book.copy_worksheet(ws)
        copy.cell(index.rows["bhyt"] + 1, index.cols["actual:2021-09"] + 1).value = 9_999

    def ordered(book, ws, index):
        ws.cell(index.rows["bhxh_bb"] + 1, index.cols["actual:2021-09"] + 1).value = 7
        _sort_without_keys(ws, index, "bhxh_bb", "bhyt")

    def keys(book, ws, index):
        ws.cell(index.rows["bhxh_bb"] + 1, index.cols["actual:2021-09"] + 1).value = 7
        _swap_keys(ws, index, "bhxh_bb", "bhyt")

    for unit, change in zip(KEY_CASES, (row, column, sheet, ordered, keys)):
        _edited(filled[unit], returns / filled[unit].name, change)
    result = CliRunner().invoke(main, ["consolidate", str(returns), "--plan", "2800-2021", "--out", str(root / "n.xlsx"),
                                       "--json", str(root / "n.json")], catch_exceptions=False)
    return {"result": result, "payload": json.loads((root / "n.json").read_text(encoding="utf-8")), "places": places}


@pytest.mark.parametrize("unit", KEY_CASES, ids=[f"{u}:{c[0]}" for u, c in KEY_CASES.items()])
def test_keys_in_two_places_or_rows_moved_from_their_keys_refuse_the_file_naming_the_places(filled, key_trouble, unit):
    how, code, fragments = KEY_CASES[unit]
    payload = key_trouble["payload"]
    found = [p for p in payload["problems"] if p["file"] == filled[unit].name and p["code"] == code]
    assert found, [p for p in payload["problems"] if p["file"] == filled[unit].name]
    message = " ".join(p["message"] for p in found)
    for fragment in fragments:
        assert fragment.format(places=key_trouble["places"].get(unit, "")) in message, message
    assert all(p["severity"] == "error" for p in found)
    assert _bhyt(payload, unit) == ("rejected", None)


def test_the_other_returns_are_still_consolidated_beside_key_trouble(key_trouble):
    assert key_trouble["result"].exit_code == 1
    for unit in set(UNITS) - set(KEY_CASES):
        assert _bhyt(key_trouble["payload"], unit) == ("accepted", _value(unit))
