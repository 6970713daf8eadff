"""NaN, infinity and absurd magnitudes stored in input cells: an error naming the cell, the value
left out, and every output (the national workbook, JSON) still finite and strict JSON."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from workbook_tools.cli import main
from workbook_tools.read import sheet_parts

from .libreoffice import convert
from .workbooks import fill, generated, strict_json

DATE = __import__("datetime").date(2021, 9, 30)
SENTINEL = 987_654_321
UNITS = ("06", "08", "10", "11", "12", "14", "15")


def _stored(source: Path, target: Path, row_key: str, stored: str) -> None:
    """Type a sentinel in a keyed input with openpyxl, then store `stored` in its <v> by a zip edit."""
    fill(source, {("mau01", "round_date", "uom"): DATE, ("mau01", row_key, "actual:2021-09"): SENTINEL}, target)
    edited = target.with_suffix(".tmp")
    with zipfile.ZipFile(target) as zin, zipfile.ZipFile(edited, "w", zipfile.ZIP_DEFLATED) as zout:
        part = sheet_parts(zin)["Mẫu 01"]
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == part:
                assert data.count(f"<v>{SENTINEL}</v>".encode()) == 1
                data = data.replace(f"<v>{SENTINEL}</v>".encode(), f"<v>{stored}</v>".encode())
            zout.writestr(item, data)
    edited.replace(target)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("limits")
    blank = root / "blank"
    src = generated(blank, UNITS)
    returns = root / "returns"
    returns.mkdir()
    _stored(src["06"], returns / src["06"].name, "bhyt", "NaN")
    _stored(src["08"], returns / src["08"].name, "bhyt", "INF")
    _stored(src["10"], returns / src["10"].name, "bhyt", "-INF")
    _stored(src["11"], root / src["11"].name, "bhyt", "1e309")
    convert([root / src["11"].name], returns, force=False)  # saved again by LibreOffice: it keeps INF
    _stored(src["12"], returns / src["12"].name, "thu", "1e308")
    _stored(src["14"], returns / src["14"].name, "thu", "1E+308")
    fill(src["15"], {("mau01", "round_date", "uom"): DATE, ("mau01", "thu", "actual:2021-09"): 12_345}, returns / src["15"].name)
    (returns / "manifest.json").write_bytes((blank / "manifest.json").read_bytes())
    return returns


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


def test_nan_and_infinity_in_an_input_are_errors_naming_the_cell(folder, tmp_path):
    before = _hashes(folder)
    out = tmp_path / "check.json"
    result = CliRunner().invoke(main, ["check", str(folder), "--json", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    problems = strict_json(out.read_text(encoding="utf-8"))["problems"]
    found = {(p["unit"], p["code"]): p for p in problems if p["code"] in ("not_finite", "implausible_value")}
    for unit, shown in (("06", "NaN"), ("08", "INF"), ("10", "-INF"), ("11", "INF")):
        p = found[(unit, "not_finite")]
        assert (p["severity"], p["sheet"], p["indicator"], p["period"]) == ("error", "Mẫu 01", "bhyt", "2021-09")
        assert p["cell"] and p["file"].startswith(unit)
        assert f"«{shown}»" in p["message"] and "không phải số hữu hạn" in p["message"]
    for unit in ("12", "14"):
        p = found[(unit, "implausible_value")]
        assert (p["severity"], p["indicator"], p["period"]) == ("error", "thu", "2021-09") and p["cell"]
        assert p["message"].startswith("Giá trị bất thường 1e+308")
    assert _hashes(folder) == before


def test_two_units_at_1e308_do_not_overflow_the_national_sum(folder, tmp_path):
    before = _hashes(folder)
    out, js = tmp_path / "national.xlsx", tmp_path / "national.json"
    result = CliRunner().invoke(main, ["consolidate", str(folder), "--out", str(out), "--json", str(js)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    payload = strict_json(js.read_text(encoding="utf-8"))
    national = {(f["indicator"], f["period"]): f for f in payload["national"]}
    assert national[("thu", "2021-09")]["actual"] == 12_345
    assert national[("bhyt", "2021-09")]["actual"] is None
    units = {u["code"]: u for u in payload["units"]}
    assert all(u["status"] == "accepted" for u in units.values())
    assert {f["period"]: f["actual"] for f in units["12"]["values"] if f["indicator"] == "thu"}["2021-09"] is None
    assert _hashes(folder) == before


def test_an_edited_held_figure_that_is_not_finite_is_left_out(folder, tmp_path):
    out, js = tmp_path / "national.xlsx", tmp_path / "national.json"
    assert CliRunner().invoke(main, ["consolidate", str(folder), "--out", str(out)], catch_exceptions=False).exit_code == 0
    edited = tmp_path / "edited.xlsx"
    found = 0
    with zipfile.ZipFile(out) as zin, zipfile.ZipFile(edited, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():  # `_data` keeps each unit's figures as a JSON list in a text cell (shared or inline)
            data = zin.read(item.filename)
            if item.filename.startswith("xl/") and item.filename.endswith(".xml"):
                found += data.count(b'"2021-09",12345]')
                data = data.replace(b'"2021-09",12345]', b'"2021-09",Infinity]')
            zout.writestr(item, data)
    assert found == 1
    edited.replace(out)
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "manifest.json").write_bytes((folder / "manifest.json").read_bytes())
    result = CliRunner().invoke(main, ["consolidate", str(empty), "--out", str(out), "--json", str(js)], catch_exceptions=False)
    assert "15: held figure thu 2021-09 = inf is not a usable number; left out" in result.output
    payload = strict_json(js.read_text(encoding="utf-8"))
    assert next(f["actual"] for f in payload["national"] if (f["indicator"], f["period"]) == ("thu", "2021-09")) is None
