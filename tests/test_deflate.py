"""The fast deflate (ISA-L's, `workbook_tools.deflate`) reads and writes exactly what zlib does, and the tool works
the same where it cannot be installed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from workbook_tools import deflate

from . import test_reader_robustness as robustness

CLI = str(Path(sys.executable).parent / "workbook-tools")
blank, filled = robustness.blank, robustness.filled  # the same nine filled returns (fixtures)

xml_like = st.lists(st.sampled_from([b"<row r=\"1\">", b"<c r=\"A1\" t=\"n\"><v>", b"1234", b"</v></c>", b"</row>", b"\xc4\x90"]),
                    max_size=400).map(b"".join)


def _deflated(data: bytes, level: int, module=zlib) -> bytes:
    """A raw deflate stream, as in a zip archive."""
    compressor = module.compressobj(level, module.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


@settings(max_examples=200, deadline=None)
@given(data=st.one_of(st.binary(max_size=5000), xml_like), level=st.sampled_from([1, 6, 9]))
def test_the_fast_deflate_inflates_what_zlib_deflated_and_zlib_inflates_what_it_deflated(data, level):
    assert deflate.decompress(_deflated(data, level), -15) == data
    assert deflate.decompress(_deflated(data, level), -15, max(1, len(data))) == data  # the reader's exact buffer
    assert zlib.decompress(_deflated(data, 1, deflate), -15) == data
    assert deflate.crc32(data) == zlib.crc32(data)
    assert deflate.crc32(data[len(data) // 2:], deflate.crc32(data[:len(data) // 2])) == zlib.crc32(data)  # a running CRC


@given(data=xml_like, limit=st.integers(min_value=1, max_value=3000))
def test_the_fast_deflate_stops_where_zlib_stops_at_a_size_limit(data, limit):
    stream = _deflated(data, 6)
    assert deflate.decompressobj(-15).decompress(stream, limit) == zlib.decompressobj(-15).decompress(stream, limit)


@given(data=xml_like, tail=st.binary(max_size=64))
def test_bytes_after_the_end_of_a_stream_are_left_as_zlib_leaves_them(data, tail):
    """A part whose stored size runs past its deflate stream (a tool that pads, a bad copy): the same text either way."""
    stream = _deflated(data, 6) + tail
    assert deflate.decompress(stream, -15, max(1, len(data))) == zlib.decompress(stream, -15) == data
    mine, theirs = deflate.decompressobj(-15), zlib.decompressobj(-15)
    assert (mine.decompress(stream, 10**6), mine.unused_data) == (theirs.decompress(stream, 10**6), theirs.unused_data)


def test_a_damaged_stream_fails_to_inflate_or_fails_its_crc_as_with_zlib():
    data = b"<sheetData>" + b"<row><c><v>42</v></c></row>" * 500 + b"</sheetData>"
    stream = bytearray(_deflated(data, 6))
    stream[len(stream) // 2] ^= 0xFF
    try:
        inflated = deflate.decompress(bytes(stream), -15)
    except Exception:  # noqa: BLE001 - each library names its own error; the reader reports any as a damaged file
        return
    assert deflate.crc32(inflated) != zlib.crc32(data)


def _without_isal(tmp_path: Path) -> dict[str, str]:
    """An environment in which `import isal` fails, as on a platform without its wheels."""
    shim = tmp_path / "no-isal" / "isal"
    shim.mkdir(parents=True)
    (shim / "__init__.py").write_text("raise ImportError('isal is not installed here')\n")
    return {**os.environ, "PYTHONPATH": str(shim.parent), "WORKBOOK_TOOLS_CACHE": "off"}


def test_without_isal_the_tool_consolidates_the_same_figures_into_a_workbook_zipfile_accepts(blank, filled, tmp_path):
    plain = _without_isal(tmp_path)
    found = subprocess.run([sys.executable, "-c", "from workbook_tools import deflate; print(deflate.IMPLEMENTATION)"],
                           capture_output=True, text=True, env=plain, check=True)
    assert found.stdout.strip() == "zlib"
    returns = tmp_path / "returns"
    returns.mkdir()
    for path in filled.values():
        shutil.copy2(path, returns / path.name)
    figures = {}
    for name, env in (("isal", {**os.environ, "WORKBOOK_TOOLS_CACHE": "off"}), ("zlib", plain)):
        out = tmp_path / name
        out.mkdir()
        run = subprocess.run([CLI, "consolidate", str(returns), "--manifest", str(blank / "manifest.json"), "--out", str(out / "n.xlsx"),
                              "--json", str(out / "n.json")], capture_output=True, text=True, env=env, timeout=120)
        assert run.returncode in (0, 1) and "Traceback" not in run.stderr, run.stderr
        with zipfile.ZipFile(out / "n.xlsx") as book:
            assert book.testzip() is None  # every part inflates with zlib to its CRC
        document = json.loads((out / "n.json").read_text(encoding="utf-8"))
        figures[name] = (document["national"], document["units"])
    assert figures["isal"] == figures["zlib"]
    assert deflate.IMPLEMENTATION == "isal"  # the test environment has it (pyproject's dependencies)
