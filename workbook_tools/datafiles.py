"""Where the shipped reference data and form templates live, installed or in a checkout."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import DataFileError

_PACKAGE = Path(__file__).resolve().parent
DATA_DIR_ENV = "WORKBOOK_TOOLS_DATA"
_EXTRA_DIRS: list[Path] = []


def first_existing(*candidates: Path) -> Path:
    """Prefer the copy bundled in a wheel, fall back to the checkout's top-level folder."""
    for path in candidates:
        if path.is_dir():
            return path
    raise DataFileError(f"data folder not found; looked in: {', '.join(map(str, candidates))}")


@lru_cache(maxsize=1)
def shipped_data_dir() -> Path:
    """The read-only `data/` folder shipped with the tool (looked for once: each return read asks)."""
    return first_existing(_PACKAGE / "_data", _PACKAGE.parent / "data")


def templates_dir() -> Path:
    """The `templates/` folder holding the declarative form descriptions."""
    return first_existing(_PACKAGE / "_templates", _PACKAGE.parent / "templates")


def read_csv(path: Path) -> list[dict[str, str]]:
    """Read a UTF-8 CSV (BOM tolerated) into dicts, naming the file when it is missing."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return list(csv.DictReader(handle))
    except FileNotFoundError as exc:
        raise DataFileError(f"missing data file: {path}") from exc


def read_json(path: Path) -> Any:
    """Read a JSON file, naming it when it is missing or malformed."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DataFileError(f"missing data file: {path}") from exc
    except json.JSONDecodeError as exc:
        raise DataFileError(f"{path}: not valid JSON ({exc})") from exc


def user_data_dir() -> Path:
    """Where imported plans and user structures are stored: $WORKBOOK_TOOLS_DATA, else the platform's user data folder."""
    if os.environ.get(DATA_DIR_ENV):
        return Path(os.environ[DATA_DIR_ENV])
    import platformdirs

    return Path(platformdirs.user_data_dir("workbook-tools", appauthor=False))


def use_data_dirs(dirs: Iterable[Path]) -> None:
    """Folders given on the command line (--data-dir), searched before the others for this process."""
    _EXTRA_DIRS[:] = [Path(d) for d in dirs]


def data_dirs(extra: Iterable[Path] = ()) -> tuple[Path, ...]:
    """Folders searched for plans and structures: given ones, --data-dir, the user folder, then the shipped data."""
    found: list[Path] = []
    for folder in (*map(Path, extra), *_EXTRA_DIRS, user_data_dir(), shipped_data_dir()):
        if folder not in found:
            found.append(folder)
    return tuple(found)


def writable_data_dir() -> Path:
    """Where an import or a split stores what it makes: the first --data-dir, else the user folder."""
    return _EXTRA_DIRS[0] if _EXTRA_DIRS else user_data_dir()
