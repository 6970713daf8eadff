"""The figures a national summary keeps between rounds (hidden `_data` sheet), read back.

So the next consolidation can tell a newer round from an older one, and a unit absent from the
new folder keeps the figures it had.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Mapping, Sequence
from datetime import date
from operator import itemgetter
from pathlib import Path
from typing import Any

from .consolidate import Source
from .errors import HeldStateError
from .figures import Figures, in_key_order
from .hand_edits import refuse_hand_edits
from .intake import calamine_book
from .json_lists import Templates
from .parallel import release_freed_memory
from .read import custom_properties
from .read_cache import written_note
from .values import parse_date

NATIONAL_KIND = "national"
DATA_SHEET = "_data"
META_SHEET = "_meta"
TASK_PREFIX = "mau02:"
DATA_COLUMNS = ("unit", "round_date", "file", "sha256", "indicator", "period", "actual")
FIGURES_ROW = "*figures"
CELL_TEXT_LIMIT = 32_000
_strict_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode  # made once: json.dumps makes one a call
_FIGURE_LISTS = Templates(_strict_json)  # by the keys of a unit's figures, in the order read (most units' are alike)


def figures_cells(source: Source) -> list[str]:
    """A unit's figures as strict JSON lists [[indicator, period, value], ...], each short enough for one Excel cell.

    One row per unit (a second one only past 32,000 characters) instead of one row per figure: the
    summary of thousands of communes stays small and quick to write, copy into Excel and read back.
    """
    actuals, tasks = source.actuals, source.tasks
    if len(actuals) + len(tasks) > 1:
        shape = (tuple(actuals), tuple(tasks))
        whole = _FIGURE_LISTS.of(shape, lambda: _figure_keys(*shape)).text([*actuals.values(), *tasks.values()])
        if whole is not None and len(whole) <= CELL_TEXT_LIMIT:
            return [whole]
    figures = sorted([(code, period, value) for (code, period), value in actuals.items()] +
                     [(TASK_PREFIX + key, period, value) for (key, period), value in tasks.items()], key=itemgetter(0, 1))
    whole = _strict_json(figures)
    if len(whole) <= CELL_TEXT_LIMIT:
        return [whole]
    cells, part, size = [], [], 2
    for item in map(_strict_json, figures):
        if part and size + len(item) + 1 > CELL_TEXT_LIMIT:
            cells.append("[" + ",".join(part) + "]")
            part, size = [], 2
        part.append(item)
        size += len(item) + 1
    return [*cells, "[" + ",".join(part) + "]"]


def _figure_keys(actuals: Sequence[tuple[str, str]], tasks: Sequence[tuple[str, str]]) -> tuple[list[tuple[str, str]], list[int]]:
    """The keys of a unit's figures as `figures_cells` lists them (indicator then period, tasks prefixed) and where
    each one's value is among the actuals' then the tasks' values."""
    keys = [*actuals, *((TASK_PREFIX + key, period) for key, period in tasks)]
    order = sorted(range(len(keys)), key=keys.__getitem__)  # stable, as the sort of the (indicator, period, value) items by their first two
    return [keys[i] for i in order], order


