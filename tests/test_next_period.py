"""Next period: import new targets from appendices as they arrive, roll the cycle forward, the 34-unit
structure, and one province split to its districts — each driven through the CLI."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from click.testing import CliRunner

from workbook_tools.cli import main
from workbook_tools.plans import TOTAL, load_plan
from workbook_tools.targets import regroup
from workbook_tools.units import mapping_63_to_34, structure

from .libreoffice import convert
from .workbooks import computed, fill

PEOPLE = ("bhxh_bb", "bhxh_tn", "bhtn", "bhyt")
SPELLINGS = {"79": "TP. Hồ Chí Minh", "46": "Thành phố Huế", "66": "Đăk Lăk", "01": "HÀ NỘI", "92": "TP Cần Thơ"}


def _invoke(*args: str, data_dir: Path) -> object:
    return CliRunner().invoke(main, ["--data-dir", str(data_dir), *args], catch_exceptions=False)


def _appendix_34(path: Path, drop: str = "", duplicate: str = "", bad_cell: bool = False, stranger: bool = False) -> dict:
    """A 34-unit appendix in the awkward shape real ones have: title, merged headers, TT column, Toàn quốc row,
    numbers typed as text with dots, spellings of every kind, a footnote."""
    data = regroup(load_plan("1813-2025"), mapping_63_to_34(), "34")
    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet("Phụ lục")
    ws.merge_range(0, 0, 0, 5, "CHỈ TIÊU PHÁT TRIỂN NGƯỜI THAM GIA NĂM 2026 CỦA BHXH CÁC TỈNH, THÀNH PHỐ")
    ws.merge_range(2, 0, 3, 0, "TT")
    ws.merge_range(2, 1, 3, 1, "BHXH tỉnh, thành phố")
    ws.merge_range(2, 2, 2, 5, "Số người tham gia năm 2026")
    for i, text in enumerate(("BHXH bắt buộc", "BHXH tự nguyện", "Bảo hiểm thất nghiệp", "Bảo hiểm y tế")):
        ws.write(3, 2 + i, text)
    ws.write(4, 1, "Toàn quốc")
    for i, code in enumerate(PEOPLE):
        ws.write(4, 2 + i, data.value("VN", code))
    row = 5
    expected = {}
    for number, unit in enumerate(structure("34").units):
        if unit.code == drop:
            continue
        copies = 2 if unit.code == duplicate else 1
        for _ in range(copies):
            ws.write(row, 0, number + 1)
            ws.write(row, 1, SPELLINGS.get(unit.code, unit.name))
            for i, code in enumerate(PEOPLE):
                value = data.value(unit.code, code)
                expected[(unit.code, code)] = value
                if bad_cell and unit.code == "15" and code == "bhyt":
                    ws.write(row, 2 + i, "đang cập nhật")
                elif number % 3 == 0:
                    ws.write_string(row, 2 + i, f"{value:,}".replace(",", "."))
                else:
                    ws.write(row, 2 + i, value)
            row += 1
    if stranger:
        ws.write(row, 1, "Hà Tây")
        ws.write(row, 2, 5)
        row += 1
    ws.write(row + 1, 0, "Ghi chú: chưa gồm lực lượng vũ trang, công an.")
    book.close()
    return expected


def test_import_a_34_unit_appendix_then_generate_fill_and_consolidate(tmp_path):
    data_dir = tmp_path / "data"
    expected = _appendix_34(tmp_path / "pl.xlsx")
    result = _invoke("targets", "import", str(tmp_path / "pl.xlsx"), "--plan", "2026", "--structure", "34", "--year", "2026",
                     "--document", "Kế hoạch 100/KH-BHXH ngày 05/01/2026", data_dir=data_dir)
    assert result.exit_code == 0, result.output
    assert "34 units" in result.output and "stock" in result.output
    plan = load_plan("2026", [data_dir])
    assert plan.plan.structure == "34" and plan.plan.document.number == "100/KH-BHXH"
    assert all(plan.value(u, c) == v for (u, c), v in expected.items())
    out = tmp_path / "so"
    result = _invoke("generate", "--plan", "2026", "--out", str(out), data_dir=data_dir)
    assert result.exit_code == 0, result.output
    assert "46-hue.xlsx" in {p.name for p in out.glob("*.xlsx")} and len(list(out.glob("*.xlsx"))) == 34
    returns = tmp_path / "returns"
    returns.mkdir()
    typed = {"79": 13_000_000, "46": 1_100_000, "15": 1_500_000}
    for code, level in typed.items():
        source = next(out.glob(f"{code}-*.xlsx"))
        fill(source, {("mau01", "round_date", "uom"): dt.date(2026, 3, 14), ("mau01", "bhyt", "actual:2026-03"): level}, returns / source.name)
    result = _invoke("consolidate", str(returns), "--manifest", str(out / "manifest.json"), "--out", str(tmp_path / "n.xlsx"),
                     "--json", str(tmp_path / "n.json"), data_dir=data_dir)
    assert result.exit_code == 1
    units = {u["code"]: u for u in json.loads((tmp_path / "n.json").read_text(encoding="utf-8"))["units"]}
    assert sum(u["status"] == "accepted" for u in units.values()) == 3
    for code, level in typed.items():
        bhyt = next(v for v in units[code]["values"] if v["indicator"] == "bhyt" and v["period"] == TOTAL)
        assert bhyt["actual"] == level and bhyt["target"] == expected[(code, "bhyt")]


@pytest.mark.parametrize(
    "problem,fragment",
    [
        ({"drop": "96"}, "không có dòng nào: 96 Cà Mau"),
        ({"duplicate": "31"}, "xuất hiện hai lần"),
        ({"bad_cell": True}, "«đang cập nhật» không phải số nguyên không âm"),
        ({"stranger": True}, "«Hà Tây» không phải đơn vị của cơ cấu 34 đơn vị"),
    ],
)
def test_a_bad_appendix_names_the_row_and_stores_nothing(tmp_path, problem, fragment):
    _appendix_34(tmp_path / "pl.xlsx", **problem)
    data_dir = tmp_path / "data"
    result = CliRunner().invoke(main, ["--data-dir", str(data_dir), "targets", "import", str(tmp_path / "pl.xlsx"), "--plan", "2026", "--year", "2026"])
    assert result.exit_code == 2 and fragment in result.output, result.output
    assert "dòng " in result.output
    assert not (data_dir / "plans").exists()


def test_dry_run_stores_nothing(tmp_path):
    _appendix_34(tmp_path / "pl.xlsx")
    result = _invoke("targets", "import", str(tmp_path / "pl.xlsx"), "--plan", "2026", "--year", "2026", "--dry-run", data_dir=tmp_path / "data")
    assert result.exit_code == 0 and "dry run" in result.output
    assert not (tmp_path / "data" / "plans").exists()


def _monthly_csv(path: Path, months: tuple[int, ...], header_year: bool = True) -> None:
    """A flow appendix by month as CSV with semicolons and Vietnamese thousands separators (2800's shape)."""
    data = load_plan("2800-2021")
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["STT", "BHXH tỉnh, TP"] + [f"Tháng {m}/2021" if header_year else f"Tháng {m}" for m in months])
        writer.writerow(["", "Toàn quốc"] + [f"{data.value('VN', 'hoi_nghi', f'2021-{m:02d}'):,}".replace(",", ".") for m in months])
        for number, code in enumerate(data.unit_codes(), start=1):
            name = next(t.published_name for t in data.targets if t.unit == code)
            writer.writerow([number, name] + [f"{data.value(code, 'hoi_nghi', f'2021-{m:02d}'):,}".replace(",", ".") for m in months])


