"""Benchmarks: `python bench/run.py [generate]`. Prints seconds, peak memory and ratios.

Each scenario runs in its own process so its peak memory is its own. The baseline of each
figure is measured in the same run: generation on one worker (no parallelism) against the
default (one worker per core).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCENARIOS = {
    "generate-2800-63": ["--plan", "2800-2021"],
    "generate-1813-2025-on-34": ["--plan", "1813-2025", "--structure", "34"],
}


def run_one(args: list[str], workers: int) -> dict[str, float]:
    """Generate in this process and report wall time and peak memory (parent and workers)."""
    from workbook_tools.generate import GenerateOptions, generate, in_structure, select_units
    from workbook_tools.plans import load_plan

    plan = args[args.index("--plan") + 1]
    key = args[args.index("--structure") + 1] if "--structure" in args else None
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        data = in_structure(load_plan(plan), key)
        files = generate(data, Path(out), select_units(data, None), GenerateOptions(workers=workers))
        seconds = time.perf_counter() - started
    peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    return {"files": len(files), "seconds": seconds, "peak_mib": peak / 1024}


def measure(name: str, workers: int) -> dict[str, float]:
    """Run one scenario in a fresh interpreter."""
    code = f"import json,sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); import run; print(json.dumps(run.run_one({SCENARIOS[name]!r}, {workers})))"
    output = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> int:
    """Print one line per scenario: baseline (1 worker), default, and their ratio."""
    print(f"{'scenario':28} {'files':>5} {'1 worker s':>10} {'default s':>10} {'speed-up':>8} {'peak MiB':>9}")
    for name in SCENARIOS:
        base = measure(name, workers=1)
        fast = measure(name, workers=0)
        ratio = base["seconds"] / fast["seconds"]
        print(f"{name:28} {fast['files']:>5} {base['seconds']:>10.2f} {fast['seconds']:>10.2f} {ratio:>7.2f}x {fast['peak_mib']:>9.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
