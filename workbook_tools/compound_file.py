"""Write a compound file (MS-CFB version 3), the container of a VBA project, with deterministic bytes.

olefile reads and edits compound files but cannot create one; this writer covers what a
`vbaProject.bin` needs: storages and streams, the mini stream for streams under 4096 bytes,
one FAT and no DIFAT sectors beyond the header's 109 (files up to ~7 MB). Every timestamp is
zero and every free byte is zero, so the same streams always give the same file.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

SECTOR = 512
MINI_SECTOR = 64
MINI_CUTOFF = 4096
FREE = 0xFFFFFFFF
END_OF_CHAIN = 0xFFFFFFFE
FAT_SECTOR = 0xFFFFFFFD
NO_STREAM = 0xFFFFFFFF
SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
HEADER_FAT_SLOTS = 109
STORAGE, STREAM, ROOT = 1, 2, 5
RED, BLACK = 0, 1


@dataclass
class _Entry:
    """One directory entry: a storage (with children) or a stream (with data)."""

    name: str
    kind: int
    data: bytes = b""
    children: list[_Entry] = field(default_factory=list)
    index: int = 0
    left: int = NO_STREAM
    right: int = NO_STREAM
    child: int = NO_STREAM
    color: int = BLACK
    start: int = END_OF_CHAIN


def _tree(paths: dict[str, bytes]) -> _Entry:
    """Storages and streams from 'VBA/dir'-style paths."""
    root = _Entry("Root Entry", ROOT)
    for path, data in sorted(paths.items()):
        node = root
        *folders, name = path.split("/")
        for folder in folders:
            found = next((c for c in node.children if c.name == folder and c.kind == STORAGE), None)
            if found is None:
                found = _Entry(folder, STORAGE)
                node.children.append(found)
            node = found
        if len(name.encode("utf-16-le")) > 62:
            raise ValueError(f"compound file names have at most 31 characters: {name}")
        node.children.append(_Entry(name, STREAM, data))
    return root


def _order(entry: _Entry) -> tuple[int, str]:
    """CFB's sibling order: shorter names first, then by upper-case name."""
    return len(entry.name), entry.name.upper()


def _link_siblings(children: list[_Entry], depth: int, height: int) -> int:
    """A balanced red-black tree of siblings (middle split; the deepest level red); returns its root index."""
    if not children:
        return NO_STREAM
    middle = len(children) // 2
    node = children[middle]
    node.color = RED if depth == height and height > 0 else BLACK
    node.left = _link_siblings(children[:middle], depth + 1, height)
    node.right = _link_siblings(children[middle + 1:], depth + 1, height)
    return node.index


def _height(count: int) -> int:
    """Depth of the deepest node of a middle-split tree of count nodes (0 for one node)."""
    depth = 0
    while count > 1:
        count //= 2
        depth += 1
    return depth


def _flatten(root: _Entry) -> list[_Entry]:
    """Directory order: breadth first, so every index is known before linking."""
    entries, queue = [], [root]
    while queue:
        entry = queue.pop(0)
        entry.index = len(entries)
        entries.append(entry)
        entry.children.sort(key=_order)
        queue.extend(entry.children)
    for entry in entries:
        entry.child = _link_siblings(entry.children, 0, _height(len(entry.children)))
    return entries


def _chain(fat: list[int], first: int, count: int) -> None:
    """Mark count consecutive sectors from first as one chain."""
    for n in range(first, first + count):
        fat[n] = n + 1 if n < first + count - 1 else END_OF_CHAIN