def test_an_unclear_header_asks_for_columns_and_columns_fix_it(tmp_path):
    _monthly_csv(tmp_path / "t.csv", (11, 12))
    result = CliRunner().invoke(main, ["--data-dir", str(tmp_path / "d"), "targets", "import", str(tmp_path / "t.csv"), "--plan", "hn-2021", "--structure", "63"])
    assert result.exit_code == 2 and "--columns C=CHỈ_TIÊU:KỲ" in result.output
    result = _invoke("targets", "import", str(tmp_path / "t.csv"), "--plan", "hn-2021", "--structure", "63", "--kind", "flow",
                     "--columns", "C=hoi_nghi:2021-11,D=hoi_nghi:2021-12", data_dir=tmp_path / "d")
    assert result.exit_code == 0, result.output
    plan = load_plan("hn-2021", [tmp_path / "d"])
    assert plan.plan.months == ("2021-11", "2021-12") and plan.value("15", "hoi_nghi", "2021-11") == 110


def _continuation_plan(tmp_path: Path, data_dir: Path) -> None:
    """Kế hoạch 2800's November–December, imported as a plan of its own."""
    data = load_plan("2800-2021")
    path = tmp_path / "t11.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["TT", "Tỉnh", "BHXH bắt buộc tháng 11/2021", "BHXH bắt buộc tháng 12/2021", "BHYT tháng 11/2021", "BHYT tháng 12/2021"])
        for number, code in enumerate(data.unit_codes(), start=1):
            writer.writerow([number, structure("63").unit(code).name] + [data.value(code, i, m) for i in ("bhxh_bb", "bhyt") for m in ("2021-11", "2021-12")])
    result = _invoke("targets", "import", str(path), "--plan", "2800-2021-t11", "--structure", "63", "--kind", "flow", data_dir=data_dir)
    assert result.exit_code == 0, result.output


