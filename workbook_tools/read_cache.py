"""What reading each returned file gave, kept between runs by content, so a run reads only the files that changed.

An entry is found by the SHA-256 of a file's bytes and the file's name (problems name the file),
never by its size or modification time (an unzipped attachment keeps an old time; a re-sent file
can have the same size and time). Everything else a reading depends on (the tool's code and
version, the forms, the plan's figures, the structure its names resolve in, the shipped reference
data, the reading function) makes the namespace: one cache file per namespace and returns folder,
rewritten at the end of each run with that run's entries only, so it never grows and never mixes
two plans. The path and modification time of a file are not kept: they are taken from the file.
The identities that tell which plan a folder is for (`identities`) are kept the same way, in a
namespace of the code alone.

The cache only ever saves time: a cache file missing, truncated, damaged (its checksum is
checked), of another format or unwritable, a cache folder that is a file or read-only, a full disk
- each silently means the files are read, as without it. Results that may not come again from the
same bytes (a worker that crashed, ran out of time or raised, a file that could not be opened or
parsed) are never kept.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import stat
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import fields
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from . import __version__
from .datafiles import shipped_data_dir
from .errors import WorkbookToolsError
from .figures import restore
from .forms import FormSet
from .intake import MAX_FILE
from .parallel import run_jobs
from .plans import PlanTargets
from .problems import Problem
from .read import Return, opened_return

CACHE_ENV = "WORKBOOK_TOOLS_CACHE"
OFF = frozenset({"off", "no", "none", "false", "0"})
FORMAT = 1
MAGIC = b"workbook-tools read cache\n"
PREFIX = "reads-"
IDENTITIES = "ids-"  # the identities files carry (see `identities`): keyed by bytes and name alone
WRITTEN = "written-"  # the SHA-256 of a national workbook as this tool wrote it (see `written_unchanged`)
MAX_CACHE = 256 * 1024 * 1024  # about 80,000 returns; a bigger file is not ours to load
NEVER_KEPT = frozenset({"read_crashed", "read_timeout", "read_failed", "corrupt", "encrypted"})
OTHER_NAMESPACE_DAYS = 7  # a cache file of another version, plan or data unused this long is removed
ANY_DAYS = 60  # any cache file unused this long (a folder long gone)
LEFTOVER_SECONDS = 24 * 3600  # a temporary file of a run killed while writing
_NOT_KEPT_FIELDS = ("path", "modified")  # taken from the file on each run

Key = tuple[bytes, str]
State = dict[str, Any]


def cache_dir() -> Path | None:
    """Where the cache files live: $WORKBOOK_TOOLS_CACHE (`off` turns the cache off), else the user cache folder."""
    value = os.environ.get(CACHE_ENV, "").strip()
    if value.casefold() in OFF:
        return None
    if value:
        return Path(value)
    import platformdirs

    return Path(platformdirs.user_cache_dir("workbook-tools", appauthor=False))


def namespace(func: Callable[..., Any], data: PlanTargets, forms: FormSet) -> str | None:
    """Everything but a file's bytes and name that the result of reading it depends on, as one digest; None
    when it cannot be told (the structure of the plan is unknown: the reading will say so, uncached)."""
    from .units import structure

    digest = hashlib.sha256(f"{FORMAT}|{__version__}|{sys.version}|{func.__module__}.{func.__qualname__}".encode())
    digest.update(_code_digest())
    digest.update(repr(forms).encode())
    digest.update(repr((data.plan, data.targets)).encode())
    try:
        digest.update(repr(structure(data.plan.structure)).encode())
    except WorkbookToolsError:
        return None
    return digest.hexdigest()


@lru_cache(maxsize=1)
def _code_digest() -> bytes:
    """The tool's own source and shipped reference data (units, names, indicators), hashed once per process."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent
    data = shipped_data_dir()
    for base, files in ((package, sorted(package.rglob("*.py"))),
                        (data, sorted([*(data / "units").glob("*"), data / "indicators.csv"]))):
        for path in files:
            try:
                digest.update(str(path.relative_to(base)).encode() + b"\0" + path.read_bytes() + b"\0")
            except OSError:
                digest.update(str(path).encode() + b"\0missing\0")
    return digest.digest()


class _Unpickler(pickle.Unpickler):
    """Loads only what an entry holds: plain values, dates and problems; any other class refuses the file."""

    ALLOWED = {("datetime", "date"): date, ("datetime", "datetime"): datetime, ("workbook_tools.problems", "Problem"): Problem,
               ("workbook_tools.figures", "restore"): restore}

    def find_class(self, module: str, name: str) -> Any:
        found = self.ALLOWED.get((module, name))
        if found is None:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a read cache")
        return found