def _sectors(size: int, unit: int) -> int:
    """How many units of `unit` bytes hold size bytes."""
    return -(-size // unit)


def _pad(data: bytes, unit: int) -> bytes:
    """Data padded with zeros to a whole number of units."""
    return data + b"\0" * (-len(data) % unit)


def _directory_entry(entry: _Entry | None) -> bytes:
    """The 128 bytes of a directory entry (an unused one when entry is None)."""
    if entry is None:
        return b"\0" * 64 + struct.pack("<HBBIII", 0, 0, 0, NO_STREAM, NO_STREAM, NO_STREAM) + b"\0" * 36 + b"\0" * 12
    name = entry.name.encode("utf-16-le") + b"\0\0"
    size = len(entry.data) if entry.kind in (STREAM, ROOT) else 0
    start = entry.start if entry.kind != STORAGE else 0
    return (name.ljust(64, b"\0") + struct.pack("<HBBIII", len(name), entry.kind, entry.color, entry.left, entry.right, entry.child)
            + b"\0" * 16 + b"\0" * 4 + b"\0" * 16 + struct.pack("<IQ", start, size))


def write_compound_file(paths: dict[str, bytes]) -> bytes:
    """A CFB v3 file holding the given streams ('STORAGE/STREAM' paths), same input → same bytes."""
    entries = _flatten(_tree(paths))
    small = [e for e in entries if e.kind == STREAM and len(e.data) < MINI_CUTOFF]
    large = [e for e in entries if e.kind == STREAM and len(e.data) >= MINI_CUTOFF]
    mini_stream, mini_fat = bytearray(), []
    for entry in small:
        if not entry.data:
            entry.start = END_OF_CHAIN
            continue
        entry.start = len(mini_fat)
        count = _sectors(len(entry.data), MINI_SECTOR)
        mini_fat.extend([0] * count)
        _chain(mini_fat, entry.start, count)
        mini_stream += _pad(entry.data, MINI_SECTOR)
    root = entries[0]
    root.data = bytes(mini_stream)
    directory = b"".join(_directory_entry(e) for e in entries)
    directory = _pad(directory + b"".join(_directory_entry(None) for _ in range(-len(entries) % 4)), SECTOR)
    blocks: list[tuple[str, bytes, _Entry | None]] = [("dir", directory, None)]
    if mini_fat:
        blocks.append(("minifat", struct.pack(f"<{len(mini_fat)}I", *mini_fat), None))
    if mini_stream:
        blocks.append(("ministream", bytes(mini_stream), root))
    blocks.extend(("stream", e.data, e) for e in large)
    content = sum(_sectors(len(data), SECTOR) for _k, data, _e in blocks)
    fat_count = 1
    while fat_count * SECTOR // 4 < fat_count + content:
        fat_count += 1
    if fat_count > HEADER_FAT_SLOTS:
        raise ValueError("the VBA project is too large for a compound file without DIFAT sectors")
    fat = [FREE] * (fat_count * SECTOR // 4)
    for n in range(fat_count):
        fat[n] = FAT_SECTOR
    starts: dict[str, int] = {}
    body = bytearray()
    sector = fat_count
    for kind, data, entry in blocks:
        count = _sectors(len(data), SECTOR)
        _chain(fat, sector, count)
        starts.setdefault(kind, sector)
        if entry is not None:
            entry.start = sector
        body += _pad(data, SECTOR)
        sector += count
    directory = b"".join(_directory_entry(e) for e in entries)
    directory = _pad(directory + b"".join(_directory_entry(None) for _ in range(-len(entries) % 4)), SECTOR)
    body[:len(directory)] = directory
    difat = list(range(fat_count)) + [FREE] * (HEADER_FAT_SLOTS - fat_count)
    header = (SIGNATURE + b"\0" * 16 + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\0" * 6
              + struct.pack("<IIIIIIIII", 0, fat_count, starts["dir"], 0, MINI_CUTOFF,
                            starts.get("minifat", END_OF_CHAIN), _sectors(len(mini_fat) * 4, SECTOR), END_OF_CHAIN, 0)
              + struct.pack(f"<{HEADER_FAT_SLOTS}I", *difat))
    return header + struct.pack(f"<{len(fat)}I", *fat) + bytes(body)
