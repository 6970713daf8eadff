"""Build a VBA project (`vbaProject.bin`, MS-OVBA) from module source text, without Office.

The project holds only source: every module stream is the compressed source (MS-OVBA 2.4.1)
with no performance cache, and `_VBA_PROJECT` is the 7-byte header whose version 0xFFFF tells
Office to compile from source on first load (MS-OVBA 2.3.4.1), whatever Office version opens
it. The `dir` stream (2.3.4.2), `PROJECT` (2.3.1) and `PROJECTwm` (2.3.3) describe the modules.
Everything is deterministic: a fixed project GUID, fixed obfuscation seeds, zero timestamps.
"""

from __future__ import annotations

import re
import struct
import uuid
from dataclasses import dataclass

from .compound_file import write_compound_file

CODE_PAGE = 1252
LCID = 0x409
CHUNK = 4096
MODULE, CLASS, DOCUMENT = "Module", "Class", "Document"
DOCUMENT_BASES = ("{00020819-0000-0000-C000-000000000046}", "{00020820-0000-0000-C000-000000000046}")  # Workbook, Worksheet
REFERENCES = (
    ("stdole", r"*\G{00020430-0000-0000-C000-000000000046}#2.0#0#C:\Windows\System32\stdole2.tlb#OLE Automation"),
    ("Office", r"*\G{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}#2.0#0#C:\Program Files\Common Files\Microsoft Shared\OFFICE16\MSO.DLL"
               "#Microsoft Office 16.0 Object Library"),
)
HOST_EXTENDER = "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000"
_NAME = re.compile(r'^Attribute VB_Name = "([^"]+)"', re.M)
_BASE = re.compile(r'^Attribute VB_Base = "0(\{[^}]+\})"', re.M)


@dataclass(frozen=True)
class Module:
    """One VBA module: its name, kind (Module, Class or Document) and stored source (CRLF lines)."""

    name: str
    kind: str
    source: str


def module_from_text(text: str, class_file: bool) -> Module:
    """A module from the text of an exported .bas/.cls file as kept in `macros/` (any line ending)."""
    found = _NAME.search(text)
    if not found:
        raise ValueError('a VBA module must start with Attribute VB_Name = "…"')
    base = _BASE.search(text)
    kind = (DOCUMENT if base and base.group(1).upper() in DOCUMENT_BASES else CLASS) if class_file else MODULE
    source = text.replace("\r\n", "\n").replace("\n", "\r\n")
    source.encode(f"cp{CODE_PAGE}")  # VBA stores source in the project's code page: fail here, not in Excel
    return Module(found.group(1), kind, source)


def compress(data: bytes) -> bytes:
    """MS-OVBA 2.4.1 compression: a signature byte, then one compressed chunk per 4096 bytes."""
    out = bytearray(b"\x01")
    for start in range(0, len(data), CHUNK):
        out += _compress_chunk(data[start:start + CHUNK])
    return bytes(out)


def _compress_chunk(chunk: bytes) -> bytes:
    """One chunk as LZ77 tokens (8 per flag byte) behind its 2-byte header."""
    body = bytearray()
    seen: dict[bytes, list[int]] = {}
    position = 0
    while position < len(chunk):
        flag_at = len(body)
        body.append(0)
        for bit in range(8):
            if position >= len(chunk):
                break
            offset, length = _longest_match(chunk, position, seen)
            step = length if length else 1
            if length:
                bits = max((position - 1).bit_length(), 4)
                body += struct.pack("<H", ((offset - 1) << (16 - bits)) | (length - 3))
                body[flag_at] |= 1 << bit
            else:
                body.append(chunk[position])
            for n in range(position, position + step):
                seen.setdefault(chunk[n:n + 3], []).append(n)
            position += step
    if len(body) > CHUNK:
        if len(chunk) < CHUNK:
            raise ValueError("incompressible VBA source")
        return struct.pack("<H", 0x3000 | (CHUNK - 1)) + chunk
    return struct.pack("<H", 0xB000 | (len(body) - 1)) + body


def _longest_match(chunk: bytes, position: int, seen: dict[bytes, list[int]]) -> tuple[int, int]:
    """(offset, length) of the longest earlier copy of the bytes at position (length 0 if under 3)."""
    key = chunk[position:position + 3]
    if len(key) < 3 or key not in seen:
        return 0, 0
    bits = max((position - 1).bit_length(), 4)
    limit = min((0xFFFF >> bits) + 3, len(chunk) - position)
    best, best_length = 0, 0
    for candidate in reversed(seen[key][-256:]):
        length = 3
        while length < limit and chunk[candidate + length] == chunk[position + length]:
            length += 1
        if length > best_length:
            best, best_length = candidate, length
            if length == limit:
                break
    return (position - best, best_length) if best_length >= 3 else (0, 0)


