"""What kind of file came back: a workbook to read, or something to refuse with a reason.

Looks at names and the first bytes only; nothing is opened for writing, nothing is executed.
"""

from __future__ import annotations

import io
import os
import re
import stat
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
FOLDER = "folder_entry"
BROKEN_LINK = "broken_link"
SPECIAL_FILE = "special_file"
OPENDOCUMENT = "ods_file"
MAX_META = 1 << 20
_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"})
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
    modified: float | None = field(default=None, repr=False, compare=False)  # st_mtime of the file as read


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
    odd = _not_a_regular_file(path)
    if odd:
        return Intake(path, odd), None
    try:
        with path.open("rb") as handle:
            content, modified = _read_capped(handle)
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
        kind = OPENDOCUMENT if _is_opendocument(archive) else NOT_WORKBOOK
        archive.close()
        return Intake(path, kind), None
    return Intake(path, WORKBOOK, "xl/vbaProject.bin" in names, content, modified), archive


def _read_capped(handle: Any) -> tuple[bytes, float | None]:
    """The file's bytes, at most MAX_FILE + 1 of them, read into a buffer of the file's size (asking for
    MAX_FILE + 1 bytes at once sets aside 64 MiB for every file), a file that grew meanwhile read on; and its
    modification time as it was opened (None when the file system does not tell)."""
    try:
        facts = os.fstat(handle.fileno())
        size, modified = facts.st_size, facts.st_mtime
    except (OSError, AttributeError, ValueError):
        size, modified = MAX_FILE, None
    wanted = min(size, MAX_FILE) + 1
    content = handle.read(wanted)
    if len(content) == wanted and wanted <= MAX_FILE:
        content += handle.read(MAX_FILE + 1 - len(content))
    return content, modified


def _is_opendocument(archive: zipfile.ZipFile) -> bool:
    """True for an OpenDocument spreadsheet (.ods, LibreOffice's own format): its first part names its type."""
    try:
        return "mimetype" in archive.NameToInfo and archive.read("mimetype").strip() == _ODS_MIMETYPE
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
        return False


_USER_DEFINED = re.compile(rb'<meta:user-defined\b[^>]*?meta:name="wt_(\w+)"[^>]*>([^<]*)</meta:user-defined>')


def opendocument_properties(path: Path) -> dict[str, str]:
    """The tool's document properties (wt_*) an .ods keeps from the workbook it was saved from: which unit
    and plan sent it, so the unit shows as having sent an unusable file rather than nothing."""
    try:
        with zipfile.ZipFile(path) as archive:
            meta = archive.read("meta.xml")[:MAX_META]
    except (OSError, KeyError, zipfile.BadZipFile, EOFError, ValueError, NotImplementedError):
        return {}
    return {name.decode(): value.decode("utf-8", "replace").strip() for name, value in _USER_DEFINED.findall(meta)}


def _not_a_regular_file(path: Path) -> str:
    """FOLDER, BROKEN_LINK or SPECIAL_FILE (a pipe, a device) for what must not be opened; '' for a file.

    Asked before opening: opening a pipe waits for a writer, and a device may never end.
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return BROKEN_LINK if path.is_symlink() else ""
    except OSError:
        return ""  # left to the open, which says why
    if stat.S_ISDIR(mode):
        return FOLDER
    return "" if stat.S_ISREG(mode) else SPECIAL_FILE


def candidate_files(folder: Path) -> list[Path]:
    """Every regular file of a returns folder (not recursive), hidden dot-files and the manifest excluded,
    and every other entry named like a workbook (a folder unzipped from a mail, a link to a share that
    is gone, a pipe), so that it is reported rather than silently skipped."""
    with os.scandir(folder) as entries:  # an entry knows whether it is a regular file without a stat
        names = [entry.name for entry in entries
                 if not entry.name.startswith(".") and entry.name != "manifest.json"
                 and (entry.is_file() or os.path.splitext(entry.name)[1].lower() in WORKBOOK_SUFFIXES)]
    names.sort(key=os.path.normcase)  # the order the paths sort in (without case on Windows), told from the names
    return [folder / name for name in names]


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
