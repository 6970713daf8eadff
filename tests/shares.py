"""Returns of whole provinces at a chosen share of their targets (kept out of workbooks.py: the benchmark's
cached returns are keyed by that file's content)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from workbook_tools.plans import load_plan

from .workbooks import fill, generated


def returned_shares(root: Path, shares: Mapping[str, float], plan: str = "2800-2021") -> Path:
    """Returns of 2800-2021's units in `root/returns`, each reporting September and October at its share of its targets
    (0: nothing done), with a Mẫu 02 note carrying & and <; the returns folder."""
    data = load_plan(plan)
    (root / "returns").mkdir()
    for code, path in generated(root / "blank", tuple(shares), plan).items():
        values: dict[tuple[str, str, str], Any] = {("mau01", "round_date", "uom"): dt.date(2021, 10, 31)}
        for ind in data.plan.indicators:
            for month in ("2021-09", "2021-10"):
                values[("mau01", ind, f"actual:{month}")] = round((data.value(code, ind, month) or 0) * shares[code])
        values[("mau02", "ghi_chu", "value:2021-10")] = f"Ghi chú của {code} & <đề nghị>"
        fill(path, values, root / "returns" / path.name)
    return root / "returns"
