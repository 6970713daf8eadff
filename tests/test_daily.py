"""The daily quick report (Công điện) end to end: a 10-day campaign of 2800-2021 for the 63 provinces.

Every unit keeps one workbook and sends it each day; some are late (judged by the time typed,
whatever the file dates say), some miss days, one never reports, one corrects a day the next
day, one types a number as text, one lowers a level, one types a report date outside the
campaign, one sends two files. Each day runs `daily consolidate` through the CLI onto the same
national workbook; every national figure of every day is checked against sums computed here,
and the workbooks' formulas are recalculated by LibreOffice and compared with the same maths.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from workbook_tools.cli import main
from workbook_tools.plans import load_plan

from .daily_returns import DailyFiller
from .libreoffice import convert
from .workbooks import computed

PLAN = "2800-2021"
FIRST, DAYS = date(2021, 12, 1), 10
PLAN_END = date(2021, 12, 31)
CODES = ("bhxh_bb", "bhxh_tn", "bhyt", "thu")
CUTOFF = time(16, 0)


def _day(k: int) -> date:
    return FIRST + timedelta(days=k - 1)


def _key(k: int) -> str:
    return f"day:{_day(k).isoformat()}"


class Campaign:
    """What each unit types, day by day, and what the centre should conclude from it."""

    def __init__(self, units: tuple[str, ...], targets: dict[str, dict[str, int]]) -> None:
        self.units, self.targets = units, targets
        u = units
        self.never, self.skipper, self.late, self.late_once, self.boundary = u[-1], u[1], u[2], u[3], u[4]
        self.corrector, self.texter, self.dropper, self.outside, self.twice, self.mtime = u[0], u[5], u[6], u[7], u[8], u[9]
        rng = random.Random(11)
        self.true: dict[tuple[str, str, int], float] = {}
        for unit in units:
            for code in CODES:
                target = targets[unit][code]
                base, step = target * rng.uniform(0.55, 0.8), max(1.0, target * rng.uniform(0.005, 0.03))
                for k in range(1, DAYS + 1):
                    value = base + k * step
                    self.true[(unit, code, k)] = round(value, 1) if code == "thu" else int(value)
        self.true[(self.dropper, "bhxh_tn", 8)] = self.true[(self.dropper, "bhxh_tn", 7)] - 5

    def fills(self, unit: str, k: int) -> bool:
        """Whether a unit types its row of day k."""
        return unit != self.never and not (unit == self.skipper and k in (3, 4))

    def sends(self, unit: str, day: int) -> bool:
        """Whether a unit sends its workbook on a day."""
        return self.fills(unit, day)

    def typed_time(self, unit: str, k: int) -> time:
        """The time typed on a row: after 16:00 for the late ones."""
        if unit == self.late and k in (2, 5, 8):
            return time(17, 5)
        if unit == self.late_once and k == 10:
            return time(16, 30)
        if unit == self.boundary:
            return time(16, 0)
        return time(14, 10 + k)

    def level(self, unit: str, code: str, k: int, file_day: int) -> float:
        """The level in the unit's file sent on `file_day`: day 5 of the corrector is wrong until the next day."""
        value = self.true[(unit, code, k)]
        if unit == self.corrector and code == "bhyt" and k == 5 and file_day == 5:
            return value * 10
        return value

    def typed(self, unit: str, code: str, k: int, file_day: int) -> object:
        """What is in the cell: the texter types one figure as Vietnamese text."""
        value = self.level(unit, code, k, file_day)
        if unit == self.texter and code == "bhxh_tn" and k == 2:
            return f"{int(value):,}".replace(",", ".")
        return value

    def values(self, unit: str, file_day: int) -> dict[tuple[str, str], object]:
        """Every keyed cell of the unit's workbook as sent on `file_day`."""
        report = date(2022, 1, 5) if unit == self.outside and file_day == 9 else _day(file_day)
        cells: dict[tuple[str, str], object] = {("report_date", "uom"): report, ("reporter", "uom"): "Cán bộ thu"}
        for k in range(1, file_day + 1):
            if not self.fills(unit, k):
                continue
            cells[(_key(k), "time")] = self.typed_time(unit, k)
            cells[(_key(k), "note")] = f"Ngày {k}: đôn đốc thu"
            for code in CODES:
                cells[(_key(k), f"level:{code}")] = self.typed(unit, code, k, file_day)
        return cells

    def accepted(self, unit: str, day: int) -> bool:
        """The file of that day is used (the one with a date outside the campaign is not)."""
        return self.sends(unit, day) and not (unit == self.outside and day == 9)

    def filled_late(self, unit: str, k: int) -> bool:
        """A row first taken in a run after its day's run (the centre runs every day): late whatever its time says."""
        return min(d for d in range(k, DAYS + 1) if self.accepted(unit, d)) > k

    def held_after(self, day: int) -> dict[tuple[int, str], tuple[time, dict[str, float]]]:
        """What the national workbook should hold after the run of `day`: later files replace rows."""
        held: dict[tuple[int, str], tuple[time, dict[str, float]]] = {}
        for d in range(1, day + 1):
            for unit in self.units:
                if not self.accepted(unit, d):
                    continue
                for k in range(1, d + 1):
                    if self.fills(unit, k):
                        held[(k, unit)] = (self.typed_time(unit, k), {c: self.level(unit, c, k, d) for c in CODES})
        return held


