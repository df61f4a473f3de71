"""Shared test helpers: paths, the real CLI in a subprocess, and tiny price tables."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
SHARED_PRICES = SHARED / "prices"

needs_shared = pytest.mark.skipif(
    not (SHARED_PRICES / "^RUT.csv").is_file(),
    reason=f"real Yahoo history not found at {SHARED_PRICES} (../shared/data is absent)",
)


def run_cli(*args: str, cwd: Path = ROOT, timeout: float = 600, env: dict | None = None):
    """Run `python -m generator ...` as a user would; returns the CompletedProcess."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "generator", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
    )


def tree_bytes(folder: Path, skip: tuple[str, ...] = (".altseason.lock",)) -> dict[str, bytes]:
    """Every file under `folder` (hidden ones too: a leftover temporary file counts) with its
    bytes, by POSIX path, for before/after comparisons; files named in `skip` are left out."""
    folder = Path(folder)
    if not folder.exists():
        return {}
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name not in skip
    }
