"""The read cache: a run reads only the files that changed, and nothing about the cache (a changed file
that kept its name, size and time, another plan, a damaged or unwritable cache, a worker that crashed,
two runs at once) ever changes what `check` or `consolidate` says.

The files are changed the way they are in real life (openpyxl saves, a rename, `os.utime` as an unzip
does), and the number of files read is counted at the reading itself (`run_jobs` of `read_cache`).
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from workbook_tools import read, read_cache
from workbook_tools.check import check_folder
from workbook_tools.cli import main
from workbook_tools.plans import load_plan
from workbook_tools.read import read_return

from . import test_reader_robustness as robustness
from .workbooks import fill

CLI = str(Path(sys.executable).parent / "workbook-tools")
UNITS, DATE, _value = robustness.UNITS, robustness.DATE, robustness._value
blank, filled = robustness.blank, robustness.filled  # the same nine filled returns (fixtures)


def _typed(unit: str, value: int) -> dict:
    """What a unit types: the report date and its bhyt figure (as the shared `filled` returns carry)."""
    return {("mau01", "round_date", "uom"): DATE, ("mau01", "bhyt", "actual:2021-09"): value}


@pytest.fixture
def returns(filled, tmp_path) -> Path:
    folder = tmp_path / "returns"
    folder.mkdir()
    for path in filled.values():
        shutil.copy2(path, folder / path.name)
    return folder


@pytest.fixture
def reads(monkeypatch) -> list[int]:
    """How many files each run of the reading was given (the cache's hits are not read)."""
    counts: list[int] = []
    real = read_cache.run_jobs

    def counting(func, jobs, *args, **kwargs):
        counts.append(len(jobs))
        return real(func, jobs, *args, **kwargs)

    monkeypatch.setattr(read_cache, "run_jobs", counting)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    return counts


def _cache() -> Path:
    return Path(os.environ[read_cache.CACHE_ENV])


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


def _check(blank: Path, returns: Path, json_path: Path, *extra: str) -> tuple[int, str, bytes]:
    """`check --json` in this process: exit code, output and the JSON's bytes."""
    result = CliRunner().invoke(main, ["check", str(returns), "--manifest", str(blank / "manifest.json"),
                                       "--json", str(json_path), *extra], catch_exceptions=False)
    return result.exit_code, result.output, json_path.read_bytes()


def _consolidate(blank: Path, returns: Path, out: Path, *extra: str) -> tuple[int, dict]:
    result = CliRunner().invoke(main, ["consolidate", str(returns), "--manifest", str(blank / "manifest.json"),
                                       "--out", str(out / "n.xlsx"), "--json", str(out / "n.json"), *extra], catch_exceptions=False)
    assert "Traceback" not in result.output
    return result.exit_code, json.loads((out / "n.json").read_text(encoding="utf-8"))


def _bhyt(payload: dict, unit: str) -> tuple[str, float | None]:
    found = next(u for u in payload["units"] if u["code"] == unit)
    return found["status"], next((v["actual"] for v in found["values"] if v["indicator"] == "bhyt" and v["period"] == "2021-09"), None)


def _leftovers() -> list[str]:
    return sorted(p.name for p in _cache().rglob(".*")) if _cache().is_dir() else []


def test_a_second_run_reads_no_file_and_says_exactly_what_the_first_said(blank, returns, tmp_path, reads):
    before = _hashes(returns)
    first = _check(blank, returns, tmp_path / "1.json")
    second = _check(blank, returns, tmp_path / "2.json")
    assert reads == [len(UNITS), 0]
    assert first == second and first[0] == 0
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    _, one = _consolidate(blank, returns, tmp_path / "a")
    _, two = _consolidate(blank, returns, tmp_path / "b")
    assert reads == [len(UNITS), 0, 0, 0]
    assert one == two and _bhyt(two, "04") == ("accepted", _value("04"))
    assert _hashes(returns) == before
    assert len(list(_cache().glob("reads-*.pickle"))) == 1 and _leftovers() == []


def test_a_file_changed_under_the_same_name_size_and_time_is_read_again(blank, filled, returns, tmp_path, reads):
    target = returns / filled["06"].name
    fill(filled["06"], _typed("06", 1_006), target)  # saved as the next ones will be
    _check(blank, returns, tmp_path / "1.json")
    kept = target.stat()
    for figure in range(2_000, 2_100):  # another figure, saved by openpyxl, until the file has the same size
        fill(filled["06"], _typed("06", figure), target)
        if target.stat().st_size == kept.st_size:
            break
    assert target.stat().st_size == kept.st_size
    os.utime(target, ns=(kept.st_atime_ns, kept.st_mtime_ns))  # as an unzipped attachment keeps the old time
    assert target.stat().st_mtime_ns == kept.st_mtime_ns

    out = tmp_path / "out"
    out.mkdir()
    _, payload = _consolidate(blank, returns, out)

    assert reads == [len(UNITS), 1]
    assert _bhyt(payload, "06") == ("accepted", figure)
    assert _bhyt(payload, "04") == ("accepted", _value("04"))
    fill(filled["06"], _typed("06", 7_777), target)
    arrived = []
    report = check_folder(returns, load_plan("2800-2021"), progress=lambda ret: arrived.append(ret.file))
    assert [r.file for r in report.returns] == sorted(p.name for p in returns.iterdir())  # hits and the one read, in file order
    assert sorted(arrived) == sorted(r.file for r in report.returns) and reads[-1] == 1  # progress for every file, hits too
    assert report.chosen["06"].actuals[("bhyt", "2021-09")] == 7_777


def test_a_renamed_file_is_read_again_and_named_by_its_new_name(blank, filled, returns, tmp_path, reads):
    _check(blank, returns, tmp_path / "1.json")
    old = returns / filled["10"].name
    new = old.with_name("10-gui-lai.xlsx")
    old.rename(new)

    code, _, payload = _check(blank, returns, tmp_path / "2.json")

    assert reads == [len(UNITS), 1] and code == 0
    assert old.name not in payload.decode("utf-8")
    out = tmp_path / "out"
    out.mkdir()
    _, national = _consolidate(blank, returns, out)
    assert next(u for u in national["units"] if u["code"] == "10")["file"] == new.name


def _user_plan(plan_id: str, edit=None) -> None:
    """The shipped plan stored as a user plan (which shadows a shipped one of the same id), possibly edited."""
    from workbook_tools.datafiles import shipped_data_dir, user_data_dir

    target = user_data_dir() / "plans"
    target.mkdir(parents=True, exist_ok=True)
    meta = json.loads((shipped_data_dir() / "plans" / "2800-2021.json").read_text(encoding="utf-8"))
    meta["id"] = plan_id
    (target / f"{plan_id}.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    rows = (shipped_data_dir() / "plans" / "2800-2021.csv").read_text(encoding="utf-8").splitlines()
    rows = [rows[0]] + [plan_id + row[len("2800-2021"):] for row in rows[1:]]
    (target / f"{plan_id}.csv").write_text("\n".join(edit(rows) if edit else rows) + "\n", encoding="utf-8")


def _bhyt_total_of_04(rows: list[str]) -> list[str]:
    """Unit 04's bhyt target for the whole plan raised by one."""
    out = []
    for row in rows:
        cells = row.split(",")
        if cells[1:4] == ["04", "bhyt", "total"]:
            cells[4] = str(int(cells[4]) + 1)
        out.append(",".join(cells))
    return out


def test_an_edited_target_of_the_plan_makes_every_file_read_again(blank, returns, tmp_path, reads):
    _, _, first = _check(blank, returns, tmp_path / "1.json")
    assert "target_edited" not in first.decode("utf-8")
    _user_plan("2800-2021", _bhyt_total_of_04)

    _, _, edited = _check(blank, returns, tmp_path / "2.json")

    assert reads == [len(UNITS), len(UNITS)]
    problems = json.loads(edited)["problems"]
    assert {p["unit"] for p in problems if p["code"] == "target_edited"} == {"04"}  # on Chỉ tiêu and on Mẫu 01
    from workbook_tools.datafiles import user_data_dir

    for path in (user_data_dir() / "plans").iterdir():
        path.unlink()
    assert _check(blank, returns, tmp_path / "3.json")[2] == first  # the shipped plan's entries again, none of the edited one's
    assert reads == [len(UNITS), len(UNITS), 0]


def test_another_plan_uses_no_entry_of_the_first(blank, returns, tmp_path, reads):
    _check(blank, returns, tmp_path / "1.json", "--plan", "2800-2021")
    _user_plan("2800-khac")

    result = CliRunner().invoke(main, ["check", str(returns), "--plan", "2800-khac", "--json", str(tmp_path / "2.json")])

    assert reads == [len(UNITS), len(UNITS)] and result.exit_code == 1
    problems = json.loads((tmp_path / "2.json").read_text(encoding="utf-8"))["problems"]
    assert {p["code"] for p in problems} == {"other_plan"} and len(problems) == len(UNITS)


def _damage(how: str, file: Path) -> None:
    body = file.read_bytes()
    if how == "truncated":
        file.write_bytes(body[: len(body) // 2])
    elif how == "one byte changed":
        file.write_bytes(body[:-100] + bytes([body[-100] ^ 0x01]) + body[-99:])
    elif how == "garbage":
        file.write_bytes(os.urandom(len(body)))
    elif how == "empty":
        file.write_bytes(b"")
    elif how == "a folder":
        file.unlink()
        file.mkdir()
    elif how == "a pickle that would run code":
        class Evil:
            def __reduce__(self):
                return os.system, (f"touch {file.parent / 'ran'}",)
        payload = pickle.dumps(Evil())
        file.write_bytes(read_cache.MAGIC + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload)


@pytest.mark.parametrize("how", ["truncated", "one byte changed", "garbage", "empty", "a folder", "a pickle that would run code"])
def test_a_damaged_cache_file_means_the_files_are_read(blank, returns, tmp_path, reads, how):
    clean = _check(blank, returns, tmp_path / "0.json", "--no-cache")
    _check(blank, returns, tmp_path / "1.json")
    (file,) = _cache().glob("reads-*.pickle")
    _damage(how, file)

    damaged = _check(blank, returns, tmp_path / "2.json")

    assert damaged == clean and "Traceback" not in damaged[1]
    assert reads == [len(UNITS), len(UNITS), len(UNITS)]
    assert not (file.parent / "ran").exists() and _leftovers() == []
    if how != "a folder":
        assert _check(blank, returns, tmp_path / "3.json") == clean and reads[-1] == 0  # written whole again


def test_a_cache_path_that_is_a_file_changes_nothing(blank, returns, tmp_path, reads, monkeypatch):
    clean = _check(blank, returns, tmp_path / "0.json", "--no-cache")
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setenv(read_cache.CACHE_ENV, str(blocker))

    assert _check(blank, returns, tmp_path / "1.json") == clean
    assert _check(blank, returns, tmp_path / "2.json") == clean
    assert blocker.read_text(encoding="utf-8") == "x" and sorted(p.name for p in tmp_path.iterdir()) == [
        "0.json", "1.json", "2.json", "not-a-folder", "returns"]


def _unprivileged() -> list[str]:
    return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] if os.geteuid() == 0 else []


def test_a_read_only_cache_folder_or_a_full_disk_changes_nothing(blank, filled):
    # Real failures in a real process: the command runs as `nobody` in front of a cache folder it may not
    # write (chmod does not stop root), then with a file size limit (RLIMIT_FSIZE: a write fails as on a
    # full disk).
    base = Path(tempfile.mkdtemp(prefix="wt-cache-", dir="/tmp"))
    try:
        base.chmod(0o755)
        returns = base / "returns"
        returns.mkdir()
        for path in filled.values():
            shutil.copy(path, returns / path.name)
        shutil.copy(blank / "manifest.json", base / "manifest.json")
        cache = base / "cache"
        cache.mkdir(mode=0o755)
        for path in base.rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)
        args = [CLI, "check", str(returns), "--manifest", str(base / "manifest.json")]
        env = {**os.environ, read_cache.CACHE_ENV: str(cache), "WORKBOOK_TOOLS_DATA": str(base / "data")}
        clean = subprocess.run(args, capture_output=True, text=True, env={**env, read_cache.CACHE_ENV: "off"}, timeout=120)
        assert list(cache.iterdir()) == []

        read_only = subprocess.run(_unprivileged() + args, capture_output=True, text=True, env=env, timeout=120)

        assert (read_only.returncode, read_only.stdout) == (clean.returncode, clean.stdout), read_only.stderr
        assert "Traceback" not in read_only.stderr
        assert list(cache.iterdir()) == []

        def small_files() -> None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

        full = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120, preexec_fn=small_files)

        assert (full.returncode, full.stdout) == (clean.returncode, clean.stdout) and "Traceback" not in full.stderr
        assert list(cache.iterdir()) == []  # the temporary file is gone
        assert _hashes(returns) == {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in filled.values()}
    finally:
        shutil.rmtree(base)


def _out_of_memory(*_args, **_kwargs):
    raise MemoryError


def _hostile(path: Path, data, forms):
    """The reader, except that while `WT_TEST_HOSTILE` is set, 04 kills its worker, 08 runs out of memory, and 10
    runs out of memory inside the reader once its bytes are hashed (reported as a corrupt file)."""
    if os.environ.get("WT_TEST_HOSTILE"):
        if path.name.startswith("04"):
            os._exit(3)
        if path.name.startswith("08"):
            raise MemoryError
        if path.name.startswith("10"):
            real, read.open_sheets = read.open_sheets, _out_of_memory
            try:
                return read_return(path, data, forms)
            finally:
                read.open_sheets = real
    return read_return(path, data, forms)


def test_a_crashed_or_failed_reading_is_not_kept(blank, returns, tmp_path, reads, monkeypatch):
    monkeypatch.setattr("workbook_tools.check.read_return", _hostile)
    monkeypatch.setenv("WT_TEST_HOSTILE", "1")
    first = tmp_path / "first"
    first.mkdir()
    code, payload = _consolidate(blank, returns, first)
    assert code == 1 and {p["code"] for p in payload["problems"] if p["severity"] == "error"} == {"read_crashed", "read_failed", "corrupt"}
    monkeypatch.delenv("WT_TEST_HOSTILE")
    second = tmp_path / "second"
    second.mkdir()

    code, payload = _consolidate(blank, returns, second)

    assert reads == [len(UNITS), 3]  # 04, 08 and 10 again, the six others from the cache
    assert code == 0 and [p for p in payload["problems"] if p["severity"] == "error"] == []
    for unit in ("04", "08", "10"):
        assert _bhyt(payload, unit) == ("accepted", _value(unit))


SWAP: dict[str, bytes] = {}


def _swapping(path: Path, data, forms):
    """The reader, except that a file named in SWAP is replaced by other bytes just before it is read."""
    if path.name in SWAP:
        path.write_bytes(SWAP.pop(path.name))
    return read_return(path, data, forms)


def test_a_file_replaced_while_it_is_read_is_kept_under_the_bytes_that_were_read(blank, filled, returns, tmp_path, reads, monkeypatch):
    monkeypatch.setattr("workbook_tools.check.read_return", _swapping)
    _check(blank, returns, tmp_path / "1.json")
    target = returns / filled["12"].name
    sent_b = fill(filled["12"], _typed("12", 2_222), tmp_path / "b.xlsx").read_bytes()
    sent_c = fill(filled["12"], _typed("12", 3_333), tmp_path / "c.xlsx").read_bytes()
    target.write_bytes(sent_b)
    SWAP[target.name] = sent_c  # B is hashed, then C arrives before the reader opens the file
    out = tmp_path / "c"
    out.mkdir()
    assert _bhyt(_consolidate(blank, returns, out)[1], "12") == ("accepted", 3_333)
    target.write_bytes(sent_b)
    out = tmp_path / "b"
    out.mkdir()

    _, payload = _consolidate(blank, returns, out)

    assert _bhyt(payload, "12") == ("accepted", 2_222)  # C's figures were never kept as B's
    assert reads == [len(UNITS), 1, 1]


def test_two_runs_at_the_same_moment_both_say_the_same_and_leave_a_loadable_cache(blank, returns, tmp_path, reads):
    clean = _check(blank, returns, tmp_path / "0.json", "--no-cache")
    runs = [subprocess.Popen([CLI, "check", str(returns), "--manifest", str(blank / "manifest.json"), "--json", str(tmp_path / f"{k}.json")],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE) for k in (1, 2)]
    for k, run in enumerate(runs, start=1):
        out, err = run.communicate(timeout=120)
        assert run.returncode == clean[0] and b"Traceback" not in err
        assert (tmp_path / f"{k}.json").read_bytes() == clean[2]
    assert _leftovers() == []

    assert _check(blank, returns, tmp_path / "3.json") == clean
    assert reads == [len(UNITS), 0]


def test_no_cache_reads_every_file_and_writes_nothing(blank, returns, tmp_path, reads, monkeypatch):
    _check(blank, returns, tmp_path / "1.json")
    cache = _cache()
    (file,) = cache.glob("reads-*.pickle")
    kept = file.read_bytes(), file.stat().st_mtime_ns

    _check(blank, returns, tmp_path / "2.json", "--no-cache")
    out = tmp_path / "out"
    out.mkdir()
    CliRunner().invoke(main, ["consolidate", str(returns), "--plan", "2800-2021", "--out", str(out / "n.xlsx"), "--no-cache"],
                       catch_exceptions=False)
    monkeypatch.setenv(read_cache.CACHE_ENV, "off")
    _check(blank, returns, tmp_path / "3.json")

    assert reads == [len(UNITS)] * 4
    assert [p.name for p in cache.iterdir()] == [file.name] and (file.read_bytes(), file.stat().st_mtime_ns) == kept


def test_a_cache_folder_inside_the_returns_folder_is_never_written(blank, returns, tmp_path, reads, monkeypatch):
    clean = _check(blank, returns, tmp_path / "0.json", "--no-cache")
    before = _hashes(returns)
    monkeypatch.setenv(read_cache.CACHE_ENV, str(returns))

    assert _check(blank, returns, tmp_path / "1.json") == clean
    assert _check(blank, returns, tmp_path / "2.json") == clean
    assert reads == [len(UNITS)] * 3 and _hashes(returns) == before


def test_cache_files_unused_for_long_and_leftovers_of_killed_runs_are_removed(blank, returns, tmp_path, reads):
    cache = _cache()
    days = 86400
    planted = {"reads-0123456789abcdef01234567-aaaa.pickle": 8 * days,  # another namespace, a week unused: removed
               "reads-89abcdef0123456789abcdef-bbbb.pickle": 1 * days,  # another namespace, used yesterday: kept
               ".reads-x1y2z3.tmp": 2 * days,  # a run killed while writing: removed
               ".reads-recent.tmp": 60,  # maybe a run writing right now: kept
               "notes.txt": 100 * days}  # not ours: kept
    for name, age in planted.items():
        (cache / name).write_bytes(b"x")
        os.utime(cache / name, (time.time() - age, time.time() - age))

    _check(blank, returns, tmp_path / "1.json")

    (ours,) = set(p.name for p in cache.glob("reads-*.pickle")) - set(planted)
    assert sorted(p.name for p in cache.iterdir()) == sorted([ours, "reads-89abcdef0123456789abcdef-bbbb.pickle", ".reads-recent.tmp",
                                                              "notes.txt"])


@pytest.fixture
def opened(monkeypatch) -> list[str]:
    """The files opened to learn what they are (which plan a folder is for, when neither --plan nor --manifest says)."""
    names: list[str] = []
    real = read_cache.opened_return

    def counting(ret, *args, **kwargs):
        names.append(ret.path.name)
        return real(ret, *args, **kwargs)

    monkeypatch.setattr(read_cache, "opened_return", counting)
    return names


def test_the_plan_named_by_the_files_is_learnt_again_only_from_changed_files(blank, filled, returns, tmp_path, reads, opened):
    args = ["check", str(returns), "--json"]
    first = CliRunner().invoke(main, [*args, str(tmp_path / "1.json")], catch_exceptions=False)
    assert "kế hoạch 2800-2021" in first.output and len(opened) == len(UNITS)
    second = CliRunner().invoke(main, [*args, str(tmp_path / "2.json")], catch_exceptions=False)
    assert second.output == first.output and len(opened) == len(UNITS) and reads == [len(UNITS), 0]
    other = tmp_path / "other"
    CliRunner().invoke(main, ["generate", "--plan", "1813-2025", "--out", str(other), *(a for u in UNITS for a in ("--unit", u))],
                       catch_exceptions=False)
    for path in returns.iterdir():  # the same names, another plan's workbooks
        shutil.copy(other / path.name, path)

    third = CliRunner().invoke(main, [*args, str(tmp_path / "3.json")], catch_exceptions=False)

    assert "kế hoạch 1813-2025" in third.output and len(opened) == 2 * len(UNITS)
    payload = json.loads((tmp_path / "3.json").read_text(encoding="utf-8"))
    assert payload["plan"] == "1813-2025" and "other_plan" not in {p["code"] for p in payload["problems"]}
    CliRunner().invoke(main, [*args, str(tmp_path / "4.json"), "--no-cache"], catch_exceptions=False)
    assert len(opened) == 3 * len(UNITS) and (tmp_path / "4.json").read_bytes() == (tmp_path / "3.json").read_bytes()


def test_a_national_workbook_still_as_written_is_not_searched_for_hand_edits_and_one_edited_since_is(returns, tmp_path, monkeypatch):
    import openpyxl

    from workbook_tools import hand_edits

    out = tmp_path / "tong-hop.xlsx"

    def consolidate() -> object:
        return CliRunner().invoke(main, ["consolidate", str(returns), "--plan", "2800-2021", "--out", str(out)], catch_exceptions=False)
    assert consolidate().exit_code in (0, 1)
    real, opened = hand_edits.calamine_book, []
    monkeypatch.setattr(hand_edits, "calamine_book", lambda path: opened.append(path) or real(path))
    again = consolidate()  # the workbook is the very bytes the tool wrote: not opened to compare its cells
    assert again.exit_code in (0, 1) and opened == [], again.output
    book = openpyxl.load_workbook(out)
    row = next(r for r in book["Tổng hợp"].iter_rows(min_row=6) if r[1].value == UNITS[0])
    typed = next(c for c in row[4:] if isinstance(c.value, (int, float)))
    typed.value += 5  # a correction typed over the figure, and saved
    book.save(out)
    before = hashlib.sha256(out.read_bytes()).hexdigest()
    refused = consolidate()
    assert refused.exit_code == 2 and typed.coordinate in refused.output and opened, refused.output
    assert hashlib.sha256(out.read_bytes()).hexdigest() == before
    monkeypatch.setenv("WORKBOOK_TOOLS_CACHE", "off")  # no note of what was written: the cells are compared
    opened.clear()
    assert consolidate().exit_code == 2 and opened