def national(held: dict, units: tuple[str, ...], code: str, k: int) -> float | None:
    """Σ over units of each one's latest level up to day k."""
    total, seen = 0.0, False
    for unit in units:
        days = [d for d in range(1, k + 1) if (d, unit) in held]
        if days:
            total += held[(max(days), unit)][1][code]
            seen = True
    return total if seen else None


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


def _strict_json(path: Path) -> dict:
    def refuse(constant: str) -> None:
        raise AssertionError(f"not strict JSON: {constant}")
    return json.loads(path.read_text(encoding="utf-8"), parse_constant=refuse)


@pytest.fixture(scope="module")
def campaign_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("daily")
    runner = CliRunner()
    result = runner.invoke(main, ["daily", "generate", "--plan", PLAN, "--out", str(root / "blank"),
                                  "--from", FIRST.isoformat(), "--to", _day(DAYS).isoformat()], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    data = load_plan(PLAN)
    units = data.unit_codes()
    targets = {u: {c: data.value(u, c) for c in CODES} for u in units}
    plan = Campaign(units, targets)
    blanks = {u: next((root / "blank").glob(f"{u}-*.xlsx")) for u in units}
    fillers = {u: DailyFiller(blanks[u]) for u in units}
    national_path, runs = root / "tong-hop-ngay.xlsx", {}
    for day in range(1, DAYS + 1):
        folder = root / "thu-ve" / _day(day).isoformat()
        folder.mkdir(parents=True)
        for unit in units:
            if plan.sends(unit, day):
                sent = fillers[unit].write(plan.values(unit, day), folder / blanks[unit].name)
                if unit == plan.late and day in (2, 5, 8):
                    stamp = datetime.combine(_day(day), time(15, 0)).timestamp()
                    os.utime(sent, (stamp, stamp))
                if unit == plan.mtime:
                    stamp = datetime.combine(_day(day), time(20, 0)).timestamp()
                    os.utime(sent, (stamp, stamp))
        if day == DAYS:
            previous = root / "thu-ve" / _day(day - 1).isoformat() / blanks[plan.twice].name
            shutil.copy(previous, folder / f"ban-cu-{blanks[plan.twice].name}")
        before = _hashes(folder)
        out = runner.invoke(main, ["daily", "consolidate", str(folder), "--manifest", str(root / "blank" / "manifest.json"),
                                   "--out", str(national_path), "--json", str(root / f"ngay-{day}.json")], catch_exceptions=False)
        assert _hashes(folder) == before
        runs[day] = (out, _strict_json(root / f"ngay-{day}.json"))
    return {"root": root, "plan": plan, "runs": runs, "national": national_path, "blanks": blanks, "units": units}


def test_each_day_adds_one_day_and_every_national_figure_is_the_sum_of_the_units(campaign_run):
    plan, units = campaign_run["plan"], campaign_run["units"]
    national_target = {c: sum(plan.targets[u][c] for u in units) for c in CODES}
    for day, (out, payload) in campaign_run["runs"].items():
        held = plan.held_after(day)
        assert out.exit_code == 1, out.output
        assert payload["day"] == _day(day).isoformat()
        assert [d["day"] for d in payload["days"]] == [_day(k).isoformat() for k in range(1, day + 1)]
        assert {i["code"]: i["target"] for i in payload["indicators"]} == national_target
        for k, row in enumerate(payload["days"], start=1):
            on_day = [held[(k, u)] for u in units if (k, u) in held]
            late = [held[(k, u)][0] > CUTOFF or plan.filled_late(u, k) for u in units if (k, u) in held]
            assert row["reported"] == len(on_day)
            assert (row["on_time"], row["late"]) == (late.count(False), late.count(True)), (day, k)
            assert row["days_left"] == (PLAN_END - _day(k)).days
            for code in CODES:
                expected = national(held, units, code, k)
                assert row["national"][code] == pytest.approx(expected), (day, k, code)
                assert row["completion"][code] == pytest.approx(expected / national_target[code])
                if k > 1:
                    assert row["change"][code] == pytest.approx(expected - national(held, units, code, k - 1))
                else:
                    assert row["change"][code] is None


def test_units_missing_late_rejected_and_judged_by_typed_time_not_file_dates(campaign_run):
    plan, runs = campaign_run["plan"], campaign_run["runs"]
    for day, (out, payload) in runs.items():
        statuses = {u["code"]: u for u in payload["units"]}
        assert statuses[plan.never]["status"] == "missing"
        assert statuses[plan.skipper]["status"] == ("missing" if day in (3, 4) else "reported")
        assert statuses[plan.outside]["status"] == ("rejected" if day == 9 else "reported")
        assert statuses[plan.late]["timeliness"] == ("late" if day in (2, 5, 8) else "on_time")
        assert statuses[plan.mtime]["timeliness"] == "on_time"
        assert statuses[plan.boundary]["timeliness"] == "on_time"
        missing = 1 + (day in (3, 4))
        assert payload["summary"]["missing"] == missing
        assert payload["summary"]["rejected"] == (day == 9)
        assert "không theo ngày giờ của tệp" in out.output
    assert runs[10][1]["units"][3]["timeliness"] == "late"
    assert runs[10][1]["units"][3]["time"] == "16:30"


def test_checks_of_mau01_apply_to_daily_returns(campaign_run):
    plan, runs = campaign_run["plan"], campaign_run["runs"]

    def codes(day: int, unit: str) -> set[str]:
        return {p["code"] for p in runs[day][1]["problems"] if p["unit"] == unit}

    texted = [p for p in runs[2][1]["problems"] if p["code"] == "text_number"]
    assert [(p["unit"], p["indicator"], p["period"]) for p in texted] == [(plan.texter, "bhxh_tn", "2021-12-02")]
    assert "đã hiểu là" in texted[0]["message"]
    assert "daily_corrected" in codes(6, plan.corrector) and "daily_corrected" not in codes(5, plan.corrector)
    assert any("sửa" in n for n in runs[6][1]["notices"])
    dropped = [p for p in runs[8][1]["problems"] if p["code"] == "daily_level_dropped"]
    assert [(p["unit"], p["indicator"], p["severity"]) for p in dropped] == [(plan.dropper, "bhxh_tn", "warning")]
    assert "thấp hơn ngày báo cáo trước" in dropped[0]["message"]
    outside = [p for p in runs[9][1]["problems"] if p["code"] == "daily_date_outside"]
    assert [(p["unit"], p["severity"]) for p in outside] == [(plan.outside, "error")]
    assert "05/01/2022" in outside[0]["message"] and "ngoài đợt báo cáo" in outside[0]["message"]
    twice = [p for p in runs[10][1]["problems"] if p["code"] == "duplicate_unit"]
    assert [(p["unit"], p["file"].startswith("ban-cu-")) for p in twice] == [(plan.twice, True)]


def test_corrected_day_replaces_the_held_figures_of_that_day(campaign_run):
    plan, runs, units = campaign_run["plan"], campaign_run["runs"], campaign_run["units"]
    wrong = runs[5][1]["days"][4]["national"]["bhyt"]
    right = runs[6][1]["days"][4]["national"]["bhyt"]
    assert wrong - right == pytest.approx(9 * plan.true[(plan.corrector, "bhyt", 5)])
    assert runs[10][1]["days"][4]["national"]["bhyt"] == pytest.approx(national(plan.held_after(10), units, "bhyt", 5))


def test_national_and_unit_workbook_formulas_recalculated_by_libreoffice(campaign_run):
    plan, root, units = campaign_run["plan"], campaign_run["root"], campaign_run["units"]
    last = root / "thu-ve" / _day(DAYS).isoformat()
    sample = [last / campaign_run["blanks"][u].name for u in (plan.corrector, plan.late_once, plan.skipper)]
    converted = convert([campaign_run["national"], *sample], root / "recalc")
    held = plan.held_after(DAYS)
    target = {c: sum(plan.targets[u][c] for u in units) for c in CODES}
    days_sheet = computed(converted[0])["daily_national"]
    for k in range(1, DAYS + 1):
        left = (PLAN_END - _day(k)).days
        reported = sum((k, u) in held for u in units)
        assert days_sheet[(_key(k), "days_left")] == left
        assert days_sheet[(_key(k), "missing")] == len(units) - reported
        for code in CODES:
            level = national(held, units, code, k)
            remaining = max(0, target[code] - level)
            assert days_sheet[(_key(k), f"level:{code}")] == pytest.approx(level)
            assert days_sheet[(_key(k), f"pct:{code}")] == pytest.approx(level / target[code])
            assert days_sheet[(_key(k), f"remaining:{code}")] == pytest.approx(remaining)
            assert days_sheet[(_key(k), f"pace:{code}")] == pytest.approx(remaining / left)
            if k > 1:
                assert days_sheet[(_key(k), f"change:{code}")] == pytest.approx(level - national(held, units, code, k - 1))
    units_sheet = computed(converted[0])["daily_units"]
    left = (PLAN_END - _day(DAYS)).days
    for code in CODES:
        assert units_sheet[("total", f"level:{code}")] == pytest.approx(national(held, units, code, DAYS))
        for unit in units:
            days = [d for d in range(1, DAYS + 1) if (d, unit) in held]
            if not days:
                assert units_sheet[(unit, f"pct:{code}")] in ("", None)
                continue
            level = held[(max(days), unit)][1][code]
            assert units_sheet[(unit, f"pct:{code}")] == pytest.approx(level / plan.targets[unit][code])
            assert units_sheet[(unit, f"needed:{code}")] == pytest.approx(max(0, plan.targets[unit][code] - level) / left)
    for unit, path in zip((plan.corrector, plan.late_once, plan.skipper), converted[1:]):
        sheet = computed(path)["daily"]
        for k in range(1, DAYS + 1):
            left = (PLAN_END - _day(k)).days
            assert sheet[(_key(k), "days_left")] == left
            if not plan.fills(unit, k):
                assert sheet[(_key(k), "pct:bhyt")] in ("", None)
                continue
            for code in CODES:
                level, goal = plan.level(unit, code, k, DAYS), plan.targets[unit][code]
                assert sheet[(_key(k), f"pct:{code}")] == pytest.approx(level / goal)
                assert sheet[(_key(k), f"remaining:{code}")] == pytest.approx(max(0, goal - level))
                assert sheet[(_key(k), f"pace:{code}")] == pytest.approx(max(0, goal - level) / left)
                if k > 1 and plan.fills(unit, k - 1):
                    assert sheet[(_key(k), f"change:{code}")] == pytest.approx(level - plan.level(unit, code, k - 1, DAYS))
                else:
                    assert sheet[(_key(k), f"change:{code}")] in ("", None)


def test_generated_daily_workbook_is_keyed_locked_and_validated(campaign_run):
    import openpyxl

    path = campaign_run["blanks"][campaign_run["units"][0]]
    book = openpyxl.load_workbook(path)
    ws = book["Báo cáo ngày"]
    assert ws["A1"].value == "#keys daily" and ws.protection.sheet
    keys = {ws.cell(r, 1).value: r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value}
    cols = {ws.cell(1, c).value: c for c in range(1, ws.max_column + 1) if ws.cell(1, c).value}
    assert [k for k in keys if str(k).startswith("day:")] == [_key(k) for k in range(1, DAYS + 1)]
    row = keys[_key(1)]
    assert not ws.cell(row, cols["level:bhxh_bb"]).protection.locked
    assert not ws.cell(row, cols["time"]).protection.locked
    assert ws.cell(row, cols["pct:bhxh_bb"]).protection.locked
    assert ws.cell(keys["target"], cols["level:bhxh_bb"]).protection.locked
    assert "IFERROR" in ws.cell(row, cols["pct:bhxh_bb"]).value
    validations = {str(v.sqref): v for v in ws.data_validations.dataValidation}
    time_cell = ws.cell(row, cols["time"]).coordinate
    assert validations[time_cell].type == "time" and "16:00" in validations[time_cell].prompt
    meta = {r[0]: r[1] for r in book["_meta"].iter_rows(values_only=True) if r[0]}
    assert (meta["form"], meta["plan_id"], meta["campaign_start"], meta["campaign_end"]) == ("daily", PLAN, "2021-12-01", "2021-12-10")


def _config(book, key: str, value: str) -> None:
    from workbook_tools import addin

    sheet = book.sheets[addin.CONFIG_SHEET]
    row = next(r for (r, c), v in sheet.cells.items() if c == 1 and v == key)
    sheet.range((row, 3)).value = value


def _parts(path: Path) -> dict[str, bytes]:
    import re
    import zipfile

    with zipfile.ZipFile(path) as archive:
        return {name: re.sub(rb"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}Z?", b"<time>", archive.read(name)) for name in archive.namelist()}


def test_daily_button_writes_the_clis_daily_workbook_beside_the_book_keeping_held_days(campaign_run, tmp_path):
    from workbook_tools import addin
    from workbook_tools.daily_book import load_held_days

    from .fake_xlwings import FakeBook

    root = campaign_run["root"]
    national = tmp_path / "tong-hop.xlsx"
    result = CliRunner().invoke(main, ["generate-national", "--plan", PLAN, "--out", str(national)], catch_exceptions=False)
    assert result.exit_code == 0
    book = FakeBook.from_xlsx(national)
    assert addin.run_daily(book).startswith("Không thực hiện được: Chưa nhập «Thư mục chứa báo cáo nhanh hằng ngày»")
    out, cli = tmp_path / f"bao-cao-ngay-{PLAN}.xlsx", tmp_path / "ngay-cli.xlsx"
    for day in (1, 2, 3):
        folder = root / "thu-ve" / _day(day).isoformat()
        _config(book, "daily_returns_dir", str(folder))
        book.app.books.user_closes_outputs()
        status = addin.run_daily(book)
        summary = campaign_run["runs"][day][1]["summary"]
        assert status.startswith(f"Đã tổng hợp báo cáo nhanh ngày {_day(day):%d/%m/%Y} vào {out}: {summary['reported']}/63 đơn vị báo cáo")
        assert "không theo ngày giờ của tệp" in status
        assert CliRunner().invoke(main, ["daily", "consolidate", str(folder), "--out", str(cli)]).exit_code == 1
    assert book.app.books.opened == [str(out)] * 3 and book.app.books.closed == [str(out)] * 2
    ours, theirs = _parts(out), _parts(cli)
    assert set(ours) == set(theirs) and any(name.startswith("xl/charts/chart") for name in ours)
    for name in ours:
        assert ours[name] == theirs[name], name
    held, _, _ = load_held_days(out)
    assert {d for d, _ in held} == {_day(1), _day(2), _day(3)}
    assert "Cấu hình" in [s.name for s in book.sheets] and book.sheets["Cấu hình"].clears == 0
    before = out.read_bytes()
    _config(book, "day", "15/12/2021")
    book.app.books.user_closes_outputs()
    assert addin.run_daily(book) == "Không thực hiện được: ngày 15/12/2021 nằm ngoài đợt báo cáo 01/12/2021 – 10/12/2021"
    assert out.read_bytes() == before
    _config(book, "day", "")
    _config(book, "daily_out_file", str(national))
    assert "không được là chính sổ này" in addin.run_daily(book)


def test_a_campaign_outside_the_plan_and_a_folder_without_daily_returns_are_usage_errors(runner, tmp_path):
    outside = runner.invoke(main, ["daily", "generate", "--plan", PLAN, "--out", str(tmp_path / "g"), "--from", "2022-01-01"])
    assert outside.exit_code == 2 and "phải nằm trong kỳ kế hoạch 2800-2021 (01/09/2021 – 31/12/2021)" in outside.output
    assert not (tmp_path / "g").exists() or not any((tmp_path / "g").iterdir())
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "ghi-chu.txt").write_text("không phải sổ", encoding="utf-8")
    result = runner.invoke(main, ["daily", "consolidate", str(empty), "--out", str(tmp_path / "n.xlsx"), "--plan", PLAN])
    assert result.exit_code == 2 and "không có báo cáo ngày nào đọc được" in result.output
    assert not (tmp_path / "n.xlsx").exists()


