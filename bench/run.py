"""Benchmarks: `python bench/run.py [generate|consolidate|all]`. Prints seconds, peak memory, ratios.

Each measurement runs in a fresh interpreter, so its peak memory is its own and start-up is not
counted. Every figure comes with a baseline measured in the same run:
- generate: one worker (no parallelism) against the default (one worker per core);
- consolidate: a naive loop of `pandas.read_excel(sheet_name=None)` over every file against
  `check` + `consolidate` + writing the national workbook.
"""

from __future__ import annotations

import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GENERATE = {"generate-2800-63": ("2800-2021", None), "generate-1813-2025-on-34": ("1813-2025", "34")}
CONSOLIDATE_SIZES = (63, 700, 3300)


def _peak_mib() -> float:
    """Peak resident memory of this process and its finished children, MiB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def run_generate(plan: str, structure_key: str | None, workers: int) -> dict[str, float]:
    """Generate every workbook of a plan into a temporary folder."""
    from workbook_tools.generate import GenerateOptions, generate, in_structure, select_units
    from workbook_tools.plans import load_plan

    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        data = in_structure(load_plan(plan), structure_key)
        files = generate(data, Path(out), select_units(data, None), GenerateOptions(workers=workers))
        seconds = time.perf_counter() - started
    return {"files": len(files), "seconds": seconds, "peak_mib": _peak_mib()}


def run_consolidate(folder: str) -> dict[str, float]:
    """check + consolidate + write the national workbook, as the CLI does."""
    from workbook_tools.check import check_folder
    from workbook_tools.consolidate import consolidate
    from workbook_tools.plans import load_plan
    from workbook_tools.summary import write_summary

    started = time.perf_counter()
    report = check_folder(Path(folder), load_plan("2800-2021"))
    result = consolidate(report)
    with tempfile.TemporaryDirectory() as out:
        write_summary(result, Path(out) / "national.xlsx")
    return {"files": len(report.returns), "seconds": time.perf_counter() - started, "peak_mib": _peak_mib()}


def run_baseline(folder: str) -> dict[str, float]:
    """The naive way: pandas reads every sheet of every file."""
    import pandas

    started = time.perf_counter()
    files = sorted(Path(folder).glob("*.xlsx"))
    for path in files:
        pandas.read_excel(path, sheet_name=None, header=None)
    return {"files": len(files), "seconds": time.perf_counter() - started, "peak_mib": _peak_mib()}


def measure(function: str, *args: object) -> dict[str, float]:
    """Run one function of this module in a fresh interpreter and read its figures."""
    code = f"import sys, json; sys.path[:0] = [{str(ROOT)!r}, {str(ROOT / 'bench')!r}]; import run; print(json.dumps(run.{function}(*{args!r})))"
    output = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def prepare_returns(work: Path) -> list[Path]:
    """63 filled returns of 2800-2021, typed as provinces would (a few months, some text numbers)."""
    sys.path.insert(0, str(ROOT))
    from tests.workbooks import fill
    from workbook_tools.generate import GenerateOptions, generate, select_units
    from workbook_tools.plans import load_plan

    data = load_plan("2800-2021")
    blank = generate(data, work / "blank", select_units(data, None), GenerateOptions())
    rng = random.Random(7)
    (work / "filled").mkdir()
    filled = []
    for item in blank:
        values = {("mau01", "round_date", "uom"): __import__("datetime").date(2021, 11, 12)}
        for code in data.plan.indicators:
            for month in data.plan.months[:3]:
                values[("mau01", code, f"actual:{month}")] = int((data.value(item.unit.code, code, month) or 0) * rng.uniform(0.3, 1.2))
        filled.append(fill(item.path, values, work / "filled" / item.path.name))
    return filled


def folder_of(filled: list[Path], size: int, work: Path) -> Path:
    """A returns folder of `size` files (copies of the 63 returns beyond the first 63)."""
    folder = work / f"returns-{size}"
    folder.mkdir()
    for number in range(size):
        source = filled[number % len(filled)]
        shutil.copy(source, folder / f"{number:05d}-{source.name}")
    return folder


def bench_generate() -> None:
    """Print generation figures."""
    print(f"{'scenario':28} {'files':>6} {'baseline s':>10} {'ours s':>8} {'ratio':>7} {'peak MiB':>9}")
    for name, (plan, key) in GENERATE.items():
        base = measure("run_generate", plan, key, 1)
        fast = measure("run_generate", plan, key, 0)
        print(f"{name:28} {fast['files']:>6.0f} {base['seconds']:>10.2f} {fast['seconds']:>8.2f} {base['seconds'] / fast['seconds']:>6.2f}x {fast['peak_mib']:>9.0f}")


def bench_consolidate() -> None:
    """Print consolidation figures for 63, 700 and 3,300 returns."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        filled = prepare_returns(work)
        print(f"{'scenario':28} {'files':>6} {'pandas s':>10} {'ours s':>8} {'ratio':>7} {'peak MiB':>9}")
        for size in CONSOLIDATE_SIZES:
            folder = folder_of(filled, size, work)
            base = measure("run_baseline", str(folder))
            ours = measure("run_consolidate", str(folder))
            print(f"{'consolidate-' + str(size):28} {ours['files']:>6.0f} {base['seconds']:>10.2f} {ours['seconds']:>8.2f} {base['seconds'] / ours['seconds']:>6.2f}x {ours['peak_mib']:>9.0f}")
            shutil.rmtree(folder)