def is_ours(path: Path, kind: str = NATIONAL_KIND) -> bool:
    """True when a file is a national summary of that kind this tool wrote (safe to replace)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return custom_properties(archive).get("kind") == kind
    except (zipfile.BadZipFile, OSError, KeyError):
        return False


def load_held(path: Path, note: Mapping[str, Any] | None = None) -> dict[str, Source]:
    """The figures a previous consolidation kept (empty when there is no previous summary); taken from the `note` of
    its bytes as written (`read_cache.written_note`) when there is one, else read out of the workbook."""
    if not path.exists() or not is_ours(path):
        return {}
    noted = _noted_held(note)
    if noted is not None:
        return noted
    book = calamine_book(path)
    try:
        if DATA_SHEET not in book.sheet_names:
            if META_SHEET in book.sheet_names:  # written by consolidate, so `_data` was there and has been deleted
                raise HeldStateError(f"Sổ tổng hợp {path} không còn sheet ẩn {DATA_SHEET}, nơi giữ số liệu của các đơn vị đã tổng hợp "
                                     "(có lẽ sheet đã bị xoá)")
            return {}  # the add-in's workbook before its first consolidation
        rows = book.get_sheet_by_name(DATA_SHEET).to_python()
    finally:
        book.close()
    return held_from_rows(rows)


def unreadable(path: Path, exc: Exception) -> str:
    """Why the held figures of path could not be read, as the start of a Vietnamese sentence."""
    if isinstance(exc, HeldStateError):
        return str(exc)
    return f"Không đọc được số đã giữ trong {path} (sheet ẩn {DATA_SHEET} bị sửa hoặc hỏng: {type(exc).__name__})"


def held_for(path: Path, plan_id: str, structure: str, *, force: bool = False,
             note: Mapping[str, Any] | None = None) -> dict[str, Source]:
    """The held figures of path, only when it is the national workbook of this plan and structure.

    Figures held for another plan must never be mixed into this one: refuse, or with force start
    fresh (the workbook is then replaced with this plan's figures alone).
    """
    if not path.exists() or not is_ours(path):
        return {}
    with zipfile.ZipFile(path) as archive:
        properties = custom_properties(archive)
    held_plan, held_structure = properties.get("plan_id", ""), properties.get("structure", "")
    if held_plan == plan_id and held_structure in ("", structure):
        try:
            return load_held(path, note)
        except Exception as exc:  # noqa: BLE001 - calamine raises its own types for a damaged or edited sheet
            if force:
                return {}
            raise HeldStateError(
                f"{unreadable(path, exc)}; hãy lấy lại bản sao trước đó của sổ, ghi ra tệp khác, hoặc thêm --force để làm lại sổ "
                "chỉ với các báo cáo trong thư mục."
            ) from exc
    if force:
        return {}
    theirs = f"kế hoạch {held_plan or '?'}" + (f", cơ cấu {held_structure} đơn vị" if held_structure else "")
    raise HeldStateError(
        f"{path} là sổ tổng hợp của {theirs}, không phải của kế hoạch {plan_id}, cơ cấu {structure} đơn vị; "
        "số liệu của hai kế hoạch không được trộn: hãy ghi ra tệp khác, hoặc thêm --force để làm lại sổ này "
        f"chỉ với số liệu của kế hoạch {plan_id}."
    )


def prior_figures(path: Path, plan_id: str, structure: str, *, force: bool = False, keep_hand_edits: bool = False,
                  discard: str | None = None, cache: bool = True) -> dict[str, Source]:
    """Everything a consolidation must know of the national workbook it will replace, before it reads a return:
    the figures it holds for this plan (another plan's is refused, see `held_for`) and that none of its figures
    was changed by hand (refused unless `force` or `keep_hand_edits`; `discard` says how to discard them; `cache`: trust
    the note of the bytes last written, see `read_cache.written_note`)."""
    note = written_note(path) if cache else None
    held = held_for(path, plan_id, structure, force=force, note=note)
    if note is not None:
        return held  # the very bytes the tool wrote: no figure can have been changed by hand
    release_freed_memory()  # reading `_data` took three times what it keeps: given back before the hand-edit search takes more
    if not (force or keep_hand_edits) and path.is_file() and is_ours(path):
        refuse_hand_edits(path, cache=False, **({"discard": discard} if discard else {}))  # no note of these bytes: searched
    return held


def held_as_written(sources: Mapping[str, Source]) -> list[tuple[Any, ...]]:
    """What `held_from_rows` gives back of the `_data` sheet `write_hidden` writes of these sources, exactly (units and
    figures sorted, a whole float as int): noted with the bytes written, so the next round need not read it back."""
    return [(unit, source.round_date, source.file, source.sha256, in_key_order(source.actuals, _as_written),
             in_key_order(source.tasks, _as_written)) for unit, source in sorted(sources.items())]


def _noted_held(note: Mapping[str, Any] | None) -> dict[str, Source] | None:
    """The held figures a note of the bytes written gives; None without a note, or for one of another form (the
    workbook itself is then read)."""
    if note is None or "held" not in note:
        return None
    try:
        return held_from_note(note["held"])
    except (TypeError, ValueError):
        return None


def held_from_note(entries: Sequence[Any]) -> dict[str, Source]:
    """Sources from a note's `held_as_written`; anything else in it raises (the workbook is then read instead)."""
    held = {}
    for unit, round_date, file, sha256, actuals, tasks in entries:
        if not (type(unit) is str and unit and type(file) is str and type(sha256) is str and isinstance(actuals, Figures)
                and isinstance(tasks, Figures) and (round_date is None or type(round_date) is date)):
            raise ValueError("held figures of an unknown form")
        held[unit] = Source(unit, round_date, file, sha256, actuals, held=True, tasks=tasks)
    return held


def _as_written(value: Any) -> Any:
    """A whole number back as int: other spreadsheet programs store 1234 so that it reads back as 1234.0."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _float_as_written(text: str) -> Any:
    """`_as_written` for a JSON number with a fraction or exponent, as the JSON is decoded (integers come back as int already)."""
    return _as_written(float(text))


def held_from_rows(rows: Sequence[Sequence[Any]]) -> dict[str, Source]:
    """Sources from the rows of a `_data` sheet (header first), wherever they were read from."""
    grouped: dict[str, dict[str, Any]] = {}
    known: dict[tuple[str, str], tuple[str, str]] = {}  # one key object per (indicator, period) for all units: a third of the memory
    for row in rows[1:]:
        record = dict(zip(DATA_COLUMNS, row))
        if not record.get("unit"):
            continue
        entry = grouped.setdefault(str(record["unit"]), {"meta": record, "actuals": {}, "tasks": {}})
        name = str(record["indicator"] or "")
        if name == FIGURES_ROW:
            actuals, tasks = entry["actuals"], entry["tasks"]
            for code, period, value in json.loads(str(record["actual"] or "[]"), parse_float=_float_as_written):
                task = code.startswith(TASK_PREFIX)
                key = known.get((code, period))
                if key is None:
                    key = known[(code, period)] = (code[len(TASK_PREFIX):], period) if task else (code, period)
                (tasks if task else actuals)[key] = value
        elif name.startswith(TASK_PREFIX):
            entry["tasks"][(name[len(TASK_PREFIX):], record["period"])] = _as_written(record["actual"])
        elif name:
            entry["actuals"][(name, record["period"])] = _as_written(record["actual"])
    return {
        unit: Source(unit, parse_date(e["meta"]["round_date"]), str(e["meta"]["file"]), str(e["meta"]["sha256"]),
                     e["actuals"], held=True, tasks=e["tasks"])
        for unit, e in grouped.items()
    }
