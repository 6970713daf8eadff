"""What kind of file came back: a workbook to read, or something to refuse with a reason.

Looks at names and the first bytes only; nothing is opened for writing, nothing is executed.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

WORKBOOK = "workbook"
LOCK_FILE = "lock_file"
EMPTY_FILE = "empty_file"
LEGACY_XLS = "legacy_xls"
ENCRYPTED = "encrypted"
CORRUPT = "corrupt"
NOT_WORKBOOK = "not_workbook"

_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")


@dataclass(frozen=True)
class Intake:
    """The verdict on one file: its kind, and whether it carries macros."""

    path: Path
    kind: str
    has_macros: bool = False


def classify(path: Path) -> Intake:
    """Sort a returned file into workbook, lock file, legacy, encrypted, corrupt, empty or other."""
    verdict, archive = open_workbook(path)
    if archive is not None:
        archive.close()
    return verdict


def open_workbook(path: Path) -> tuple[Intake, zipfile.ZipFile | None]:
    """The verdict on a file and, for a workbook, its package opened for reading (once)."""
    if path.name.startswith("~$"):
        return Intake(path, LOCK_FILE), None
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
    except OSError:
        return Intake(path, CORRUPT), None
    if not head:
        return Intake(path, EMPTY_FILE), None
    if head.startswith(_OLE):
        return Intake(path, ENCRYPTED if _ENCRYPTED_STREAM in path.read_bytes() else LEGACY_XLS), None
    if not head.startswith(_ZIP):
        return Intake(path, LEGACY_XLS if path.suffix.lower() == ".xls" else NOT_WORKBOOK), None
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return Intake(path, CORRUPT), None
    names = archive.NameToInfo
    if "xl/workbook.xml" not in names:
        archive.close()
        return Intake(path, NOT_WORKBOOK), None
    return Intake(path, WORKBOOK, has_macros="xl/vbaProject.bin" in names), archive


def candidate_files(folder: Path) -> list[Path]:
    """Every regular file of a returns folder (not recursive), hidden dot-files and the manifest excluded."""
    return sorted(
        p for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.name != "manifest.json"
    )
