"""Load the declarative form descriptions of ``templates/`` into typed objects, checking them once."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from .datafiles import templates_dir
from .errors import DataFileError

CELL_KINDS = ("target", "input", "formula", "context")
KIND_CONDITIONS = ("stock", "flow")
VALUE_TYPES = ("count", "money", "percent", "text", "date", "time")
REPEATS = ("months", "once", "indicators")
PLACEHOLDER = re.compile(r"\{([a-z_]+:)?([a-z_0-9.]+)\}")


@dataclass(frozen=True)
class Column:
    """One column of a group: what its cells hold and how they look."""

    key: str
    header: str | dict[str, str]
    cell: str
    formula: str | dict[str, str] = ""
    format: str = ""
    requires: tuple[str, ...] = ()
    completion: bool = False
    width: float = 12

    def header_for(self, kind: str) -> str:
        """The header text for a stock or flow plan."""
        return self.header if isinstance(self.header, str) else self.header[kind]

    def formula_for(self, kind: str) -> str:
        """The formula for a stock or flow row."""
        return self.formula if isinstance(self.formula, str) else self.formula[kind]


@dataclass(frozen=True)
class Group:
    """Columns repeated for each month of the plan, or shown once for the whole plan."""

    key: str
    repeat: str
    header: str
    columns: tuple[Column, ...]
    when: str = ""

    def applies(self, plan_kind: str, flags: frozenset[str] = frozenset()) -> bool:
        """Kept for plans of its kind (`when = "stock"`), or when the workbook has that history (`when = "carried"`)."""
        if not self.when:
            return True
        return self.when == plan_kind if self.when in KIND_CONDITIONS else self.when in flags


@dataclass(frozen=True)
class Row:
    """A listed row: a measure staff report, or a section heading when `key` is empty."""

    key: str = ""
    label: str = ""
    uom: str = ""
    kind: str = ""
    type: str = "count"
    target: str = ""
    same_as: str = ""
    formula: str = ""
    section: str = ""


@dataclass(frozen=True)
class Info:
    """A single input above the table (report date, reporter, phone)."""

    key: str
    label: str
    type: str


@dataclass(frozen=True)
class Form:
    """One sheet's description."""

    key: str
    sheet: str
    title: str
    subtitle: str = ""
    note: str = ""
    kind: str = "table"
    rows: str = "plan"
    label_header: str = ""
    label_width: float = 40
    listed_rows: tuple[Row, ...] = ()
    info: tuple[Info, ...] = ()
    groups: tuple[Group, ...] = ()
    paragraphs: tuple[str, ...] = ()
    source: str = ""
    signature: bool = True


@dataclass(frozen=True)
class FormSet:
    """Every sheet of a province workbook, in order, with the version written into each file."""

    version: str
    forms: tuple[Form, ...] = field(default_factory=tuple)

    def form(self, key: str) -> Form:
        """A form by key."""
        for form in self.forms:
            if form.key == key:
                return form
        raise DataFileError(f"no form {key!r} in the templates")


def _column(raw: dict[str, Any], where: str) -> Column:
    """A column, refusing unknown cell kinds and formats."""
    column = Column(
        key=raw["key"], header=raw["header"], cell=raw["cell"], formula=raw.get("formula", ""),
        format=raw.get("format", ""), requires=tuple(raw.get("requires", ())),
        completion=bool(raw.get("completion", False)), width=float(raw.get("width", 12)),
    )
    if column.cell not in CELL_KINDS:
        raise DataFileError(f"{where}: column {column.key!r} has cell {column.cell!r}; use one of {CELL_KINDS}")
    if column.format and column.format not in VALUE_TYPES:
        raise DataFileError(f"{where}: column {column.key!r} has format {column.format!r}")
    if column.cell == "formula" and not column.formula:
        raise DataFileError(f"{where}: formula column {column.key!r} has no formula")
    return column


def _group(raw: dict[str, Any], where: str) -> Group:
    """A column group with its columns."""
    if raw.get("repeat") not in REPEATS:
        raise DataFileError(f"{where}: group {raw.get('key')!r} must repeat one of {REPEATS}")
    columns = tuple(_column(c, where) for c in raw["columns"])
    return Group(raw["key"], raw["repeat"], raw.get("header", ""), columns, raw.get("when", ""))


def _check_keys(form: Form, where: str) -> None:
    """Keys must be unique, so that every input cell has exactly one (row key, column key)."""
    row_keys = [r.key for r in form.listed_rows if r.key] + [i.key for i in form.info]
    if len(set(row_keys)) != len(row_keys):
        raise DataFileError(f"{where}: duplicate row keys")
    once_columns = [c.key for g in form.groups if g.repeat == "once" for c in g.columns]
    month_columns = [c.key for g in form.groups if g.repeat == "months" for c in g.columns]
    for keys in (once_columns, month_columns):
        if len(set(keys)) != len(keys):
            raise DataFileError(f"{where}: duplicate column keys among groups of the same repeat")
    for row in form.listed_rows:
        if row.type not in VALUE_TYPES:
            raise DataFileError(f"{where}: row {row.key!r} has type {row.type!r}")


def load_form(path: Path) -> Form:
    """Read one template file."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise DataFileError(f"{path}: {exc}") from exc
    head = raw["form"]
    form = Form(
        key=head["key"], sheet=head["sheet"], title=head["title"], subtitle=head.get("subtitle", ""),
        note=head.get("note", ""), kind=head.get("kind", "table"), rows=head.get("rows", "plan"),
        label_header=head.get("label_header", ""), label_width=float(head.get("label_width", 40)),
        listed_rows=tuple(Row(**r) for r in raw.get("rows", ())),
        info=tuple(Info(**i) for i in raw.get("info", ())),
        groups=tuple(_group(g, str(path)) for g in raw.get("groups", ())),
        paragraphs=tuple(head.get("paragraphs", raw.get("paragraphs", ()))),
        source=head.get("source", ""), signature=bool(head.get("signature", True)),
    )
    if len(form.sheet) > 31:
        raise DataFileError(f"{path}: sheet name {form.sheet!r} is longer than Excel's 31 characters")
    _check_keys(form, str(path))
    return form


def load_form_set(folder: Path) -> FormSet:
    """The workbook description: `workbook.toml` and the forms it lists."""
    index = tomllib.loads((folder / "workbook.toml").read_text(encoding="utf-8"))
    forms = tuple(load_form(folder / f"{key}.toml") for key in index["sheets"])
    return FormSet(version=str(index["version"]), forms=forms)


@lru_cache(maxsize=1)
def shipped_forms() -> FormSet:
    """The forms shipped in `templates/`."""
    return load_form_set(templates_dir())
