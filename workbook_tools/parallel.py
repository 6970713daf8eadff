"""Run independent jobs (one workbook each) on every core, reporting progress as they finish.

Arguments common to every job (the plan, the forms) go to each worker once, through the pool's
initializer, instead of being pickled again for every file.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, TypeVar

Result = TypeVar("Result")
SERIAL_BELOW = 8
CHUNK = 16
_WORKER: dict[str, Any] = {}


def _install(func: Callable[..., Any], shared: tuple[Any, ...]) -> None:
    """Pool initializer: keep the function and the shared arguments in the worker."""
    _WORKER["func"], _WORKER["shared"] = func, shared


def _run_chunk(jobs: Sequence[tuple[Any, ...]]) -> list[Any]:
    """Run a chunk of jobs in a worker."""
    func, shared = _WORKER["func"], _WORKER["shared"]
    return [func(*job, *shared) for job in jobs]


def run_jobs(
    func: Callable[..., Result], jobs: Sequence[tuple[Any, ...]], workers: int = 0,
    progress: Callable[[Result], None] | None = None, shared: tuple[Any, ...] = (),
) -> list[Result]:
    """Results in job order of `func(*job, *shared)`; few jobs run here, many in a pool (0 = cores)."""
    count = min(workers or os.cpu_count() or 1, len(jobs))
    if count <= 1 or len(jobs) < SERIAL_BELOW:
        results = []
        for job in jobs:
            results.append(func(*job, *shared))
            if progress:
                progress(results[-1])
        return results
    chunks = [jobs[i:i + CHUNK] for i in range(0, len(jobs), CHUNK)]
    ordered: list[list[Any]] = [[] for _ in chunks]
    with ProcessPoolExecutor(max_workers=count, initializer=_install, initargs=(func, shared)) as pool:
        futures = {pool.submit(_run_chunk, chunk): number for number, chunk in enumerate(chunks)}
        for future in as_completed(futures):
            ordered[futures[future]] = future.result()
            for result in ordered[futures[future]]:
                if progress:
                    progress(result)
    return [result for chunk in ordered for result in chunk]