@pytest.mark.libreoffice
def test_roll_2800_from_september_october_into_november_december(tmp_path):
    data_dir = tmp_path / "data"
    _continuation_plan(tmp_path, data_dir)
    assert _invoke("generate", "--plan", "2800-2021", "--out", str(tmp_path / "so"), "--unit", "01", "--unit", "15", data_dir=data_dir).exit_code == 0
    returns = tmp_path / "returns"
    returns.mkdir()
    achieved = {"01": (40_000, 70_000), "15": (300, 700)}
    for code, (september, october) in achieved.items():
        source = next((tmp_path / "so").glob(f"{code}-*.xlsx"))
        fill(source, {("mau01", "round_date", "uom"): dt.date(2021, 10, 31), ("mau01", "bhxh_bb", "actual:2021-09"): september,
                      ("mau01", "bhxh_bb", "actual:2021-10"): october, ("mau01", "bhyt", "actual:2021-09"): 5}, returns / source.name)
    national = tmp_path / "national.xlsx"
    _invoke("consolidate", str(returns), "--manifest", str(tmp_path / "so" / "manifest.json"), "--out", str(national), data_dir=data_dir)
    result = _invoke("next-period", "--from", str(national), "--plan", "2800-2021-t11", "--out", str(tmp_path / "t11"), data_dir=data_dir)
    assert result.exit_code == 0, result.output
    assert "mang sang làm số lũy kế từ đầu năm" in result.output and "cho 2 đơn vị" in result.output
    hanoi = next((tmp_path / "t11").glob("01-*.xlsx"))
    sheet = computed(hanoi)["mau01"]
    assert sheet[("bhxh_bb", "carried:total")] == 110_000 and sheet[("bhyt", "carried:total")] == 5
    assert sheet[("bhxh_bb", "target:2021-11")] == load_plan("2800-2021").value("01", "bhxh_bb", "2021-11")
    fill(hanoi, {("mau01", "bhxh_bb", "actual:2021-11"): 20_000}, tmp_path / "nov.xlsx")
    recalculated = computed(convert([tmp_path / "nov.xlsx"], tmp_path / "recalc")[0])["mau01"]
    assert recalculated[("bhxh_bb", "ytd:total")] == 130_000
    assert recalculated[("bhyt", "ytd:total")] == 5
    assert recalculated[("bhxh_bb", "actual:total")] == 20_000


def test_a_new_year_on_34_units_shows_last_years_levels_regrouped(tmp_path):
    data_dir = tmp_path / "data"
    _appendix_34(tmp_path / "pl.xlsx")
    assert _invoke("targets", "import", str(tmp_path / "pl.xlsx"), "--plan", "2026", "--year", "2026", data_dir=data_dir).exit_code == 0
    result = _invoke("next-period", "--from", "1813-2025", "--plan", "2026", "--out", str(tmp_path / "so"), "--unit", "79", data_dir=data_dir)
    assert result.exit_code == 0, result.output
    assert "ghi làm số của năm trước" in result.output
    old = load_plan("1813-2025")
    level = sum(old.value(c, "bhyt") for c in ("74", "77", "79"))
    sheet = computed(next((tmp_path / "so").glob("79-*.xlsx")))["mau01"]
    assert sheet[("bhyt", "baseline:total")] == level and sheet[("bhyt", "last_year_total:total")] == level
    months = [sheet[("bhyt", f"target:2026-{m:02d}")] for m in range(1, 13)]
    assert months == sorted(months) and months[-1] == load_plan("2026", [data_dir]).value("79", "bhyt")


