"""Deflate as fast as this machine allows: ISA-L's (python-isal) when it is installed, which reads and writes the very
same streams as zlib but inflates about 2× and checks CRCs about 10× faster; else the standard library's zlib.

Inflating the parts of a return and checking their CRCs was a fifth of the time of reading it; deflating the
national workbook's sheets, a tenth of the time of writing it."""

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
