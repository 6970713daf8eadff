"""Run independent jobs (one workbook each) on every core, reporting progress as they finish."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, TypeVar

Result = TypeVar("Result")
SERIAL_BELOW = 8


def run_jobs(
    func: Callable[..., Result], jobs: Sequence[tuple[Any, ...]], workers: int = 0,
    progress: Callable[[Result], None] | None = None,
) -> list[Result]:
    """Results in job order; a few jobs run in this process, many in a pool of `workers` (0 = cores)."""
    count = min(workers or os.cpu_count() or 1, len(jobs))
    if count <= 1 or len(jobs) < SERIAL_BELOW:
        results = []
        for job in jobs:
            results.append(func(*job))
            if progress:
                progress(results[-1])
        return results
    ordered: list[Any] = [None] * len(jobs)
    with ProcessPoolExecutor(max_workers=count) as pool:
        futures = {pool.submit(func, *job): number for number, job in enumerate(jobs)}
        for future in as_completed(futures):
            ordered[futures[future]] = future.result()
            if progress:
                progress(ordered[futures[future]])
    return ordered
