"""Run independent jobs (one workbook each) on every core, reporting progress as they finish.

Each worker is a process of our own that says which job it is on, so one job that kills its
process (a crash in a native library, memory exhausted, `os._exit`) or runs past its time limit
costs that job only: `failed(job, reason, detail)` turns it into a result and the run goes on in
a fresh worker. Workers die with the main process: on Ctrl-C, SIGTERM or any error they are
ended before the exception goes on, and on Linux the kernel ends them if the parent is killed.
Arguments common to every job (the plan, the forms) reach each worker once, at its start.
"""

from __future__ import annotations

import os
import select
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, Generic, TypeVar

Result = TypeVar("Result")
SERIAL_BELOW = 8
CHUNK = 16
JOB_TIMEOUT = 300.0
CRASHED, TIMED_OUT, RAISED = "crashed", "timeout", "error"
Failed = Callable[[tuple[Any, ...], str, str], Any]
FORK_SAFE = sys.platform.startswith("linux")  # macOS system libraries are not safe in a forked child of a process with threads


def run_jobs(
    func: Callable[..., Result], jobs: Sequence[tuple[Any, ...]], workers: int = 0,
    progress: Callable[[Result], None] | None = None, shared: tuple[Any, ...] = (),
    failed: Failed | None = None, timeout: float | None = None, start: Callable[[], None] | None = None,
) -> list[Result]:
    """Results in job order of `func(*job, *shared)`; few jobs run here, many in worker processes (0 = cores), each
    of which calls `start()` first.

    Without `failed`, a job that raises or kills its worker raises `JobFailed` after the workers are ended.
    """
    count = min(workers or os.cpu_count() or 1, len(jobs))
    if count <= 1 or len(jobs) < SERIAL_BELOW:
        return _run_here(func, jobs, progress, shared, failed)
    release_freed_memory()  # the workers are forked: they would start with it
    with _Workers(func, shared, count, JOB_TIMEOUT if timeout is None else timeout, start) as pool:
        return pool.run(jobs, progress, failed)


class JobFailed(RuntimeError):
    """A job raised, crashed its worker or ran out of time, and the caller gave no way to record it."""


def _run_here(func: Callable[..., Result], jobs: Sequence[tuple[Any, ...]], progress: Callable[[Result], None] | None,
              shared: tuple[Any, ...], failed: Failed | None) -> list[Result]:
    """Run the jobs in this process; an exception in one becomes its failure result."""
    results = []
    for job in jobs:
        try:
            result = func(*job, *shared)
        except Exception as exc:  # noqa: BLE001 - one job's failure must not stop the others
            if failed is None:
                raise
            result = failed(job, RAISED, _describe(exc))
        results.append(result)
        if progress:
            progress(result)
    return results


def release_freed_memory() -> None:
    """Give back to the system what this process has freed but its C allocator still keeps (glibc keeps freed blocks
    mapped, in one arena per thread, where no other thread reuses them): a child forked next starts with every
    resident page of its parent, and the run's peak is its largest process. Where there is no glibc, nothing."""
    trim = getattr(_libc(), "malloc_trim", None)
    if trim is not None:
        trim(0)


@lru_cache(maxsize=1)
def _libc() -> Any:
    """The C library through ctypes on Linux (else None), loaded in the main process before it forks (by
    `release_freed_memory`, called before every fork), so its children do not each load ctypes (3 ms apiece)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def _released(func: Callable[..., Result], *args: Any, **kwargs: Any) -> Result:
    """`func`'s result, what it freed given back (see `release_freed_memory`) before the thread returns it."""
    try:
        return func(*args, **kwargs)
    finally:
        release_freed_memory()


def _describe(exc: BaseException) -> str:
    """A short description of an exception for a problem message."""
    return f"{type(exc).__name__}: {exc}"[:200]


