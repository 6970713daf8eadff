"""The reader against files that are valid but hostile to a grid reader, and against workers that
die: one bad file costs that file only, every other return is still read and consolidated.

Each case is built the way it happens: openpyxl saving a value typed at XFD1048576, a zip edit of
the declared dimension, a worker killed in the middle of a file, SIGTERM sent to a running command.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from workbook_tools.cli import main

from .workbooks import fill

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
