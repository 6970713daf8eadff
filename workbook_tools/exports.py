"""The national figures for scripts: JSON (DESIGN.md §8) and CSV, written through `outputs`."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from . import outputs
from .consolidate import Consolidation, UnitResult

CSV_HEADER = ("code", "name", "status", "indicator", "period", "target", "actual", "completion", "note")


def write_json(result: Consolidation, path: Path, *, force: bool = False, keep_out: Sequence[Path] = (),
               encoded: Path | None = None) -> None:
    """The same figures for scripts (docs/json.md), strict JSON, replacing only a JSON this tool wrote
    (`encoded`: the text `encode_json` made of the same result, so it is not encoded twice)."""
    outputs.write_json(path, {} if encoded else json_payload(result), force=force, keep_out=keep_out, encoded=encoded)


def encode_json(result: Consolidation, file: Path) -> None:
    """The JSON text of a result into a scratch file (made while the national workbook is written)."""
    outputs.encode_json(json_payload(result), file)


def json_payload(result: Consolidation) -> dict[str, Any]:
    """`result.as_dict()`, each unit's dict made as it is written rather than all of them first."""
    payload = result.as_dict(units=False)
    payload["units"] = outputs.Each(result.units, UnitResult.as_dict)
    return payload


def csv_rows(result: Consolidation) -> Iterator[list[Any]]:
    """Long rows: one per unit (and national) × indicator × period."""
    yield list(CSV_HEADER)
    for unit in result.units:
        for f in unit.values:
            yield [unit.code, unit.name, unit.status, f.indicator, f.period, f.target, f.actual, f.completion, None]
        for period, note in unit.notes.items():
            yield [unit.code, unit.name, unit.status, "ghi_chu", period, None, None, None, note]
    for f in result.national:
        yield ["national", "Cộng các tỉnh", "", f.indicator, f.period, f.target, f.actual, f.completion, None]


def write_csv(result: Consolidation, path: Path, *, force: bool = False, keep_out: Sequence[Path] = ()) -> None:
    """The figures as CSV (UTF-8 with BOM so Excel shows Vietnamese names); replaces only our own CSV."""
    outputs.write_text(path, outputs.csv_text(csv_rows(result)), encoding="utf-8-sig",
                       ours=outputs.csv_with_header(CSV_HEADER), force=force, keep_out=keep_out)
