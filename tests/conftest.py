"""Shared fixtures: a CLI runner that lets exceptions through, and the shipped data folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from workbook_tools.datafiles import shipped_data_dir

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def runner() -> CliRunner:
    """Click's runner; exceptions propagate so a crash is a failure, not an exit code."""
    return CliRunner()


@pytest.fixture
def data_dir() -> Path:
    """The shipped data folder."""
    return shipped_data_dir()
