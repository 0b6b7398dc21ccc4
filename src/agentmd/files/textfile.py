"""Reading text files defensively and writing them atomically."""

from __future__ import annotations

import functools
import os
import stat
from pathlib import Path

from agentmd.errors import LocatedError, Problem

MAX_BYTES = 8 * 1024 * 1024  # an agent file larger than this is a mistake, not a plan
BOM = "\ufeff"


def digest(text: str) -> str:
    """The git blob id of a text's UTF-8 bytes, for caches keyed by content: the commit hook
    finds what `check` kept of a file by the id of the staged blob."""
    return blob_id(text.encode("utf-8", "surrogateescape"))


def blob_id(data: bytes) -> str:
    """The git blob id of `data`."""
    return blob_bytes(data).hex()


def blob_bytes(data: bytes) -> bytes:
    """The git blob id of `data`, as its 20 bytes (an index of 13,000 files keeps one each: 53
    bytes where the 40 hex digits are 89)."""
    found = sha1(b"blob %d\0" % len(data))
    found.update(data)
    return found.digest()


def sha1(data: bytes = b""):
    """SHA-1 for cache keys. CPython's own module where it has one: `hashlib` loads OpenSSL,
    a few milliseconds that the commit hook and a run whose output is remembered would spend
    on nothing else."""
    return _sha1_type()(data, usedforsecurity=False)


@functools.cache  # looked up once: a cold run hashes 13,000 files
def _sha1_type():
    try:
        from _sha1 import sha1 as own  # type: ignore[import-not-found]
    except ImportError:
        from hashlib import sha1 as own
    return own


def not_a_file(mode: int) -> str:
    """What a path that should be a regular file is instead."""
    return (
        "is a directory where a file was expected"
        if stat.S_ISDIR(mode)
        else "is not a regular file (a pipe, socket or device)"
    )


def require_file(path: Path | str, display: str) -> None:
    """A located error when `path` exists and is not a regular file; nothing when it is one or
    is missing (a writer creates it)."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISREG(mode):
        raise _fail(display, "not-a-file", not_a_file(mode), "move it aside")


def _fail(display: str, code: str, message: str, hint: str = "", line: int = 1) -> LocatedError:
    return LocatedError(Problem(display, line, 1, code, message, hint))


def read_text(path: Path | str, display: str | None = None) -> str:
    """The file's text, decoded as UTF-8 with the BOM kept; a located error for anything else."""
    display = display or str(path)
    return decode(read_bytes(path, display), display)


def read_bytes(path: Path | str, display: str | None = None) -> bytes:
    """The bytes of a regular file of at most MAX_BYTES; a located error for anything else (a
    folder, a pipe, which would block forever, a device, a file too large)."""
    display = display or str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise _fail(display, "missing", "no such file") from None
    except OSError as exc:
        raise _fail(display, "unreadable", exc.strerror or str(exc)) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _fail(display, "not-a-file", not_a_file(st.st_mode))
        if st.st_size > MAX_BYTES:
            raise _fail(
                display,
                "too-large",
                f"file is {st.st_size:,} bytes; agentmd reads files of at most {MAX_BYTES:,}",
                "split it, or move bulky content out of .agents/",
            )
        first = os.read(fd, st.st_size + 1)  # one call, for the file of the size it said
        if len(first) == st.st_size:
            return first
        chunks = [first]
        while chunk := os.read(fd, 1 << 20):  # it grew, or a read came short
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as exc:
        raise _fail(display, "unreadable", exc.strerror or str(exc)) from None
    finally:
        os.close(fd)


def read_sized(path: str, display: str, size: int) -> bytes:
    """`read_bytes` for a file that a stat a moment ago found regular and `size` bytes long:
    without its own stat (a cold run reads 13,000 files), as long as it reads back exactly that
    many bytes; else (it changed since, or is no longer a file) `read_bytes` says what it is."""
    if not 0 < size <= MAX_BYTES:  # an empty file could be a pipe that reads as empty
        return read_bytes(path, display)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return read_bytes(path, display)
    try:
        data = os.read(fd, size + 1)
    except OSError:
        data = b""
    finally:
        os.close(fd)
    return data if len(data) == size else read_bytes(path, display)


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


def atomic_write(path: Path, text: str, durable: bool = True) -> None:
    """Replace `path` with `text`: temp file in the same folder, fsync, rename, fsync the folder.

    A process killed at any instant leaves either the old file or the new one. `durable`
    False: no fsync (what a crash of the machine may lose can be made again: an export).
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
        if durable:
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
    if durable:
        sync_dir(folder)


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
    sync_dir(folder)
    return True


def append_line(path: Path, line: str, display: str | None = None) -> None:
    """Append one line with a single write (O_APPEND), matching the file's line ending."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # Non-blocking: a pipe where the file should be must not hang the command.
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK, 0o666)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _fail(display or str(path), "not-a-file", not_a_file(st.st_mode))
        head = os.pread(fd, 4096, 0)
        newline = "\r\n" if b"\r\n" in head else "\n"
        needs_break = st.st_size > 0 and os.pread(fd, 1, st.st_size - 1) != b"\n"
        os.write(fd, ((newline if needs_break else "") + line + newline).encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def sync_dir(folder: Path) -> None:
    """The renames in a folder on disk: the folder synced, where the system can sync one."""
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