def test_consolidate_never_replaces_a_workbook_it_did_not_write(campaign_run, runner, tmp_path):
    mine = tmp_path / "cua-toi.xlsx"
    shutil.copy(campaign_run["blanks"][campaign_run["units"][0]], mine)
    before = mine.read_bytes()
    folder = campaign_run["root"] / "thu-ve" / _day(1).isoformat()
    result = runner.invoke(main, ["daily", "consolidate", str(folder), "--out", str(mine)])
    assert result.exit_code == 2 and "không phải do workbook-tools tạo ra" in result.output
    assert mine.read_bytes() == before


def test_daily_workbooks_on_the_34_units_consolidate_on_the_34(runner, tmp_path):
    from workbook_tools.generate import in_structure

    args = ["daily", "generate", "--plan", PLAN, "--structure", "34", "--out", str(tmp_path / "g"), "--from", "2021-12-01",
            "--to", "2021-12-05", "--unit", "Hà Nội", "--unit", "79"]
    assert runner.invoke(main, args, catch_exceptions=False).exit_code == 0
    returns = tmp_path / "r"
    returns.mkdir()
    for n, blank in enumerate(sorted((tmp_path / "g").glob("*.xlsx"))):
        DailyFiller(blank).write({(_key(1), "time"): time(9, 30), (_key(1), "level:bhxh_bb"): 1000 * (n + 1)}, returns / blank.name)
    result = runner.invoke(main, ["daily", "consolidate", str(returns), "--out", str(tmp_path / "n.xlsx"), "--json", str(tmp_path / "n.json"),
                                  "--manifest", str(tmp_path / "g" / "manifest.json")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    payload = _strict_json(tmp_path / "n.json")
    regrouped = in_structure(load_plan(PLAN), "34")
    assert payload["structure"] == "34" and [u["code"] for u in payload["units"]] == ["01", "79"]
    assert payload["days"][0]["national"]["bhxh_bb"] == 3000
    assert payload["indicators"][0]["target"] == regrouped.value("01", "bhxh_bb") + regrouped.value("79", "bhxh_bb")
    assert payload["units"][1]["values"]["bhxh_bb"]["completion"] == pytest.approx(2000 / regrouped.value("79", "bhxh_bb"))


def test_edited_target_formula_over_input_and_bad_time_as_typed_in_a_spreadsheet(campaign_run, runner, tmp_path):
    from .workbooks import fill

    unit = campaign_run["units"][10]
    blank = campaign_run["blanks"][unit]
    returns = tmp_path / "r"
    returns.mkdir()
    typed = {("daily", "target", "level:bhxh_bb"): 1, ("daily", _key(1), "time"): "25:70",
             ("daily", _key(1), "level:bhxh_bb"): 900, ("daily", _key(1), "level:bhyt"): "=800+1", ("daily", _key(1), "level:thu"): 12.5}
    sent = fill(blank, typed, returns / blank.name)
    before = sent.read_bytes()
    result = runner.invoke(main, ["daily", "consolidate", str(returns), "--out", str(tmp_path / "n.xlsx"), "--json", str(tmp_path / "n.json"),
                                  "--day", "2021-12-01"], catch_exceptions=False)
    assert result.exit_code == 1 and sent.read_bytes() == before
    payload = _strict_json(tmp_path / "n.json")
    found = {(p["code"], p["indicator"], p["severity"]): p["message"] for p in payload["problems"]}
    target = load_plan(PLAN).value(unit, "bhxh_bb")
    assert found[("target_edited", "bhxh_bb", "warning")].endswith(f"chỉ tiêu được giao là {target:,}".replace(",", ".") + " (dùng chỉ tiêu được giao).")
    assert "=800+1" in found[("formula_in_input", "bhyt", "error")]
    assert "«25:70» không hợp lệ" in found[("daily_time_invalid", "time", "error")]
    mine = next(u for u in payload["units"] if u["code"] == unit)
    assert mine["values"]["bhxh_bb"]["level"] == 900 and mine["values"]["bhyt"]["level"] is None
    assert mine["values"]["bhxh_bb"]["completion"] == pytest.approx(900 / target)
    assert mine["timeliness"] == "unknown" and mine["values"]["thu"]["level"] == 12.5


def test_a_national_daily_workbook_of_one_plan_never_takes_another_plans_days(campaign_run, runner, tmp_path):
    national = tmp_path / "tong-hop-ngay.xlsx"
    shutil.copy(campaign_run["national"], national)
    before = national.read_bytes()
    folder = campaign_run["root"] / "thu-ve" / _day(1).isoformat()
    result = runner.invoke(main, ["daily", "consolidate", str(folder), "--out", str(national), "--plan", "275-2021"])
    assert result.exit_code == 2, result.output
    assert f"đang giữ báo cáo ngày của kế hoạch {PLAN}, không phải 275-2021" in result.output
    assert national.read_bytes() == before
    inside = runner.invoke(main, ["daily", "consolidate", str(folder), "--out", str(folder / "tong-hop.xlsx")])
    assert inside.exit_code == 2 and not (folder / "tong-hop.xlsx").exists()


def test_a_formula_or_an_error_value_in_a_level_cell_is_reported_with_its_cell(campaign_run, runner, tmp_path):
    import re
    import zipfile

    unit = campaign_run["units"][12]
    filler = DailyFiller(campaign_run["blanks"][unit])
    returns = tmp_path / "r"
    returns.mkdir()
    sent = filler.write({(_key(1), "time"): time(10, 0), (_key(1), "level:bhxh_bb"): 900, (_key(1), "level:thu"): 12.5}, returns / "typed.xlsx")
    formula_ref, error_ref = filler.ref(_key(1), "level:bhyt"), filler.ref(_key(1), "level:bhxh_tn")
    with zipfile.ZipFile(sent) as archive:
        entries = [(info, archive.read(info.filename)) for info in archive.infolist()]
    edited = returns / campaign_run["blanks"][unit].name
    with zipfile.ZipFile(edited, "w", zipfile.ZIP_DEFLATED) as target:
        for info, payload in entries:
            if info.filename == filler.part:
                text = payload.decode("utf-8")
                text = re.sub(rf'<c r="{formula_ref}"( s="\d+")?\s*/>', rf'<c r="{formula_ref}"\1><f>800+1</f><v>801</v></c>', text)
                text = re.sub(rf'<c r="{error_ref}"( s="\d+")?\s*/>', rf'<c r="{error_ref}"\1 t="e"><v>#DIV/0!</v></c>', text)
                payload = text.encode("utf-8")
            target.writestr(info, payload)
    sent.unlink()
    result = runner.invoke(main, ["daily", "consolidate", str(returns), "--out", str(tmp_path / "n.xlsx"), "--json", str(tmp_path / "n.json"),
                                  "--day", "2021-12-01"], catch_exceptions=False)
    assert result.exit_code == 1
    problems = {(p["code"], p["indicator"], p["cell"]) for p in _strict_json(tmp_path / "n.json")["problems"]}
    assert {("formula_in_input", "bhyt", formula_ref), ("excel_error", "bhxh_tn", error_ref)} <= problems


def test_a_row_typed_after_its_day_was_consolidated_without_it_counts_late_whatever_time_it_carries(campaign_run, runner, tmp_path):
    first, second = campaign_run["units"][20], campaign_run["units"][21]
    fillers = {u: DailyFiller(campaign_run["blanks"][u]) for u in (first, second)}
    national, manifest = tmp_path / "ngay.xlsx", campaign_run["root"] / "blank" / "manifest.json"

    def row(k: int, typed: time, level: int) -> dict[tuple[str, str], object]:
        return {(_key(k), "time"): typed, (_key(k), "level:bhxh_bb"): level}

    def run(day: int, files: dict[str, dict]) -> dict:
        folder = tmp_path / f"d{day}"
        folder.mkdir()
        for unit, values in files.items():
            fillers[unit].write({("report_date", "uom"): _day(day), **values}, folder / campaign_run["blanks"][unit].name)
        result = runner.invoke(main, ["daily", "consolidate", str(folder), "--manifest", str(manifest), "--out", str(national),
                                      "--json", str(tmp_path / f"d{day}.json"), "--day", _day(day).isoformat()], catch_exceptions=False)
        assert result.exit_code in (0, 1), result.output
        return _strict_json(tmp_path / f"d{day}.json")

    day1 = run(1, {first: row(1, time(10, 0), 100)})  # `second` misses day 1
    assert day1["days"][0]["on_time"] == 1 and day1["days"][0]["late"] == 0
    # next morning `second` fills the row of day 1 it missed, with a time before 16:00, and its row of day 2
    day2 = run(2, {first: {**row(1, time(10, 0), 100), **row(2, time(11, 0), 110)},
                   second: {**row(1, time(9, 0), 50), **row(2, time(15, 0), 60)}})
    late = [p for p in day2["problems"] if p["code"] == "daily_filled_late"]
    assert [(p["unit"], p["period"], p["severity"]) for p in late] == [(second, _day(1).isoformat(), "warning")]
    assert "01/12/2021" in late[0]["message"] and "09:00" in late[0]["message"]
    assert (day2["days"][0]["on_time"], day2["days"][0]["late"]) == (1, 1)
    assert (day2["days"][1]["on_time"], day2["days"][1]["late"]) == (2, 0)  # its row of the day itself is judged by its time
    assert day2["days"][0]["national"]["bhxh_bb"] == 150  # the figures are used
    # the next day the late fill is still held as late (read back from the national workbook), without a new warning
    day3 = run(3, {first: row(3, time(10, 0), 120), second: row(3, time(10, 0), 70)})
    assert (day3["days"][0]["on_time"], day3["days"][0]["late"]) == (1, 1)
    assert not [p for p in day3["problems"] if p["code"] == "daily_filled_late"]


def test_held_days_of_a_national_workbook_written_before_filled_late_existed_read_as_before():
    from workbook_tools.daily_book import held_days_from_rows

    rows = [["day", "unit", "time", "file", "sha256", "note", "bhxh_bb", "thu"],
            ["2021-12-01", "01", "15:30", "a.xlsx", "ab", "", 100.0, 2.5]]
    held = held_days_from_rows(rows)[(date(2021, 12, 1), "01")]
    assert held.levels == {"bhxh_bb": 100, "thu": 2.5} and held.time == time(15, 30)
    assert not held.filled_late and held.timeliness == "on_time"


def test_a_daily_figure_written_inside_another_row_refuses_its_file_and_a_broken_note_is_shown_as_written(campaign_run, runner, tmp_path):
    """The daily reader reports what the returns' reader does: a level cell whose reference names another row than the
    row it is written in (Excel refuses such a file, LibreOffice moves the figure) refuses its file naming the cell,
    rather than the figure read as empty; a note holding a character reference XML does not allow is a warning
    naming its cell, the note kept as written, and the day's figures counted."""
    import re
    import zipfile

    broken_unit, moved_unit = campaign_run["units"][20], campaign_run["units"][21]
    returns = tmp_path / "r"
    returns.mkdir()
    typed = {(_key(1), "time"): time(10, 0), (_key(1), "level:bhxh_bb"): 900, (_key(1), "note"): "GHICHU"}
    rewrites = {}
    for unit in (broken_unit, moved_unit):
        filler = DailyFiller(campaign_run["blanks"][unit])
        sent = filler.write(typed, tmp_path / f"{unit}.xlsx")
        ref = filler.ref(_key(1), "level:bhxh_bb")
        letters, number = re.fullmatch(r"([A-Z]+)(\d+)", ref).groups()
        moved = f"{letters}{int(number) + 1}"
        rewrites[unit] = (ref, moved)
        with zipfile.ZipFile(sent) as archive:
            entries = [(info, archive.read(info.filename)) for info in archive.infolist()]
        with zipfile.ZipFile(returns / campaign_run["blanks"][unit].name, "w", zipfile.ZIP_DEFLATED) as target:
            for info, payload in entries:
                if info.filename == filler.part:
                    if unit == broken_unit:
                        payload = payload.replace(b"GHICHU", b"GHI&#99999999;CHU")
                    else:
                        payload = payload.replace(f'<c r="{ref}"'.encode(), f'<c r="{moved}"'.encode(), 1)
                target.writestr(info, payload)
    result = runner.invoke(main, ["daily", "consolidate", str(returns), "--out", str(tmp_path / "n.xlsx"), "--json", str(tmp_path / "n.json"),
                                  "--day", "2021-12-01"], catch_exceptions=False)
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    payload = _strict_json(tmp_path / "n.json")
    mine = {p["unit"]: p for p in payload["problems"] if p["code"] in ("malformed_text", "cell_misplaced")}
    assert mine[moved_unit]["code"] == "cell_misplaced" and mine[moved_unit]["severity"] == "error"
    assert mine[moved_unit]["cell"] == rewrites[moved_unit][1] and "Tệp bị hỏng" in mine[moved_unit]["message"]
    assert mine[broken_unit]["code"] == "malformed_text" and mine[broken_unit]["severity"] == "warning"
    assert mine[broken_unit]["indicator"] == "note" and "&#99999999;" in mine[broken_unit]["message"]
    units = {u["code"]: u for u in payload["units"]}
    assert units[broken_unit]["values"] and units[broken_unit]["note"] == "GHI&#99999999;CHU"
    assert units[moved_unit]["status"] != "accepted"
