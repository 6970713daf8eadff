"""The processes a command leaves behind, read from /proc (Linux): for tests that stop commands mid-run."""

from __future__ import annotations

import signal
from pathlib import Path


def interruptible() -> None:
    """For `preexec_fn`: Ctrl-C at its default in the command started, as a terminal gives it, even when the tests
    run where SIGINT is ignored (started in the background by a shell without job control): a Python started with
    SIGINT ignored keeps ignoring it, and a test of Ctrl-C would wait for nothing."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def children(pid: int) -> set[int]:
    """Processes whose parent is `pid`."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def alive(pids: set[int]) -> set[int]:
    """Those of `pids` still running (zombies count as gone)."""
    running = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            running.add(pid)
    return running
