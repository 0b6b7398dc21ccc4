"""A file's stat key (mtime in ns, size, inode) packed in 24 bytes: what the scan keeps of each
file, and what the index cache's records are keyed by. 13,000 tuples of three ints are 2 MB;
their bytes 0.8 MB. Big-endian, so that the newest file's key is the greatest (see
folder.newest_mtime). The cache file holds the three numbers (index_cache.py)."""

from __future__ import annotations

import os
from struct import Struct
from struct import error as StructError

STAT = Struct(">qqQ")
NO_STAT = STAT.pack(0, 0, 0)  # the key of an entry without one, where one is hashed
TEXT = b"\xff\xff"  # how a key of text starts (an mtime past 2262): no packed key is that long


def stat_key(st: os.stat_result) -> bytes:
    """The file's mtime, size and inode, packed (as the scan packs them)."""
    return key_of(st.st_mtime_ns, st.st_size, st.st_ino)


def key_of(mtime: int, size: int, inode: int) -> bytes:
    try:
        return STAT.pack(mtime, size, inode)
    except StructError:  # an mtime beyond the year 2262: as text, longer than 24 bytes
        return b"%s%d %d %d" % (TEXT, mtime, size, inode)


def stat_parts(key: bytes) -> tuple[int, int, int]:
    """A stat key's mtime (ns), size and inode."""
    if len(key) == 24:
        return STAT.unpack(key)
    mtime, size, inode = key[len(TEXT) :].split()
    return int(mtime), int(size), int(inode)


def older_than(mtime: int) -> bytes:
    """The bound of "an mtime before `mtime`", compared with keys as bytes, in C: a key is less
    than it when its file's mtime is before `mtime`. A key of an mtime before 1970 or past 2262
    is never less (its first byte is 0x80 or more): such a file is read again, as a racy one."""
    return STAT.pack(min(max(mtime, 0), 2**63 - 1), 0, 0)
