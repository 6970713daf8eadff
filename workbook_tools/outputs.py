"""Every file the tool writes goes through here, so none is lost, mixed up or left half-written.

The rules: a file is replaced only when it carries the tool's own identity (or with --force);
nothing is ever written inside a returns folder; each file is written under a unique temporary
name in its own folder, flushed to disk and renamed over the target, so the previous file stays
intact on any failure (full disk, Ctrl-C, SIGTERM) and no temporary file is left behind; one
run at a time writes a given path (a lock beside it); and every file-system failure becomes one
Vietnamese sentence naming the path and what to do.
"""

from __future__ import annotations

import csv
import errno
import gc
import io
import json
import math
import os
import shutil
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from .errors import OutputError

TOOL = "workbook-tools"
TOOL_KEY = "tool"

Identity = Callable[[Path], bool]
Writer = Callable[[Path], None]
_HELD_LOCKS: dict[Path, int] = {}


def _never(_path: Path) -> bool:
    """Identity of outputs that may never replace an existing file without --force."""
    return False


def same_or_inside(path: Path, folder: Path) -> bool:
    """True when path is the folder itself or anywhere under it (links and `..` resolved)."""
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def distinct(*paths: Path | None) -> None:
    """Two outputs of one run must not be the same file (one would overwrite the other)."""
    seen: dict[Path, Path] = {}
    for path in paths:
        if path is None:
            continue
        key = path.resolve()
        if key in seen:
            raise OutputError(f"{seen[key]} và {path} là cùng một tệp; hãy cho mỗi kết quả một tên riêng.")
        seen[key] = path


def check_target(path: Path, *, ours: Identity = _never, force: bool = False, keep_out: Sequence[Path] = ()) -> None:
    """Refuse, before any work, a target inside a returns folder, a folder, or someone else's file."""
    for folder in keep_out:
        if same_or_inside(path, folder):
            raise OutputError(
                f"Không ghi {path}: tệp kết quả không được nằm trong thư mục báo cáo gửi về {folder}; "
                "hãy chọn một thư mục khác."
            )
    if path.is_dir():
        raise OutputError(f"Không ghi được {path}: đó là một thư mục; hãy cho tên tệp.")
    if path.exists() and not force and not ours(path):
        raise OutputError(
            f"Không ghi đè {path}: tệp này không phải do workbook-tools tạo ra (có thể là báo cáo gửi về); "
            "hãy chọn tên khác, hoặc thêm --force nếu chắc chắn muốn thay nó."
        )
    parent = path.parent
    if not parent.is_dir():
        what = "không phải là thư mục" if parent.exists() else "không tồn tại"
        raise OutputError(f"Không ghi được {path}: thư mục {parent} {what}; hãy tạo thư mục hoặc chọn đường dẫn khác.")


