"""The national figures for scripts: JSON (DESIGN.md §8) and CSV, written atomically."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from .consolidate import Consolidation


def write_json(result: Consolidation, path: Path) -> None:
    """The same figures for scripts (DESIGN §8), written atomically."""
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        with temporary.open("w", encoding="utf-8") as handle:
            handle.writelines(json_pieces(result.as_dict()))
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    os.replace(temporary, path)


def json_pieces(payload: dict[str, Any]) -> Iterator[str]:
    """Strict JSON, one top-level key a line and one list item (a unit, a figure, a problem) a line.

    Each piece goes through json's C encoder (it is not used with `indent`) and straight to the
    file: thousands of units encode several times faster, the text is never held whole in memory,
    and the file still reads line by line.
    """
    def encode(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, default=_json_default, allow_nan=False)

    for number, (key, value) in enumerate(payload.items()):
        yield ("{\n  " if number == 0 else ",\n  ") + encode(key) + ": "
        if isinstance(value, list) and value:
            yield "[\n    " + encode(value[0])
            for item in value[1:]:
                yield ",\n    " + encode(item)
            yield "\n  ]"
        else:
            yield encode(value)
    yield "{}\n" if not payload else "\n}\n"


def _json_default(value: Any) -> Any:
    """Dates as ISO text."""
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(type(value))


def csv_rows(result: Consolidation) -> Iterator[list[Any]]:
    """Long rows: one per unit (and national) × indicator × period."""
    yield ["code", "name", "status", "indicator", "period", "target", "actual", "completion"]
    for unit in result.units:
        for f in unit.values:
            yield [unit.code, unit.name, unit.status, f.indicator, f.period, f.target, f.actual, f.completion]
    for f in result.national:
        yield ["national", "Cộng các tỉnh", "", f.indicator, f.period, f.target, f.actual, f.completion]


def write_csv(result: Consolidation, path: Path) -> None:
    """The figures as CSV (UTF-8 with BOM so Excel shows Vietnamese names)."""
    temporary = path.with_name(f".{path.name}.tmp")
    with temporary.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(["" if v is None else v for v in row] for row in csv_rows(result))
    os.replace(temporary, path)
