"""What a form's formula cell computes from the figures read, as Excel would, for a formula cell found typed over.

A value pasted over a formula (Excel's "paste values") is the very figure the formula gave: nothing is lost and the
reader keeps quiet; any other figure is one the clerk believes reported that is not used. The formulas are the
templates' own (`templates/*.toml`), their placeholders resolved by key (not by address) and evaluated by a small
interpreter of the few functions they use. Anything else (a function or placeholder not modelled, an input that is no
figure, an Excel error) is `Unknown`: the caller then reports any value typed there rather than guess.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from .forms import KIND_CONDITIONS, Form
from .plans import TOTAL
from .spec import column_key
from .values import vn_number


class Unknown(Exception):
    """What a cell computes cannot be told honestly (a formula not modelled, an input that is no figure)."""


class _ExcelError(Exception):
    """An Excel error value (#DIV/0!, #VALUE!) met while evaluating: IFERROR's business."""


class _Blank:
    """An empty cell: equal to "" in a comparison, 0 in arithmetic (a formula returning it shows 0)."""

    def __repr__(self) -> str:
        return "BLANK"


BLANK: Any = _Blank()


@dataclass(frozen=True)
class Slot:
    """One data cell of a form's row as generated: its role, and for a formula cell the template it computes."""

    role: str  # "formula", "input", "target", "context", "linked" (a formula showing another sheet's input)
    group: str
    period: str
    column: str
    kind: str  # stock or flow: how the months add up
    formula: str = ""
    format: str = "count"  # count, money, percent: how Excel shows the cell
    header: str = ""


@dataclass(frozen=True)
class RowShape:
    """What the layout needs of a row: its key, stock or flow, value type, whether it is measured against a plan
    indicator, the row formula or link it carries."""

    key: str
    kind: str
    type: str
    measured: bool
    formula: str = ""
    same_as: str = ""


def row_slots(form: Form, row: RowShape, plan_kind: str, months: tuple[str, ...]) -> dict[str, Slot]:
    """Column key → slot of every data cell of one row, as `spec._data_cell` lays it out (blank cells left out).
    Groups kept only with some history (`when = "carried"`) are included: the sheet's key row says if they are there."""
    slots: dict[str, Slot] = {}
    number_format = row.type if row.type in ("count", "money", "percent") else "count"
    for group in form.groups:
        if group.when in KIND_CONDITIONS and group.when != plan_kind:
            continue
        for period in months if group.repeat == "months" else (TOTAL,):
            for column in group.columns:
                if ("target" in column.requires and not row.measured) or (row.type == "text" and column.cell != "input"):
                    continue  # a blank cell
                common = (group.key, period, column.key, row.kind)
                header = column.header_for(plan_kind)
                if row.formula and column.cell != "target":
                    slot = Slot("formula", *common, formula=row.formula, format=row.type, header=header)
                elif column.cell == "input":
                    slot = Slot("linked" if row.same_as else "input", *common, format=number_format, header=header)
                elif column.cell in ("target", "context"):
                    slot = Slot(column.cell, *common, format=number_format, header=header)
                else:
                    slot = Slot("formula", *common, formula=column.formula_for(row.kind), format=column.format or number_format,
                                header=header)
                slots[column_key(column.key, period)] = slot
    return slots


# --- the formulas' language: IF, IFERROR, OR, AND, MAX, MIN, N, comparisons and arithmetic over placeholders ---

_TOKEN = re.compile(r'\s*(?:(\{[a-z_]+:?[a-z_0-9.]*\})|"((?:[^"]|"")*)"|(\d+(?:\.\d+)?)|([A-Z][A-Z0-9.]*)\s*\(|(<>|<=|>=|[-+*/&=<>(),]))')
_PLACEHOLDER = re.compile(r"\{([a-z_]+:)?([a-z_0-9.]+)\}")
_COMPARE = {"=": lambda a, b: a == b, "<>": lambda a, b: a != b, "<": lambda a, b: a < b, ">": lambda a, b: a > b,
            "<=": lambda a, b: a <= b, ">=": lambda a, b: a >= b}


@lru_cache(maxsize=64)
def _parse(template: str) -> tuple[Any, ...]:
    """A template formula as a tree of tuples; Unknown for text outside the modelled language."""
    tokens: list[tuple[str, str]] = []
    at = 0
    text = template.strip()
    while at < len(text):
        found = _TOKEN.match(text, at)
        if found is None or found.end() == at:
            raise Unknown(template)
        ref, string, number, call, op = found.groups()
        tokens.append(("ref", ref) if ref else ("str", string.replace('""', '"')) if string is not None else
                      ("num", number) if number else ("call", call) if call else ("op", op))
        at = found.end()
    parser = _Parser(tokens)
    tree = parser.comparison()
    if parser.at != len(tokens):
        raise Unknown(template)
    return tree


class _Parser:
    """Recursive descent over the tokens: comparison < sum < product < sign < atom."""

    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens, self.at = tokens, 0

    def _peek(self) -> tuple[str, str]:
        return self.tokens[self.at] if self.at < len(self.tokens) else ("end", "")

    def _take(self, kind: str, text: str | None = None) -> str:
        found = self._peek()
        if found[0] != kind or (text is not None and found[1] != text):
            raise Unknown(str(found))
        self.at += 1
        return found[1]

    def comparison(self) -> tuple[Any, ...]:
        left = self._sum()
        while self._peek()[0] == "op" and self._peek()[1] in _COMPARE:
            left = ("bin", self._take("op"), left, self._sum())
        return left

    def _sum(self) -> tuple[Any, ...]:
        left = self._product()
        while self._peek() in (("op", "+"), ("op", "-"), ("op", "&")):
            left = ("bin", self._take("op"), left, self._product())
        return left

    def _product(self) -> tuple[Any, ...]:
        left = self._sign()
        while self._peek() in (("op", "*"), ("op", "/")):
            left = ("bin", self._take("op"), left, self._sign())
        return left

    def _sign(self) -> tuple[Any, ...]:
        if self._peek() == ("op", "-"):
            self.at += 1
            return ("neg", self._sign())
        return self._atom()

    def _atom(self) -> tuple[Any, ...]:
        kind, text = self._peek()
        self.at += 1
        if kind == "num":
            return ("num", float(text))
        if kind == "str":
            return ("str", text)
        if kind == "ref":
            found = _PLACEHOLDER.fullmatch(text)
            if found is None:
                raise Unknown(text)
            return ("ref", (found.group(1) or "").rstrip(":"), found.group(2))
        if kind == "call":
            args: list[tuple[Any, ...]] = []
            if self._peek() != ("op", ")"):
                args.append(self.comparison())
                while self._peek() == ("op", ","):
                    self.at += 1
                    args.append(self.comparison())
            self._take("op", ")")
            return ("call", text, tuple(args))
        if (kind, text) == ("op", "("):
            inner = self.comparison()
            self._take("op", ")")
            return inner
        raise Unknown(text)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _number(value: Any) -> float:
    """A value in arithmetic: an empty cell is 0, text (even "") is #VALUE!."""
    if value is BLANK:
        return 0
    if isinstance(value, bool):
        return int(value)
    if _is_number(value):
        return value  # type: ignore[no-any-return]
    raise _ExcelError("#VALUE!")


def _truth(value: Any) -> bool:
    """A value as IF, OR and AND take it."""
    if value is BLANK:
        return False
    if isinstance(value, bool) or _is_number(value):
        return bool(value)
    raise _ExcelError("#VALUE!")


def _compare(op: str, a: Any, b: Any) -> bool:
    """Excel's comparison: an empty cell is "" beside text and 0 beside a number; text never equals a number."""
    if a is BLANK:
        a = "" if isinstance(b, str) or b is BLANK else 0
    if b is BLANK:
        b = "" if isinstance(a, str) else 0
    if isinstance(a, str) and isinstance(b, str):
        return bool(_COMPARE[op](a.casefold(), b.casefold()))
    if isinstance(a, str) or isinstance(b, str):
        if op in ("=", "<>"):
            return op == "<>"
        raise Unknown("text ordered against a number")
    return bool(_COMPARE[op](_number(a), _number(b)))


class _Evaluation:
    """One formula cell of one row evaluated: placeholders read through `read` (inputs, targets, context) or, for
    another formula cell, evaluated in turn."""

    def __init__(self, slots: Mapping[str, Mapping[str, Slot]], months: tuple[str, ...],
                 read: Callable[[str, str, Slot], Any]) -> None:
        self.slots, self.months, self.read = slots, months, read
        self.busy: set[tuple[str, str]] = set()

    def cell(self, row_key: str, col_key: str) -> Any:
        """A cell's value: read, or computed when it is a formula cell."""
        slot = self.slots.get(row_key, {}).get(col_key)
        if slot is None:
            raise Unknown(f"{row_key} × {col_key}")
        if slot.role != "formula":
            return self.read(row_key, col_key, slot)
        if (row_key, col_key) in self.busy:
            raise Unknown("circular")
        self.busy.add((row_key, col_key))
        try:
            return self.value(_parse(slot.formula), row_key, slot)
        finally:
            self.busy.discard((row_key, col_key))

    def value(self, node: tuple[Any, ...], row_key: str, slot: Slot) -> Any:
        """A node of a formula's tree, in the row and column of `slot`."""
        kind = node[0]
        if kind in ("num", "str"):
            return node[1]
        if kind == "ref":
            return self.ref(node[1], node[2], row_key, slot)
        if kind == "neg":
            return -_number(self.value(node[1], row_key, slot))
        if kind == "bin":
            op, a, b = node[1], self.value(node[2], row_key, slot), self.value(node[3], row_key, slot)
            if op in _COMPARE:
                return _compare(op, a, b)
            if op == "&":
                raise Unknown("text joined")
            x, y = _number(a), _number(b)
            if op == "/":
                if y == 0:
                    raise _ExcelError("#DIV/0!")
                return x / y
            return x + y if op == "+" else x - y if op == "-" else x * y
        return self.call(node[1], node[2], row_key, slot)

    def call(self, name: str, args: tuple[Any, ...], row_key: str, slot: Slot) -> Any:
        """The functions the templates use; any other is not modelled."""
        if name == "IF" and len(args) in (2, 3):
            if _truth(self.value(args[0], row_key, slot)):
                return self.value(args[1], row_key, slot)
            return self.value(args[2], row_key, slot) if len(args) == 3 else False
        if name == "IFERROR" and len(args) == 2:
            try:
                return self.value(args[0], row_key, slot)
            except _ExcelError:
                return self.value(args[1], row_key, slot)
        values = [self.value(arg, row_key, slot) for arg in args]
        if name in ("OR", "AND") and values:
            truths = [_truth(v) for v in values]
            return any(truths) if name == "OR" else all(truths)
        if name in ("MAX", "MIN") and values:
            numbers = [v for v in values if _is_number(v)]
            return (max if name == "MAX" else min)(numbers) if numbers else 0
        if name == "N" and len(values) == 1:
            return values[0] if _is_number(values[0]) else 0
        raise Unknown(name)

    def ref(self, function: str, name: str, row_key: str, slot: Slot) -> Any:
        """A placeholder as `spec.resolve_formula` resolves it, by key: a cell of this row, of another row in this
        column, or this row's months to date."""
        if function == "row":
            return self.cell(name, column_key(slot.column, slot.period))
        if function == "to_date":
            _group, column = name.split(".")
            return _to_date([self.cell(row_key, column_key(column, month)) for month in self.months], slot.kind)
        if function:
            raise Unknown(function)
        if "." in name:
            return self.cell(row_key, column_key(name.split(".")[1], TOTAL))
        return self.cell(row_key, column_key(name, slot.period))


def _to_date(values: list[Any], kind: str) -> Any:
    """`spec._to_date`: a stock's latest month filled in (IF(m<>"",m,…)), a flow's months added (IF(COUNT()=0,"",SUM()))."""
    if kind == "stock":
        return next((v for v in reversed(values) if not (v is BLANK or v == "")), "")
    numbers = [v for v in values if _is_number(v)]
    return sum(numbers) if numbers else ""


def evaluate(slots: Mapping[str, Mapping[str, Slot]], months: tuple[str, ...], row_key: str, col_key: str,
             read: Callable[[str, str, Slot], Any]) -> float | int | str:
    """What the formula cell (row key, column key) shows when computed from `read` ("" for an empty result);
    Unknown when that cannot be told (an error shown, a formula not modelled, an input that is no figure)."""
    try:
        found = _Evaluation(slots, months, read).cell(row_key, col_key)
    except _ExcelError as exc:
        raise Unknown(str(exc)) from exc
    if found is BLANK:
        return 0  # a formula returning an empty cell shows 0
    if isinstance(found, bool) or not (_is_number(found) or found == ""):
        raise Unknown(repr(found))
    return found  # type: ignore[no-any-return]


_PLACES = {"percent": 3, "money": 1}  # '0.0%' shows three decimals of the fraction, '#,##0.0' one, '#,##0' none


def same_figure(typed: float, computed: float, number_format: str) -> bool:
    """The same figure: equal within 1e-9 relative, or shown alike by the cell's number format (0.49999999 and 0.5
    both show 50,0%), as Excel rounds for display (half away from zero, 15 significant digits)."""
    if math.isclose(typed, computed, rel_tol=1e-9, abs_tol=1e-12):
        return True
    if not (math.isfinite(typed) and math.isfinite(computed)):
        return False
    places = _PLACES.get(number_format, 0)
    return _shown(typed, places) == _shown(computed, places)


def shown(value: float | int, number_format: str) -> str:
    """A computed figure as its cell shows it, in Vietnamese writing: 5,1 % for a percentage, 1.234,5 for money."""
    places = _PLACES.get(number_format, 0)
    if not math.isfinite(value):
        return vn_number(value)
    rounded = float(_shown(value, places))
    return f"{vn_number(round(rounded * 100, 1))} %" if number_format == "percent" else vn_number(rounded)


def _shown(value: float, places: int) -> Decimal:
    """A number rounded as Excel displays it with `places` decimals."""
    try:
        return Decimal(f"{value:.15g}").quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return Decimal(value)


# What each formula cell of the shipped forms computes, in the words of the form's users (by form, group and column;
# a row formula by its row key); a formula cell not named here is described by its column header.
_WORDS: dict[tuple[str, str, str], str | dict[str, str]] = {
    ("mau01", "month", "pct"): "% hoàn thành của tháng = thực hiện ÷ chỉ tiêu tháng",
    ("mau01", "plan", "actual"): {"flow": "thực hiện lũy kế = cộng số thực hiện các tháng",
                                  "stock": "thực hiện mới nhất = số thực hiện của tháng gần nhất đã nhập"},
    ("mau01", "plan", "pct"): "% hoàn thành cả kỳ = thực hiện ÷ chỉ tiêu cả kỳ",
    ("mau01", "plan", "remaining"): "còn phải thực hiện = chỉ tiêu cả kỳ − thực hiện (không âm)",
    ("mau01", "compare", "change_year"): "thực hiện mới nhất − số tham gia đến 31/12 năm trước",
    ("mau01", "compare", "change_previous"): "thực hiện mới nhất − số tham gia kỳ báo cáo trước",
    ("mau01", "compare", "growth"): "tăng trưởng = thực hiện mới nhất ÷ cùng kỳ năm trước − 1",
    ("mau01", "ytd", "ytd"): {"flow": "lũy kế từ đầu năm = đã thực hiện các kỳ trước + thực hiện lũy kế kỳ này",
                              "stock": "mức mới nhất = thực hiện kỳ này (nếu trống: mức cuối kỳ trước)"},
    ("mau02", "plan", "value"): {"flow": "lũy kế = cộng số các tháng", "stock": "số của tháng gần nhất đã nhập"},
    ("mau02", "plan", "pct"): "% hoàn thành = lũy kế ÷ chỉ tiêu cả kỳ",
    ("mau02", "row", "kinh_phi_ty_le"): "tỷ lệ sử dụng kinh phí = kinh phí đã sử dụng ÷ dự toán kinh phí được giao",
}


def describe(form_key: str, row_key: str, slot: Slot, row_label: str) -> str:
    """What a formula cell computes, in words ('công thức: thực hiện lũy kế = cộng số thực hiện các tháng')."""
    row_formula = _is_row_formula(slot)
    words = _WORDS.get((form_key, "row", row_key) if row_formula else (form_key, slot.group, slot.column))
    if isinstance(words, dict):
        words = words.get(slot.kind)
    if not words:
        words = f"dòng «{row_label}» tính từ các dòng khác" if row_formula else f"cột «{slot.header}» tự tính"
    return f"công thức: {words}"


def _is_row_formula(slot: Slot) -> bool:
    """A row's own formula (`{row:…}` placeholders) rather than its column's."""
    return "{row:" in slot.formula
