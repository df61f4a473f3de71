"""The one way this project writes files: atomically, and only when the bytes change."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from pathlib import Path

_TMP_SUFFIX = ".tmp"
# What `write_bytes` names its temporary files: ".<target name>.<mkstemp's 8 characters>.tmp".
_LEFTOVER = re.compile(r"\..+\.[a-z0-9_]{8}" + re.escape(_TMP_SUFFIX))


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
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=_TMP_SUFFIX, dir=path.parent)
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


def remove_stale(root: Path, folder: str, keep: set[str]) -> list[Path]:
    """Delete the files under `root/folder` whose POSIX path relative to `root` is not in
    `keep`; return them."""
    root = Path(root)
    removed: list[Path] = []
    if not (root / folder).is_dir():
        return removed
    for path in sorted((root / folder).rglob("*")):
        if path.is_file() and path.relative_to(root).as_posix() not in keep:
            path.unlink()
            removed.append(path)
    return removed


def snapshot(folder: Path, skip: tuple[str, ...] = ()) -> dict[Path, bytes]:
    """Every file under `folder` with its bytes (files named in `skip` left out)."""
    folder = Path(folder)
    return {
        path: path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name not in skip
    }


def restore(folder: Path, saved: dict[Path, bytes], skip: tuple[str, ...] = ()) -> list[Path]:
    """Put the files under `folder` back as `snapshot` saw them: files written since are
    removed, files changed or removed since are written back. Returns what it touched."""
    touched = []
    for path in sorted(Path(folder).rglob("*")):
        if path.is_file() and path.name not in skip and path not in saved:
            path.unlink()
            touched.append(path)
    for path, data in saved.items():
        if write_bytes(path, data):
            touched.append(path)
    return touched


def remove_leftovers(folder: Path) -> list[Path]:
    """Delete the temporary files of writes that a killed run never finished, under `folder`.

    Call it holding the data lock: a write in progress has a temporary file of the same form.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    leftovers = [
        path
        for path in sorted(folder.rglob(f".*{_TMP_SUFFIX}"))
        if path.is_file() and _LEFTOVER.fullmatch(path.name)
    ]
    for path in leftovers:
        path.unlink()
    return leftovers
