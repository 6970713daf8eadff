"""The compound-file writer, read back by olefile (a reader we did not write)."""

from __future__ import annotations

import io
import random

import olefile
import pytest

from workbook_tools.compound_file import write_compound_file


@pytest.mark.parametrize("seed", range(6))
def test_olefile_reads_back_every_stream_of_any_size_and_any_number_of_siblings(seed):
    rng = random.Random(seed)
    streams = {}
    for n in range(rng.randint(1, 40)):
        folder = rng.choice(["", "VBA/", "VBA/Deep/", "Other/"])
        size = rng.choice([0, 1, 63, 64, 65, 4095, 4096, 4097, rng.randint(0, 20_000)])
        streams[f"{folder}s{n}_{rng.randint(0, 10**6)}"] = rng.randbytes(size)
    data = write_compound_file(streams)
    assert write_compound_file(dict(reversed(list(streams.items())))) == data
    ole = olefile.OleFileIO(io.BytesIO(data), raise_defects=olefile.DEFECT_INCORRECT)
    try:
        assert sorted("/".join(e) for e in ole.listdir()) == sorted(streams)
        for path, content in streams.items():
            assert ole.openstream(path).read() == content, path
    finally:
        ole.close()


def test_sibling_trees_are_ordered_red_black_trees():
    names = [f"m{n}" for n in range(23)] + ["Dictionary", "_VBA_PROJECT", "dir", "xlwings", "ThisWorkbook"]
    data = write_compound_file({f"VBA/{name}": b"x" for name in names})
    ole = olefile.OleFileIO(io.BytesIO(data))
    try:
        entries = {e.sid: e for e in ole.direntries if e is not None}

        def black_heights(sid, parent_red=False):
            if sid == olefile.NOSTREAM:
                return {1}
            entry = entries[sid]
            red = entry.color == 0
            assert not (red and parent_red), "a red node has a red child"
            below = black_heights(entry.sid_left, red) | black_heights(entry.sid_right, red)
            return {h + (0 if red else 1) for h in below}

        def in_order(sid):
            if sid == olefile.NOSTREAM:
                return []
            return in_order(entries[sid].sid_left) + [entries[sid].name] + in_order(entries[sid].sid_right)

        vba = next(e for e in entries.values() if e.name == "VBA")
        assert len(black_heights(vba.sid_child)) == 1
        assert in_order(vba.sid_child) == sorted(names, key=lambda n: (len(n), n.upper()))  # MS-CFB 2.6.4
    finally:
        ole.close()
