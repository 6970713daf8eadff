"""Docs that cannot drift: every command has help and is named in the README."""

from __future__ import annotations

import json

import click

from workbook_tools.cli import main

from .conftest import REPO


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in group.commands.items():
        full = f"{prefix}{name}"
        found.append((full, command))
        if isinstance(command, click.Group):
            found.extend(_commands(command, full + " "))
    return found


def test_every_command_has_help_and_is_in_the_readme():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name, command in _commands(main):
        assert command.help, f"{name} has no help"
        if not isinstance(command, click.Group):
            assert f"workbook-tools {name}" in readme, f"{name} missing from README"


def test_readme_first_screen_has_both_setup_commands():
    first_screen = "\n".join((REPO / "README.md").read_text(encoding="utf-8").splitlines()[:30])
    assert "pip install" in first_screen and "bash .ci/run" in first_screen


def test_ci_runs_the_readme_test_command():
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "pytest" in ci and "libreoffice" in ci


def test_the_json_contract_in_docs_names_every_key_the_tool_writes(runner, tmp_path):
    from workbook_tools.exports import CSV_HEADER

    contract = (REPO / "docs" / "json.md").read_text(encoding="utf-8")
    assert runner.invoke(main, ["generate", "--plan", "2800-2021", "--out", str(tmp_path / "so"), "--unit", "01"]).exit_code == 0
    (tmp_path / "returns").mkdir()
    result = runner.invoke(main, ["consolidate", str(tmp_path / "returns"), "--manifest", str(tmp_path / "so" / "manifest.json"),
                                  "--out", str(tmp_path / "n.xlsx"), "--json", str(tmp_path / "n.json")])
    assert result.exit_code == 1, result.output  # the one unit expected is missing
    payload = json.loads((tmp_path / "n.json").read_text(encoding="utf-8"))
    manifest = json.loads((tmp_path / "so" / "manifest.json").read_text(encoding="utf-8"))
    keys = {*payload, *payload["units"][0], *payload["national"][0], *manifest, *manifest["units"][0]}
    missing = sorted(k for k in keys if f"`{k}`" not in contract and f'"{k}"' not in contract)
    assert missing == [], f"docs/json.md does not describe {missing}"
    assert ",".join(CSV_HEADER) in contract
