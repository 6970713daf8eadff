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


@pytest.fixture(scope="session", autouse=True)
def isolated_read_cache(tmp_path_factory):
    """Fixtures of a module or of the session (made before any test's own) never reach the user's read cache either."""
    import os

    previous = os.environ.get("WORKBOOK_TOOLS_CACHE")
    os.environ["WORKBOOK_TOOLS_CACHE"] = str(tmp_path_factory.mktemp("session-read-cache"))
    yield
    if previous is None:
        os.environ.pop("WORKBOOK_TOOLS_CACHE", None)
    else:
        os.environ["WORKBOOK_TOOLS_CACHE"] = previous


@pytest.fixture(autouse=True)
def isolated_user_data(tmp_path_factory, monkeypatch):
    """Imports, splits and the read cache never reach the real user folders, and --data-dir never leaks between tests."""
    from workbook_tools import datafiles

    monkeypatch.setenv(datafiles.DATA_DIR_ENV, str(tmp_path_factory.mktemp("user-data")))
    monkeypatch.setenv("WORKBOOK_TOOLS_CACHE", str(tmp_path_factory.mktemp("read-cache")))  # never the user's cache
    yield
    datafiles.use_data_dirs(())
