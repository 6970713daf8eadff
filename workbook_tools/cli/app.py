"""The `workbook-tools` group and what every command shares: errors, tables, JSON, dates."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import click

from .. import __version__
from ..datafiles import data_dirs, use_data_dirs
from ..errors import WorkbookToolsError


class ToolError(click.ClickException):
    """A domain error shown without a traceback, exit code 2 (unreadable input)."""

    exit_code = 2


class Group(click.Group):
    """A click group that turns the core's expected errors into ToolError."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the sub-command, translating WorkbookToolsError."""
        try:
            return super().invoke(ctx)
        except WorkbookToolsError as exc:
            raise ToolError(str(exc)) from exc


def emit_json(payload: Any) -> None:
    """Print JSON for scripts: UTF-8 names kept readable, stable indentation."""
    click.echo(json.dumps(payload, ensure_ascii=False, indent=2))


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
