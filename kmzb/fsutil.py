"""Files written whole or not at all, with their mode from the start (one helper for every writer)."""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

PRIVATE_FILE = 0o600  # personal data, keys, account hashes, the store
PRIVATE_DIR = 0o700
PUBLIC_FILE = 0o644   # files served to everyone (the map's geometry)


def private_dir(path: Path) -> Path:
    """`path` as a directory only its owner can enter (created 0700; an existing one that others
    could read, e.g. from an older version, is tightened)."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        os.chmod(path, mode & PRIVATE_DIR)
    return path


def atomic_write(path: Path, data: str | bytes, mode: int = PRIVATE_FILE, *, exclusive: bool = False,
                 sync_dir: bool = False) -> bool:
    """Write `path` whole or not at all: a temporary file of its own beside it, created with `mode`
    (never wider, whatever the umask allows), synced, then renamed over `path`. With `exclusive`,
    `path` is only created if it does not exist yet (hard link: the first of racing processes
    wins); returns False when it already existed. `sync_dir` also syncs the directory entry."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    written = True
    try:
        os.fchmod(fd, mode)  # os.open's mode is narrowed by the umask; the intended one holds
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
        if exclusive:
            try:
                os.link(tmp, path)
            except FileExistsError:
                written = False
        else:
            os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    if sync_dir:
        dfd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    return written
