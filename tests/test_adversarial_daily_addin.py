"""An adversarial pass on the daily quick report and the add-in's buttons (cases beyond issue 9 and
test_adversarial_new.py): times and levels as tired clerks type them, workbooks of another campaign
or another unit structure, the national daily workbook resaved by LibreOffice, settings pasted from
Explorer or typed as nonsense on `Cấu hình`, and a second run at once. Each test asserts what a user
would expect: no traceback, a Vietnamese sentence naming the file or setting, returned files
unchanged, and the figures as typed (or refused, and said so)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import date, time
from pathlib import Path

import pytest
from click.testing import CliRunner

from workbook_tools import addin
from workbook_tools.cli import main

from .daily_returns import DailyFiller
from .fake_xlwings import FakeBook
from .libreoffice import convert
from .test_daily import _hashes, _strict_json

PLAN = "2800-2021"


def _key(day: int) -> str:
    return f"day:2021-12-{day:02d}"


def _generate(out: Path, *extra: str) -> dict[str, Path]:
    result = CliRunner().invoke(main, ["daily", "generate", "--plan", PLAN, "--out", str(out), *extra], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return {p.name[:2]: p for p in out.glob("*.xlsx")}


@pytest.fixture(scope="module")
def blanks(tmp_path_factory) -> dict[str, Path]:
    """Blank daily workbooks of three provinces for a 10-day campaign."""
    out = tmp_path_factory.mktemp("daily") / "so"
    return _generate(out, "--from", "2021-12-01", "--to", "2021-12-10", "--unit", "01", "--unit", "79", "--unit", "48")


def _consolidate(returns: Path, out: Path, *extra: str) -> tuple[object, dict | None]:
    """`daily consolidate` as staff run it, checking that no returned file changed."""
    before = _hashes(returns)
    json_path = out.with_suffix(".json")
    json_path.unlink(missing_ok=True)
    result = CliRunner().invoke(main, ["daily", "consolidate", str(returns), "--out", str(out), "--json", str(json_path), *extra])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert _hashes(returns) == before
    return result, _strict_json(json_path) if json_path.exists() else None


def _unit(payload: dict, code: str) -> dict:
    return next(u for u in payload["units"] if u["code"] == code)


def test_times_as_clerks_type_them_are_read_or_refused_never_misread(blanks, tmp_path):
    returns = tmp_path / "r"
    returns.mkdir()
    typed = {"01": 15.5, "79": 0.65, "48": "15h30"}  # 15.5 in a time cell: Excel shows 12:00 of 15/01/1900
    for code, value in typed.items():
        DailyFiller(blanks[code]).write({(_key(1), "time"): value, (_key(1), "level:bhxh_bb"): 100}, returns / blanks[code].name)
    result, payload = _consolidate(returns, tmp_path / "n.xlsx")
    assert result.exit_code == 1 and payload is not None
    assert (_unit(payload, "79")["time"], _unit(payload, "79")["timeliness"]) == ("15:36", "on_time")
    assert (_unit(payload, "48")["time"], _unit(payload, "48")["timeliness"]) == ("15:30", "on_time")
    noon = _unit(payload, "01")
    assert noon["time"] is None and noon["timeliness"] == "unknown" and noon["values"]["bhxh_bb"]["level"] == 100
    found = [p for p in payload["problems"] if p["code"] == "daily_time_invalid"]
    assert len(found) == 1 and found[0]["unit"] == "01" and "«15/01/1900 12:00» không hợp lệ" in found[0]["message"]


def test_times_with_a_half_of_the_day_are_read_contradictions_and_missing_separators_are_errors_naming_the_cell(blanks, tmp_path):
    read, found = {}, {}
    for n, typed in enumerate(({"01": "3:30 PM", "79": "1530", "48": "4h30 chiều"}, {"01": "15:30 PM", "79": "9:05 SA", "48": "3:30 CH"})):
        returns = tmp_path / f"r{n}"
        returns.mkdir()
        for code, value in typed.items():
            DailyFiller(blanks[code]).write({(_key(1), "time"): value, (_key(1), "level:bhyt"): 50}, returns / blanks[code].name)
        result, payload = _consolidate(returns, tmp_path / f"n{n}.xlsx")
        assert result.exit_code == 1 and payload is not None
        read.update({typed[c]: (_unit(payload, c)["time"], _unit(payload, c)["timeliness"]) for c in typed})
        found.update({typed[p["unit"]]: p for p in payload["problems"] if p["code"] == "daily_time_invalid"})
        assert all(_unit(payload, c)["values"]["bhyt"]["level"] == 50 for c in typed)
    assert read == {"3:30 PM": ("15:30", "on_time"), "1530": (None, "unknown"), "4h30 chiều": ("16:30", "late"),
                    "15:30 PM": (None, "unknown"), "9:05 SA": ("09:05", "on_time"), "3:30 CH": ("15:30", "on_time")}
    assert set(found) == {"1530", "15:30 PM"} and "«15:30 PM»" in found["15:30 PM"]["message"]
    assert found["1530"]["cell"] == DailyFiller(blanks["79"]).ref(_key(1), "time")


def test_a_time_before_six_in_the_morning_is_a_warning_it_may_mean_the_afternoon(blanks, tmp_path):
    returns = tmp_path / "r"
    returns.mkdir()
    for code, value in (("01", "4:30"), ("79", time(5, 10)), ("48", "6:00")):
        DailyFiller(blanks[code]).write({(_key(1), "time"): value, (_key(1), "level:bhyt"): 50}, returns / blanks[code].name)
    result, payload = _consolidate(returns, tmp_path / "n.xlsx")
    assert payload is not None
    early = {p["unit"]: p for p in payload["problems"] if p["code"] == "daily_time_early"}
    assert set(early) == {"01", "79"} and all(p["severity"] == "warning" for p in early.values())
    assert "«4:30»" in early["01"]["message"] and "16:30" in early["01"]["message"] and "17:10" in early["79"]["message"]
    assert early["01"]["cell"] == DailyFiller(blanks["01"]).ref(_key(1), "time")
    assert _unit(payload, "01")["time"] == "04:30" and _unit(payload, "01")["values"]["bhyt"]["level"] == 50


def test_a_row_copied_onto_the_next_day_is_a_warning_and_still_counts(blanks, tmp_path):
    returns = tmp_path / "r"
    returns.mkdir()
    row = {"time": time(10, 0), "level:bhxh_bb": 1200, "level:bhyt": 3400, "level:thu": 56.5}
    values = {(_key(d), c): v for d in (1, 2) for c, v in row.items()}
    DailyFiller(blanks["01"]).write(values, returns / blanks["01"].name)
    result, payload = _consolidate(returns, tmp_path / "n.xlsx")
    assert payload is not None and payload["day"] == "2021-12-02"
    found = [p for p in payload["problems"] if p["code"] == "daily_row_repeated"]
    assert len(found) == 1 and found[0]["severity"] == "warning"
    assert "Dòng ngày 02/12/2021 giống hệt dòng ngày 01/12/2021" in found[0]["message"]
    assert _unit(payload, "01")["values"]["bhxh_bb"]["level"] == 1200


def test_a_workbook_of_another_campaign_window_is_refused_by_name_not_dropped_unseen(blanks, tmp_path):
    other = _generate(tmp_path / "dot-khac", "--from", "2021-12-01", "--to", "2021-12-05", "--unit", "48")["48"]
    returns = tmp_path / "r"
    returns.mkdir()
    DailyFiller(blanks["01"]).write({(_key(1), "time"): time(9, 0), (_key(1), "level:bhxh_bb"): 100}, returns / blanks["01"].name)
    DailyFiller(other).write({(_key(1), "time"): time(9, 0), (_key(1), "level:bhxh_bb"): 777}, returns / other.name)
    result, payload = _consolidate(returns, tmp_path / "n.xlsx")
    assert result.exit_code == 1 and payload is not None
    assert _unit(payload, "48")["status"] == "rejected" and payload["days"][0]["national"]["bhxh_bb"] == 100
    found = [p for p in payload["problems"] if p["code"] == "daily_other_campaign"]
    assert len(found) == 1 and found[0]["file"] == other.name
    assert "đợt 01/12/2021 – 05/12/2021, không phải đợt 01/12/2021 – 10/12/2021" in found[0]["message"]


def test_a_national_daily_workbook_on_63_units_never_takes_days_on_the_34(blanks, tmp_path):
    on_34 = _generate(tmp_path / "so34", "--structure", "34", "--from", "2021-12-01", "--to", "2021-12-10", "--unit", "01", "--unit", "79")
    first, second = tmp_path / "r1", tmp_path / "r2"
    first.mkdir()
    second.mkdir()
    for code in ("01", "79"):
        DailyFiller(blanks[code]).write({(_key(1), "time"): time(9, 0), (_key(1), "level:bhxh_bb"): 100}, first / blanks[code].name)
        DailyFiller(on_34[code]).write({(_key(2), "time"): time(9, 0), (_key(2), "level:bhxh_bb"): 5000}, second / on_34[code].name)
    national = tmp_path / "tong-hop-ngay.xlsx"
    assert _consolidate(first, national)[0].exit_code == 1
    before = national.read_bytes()
    refused, _ = _consolidate(second, national)
    assert refused.exit_code == 2 and national.read_bytes() == before
    assert "đang giữ báo cáo ngày theo 63 đơn vị, không phải 34 đơn vị" in refused.output and "--force" in refused.output
    restarted, payload = _consolidate(second, national, "--force")
    assert restarted.exit_code == 1 and payload is not None and payload["structure"] == "34"
    assert [(d["day"], d["national"]["bhxh_bb"]) for d in payload["days"]] == [("2021-12-01", None), ("2021-12-02", 10000)]


def test_a_national_daily_workbook_resaved_by_libreoffice_keeps_every_held_day(blanks, tmp_path):
    first, second = tmp_path / "r1", tmp_path / "r2"
    first.mkdir()
    second.mkdir()
    for n, code in enumerate(("01", "79")):
        DailyFiller(blanks[code]).write({(_key(1), "time"): time(9, 0), (_key(1), "level:bhxh_bb"): 100 * (n + 1), (_key(1), "level:thu"): 1.5},
                                        first / blanks[code].name)
    DailyFiller(blanks["48"]).write({(_key(2), "time"): time(9, 0), (_key(2), "level:bhxh_bb"): 310}, second / blanks["48"].name)
    national = tmp_path / "tong-hop-ngay.xlsx"
    assert _consolidate(first, national)[0].exit_code == 1
    resaved = convert([national], tmp_path / "lo", force=False)[0]
    shutil.copy(resaved, national)
    result, payload = _consolidate(second, national)
    assert result.exit_code == 1, result.output
    assert payload is not None
    assert [(d["day"], d["national"]["bhxh_bb"], d["national"]["thu"]) for d in payload["days"]] == [
        ("2021-12-01", 300, 3.0), ("2021-12-02", 610, 3.0)]


def test_consolidating_a_day_before_the_held_days_keeps_the_later_days(blanks, tmp_path):
    returns = tmp_path / "r"
    returns.mkdir()
    later = returns / blanks["01"].name
    DailyFiller(blanks["01"]).write({(_key(d), c): v for d in (4, 5) for c, v in (("time", time(9, 0)), ("level:bhxh_bb", 100 * d))}, later)
    national = tmp_path / "tong-hop-ngay.xlsx"
    assert _consolidate(returns, national)[0].exit_code == 1
    later.unlink()
    DailyFiller(blanks["79"]).write({(_key(1), "time"): time(9, 0), (_key(1), "level:bhxh_bb"): 70}, returns / blanks["79"].name)
    result, payload = _consolidate(returns, national, "--day", "2021-12-01")
    assert result.exit_code == 1 and payload is not None and payload["day"] == "2021-12-01"
    again, payload = _consolidate(returns, national, "--day", "2021-12-05")
    assert again.exit_code == 1 and payload is not None
    assert payload["days"][-1]["national"]["bhxh_bb"] == 570 and _unit(payload, "01")["values"]["bhxh_bb"]["level"] == 500


# The add-in's buttons, driven with the stand-in book of tests/fake_xlwings.py.


@pytest.fixture()
def panel(blanks, tmp_path) -> tuple[FakeBook, Path]:
    """The control book saved in its own folder and a folder of two daily returns (days 1 and 2)."""
    returns = tmp_path / "thu-ve"
    returns.mkdir()
    for n, code in enumerate(("01", "79")):
        values = {(_key(d), c): v for d in (1, 2) for c, v in (("time", time(9, d)), ("level:bhxh_bb", 100 * (n + 1) + d))}
        DailyFiller(blanks[code]).write(values, returns / blanks[code].name)
    national = tmp_path / "panel.xlsx"
    result = CliRunner().invoke(main, ["generate-national", "--plan", PLAN, "--out", str(national)], catch_exceptions=False)
    assert result.exit_code == 0
    return FakeBook.from_xlsx(national), returns


def _config(book: FakeBook, key: str, value: object) -> None:
    sheet = book.sheets[addin.CONFIG_SHEET]
    row = next(r for (r, c), v in sheet.cells.items() if c == 1 and v == key)
    sheet.range((row, 3)).value = value


def test_paths_pasted_from_explorer_with_quotes_and_spaces_are_used_as_meant(panel, tmp_path):
    book, returns = panel
    _config(book, "daily_returns_dir", f'  "{returns}"  ')
    _config(book, "daily_out_file", f'"{tmp_path / "ngay.xlsx"}" ')
    status = addin.run_daily(book)
    assert status.startswith(f"Đã tổng hợp báo cáo nhanh ngày 02/12/2021 vào {tmp_path / 'ngay.xlsx'}"), status
    assert (tmp_path / "ngay.xlsx").is_file()


@pytest.mark.parametrize("key, value, label", [
    ("daily_returns_dir", 5, "Thư mục chứa báo cáo nhanh hằng ngày"),
    ("daily_out_file", 2021.0, "Tệp sổ tổng hợp báo cáo nhanh hằng ngày"),
    ("daily_returns_dir", "thu-ve", "Thư mục chứa báo cáo nhanh hằng ngày"),
])
def test_a_number_or_a_bare_name_where_a_path_is_expected_is_refused_naming_the_setting(panel, tmp_path, key, value, label):
    book, returns = panel
    _config(book, "daily_returns_dir", str(returns))
    _config(book, key, value)
    status = addin.run_daily(book)
    shown = str(int(value)) if isinstance(value, float) else str(value)
    assert status.startswith(f"Không thực hiện được: «{label}» là «{shown}», không phải một đường dẫn đầy đủ"), status
    assert not (tmp_path / f"bao-cao-ngay-{PLAN}.xlsx").exists() and not Path(shown).exists()


def test_a_day_or_round_that_is_not_a_date_stops_the_button_instead_of_being_ignored(panel, tmp_path):
    book, returns = panel
    _config(book, "daily_returns_dir", str(returns))
    _config(book, "day", "hôm qua")
    status = addin.run_daily(book)
    assert status == ("Không thực hiện được: «Ngày tổng hợp báo cáo nhanh» trên sheet Cấu hình là «hôm qua», không phải một ngày; "
                      "hãy nhập dạng ngày/tháng/năm (ví dụ 15/12/2021) hoặc để trống.")
    assert not (tmp_path / f"bao-cao-ngay-{PLAN}.xlsx").exists()
    _config(book, "day", 44531.0)  # 01/12/2021 in a cell formatted as a number
    assert addin.run_daily(book).startswith("Đã tổng hợp báo cáo nhanh ngày 01/12/2021")
    _config(book, "returns_dir", str(returns))
    _config(book, "as_of", "tháng 12")
    assert "«Kỳ báo cáo» trên sheet Cấu hình là «tháng 12», không phải một ngày" in addin.run_consolidate(book)
    assert not (tmp_path / f"tong-hop-{PLAN}.xlsx").exists()


def test_the_buttons_never_write_their_workbook_into_the_returns_folder(panel):
    book, returns = panel
    before = _hashes(returns)
    _config(book, "daily_returns_dir", str(returns))
    _config(book, "daily_out_file", str(returns / "tong-hop-ngay.xlsx"))
    assert "không được nằm trong thư mục báo cáo gửi về" in addin.run_daily(book)
    _config(book, "returns_dir", str(returns))
    _config(book, "out_file", str(returns / "tong-hop.xlsx"))
    assert "không được nằm trong thư mục báo cáo gửi về" in addin.run_consolidate(book)
    assert _hashes(returns) == before


def test_the_daily_button_never_mixes_its_days_with_another_plans_or_structures(panel, blanks, tmp_path):
    book, returns = panel
    _config(book, "daily_returns_dir", str(returns))
    out = tmp_path / f"bao-cao-ngay-{PLAN}.xlsx"
    assert addin.run_daily(book).startswith("Đã tổng hợp")
    before = out.read_bytes()
    on_34 = _generate(tmp_path / "so34", "--structure", "34", "--from", "2021-12-01", "--to", "2021-12-10", "--unit", "79")["79"]
    other = tmp_path / "thu-ve-34"
    other.mkdir()
    DailyFiller(on_34).write({(_key(3), "time"): time(9, 0), (_key(3), "level:bhxh_bb"): 9000}, other / on_34.name)
    _config(book, "daily_returns_dir", str(other))
    book.app.books.user_closes_outputs()
    status = addin.run_daily(book)
    assert "đang giữ báo cáo ngày theo 63 đơn vị, không phải 34 đơn vị" in status and "Tệp sổ tổng hợp báo cáo nhanh hằng ngày" in status
    _config(book, "daily_returns_dir", str(returns))
    _config(book, "plan", "275-2021")
    _config(book, "daily_out_file", str(out))
    _config(book, "day", "02/12/2021")
    status = addin.run_daily(book)
    assert f"đang giữ báo cáo ngày của kế hoạch {PLAN}, không phải 275-2021" in status, status
    assert out.read_bytes() == before


def test_a_second_run_while_the_daily_button_works_is_refused_and_no_day_is_lost(panel, blanks, tmp_path, monkeypatch):
    from workbook_tools import daily

    book, returns = panel
    _config(book, "daily_returns_dir", str(returns))
    out = tmp_path / f"bao-cao-ngay-{PLAN}.xlsx"
    assert addin.run_daily(book).startswith("Đã tổng hợp báo cáo nhanh ngày 02/12/2021")
    third = tmp_path / "ngay-3"
    third.mkdir()
    DailyFiller(blanks["48"]).write({(_key(3), "time"): time(9, 0), (_key(3), "level:bhxh_bb"): 480}, third / blanks["48"].name)
    reader, seen = daily.read_daily_folder, {}

    def read_while_a_colleague_runs_the_cli(folder, data, **options):
        cli = [str(Path(sys.executable).with_name("workbook-tools")), "daily", "consolidate", str(third), "--out", str(out)]
        seen["cli"] = subprocess.run(cli, capture_output=True, text=True, timeout=120)
        return reader(folder, data, **options)

    monkeypatch.setattr(daily, "read_daily_folder", read_while_a_colleague_runs_the_cli)
    book.app.books.user_closes_outputs()
    assert addin.run_daily(book).startswith("Đã tổng hợp báo cáo nhanh ngày 02/12/2021")
    assert seen["cli"].returncode == 2 and "một lần chạy khác đang ghi tệp này" in seen["cli"].stderr + seen["cli"].stdout
    monkeypatch.setattr(daily, "read_daily_folder", reader)
    result = CliRunner().invoke(main, ["daily", "consolidate", str(third), "--out", str(out), "--json", str(tmp_path / "n.json")])
    assert result.exit_code == 1, result.output
    payload = _strict_json(tmp_path / "n.json")
    assert [(d["day"], d["national"]["bhxh_bb"]) for d in payload["days"]] == [
        ("2021-12-01", 101 + 201), ("2021-12-02", 102 + 202), ("2021-12-03", 102 + 202 + 480)]
    assert date.fromisoformat(payload["day"]) == date(2021, 12, 3)


# next-period across the 63 → 34 reorganisation.


def test_next_period_onto_the_34_never_passes_a_partial_sum_for_a_merged_unit(tmp_path):
    from .test_next_period import _appendix_34
    from .workbooks import computed, fill

    runner = CliRunner()
    units = ("01", "74", "79")  # 79 on the 34 = 79 + 74 + 77 on the 63; Bà Rịa–Vũng Tàu (77) never reported
    args = ["generate", "--plan", "1813-2024", "--out", str(tmp_path / "so")] + [a for u in units for a in ("--unit", u)]
    assert runner.invoke(main, args, catch_exceptions=False).exit_code == 0
    returns = tmp_path / "thu-ve"
    returns.mkdir()
    for n, source in enumerate(sorted((tmp_path / "so").glob("*.xlsx"))):
        values = {("mau01", "round_date", "uom"): date(2024, 12, 20)}
        values.update({("mau01", code, f"actual:2024-{m:02d}"): 1000 * (n + 1) + m for code in ("bhxh_bb", "bhyt") for m in range(1, 13)})
        fill(source, values, returns / source.name)
    national = tmp_path / "tong-hop-2024.xlsx"
    assert runner.invoke(main, ["consolidate", str(returns), "--out", str(national)], catch_exceptions=False).exit_code == 1
    _appendix_34(tmp_path / "pl.xlsx")
    data = ["--data-dir", str(tmp_path / "d")]
    imported = runner.invoke(main, [*data, "targets", "import", str(tmp_path / "pl.xlsx"), "--plan", "2025-34", "--structure", "34",
                                    "--year", "2025", "--kind", "stock", "--document", "Kế hoạch 100/KH-BHXH ngày 05/01/2025"])
    assert imported.exit_code == 0, imported.output
    before = national.read_bytes()
    result = runner.invoke(main, [*data, "next-period", "--from", str(national), "--plan", "2025-34", "--out", str(tmp_path / "moi"),
                                  "--unit", "01", "--unit", "79"])
    assert result.exit_code == 0, result.output
    assert "1 đơn vị mới (79 thiếu số của 77) không có đủ số của mọi tỉnh cũ hợp thành" in result.output
    assert national.read_bytes() == before
    hanoi = computed(next((tmp_path / "moi").glob("01-*.xlsx")))["mau01"]
    merged = computed(next((tmp_path / "moi").glob("79-*.xlsx")))["mau01"]
    assert hanoi[("bhxh_bb", "last_year_total:total")] == 1012 and hanoi[("bhxh_bb", "baseline:total")] == 1012
    assert merged.get(("bhxh_bb", "last_year_total:total")) in ("", None) and merged.get(("bhxh_bb", "baseline:total")) in ("", None)


def test_a_figure_merged_over_two_province_rows_is_never_copied_into_the_second(tmp_path):
    import openpyxl

    from workbook_tools.units import structure

    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["TT", "BHXH tỉnh, thành phố", "BHXH bắt buộc", "BHYT"])
    units = structure("34").units
    for n, unit in enumerate(units, start=1):
        ws.append([n, unit.name, 1000 * n, 2000 * n])
    ws.merge_cells("C6:C7")  # Excel keeps the figure of row 6 (5 000) and empties row 7: that province has no figure left
    book.save(tmp_path / "pl.xlsx")
    data_dir = tmp_path / "d"
    result = CliRunner().invoke(main, ["--data-dir", str(data_dir), "targets", "import", str(tmp_path / "pl.xlsx"), "--plan", "2026m",
                                       "--structure", "34", "--year", "2026", "--columns", "C=bhxh_bb:total,D=bhyt:total"])
    assert result.exit_code == 2, result.output
    assert "dòng 7, cột C: ô trống" in result.output and not (data_dir / "plans").exists()


def test_a_manifest_of_another_plan_or_structure_is_refused_before_the_daily_workbook_is_written(blanks, tmp_path):
    returns = tmp_path / "r"
    returns.mkdir()
    DailyFiller(blanks["01"]).write({(_key(1), "time"): time(9, 0), (_key(1), "level:bhxh_bb"): 100}, returns / blanks["01"].name)
    runner = CliRunner()
    periodic = tmp_path / "dinh-ky"
    assert runner.invoke(main, ["generate", "--plan", "275-2021", "--out", str(periodic), "--unit", "01"], catch_exceptions=False).exit_code == 0
    on_34 = tmp_path / "so34"
    _generate(on_34, "--structure", "34", "--unit", "01")
    for manifest, found in ((periodic, "kế hoạch 275-2021 (63 đơn vị)"), (on_34, f"kế hoạch {PLAN} (34 đơn vị)")):
        result, payload = _consolidate(returns, tmp_path / "n.xlsx", "--manifest", str(manifest / "manifest.json"))
        assert result.exit_code == 2 and payload is None
        assert f"Tệp manifest.json là danh sách sổ của {found}, không phải của kế hoạch {PLAN} (63 đơn vị)" in result.output
        assert not (tmp_path / "n.xlsx").exists()


def test_every_button_on_an_empty_settings_sheet_names_the_setting_to_fill(panel):
    book, _ = panel
    sheet = book.sheets[addin.CONFIG_SHEET]
    for (row, column) in list(sheet.cells):
        if column == 3 and row > 2:
            sheet.cells[(row, column)] = None
    missing_plan = f"Không thực hiện được: Chưa nhập «Mã kế hoạch» trên sheet {addin.CONFIG_SHEET}"
    for button in (addin.run_consolidate, addin.run_check, addin.run_generate, addin.run):
        assert button(book).startswith(missing_plan), button.__name__
    assert addin.run_next_period(book).startswith("Không thực hiện được: Chưa nhập «Kế hoạch kỳ tiếp theo»")
    assert addin.run_daily(book).startswith("Không thực hiện được: Chưa nhập «Thư mục chứa báo cáo nhanh hằng ngày»")


def test_figures_typed_on_a_later_days_row_are_a_warning_not_a_silent_missing_unit(blanks, tmp_path):
    returns = tmp_path / "r"
    returns.mkdir()
    for code, wrong in (("01", 2), ("48", 2), ("79", 5)):  # Hồ Chí Minh typed 02/12's figures on the row of 05/12
        values = {(_key(1), "time"): time(9, 0), (_key(1), "level:bhxh_bb"): 100, (_key(wrong), "time"): time(9, 30),
                  (_key(wrong), "level:bhxh_bb"): 110, ("report_date", "uom"): "02/12/2021"}
        DailyFiller(blanks[code]).write(values, returns / blanks[code].name)
    result, payload = _consolidate(returns, tmp_path / "n.xlsx")
    assert result.exit_code == 1 and payload is not None and payload["day"] == "2021-12-02"
    assert _unit(payload, "79")["status"] == "missing" and payload["days"][1]["national"]["bhxh_bb"] == 110 + 110 + 100
    found = [p for p in payload["problems"] if p["code"] == "daily_only_later_rows"]
    assert [(p["unit"], p["file"]) for p in found] == [("79", blanks["79"].name)]
    assert "không có số liệu ngày 02/12/2021 nhưng có số liệu ở dòng ngày 05/12/2021" in found[0]["message"]
