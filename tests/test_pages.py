"""The pages stage's writer and post cache, the page weight, and the code's own limits."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

from generator import writer as writer_module
from generator.writer import DocsWriter, PostManifest, source_digest
from tests.conftest import ROOT


def test__source_digest__changes_with_any_rendering_input(tmp_path):
    """The post cache's key covers the whole package and every template: editing any of them
    (a template, or code moved between modules) gives a new key, so stale posts re-render."""
    for name in ("generator", "templates"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    roots = (tmp_path / "generator", tmp_path / "templates")
    before = source_digest(roots)
    assert source_digest(roots) == before
    macros = tmp_path / "templates" / "_macros.md.j2"
    macros.write_text(macros.read_text() + "\n")
    edited = source_digest(roots)
    assert edited != before
    (tmp_path / "generator" / "new_module.py").write_text("X = 1\n")
    assert source_digest(roots) != edited


def post_run(docs: Path, key: str, text: str) -> tuple[PostManifest, DocsWriter, bool]:
    """One run of the post cache for a single post under `key`; renders it if not reused."""
    writer = DocsWriter(docs)
    manifest = PostManifest(writer)
    reused = manifest.reuse("blog/posts/2025-01-03.md", key)
    if not reused:
        manifest.add("blog/posts/2025-01-03.md", key, text, [])
    manifest.save()
    return manifest, writer, reused


def test__post_manifest__same_key_rewrites_nothing_new_key_renders_again(tmp_path):
    _, first, reused = post_run(tmp_path, "key-a", "page one\n")
    assert not reused and first.written == 2  # the page and the manifest
    _, again, reused = post_run(tmp_path, "key-a", "page one\n")
    assert reused and again.written == 0
    _, changed, reused = post_run(tmp_path, "key-b", "page two\n")
    assert not reused and changed.written == 2
    assert (tmp_path / "blog/posts/2025-01-03.md").read_text() == "page two\n"


def test__post_manifest__an_edited_page_is_rendered_again(tmp_path):
    post_run(tmp_path, "key-a", "page one\n")
    (tmp_path / "blog/posts/2025-01-03.md").write_text("edited by hand\n")
    _, _, reused = post_run(tmp_path, "key-a", "page one\n")
    assert not reused


def test__render_key__covers_the_config(tmp_path):
    from generator.config import load_config

    copy = tmp_path / "config.toml"
    copy.write_text(writer_module.PACKAGE_DIR.joinpath("config.toml").read_text())
    same = writer_module.render_key(load_config(copy))
    assert same == writer_module.render_key(load_config())
    copy.write_text(copy.read_text().replace("ma_fast_weeks = 20", "ma_fast_weeks = 21"))
    assert writer_module.render_key(load_config(copy)) != same


# --- The code's own limits ------------------------------------------------------------------------

MAX_FUNCTION_LINES = 60


def test__generator__no_function_longer_than_60_lines():
    long = []
    for path in sorted((ROOT / "generator").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long.append(f"{path.name}:{node.lineno} {node.name} ({lines} lines)")
    assert not long, long
