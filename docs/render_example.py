"""Render the pictures in docs/: pages as LibreOffice prints them (A4, the files' own print setup).

Five provinces of Kế hoạch 2800 report September and October (Đà Nẵng late, with a request to the
centre); Hà Nội's Mẫu 01 and round report, and the national summary's headline, totals and first
chart are printed to PDF and turned into PNG at 60 dpi.

Run from the repository root: `python docs/render_example.py` (needs LibreOffice and pdftoppm).
"""

from __future__ import annotations

import datetime
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from click.testing import CliRunner  # noqa: E402

from tests.libreoffice import convert  # noqa: E402
from tests.printed import pages  # noqa: E402
from tests.workbooks import fill  # noqa: E402
from workbook_tools.cli import main as cli  # noqa: E402
from workbook_tools.generate import GenerateOptions, generate, select_units  # noqa: E402
from workbook_tools.plans import load_plan  # noqa: E402

SHARES = {"01": (0.93, 0.61), "79": (1.02, 0.85), "31": (0.71, 0.48), "48": (0.55, 0.40), "92": (0.88, 0.95)}
REQUEST = "Đề nghị BHXH Việt Nam bổ sung kinh phí tuyên truyền quý IV; doanh nghiệp du lịch còn khó khăn sau dịch Covid-19."
PICTURES = {  # picture name: (file, sheet, which of its pages)
    "mau01-ha-noi": ("01-ha-noi", "Mẫu 01", 0),
    "bao-cao-ky-ha-noi": ("01-ha-noi", "Báo cáo kỳ", 0),
    "tong-hop-tom-tat": ("tong-hop", "Tóm tắt", 0),
    "tong-hop-bang": ("tong-hop", "Tổng hợp", 0),
    "tong-hop-bieu-do": ("tong-hop", "Biểu đồ", 0),
}


def _values(data, code: str) -> dict:
    """What a province types: the report date, September and October results, a note."""
    late = code == "48"
    values = {("mau01", "round_date", "uom"): datetime.date(2021, 10, 12 if late else 31),
              ("mau01", "reporter", "uom"): "Nguyễn Văn A", ("mau01", "phone", "uom"): "024 3936 1234"}
    for number, indicator in enumerate(data.plan.indicators):
        for month, share in zip(("2021-09", "2021-10"), SHARES[code]):
            target = data.value(code, indicator, month) or 0
            values[("mau01", indicator, f"actual:{month}")] = round(target * (share + 0.08 * (number % 3 - 1)))
    if late:
        values[("mau02", "ghi_chu", "value:2021-10")] = REQUEST
    return values


def main() -> None:
    """Generate, fill, consolidate, print, and keep the pages the README shows."""
    data = load_plan("2800-2021")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        generated = generate(data, work / "blank", select_units(data, list(SHARES)), GenerateOptions())
        (work / "returns").mkdir()
        for item in generated:
            fill(item.path, _values(data, item.unit.code), work / "returns" / item.path.name)
        CliRunner().invoke(cli, ["consolidate", str(work / "returns"), "--plan", "2800-2021", "--as-of", "2021-10-31",
                                 "--out", str(work / "tong-hop.xlsx")], catch_exceptions=False)
        pdfs = convert([work / "returns" / "01-ha-noi.xlsx", work / "tong-hop.xlsx"], work / "pdf", to="pdf", force=True)
        printed = {pdf.stem: (pdf, pages(pdf)) for pdf in pdfs}
        for picture, (stem, sheet, which) in PICTURES.items():
            pdf, book = printed[stem]
            number = [p.number for p in book if re.search(rf"· {re.escape(sheet)} Trang", p.footer())][which]
            subprocess.run(["pdftoppm", "-r", "60", "-f", str(number), "-l", str(number), "-png", "-singlefile",
                            str(pdf), str(ROOT / "docs" / picture)], check=True)


if __name__ == "__main__":
    main()
