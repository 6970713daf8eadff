"""Run LibreOffice headless to recalculate workbooks, the way a real spreadsheet engine would.

Each call gets a private profile (concurrent soffice processes must not share one). With
`force=True` the profile sets OOXMLRecalcMode=0 ("always recalculate on load"); without it,
LibreOffice behaves as on a user's PC (it trusts cached results, and computes the formulas whose
cached result is empty, as ours are).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

PROFILE_XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def soffice() -> str:
    """Path of the soffice binary; tests need it (.ci/run installs it)."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if not found:
        raise RuntimeError("LibreOffice (soffice) is not installed; run .ci/run, which installs it")
    return found


def convert(files: Sequence[Path], out_dir: Path, to: str = "xlsx", force: bool = True) -> list[Path]:
    """Convert files in one soffice call (recalculating them); returns the converted paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        if force:
            user = Path(profile) / "user"
            user.mkdir(parents=True)
            (user / "registrymodifications.xcu").write_text(PROFILE_XCU, encoding="utf-8")
        command = [
            soffice(), f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
            "--convert-to", to, "--outdir", str(out_dir), *map(str, files),
        ]
        subprocess.run(command, check=True, capture_output=True, timeout=600)
    suffix = "." + to.split(":")[0]
    converted = [out_dir / (Path(f).stem + suffix) for f in files]
    missing = [p for p in converted if not p.exists()]
    if missing:
        raise RuntimeError(f"LibreOffice did not convert: {missing}")
    return converted