def test_next_period_refuses_a_plan_that_does_not_come_after(tmp_path):
    result = CliRunner().invoke(main, ["next-period", "--from", "1813-2025", "--plan", "1813-2024", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "does not come after" in result.output


def _shares(path: Path, count: int = 30) -> list[float]:
    weights = [1 + (k * 7) % 11 for k in range(count)]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Mã", "Tên huyện", "Tỷ lệ"])
        for k, weight in enumerate(weights):
            writer.writerow([f"{k + 1:03d}", f"Quận/huyện số {k + 1}", weight])
    return weights


def test_one_province_split_to_thirty_districts_end_to_end(tmp_path):
    data_dir = tmp_path / "data"
    _shares(tmp_path / "shares.csv")
    result = _invoke("targets", "split", "2800-2021", "--unit", "Hà Nội", "--by", str(tmp_path / "shares.csv"), data_dir=data_dir)
    assert result.exit_code == 0, result.output
    split = load_plan("2800-2021-01", [data_dir])
    province = load_plan("2800-2021")
    assert len(split.unit_codes()) == 30
    for code in split.plan.indicators:
        for month in split.plan.months:
            assert sum(split.value(u, code, month) for u in split.unit_codes()) == province.value("01", code, month)
        for unit in split.unit_codes():
            assert split.value(unit, code, TOTAL) == sum(split.value(unit, code, m) for m in split.plan.months)
    out = tmp_path / "so"
    assert _invoke("generate", "--plan", "2800-2021-01", "--out", str(out), data_dir=data_dir).exit_code == 0
    files = sorted(out.glob("*.xlsx"))
    assert len(files) == 30 and files[0].name == "001-quan-huyen-so-1.xlsx"
    returns = tmp_path / "returns"
    returns.mkdir()
    for path in files[:5]:
        fill(path, {("mau01", "round_date", "uom"): dt.date(2021, 9, 15), ("mau01", "hoi_nghi", "actual:2021-09"): 3}, returns / path.name)
    result = _invoke("consolidate", str(returns), "--manifest", str(out / "manifest.json"), "--out", str(tmp_path / "hn.xlsx"),
                     "--json", str(tmp_path / "hn.json"), data_dir=data_dir)
    payload = json.loads((tmp_path / "hn.json").read_text(encoding="utf-8"))
    assert result.exit_code == 1 and payload["summary"] == {"accepted": 5, "rejected": 0, "missing": 25}
    national = next(v for v in payload["national"] if v["indicator"] == "hoi_nghi" and v["period"] == "2021-09")
    assert national["actual"] == 15 and national["target"] == province.value("01", "hoi_nghi", "2021-09")
    assert openpyxl.load_workbook(tmp_path / "hn.xlsx")["Tổng hợp"]["C6"].value == "Quận/huyện số 1"


def test_a_second_split_never_changes_the_districts_under_a_plan_split_earlier(tmp_path):
    data_dir = tmp_path / "data"
    _shares(tmp_path / "shares.csv", 30)
    assert _invoke("targets", "split", "2800-2021", "--unit", "01", "--by", str(tmp_path / "shares.csv"), data_dir=data_dir).exit_code == 0
    structure_file = data_dir / "units" / "huyen-63-01.csv"
    before = structure_file.read_bytes()
    _shares(tmp_path / "fewer.csv", 29)  # a district merged before the next split
    again = ["targets", "split", "2800-2021", "--unit", "01", "--by", str(tmp_path / "fewer.csv"), "--plan-id", "hn-moi"]
    refused = _invoke(*again, data_dir=data_dir)
    assert refused.exit_code == 2 and "đang dùng cho kế hoạch 2800-2021-01" in refused.output, refused.output
    assert structure_file.read_bytes() == before and not (data_dir / "plans" / "hn-moi.json").exists()
    assert len(load_plan("2800-2021-01", [data_dir]).unit_codes()) == 30
    same = _invoke("targets", "split", "2800-2021", "--unit", "01", "--by", str(tmp_path / "shares.csv"), "--plan-id", "hn-lai", data_dir=data_dir)
    assert same.exit_code == 0, same.output  # the same districts again: nothing changes under the first plan
    assert structure_file.read_bytes() == before
