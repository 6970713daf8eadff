"""A return's figures as the main process holds them until they are summed: compact, read-only, every figure kept.

A return's figures are a few hundred (indicator or task, period) → number pairs, and thousands of
returns of one folder have the same keys: as a dict each figure costs a hash slot, an entry and a
number object (≈ 70 bytes), 3,300 returns 40 MB. `Figures` keeps the keys once per shape (a
`Layout` shared by every return with the same keys in the same order) and the values of one return in
one array: 1 to 8 bytes a figure. The values come back exactly as they went in: an int as that int, a
float as those bits (NaN, -0.0), anything else (text, None, a bool, a mix of ints and floats) as the
very object, in a tuple.
"""

from __future__ import annotations

import os
import weakref
from array import array
from collections.abc import Callable, ItemsView, Iterator, KeysView, Mapping, ValuesView
from typing import Any

Key = tuple[str, str]
_WHOLE = (("b", 2 ** 7), ("h", 2 ** 15), ("i", 2 ** 31), ("q", 2 ** 63))  # signed arrays of 1, 2, 4 and 8 bytes a value
TYPECODES = frozenset(code for code, _ in _WHOLE) | {"d"}


class Layout:
    """The keys of one shape of figures, in order, and where each sits (one object for every return of that shape)."""

    __slots__ = ("keys", "index", "__weakref__")

    def __init__(self, keys: tuple[Key, ...]) -> None:
        self.keys = keys
        self.index = {key: n for n, key in enumerate(keys)}


_layouts: weakref.WeakValueDictionary[tuple[Key, ...], Layout] = weakref.WeakValueDictionary()  # a layout lives while used


def layout_of(keys: tuple[Key, ...], known: dict[Any, Any] | None = None) -> Layout:
    """The one layout of these keys (made on first use, of the key objects in `known` where given, so layouts of other
    shapes share them too): the key objects of later returns are then freed."""
    found = _layouts.get(keys)
    if found is None:
        if known is not None:
            keys = tuple(known.setdefault(k, k) for k in keys)
        found = Layout(keys)
        _layouts[keys] = found
    return found


def packed(values: list[Any]) -> array | tuple[Any, ...]:
    """The values in the smallest form that gives each back as it was: an array of whole numbers as wide as the widest
    needs (counts of units fit in 2 bytes), or of doubles, else a tuple of them."""
    kinds = set(map(type, values))
    if kinds == {int}:
        low, high = min(values), max(values)
        for code, limit in _WHOLE:
            if -limit <= low and high < limit:
                return array(code, values)
    if kinds == {float}:
        return array("d", values)
    return tuple(values)


class Figures(Mapping[Key, Any]):
    """Read-only figures of one return: the keys in a shared `Layout`, the values in one array (see the module)."""

    __slots__ = ("_layout", "_values")

    def __init__(self, layout: Layout, values: array | tuple[Any, ...]) -> None:
        if len(layout.keys) != len(values):
            raise ValueError(f"{len(values)} values for {len(layout.keys)} keys")
        self._layout, self._values = layout, values

    def __getitem__(self, key: Key) -> Any:
        return self._values[self._layout.index[key]]

    def get(self, key: Key, default: Any = None) -> Any:
        """The figure under key, else default (one dict look-up: the consolidation asks for every figure of every unit)."""
        n = self._layout.index.get(key)
        return default if n is None else self._values[n]

    def __contains__(self, key: object) -> bool:
        return key in self._layout.index

    def as_dict(self) -> dict[Key, Any]:
        """The figures as a plain dict, for a run of look-ups (a dict's `get` is built in, this mapping's is not)."""
        return dict(zip(self._layout.keys, self._values))

    def whole_range(self) -> tuple[int, int] | None:
        """(lowest, highest) when every value is an int (held in an array: no text, None, bool or float among them),
        else None: thousands of figures range-checked in two built-in calls."""
        values = self._values
        if not isinstance(values, array) or values.typecode == "d":
            return None
        return (min(values), max(values)) if values else (0, 0)

    def numbers_only(self) -> bool:
        """True when every value is an int or a float (held in an array): no text among them."""
        return isinstance(self._values, array)

    def __len__(self) -> int:
        return len(self._values)

    def __iter__(self) -> Iterator[Key]:
        return iter(self._layout.keys)

    def keys(self) -> KeysView[Key]:
        """The keys, in the order they were given."""
        return KeysView(self)

    def items(self) -> ItemsView[Key, Any]:
        """(key, value) pairs, in the keys' order, without a look-up each."""
        return _Items(self)

    def values(self) -> ValuesView[Any]:
        """The values, in the keys' order."""
        return _Values(self)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Figures) and other._layout is self._layout:
            return len(self) == len(other) and all(a == b for a, b in zip(self._values, other._values))
        return super().__eq__(other)

    __hash__ = None  # type: ignore[assignment] - a mapping, as a dict

    def __repr__(self) -> str:
        return f"Figures({dict(self.items())!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as its keys (one tuple shared by every return of a shape: the pickle writes it once) and its values
        as raw bytes when they are an array; from a worker (`ship_by_number`), a layout's keys only the first time."""
        values = self._values
        typecode, payload = (values.typecode, values.tobytes()) if isinstance(values, array) else ("", values)
        if _shipped is None:
            return restore, (self._layout.keys, typecode, payload)
        number = _shipped.get(self._layout)
        if number is None:
            number = _shipped[self._layout] = len(_shipped)
            return arrived, (_sender, number, self._layout.keys, typecode, payload)
        return arrived, (_sender, number, None, typecode, payload)


