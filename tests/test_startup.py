"""The command line starts at once: `--help` and `units` never load the heavy modules (checked, not timed)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("xlsxwriter", "pandas", "openpyxl", "python_calamine", "multiprocessing", "concurrent.futures.process",
         "urllib.request", "http.client", "ssl", "email", "xml.sax")


def modules_loaded_by(*argv: str) -> tuple[set[str], str]:
    """Run the CLI in a fresh interpreter and return the modules it imported, and its output."""
    code = (
        "import sys, json\n"
        "from workbook_tools.cli import main\n"
        "try:\n"
        f"    main({list(argv)!r}, prog_name='workbook-tools')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(json.dumps(sorted(sys.modules)), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(done.stderr.strip().splitlines()[-1])), done.stdout


@pytest.mark.parametrize("argv", [("--help",), ("units",), ("units", "--json"), ("check", "--help"), ("consolidate", "--help")])
def test_help_and_units_load_no_heavy_module(argv):
    loaded, output = modules_loaded_by(*argv)
    assert output.strip(), "the command printed nothing"
    assert sorted(m for m in HEAVY if m in loaded) == []


def test_help_still_lists_every_command():
    _loaded, output = modules_loaded_by("--help")
    for command in ("units", "targets", "check", "consolidate", "generate", "generate-national", "next-period", "addin"):
        assert f"  {command} " in output


def test_consolidate_loads_the_writer_when_it_runs(tmp_path):
    (tmp_path / "returns").mkdir()
    loaded, output = modules_loaded_by("consolidate", str(tmp_path / "returns"), "--plan", "2800-2021", "--out", str(tmp_path / "national.xlsx"))
    assert "63 chưa nộp" in output and (tmp_path / "national.xlsx").is_file()
    assert "xlsxwriter" in loaded  # returns are read by cells.py, calamine only for a held national workbook


@pytest.mark.parametrize(("argv", "code"), [(["units"], 0), (["check", "/nonexistent/returns", "--plan", "2800-2021"], 2)])
def test_console_script_keeps_the_exit_code_and_skips_the_last_collection(argv, code):
    script = (
        "import gc, sys\n"
        "from workbook_tools.cli import run\n"
        f"sys.argv = ['workbook-tools', *{argv!r}]\n"
        "try:\n"
        "    run()\n"
        "except SystemExit as exc:\n"
        "    print('exit', exc.code, 'frozen', gc.get_freeze_count() > 0, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stderr.strip().splitlines()[-1] == f"exit {code} frozen True"
