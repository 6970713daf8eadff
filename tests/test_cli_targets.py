"""The first commands, driven through click the way a user types them."""

from __future__ import annotations

import json

from workbook_tools.cli import main


def test_units_as_of_a_date_picks_the_structure(runner):
    result = runner.invoke(main, ["units", "--as-of", "2025-07-01", "--json"], catch_exceptions=False)
    assert result.exit_code == 0
    payload = json.loads(result.output)
    assert payload["structure"] == "34" and len(payload["units"]) == 34
    old = json.loads(runner.invoke(main, ["units", "--as-of", "30/06/2025", "--json"]).output)
    assert old["structure"] == "63" and old["units"][0]["becomes"] == "01"


def test_units_text_shows_names_with_diacritics(runner):
    result = runner.invoke(main, ["units", "--structure", "63"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "Thừa Thiên Huế" in result.output and "46 Huế" in result.output


def test_targets_list_names_every_plan_and_its_document(runner):
    result = runner.invoke(main, ["targets", "list"], catch_exceptions=False)
    assert result.exit_code == 0
    for text in ("275-2021", "2800-2021", "1813-2025", "Kế hoạch 2800/KH-BHXH ngày 06/09/2021"):
        assert text in result.output
    plans = json.loads(runner.invoke(main, ["targets", "list", "--json"]).output)
    assert {p["id"]: p["kind"] for p in plans}["2800-2021"] == "flow"


def test_targets_show_one_unit_by_any_spelling(runner):
    result = runner.invoke(main, ["targets", "show", "2800-2021", "--unit", "T. Thiên - Huế"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "46 Thừa Thiên Huế" in result.output and "3,961" in result.output


def test_targets_show_json_regrouped_onto_34_units(runner):
    args = ["targets", "show", "275-2021", "--as-of-structure", "2025-07-01", "--json"]
    payload = json.loads(runner.invoke(main, args, catch_exceptions=False).output)
    units = {t["unit"] for t in payload["targets"]} - {"VN"}
    assert payload["structure"] == "34" and len(units) == 34
    huế = [t for t in payload["targets"] if t["unit"] == "46" and t["indicator"] == "bhxh_bb"]
    assert huế[0]["name"] == "Huế" and huế[0]["value"] == 125_104


def test_targets_check_reports_and_exits_zero(runner):
    result = runner.invoke(main, ["targets", "check", "2800-2021"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "Yên Bái" in result.output and "7,515" in result.output and "+7,148" in result.output
    payload = json.loads(runner.invoke(main, ["targets", "check", "--json"]).output)
    assert set(payload) == {"275-2021", "2800-2021", "1813-2023", "1813-2024", "1813-2025"}


def test_unknown_plan_exits_2_naming_the_known_plans(runner):
    result = runner.invoke(main, ["targets", "show", "9999"])
    assert result.exit_code == 2
    assert "không có kế hoạch «9999»" in result.output and "2800-2021" in result.output


def test_unknown_unit_exits_2_naming_the_unit(runner):
    result = runner.invoke(main, ["targets", "show", "2800-2021", "--unit", "Hà Tây"])
    assert result.exit_code == 2 and "Hà Tây" in result.output


def test_bad_date_is_a_usage_error(runner):
    result = runner.invoke(main, ["units", "--as-of", "yesterday"])
    assert result.exit_code == 2 and "not a date" in result.output
