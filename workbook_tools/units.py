"""Administrative units: the 63-province and 34-unit structures, their validity and the mapping."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cached_property, lru_cache
from pathlib import Path

from .datafiles import data_dirs, read_csv, read_json, shipped_data_dir
from .errors import DataFileError

CENTRAL_CODE = "TW"
NATIONAL_CODE = "VN"


@dataclass(frozen=True)
class Unit:
    """One reporting unit, keyed by its official two-digit code (never by its name)."""

    code: str
    name: str
    kind: str
    slug: str
    region: str
    structure: str

    @property
    def file_stem(self) -> str:
        """File names start with the code so that a folder sorts in official order."""
        return f"{self.code}-{self.slug}"


@dataclass(frozen=True)
class Structure:
    """A set of units valid over a period (the 63 provinces, the 34 units, a province's districts)."""

    key: str
    label: str
    valid_from: date | None
    valid_to: date | None
    basis: str
    units: tuple[Unit, ...]

    def unit(self, code: str) -> Unit:
        """Look a unit up by code, with an error that names the structure."""
        found = self._by_code.get(code)
        if found is None:
            raise DataFileError(f"no unit with code {code!r} in structure {self.key}")
        return found

    @cached_property
    def _by_code(self) -> dict[str, Unit]:
        """Units by code, built once (a structure of 3,300 communes is looked up once per unit)."""
        return {unit.code: unit for unit in self.units}

    def codes(self) -> tuple[str, ...]:
        """Codes in official order."""
        return tuple(unit.code for unit in self.units)

    def valid_on(self, day: date) -> bool:
        """True when the structure was the one in force on that day."""
        after_start = self.valid_from is None or self.valid_from <= day
        before_end = self.valid_to is None or day <= self.valid_to
        return after_start and before_end


@dataclass(frozen=True)
class CentralUnit:
    """Participants counted in national totals but in no province (armed forces, public security)."""

    code: str
    name: str
    note: str


def _optional_date(text: str | None) -> date | None:
    """Parse an ISO date that may be null (an open-ended validity)."""
    return date.fromisoformat(text) if text else None


def load_units_file(path: Path, structure: str) -> tuple[Unit, ...]:
    """Read a units CSV (code,name,kind,slug,region), sorted by code."""
    rows = read_csv(path)
    units = tuple(
        Unit(r["code"], r["name"], r.get("kind", ""), r["slug"], r.get("region", ""), structure)
        for r in rows
    )
    codes = [u.code for u in units]
    if len(set(codes)) != len(codes):
        raise DataFileError(f"{path}: duplicate unit codes")
    return tuple(sorted(units, key=lambda u: u.code))


@lru_cache(maxsize=1)
def structures() -> dict[str, Structure]:
    """The shipped structures by key ('63', '34')."""
    folder = shipped_data_dir() / "units"
    meta = read_json(folder / "structures.json")
    result = {}
    for item in meta["structures"]:
        result[item["key"]] = Structure(
            key=item["key"],
            label=item["label"],
            valid_from=_optional_date(item["valid_from"]),
            valid_to=_optional_date(item["valid_to"]),
            basis=item["basis"],
            units=load_units_file(folder / item["units_file"], item["key"]),
        )
    return result


def structure(key: str) -> Structure:
    """A structure by key: a shipped one ('63', '34') or a user one (a province's districts)."""
    known = structures()
    if key in known:
        return known[key]
    user = user_structure(key)
    if user is None:
        raise DataFileError(f"unknown structure {key!r}; known: {', '.join(sorted(known))} and user structures in data folders")
    return user


_USER_STRUCTURES: dict[str, tuple[tuple[object, ...], Structure]] = {}


def _stamp(*paths: Path) -> tuple[object, ...]:
    """What tells a changed file from the one read before: path, inode, size and modification time."""
    stamp: list[object] = []
    for path in paths:
        try:
            info = path.stat()
        except OSError:
            stamp.append((str(path), None))
            continue
        stamp.append((str(path), info.st_ino, info.st_size, info.st_mtime_ns))
    return tuple(stamp)


def user_structure(key: str) -> Structure | None:
    """A structure stored by `targets split` as units/KEY.csv (+ KEY.json) in a data folder.

    Read once while its files are unchanged: every return of a commune folder asks for it.
    """
    for folder in data_dirs():
        path = folder / "units" / f"{key}.csv"
        if path.exists():
            meta_path = path.with_suffix(".json")
            stamp = _stamp(path, meta_path)
            cached = _USER_STRUCTURES.get(key)
            if cached is not None and cached[0] == stamp:
                return cached[1]
            meta = read_json(meta_path) if meta_path.exists() else {}
            found = Structure(key, meta.get("label", key), None, None, meta.get("basis", ""), load_units_file(path, key))
            _USER_STRUCTURES[key] = stamp, found
            return found
    return None


def structure_as_of(day: date) -> Structure:
    """The structure in force on a given day (63 until 30/6/2025, 34 from 1/7/2025)."""
    for candidate in structures().values():
        if candidate.valid_on(day):
            return candidate
    raise DataFileError(f"no administrative structure is known for {day.isoformat()}")


@lru_cache(maxsize=1)
def central_unit() -> CentralUnit:
    """The centrally managed share of national totals, shown on its own line."""
    meta = read_json(shipped_data_dir() / "units" / "structures.json")["central"]
    return CentralUnit(meta["code"], meta["name"], meta["note"])


@lru_cache(maxsize=1)
def mapping_63_to_34() -> dict[str, str]:
    """Old province code → new unit code; each old province goes into exactly one new unit."""
    rows = read_csv(shipped_data_dir() / "units" / "mapping-63-34.csv")
    mapping = {r["old_code"]: r["new_code"] for r in rows}
    old, new = structure("63"), structure("34")
    if set(mapping) != set(old.codes()) or set(mapping.values()) != set(new.codes()):
        raise DataFileError("mapping-63-34.csv does not cover exactly the 63 and the 34 units")
    return mapping
