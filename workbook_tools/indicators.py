"""The indicator catalogue (codes, Vietnamese labels, units of measure) from data/indicators.csv."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from .datafiles import read_csv, shipped_data_dir
from .errors import DataFileError


@dataclass(frozen=True)
class Indicator:
    """What is counted: its stable code, how a Vietnamese reader calls it, and in what unit."""

    code: str
    label: str
    short_label: str
    unit: str
    value_type: str
    group: str = "task"

    @property
    def is_participants(self) -> bool:
        """The four insurance schemes count people participating (what the Công điện asks for each day)."""
        return self.group == "participants"

    @property
    def is_money(self) -> bool:
        """Money may carry decimals; counts are whole numbers."""
        return self.value_type == "money"


@lru_cache(maxsize=1)
def indicators() -> dict[str, Indicator]:
    """Every known indicator by code, in catalogue order."""
    rows = read_csv(shipped_data_dir() / "indicators.csv")
    return {r["code"]: Indicator(r["code"], r["label"], r["short_label"], r["unit"], r["value_type"], r.get("group") or "task") for r in rows}


def indicator(code: str) -> Indicator:
    """One indicator, with an error listing the known codes."""
    known = indicators()
    if code not in known:
        raise DataFileError(f"unknown indicator {code!r}; known: {', '.join(known)}")
    return known[code]
