"""Shared test helpers: paths, the real CLI in a subprocess, and tiny price tables."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The real history the replay, build, browser and fault tiers run on: the repository's own
# committed data folder (the price cache is in the replay format, so `--prices-dir` reads it,
# and the replay finds the context series in its `extra/`). Tests copy from it, never write it.
DATA = ROOT / "data"
REPLAY_PRICES = DATA / "prices"
REPLAY_FEAR_GREED = DATA / "extra" / "fear_greed.csv"
# The newest complete week the committed data covers (the seed's --as-of).
DATA_END = "2026-02-20"

IN_CI = os.environ.get("CI", "").lower() == "true"


def unavailable(reason: str) -> None:
    """A tier that cannot run here: skipped on a developer's machine, a failure under CI=true,
    so CI can never pass while quietly testing less."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: a tier that cannot run fails instead of skipping)")
    pytest.skip(reason)


BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


@functools.cache
def find_browser() -> str | None:
    """The first Chromium-family browser on PATH that actually starts: Debian's `chromium`, or
    the Google Chrome GitHub's ubuntu-24.04 image ships (Ubuntu's `chromium-browser` is often
    only a wrapper asking for snap, so being on PATH is not enough)."""
    for name in BROWSER_NAMES:
        path = shutil.which(name)
        if path is None:
            continue
        try:
            ran = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if ran.returncode == 0 and ran.stdout.strip():
            return path
    return None


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """End with how many tests ran and how many skipped, whatever pytest's verbosity."""
    stats = terminalreporter.stats
    ran = sum(len(stats.get(k, [])) for k in ("passed", "failed", "error", "xfailed", "xpassed"))
    skipped = len(stats.get("skipped", []))
    terminalreporter.write_line(f"tests: {ran} ran, {skipped} skipped")


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
