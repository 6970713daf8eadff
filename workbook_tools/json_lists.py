"""JSON text of many short lists alike, one per unit or per row of the national workbook, made from one template per shape.

The hidden sheets keep each unit's figures (`_data`) and each row's figures as written (`_shown`) as
JSON lists whose keys repeat from one unit or row to the next: [["bhxh_bb","2025-01",751],…] or
[[4,751],…]. The keys' JSON is made once per shape, so a list costs one `str.format` of its values;
the text is exactly what the `json` encoder given makes of the list, and anything other than plain
numbers (and "" for a blank) is left to that encoder.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any

_NUMBERS = frozenset({int, float})
_BLANK_OR_NUMBER = frozenset({int, float, str})


class Template:
    """A list of [*key, value] items with fixed keys, given values in `order` (positions in the list given to `text`,
    at least two) or as they come: its text from the values alone."""

    def __init__(self, encode: Callable[[Any], str], keys: Sequence[Sequence[Any]], order: Sequence[int] | None = None) -> None:
        heads = (encode(list(key))[:-1] + ("," if key else "") for key in keys)
        self.format = ("[" + ",".join(head.replace("{", "{{").replace("}", "}}") + "{}]" for head in heads) + "]").format
        self.pick = itemgetter(*order) if order is not None else None

    def text(self, values: Sequence[Any]) -> str | None:
        """The list's JSON, as `encode` writes it; None when a value is not a plain finite number or "" (the encoder's job)."""
        if self.pick is not None:
            values = self.pick(values)
        kinds = set(map(type, values))
        if not kinds <= _NUMBERS:
            if not kinds <= _BLANK_OR_NUMBER or any(v != "" for v in values if v.__class__ is str):
                return None
            values = ['""' if v.__class__ is str else v for v in values]
        if float in kinds and not all(math.isfinite(v) for v in values if v.__class__ is float):
            return None
        return self.format(*values)


class Templates(dict[Any, Template]):
    """Templates by shape (the keys, in order), made when first met; at most `limit` kept."""

    def __init__(self, encode: Callable[[Any], str], limit: int = 64) -> None:
        super().__init__()
        self.encode, self.limit = encode, limit

    def of(self, shape: Any, keys: Callable[[], tuple[Sequence[Sequence[Any]], Sequence[int] | None]]) -> Template:
        """The template of this shape (`keys()` gives its keys and order the first time)."""
        found = self.get(shape)
        if found is None:
            if len(self) >= self.limit:
                self.clear()
            found = self[shape] = Template(self.encode, *keys())
        return found