DAILY_HELD_DAYS = 60


def run_daily(folder: str, held: str) -> dict[str, float]:
    """`daily consolidate` of one day of returns onto a national workbook holding earlier days, as the CLI does."""
    from workbook_tools.daily import consolidate_daily, read_daily_folder
    from workbook_tools.daily_book import load_held_days, write_daily_summary
    from workbook_tools.plans import load_plan

    with tempfile.TemporaryDirectory() as out:
        path = Path(out) / "tong-hop-ngay.xlsx"
        shutil.copy(held, path)
        started = time.perf_counter()
        days, campaign, _plan = load_held_days(path)
        data = load_plan("2800-2021")
        returns = read_daily_folder(Path(folder), data)
        read = time.perf_counter() - started
        result = consolidate_daily(data, returns, held=days, held_campaign=campaign)
        write_daily_summary(result, path)
        seconds = time.perf_counter() - started
    return {"files": len(returns), "days": len(result.days), "seconds": seconds, "read_s": read, "peak_mib": _peak_mib()}


def run_daily_baseline(folder: str, held: str) -> dict[str, float]:
    """The naive way: pandas (calamine engine) reads every sheet of every return and of the held workbook."""
    import pandas

    started = time.perf_counter()
    files = sorted(Path(folder).glob("*.xlsx"))
    for path in [*files, Path(held)]:
        pandas.read_excel(path, sheet_name=None, header=None, engine="calamine")
    return {"files": len(files), "seconds": time.perf_counter() - started, "peak_mib": _peak_mib()}


def prepare_daily(work: Path) -> tuple[Path, Path]:
    """63 daily returns filled up to day 61 of a campaign, and a national workbook holding its first 60 days."""
    sys.path.insert(0, str(ROOT))
    from datetime import date, timedelta
    from datetime import time as clock

    from tests.daily_returns import DailyFiller
    from workbook_tools.daily import consolidate_daily, read_daily_folder
    from workbook_tools.daily_book import write_daily_summary
    from workbook_tools.daily_form import campaign_for, daily_indicators, generate_daily
    from workbook_tools.generate import select_units
    from workbook_tools.plans import load_plan

    data = load_plan("2800-2021")
    first = date(2021, 9, 1)
    campaign = campaign_for(data.plan, first, first + timedelta(days=DAILY_HELD_DAYS))
    blank = generate_daily(data, work / "daily-blank", select_units(data, None), campaign)
    folder = work / "daily-returns"
    folder.mkdir()
    rng = random.Random(7)
    for item in blank:
        values: dict[tuple[str, str], object] = {("report_date", "uom"): campaign.end}
        for k, day in enumerate(campaign.days, start=1):
            values[(f"day:{day.isoformat()}", "time")] = clock(15, rng.randint(0, 59))
            for code in daily_indicators(data.plan):
                values[(f"day:{day.isoformat()}", f"level:{code}")] = int((data.value(item.unit.code, code) or 0) * k / 100)
        DailyFiller(item.path).write(values, folder / item.path.name)
    held = work / "daily-held.xlsx"
    result = consolidate_daily(data, read_daily_folder(folder, data), day=campaign.days[DAILY_HELD_DAYS - 1])
    write_daily_summary(result, held)
    return folder, held


def bench_daily() -> None:
    """Print the daily consolidation figures: one day of 63 returns onto 60 held days."""
    with tempfile.TemporaryDirectory() as tmp:
        folder, held = prepare_daily(Path(tmp))
        base = measure("run_daily_baseline", str(folder), str(held))
        ours = measure("run_daily", str(folder), str(held))
        print(f"{'scenario':28} {'files':>6} {'pandas s':>10} {'ours s':>8} {'ratio':>7} {'peak MiB':>9} {'days':>5} {'ours read s':>12}")
        print(f"{'daily-63-onto-60-days':28} {ours['files']:>6.0f} {base['seconds']:>10.2f} {ours['seconds']:>8.2f} "
              f"{base['seconds'] / ours['seconds']:>6.2f}x {ours['peak_mib']:>9.0f} {ours['days']:>5.0f} {ours['read_s']:>12.2f}")
        print("pandas: reading only (every sheet of the 63 returns and of the held workbook); ours: read + check + consolidate + write")


def main(argv: list[str]) -> int:
    """Run the benchmarks named on the command line (default: all)."""
    chosen = argv or ["all"]
    if chosen[0] in ("generate", "all"):
        bench_generate()
    if chosen[0] in ("consolidate", "all"):
        bench_consolidate()
    if chosen[0] in ("daily", "all"):
        bench_daily()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