class ReadCache:
    """The cache file of one returns folder under one namespace."""

    def __init__(self, file: Path, space: str, folder: str) -> None:
        self.file, self.namespace, self.folder = file, space, folder

    @classmethod
    def of(cls, folder: Path, func: Callable[..., Any], data: PlanTargets, forms: FormSet) -> ReadCache | None:
        """The cache of a returns folder's readings; None when the cache is off, cannot be keyed, or would sit in the folder."""
        space = namespace(func, data, forms) if cache_dir() is not None else None
        return cls.at(folder, space, PREFIX) if space else None

    @classmethod
    def at(cls, folder: Path, space: str, prefix: str) -> ReadCache | None:
        """The cache file of a returns folder under a namespace; None when the cache is off or would sit in the folder."""
        where = cache_dir()
        if where is None:
            return None
        try:
            resolved = str(folder.resolve())
            if _inside(where, Path(resolved)):
                return None  # nothing is ever written in a returns folder
        except (OSError, RuntimeError):
            return None
        place = hashlib.sha256(os.fsencode(resolved)).hexdigest()[:24]
        return cls(where / f"{prefix}{space[:24]}-{place}.pickle", space, resolved)

    def load(self) -> dict[Key, State]:
        """The entries of the last run on this folder under this namespace; {} on any failure."""
        try:
            with open(self.file, "rb") as handle:
                if os.fstat(handle.fileno()).st_size > MAX_CACHE + len(MAGIC) + 65:
                    return {}
                head = handle.read(len(MAGIC) + 65)
                payload = handle.read()
            if head[:len(MAGIC)] != MAGIC or head[-1:] != b"\n" or hashlib.sha256(payload).hexdigest().encode() != head[len(MAGIC):-1]:
                return {}
            kind, space, folder, entries = _Unpickler(io.BytesIO(payload)).load()
            del payload
            if (kind, space, folder) != (FORMAT, self.namespace, self.folder) or not isinstance(entries, dict):
                return {}
            return entries
        except Exception:  # noqa: BLE001 - missing, unreadable or damaged: the files are read instead
            return {}

    def save(self, entries: dict[Key, Any] | None) -> None:
        """Keep this run's entries (only them) in place of the last run's (None: the same as loaded); a failure loses
        the cache, never the run."""
        try:
            if entries is None:
                os.utime(self.file)  # still in use: not pruned
            else:
                self._write(pickle.dumps((FORMAT, self.namespace, self.folder, entries), protocol=pickle.HIGHEST_PROTOCOL))
        except Exception:  # noqa: BLE001 - full disk, read-only folder, a folder that is a file: uncached next time
            return
        self._prune()

    def _write(self, payload: bytes) -> None:
        """Write the file under a temporary name beside it, then rename it over (two runs at once: the last one wins)."""
        self.file.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=self.file.parent, prefix=f".{self.file.name.split('-')[0]}-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(MAGIC + hashlib.sha256(payload).hexdigest().encode() + b"\n")
                handle.write(payload)
            os.replace(name, self.file)
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise

    def _prune(self) -> None:
        """Remove cache files no run has used for long, and temporary files of runs killed while writing."""
        now = time.time()
        kind, mine = self.file.name.split("-")[:2]
        try:
            entries = list(os.scandir(self.file.parent))
        except OSError:
            return
        for entry in entries:
            if entry.name == self.file.name or not entry.name.lstrip(".").startswith((PREFIX, IDENTITIES, WRITTEN)):
                continue
            try:
                age = now - entry.stat(follow_symlinks=False).st_mtime
                leftover = entry.name.startswith(".") and age > LEFTOVER_SECONDS
                other = not entry.name.startswith(".") and entry.name.split("-")[:2] != [kind, mine] and age > OTHER_NAMESPACE_DAYS * 86400
                if leftover or other or age > ANY_DAYS * 86400:
                    os.unlink(entry.path)
            except OSError:
                continue


def keepable(ret: Return) -> bool:
    """A result that the same bytes always give: read whole by the reader itself, not a failure to open or parse."""
    return type(ret) is Return and bool(ret.sha256) and not any(p.code in NEVER_KEPT for p in ret.problems)


def _key(ret: Return) -> Key:
    """An entry's key: the file's name as stored (its bytes) and the SHA-256 of the bytes the reader read."""
    return os.fsencode(ret.path.name), ret.sha256


def _state(ret: Return) -> State:
    """What a result holds but its path and modification time."""
    return {f.name: getattr(ret, f.name) for f in fields(Return) if f.name not in _NOT_KEPT_FIELDS}


def _inside(path: Path, folder: Path) -> bool:
    """True when path is the folder or under it (the cache must never be written into a returns folder)."""
    try:
        path.resolve().relative_to(folder)
    except ValueError:
        return False
    return True


def cached_result(path: Path, entries: dict[Key, State]) -> Return | None:
    """The kept result of a file whose bytes and name are unchanged (its entry taken out of `entries`), else None."""
    key = _content_key(path)
    state = entries.pop(key, None) if key else None
    if not isinstance(state, dict) or state.get("sha256") != key[1]:
        return None
    try:
        modified = datetime.fromtimestamp(path.stat().st_mtime).replace(microsecond=0)  # as the reader takes it
        return Return(path, modified=modified, **state)
    except (OSError, TypeError, ValueError, OverflowError):
        return None


