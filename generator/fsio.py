"""The one way this project writes files: atomically, and only when the bytes change."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_bytes(path: Path, data: bytes) -> bool:
    """Write `data` to `path` atomically; return False (and touch nothing) when it is unchanged.

    The bytes go to a temporary file in the same folder, are flushed to disk, and then replace
    the target in one rename, so a reader (or a killed run) sees the old file or the new one,
    never half of either.
    """
    path = Path(path)
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp makes the file private (0600); give it the mode an ordinary write would.
        os.fchmod(fd, _mode_for(path))
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)
    return True


def _read_umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


_UMASK = _read_umask()  # read once: os.umask can only be read by setting it


def _mode_for(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        return 0o666 & ~_UMASK


def write_text(path: Path, text: str) -> bool:
    """`write_bytes` for UTF-8 text with Unix newlines."""
    return write_bytes(path, text.encode("utf-8"))


def _fsync_dir(folder: Path) -> None:
    # Makes the rename itself durable; not every platform lets a folder be opened.
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


def remove_stale(folder: Path, keep: set[Path], pattern: str = "*") -> list[Path]:
    """Delete files under `folder` matching `pattern` that are not in `keep`; return them."""
    removed = []
    if not folder.is_dir():
        return removed
    keep = {Path(p).resolve() for p in keep}
    for path in sorted(folder.rglob(pattern)):
        if path.is_file() and path.resolve() not in keep:
            path.unlink()
            removed.append(path)
    return removed
