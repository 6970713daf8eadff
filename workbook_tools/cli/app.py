"""The `workbook-tools` group and what every command shares: errors, tables, JSON, dates."""

from __future__ import annotations

import os
import signal
import sys
import tempfile
import threading
import traceback
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click

from .. import __version__
from ..datafiles import data_dirs, use_data_dirs, user_data_dir
from ..errors import WorkbookToolsError
from ..outputs import dumps_json


class ToolError(click.ClickException):
    """A domain error shown without a traceback, exit code 2 (unreadable input)."""

    exit_code = 2


STOPPED = "Đã dừng theo yêu cầu (Ctrl-C hoặc lệnh dừng): không tệp kết quả nào bị ghi dở, tệp cũ vẫn nguyên vẹn."
TRACEBACK_ENV = "WORKBOOK_TOOLS_TRACEBACK"


class Group(click.Group):
    """A click group whose commands end in a message and exit code 2 on any failure, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the sub-command: expected errors, Ctrl-C/SIGTERM and surprises each become one line."""
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Abort, click.exceptions.Exit):
            raise
        except WorkbookToolsError as exc:
            raise ToolError(str(exc)) from exc
        except KeyboardInterrupt:
            raise ToolError(STOPPED) from None
        except Exception as exc:
            if os.environ.get(TRACEBACK_ENV):
                raise
            log = write_crash_log(exc)
            raise ToolError(f"Lỗi không mong đợi ({type(exc).__name__}: {exc}); chi tiết ở {log}. "
                            "Hãy gửi tệp này cho bộ phận CNTT.") from exc

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """The whole run: SIGTERM stops it the way Ctrl-C does, so temporary files are cleaned up."""
        previous = _on_sigterm(_stop)
        try:
            return super().main(*args, **kwargs)
        finally:
            _on_sigterm(previous)


def _stop(_signum: int, _frame: Any) -> None:
    """SIGTERM handler: unwind like Ctrl-C (finally blocks remove temporary files)."""
    raise KeyboardInterrupt


def _on_sigterm(handler: Any) -> Any:
    """Install a SIGTERM handler where the platform and thread allow it; returns the previous one."""
    if handler is None or not hasattr(signal, "SIGTERM") or threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, handler)


def log_dir() -> Path:
    """Where crash logs go: `logs` in the user data folder, else the system's temporary folder."""
    folder = user_data_dir() / "logs"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    except OSError:
        return Path(tempfile.gettempdir())


def write_crash_log(exc: BaseException) -> Path:
    """Write the traceback (with the command line) to a new log file and return its path."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    text = f"workbook-tools {__version__}\n{' '.join(sys.argv)}\n\n" + "".join(traceback.format_exception(exc))
    for folder in (log_dir(), Path(tempfile.gettempdir())):
        path = folder / f"workbook-tools-loi-{stamp}-{os.getpid()}.log"
        try:
            path.write_text(text, encoding="utf-8")
            return path
        except OSError:
            continue
    return Path("(không ghi được nhật ký)")


def emit_json(payload: Any) -> None:
    """Print JSON for scripts: UTF-8 names kept readable, stable indentation."""
    click.echo(dumps_json(payload, indent=2))


def format_number(value: int | float | None) -> str:
    """Thousands separators for people; an empty cell for nothing."""
    if value is None:
        return ""
    return f"{value:,}" if isinstance(value, int) else f"{value:,.2f}"


def print_table(headers: list[str], rows: list[list[str]], numeric_from: int = 1) -> None:
    """Aligned text table: text columns left, numeric columns right."""
    widths = [max(len(str(c)) for c in column) for column in zip(headers, *rows)]
    def line(cells: list[str]) -> str:
        return "  ".join(
            str(c).rjust(w) if i >= numeric_from else str(c).ljust(w) for i, (c, w) in enumerate(zip(cells, widths))
        ).rstrip()
    click.echo(line(headers))
    click.echo("  ".join("-" * w for w in widths))
    for row in rows:
        click.echo(line(row))


def parse_day(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    """Accept an ISO date (2025-07-01) or a Vietnamese one (01/07/2025)."""
    if value is None:
        return None
    for parse in (date.fromisoformat, lambda v: date(*reversed([int(x) for x in v.split("/")]))):
        try:
            return parse(value)
        except (ValueError, TypeError):
            continue
    raise click.BadParameter(f"{value!r} is not a date (use 2025-07-01 or 01/07/2025)")


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="workbook-tools")
@click.option(
    "--data-dir",
    "extra_dirs",
    multiple=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder with user plans and structures, searched first; imports are stored there (default: $WORKBOOK_TOOLS_DATA or the user data folder).",
)
@click.pass_context
def main(ctx: click.Context, extra_dirs: tuple[Path, ...]) -> None:
    """Targets and reports of BHXH Việt Nam through Excel workbooks."""
    use_data_dirs(extra_dirs)
    ctx.obj = _Settings()


class _Settings(dict):
    """What commands share through click's context; the data folders are found when first asked for."""

    def __missing__(self, key: str) -> Any:
        """Look the data folders up lazily (platformdirs is not needed by every command)."""
        if key != "dirs":
            raise KeyError(key)
        self[key] = data_dirs()
        return self[key]




def parse_profile(_ctx: click.Context, _param: click.Parameter, value: str | None) -> tuple[float, ...] | None:
    """'20,35,30,15' → weights for splitting a total over the plan's months."""
    if not value:
        return None
    try:
        return tuple(float(part) for part in value.replace(";", ",").split(","))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a list of numbers such as 20,35,30,15") from None
