"""Reading text files defensively and writing them atomically."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from agentmd.errors import LocatedError, Problem

MAX_BYTES = 8 * 1024 * 1024  # an agent file larger than this is a mistake, not a plan
BOM = "\ufeff"


def digest(text: str) -> str:
    """A short digest of a text, for caches keyed by content."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _fail(display: str, code: str, message: str, hint: str = "", line: int = 1) -> LocatedError:
    return LocatedError(Problem(display, line, 1, code, message, hint))


def read_text(path: Path | str, display: str | None = None, size: int | None = None) -> str:
    """The file's text, decoded as UTF-8 with the BOM kept; a located error for anything else.

    `size` is the size a scan just found (which also ruled out a directory): no second stat.
    """
    display = display or str(path)
    try:
        if size is None:
            st = os.stat(path)
            if stat.S_ISDIR(st.st_mode):
                raise _fail(display, "not-a-file", "is a directory where a file was expected")
            size = st.st_size
        if size > MAX_BYTES:
            raise _fail(
                display,
                "too-large",
                f"file is {size:,} bytes; agentmd reads files of at most {MAX_BYTES:,}",
                "split it, or move bulky content out of .agents/",
            )
        with open(path, "rb") as handle:
            data = handle.read()
    except LocatedError:
        raise
    except FileNotFoundError:
        raise _fail(display, "missing", "no such file") from None
    except OSError as exc:
        raise _fail(display, "unreadable", exc.strerror or str(exc)) from None
    return decode(data, display)


def decode(data: bytes, display: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise LocatedError(
            Problem(
                display,
                line,
                col,
                "not-utf8",
                f"byte 0x{data[exc.start]:02x} is not UTF-8",
                "save the file as UTF-8",
            )
        ) from None


def atomic_write(path: Path, text: str) -> None:
    """Replace `path` with `text`: temp file in the same folder, fsync, rename, fsync the folder.

    A process killed at any instant leaves either the old file or the new one.
    """
    import tempfile  # not at the top: the commit hook reads files and never writes one

    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        try:
            mode = path.stat().st_mode & 0o7777
        except FileNotFoundError:
            mode = 0o666 & ~_umask()
        os.fchmod(fd, mode)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
        os.close(fd)
        fd = -1
        os.replace(tmp, path)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_dir(folder)


def create_exclusive(path: Path, text: str) -> bool:
    """Write a new file atomically unless one exists already; True when written."""
    import tempfile

    if path.exists():
        return False
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        os.link(tmp, path)  # fails if the name was taken meanwhile: never overwrites
    except FileExistsError:
        return False
    finally:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
    _fsync_dir(folder)
    return True


def append_line(path: Path, line: str) -> None:
    """Append one line with a single write (O_APPEND), matching the file's line ending."""
    newline = "\n"
    try:
        with open(path, "rb") as handle:
            head = handle.read(4096)
        if b"\r\n" in head:
            newline = "\r\n"
        needs_break = bool(head) and not _ends_with_newline(path)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        needs_break = False
    data = ((newline if needs_break else "") + line + newline).encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def _ends_with_newline(path: Path) -> bool:
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        if handle.tell() == 0:
            return True
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) == b"\n"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_dir(folder: Path) -> None:
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
