"""Rebuild the shipped target plans in ``data/plans/`` from the source documents in ``data/sources/``.

Run ``python -m workbook_tools.seeds`` after changing a source or the table specs below. Figures are
kept exactly as published; disagreements between them are reported by ``targets check``, not fixed.
The three shapes found in the documents are handled: one cell per line (Công văn 275), tab-separated
rows (Kế hoạch 2800) and Markdown tables (Kế hoạch 1813).
"""

from __future__ import annotations

import csv
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .datafiles import shipped_data_dir
from .errors import DataFileError
from .names import fold, resolver
from .plans import PROVINCES_TOTAL_CODE
from .units import NATIONAL_CODE

_NATIONAL_NAMES = {"toan quoc": NATIONAL_CODE, "cong cac tinh": PROVINCES_TOTAL_CODE}
_NUMBER = re.compile(r"^-?\d{1,3}(,\d{3})*$|^-?\d+$")
TIDY_COLUMNS = ("plan", "unit", "indicator", "period", "value", "published_name", "source")


@dataclass(frozen=True)
class Column:
    """Where one published number goes: which plan, indicator and period."""

    plan: str
    indicator: str
    period: str


@dataclass(frozen=True)
class TableSpec:
    """One appendix table: its file, the title that starts it, its layout and its columns."""

    source: str
    label: str
    marker: str
    layout: str
    columns: tuple[Column, ...]


def _months(plan: str, indicator: str) -> tuple[Column, ...]:
    """Total then September–December 2021, the column order of every Kế hoạch 2800 appendix."""
    periods = ("total", "2021-09", "2021-10", "2021-11", "2021-12")
    return tuple(Column(plan, indicator, p) for p in periods)


def _years(indicator: str) -> tuple[Column, ...]:
    """Năm 2023, 2024, 2025 of Kế hoạch 1813, each its own annual plan."""
    return tuple(Column(f"1813-{y}", indicator, "total") for y in (2023, 2024, 2025))


CV275 = "cv-275-BHXH-TST-2021.txt"
KH2800 = "kh-2800-KH-BHXH-2021.txt"
KH1813 = "kh-1813-KH-BHXH-2022.txt"

TABLES: tuple[TableSpec, ...] = (
    TableSpec(
        CV275, "Phụ lục (Công văn 275/BHXH-TST)", "CHỈ TIÊU PHẤN ĐẤU SỐ NGƯỜI THAM GIA", "cells",
        tuple(Column("275-2021", i, "total") for i in ("bhxh_bb", "bhxh_tn", "bhtn", "bhyt")),
    ),
    TableSpec(
        KH2800, "Phụ lục 01", "CHỈ TIÊU PHÁT TRIỂN NGƯỜI THAM GIA, BHXH, BHYT", "tabs",
        _months("2800-2021", "bhxh_bb") + _months("2800-2021", "bhxh_tn") + _months("2800-2021", "bhyt"),
    ),
    TableSpec(KH2800, "Phụ lục 02", "CHỈ TIÊU THU 04 THÁNG", "tabs", _months("2800-2021", "thu")),
    TableSpec(
        KH2800, "Phụ lục 03", "PHỤ LỤC ĐƠN ĐOC ĐƠN VỊ NỢ", "tabs", _months("2800-2021", "thanh_tra")
    ),
    TableSpec(
        KH2800, "Phụ lục 04", "CHỈ TIÊU VÀ SOÁT DỮ LIỆU", "tabs", _months("2800-2021", "ra_soat_thue")
    ),
    TableSpec(
        KH2800, "Phụ lục 05", "CHỈ TIÊU HỒI NGHỊ KHÁCH HÀNG", "tabs", _months("2800-2021", "hoi_nghi")
    ),
    TableSpec(KH1813, "Phụ lục II", "NGƯỜI THAM GIA BHXH BẮT BUỘC\n", "markdown", _years("bhxh_bb")),
    TableSpec(KH1813, "Phụ lục III", "NGƯỜI THAM GIA BHXH TỰ NGUYỆN\n", "markdown", _years("bhxh_tn")),
    TableSpec(KH1813, "Phụ lục IV", "NGƯỜI THAM GIA BẢO HIỂM THẤT NGHIỆP\n", "markdown", _years("bhtn")),
    TableSpec(KH1813, "Phụ lục V", "NGƯỜI THAM GIA BHYT\n", "markdown", _years("bhyt")),
)


def section_text(text: str, spec: TableSpec, all_markers: list[str]) -> str:
    """The text of one appendix: from its title to the next appendix title of the same file."""
    start = text.find(spec.marker)
    if start < 0:
        raise DataFileError(f"{spec.source}: title {spec.marker.strip()!r} of {spec.label} not found")
    ends = [text.find(m, start + len(spec.marker)) for m in all_markers]
    end = min([e for e in ends if e > start] or [len(text)])
    return text[start:end]


