"""Work done in a thread while the workers read (the previous national workbook): its result arrives, and its
failure stops the reading at once with every worker ended."""

from __future__ import annotations

import multiprocessing
import time

import pytest

from workbook_tools.errors import HeldStateError
from workbook_tools.parallel import alongside, run_jobs

JOB_SECONDS = 0.02


def slow_job(number: int) -> int:
    """A job that takes a while, like reading one returned workbook."""
    time.sleep(JOB_SECONDS)
    return number * 2


def held_figures(after: float) -> dict[str, int]:
    """Side work that succeeds."""
    time.sleep(after)
    return {"01": 1}


def hand_edited(after: float) -> None:
    """Side work that finds a reason to stop (a hand-edited national workbook)."""
    time.sleep(after)
    raise HeldStateError("Sổ tổng hợp có 1 ô số liệu bị sửa tay")


def test_side_work_result_is_there_after_the_jobs() -> None:
    with alongside(held_figures, 0.05) as side:
        results = run_jobs(slow_job, [(n,) for n in range(40)], workers=2, progress=lambda _r: side.check())
        held = side.result()
    assert results == [n * 2 for n in range(40)]
    assert held == {"01": 1}


def test_side_work_failure_stops_the_jobs_and_ends_the_workers() -> None:
    jobs = [(n,) for n in range(400)]  # 8 s of work on 2 workers
    started = time.monotonic()
    with pytest.raises(HeldStateError, match="sửa tay"), alongside(hand_edited, 0.1) as side:
        run_jobs(slow_job, jobs, workers=2, progress=lambda _r: side.check())
    assert time.monotonic() - started < len(jobs) * JOB_SECONDS / 4
    assert multiprocessing.active_children() == []
