"""The Excel add-in: build and install."""

from __future__ import annotations

from pathlib import Path

import click

from .app import Group, main


@main.group("addin", cls=Group)
def addin_group() -> None:
    """The Excel add-in: build it without Excel, and how to install it on Windows."""


@addin_group.command("build")
@click.option("--out", "out_dir", default="dist", show_default=True, type=click.Path(file_okay=False, path_type=Path), help="Folder for bhxh_tools.xlam.")
@click.option("--interpreter", default=None, help="Python on the user's PC, written into the add-in's config (Interpreter_Win); default: the Python running this command.")
@click.option("--from-template", is_flag=True, help="Fallback: xlwings' template VBA byte for byte, one button (Thực hiện) running the action chosen on Cấu hình, plus bhxh_tools.py.")
@click.option("--force", is_flag=True, help="Replace files of the same name that workbook-tools did not build.")
def addin_build_command(out_dir: Path, interpreter: str | None, from_template: bool, force: bool) -> None:
    """Build bhxh_tools.xlam from the VBA and ribbon in macros/ (reproducible, no Excel needed)."""
    from ..addin_build import build_addin, default_interpreter

    chosen = interpreter or default_interpreter()
    for path in build_addin(out_dir, chosen, from_template=from_template, force=force):
        click.echo(f"wrote {path}")
    click.echo(f"Interpreter_Win = {chosen}")
    if not (len(chosen) > 2 and chosen[1] == ":" and chosen.lower().endswith(".exe")):
        click.echo("note: this is not a Windows python.exe; build on the user's PC, or pass --interpreter C:\\...\\python.exe", err=True)


@addin_group.command("install")
@click.option("--out", "out_dir", default="dist", show_default=True, type=click.Path(file_okay=False, path_type=Path), help="Folder of the built add-in.")
def addin_install_command(out_dir: Path) -> None:
    """Print the one-time set-up of the add-in on a Windows PC (Python, pip, Trust Center, Excel)."""
    from ..addin_build import ADDIN_NAME, INSTALL_STEPS, PIP_INSTALL

    click.echo(INSTALL_STEPS.format(xlam=out_dir / f"{ADDIN_NAME}.xlam", pip=PIP_INSTALL))
