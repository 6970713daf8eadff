"""Money typed as '58.321' (Vietnamese thousands) in an English-locale Excel is stored as 58.321:
the form says in every locale to type numbers without separators, and check warns when a value is
about 1000x smaller than the unit's other months or its target, saying what probably happened."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from workbook_tools.cli import main
from workbook_tools.plans import load_plan

from .workbooks import fill, generated

DAY = ("mau01", "round_date", "uom")


@pytest.fixture(scope="module")
def blank(tmp_path_factory) -> dict[str, Path]:
    return generated(tmp_path_factory.mktemp("typo"), ("06", "08", "10"))


def _check(folder: Path, tmp_path: Path) -> list[dict]:
    out = tmp_path / "check.json"
    result = CliRunner().invoke(main, ["check", str(folder), "--plan", "2800-2021", "--json", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text(encoding="utf-8"))["problems"]


def _slips(blank: dict[str, Path], tmp_path: Path, unit: str, values: dict) -> list[dict]:
    """The thousands_typo warnings of a folder holding one unit's return with these values typed."""
    folder = tmp_path / "returns"
    folder.mkdir()
    fill(blank[unit], values, folder / blank[unit].name)
    return [p for p in _check(folder, tmp_path) if p["code"] == "thousands_typo"]


def test_a_value_1000_times_smaller_than_the_other_months_or_the_target_is_a_warning(blank, tmp_path):
    folder = tmp_path / "returns"
    folder.mkdir()
    fill(blank["06"], {DAY: date(2021, 10, 31), ("mau01", "thu", "actual:2021-09"): 61_234,
                       ("mau01", "thu", "actual:2021-10"): 58.321}, folder / blank["06"].name)
    target = load_plan("2800-2021").value("08", "thu", "2021-09")
    slipped = round(target * 0.97 / 1000, 3)  # the officer typed e.g. «144.734» for 144734 million
    fill(blank["08"], {DAY: date(2021, 9, 30), ("mau01", "thu", "actual:2021-09"): slipped,
                       ("mau01", "hoi_nghi", "actual:2021-09"): 1}, folder / blank["08"].name)
    problems = [p for p in _check(folder, tmp_path) if p["code"] == "thousands_typo"]
    assert [(p["unit"], p["indicator"], p["period"], p["severity"], p["sheet"]) for p in problems] == [
        ("06", "thu", "2021-10", "warning", "Mẫu 01"), ("08", "thu", "2021-09", "warning", "Mẫu 01")]
    assert all(p["cell"] for p in problems)
    assert problems[0]["message"] == (
        "Giá trị 58,321 nhỏ hơn khoảng 1000 lần so với các tháng khác (khoảng 61.234). Có lẽ đã gõ «58.321» "
        "(dấu chấm phân cách hàng nghìn) trên máy Excel đặt kiểu số tiếng Anh, nên bị hiểu thành 58,321. "
        "Nếu đúng là 58.321, gõ lại liền không dấu phân cách: 58321.")
    meant = str(round(slipped * 1000))
    assert f"chỉ tiêu tháng ({target:,})".replace(",", ".") in problems[1]["message"] and problems[1]["message"].endswith(f": {meant}.")


def test_ordinary_small_figures_are_not_flagged(blank, tmp_path):
    assert not _slips(blank, tmp_path, "10", {DAY: date(2021, 11, 2), ("mau01", "hoi_nghi", "actual:2021-09"): 3,
                                              ("mau01", "thu", "actual:2021-09"): 52_000, ("mau01", "thu", "actual:2021-10"): 61_500,
                                              ("mau01", "thu", "actual:2021-11"): 1_250.5})


def test_a_figure_exactly_250_times_smaller_than_the_row_s_largest_is_still_weighed(blank, tmp_path):
    """The reader passes over rows whose figures are all within 250x of each other; 250x itself is weighed."""
    problems = _slips(blank, tmp_path, "10", {DAY: date(2021, 10, 31), ("mau01", "thu", "actual:2021-09"): 61_000,
                                              ("mau01", "thu", "actual:2021-10"): 244, ("mau01", "hoi_nghi", "actual:2021-09"): 2_000,
                                              ("mau01", "hoi_nghi", "actual:2021-10"): 9})
    assert [(p["indicator"], p["period"]) for p in problems] == [("thu", "2021-10")]


def _examples(text: str) -> list[str]:
    return re.findall(r"ví dụ ([0-9][0-9.,]*[0-9])", text)


def test_guide_and_validation_messages_ask_for_numbers_without_separators(blank):
    book = openpyxl.load_workbook(blank["06"])
    guide = " ".join(str(c) for row in book["Hướng dẫn"].iter_rows(values_only=True) for c in row if c)
    assert "không có dấu phân cách hàng nghìn" in guide and "không gõ 4.650" in guide
    messages = [f"{v.prompt} {v.error}" for ws in book.worksheets for v in ws.data_validations.dataValidation]
    assert len(messages) > 10
    examples = _examples(guide) + [e for m in messages for e in _examples(m)]
    assert examples and all(e.isdigit() for e in examples), examples
    assert not [m for m in messages if "1234,5" in m or "1.234" in m]
    money = [m for m in messages if "triệu đồng" in m]
    assert money and all("không có dấu phân cách hàng nghìn" in m for m in money)
