"""`workbook-tools generate`: one workbook per unit, right targets, the workbook contract of DESIGN §6."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from workbook_tools.cli import main
from workbook_tools.plans import TOTAL, load_plan

from .workbooks import computed, openpyxl_indexes


@pytest.fixture(scope="module")
def generated_2800(tmp_path_factory) -> Path:
    from click.testing import CliRunner

    out = tmp_path_factory.mktemp("gen2800")
    result = CliRunner().invoke(main, ["generate", "--plan", "2800-2021", "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Đã tạo 63 sổ của kế hoạch 2800-2021" in result.output
    return out


def test_one_file_per_province_named_by_code_and_slug(generated_2800):
    files = sorted(p.name for p in generated_2800.glob("*.xlsx"))
    assert len(files) == 63
    assert files[0] == "01-ha-noi.xlsx" and "79-ho-chi-minh.xlsx" in files and "46-thua-thien-hue.xlsx" in files


def test_manifest_lists_every_unit_with_its_fingerprint(generated_2800):
    import hashlib

    manifest = json.loads((generated_2800 / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["plan"] == "2800-2021" and manifest["form_version"] and manifest["generated_at"]
    assert len(manifest["units"]) == 63
    for unit in manifest["units"]:
        data = (generated_2800 / unit["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == unit["sha256"]


def test_every_target_of_every_unit_matches_the_data(generated_2800):
    data = load_plan("2800-2021")
    checked = 0
    for path in sorted(generated_2800.glob("*.xlsx")):
        code = path.name[:2]
        values = computed(path)
        for indicator in data.plan.indicators:
            for period in (TOTAL, *data.plan.months):
                expected = data.value(code, indicator, period)
                assert values["chi_tieu"][(indicator, f"target:{period}")] == expected
                assert values["mau01"][(indicator, f"target:{period}")] == expected
                checked += 2
    assert checked == 63 * 7 * 5 * 2


def test_identity_travels_inside_the_file(generated_2800):
    path = generated_2800 / "01-ha-noi.xlsx"
    book = openpyxl.load_workbook(path)
    meta_sheet = book["_meta"]
    assert meta_sheet.sheet_state == "hidden" and meta_sheet.protection.sheet
    meta = {r[0]: r[1] for r in meta_sheet.iter_rows(min_row=2, values_only=True)}
    assert meta["unit_code"] == "01" and meta["plan_id"] == "2800-2021" and meta["form_version"]
    assert meta["sheet:mau01"] == "Mẫu 01"
    custom = zipfile.ZipFile(path).read("docProps/custom.xml").decode()
    assert "wt_plan_id" in custom and "2800-2021" in custom and "wt_unit_code" in custom
    assert "wt_round_date" in book.defined_names


def _locked(sheets, form, row_key, col_key):
    ws, index = sheets[form]
    r, c = index.cell(row_key, col_key)
    return ws.cell(r + 1, c + 1).protection.locked


def test_sheets_are_vietnamese_protected_and_only_inputs_unlocked(generated_2800):
    book = openpyxl.load_workbook(generated_2800 / "79-ho-chi-minh.xlsx")
    assert book.sheetnames == ["Hướng dẫn", "Chỉ tiêu", "Mẫu 01", "Mẫu 02", "Báo cáo kỳ", "_meta"]
    assert all(ws.protection.sheet for ws in book.worksheets)
    sheets = openpyxl_indexes(book)
    for month in ("2021-09", "2021-12"):
        assert _locked(sheets, "chi_tieu", "bhyt", f"target:{month}")
        assert _locked(sheets, "mau01", "bhyt", f"target:{month}")
        assert not _locked(sheets, "mau01", "bhyt", f"actual:{month}")
        assert _locked(sheets, "mau01", "bhyt", f"pct:{month}")
        assert not _locked(sheets, "mau02", "hoi_nghi_nguoi", f"value:{month}")
        assert not _locked(sheets, "mau02", "ghi_chu", f"value:{month}")
        assert _locked(sheets, "mau02", "kinh_phi_ty_le", f"value:{month}")
    for key in ("round_date", "reporter", "phone"):
        assert not _locked(sheets, "mau01", key, "uom")
    for col in ("target:total", "actual:total", "pct:total", "remaining:total"):
        assert _locked(sheets, "mau01", "thu", col)


def test_inputs_are_validated_with_vietnamese_messages(generated_2800):
    ws = openpyxl.load_workbook(generated_2800 / "01-ha-noi.xlsx")["Mẫu 01"]
    rules = ws.data_validations.dataValidation
    kinds = {r.type for r in rules}
    assert {"whole", "decimal", "date"} <= kinds
    whole = next(r for r in rules if r.type == "whole")
    assert whole.operator in (None, "between") and whole.formula1 == "0"
    assert "số nguyên không âm" in whole.error
    assert all(r.showErrorMessage for r in rules)


def test_every_division_is_guarded_and_completion_is_coloured(generated_2800):
    book = openpyxl.load_workbook(generated_2800 / "01-ha-noi.xlsx")
    formulas = [c.value for ws in book.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("=")]
    divisions = [f for f in formulas if "/" in re.sub(r'"[^"]*"', "", f)]  # a "/" inside text is no division
    assert divisions and all("IFERROR(" in f for f in divisions)
    rules = book["Mẫu 01"].conditional_formatting
    assert len(list(rules)) >= 5


def test_print_setup_reads_as_a_document(generated_2800):
    ws = openpyxl.load_workbook(generated_2800 / "01-ha-noi.xlsx")["Mẫu 01"]
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    assert not ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.scale == 90
    assert ws.freeze_panes and ws.print_area and ws.print_title_rows and ws.print_title_cols
    assert "thành phố Hà Nội" in ws.oddHeader.left.text
    assert "Kế hoạch 2800/KH-BHXH" in ws.oddFooter.left.text and "workbook-tools" not in ws.oddFooter.left.text


def test_existing_workbooks_are_not_overwritten_without_force(generated_2800, runner):
    result = runner.invoke(main, ["generate", "--plan", "2800-2021", "--out", str(generated_2800), "--unit", "01"])
    assert result.exit_code == 2 and "--force" in result.output


def test_units_by_any_spelling_and_regrouped_onto_34(runner, tmp_path):
    args = ["generate", "--plan", "275-2021", "--out", str(tmp_path), "--structure", "34", "--unit", "Huế", "--unit", "79", "--json"]
    result = runner.invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    manifest = json.loads(result.stdout)
    assert [u["file"] for u in manifest["units"]] == ["46-hue.xlsx", "79-ho-chi-minh.xlsx"]
    values = computed(tmp_path / "79-ho-chi-minh.xlsx")
    old = load_plan("275-2021")
    expected = sum(old.value(c, "bhxh_bb") for c in ("74", "77", "79"))
    assert values["mau01"][("bhxh_bb", "target:total")] == expected


def test_a_profile_that_does_not_fit_the_months_is_refused(runner, tmp_path):
    result = runner.invoke(main, ["generate", "--plan", "275-2021", "--out", str(tmp_path), "--profile", "20,35,30,15"])
    assert result.exit_code == 2 and "12 tháng" in result.output
    assert not list(tmp_path.glob("*.xlsx"))


def test_password_protects_every_sheet(runner, tmp_path):
    result = runner.invoke(main, ["generate", "--plan", "2800-2021", "--out", str(tmp_path), "--unit", "01", "--password", "bhxh"])
    assert result.exit_code == 0
    book = openpyxl.load_workbook(tmp_path / "01-ha-noi.xlsx")
    assert all(ws.protection.sheet and ws.protection.password for ws in book.worksheets)
