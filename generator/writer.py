"""The docs folder's writer: every generated file goes through it, and what it was not asked to
write this run is removed; plus the archive posts' manifest, which lets a run keep a post whose
inputs did not change.

Writes are atomic and skipped when the bytes are unchanged (fsio). Chart renderings are
content-addressed (the spec's hash is in the file name): one that exists is kept, and the
missing ones are rendered together on every core, since vl-convert releases the GIL.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path, PurePosixPath
from typing import Any

from generator import charts, fsio, templating
from generator.config import PROJECT_ROOT, Config

SOURCE_DOCS = PROJECT_ROOT / "site_docs"
PACKAGE_DIR = Path(__file__).resolve().parent
# Everything below these paths in the docs folder is written by the generator (and git-ignored).
GENERATED_FILES = ("index.md", "weeks.md", "evidence.md", "methodology.md", "data.md")
GENERATED_DIRS = ("blog/posts", "api", "assets/charts", "assets/og", "assets/vendor")
POSTS_MANIFEST = "blog/posts/.manifest.json"  # a dotfile: MkDocs does not publish it


class DocsWriter:
    """Writes generated files into the docs folder and remembers them, to prune the rest."""

    def __init__(self, docs_dir: Path):
        self.docs_dir = Path(docs_dir)
        self.kept: set[str] = set()  # POSIX paths relative to the docs folder
        self.written = 0
        self.pending: dict[str, Callable[[], bytes]] = {}

    def render_later(self, rel: str, render: Callable[[], bytes]) -> None:
        """Keep `rel`; render it with `render()` unless it already exists."""
        if not self.keep(rel):
            self.pending[rel] = render

    def render_pending(self) -> None:
        if not self.pending:
            return
        jobs = sorted(self.pending.items())
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            results = list(pool.map(lambda job: job[1](), jobs))
        for (rel, _), data in zip(jobs, results, strict=True):
            self.bytes(rel, data)
        self.pending.clear()

    def path(self, rel: str | PurePosixPath) -> Path:
        return self.docs_dir / str(rel)

    def keep(self, rel: str | PurePosixPath) -> bool:
        """Mark a file as wanted; True when it already exists (so it need not be rendered)."""
        self.kept.add(PurePosixPath(rel).as_posix())
        return self.path(rel).exists()

    def bytes(self, rel: str | PurePosixPath, data: bytes) -> None:
        self.keep(rel)
        if fsio.write_bytes(self.path(rel), data):
            self.written += 1

    def text(self, rel: str | PurePosixPath, text: str) -> None:
        self.bytes(rel, text.encode("utf-8"))

    def remove_stale(self) -> int:
        # The temporary files of writes a killed run never finished go too (the run holds the
        # data lock, so no other run is writing here).
        removed = len(fsio.remove_leftovers(self.docs_dir))
        for rel in GENERATED_DIRS:
            removed += len(fsio.remove_stale(self.docs_dir, rel, self.kept))
        for rel in GENERATED_FILES:
            target = self.docs_dir / rel
            if target.exists() and rel not in self.kept:
                target.unlink()
                removed += 1
        return removed


def prepare_docs_dir(docs_dir: Path) -> None:
    """Give a docs folder outside the project the hand-written pages and assets it needs."""
    docs_dir = Path(docs_dir)
    if docs_dir.resolve() == SOURCE_DOCS.resolve():
        return
    for source in SOURCE_DOCS.rglob("*"):
        rel = source.relative_to(SOURCE_DOCS).as_posix()
        if source.is_dir() or is_generated(rel):
            continue
        fsio.write_bytes(docs_dir / rel, source.read_bytes())


def is_generated(rel: str) -> bool:
    """Whether a docs-relative POSIX path is the generator's to write (and to remove)."""
    return rel in GENERATED_FILES or any(rel.startswith(d + "/") for d in GENERATED_DIRS)


# --- The archive posts' manifest ----------------------------------------------------------------


def source_digest(roots: Iterable[Path]) -> str:
    """A hash of every file under `roots` (names and bytes; compiled caches left out)."""
    digest = hashlib.sha256()
    for root in roots:
        for path in sorted(Path(root).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(path.relative_to(root.parent).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


@functools.cache
def _package_digest() -> str:
    return source_digest((PACKAGE_DIR, templating.TEMPLATES_DIR))


def render_key(config: Config) -> str:
    """Everything that shapes a post besides its own data: the whole generator package and
    every template (so no list of files can fall behind the code), the configuration this
    run reads, and the chart renderer's version."""
    config_digest = hashlib.sha256(config.path.read_bytes()).hexdigest()
    parts = (_package_digest(), config_digest, charts.bundle_version())
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


class PostManifest:
    """Which files each archive post was written as, under which key (the hash of all its
    inputs). A post whose key matches and whose files are all there, its page unedited, is
    kept as it is: a weekly run renders the new week and its neighbour, not the archive."""

    def __init__(self, writer: DocsWriter):
        self.writer = writer
        try:
            self.entries = json.loads(writer.path(POSTS_MANIFEST).read_text())
        except (FileNotFoundError, ValueError):
            self.entries = {}
        self.fresh: dict[str, Any] = {}

    def reuse(self, page: str, key: str) -> bool:
        """Keep `page`'s files if they were written under `key` and are intact."""
        entry = self.entries.get(page)
        if not entry or entry.get("key") != key or not self._intact(entry):
            return False
        for rel in entry["files"]:
            self.writer.keep(rel)
        self.fresh[page] = entry
        return True

    def add(self, page: str, key: str, text: str, assets: list[str]) -> None:
        """Write a post's page and note it (with the assets it uses) under `key`."""
        self.writer.text(page, text)
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        self.fresh[page] = {"key": key, "files": [page, *assets], "sha256": digest}

    def save(self) -> None:
        self.writer.text(POSTS_MANIFEST, json.dumps(self.fresh, sort_keys=True, indent=1) + "\n")

    def _intact(self, entry: dict[str, Any]) -> bool:
        """All of a post's files exist and its page is the one this generator wrote."""
        if not all(self.writer.path(rel).exists() for rel in entry["files"]):
            return False
        page = self.writer.path(entry["files"][0]).read_bytes()
        return hashlib.sha256(page).hexdigest() == entry.get("sha256")
