"""What the tool writes: only its own files, never inside the returns folder, atomically, and every
file-system failure (missing folder, path under a file, full disk, a file locked by Excel, a second
run at once, Ctrl-C, SIGTERM) ends in one Vietnamese sentence, exit 2, the previous file intact and
no temporary file left behind."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from workbook_tools import outputs
from workbook_tools.cli import main
from workbook_tools.errors import OutputError

from .processes import children, interruptible
from .workbooks import fill

DATE = date(2021, 11, 10)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith((".tmp", ".lock")))


@pytest.fixture(scope="module")
def cycle(tmp_path_factory) -> dict:
    """Two units of 2800-2021 generated, filled and returned; a first consolidation written."""
    runner = CliRunner()
    root = tmp_path_factory.mktemp("outputs")
    blank = root / "blank"
    result = runner.invoke(main, ["generate", "--plan", "2800-2021", "--out", str(blank), "--unit", "30", "--unit", "31"],
                           catch_exceptions=False)
    assert result.exit_code == 0, result.output
    returns = root / "returns"
    returns.mkdir()
    for path, value in zip(sorted(blank.glob("*.xlsx")), (1_111, 2_222)):
        fill(path, {("mau01", "round_date", "uom"): DATE, ("mau01", "bhyt", "actual:2021-09"): value}, returns / path.name)
    out = root / "out"
    out.mkdir()
    return {"root": root, "returns": returns, "manifest": blank / "manifest.json", "out": out}


def _consolidate(cycle: dict, *extra: str, runner: CliRunner | None = None):
    args = ["consolidate", str(cycle["returns"]), "--manifest", str(cycle["manifest"]), *extra]
    return (runner or CliRunner()).invoke(main, args)


def _first_run(cycle: dict, name: str) -> dict[str, Path]:
    """National workbook, JSON and CSV written once in a folder of their own."""
    folder = cycle["out"] / name
    folder.mkdir()
    paths = {"out": folder / "national.xlsx", "json": folder / "national.json", "csv": folder / "national.csv"}
    result = _consolidate(cycle, *(a for k, p in paths.items() for a in (f"--{k}", str(p))))
    assert result.exit_code == 0, result.output
    return paths


def _returned_hashes(cycle: dict) -> dict[str, str]:
    return {p.name: _sha(p) for p in cycle["returns"].iterdir()}


@pytest.mark.parametrize("option", ["--json", "--csv", "--out"])
def test_outputs_never_overwrite_a_returned_workbook(cycle, option):
    before = _returned_hashes(cycle)
    victim = sorted(cycle["returns"].glob("*.xlsx"))[0]
    extra = [option, str(victim)] + ([] if option == "--out" else ["--out", str(cycle["out"] / f"n{option[2:]}.xlsx")])
    result = _consolidate(cycle, *extra, "--force")
    assert result.exit_code == 2
    assert "thư mục báo cáo gửi về" in result.output and str(victim) in result.output
    assert _returned_hashes(cycle) == before and _leftovers(cycle["returns"]) == []


def test_two_outputs_of_one_run_cannot_be_the_same_file(cycle, tmp_path):
    target = tmp_path / "ket-qua.xlsx"
    result = _consolidate(cycle, "--out", str(target), "--json", str(tmp_path / "." / "ket-qua.xlsx"))
    assert result.exit_code == 2 and "là cùng một tệp" in result.output and not target.exists()


def test_check_json_is_never_written_inside_the_returns_folder(cycle):
    before = _returned_hashes(cycle)
    target = cycle["returns"] / "kiem-tra.json"
    result = CliRunner().invoke(main, ["check", str(cycle["returns"]), "--manifest", str(cycle["manifest"]), "--json", str(target)])
    assert result.exit_code == 2 and "thư mục báo cáo gửi về" in result.output
    assert not target.exists() and _returned_hashes(cycle) == before


@pytest.mark.parametrize(("option", "name", "content"), [
    ("--json", "notes.json", b'{"ghi_chu": "not ours"}\n'),
    ("--csv", "list.csv", b"ma,ten\n01,Ha Noi\n"),
    ("--out", "someone.xlsx", b"PK\x03\x04 not ours"),
])
def test_a_file_the_tool_did_not_write_is_replaced_only_with_force(cycle, option, name, content):
    folder = cycle["out"] / f"foreign-{name}"
    folder.mkdir()
    foreign = folder / name
    foreign.write_bytes(content)
    extra = [option, str(foreign)] + ([] if option == "--out" else ["--out", str(folder / "national.xlsx")])
    refused = _consolidate(cycle, *extra)
    assert refused.exit_code == 2 and "không phải do workbook-tools tạo ra" in refused.output and "--force" in refused.output
    assert foreign.read_bytes() == content and not (folder / "national.xlsx").exists()
    forced = _consolidate(cycle, *extra, "--force")
    assert forced.exit_code == 0, forced.output
    assert foreign.read_bytes() != content and _leftovers(folder) == []


def test_check_json_does_not_overwrite_a_foreign_file(cycle, tmp_path):
    foreign = tmp_path / "ket-qua.json"
    foreign.write_text("[1, 2, 3]\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(cycle["returns"]), "--manifest", str(cycle["manifest"]), "--json", str(foreign)])
    assert result.exit_code == 2 and str(foreign) in result.output
    assert foreign.read_text(encoding="utf-8") == "[1, 2, 3]\n"


def test_our_own_outputs_are_replaced_and_carry_their_identity(cycle):
    paths = _first_run(cycle, "again")
    payload = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert payload["tool"] == "workbook-tools" and payload["plan"] == "2800-2021"
    assert paths["csv"].read_text(encoding="utf-8-sig").startswith("code,name,status,indicator,period,target,actual,completion")
    again = _consolidate(cycle, *(a for k, p in paths.items() for a in (f"--{k}", str(p))))
    assert again.exit_code == 0, again.output
    assert _leftovers(paths["out"].parent) == []


@pytest.mark.parametrize(("where", "expected"), [
    (lambda tmp: tmp / "khong-co" / "national.xlsx", "không tồn tại"),
    (lambda tmp: tmp / "a-file.txt" / "national.xlsx", "không phải là thư mục"),
    (lambda tmp: Path("/proc/national.xlsx"), "/proc"),
])
def test_an_unwritable_place_is_one_sentence_and_exit_2(cycle, tmp_path, where, expected):
    (tmp_path / "a-file.txt").write_text("x", encoding="utf-8")
    target = where(tmp_path)
    result = _consolidate(cycle, "--out", str(target))
    assert result.exit_code == 2, result.output
    assert str(target) in result.output and expected in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) <= 2


@pytest.mark.parametrize(("failing", "error", "expected"), [
    ("fsync", OSError(errno.ENOSPC, "No space left on device"), "ổ đĩa đã đầy"),
    ("replace", PermissionError(errno.EACCES, "Permission denied"), "tệp đang mở"),
])
def test_a_failed_write_keeps_the_previous_output_and_leaves_no_temporary_file(cycle, monkeypatch, failing, error, expected):
    # Injected at the system call (as root, chmod cannot make a folder read-only): a full disk
    # surfaces when the data is flushed, a file open in Excel (Windows) when it is renamed over.
    paths = _first_run(cycle, f"fail-{failing}")
    before = {k: _sha(p) for k, p in paths.items()}

    def fail(*_args, **_kwargs):
        raise error

    monkeypatch.setattr(outputs.os, failing, fail)
    result = _consolidate(cycle, *(a for k, p in paths.items() for a in (f"--{k}", str(p))))
    monkeypatch.undo()
    assert result.exit_code == 2
    assert expected in result.output and str(paths["out"]) in result.output
    assert {k: _sha(p) for k, p in paths.items()} == before
    assert _leftovers(paths["out"].parent) == []


def test_a_second_run_at_the_same_moment_stops_with_a_message(cycle):
    paths = _first_run(cycle, "twice")
    before = _sha(paths["out"])
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path; from workbook_tools.outputs import locked\n"
         f"with locked(Path({str(paths['out'])!r})):\n    print('held', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        result = _consolidate(cycle, "--out", str(paths["out"]))
    finally:
        holder.kill()
        holder.communicate()
    assert result.exit_code == 2
    assert "một lần chạy khác đang ghi" in result.output and str(paths["out"]) in result.output
    assert _sha(paths["out"]) == before


SLOW_WRITE = (  # the CLI, its summary writer slowed down once the temporary file exists
    "import time\n"
    "import workbook_tools.summary as s\n"
    "original = s.write_hidden\n"
    "def slow(*a, **k):\n"
    "    print('writing', flush=True); time.sleep(60); return original(*a, **k)\n"
    "s.write_hidden = slow\n"
    "from workbook_tools.cli import main\n"
    "main()\n"
)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_mid_write_leaves_the_previous_file_and_exits_2(cycle, signum):
    paths = _first_run(cycle, f"signal-{signum}")
    before = _sha(paths["out"])
    script = SLOW_WRITE  # the signal lands mid-write
    args = ["consolidate", str(cycle["returns"]), "--manifest", str(cycle["manifest"]), "--out", str(paths["out"])]
    process = subprocess.Popen([sys.executable, "-c", script, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=interruptible)
    assert process.stdout.readline().strip() == "writing"
    assert any(p.name.endswith(".tmp") for p in paths["out"].parent.iterdir())
    started = time.monotonic()
    process.send_signal(signum)
    _out, err = process.communicate(timeout=30)
    assert time.monotonic() - started < 20
    assert process.returncode == 2, err
    assert "Đã dừng theo yêu cầu" in err and "Traceback" not in err
    assert _sha(paths["out"]) == before and _leftovers(paths["out"].parent) == []


SLOW_FIGURES = (  # the CLI, the child that writes the national workbook's figure sheets slowed down
    "import time\n"
    "import workbook_tools.summary as s\n"
    "def slow(*a, **k):\n"
    "    print('writing', flush=True); time.sleep(60)\n"
    "s.render_figures = slow\n"
    "from workbook_tools.cli import main\n"
    "main()\n"
)


@pytest.mark.parametrize("script", [SLOW_WRITE, SLOW_FIGURES], ids=["parent writing", "figures child writing"])
@pytest.mark.parametrize("how", ["SIGTERM to the command", "Ctrl-C in the terminal"])
def test_a_stop_while_a_child_encodes_the_json_leaves_both_files_and_no_child(cycle, tmp_path, how, script):
    paths = _first_run(cycle, f"child-{how[:6]}-{len(script)}")
    before = {k: _sha(p) for k, p in paths.items()}
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    # by then a child is at work on the JSON (the stop lands while it may still run), another on the figure sheets
    args = ["consolidate", str(cycle["returns"]), "--manifest", str(cycle["manifest"]),
            "--out", str(paths["out"]), "--json", str(paths["json"])]
    process = subprocess.Popen([sys.executable, "-c", script, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "TMPDIR": str(scratch)}, start_new_session=True, preexec_fn=interruptible)
    assert process.stdout.readline().strip() == "writing"
    pids = children(process.pid)
    assert [p.name for p in scratch.iterdir() if p.name.startswith("workbook-tools-")], "no child at work on the JSON"
    if how.startswith("SIGTERM"):
        process.send_signal(signal.SIGTERM)
    else:
        os.killpg(process.pid, signal.SIGINT)
    _out, err = process.communicate(timeout=30)
    assert process.returncode == 2, err
    assert "Đã dừng theo yêu cầu" in err and "Traceback" not in err
    assert {k: _sha(p) for k, p in paths.items()} == before
    assert list(scratch.iterdir()) == [] and _leftovers(paths["out"].parent) == []
    assert all(not Path(f"/proc/{pid}").exists() for pid in pids)


def test_an_unexpected_exception_is_one_line_and_a_log_with_the_traceback(cycle, monkeypatch, tmp_path):
    def broken(*_args, **_kwargs):
        raise RuntimeError("injected failure")

    monkeypatch.setattr("workbook_tools.consolidate.consolidate", broken)
    result = _consolidate(cycle, "--out", str(tmp_path / "national.xlsx"))
    assert result.exit_code == 2
    lines = [line for line in result.output.strip().splitlines() if line != "Đọc báo cáo"]
    assert len(lines) == 1 and lines[0].startswith("Error: Lỗi không mong đợi (RuntimeError: injected failure); chi tiết ở ")
    log = Path(lines[0].split("chi tiết ở ")[1].split(". Hãy")[0])
    assert log.parent == Path(os.environ["WORKBOOK_TOOLS_DATA"]) / "logs"
    text = log.read_text(encoding="utf-8")
    assert "Traceback" in text and "injected failure" in text and "def broken" not in result.output
    assert not (tmp_path / "national.xlsx").exists()


def test_json_output_refuses_nan_and_infinity_instead_of_writing_invalid_json(cycle, monkeypatch, tmp_path):
    from workbook_tools.consolidate import Consolidation

    original = Consolidation.as_dict
    monkeypatch.setattr(Consolidation, "as_dict", lambda self, **kw: {**original(self, **kw), "overflow": [1.0, float("inf")]})
    target = tmp_path / "national.json"
    result = _consolidate(cycle, "--out", str(tmp_path / "national.xlsx"), "--json", str(target))
    assert result.exit_code == 2
    assert "NaN hoặc vô cực" in result.output and "$.overflow[1]" in result.output
    assert not target.exists() and _leftovers(tmp_path) == []
    with pytest.raises(OutputError):
        outputs.dumps_json({"x": float("nan")})


def test_generate_into_a_path_under_a_file_is_one_sentence(tmp_path):
    blocker = tmp_path / "so.xlsx"
    blocker.write_text("x", encoding="utf-8")
    result = CliRunner().invoke(main, ["generate", "--plan", "2800-2021", "--out", str(blocker / "so"), "--unit", "01"])
    assert result.exit_code == 2 and str(blocker / "so") in result.output and "Traceback" not in result.output


def test_generate_national_and_addin_build_refuse_foreign_files(tmp_path):
    foreign = tmp_path / "tong-hop.xlsx"
    foreign.write_bytes(b"someone's workbook")
    result = CliRunner().invoke(main, ["generate-national", "--plan", "2800-2021", "--out", str(foreign)])
    assert result.exit_code == 2 and foreign.read_bytes() == b"someone's workbook"
    xlam = tmp_path / "dist" / "bhxh_tools.xlam"
    xlam.parent.mkdir()
    xlam.write_bytes(b"someone else's add-in")
    result = CliRunner().invoke(main, ["addin", "build", "--out", str(xlam.parent)])
    assert result.exit_code == 2 and xlam.read_bytes() == b"someone else's add-in"
    shim = xlam.parent / "bhxh_tools.py"
    shim.write_text("print('mine')\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["addin", "build", "--out", str(xlam.parent), "--from-template", "--force"])
    assert result.exit_code == 0, result.output
    xlam.unlink()
    shim.write_text("print('mine')\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["addin", "build", "--out", str(xlam.parent), "--from-template"])
    assert result.exit_code == 2 and shim.read_text(encoding="utf-8") == "print('mine')\n"
    assert not xlam.exists()
    forced = CliRunner().invoke(main, ["addin", "build", "--out", str(xlam.parent), "--force"])
    assert forced.exit_code == 0, forced.output
    again = CliRunner().invoke(main, ["addin", "build", "--out", str(xlam.parent)])
    assert again.exit_code == 0, again.output
    assert _leftovers(xlam.parent) == []


def test_another_plans_national_workbook_is_refused_and_force_starts_afresh(cycle, tmp_path):
    paths = _first_run(cycle, "plan-a")
    before = _sha(paths["out"])
    runner = CliRunner()
    blank = tmp_path / "blank-b"
    assert runner.invoke(main, ["generate", "--plan", "275-2021", "--out", str(blank), "--unit", "01"]).exit_code == 0
    returns_b = tmp_path / "returns-b"
    returns_b.mkdir()
    fill(blank / "01-ha-noi.xlsx", {("mau01", "round_date", "uom"): DATE, ("mau01", "bhyt", "actual:2021-09"): 5_000},
         returns_b / "01-ha-noi.xlsx")
    args = ["consolidate", str(returns_b), "--plan", "275-2021", "--out", str(paths["out"]), "--json", str(tmp_path / "b.json")]
    refused = runner.invoke(main, args)
    assert refused.exit_code == 2
    assert str(paths["out"]) in refused.output and "2800-2021" in refused.output and "275-2021" in refused.output
    assert _sha(paths["out"]) == before and not (tmp_path / "b.json").exists()
    forced = runner.invoke(main, [*args, "--force"])
    assert forced.exit_code == 1, forced.output  # 62 units of plan B have not reported
    units = {u["code"]: u for u in json.loads((tmp_path / "b.json").read_text(encoding="utf-8"))["units"]}
    assert units["01"]["status"] == "accepted" and units["01"]["file"] == "01-ha-noi.xlsx"
    assert units["30"]["status"] == units["31"]["status"] == "missing"  # plan A's held figures were not carried
    from workbook_tools.held import load_held
    assert set(load_held(paths["out"])) == {"01"}


def test_the_addin_refuses_to_mix_another_plans_held_figures(tmp_path, monkeypatch):
    import xlwings

    from workbook_tools import addin

    from .fake_xlwings import FakeBook

    runner = CliRunner()
    blank = tmp_path / "blank"
    assert runner.invoke(main, ["generate", "--plan", "2800-2021", "--out", str(blank), "--unit", "01"]).exit_code == 0
    returns = tmp_path / "returns"
    returns.mkdir()
    fill(blank / "01-ha-noi.xlsx", {("mau01", "round_date", "uom"): DATE, ("mau01", "bhyt", "actual:2021-09"): 7}, returns / "01-ha-noi.xlsx")
    national = tmp_path / "national.xlsx"
    assert runner.invoke(main, ["generate-national", "--plan", "2800-2021", "--out", str(national), "--returns-dir", str(returns)]).exit_code == 0
    book = FakeBook.from_xlsx(national)
    monkeypatch.setattr(xlwings.Book, "caller", staticmethod(lambda: book))
    sheet = book.sheets[addin.CONFIG_SHEET]

    def setting(key: str, value: str) -> None:
        row = next(r for (r, c), v in sheet.cells.items() if c == 1 and v == key)
        sheet.range((row, 3)).value = value

    out = tmp_path / "tong-hop.xlsx"
    setting("manifest", str(blank / "manifest.json"))
    setting("out_file", str(out))
    assert addin.run_consolidate(book).startswith("Đã tổng hợp 2800-2021")
    held_before = out.read_bytes()
    setting("plan", "275-2021")
    setting("manifest", "")
    book.app.books.user_closes_outputs()
    message = addin.run_consolidate(book)
    assert "là sổ tổng hợp của kế hoạch 2800-2021" in message and "275-2021" in message
    assert out.read_bytes() == held_before


def test_a_damaged_held_sheet_is_a_message_and_force_starts_afresh(cycle, tmp_path):
    import zipfile

    paths = _first_run(cycle, "damaged")
    damaged = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(paths["out"]) as source, zipfile.ZipFile(damaged, "w") as target:
        names = source.read("xl/workbook.xml").decode()
        number = names[: names.index("name=\"_data\"")].count("<sheet ")
        for info in source.infolist():
            data = source.read(info.filename)
            target.writestr(info, data[: len(data) // 2] if info.filename == f"xl/worksheets/sheet{number}.xml" else data)
    before = _sha(damaged)
    refused = _consolidate(cycle, "--out", str(damaged))
    assert refused.exit_code == 2 and "sheet ẩn _data" in refused.output and str(damaged) in refused.output
    assert _sha(damaged) == before
    rolled = CliRunner().invoke(main, ["next-period", "--from", str(damaged), "--plan", "1813-2023", "--out", str(tmp_path / "next")])
    assert rolled.exit_code == 2 and "sheet ẩn _data" in rolled.output
    assert _consolidate(cycle, "--out", str(damaged), "--force").exit_code == 0


def test_split_stores_nothing_when_the_plan_exists_and_keeps_a_hand_made_structure(tmp_path):
    shares = tmp_path / "ty-le.csv"
    shares.write_text("Tên huyện,Tỷ lệ\nQuận Ba Đình,1\nQuận Hoàn Kiếm,2\n", encoding="utf-8")
    data = tmp_path / "data"
    args = ["--data-dir", str(data), "targets", "split", "2800-2021", "--unit", "01", "--by", str(shares)]
    assert CliRunner().invoke(main, args).exit_code == 0
    units = data / "units" / "huyen-63-01.csv"
    stored = {p.name: _sha(p) for p in (data / "units").iterdir()} | {p.name: _sha(p) for p in (data / "plans").iterdir()}
    shares.write_text("Tên huyện,Tỷ lệ\nQuận Tây Hồ,1\n", encoding="utf-8")
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 2 and "--force" in again.output
    assert {p.name: _sha(p) for p in (data / "units").iterdir()} | {p.name: _sha(p) for p in (data / "plans").iterdir()} == stored
    units.with_suffix(".json").write_text('{"label": "của tôi"}\n', encoding="utf-8")
    other = CliRunner().invoke(main, [*args, "--plan-id", "khac"])
    assert other.exit_code == 2 and str(units) in other.output and "Quận Ba Đình" in units.read_text(encoding="utf-8")
    assert _leftovers(data / "units") == [] and _leftovers(data / "plans") == []


def test_a_read_only_folder_is_one_sentence_and_the_old_file_stays(cycle):
    # A real permission check: the folder is made read-only with chmod, and the command runs as an
    # ordinary user (as root, which chmod does not stop, it is run as `nobody` through setpriv).
    import shutil
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="wt-ro-", dir="/tmp"))
    try:
        base.chmod(0o755)
        shutil.copytree(cycle["returns"], base / "returns")
        shutil.copy(cycle["manifest"], base / "manifest.json")
        folder = base / "chi-doc"
        folder.mkdir()
        national = folder / "national.xlsx"
        args = ["consolidate", str(base / "returns"), "--manifest", str(base / "manifest.json"), "--out", str(national)]
        assert CliRunner().invoke(main, args).exit_code == 0
        before = _sha(national)
        for path in base.rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)
        folder.chmod(0o555)
        command = [sys.executable, "-c", "from workbook_tools.cli import main; main()", *args]
        if os.geteuid() == 0:
            command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command]
        env = {**os.environ, "WORKBOOK_TOOLS_DATA": str(base / "data")}
        result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
        assert result.returncode == 2, result.stderr
        assert "không có quyền ghi" in result.stderr and str(national) in result.stderr and "Traceback" not in result.stderr
        assert _sha(national) == before and _leftovers(folder) == []
    finally:
        for path in [base, *base.rglob("*")]:
            if path.is_dir():
                path.chmod(0o755)
        shutil.rmtree(base)


def test_the_addin_never_generates_into_the_returns_folder(cycle, tmp_path, monkeypatch):
    from workbook_tools import addin

    from .fake_xlwings import FakeBook

    national = tmp_path / "national.xlsx"
    args = ["generate-national", "--plan", "2800-2021", "--out", str(national), "--returns-dir", str(cycle["returns"])]
    assert CliRunner().invoke(main, args).exit_code == 0
    book = FakeBook.from_xlsx(national)
    sheet = book.sheets[addin.CONFIG_SHEET]
    for key, value in (("action", addin.ACTION_GENERATE), ("out_dir", str(cycle["returns"]))):
        row = next(r for (r, c), v in sheet.cells.items() if c == 1 and v == key)
        sheet.range((row, 3)).value = value
    before = _returned_hashes(cycle)
    message = addin.run(book)
    assert "trùng với thư mục báo cáo gửi về" in message
    assert _returned_hashes(cycle) == before


def test_a_list_made_item_by_item_is_written_as_that_list_each_item_made_only_when_written(tmp_path):
    made: list[int] = []

    def unit(n: int) -> dict:
        made.append(n)
        return {"code": f"{n:02d}", "half": n / 2}

    text = ""
    for piece in outputs.json_pieces({"plan": "x", "units": outputs.Each(range(4), unit), "none": outputs.Each([], unit)}):
        text += piece
        assert len(made) == text.count('"code"')  # no item made before its turn to be written
    assert json.loads(text) == {"plan": "x", "units": [unit(n) for n in range(4)], "none": []}

    def overflowing(n: int) -> dict:
        return {"code": str(n), "actual": float("inf") if n == 2 else 1.0}

    with pytest.raises(OutputError, match=r"\$\.units\[2\]\.actual"):
        outputs.encode_json({"units": outputs.Each(range(3), overflowing)}, tmp_path / "x.json")
