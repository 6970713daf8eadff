"""Forms are declared in templates/: the engine lays out whatever they say; derived months add up."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from workbook_tools.cli import main
from workbook_tools.datafiles import templates_dir
from workbook_tools.errors import DataFileError
from workbook_tools.forms import load_form_set
from workbook_tools.generate import GenerateOptions, generate, select_units
from workbook_tools.plans import load_plan

from .workbooks import computed


def _flow_plan(folder: Path, units: dict[str, int]) -> None:
    """A user plan on the 34 units with annual flow totals only (no published months)."""
    (folder / "plans").mkdir(parents=True)
    meta = {
        "id": "thu-2026", "title": "Chỉ tiêu thu năm 2026 (thử nghiệm)",
        "document": {"kind": "Quyết định", "number": "1/QĐ-TEST", "date": "2026-01-05", "issuer": "BHXH Việt Nam"},
        "kind": "flow", "structure": "34", "start": "2026-01", "end": "2026-12", "indicators": ["thu", "hoi_nghi"],
        "published_months": False,
    }
    (folder / "plans" / "thu-2026.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    lines = ["plan,unit,indicator,period,value,published_name,source"]
    for code, total in units.items():
        lines.append(f"thu-2026,{code},thu,total,{total},,test")
        lines.append(f"thu-2026,{code},hoi_nghi,total,{total % 997},,test")
    (folder / "plans" / "thu-2026.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize("profile", [None, "3,1,1,1,1,2,1,1,1,1,1,7"])
def test_derived_months_add_up_exactly_to_the_total(runner, tmp_path, profile):
    totals = {"01": 20_586_293, "46": 1_421_859, "96": 7}
    _flow_plan(tmp_path / "data", totals)
    args = ["--data-dir", str(tmp_path / "data"), "generate", "--plan", "thu-2026", "--out", str(tmp_path / "out")]
    result = runner.invoke(main, args + (["--profile", profile] if profile else []), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    months = [f"2026-{m:02d}" for m in range(1, 13)]
    for code, total in totals.items():
        path = next((tmp_path / "out").glob(f"{code}-*.xlsx"))
        sheet = computed(path)["chi_tieu"]
        for indicator, expected in (("thu", total), ("hoi_nghi", total % 997)):
            parts = [sheet[(indicator, f"target:{m}")] for m in months]
            assert sum(parts) == expected == sheet[(indicator, "target:total")]
            assert max(parts) - min(parts) <= (expected if profile else 1)


def test_a_row_added_to_a_template_appears_without_code_change(tmp_path):
    folder = tmp_path / "templates"
    shutil.copytree(templates_dir(), folder)
    extra = '\n[[rows]]\nkey = "dai_ly_thu"\nlabel = "Số đại lý thu mới ký hợp đồng"\nuom = "đại lý"\nkind = "flow"\ntype = "count"\n'
    with (folder / "mau02.toml").open("a", encoding="utf-8") as handle:
        handle.write(extra)
    forms = load_form_set(folder)
    data = load_plan("2800-2021")
    files = generate(data, tmp_path / "out", select_units(data, ["01"]), GenerateOptions(), forms=forms)
    sheet = computed(files[0].path)["mau02"]
    assert ("dai_ly_thu", "value:2021-09") in sheet and ("dai_ly_thu", "value:total") in sheet


def test_a_template_with_an_unknown_cell_kind_is_refused(tmp_path):
    folder = tmp_path / "templates"
    shutil.copytree(templates_dir(), folder)
    text = (folder / "mau01.toml").read_text(encoding="utf-8").replace('cell = "input"', 'cell = "typed"', 1)
    (folder / "mau01.toml").write_text(text, encoding="utf-8")
    with pytest.raises(DataFileError, match="typed"):
        load_form_set(folder)


def test_stock_group_appears_only_for_stock_plans():
    from workbook_tools.generate import build_context
    from workbook_tools.spec import build_table_sheet
    from workbook_tools.forms import shipped_forms
    from workbook_tools.units import structure

    form = shipped_forms().form("mau01")
    for plan_id, expected in (("1813-2023", True), ("2800-2021", False)):
        data = load_plan(plan_id)
        ctx, _ = build_context(data, structure("63").unit("01"), None, None)
        sheet = build_table_sheet(form, ctx)
        assert any(key[1] == "baseline:total" for key in sheet.inputs) is expected


def test_task_rows_linked_to_a_plan_indicator_are_not_typed_twice(tmp_path):
    from workbook_tools.forms import shipped_forms

    forms = shipped_forms()
    for plan_id, linked in (("2800-2021", True), ("275-2021", False)):
        data = load_plan(plan_id)
        path = generate(data, tmp_path / plan_id, select_units(data, ["01"]), GenerateOptions(), forms=forms)[0].path
        import openpyxl

        from .workbooks import openpyxl_indexes

        ws, index = openpyxl_indexes(openpyxl.load_workbook(path))["mau02"]
        r, c = index.cell("hoi_nghi_so", f"value:{data.plan.months[0]}")
        cell = ws.cell(r + 1, c + 1)
        assert (isinstance(cell.value, str) and "'Mẫu 01'!" in cell.value) is linked
        assert cell.protection.locked is linked
