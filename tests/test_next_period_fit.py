"""A new period's targets are always the new plan's own; history is carried only where its meaning
(stock or flow, last year) fits, and otherwise the user is told what was not carried and why."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from click.testing import CliRunner

from workbook_tools.cli import main

from .workbooks import computed, fill


def _run(*args: str):
    return CliRunner().invoke(main, list(args))


def _targets(folder: Path, code: str, indicator: str, months: list[str]) -> list[object]:
    sheet = computed(next(folder.glob(f"{code}-*.xlsx")))["mau01"]
    return [sheet.get((indicator, f"target:{m}")) for m in months], sheet


def test_a_flow_summary_is_not_carried_into_a_stock_plan_of_another_year(tmp_path):
    assert _run("generate", "--plan", "2800-2021", "--out", str(tmp_path / "so"), "--unit", "01").exit_code == 0
    returns = tmp_path / "returns"
    returns.mkdir()
    fill(tmp_path / "so" / "01-ha-noi.xlsx", {
        ("mau01", "round_date", "uom"): date(2021, 11, 30), ("mau01", "bhxh_bb", "actual:2021-09"): 60_000,
        ("mau01", "bhxh_bb", "actual:2021-10"): 70_000, ("mau01", "bhxh_bb", "actual:2021-11"): 56_558,
    }, returns / "01-ha-noi.xlsx")
    national = tmp_path / "national.xlsx"
    assert _run("consolidate", str(returns), "--manifest", str(tmp_path / "so" / "manifest.json"), "--out", str(national)).exit_code == 0
    result = _run("next-period", "--from", str(national), "--plan", "1813-2023", "--unit", "01", "--out", str(tmp_path / "2023"))
    assert result.exit_code == 0, result.output
    assert "Không mang số của 2800-2021 sang 1813-2023" in result.output and "không cùng nghĩa" in result.output
    assert "không mang số liệu nào từ 2800-2021" in result.output
    months = [f"2023-{m:02d}" for m in range(1, 13)]
    targets, sheet = _targets(tmp_path / "2023", "01", "bhxh_bb", months)
    assert targets == [2_222_276] * 12
    assert not any(sheet.get(("bhxh_bb", key)) for key in ("baseline:total", "last_year_total:total", "carried:total"))


def test_a_plan_two_years_back_is_not_last_year_and_targets_equal_generate(tmp_path):
    result = _run("next-period", "--from", "1813-2023", "--plan", "1813-2025", "--unit", "79", "--out", str(tmp_path / "next"))
    assert result.exit_code == 0, result.output
    assert "không phải năm trước của 1813-2025 (năm 2024)" in result.output
    assert _run("generate", "--plan", "1813-2025", "--unit", "79", "--out", str(tmp_path / "gen")).exit_code == 0
    months = [f"2025-{m:02d}" for m in range(1, 13)]
    for indicator in ("bhxh_bb", "bhyt"):
        carried, sheet = _targets(tmp_path / "next", "79", indicator, months)
        generated, _ = _targets(tmp_path / "gen", "79", indicator, months)
        assert carried == generated and None not in carried
        assert not sheet.get((indicator, "last_year_total:total"))


def test_last_year_of_the_same_kind_is_still_carried(tmp_path):
    result = _run("next-period", "--from", "1813-2024", "--plan", "1813-2025", "--unit", "01", "--out", str(tmp_path / "next"))
    assert result.exit_code == 0, result.output
    assert "Không mang" not in result.output and "ghi làm số của năm trước" in result.output
    _, sheet = _targets(tmp_path / "next", "01", "bhyt", [])
    from workbook_tools.plans import load_plan
    assert sheet[("bhyt", "last_year_total:total")] == load_plan("1813-2024").value("01", "bhyt")