def make_folder(folder: Path) -> None:
    """Create an output folder (and its parents), with the same plain message on failure."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (OSError, FileExistsError) as exc:
        raise OutputError(os_error_message(folder, exc)) from exc
    if not folder.is_dir():
        raise OutputError(f"Không ghi được vào {folder}: đó không phải là thư mục; hãy chọn đường dẫn khác.")


def os_error_message(path: Path, exc: OSError) -> str:
    """One Vietnamese sentence for a file-system failure: what happened to which path, and what to do."""
    code = exc.errno
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        return f"Không ghi được {path}: ổ đĩa đã đầy; hãy giải phóng dung lượng rồi chạy lại (tệp cũ, nếu có, vẫn nguyên vẹn)."
    if code in (errno.EACCES, errno.EPERM, errno.EROFS, getattr(errno, "ETXTBSY", -1)):
        return (f"Không ghi được {path}: không có quyền ghi hoặc tệp đang mở (ví dụ trong Excel); "
                "hãy đóng tệp hoặc chọn thư mục khác rồi chạy lại.")
    if code == errno.ENOENT and path.parent.is_dir():
        return f"Không ghi được {path}: thư mục {path.parent} không cho tạo tệp; hãy chọn một thư mục khác."
    if code == errno.ENOENT:
        return f"Không ghi được {path}: thư mục {path.parent} không tồn tại; hãy tạo thư mục hoặc chọn đường dẫn khác."
    if code in (errno.ENOTDIR, errno.EEXIST):
        return f"Không ghi được {path}: một phần của đường dẫn là tệp chứ không phải thư mục; hãy chọn đường dẫn khác."
    if code == errno.EISDIR:
        return f"Không ghi được {path}: đó là một thư mục; hãy cho tên tệp."
    reason = exc.strerror or exc.__class__.__name__
    return f"Không ghi được {path} ({reason}); hãy kiểm tra ổ đĩa và thư mục rồi chạy lại."


def _os_error_in(exc: BaseException) -> OSError | None:
    """The OSError behind an exception (xlsxwriter wraps it in FileCreateError)."""
    seen: BaseException | None = exc
    for _ in range(4):
        if seen is None:
            return None
        if isinstance(seen, OSError):
            return seen
        inner = next((a for a in getattr(seen, "args", ()) if isinstance(a, OSError)), None)
        seen = inner or seen.__cause__ or seen.__context__
    return None


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold `.NAME.lock` beside path for the whole run, so a second run at once stops instead of racing.

    Re-entrant within one process: a command may hold the lock from reading the previous output
    to writing the new one, and the writer inside takes it again.
    """
    lock_path = path.with_name(f".{path.name}.lock")
    key = lock_path.resolve()
    if key in _HELD_LOCKS:
        _HELD_LOCKS[key] += 1
        try:
            yield
        finally:
            _HELD_LOCKS[key] -= 1
        return
    while True:
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as exc:
            raise OutputError(os_error_message(path, exc)) from exc
        if not _try_lock(fd):
            os.close(fd)
            raise OutputError(
                f"Không ghi được {path}: một lần chạy khác đang ghi tệp này; hãy đợi lần đó xong rồi chạy lại."
            )
        try:
            same = os.fstat(fd).st_ino == os.stat(lock_path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)  # the lock file was removed by the run that just finished: take the new one
    _HELD_LOCKS[key] = 1
    try:
        yield
    finally:
        del _HELD_LOCKS[key]
        try:
            os.unlink(lock_path)  # while still held, so no other run holds a lock on a removed file
            removed = True
        except OSError:
            removed = False  # Windows will not remove an open file: remove it once closed
        os.close(fd)
        if not removed:
            try:
                os.unlink(lock_path)
            except OSError:
                pass


def _try_lock(fd: int) -> bool:
    """An exclusive, non-blocking lock released by the system if the process dies."""
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        # Held by another run; any other failure means the file system has no locks (some network
        # shares): write without one rather than refuse every run.
        return exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES)
    return True


