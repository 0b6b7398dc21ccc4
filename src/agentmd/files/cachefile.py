"""The files under .agents/.cache/ that only save time (JSON, and the index cache's frames
through `write_chunks`): read as empty when missing, broken or written by another version of
agentmd; written best effort (temp file, rename) and never half-written. Losing one costs a
recomputation, never a result."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

from agentmd import __version__


def read(path: Path) -> dict:
    try:  # as text: the bytes are gone before the objects are built (a 10,000-task index is MBs)
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write(path: Path, data: dict) -> None:
    write_text(path, json.dumps(data, separators=(",", ":")))


def write_text(path: Path, payload: str) -> None:
    """`payload`, already encoded, as the whole file (temp file, rename); nothing on failure."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(payload, encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass


def write_chunks(path: Path, chunks: Iterable[bytes]) -> None:
    """`write_text` for a payload of bytes made piece by piece, never held whole."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as handle:
            handle.writelines(chunks)
        os.replace(tmp, path)
    except OSError:
        remove(tmp)
    except BaseException:  # the chunks' own error (the caller's to handle): no file left
        remove(tmp)
        raise


def remove(path: Path) -> None:
    """`path` gone, if it was there (best effort, as every cache file)."""
    try:
        path.unlink()
    except OSError:
        pass


def load(path: Path, kind: int) -> dict:
    """The entries `save` kept at `path` in format `kind` by this version of agentmd, else {}."""
    data = read(path)
    entries = data.get("entries")
    if data.get("format") != _stamp(kind) or not isinstance(entries, dict):
        return {}
    return entries


def save(path: Path, kind: int, entries: dict) -> None:
    write(path, {"format": _stamp(kind), "entries": entries})


def _stamp(kind: int) -> str:
    return f"agentmd {__version__} {kind}"