def cell_rows(section: str, layout: str) -> Iterator[list[str]]:
    """Rows of non-empty cells, whatever the layout the document used."""
    if layout == "cells":
        for block in re.split(r"\n\s*\n", section):
            cells = [line.strip() for line in block.splitlines() if line.startswith("\t")]
            if cells:
                yield [c for c in cells if c]
    elif layout == "tabs":
        for line in section.splitlines():
            yield [c.strip() for c in line.split("\t") if c.strip()]
    elif layout == "markdown":
        for line in section.splitlines():
            if line.startswith("|"):
                yield [c.strip() for c in line.strip().strip("|").split("|") if c.strip()]
    else:
        raise ValueError(f"unknown layout {layout}")


def parse_number(text: str) -> int | None:
    """A published integer with ',' thousands separators, or None when the cell is not one."""
    cleaned = text.strip()
    return int(cleaned.replace(",", "")) if _NUMBER.match(cleaned) else None


def split_row(cells: list[str], width: int) -> tuple[str, list[int]] | None:
    """(name, numbers) of a data row, or None for headers and notes."""
    rest = cells[1:] if cells and cells[0].isdigit() and len(cells) > width else cells
    if not rest or parse_number(rest[0]) is not None:
        return None
    name = rest[0]
    tail = [c for c in rest[1:] if fold(c) != fold(name)]
    numbers = [parse_number(c) for c in tail]
    if len(numbers) != width or any(n is None for n in numbers):
        return None
    return name, [n for n in numbers if n is not None]


def unit_key(name: str, where: str) -> str:
    """National rows by their label, provinces through the one resolver."""
    return _NATIONAL_NAMES.get(fold(name)) or resolver("63").resolve(name, where=where)


def extract_table(text: str, spec: TableSpec, markers: list[str]) -> list[dict[str, str]]:
    """Tidy rows of one appendix; a repeated row (page-break header) must repeat identically."""
    seen: dict[str, tuple[str, list[int]]] = {}
    section = section_text(text, spec, markers)
    for cells in cell_rows(section, spec.layout):
        parsed = split_row(cells, len(spec.columns))
        if parsed is None:
            continue
        name, numbers = parsed
        key = unit_key(name, f"{spec.source}, {spec.label}")
        if key in seen and seen[key][1] != numbers:
            raise DataFileError(f"{spec.source}, {spec.label}: two different rows for {name!r}")
        seen.setdefault(key, (name, numbers))
    provinces = [k for k in seen if k not in _NATIONAL_NAMES.values()]
    if len(provinces) != 63:
        raise DataFileError(f"{spec.source}, {spec.label}: {len(provinces)} provinces found, 63 expected")
    rows = []
    for key, (name, numbers) in seen.items():
        for column, value in zip(spec.columns, numbers):
            rows.append(
                {
                    "plan": column.plan,
                    "unit": key,
                    "indicator": column.indicator,
                    "period": column.period,
                    "value": str(value),
                    "published_name": name,
                    "source": f"{spec.source}#{spec.label}",
                }
            )
    return rows


def _sort_key(row: dict[str, str]) -> tuple[str, ...]:
    """National rows first, then provinces by code; indicators and periods in file order."""
    return (row["plan"], "0" if row["unit"].startswith("VN") else "1" + row["unit"], row["unit"])


def extract_all(sources: Path) -> dict[str, list[dict[str, str]]]:
    """Every plan's tidy rows, keyed by plan id."""
    plans: dict[str, list[dict[str, str]]] = {}
    for spec in TABLES:
        text = (sources / spec.source).read_text(encoding="utf-8")
        markers = [t.marker for t in TABLES if t.source == spec.source]
        for row in extract_table(text, spec, markers):
            plans.setdefault(row["plan"], []).append(row)
    return {plan: sorted(rows, key=_sort_key) for plan, rows in plans.items()}


def write_tidy(path: Path, rows: list[dict[str, str]]) -> None:
    """Write tidy rows with a fixed column order and Unix line ends, so rebuilds are diff-clean."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=TIDY_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def rebuild(data_dir: Path) -> list[Path]:
    """Re-extract every seed plan into data_dir/plans; the metadata JSON files are authored by hand."""
    written = []
    for plan, rows in extract_all(data_dir / "sources").items():
        path = data_dir / "plans" / f"{plan}.csv"
        write_tidy(path, rows)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m workbook_tools.seeds [DATA_DIR]``."""
    args = sys.argv[1:] if argv is None else argv
    data_dir = Path(args[0]) if args else shipped_data_dir()
    for path in rebuild(data_dir):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
