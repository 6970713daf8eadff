"""The `workbook-tools` command line: a thin click layer over the core modules.

Each command parses its options, calls core functions and prints; domain errors become a
message and exit code 2 (DESIGN.md §8: 0 success, 1 finished with rejected inputs, 2 usage or
unreadable input). Commands are grouped by stage in the modules of this package.
"""

from . import addin, daily, returns, targets, workbooks  # noqa: F401 - importing registers the commands
from .app import main

__all__ = ["main"]