def _worker(conn: Any, func: Callable[..., Any], shared: tuple[Any, ...], parent: int, start: Callable[[], None] | None) -> None:
    """Worker loop: receive chunks of (number, job), send back one message per job as it finishes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent(parent)
    if start is not None:
        start()
    while True:
        try:
            chunk = conn.recv()
        except (EOFError, OSError):
            return
        if chunk is None:
            return
        for number, job in chunk:
            try:
                message = ("ok", number, func(*job, *shared))
            except Exception as exc:  # noqa: BLE001 - reported to the main process, which decides
                message = (RAISED, number, _describe(exc))
            try:
                conn.send(message)
            except (EOFError, OSError):
                return


def _die_with_parent(parent: int) -> None:
    """On Linux, ask the kernel to kill this worker when the main process dies, however it dies."""
    if (prctl := getattr(_libc(), "prctl", None)) is not None:
        prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os._exit(0)


class _Slot:
    """One worker process, its pipe and the jobs it holds (the first one is running)."""

    def __init__(self, process: Any, conn: Any) -> None:
        self.process, self.conn = process, conn
        self.held: deque[int] = deque()
        self.since = time.monotonic()


class _Workers:
    """A pool of worker processes that knows which job each one is running."""

    def __init__(self, func: Callable[..., Any], shared: tuple[Any, ...], count: int, timeout: float,
                 start: Callable[[], None] | None = None) -> None:
        import multiprocessing

        self.context = multiprocessing.get_context()
        self.func, self.shared, self.count, self.timeout, self.start = func, shared, count, timeout, start
        self.slots: list[_Slot] = []

    def __enter__(self) -> _Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close(graceful=exc[0] is None)

    def _start(self) -> _Slot:
        """Start one worker."""
        mine, theirs = self.context.Pipe()
        process = self.context.Process(target=_worker, args=(theirs, self.func, self.shared, os.getpid(), self.start), daemon=True)
        process.start()
        theirs.close()
        slot = _Slot(process, mine)
        self.slots.append(slot)
        return slot

    def _stop(self, slot: _Slot) -> None:
        """End one worker now."""
        self.slots.remove(slot)
        if slot.process.is_alive():
            slot.process.kill()
        slot.process.join(5)
        slot.conn.close()

    def close(self, graceful: bool) -> None:
        """End every worker: politely after a finished run, at once after an error or interrupt."""
        for slot in list(self.slots):
            if graceful:
                try:
                    slot.conn.send(None)
                except (OSError, ValueError):
                    pass
                slot.process.join(2)
            self._stop(slot)

    def run(self, jobs: Sequence[tuple[Any, ...]], progress: Callable[[Any], None] | None, failed: Failed | None) -> list[Any]:
        """Every job's result, in job order."""
        results: dict[int, Any] = {}
        waiter = _Waiter()
        queue: deque[int] = deque(range(len(jobs)))
        chunk = max(1, min(CHUNK, len(jobs) // (self.count * 4) or 1))

        def finish(number: int, result: Any) -> None:
            results[number] = result
            if progress:
                progress(result)

        def fail(number: int, reason: str, detail: str) -> None:
            if failed is None:
                raise JobFailed(f"job {jobs[number]!r}: {reason} ({detail})")
            finish(number, failed(jobs[number], reason, detail))

        def give_up(slot: _Slot, reason: str, detail: str) -> None:
            number = slot.held.popleft()
            queue.extendleft(reversed(slot.held))
            slot.held.clear()
            self._stop(slot)
            fail(number, reason, detail)

        while len(results) < len(jobs):
            for slot in [s for s in self.slots if not s.held and not s.process.is_alive()]:
                self._stop(slot)
            for slot in self.slots:
                if len(slot.held) <= chunk // 2 and queue:  # the next chunk waits in the pipe: a worker never idles for this process
                    self._give(slot, [queue.popleft() for _ in range(min(chunk, len(queue)))], jobs)
            while queue and len(self.slots) < self.count:
                self._give(self._start(), [queue.popleft() for _ in range(min(chunk, len(queue)))], jobs)
            busy = [s for s in self.slots if s.held]
            deadline = min(s.since for s in busy) + self.timeout
            ready = waiter.wait([s.conn for s in busy] + [s.process.sentinel for s in busy], max(0.0, deadline - time.monotonic()))
            for slot in busy:
                if slot.conn in ready or slot.process.sentinel in ready:
                    self._collect(slot, finish, fail, give_up)
                elif time.monotonic() - slot.since > self.timeout:
                    give_up(slot, TIMED_OUT, f"{self.timeout:g}")
        return [results[number] for number in range(len(jobs))]

    def _give(self, slot: _Slot, numbers: list[int], jobs: Sequence[tuple[Any, ...]]) -> None:
        """Send a chunk of jobs to a worker."""
        slot.held.extend(numbers)
        slot.since = time.monotonic()
        slot.conn.send([(number, jobs[number]) for number in numbers])

    def _collect(self, slot: _Slot, finish: Callable[[int, Any], None], fail: Callable[[int, str, str], None],
                 give_up: Callable[[_Slot, str, str], None]) -> None:
        """Take every message a worker has sent; a worker that died costs the job it was on."""
        while slot.held:
            try:
                if not slot.conn.poll():
                    break
                kind, number, payload = slot.conn.recv()
            except (EOFError, OSError):
                break
            slot.held.remove(number)
            slot.since = time.monotonic()
            if kind == "ok":
                finish(number, payload)
            else:
                fail(number, kind, payload)
        if slot.held and not slot.process.is_alive():
            slot.process.join()
            give_up(slot, CRASHED, _exit_text(slot.process.exitcode))


class _Waiter:
    """Waits for the first of the workers' pipes and process ends, with one poll object for the whole run where
    the system has poll (`multiprocessing.connection.wait` builds a new one at each of thousands of wake-ups)."""

    def __init__(self) -> None:
        self.poll = select.poll() if hasattr(select, "poll") else None
        self.registered: set[int] = set()

    def wait(self, objects: list[Any], timeout: float) -> list[Any]:
        """The objects ready to read (a pipe with a message, or a worker that ended) within `timeout` seconds."""
        if self.poll is None:  # Windows
            from multiprocessing.connection import wait

            return wait(objects, timeout)
        by_fd = {obj if isinstance(obj, int) else obj.fileno(): obj for obj in objects}
        for fd in self.registered - by_fd.keys():
            self.poll.unregister(fd)
        for fd in by_fd.keys() - self.registered:
            self.poll.register(fd, select.POLLIN | select.POLLERR | select.POLLHUP)  # a message, or the other end gone
        self.registered = set(by_fd)
        return [by_fd[fd] for fd, _event in self.poll.poll(timeout * 1000) if fd in by_fd]



def _exit_text(code: int | None) -> str:
    """How a worker ended: a signal name or an exit code."""
    if code is not None and code < 0:
        try:
            return signal.Signals(-code).name
        except ValueError:
            return f"signal {-code}"
    return f"exit {code}"


class Alongside(Generic[Result]):
    """Work running in a thread of this process while the workers read files (see `alongside`)."""

    def __init__(self, func: Callable[..., Result], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self._outcome: tuple[bool, Any] | None = None  # (succeeded, result or exception) once it has ended
        self._thread: threading.Thread | None = threading.Thread(target=self._run, args=(func, args, kwargs), name="alongside")
        self._thread.start()

    def _run(self, func: Callable[..., Result], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        try:
            self._outcome = (True, func(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller by `check` or `result`
            self._outcome = (False, exc)

    def check(self) -> None:
        """Raise its exception as soon as it has failed (call from a progress callback: the run then stops)."""
        if self._thread is not None and (outcome := self._outcome) is not None and not outcome[0]:
            raise outcome[1]

    def result(self) -> Result:
        """Its result, once it is done (its exception, if it failed); handed over, not kept here (it may be big)."""
        self.wait()
        (succeeded, found), self._outcome, self._thread = self._outcome or (True, None), None, None
        if not succeeded:
            raise found
        return found  # type: ignore[no-any-return]

    def wait(self) -> None:
        """Wait until it has ended (it is never abandoned half way: it may hold a file open)."""
        if self._thread is not None:
            self._thread.join()


@contextmanager
def alongside(func: Callable[..., Result], *args: Any, **kwargs: Any) -> Iterator[Alongside[Result]]:
    """Run `func` in a thread while the caller goes on: this process mostly waits on its workers, so the
    two cores stay busy and work that does not need the files (the previous national workbook) costs no time.
    A plain thread, not an executor: `concurrent.futures` and `logging` are not loaded for one task."""
    side = Alongside(_released, (func, *args), kwargs)  # its transient memory given back when done
    try:
        yield side
    finally:
        side.wait()


class Made:
    """A file a forked child process is making while this process goes on (see `made_in_child`)."""

    def __init__(self, path: Any = None, pid: int = 0) -> None:
        self.path, self.pid = path, pid

    def take(self) -> Any:
        """The file, once the child has made it whole; None when it could not (the caller then makes it itself)."""
        if not self.pid:
            return None
        _pid, status = os.waitpid(self.pid, 0)
        self.pid = 0
        return self.path if os.waitstatus_to_exitcode(status) == 0 else None

    def end(self) -> None:
        """Stop the child if it still runs (an error or Ctrl-C in this process)."""
        if self.pid:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
            self.pid = 0


@contextmanager
def made_in_child(make: Callable[[Any], None], suffix: str = "", *, yielding: bool = False) -> Iterator[Made]:
    """Let a forked child run `make(path)` into a temporary file while this process does other work (the two
    cores each write one output). Where there is no fork (Windows), or the child fails in any way, `take()`
    gives None and the caller does the work itself: the child only ever saves time, it decides nothing. A
    `yielding` child runs at a lower priority: its file is wanted last, so the work wanted first keeps both cores."""
    import tempfile
    from pathlib import Path

    if not hasattr(os, "fork") or not FORK_SAFE:
        yield Made()
        return
    try:
        fd, name = tempfile.mkstemp(prefix="workbook-tools-", suffix=suffix)
        os.close(fd)
    except OSError:
        yield Made()
        return
    parent = os.getpid()
    made = Made(Path(name))
    try:
        sys.stdout.flush()
        sys.stderr.flush()
        release_freed_memory()  # the child starts with every resident page of this process
        made.pid = os.fork()
        if made.pid == 0:  # the child: make the file, say nothing, leave without running the parent's clean-up
            code = 1
            try:
                _die_with_parent(parent)
                if yielding:
                    os.nice(10)
                make(made.path)
                code = 0
            except BaseException:  # noqa: BLE001 - the parent makes the file itself
                pass
            os._exit(code)
        yield made
    finally:
        made.end()
        made.path.unlink(missing_ok=True)
