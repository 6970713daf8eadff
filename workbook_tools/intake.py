"""What kind of file came back: a workbook to read, or something to refuse with a reason.

Looks at names and the first bytes only; nothing is opened for writing, nothing is executed.
"""

from __future__ import annotations

import io
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

WORKBOOK = "workbook"
LOCK_FILE = "lock_file"
EMPTY_FILE = "empty_file"
LEGACY_XLS = "legacy_xls"
ENCRYPTED = "encrypted"
CORRUPT = "corrupt"
NOT_WORKBOOK = "not_workbook"
TOO_LARGE = "too_large"
MAX_FILE = 64 * 1024 * 1024

_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")


@dataclass(frozen=True)
class Intake:
    """The verdict on one file: its kind, and whether it carries macros."""

    path: Path
    kind: str
    has_macros: bool = False
    content: bytes = field(default=b"", repr=False, compare=False)


def classify(path: Path) -> Intake:
    """Sort a returned file into workbook, lock file, legacy, encrypted, corrupt, empty or other."""
    verdict, archive = open_workbook(path)
    if archive is not None:
        archive.close()
    return verdict


def open_workbook(path: Path) -> tuple[Intake, zipfile.ZipFile | None]:
    """The verdict on a file and, for a workbook, its package opened for reading (the file is read once;
    its bytes are in `content`)."""
    if path.name.startswith("~$"):
        return Intake(path, LOCK_FILE), None
    try:
        with path.open("rb") as handle:
            content = handle.read(MAX_FILE + 1)
    except OSError:
        return Intake(path, CORRUPT), None
    if len(content) > MAX_FILE:
        return Intake(path, TOO_LARGE), None
    if not content:
        return Intake(path, EMPTY_FILE), None
    if content.startswith(_OLE):
        return Intake(path, ENCRYPTED if _ENCRYPTED_STREAM in content else LEGACY_XLS), None
    if not content.startswith(_ZIP):
        return Intake(path, LEGACY_XLS if path.suffix.lower() == ".xls" else NOT_WORKBOOK), None
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return Intake(path, CORRUPT), None
    names = archive.NameToInfo
    if "xl/workbook.xml" not in names:
        archive.close()
        return Intake(path, NOT_WORKBOOK), None
    return Intake(path, WORKBOOK, "xl/vbaProject.bin" in names, content), archive


def candidate_files(folder: Path) -> list[Path]:
    """Every regular file of a returns folder (not recursive), hidden dot-files and the manifest excluded."""
    return sorted(
        p for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.name != "manifest.json"
    )


def shown_name(path: Path) -> str:
    """The file's name as text that can be printed and written anywhere: bytes that are not UTF-8 (a name from a Windows zip) show as �."""
    return os.fsencode(path.name).decode("utf-8", "replace")


def calamine_book(path: Path) -> Any:
    """The python-calamine workbook of path, also when its name is not UTF-8 (calamine opens only UTF-8 names itself)."""
    from python_calamine import CalamineWorkbook

    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        with path.open("rb") as handle:
            return CalamineWorkbook.from_filelike(handle)
    return CalamineWorkbook.from_path(str(path))