def _umask() -> int:
    """The process's umask (read by setting it back), so outputs get ordinary permissions."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: Path, write: Writer) -> None:
    """Let `write` fill a unique temporary file beside path, flush it to disk, then rename it over path."""
    try:
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise OutputError(os_error_message(path, exc)) from exc
    os.close(fd)
    temporary = Path(name)
    try:
        write(temporary)
        os.chmod(temporary, 0o666 & ~_umask())
        with open(temporary, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException as exc:
        _release(exc)
        temporary.unlink(missing_ok=True)
        cause = _os_error_in(exc)
        if cause is not None and not isinstance(exc, OutputError):
            raise OutputError(os_error_message(path, cause)) from exc
        raise
    _sync_folder(path.parent)


def _release(exc: BaseException) -> None:
    """Close what a failed writer left open (a half-written zip) now, quietly, not at exit with a traceback."""
    previous = sys.unraisablehook
    sys.unraisablehook = lambda _unraisable: None
    try:
        seen: BaseException | None = exc
        for _ in range(8):
            if seen is None:
                break
            tb = seen.__traceback__
            if tb is not None and seen is exc:
                tb = tb.tb_next  # write_atomic's own frame is still running
            if tb is not None:
                traceback.clear_frames(tb)
            seen = seen.__cause__ or seen.__context__
        gc.collect()
    finally:
        sys.unraisablehook = previous


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable where the system allows it (not on Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_output(path: Path, write: Writer, *, ours: Identity = _never, force: bool = False, keep_out: Sequence[Path] = ()) -> None:
    """Check the target, take its lock and write it atomically: the one way a file leaves the tool."""
    check_target(path, ours=ours, force=force, keep_out=keep_out)
    with locked(path):
        check_target(path, ours=ours, force=force, keep_out=keep_out)
        write_atomic(path, write)


def write_text(path: Path, text: str, *, encoding: str = "utf-8", **rules: Any) -> None:
    """A text output through write_output."""
    write_output(path, lambda temporary: temporary.write_text(text, encoding=encoding, newline=""), **rules)


def dumps_json(payload: Any, **options: Any) -> str:
    """Strict JSON text: NaN or infinity refuse loudly instead of producing what parsers reject."""
    try:
        return json.dumps(payload, ensure_ascii=False, allow_nan=False, default=_iso_date, **options)
    except ValueError as exc:
        raise _not_finite(payload) from exc


def _not_finite(payload: Any) -> OutputError:
    """The error for a payload holding NaN or infinity, naming where."""
    where = _non_finite_path(payload)
    return OutputError(
        f"Không ghi JSON: có giá trị không phải số hữu hạn (NaN hoặc vô cực) tại {where or '?'}; "
        "hãy kiểm tra lại ô nhập tương ứng."
    )


def _non_finite_path(value: Any, where: str = "$") -> str | None:
    """Where in a payload the first NaN/infinity sits, as a JSON path, for the message."""
    if isinstance(value, float) and not math.isfinite(value):
        return where
    if isinstance(value, dict):
        items: Any = ((f"{where}.{k}", v) for k, v in value.items())
    elif isinstance(value, (list, tuple, Each)):
        items = ((f"{where}[{i}]", v) for i, v in enumerate(value))
    else:
        return None
    for path, inner in items:
        found = _non_finite_path(inner, path)
        if found:
            return found
    return None


def write_json(path: Path, payload: dict[str, Any], *, force: bool = False, keep_out: Sequence[Path] = (),
               encoded: Path | None = None) -> None:
    """JSON for scripts, marked with {"tool": "workbook-tools"} so a later run knows it may replace it;
    streamed to the file a piece at a time (thousands of units never held as one text). `encoded`: the
    same payload already written by `encode_json` (in a child process), copied instead of encoded again."""
    def write(temporary: Path) -> None:
        if encoded is not None:
            shutil.copyfile(encoded, temporary)
        else:
            encode_json(payload, temporary)

    write_output(path, write, ours=is_our_json, force=force, keep_out=keep_out)


def encode_json(payload: dict[str, Any], file: Path) -> None:
    """The text `write_json` writes, into a file of no importance (a temporary one): strict, or OutputError."""
    marked = {TOOL_KEY: TOOL, **payload}
    try:
        with file.open("w", encoding="utf-8") as handle:
            handle.writelines(json_pieces(marked))
    except ValueError as exc:
        raise _not_finite(marked) from exc


_OUR_START = ("{\n  " + json.dumps(TOOL_KEY) + ": " + json.dumps(TOOL) + ",\n").encode()


class Each:
    """A JSON list whose items are made as they are written (`json_pieces`) and dropped after: the dicts of
    3,300 units, held at once, were 20 MB more in the process encoding them."""

    def __init__(self, items: Sequence[Any], make: Callable[[Any], Any]) -> None:
        self.items, self.make = items, make

    def __iter__(self) -> Iterator[Any]:
        return map(self.make, self.items)

    def __len__(self) -> int:
        return len(self.items)


def json_pieces(payload: dict[str, Any]) -> Iterator[str]:
    """Strict JSON, one top-level key a line and one list item (a unit, a figure, a problem) a line.

    Each piece goes through json's C encoder (it is not used with `indent`): thousands of units
    encode several times faster, and the file still reads line by line.
    """
    def encode(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, default=_iso_date, allow_nan=False)

    for number, (key, value) in enumerate(payload.items()):
        yield ("{\n  " if number == 0 else ",\n  ") + encode(key) + ": "
        if isinstance(value, (list, Each)) and len(value):
            items = iter(value)
            yield "[\n    " + encode(next(items))
            for item in items:
                yield ",\n    " + encode(item)
            yield "\n  ]"
        else:
            yield encode([] if isinstance(value, Each) else value)
    yield "{}\n" if not payload else "\n}\n"


def _iso_date(value: Any) -> Any:
    """Dates as ISO text, the one non-JSON type the payloads carry."""
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def is_our_json(path: Path) -> bool:
    """A JSON object this tool wrote (it carries the tool marker)."""
    try:
        with path.open("rb") as handle:
            if handle.read(len(_OUR_START)) == _OUR_START:
                return True  # as `json_pieces` starts it: no need to parse megabytes of figures to know
        with path.open(encoding="utf-8-sig") as handle:  # also after a save in Notepad (BOM)
            payload = json.load(handle)
    except (OSError, ValueError):
        return False
    return isinstance(payload, dict) and payload.get(TOOL_KEY) == TOOL


def csv_text(rows: Iterator[list[Any]] | Sequence[list[Any]]) -> str:
    """Rows as CSV text, empty cells for None."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(["" if v is None else v for v in row] for row in rows)
    return buffer.getvalue()


def csv_with_header(header: Sequence[str]) -> Identity:
    """Identity of a CSV this tool wrote: its first line is exactly our header."""
    expected = ",".join(header)

    def ours(path: Path) -> bool:
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                first = handle.readline(4096)
        except (OSError, UnicodeDecodeError):
            return False
        return first.rstrip("\r\n") == expected

    return ours

