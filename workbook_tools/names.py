"""The one name resolver: every unit name read from a file becomes a code here, or an error.

Seed tables spell one province many ways (``Kom Tum``, ``T. Thiên - Huế``, ``Bà Rịa-V. Tàu``,
``Hoà``/``Hòa``, NFC/NFD, missing diacritics). Names are folded to an ASCII key; a one-letter
token (``T.``, ``V.``) stands for any word starting with that letter; known aliases come from
``data/units/aliases.csv``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from .datafiles import read_csv, shipped_data_dir
from .errors import AmbiguousUnitError, UnknownUnitError
from .units import Structure, Unit, mapping_63_to_34, structure

_PREFIXES = (("bhxh",), ("bao", "hiem", "xa", "hoi"), ("thanh", "pho"), ("tinh",), ("tp",), ("t", "p"))
_NON_WORD = re.compile(r"[^0-9a-z]+")


def fold(text: str) -> str:
    """ASCII key of a name: no diacritics (đ → d), lower case, punctuation as spaces."""
    decomposed = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return " ".join(_NON_WORD.sub(" ", stripped).split())


def _strip_prefixes(tokens: tuple[str, ...]) -> tuple[str, ...]:
    """Drop 'BHXH', 'Tỉnh', 'TP', 'Thành phố' in front, as often as they repeat."""
    changed = True
    while changed and tokens:
        changed = False
        for prefix in _PREFIXES:
            if len(tokens) > len(prefix) and tokens[: len(prefix)] == prefix:
                tokens = tokens[len(prefix) :]
                changed = True
    return tokens


def name_tokens(text: str) -> tuple[str, ...]:
    """Folded tokens of a name, administrative prefixes removed."""
    return _strip_prefixes(tuple(fold(text).split()))


def _tokens_match(query: tuple[str, ...], canonical: tuple[str, ...]) -> bool:
    """Token-wise match where a one-letter query token abbreviates a word (``T.`` → Thừa)."""
    if len(query) != len(canonical):
        return False
    return all(q == c or (len(q) == 1 and c.startswith(q)) for q, c in zip(query, canonical))


@dataclass
class NameResolver:
    """Resolves names to the codes of one structure; the only place names become codes."""

    structure: Structure
    aliases: dict[tuple[str, ...], str] = field(default_factory=dict)
    former: dict[tuple[str, ...], Unit] = field(default_factory=dict)
    former_target: dict[str, Unit] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._exact: dict[tuple[str, ...], set[str]] = {}
        for unit in self.structure.units:
            self._exact.setdefault(name_tokens(unit.name), set()).add(unit.code)
            self._exact.setdefault(tuple(unit.slug.split("-")), set()).add(unit.code)
        self._joined: dict[str, set[str]] = {}
        self._lengths = sorted({len(key) for key in self._exact if key})
        self._named: dict[tuple[str, bool], frozenset[str]] = {}
        for key, codes in self._exact.items():
            self._joined.setdefault("".join(key), set()).update(codes)

    def candidates(self, name: str) -> tuple[str, ...]:
        """Every code the name could mean, best evidence first (exact, alias, abbreviation)."""
        tokens = name_tokens(name)
        if not tokens:
            return ()
        if tokens in self._exact:
            return tuple(sorted(self._exact[tokens]))
        if tokens in self.aliases:
            return (self.aliases[tokens],)
        if "".join(tokens) in self._joined:
            return tuple(sorted(self._joined["".join(tokens)]))
        found = {
            code
            for key, codes in self._exact.items()
            if _tokens_match(tokens, key)
            for code in codes
        }
        return tuple(sorted(found))

    def named_in(self, text: str, *, after_marker: bool = False) -> set[str]:
        """Codes of the units a free text names (see `units_named_in`): every run of its words looked up
        as a whole name, so the cost does not grow with the number of units (communes share first words)."""
        memo = self._named.get((text, after_marker))
        if memo is None:
            if len(self._named) > 4096:
                self._named.clear()
            memo = self._named[(text, after_marker)] = frozenset(self._named_in(tuple(fold(text).split()), after_marker))
        return set(memo)

    def _named_in(self, tokens: tuple[str, ...], after_marker: bool) -> set[str]:
        """Codes named by the words `tokens` (see `named_in`)."""
        found: set[str] = set()
        for start in range(len(tokens)):
            for length in self._lengths:
                if start + length > len(tokens):
                    break
                codes = self._exact.get(tokens[start:start + length])
                if codes and (not after_marker or any(tokens[max(0, start - len(m)):start] == m for m in _UNIT_MARKERS)):
                    found |= codes
        return found

    def resolve(self, name: str, *, where: str = "") -> str:
        """The code for a name, or an error naming the name, where it was read and why."""
        found = self.candidates(name)
        place = f" ({where})" if where else ""
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            listed = ", ".join(f"{c} {self.structure.unit(c).name}" for c in found)
            raise AmbiguousUnitError(
                name, f"tên đơn vị «{name}»{place} không rõ là đơn vị nào: có thể là {listed}", found
            )
        raise UnknownUnitError(name, f"không nhận ra tên đơn vị «{name}»{place}{self._hint(name)}")

    def resolve_code_or_name(self, text: str) -> str:
        """Accept a two-digit code as typed on the command line, or any spelling of a name."""
        stripped = text.strip()
        if stripped.isdigit():
            code = stripped.zfill(2)
            if code in self.structure.codes():
                return code
        return self.resolve(stripped)

    def _hint(self, name: str) -> str:
        """Say where a former province went, so a 63-era name in a 34-unit file is explained."""
        tokens = name_tokens(name)
        old = self.former.get(tokens)
        if old is None:
            return f" trong cơ cấu {self.structure.key} đơn vị ({self.structure.label})"
        new = self.former_target[old.code]
        return (
            f": {old.name} là tỉnh cũ (cơ cấu 63, đến 30/06/2025),"
            f" nay thuộc {new.name} ({new.code})"
        )


def _alias_map(key: str) -> dict[tuple[str, ...], str]:
    """Aliases for one structure from data/units/aliases.csv."""
    rows = read_csv(shipped_data_dir() / "units" / "aliases.csv")
    return {name_tokens(r["alias"]): r["code"] for r in rows if r["structure"] == key}


_USER_RESOLVERS: dict[str, tuple[Structure, NameResolver]] = {}


def resolver(key: str = "63") -> NameResolver:
    """The resolver of a structure: shipped ones cached with aliases and former names, user ones
    rebuilt only when their structure's files changed (each return of a commune folder asks)."""
    if key in ("63", "34"):
        return _shipped_resolver(key)
    target = structure(key)
    cached = _USER_RESOLVERS.get(key)
    if cached is None or cached[0] is not target:
        cached = _USER_RESOLVERS[key] = target, NameResolver(target)
    return cached[1]


@lru_cache(maxsize=None)
def _shipped_resolver(key: str) -> NameResolver:
    """A shipped structure's resolver, aliases and former names included."""
    target = structure(key)
    result = NameResolver(target, _alias_map(key))
    if key == "34":
        old = structure("63")
        mapping = mapping_63_to_34()
        result.former = {name_tokens(u.name): u for u in old.units}
        result.former_target = {u.code: target.unit(mapping[u.code]) for u in old.units}
    return result



_UNIT_MARKERS = (("bhxh",), ("tinh",), ("tp",), ("thanh", "pho"))


def units_named_in(text: str, key: str = "63", *, after_marker: bool = False) -> set[str]:
    """Codes of the units a free text names (a file name, a signature), matched on whole words.

    With `after_marker`, a name counts only after 'BHXH', 'tỉnh', 'TP' or 'thành phố', since
    people's names (Hòa Bình, Long An, Hải Dương) are also province names.
    """
    return resolver(key).named_in(text, after_marker=after_marker)
