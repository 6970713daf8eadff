"""Report dates: a month typo is never held as the unit's latest round, staff can say which return
replaces the held one (--replace), dates outside the plan or after --as-of are problems, and
figures typed for months after the report date are a warning naming the cells."""

from __future__ import annotations

import hashlib
import shutil
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from workbook_tools.cli import main

from .workbooks import fill, generated, strict_json

NOV = ("mau01", "bhyt", "actual:2021-11")


@pytest.fixture(scope="module")
def blank(tmp_path_factory) -> dict[str, Path]:
    return generated(tmp_path_factory.mktemp("dates"), ("01", "02", "04"))


def _round(folder: Path, blank: dict[str, Path], returns: dict[str, tuple[date | str, int]], extra: dict | None = None) -> Path:
    folder.mkdir()
    shutil.copy(blank["01"].parent / "manifest.json", folder)  # the expected units: 01, 02, 04
    for unit, (day, value) in returns.items():
        fill(blank[unit], {("mau01", "round_date", "uom"): day, NOV: value, **((extra or {}).get(unit, {}))}, folder / blank[unit].name)
    return folder


def _consolidate(folder: Path, out: Path, *options: str) -> tuple[int, str, dict]:
    js = out.with_suffix(".json")
    args = ["consolidate", str(folder), "--out", str(out), "--json", str(js), *options]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    return result.exit_code, result.output, (strict_json(js.read_text(encoding="utf-8")) if js.exists() and result.exit_code != 2 else {})


def _unit(payload: dict, code: str) -> dict:
    unit = next(u for u in payload["units"] if u["code"] == code)
    nov = next(f["actual"] for f in unit["values"] if (f["indicator"], f["period"]) == ("bhyt", "2021-11"))
    return {"round_date": unit["round_date"], "file": unit["file"], "nov": nov, "status": unit["status"]}


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


def test_a_month_typo_is_not_held_so_the_corrected_return_replaces_it(blank, tmp_path):
    out = tmp_path / "national.xlsx"
    first = _round(tmp_path / "r1", blank, {"01": (date(2021, 11, 15), 100), "02": (date(2021, 11, 14), 200),
                                            "04": (date(2021, 12, 15), 300)})
    before = _hashes(first)
    code, _, payload = _consolidate(first, out)
    assert code == 0 and _hashes(first) == before
    typo = [p for p in payload["problems"] if p["code"] == "round_date_future"]
    assert [(p["file"], p["unit"], p["severity"], p["indicator"]) for p in typo] == [("04-cao-bang.xlsx", "04", "error", "round_date")]
    assert typo[0]["message"].startswith("Ngày báo cáo 15/12/2021 sau hạn của kỳ báo cáo kế tiếp (30/11/2021)")
    assert _unit(payload, "04") == {"round_date": None, "file": "04-cao-bang.xlsx", "nov": 300, "status": "accepted"}
    assert next(f["actual"] for f in payload["national"] if (f["indicator"], f["period"]) == ("bhyt", "2021-11")) == 600

    second = _round(tmp_path / "r2", blank, {"04": (date(2021, 11, 30), 350)})
    code, output, payload = _consolidate(second, out)
    assert code == 0 and "04: 04-cao-bang.xlsx (round 2021-11-30) replaces" in output
    assert _unit(payload, "04") == {"round_date": "2021-11-30", "file": "04-cao-bang.xlsx", "nov": 350, "status": "accepted"}
    assert _unit(payload, "01")["nov"] == 100 and _unit(payload, "02")["nov"] == 200


def test_a_held_wrong_date_is_replaced_only_when_staff_say_so(blank, tmp_path):
    out = tmp_path / "national.xlsx"
    first = _round(tmp_path / "r1", blank, {"01": (date(2021, 12, 15), 100), "04": (date(2021, 12, 15), 300)})
    assert _consolidate(first, out, "--as-of", "2021-12-15")[0] == 1  # 02 missing; the day given was wrong
    second = _round(tmp_path / "r2", blank, {"04": (date(2021, 11, 30), 350)})
    held = out.read_bytes()

    code, _, payload = _consolidate(second, out, "--as-of", "2021-11-30")
    older = [p for p in payload["problems"] if p["code"] == "older_round"]
    assert len(older) == 1 and "--replace" in older[0]["message"]
    assert _unit(payload, "04")["nov"] == 300 and _unit(payload, "04")["round_date"] == "2021-12-15"

    for chosen in ("04-cao-bang.xlsx", "Cao Bằng", "04"):
        out.write_bytes(held)
        code, output, payload = _consolidate(second, out, "--as-of", "2021-11-30", "--replace", chosen)
        assert "as --replace asks" in output
        assert _unit(payload, "04") == {"round_date": "2021-11-30", "file": "04-cao-bang.xlsx", "nov": 350, "status": "accepted"}
        assert not [p for p in payload["problems"] if p["code"] == "older_round"]
        assert _unit(payload, "01")["nov"] == 100

    out.write_bytes(held)
    code, _, payload = _consolidate(second, out, "--as-of", "2021-11-30", "--replace", "Hà Giang")
    unused = [p for p in payload["problems"] if p["code"] == "replace_unused"]
    assert [(p["unit"], p["severity"]) for p in unused] == [("02", "warning")] and "đơn vị 02" in unused[0]["message"]

    out.write_bytes(held)
    code, output, _ = _consolidate(second, out, "--replace", "khong-co.xlsx")
    assert code == 2 and "--replace khong-co.xlsx" in output
    assert out.read_bytes() == held