def encrypt(data: bytes, project_id: str, seed: int) -> str:
    """MS-OVBA 2.4.3.2 data encryption (the obfuscation of CMG, DPB and GC), as hex."""
    version, key = 2, sum(project_id.encode("ascii")) & 0xFF
    out = bytearray([seed, seed ^ version, seed ^ key])
    plain1, enc1, enc2 = key, seed ^ key, seed ^ version
    for byte in bytes((seed & 6) // 2) + struct.pack("<I", len(data)) + data:
        encrypted = byte ^ ((enc2 + plain1) & 0xFF)
        out.append(encrypted)
        enc2, enc1, plain1 = enc1, encrypted, byte
    return out.hex().upper()


def _record(record_id: int, data: bytes) -> bytes:
    """One dir-stream record: id, size, data."""
    return struct.pack("<HI", record_id, len(data)) + data


def _text_records(record_id: int, unicode_id: int, text: str) -> bytes:
    """A string record in the code page followed by its UTF-16 twin."""
    return _record(record_id, text.encode(f"cp{CODE_PAGE}")) + _record(unicode_id, text.encode("utf-16-le"))


def dir_stream(project_name: str, modules: list[Module]) -> bytes:
    """The uncompressed `dir` stream: project information, references, modules (MS-OVBA 2.3.4.2)."""
    out = bytearray()
    out += _record(0x01, struct.pack("<I", 1))  # SYSKIND: 32-bit Windows, as Office writes for any bitness
    out += _record(0x02, struct.pack("<I", LCID)) + _record(0x14, struct.pack("<I", LCID))
    out += _record(0x03, struct.pack("<H", CODE_PAGE))
    out += _record(0x04, project_name.encode("ascii"))
    out += _text_records(0x05, 0x40, "")  # doc string
    out += _text_records(0x06, 0x3D, "")  # help file
    out += _record(0x07, struct.pack("<I", 0)) + _record(0x08, struct.pack("<I", 0))
    out += struct.pack("<HIIH", 0x09, 4, 1, 0)  # PROJECTVERSION: its size field is 4, its data 6 bytes
    out += _text_records(0x0C, 0x3C, "")  # conditional compilation constants
    for name, libid in REFERENCES:
        out += _text_records(0x16, 0x3E, name)
        encoded = libid.encode(f"cp{CODE_PAGE}")
        out += _record(0x0D, struct.pack("<I", len(encoded)) + encoded + struct.pack("<IH", 0, 0))
    out += _record(0x0F, struct.pack("<H", len(modules))) + _record(0x13, struct.pack("<H", 0xFFFF))
    for module in modules:
        out += _text_records(0x19, 0x47, module.name)
        out += _text_records(0x1A, 0x32, module.name)  # stream name
        out += _text_records(0x1C, 0x48, "")  # doc string
        out += _record(0x31, struct.pack("<I", 0))  # source offset: no performance cache
        out += _record(0x1E, struct.pack("<I", 0)) + _record(0x2C, struct.pack("<H", 0xFFFF))
        out += _record(0x21 if module.kind == MODULE else 0x22, b"")
        out += _record(0x2B, b"")
    out += _record(0x10, b"")
    return bytes(out)


def project_stream(project_name: str, project_id: str, modules: list[Module]) -> bytes:
    """The `PROJECT` stream: module list, name and the obfuscated protection fields (MS-OVBA 2.3.1)."""
    lines = [f'ID="{project_id}"']
    lines += [f"Document={m.name}/&H00000000" if m.kind == DOCUMENT else f"{m.kind}={m.name}" for m in modules]
    lines += [f'Name="{project_name}"', 'HelpContextID="0"', 'VersionCompatible32="393222000"',
              f'CMG="{encrypt(bytes(4), project_id, 0x5D)}"',  # not protected
              f'DPB="{encrypt(bytes(1), project_id, 0x63)}"',  # no password
              f'GC="{encrypt(bytes([0xFF]), project_id, 0x4E)}"',  # visible
              "", "[Host Extender Info]", HOST_EXTENDER, "", "[Workspace]"]
    lines += [f"{m.name}=0, 0, 0, 0, C" for m in modules]
    return ("\r\n".join(lines) + "\r\n").encode(f"cp{CODE_PAGE}")


def project_wm_stream(modules: list[Module]) -> bytes:
    """`PROJECTwm`: each module name in the code page and in UTF-16 (MS-OVBA 2.3.3)."""
    out = bytearray()
    for module in modules:
        out += module.name.encode(f"cp{CODE_PAGE}") + b"\0" + module.name.encode("utf-16-le") + b"\0\0"
    return bytes(out + b"\0\0")


def project_id_for(project_name: str) -> str:
    """A fixed GUID per project name, so the build is reproducible and distinct from other add-ins."""
    return "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"workbook-tools:vba:{project_name}")).upper() + "}"


def build_vba_project(project_name: str, modules: list[Module]) -> bytes:
    """The bytes of a `vbaProject.bin` holding these modules as source only."""
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,30}", project_name):
        raise ValueError(f"not a VBA project name: {project_name}")
    names = [m.name.upper() for m in modules]
    if len(set(names)) != len(names):
        raise ValueError("two VBA modules have the same name")
    project_id = project_id_for(project_name)
    streams = {
        "PROJECT": project_stream(project_name, project_id, modules),
        "PROJECTwm": project_wm_stream(modules),
        "VBA/_VBA_PROJECT": bytes.fromhex("CC61FFFF000100"),
        "VBA/dir": compress(dir_stream(project_name, modules)),
    }
    for module in modules:
        streams[f"VBA/{module.name}"] = compress(module.source.encode(f"cp{CODE_PAGE}"))
    return write_compound_file(streams)