class _Items(ItemsView[Key, Any]):
    """A `Figures`' items, iterated as keys and values side by side."""

    def __iter__(self) -> Iterator[tuple[Key, Any]]:
        figures: Figures = self._mapping  # type: ignore[assignment]
        return zip(figures._layout.keys, figures._values)


class _Values(ValuesView[Any]):
    """A `Figures`' values, iterated straight from its array."""

    def __iter__(self) -> Iterator[Any]:
        figures: Figures = self._mapping  # type: ignore[assignment]
        return iter(figures._values)


def compact(figures: Mapping[Key, Any], known: dict[Any, Any] | None = None) -> Figures:
    """Figures holding exactly what a mapping holds, in its order (a `Figures` is returned as it is); a new layout's
    keys are those of `known` (see `layout_of`)."""
    if isinstance(figures, Figures):
        return figures
    return Figures(layout_of(tuple(figures), known), packed(list(figures.values())))


def _checked(keys: Any) -> tuple[Key, ...]:
    """Keys as a layout holds them; anything else raises."""
    if not isinstance(keys, tuple) or not all(type(k) is tuple and len(k) == 2 for k in keys):
        raise ValueError("figures' keys must be (key, period) pairs")
    return keys


def _values_of(typecode: str, values: Any) -> array | tuple[Any, ...]:
    """Pickled values back as held: an array from its bytes, or the tuple."""
    if typecode in TYPECODES and isinstance(values, bytes):
        unpacked = array(typecode)
        unpacked.frombytes(values)
        return unpacked
    if typecode == "" and isinstance(values, tuple):
        return values
    raise ValueError(f"figures of an unknown form: {typecode!r}")


_restored: dict[int, tuple[tuple[Key, ...], weakref.ref[Layout]]] = {}
"""The layouts of keys restored lately, by the keys' identity (with the keys, so that identity is never reused): pickle
gives the thousands of entries of a note or a cache that share their keys the one tuple, checked and looked up once.
Held weakly, as `_layouts` holds them: a layout no figures use any more is made again, of the keys then known."""


def restore(keys: tuple[Key, ...], typecode: str, values: Any) -> Figures:
    """A pickled `Figures` back (a read cache's entry): anything malformed raises."""
    seen = _restored.get(id(keys))
    layout = seen[1]() if seen is not None and seen[0] is keys else None
    if layout is None:
        if len(_restored) >= 64:
            _restored.clear()
        layout = layout_of(_checked(keys))
        _restored[id(keys)] = (keys, weakref.ref(layout))
    return Figures(layout, _values_of(typecode, values))


_shipped: dict[Layout, int] | None = None
"""In a worker process (`ship_by_number`): the number under which each layout was sent to the main process."""
_sender = b""
"""In a worker process: what names it among every worker the main process has had (random: a process id is reused)."""
_arrived_layouts: dict[tuple[bytes, int], Layout] = {}
"""In the main process: the layouts workers sent, by (worker, number)."""
_arrived_keys: dict[Key, Key] = {}
"""In the main process: one object of each key workers sent, shared by the layouts of every shape (a few hundred)."""


def ship_by_number() -> None:
    """In a worker process as it starts: figures go to the main process with their layout's keys the first time only,
    then its number: a commune return's 210 keys cost more to pickle and to unpickle than its figures. A worker's
    messages arrive in the order sent, and each worker has a name of its own, so a number always names the keys that
    came with it first."""
    global _shipped, _sender
    _shipped, _sender = {}, os.urandom(8)


def arrived(sender: bytes, number: int, keys: tuple[Key, ...] | None, typecode: str, values: Any) -> Figures:
    """Figures a worker sent (`ship_by_number`); anything malformed, or a number never sent, raises."""
    if keys is not None:
        _arrived_layouts[(sender, number)] = layout_of(_checked(keys), _arrived_keys)
    return Figures(_arrived_layouts[(sender, number)], _values_of(typecode, values))


_KEY_ORDER: weakref.WeakKeyDictionary[Layout, tuple[Layout, list[int]]] = weakref.WeakKeyDictionary()


def in_key_order(figures: Mapping[Key, Any], convert: Callable[[Any], Any]) -> Figures:
    """The figures sorted by key, each value through `convert` (as a sheet that lists them sorted gives them back; an
    int must come out as it went in): the order is worked out once per layout, for the thousands of returns that share it."""
    figures = compact(figures)
    layout, values = figures._layout, figures._values
    kept = _KEY_ORDER.get(layout)
    if kept is None:
        order = sorted(range(len(layout.keys)), key=layout.keys.__getitem__)
        kept = _KEY_ORDER[layout] = (layout_of(tuple(layout.keys[n] for n in order)), order)
    to, order = kept
    if isinstance(values, array) and values.typecode != "d":
        return Figures(to, array(values.typecode, map(values.__getitem__, order)))  # whole numbers, as wide as before
    return Figures(to, packed([convert(values[n]) for n in order]))
