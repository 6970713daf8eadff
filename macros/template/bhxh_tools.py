"""Shim next to bhxh_tools.xlam: the add-in's button runs `import bhxh_tools; bhxh_tools.main()`."""

from workbook_tools.addin import main

__all__ = ["main"]
