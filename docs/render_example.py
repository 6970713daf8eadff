"""Render docs/mau01-ha-noi.png: Hà Nội's 2800-2021 workbook, two months filled, as LibreOffice prints it.

Run from the repository root: `python docs/render_example.py` (needs LibreOffice and pdftoppm).
"""

from __future__ import annotations

import datetime
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.libreoffice import convert  # noqa: E402
from tests.workbooks import fill  # noqa: E402
from workbook_tools.generate import GenerateOptions, generate, select_units  # noqa: E402
from workbook_tools.plans import load_plan  # noqa: E402

FILLED = {"2021-09": 0.93, "2021-10": 0.61}


def main() -> None:
    """Generate, fill September at 93 % and October at 61 % of target, print to PNG."""
    data = load_plan("2800-2021")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        generated = generate(data, work / "blank", select_units(data, ["01"]), GenerateOptions())[0].path
        values = {
            ("mau01", "round_date", "uom"): datetime.date(2021, 10, 31),
            ("mau01", "reporter", "uom"): "Nguyễn Văn A",
            ("mau01", "phone", "uom"): "024 3936 1234",
        }
        for number, code in enumerate(data.plan.indicators):
            for month, share in FILLED.items():
                target = data.value("01", code, month) or 0
                values[("mau01", code, f"actual:{month}")] = round(target * (share + 0.12 * (number % 4 - 1.5)))
        filled = fill(generated, values, work / "01-ha-noi.xlsx")
        pdf = convert([filled], work / "pdf", to="pdf", force=True)[0]
        subprocess.run(["pdftoppm", "-r", "110", "-f", "3", "-l", "3", "-png", "-singlefile", str(pdf), str(ROOT / "docs" / "mau01-ha-noi")], check=True)


if __name__ == "__main__":
    main()
