"""The figures a national summary keeps between rounds (hidden `_data` sheet), read back.

So the next consolidation can tell a newer round from an older one, and a unit absent from the
new folder keeps the figures it had.
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from python_calamine import CalamineWorkbook

from .consolidate import Source
from .read import custom_properties
from .values import parse_date

NATIONAL_KIND = "national"
DATA_SHEET = "_data"
TASK_PREFIX = "mau02:"
DATA_COLUMNS = ("unit", "round_date", "file", "sha256", "indicator", "period", "actual")


def is_ours(path: Path, kind: str = NATIONAL_KIND) -> bool:
    """True when a file is a national summary of that kind this tool wrote (safe to replace)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return custom_properties(archive).get("kind") == kind
    except (zipfile.BadZipFile, OSError, KeyError):
        return False


def load_held(path: Path) -> dict[str, Source]:
    """The figures a previous consolidation kept (empty when there is no previous summary)."""
    if not path.exists() or not is_ours(path):
        return {}
    book = CalamineWorkbook.from_path(str(path))
    try:
        rows = book.get_sheet_by_name(DATA_SHEET).to_python()
    finally:
        book.close()
    return held_from_rows(rows)


def held_from_rows(rows: Sequence[Sequence[Any]]) -> dict[str, Source]:
    """Sources from the rows of a `_data` sheet (header first), wherever they were read from."""
    grouped: dict[str, dict[str, Any]] = {}
    for row in rows[1:]:
        record = dict(zip(DATA_COLUMNS, row))
        if not record.get("unit"):
            continue
        entry = grouped.setdefault(str(record["unit"]), {"meta": record, "actuals": {}, "tasks": {}})
        name = str(record["indicator"] or "")
        if name.startswith(TASK_PREFIX):
            entry["tasks"][(name[len(TASK_PREFIX):], record["period"])] = record["actual"]
        elif name:
            entry["actuals"][(name, record["period"])] = record["actual"]
    return {
        unit: Source(unit, parse_date(e["meta"]["round_date"]), str(e["meta"]["file"]), str(e["meta"]["sha256"]),
                     e["actuals"], held=True, tasks=e["tasks"])
        for unit, e in grouped.items()
    }
