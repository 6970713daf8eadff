"""Deflate as fast as this machine allows: ISA-L's (python-isal) when it is installed, which reads and writes the very
same streams as zlib, checks a CRC about 10× faster (7 µs a commune return instead of 65), inflates a part up to twice
as fast and deflates at level 1 about 6× faster; else the standard library's zlib, which does the same, slower."""

from __future__ import annotations

try:
    from isal import isal_zlib as _zlib
except ImportError:  # a platform without ISA-L's wheels: the standard library does the same, slower
    import zlib as _zlib  # type: ignore[no-redef]

IMPLEMENTATION: str = "isal" if _zlib.__name__.startswith("isal") else "zlib"
"""Which one is at work (shown by `bench/run.py`)."""

DEFLATED: int = _zlib.DEFLATED
decompress = _zlib.decompress
decompressobj = _zlib.decompressobj
compressobj = _zlib.compressobj
crc32 = _zlib.crc32
error: type[Exception] = _zlib.error
