"""Work done beside the main job: in a thread while the workers read (the previous national workbook), its result
arrives and its failure stops the reading at once with every worker ended; in a forked child while the national
workbook is written (the JSON), its file is used only when the child made it whole."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from workbook_tools.errors import HeldStateError
from workbook_tools.parallel import alongside, made_in_child, run_jobs

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


def made_whole(file: Path) -> None:
    """A child's work that succeeds."""
    file.write_text('{"tool": "workbook-tools"}\n', encoding="utf-8")


def raises_midway(file: Path) -> None:
    """A child's work that fails after writing half a file (a value the strict JSON refuses)."""
    file.write_text('{"tool": ', encoding="utf-8")
    raise ValueError("Out of range float values are not JSON compliant")


def dies_midway(file: Path) -> None:
    """A child that dies without a word (a crash in a native library)."""
    file.write_text('{"tool": ', encoding="utf-8")
    os._exit(3)


def never_ends(file: Path) -> None:
    """A child still working when the parent stops."""
    file.write_text("…", encoding="utf-8")
    time.sleep(60)


def test_a_file_made_in_a_child_is_given_whole() -> None:
    with made_in_child(made_whole, ".json") as made:
        path = made.take()
        assert path is not None and path.read_text(encoding="utf-8") == '{"tool": "workbook-tools"}\n'
    assert not path.exists()  # the scratch file goes with the block


def its_priority(file: Path) -> None:
    """A child that writes down how nice it runs."""
    file.write_text(str(os.getpriority(os.PRIO_PROCESS, 0)), encoding="utf-8")


def test_a_yielding_child_runs_below_the_parent_and_an_ordinary_one_beside_it() -> None:
    """The JSON, wanted after the workbook, is made by a child that leaves the cores to the workbook's writers first."""
    mine = os.getpriority(os.PRIO_PROCESS, 0)
    for yielding, expected in ((True, min(mine + 10, 19)), (False, mine)):
        with made_in_child(its_priority, ".txt", yielding=yielding) as made:
            path = made.take()
            assert path is not None and int(path.read_text(encoding="utf-8")) == expected
    assert os.getpriority(os.PRIO_PROCESS, 0) == mine  # the parent's own is untouched


@pytest.mark.parametrize("make", [raises_midway, dies_midway], ids=["raises", "dies"])
def test_a_child_that_fails_gives_nothing_so_the_caller_makes_the_file_itself(make: Callable[[Path], None]) -> None:
    with made_in_child(make, ".json") as made:
        assert made.take() is None


def test_an_error_in_the_parent_ends_the_child_and_removes_its_file() -> None:
    with pytest.raises(KeyboardInterrupt), made_in_child(never_ends, ".json") as made:
        pid, path = made.pid, made.path
        time.sleep(0.2)
        raise KeyboardInterrupt
    assert not path.exists()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # ended and reaped, not a zombie left behind


def _gone(pid: int) -> bool:
    """True once a process has ended (a zombie waiting for a parent that never reaps it counts as ended)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the kernel's parent-death signal is Linux's")
def test_workers_die_when_the_main_process_is_killed() -> None:
    script = (
        "import multiprocessing, sys, time\n"
        "from workbook_tools.parallel import run_jobs\n"
        "def job(n):\n"
        "    time.sleep(0.2)\n"
        "    return n\n"
        "def told(_r):\n"
        "    print(' '.join(str(p.pid) for p in multiprocessing.active_children()), flush=True)\n"
        "    time.sleep(60)\n"
        "run_jobs(job, [(n,) for n in range(200)], workers=2, progress=told)\n"
    )
    with subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True) as main:
        try:
            workers = [int(pid) for pid in main.stdout.readline().split()]
            assert len(workers) == 2 and not any(_gone(pid) for pid in workers)
        finally:
            main.kill()
    deadline = time.monotonic() + 10
    while not all(_gone(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert all(_gone(pid) for pid in workers)


def resident_mib() -> float:
    """This process's resident memory now (Linux)."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024


def transient_texts() -> list[str]:
    """Side work that builds 80 MB of text and keeps a little of it (600 characters of every 20,600), as reading the
    previous national workbook does: the blocks freed lie between blocks kept, so the C allocator cannot shrink its
    heap by itself."""
    texts = [str(n).rjust(length, "x") for n in range(4_000) for length in (20_000, 600)]
    return texts[1::2]


def test_memory_the_side_work_freed_is_given_back_before_its_result_is() -> None:
    """glibc keeps what a thread freed mapped in that thread's arena, where the main thread never reuses it; the
    national workbook's writer, forked next, would start with it: it is given back when the side work ends."""
    before = resident_mib()
    with alongside(transient_texts) as side:
        assert len(side.result()) == 4_000
    assert resident_mib() - before < 40  # kept mapped, it would be about 80 MB more