def test_replace_picks_one_of_rival_returns(blank, tmp_path):
    folder = _round(tmp_path / "r", blank, {"04": (date(2021, 11, 15), 300)},
                    {"04": {("mau01", "reporter", "uom"): "Hoàng Văn C"}})
    shutil.copy(blank["04"], tmp_path / "copy.xlsx")
    fill(tmp_path / "copy.xlsx", {("mau01", "round_date", "uom"): date(2021, 11, 15), NOV: 30,
                                  ("mau01", "reporter", "uom"): "Trần Thị D"}, folder / "04-cao-bang-2.xlsx")
    code, _, payload = _consolidate(folder, tmp_path / "n.xlsx")
    assert code == 1 and _unit(payload, "04")["status"] == "rejected"
    assert {p["file"] for p in payload["problems"] if p["code"] == "duplicate_conflict"} == {"04-cao-bang.xlsx", "04-cao-bang-2.xlsx"}
    code, _, payload = _consolidate(folder, tmp_path / "n.xlsx", "--replace", "04-cao-bang.xlsx")
    assert _unit(payload, "04")["nov"] == 300
    assert [p["file"] for p in payload["problems"] if p["code"] == "set_aside"] == ["04-cao-bang-2.xlsx"]


def test_dates_outside_the_plan_or_after_as_of_and_figures_after_the_date(blank, tmp_path):
    folder = _round(tmp_path / "r", blank, {"01": (date(2022, 11, 15), 100), "02": (date(2021, 11, 20), 200),
                                            "04": (date(2021, 11, 15), 300)},
                    {"04": {("mau01", "bhyt", "actual:2021-12"): 310, ("mau01", "thu", "actual:2021-12"): 5.5}})
    code, _, payload = _consolidate(folder, tmp_path / "n.xlsx", "--as-of", "2021-11-15")
    by_code = {}
    for p in payload["problems"]:
        by_code.setdefault(p["code"], []).append(p)
    invalid = by_code["round_date_invalid"]
    assert [(p["unit"], p["severity"]) for p in invalid] == [("01", "error")]
    assert "«15/11/2022» không hợp lệ hoặc ngoài kỳ kế hoạch (01/09/2021 – 31/01/2022)" in invalid[0]["message"]
    future = by_code["round_date_future"]
    assert [(p["unit"], p["severity"]) for p in future] == [("02", "error")]
    assert "Ngày báo cáo 20/11/2021 sau ngày tổng hợp 15/11/2021 (--as-of)" in future[0]["message"]
    after = sorted((p["unit"], p["indicator"], p["severity"], p["sheet"]) for p in by_code["figures_after_date"])
    assert after == [("04", "bhyt", "warning", "Mẫu 01"), ("04", "thu", "warning", "Mẫu 01")]
    bhyt = next(p for p in by_code["figures_after_date"] if p["indicator"] == "bhyt")
    assert bhyt["cell"] and bhyt["period"] == "2021-12"
    assert bhyt["message"] == "Có số liệu tháng 2021-12 nhưng ngày báo cáo là 15/11/2021; kiểm tra lại ngày báo cáo hoặc cột đã nhập."


def test_the_dated_return_wins_over_a_month_typo_in_the_same_folder(blank, tmp_path):
    folder = _round(tmp_path / "r", blank, {"01": (date(2021, 11, 15), 100), "02": (date(2021, 11, 14), 200),
                                            "04": (date(2021, 12, 15), 300)})
    fill(blank["04"], {("mau01", "round_date", "uom"): date(2021, 11, 15), NOV: 350}, folder / "04-cao-bang (1).xlsx")
    out = tmp_path / "check.json"
    result = CliRunner().invoke(main, ["check", str(folder), "--json", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    problems = {(p["file"], p["code"]) for p in strict_json(out.read_text(encoding="utf-8"))["problems"]}
    assert {("04-cao-bang.xlsx", "round_date_future"), ("04-cao-bang.xlsx", "duplicate_unit")} <= problems
    code, _, payload = _consolidate(folder, tmp_path / "n.xlsx")
    assert _unit(payload, "04") == {"round_date": "2021-11-15", "file": "04-cao-bang (1).xlsx", "nov": 350, "status": "accepted"}


def test_older_rounds_left_in_the_folder_do_not_make_the_current_round_look_future(blank, tmp_path):
    folder = _round(tmp_path / "r", blank, {"01": (date(2021, 10, 15), 10), "02": (date(2021, 10, 15), 20),
                                            "04": (date(2021, 10, 15), 30)})
    for unit, value in (("01", 100), ("02", 200)):
        fill(blank[unit], {("mau01", "round_date", "uom"): date(2021, 11, 30), NOV: value}, folder / f"{unit}-thang-11.xlsx")
    code, _, payload = _consolidate(folder, tmp_path / "n.xlsx")
    assert not [p for p in payload["problems"] if p["code"] == "round_date_future"]
    assert _unit(payload, "01")["round_date"] == "2021-11-30" and _unit(payload, "02")["nov"] == 200