def _content_key(path: Path) -> Key | None:
    """A file's name as stored and the SHA-256 of its bytes; None for what is left to the reader: a lock file, a file
    too large, what is not a regular file (a pipe would wait, a device never end), or a file that cannot be read."""
    if path.name.startswith("~$"):
        return None
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_FILE:
            return None
        return os.fsencode(path.name), file_sha256(path)
    except OSError:
        return None


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, read in blocks (raises OSError when it cannot be read)."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def read_files(
    func: Callable[..., Return], files: Sequence[Path], data: PlanTargets, forms: FormSet, *, folder: Path,
    workers: int = 0, progress: Callable[[Return], None] | None = None, failed: Callable[..., Return] | None = None,
    cache: bool = True, start: Callable[[], None] | None = None,
) -> list[Return]:
    """`func(path, data, forms)` of every file, in order, as `run_jobs` gives them; with the cache, only the files
    whose bytes or name changed since the last run on this folder are read, the others' results are the kept ones
    (`progress` is called for them too, as they are found)."""
    store = ReadCache.of(folder, func, data, forms) if cache else None
    if store is None:
        return run_jobs(func, [(path,) for path in files], workers, progress, shared=(data, forms), failed=failed, start=start)
    entries = store.load()
    loaded = len(entries)
    results: list[Return | None] = [None] * len(files)
    misses = []
    for number, path in enumerate(files):
        found = cached_result(path, entries) if entries else None
        if found is None:
            misses.append(number)
            continue
        results[number] = found
        if progress:
            progress(found)
    unchanged = not misses and not entries and loaded == len(files)
    del entries  # what no file matched any more: freed before the reading starts
    read = run_jobs(func, [(files[n],) for n in misses], workers, progress, shared=(data, forms), failed=failed, start=start)
    for number, ret in zip(misses, read):
        results[number] = ret
    done: list[Return] = results  # type: ignore[assignment] - every slot is filled
    store.save(None if unchanged else {_key(ret): _state(ret) for ret in done if keepable(ret)})
    return done


def identities(folder: Path, files: Sequence[Path], cache: bool = True) -> list[dict[str, str] | None]:
    """What each file says it is (its `_meta`, overridden by its document properties where both speak), in order; with
    the cache, a file whose bytes and name are unchanged since the last run on the folder is not opened.

    An identity depends on nothing but the bytes, the name and the tool's code, so its namespace is the code's;
    a file that cannot be read (None) is never kept.
    """
    space = hashlib.sha256(f"{FORMAT}|{__version__}|{sys.version}|identities".encode() + _code_digest()).hexdigest()
    store = ReadCache.at(folder, space, IDENTITIES) if cache else None
    entries = store.load() if store else {}
    loaded, kept, found = len(entries), {}, []
    for path in files:
        hit = _identity_kept(path, entries) if entries else None
        if hit is not None:
            kept[hit[0]] = hit[1]
            found.append(hit[1])
            continue
        ret = Return(path)
        with opened_return(ret, ("_meta",)) as opened:
            identity = {**opened.meta, **opened.props} if opened else None
        if identity is not None and ret.sha256:
            kept[(os.fsencode(path.name), ret.sha256)] = identity
        found.append(identity)
    if store:
        store.save(None if not entries and loaded == len(kept) == len(files) else kept)
    return found


def _identity_kept(path: Path, entries: dict[Key, Any]) -> tuple[Key, dict[str, str]] | None:
    """The kept identity of a file whose bytes and name are unchanged (taken out of `entries`), with its key."""
    key = _content_key(path)
    identity = entries.pop(key, None) if key else None
    return (key, identity) if isinstance(identity, dict) else None


def _written_store(path: Path) -> ReadCache | None:
    """Where the SHA-256 of the workbook at `path` as last written is noted (one small file per output path)."""
    return ReadCache.at(path, hashlib.sha256(f"{FORMAT}|written".encode()).hexdigest(), WRITTEN)


def remember_written(path: Path, digest: str, held: Any = None) -> None:
    """Note the SHA-256 a workbook had when this tool wrote it (taken from the file before it was renamed into place),
    and with it the figures its `_data` sheet holds as they read back (`held.held_as_written`), so that while those
    bytes stay the next round takes them from here instead of reading them out of the workbook."""
    store = _written_store(path)
    if store is not None:
        store.save({"sha256": digest} if held is None else {"sha256": digest, "held": held})


def written_note(path: Path) -> dict[str, Any] | None:
    """The note of a workbook (`remember_written`) only while its bytes are still those this tool wrote: then no cell of
    it can have been changed by hand, and what it holds is what the note says. Any doubt (no note, the cache off or
    damaged, the file unreadable or changed) is None: the workbook itself is read and searched."""
    store = _written_store(path)
    note = store.load() if store is not None else {}
    recorded = note.get("sha256")  # type: ignore[call-overload]
    if not isinstance(recorded, str):
        return None
    try:
        return note if file_sha256(path) == recorded else None  # type: ignore[return-value]
    except OSError:
        return None


def written_unchanged(path: Path) -> bool:
    """True only when a workbook's bytes are still those this tool wrote (`written_note`): the cell-by-cell search for
    hand edits (about 1 s at 3,300 units) is then not needed."""
    return written_note(path) is not None
