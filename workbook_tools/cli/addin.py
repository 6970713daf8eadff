"""The Excel add-in: build and install."""

from __future__ import annotations

from pathlib import Path

import click

from .app import Group, main


@main.group("addin", cls=Group)
def addin_group() -> None:
    """The Excel add-in: build it without Excel, and how to install it on Windows."""


@addin_group.command("build")
@click.option("--out", "out_dir", default="dist", show_default=True, type=click.Path(file_okay=False, path_type=Path), help="Folder for bhxh_tools.xlam and bhxh_tools.py.")
@click.option("--interpreter", default="", help="Python on the user's PC, written into the add-in's config (Interpreter_Win).")
@click.option("--force", is_flag=True, help="Replace files of the same name that workbook-tools did not build.")
def addin_build_command(out_dir: Path, interpreter: str, force: bool) -> None:
    """Assemble bhxh_tools.xlam from xlwings' ribbon add-in template and macros/ (reproducible)."""
    from ..addin_build import build_addin

    for path in build_addin(out_dir, interpreter, force=force):
        click.echo(f"wrote {path}")


@addin_group.command("install")
@click.option("--out", "out_dir", default="dist", show_default=True, type=click.Path(file_okay=False, path_type=Path), help="Folder of the built add-in.")
def addin_install_command(out_dir: Path) -> None:
    """Print the one-time set-up of the add-in on a Windows PC (Python, xlwings, Trust Center)."""
    from ..addin_build import ADDIN_NAME, INSTALL_STEPS

    click.echo(INSTALL_STEPS.format(xlam=out_dir / f"{ADDIN_NAME}.xlam", shim=out_dir / f"{ADDIN_NAME}.py"))


