"""The exceptions the tool raises on purpose; the CLI turns each into a message and exit code 2."""

from __future__ import annotations


class WorkbookToolsError(Exception):
    """Base class, so adapters can catch every expected failure in one place."""


class DataFileError(WorkbookToolsError):
    """A data file (shipped or imported) is missing or malformed."""


class UnitNameError(WorkbookToolsError):
    """A unit name read from a file could not be turned into exactly one code."""

    def __init__(self, name: str, message: str, candidates: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.name = name
        self.candidates = candidates


class UnknownUnitError(UnitNameError):
    """No unit of the structure answers to the name."""


class AmbiguousUnitError(UnitNameError):
    """Several units of the structure answer to the name."""


class PlanNotFoundError(WorkbookToolsError):
    """No plan with that id in any data folder."""


class AllocationError(WorkbookToolsError):
    """A total cannot be split by the profile given (negative or all-zero weights)."""


class OutputError(WorkbookToolsError):
    """An output cannot be written safely (someone else's file, a returns folder, a file-system failure)."""


class HeldStateError(OutputError):
    """A national workbook holds figures of another plan or structure than the one being consolidated."""
