"""workbook-tools: the target-and-report cycle of BHXH Việt Nam through Excel workbooks.

The pipeline, one module per stage (see docs/ARCHITECTURE.md):
reference data (``units``, ``names``, ``indicators``) → targets (``plans``, ``targets``,
``quality``) → workbook spec → render → read back → check → consolidate → next period.
"""

__version__ = "0.1.0"
