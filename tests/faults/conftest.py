"""The fault matrix's world, the checks every case makes, and the one-line summary.

The world is built once per session, because a cold `pages` renders every chart (that is what
costs time), and copied for each case:

- `source`: the committed data/ cut to 2017-06-01 .. 2019-09-30 (the cut tests/test_archive.py
  uses): `source/prices/<SYMBOL>.csv` and `source/fear_greed.csv`, a replay folder's layout;
- `base`: the data folder after `pages --as-of SEED_AS_OF` (a price cache through that day and a
  ledger of the 7 weeks 2018-12-21 .. 2019-02-01) and the docs folder that run wrote;
- `reference`: `base` after one good `pages --as-of NEXT_AS_OF`, which records the week ending
  NEXT_WEEK. Every case that should succeed must leave exactly this behind;
- `warm_docs`: the base docs plus the reference run's chart renderings. They are
  content-addressed, so a case's run finds them and skips the rendering; the run still prunes
  the docs folder to what it computed, so the result equals the reference's.

A case runs the real CLI (`python -m generator pages|site ...`) on its copies and asserts the
exit code, no traceback, one `error:` line naming the file, symbol or date, and what the run left
behind: on failure the ledger, the price cache and the docs as they were; on success the ledger
only appended. The ledger comparisons also feed the summary `make faults` prints at the end:
`faults survived N/N, verdicts lost L, changed C`.
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from generator import writer
from tests.conftest import REPLAY_FEAR_GREED, REPLAY_PRICES, ROOT, tree_bytes

FIRST_DAY, LAST_DAY = "2017-06-01", "2019-09-30"
SEED_AS_OF = "2019-02-01"  # the base ledger's newest week
NEXT_AS_OF = "2019-02-09"  # a Saturday: the week ending NEXT_WEEK is complete
NEXT_WEEK = "2019-02-08"
BASE_WEEKS = 7  # 2018-12-21 .. 2019-02-01 (the basket's 50-week average exists from then)
LEDGER = "verdicts.jsonl"
LOCK = ".altseason.lock"


# --- The summary: `faults survived N/N, verdicts lost L, changed C` ----------------------------

_outcomes: dict[str, str] = {}  # nodeid -> "passed" | "failed" | "skipped"
_ledgers: dict[str, tuple[int, int]] = {}  # nodeid -> (verdicts lost, verdicts changed)


def pytest_runtest_logreport(report) -> None:
    if "fault" not in report.keywords:
        return
    if report.failed:
        _outcomes[report.nodeid] = "failed"
    elif report.skipped and _outcomes.get(report.nodeid) != "failed":
        _outcomes[report.nodeid] = "skipped"
    elif report.when == "call" and report.passed:
        _outcomes.setdefault(report.nodeid, "passed")


def summary_line() -> str | None:
    if not _outcomes:
        return None
    ran = [o for o in _outcomes.values() if o != "skipped"]
    survived = sum(o == "passed" for o in ran)
    lost = sum(lost for lost, _ in _ledgers.values())
    changed = sum(changed for _, changed in _ledgers.values())
    unchecked = [n for n, o in _outcomes.items() if o == "passed" and n not in _ledgers]
    line = f"faults survived {survived}/{len(ran)}, verdicts lost {lost}, changed {changed}"
    skipped = len(_outcomes) - len(ran)
    if skipped:
        line += f" ({skipped} skipped)"
    if unchecked:  # a case that passed without comparing its ledger would hide a loss
        line += f"; {len(unchecked)} case(s) never compared the ledger: {unchecked[0]}"
    return line


def pytest_unconfigure(config) -> None:
    # After pytest's own closing line, so the summary is the last line `make faults` prints.
    line = summary_line()
    if line:
        print(line, flush=True)


def ledger_delta(expected: bytes | None, actual: bytes | None) -> tuple[int, int]:
    """How many of the expected ledger lines are gone from the actual ledger, and how many are
    there but different (line by line: a recorded line never moves)."""
    want = (expected or b"").splitlines(keepends=True)
    have = (actual or b"").splitlines(keepends=True)
    lost = max(len(want) - len(have), 0)
    changed = sum(1 for a, b in zip(want, have, strict=False) if a != b)
    return lost, changed


# --- Trees --------------------------------------------------------------------------------------


def tree(folder: Path, skip: tuple[str, ...] = (LOCK,)) -> dict[str, bytes]:
    return tree_bytes(folder, skip)


def docs_tree(docs_dir: Path) -> dict[str, bytes]:
    """The docs folder as the run writes it: the hand-written pages and assets it copies from
    site_docs/ are left out (they are the repository's, not the run's)."""
    return {
        rel: data
        for rel, data in tree(docs_dir).items()
        if generated(rel) or not (writer.SOURCE_DOCS / rel).is_file()
    }


def generated(rel: str) -> bool:
    return rel in writer.GENERATED_FILES or rel.startswith(
        tuple(d + "/" for d in writer.GENERATED_DIRS)
    )


def cache_tree(data_dir: Path) -> dict[str, bytes]:
    """The price cache: everything in the data folder but the ledger and the lock."""
    return tree(data_dir, skip=(LOCK, LEDGER))


def differences(want: dict[str, bytes], have: dict[str, bytes]) -> list[str]:
    """What differs between two trees, for an assertion message."""
    out = [f"missing {k}" for k in sorted(want.keys() - have.keys())]
    out += [f"extra {k}" for k in sorted(have.keys() - want.keys())]
    out += [f"changed {k}" for k in sorted(want.keys() & have.keys()) if want[k] != have[k]]
    return out


# What a built site carries that is not a function of its inputs: the build time. The RSS
# channel's <pubDate> and <lastBuildDate> (mkdocs-rss-plugin) and each sitemap <lastmod>
# (MkDocs: the build day) are blanked; everything else must match byte for byte.
_BUILD_TIME = (
    (re.compile(rb"<lastBuildDate>[^<]*</lastBuildDate>"), b"<lastBuildDate/>"),
    (re.compile(rb"<lastmod>[^<]*</lastmod>"), b"<lastmod/>"),
)


def normalise_site_file(rel: str, data: bytes) -> bytes:
    if rel.endswith(".gz"):
        data = gzip.decompress(data)
    if Path(rel).name.startswith("feed_rss") or Path(rel.removesuffix(".gz")).name == "sitemap.xml":
        head, sep, items = data.partition(b"<item>")
        head = re.sub(rb"<pubDate>[^<]*</pubDate>", b"<pubDate/>", head)  # the channel's only
        data = head + sep + items
        for pattern, blank in _BUILD_TIME:
            data = pattern.sub(blank, data)
    return data


def site_tree(folder: Path) -> dict[str, bytes]:
    return {rel: normalise_site_file(rel, data) for rel, data in tree(folder).items()}


# --- The world ----------------------------------------------------------------------------------


def cut_source(target: Path) -> Path:
    """The committed data/ cut to FIRST_DAY .. LAST_DAY, in a replay folder's layout:
    `prices/<SYMBOL>.csv` and `fear_greed.csv` beside them."""
    (target / "prices").mkdir(parents=True)
    files = [(s, f"prices/{s.name}") for s in sorted(REPLAY_PRICES.glob("*.csv"))]
    for source, rel in [*files, (REPLAY_FEAR_GREED, "fear_greed.csv")]:
        lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
        rows = [ln for ln in lines[1:] if FIRST_DAY <= ln[:10] <= LAST_DAY]
        if rows:
            (target / rel).write_text(lines[0] + "".join(rows), encoding="utf-8")
    return target


def cli(*args: str, prefix: tuple[str, ...] = (), env: dict | None = None, timeout: float = 300):
    """`python -m generator ...` in a subprocess, as a user runs it."""
    return subprocess.run(
        [*prefix, sys.executable, "-m", "generator", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=cli_env(env),
    )


def cli_env(extra: dict | None = None) -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT), **(extra or {})}


def dirs_args(data: Path, docs: Path, as_of: str, site: Path | None = None) -> list[str]:
    args = ["--data-dir", str(data), "--docs-dir", str(docs), "--as-of", as_of]
    return args + (["--site-dir", str(site)] if site else [])


@dataclass(frozen=True)
class World:
    source: Path
    base_data: Path
    base_docs: Path
    warm_docs: Path
    ref_data: Path
    ref_docs: Path

    @property
    def replay(self) -> Path:
        return self.source / "prices"


@pytest.fixture(scope="session")
def world(tmp_path_factory) -> World:
    root = tmp_path_factory.mktemp("faults-world")
    source = cut_source(root / "source")
    base_data, base_docs = root / "base" / "data", root / "base" / "docs"
    offline = ["--prices-dir", str(source / "prices"), "--offline"]
    seeded = cli("pages", *offline, *dirs_args(base_data, base_docs, SEED_AS_OF))
    assert seeded.returncode == 0, seeded.stderr
    assert f"{BASE_WEEKS} week(s) recorded ({BASE_WEEKS} backfilled)" in seeded.stdout

    ref_data, ref_docs = root / "reference" / "data", root / "reference" / "docs"
    shutil.copytree(base_data, ref_data)
    shutil.copytree(base_docs, ref_docs)
    done = cli("pages", *offline, *dirs_args(ref_data, ref_docs, NEXT_AS_OF))
    assert done.returncode == 0, done.stderr
    assert f"week ending {NEXT_WEEK} is OFF; 1 week(s) recorded (0 backfilled)" in done.stdout

    warm_docs = root / "warm-docs"
    shutil.copytree(base_docs, warm_docs)
    for rel, data in tree(ref_docs).items():
        if rel.startswith(("assets/charts/", "assets/og/")) and not (warm_docs / rel).exists():
            (warm_docs / rel).parent.mkdir(parents=True, exist_ok=True)
            (warm_docs / rel).write_bytes(data)
    return World(source, base_data, base_docs, warm_docs, ref_data, ref_docs)


# --- One case -----------------------------------------------------------------------------------


@dataclass
class Snapshot:
    ledger: bytes | None
    cache: dict[str, bytes]
    docs: dict[str, bytes]


@dataclass
class Case:
    """One case's scratch copies of the world, and the checks on what a run left behind."""

    world: World
    root: Path
    nodeid: str
    before: Snapshot | None = None

    @property
    def source(self) -> Path:
        return self.root / "source"

    @property
    def replay(self) -> Path:
        return self.source / "prices"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def docs(self) -> Path:
        return self.root / "docs"

    @property
    def site(self) -> Path:
        return self.root / "site"

    @property
    def ledger(self) -> Path:
        return self.data / LEDGER

    @property
    def cache(self) -> Path:
        return self.data / "prices"

    def args(self, command: str = "pages", *extra: str, as_of: str = NEXT_AS_OF, **kw) -> list:
        """The command line: by default `pages` from the case's replay, offline."""
        prices = kw.pop("prices", True)
        args = [command]
        if prices:
            args += ["--prices-dir", str(self.replay), "--offline"]
        site = self.site if command == "site" else None
        return [*args, *dirs_args(self.data, self.docs, as_of, site), *extra]

    def snapshot(self) -> Snapshot:
        ledger = self.ledger.read_bytes() if self.ledger.is_file() else None
        return Snapshot(ledger, cache_tree(self.data), docs_tree(self.docs))

    def run(self, command: str = "pages", *extra: str, **kw) -> subprocess.CompletedProcess:
        """Snapshot what the run may change, then run the real CLI."""
        prefix = kw.pop("prefix", ())
        args = kw.pop("args", None) or self.args(command, *extra, **kw)
        self.before = self.snapshot()
        return cli(*args, prefix=prefix)

    # --- What a run must leave behind

    def count_ledger(self, expected: bytes | None) -> tuple[int, int]:
        """Verdicts lost and changed against `expected`, counted for the summary. Called before
        any other check, so a case that fails on its exit code still has its ledger counted."""
        actual = self.ledger.read_bytes() if self.ledger.is_file() else None
        _ledgers[self.nodeid] = ledger_delta(expected, actual)
        return _ledgers[self.nodeid]

    def compare_ledger(self, expected: bytes | None) -> None:
        lost, changed = self.count_ledger(expected)
        assert (lost, changed) == (0, 0), f"ledger: {lost} verdict(s) lost, {changed} changed"

    def expect_error(self, done, code: int, *names: str) -> str:
        """Exit `code` with one `error:` line naming `names` (other lines only warnings), and
        nothing changed. Returns the error line."""
        self.count_ledger(self.before.ledger)
        assert "Traceback" not in done.stderr, done.stderr
        assert done.returncode == code, done.stderr
        lines = done.stderr.splitlines()
        errors = [line for line in lines if line.startswith("error: ")]
        assert len(errors) == 1, done.stderr
        assert all(line.startswith(("WARNING: ", "error: ")) for line in lines), done.stderr
        for name in names:
            assert name in errors[0], errors[0]
        self.expect_unchanged()
        return errors[0]

    def expect_usage(self, done, *names: str) -> str:
        """Exit 2 with click's usage message naming `names`, and nothing changed."""
        self.count_ledger(self.before.ledger)
        assert "Traceback" not in done.stderr, done.stderr
        assert done.returncode == 2, done.stderr
        errors = [line for line in done.stderr.splitlines() if line.startswith("Error: ")]
        assert len(errors) == 1, done.stderr
        for name in names:
            assert name in errors[0], errors[0]
        self.expect_unchanged()
        return errors[0]

    def expect_unchanged(self) -> None:
        self.compare_ledger(self.before.ledger)
        assert differences(self.before.cache, cache_tree(self.data)) == []
        assert differences(self.before.docs, docs_tree(self.docs)) == []

    def expect_ok(self, done, *warnings: str, recorded: int = 1, like_reference: bool = True):
        """Exit 0 with only warnings on stderr, each of `warnings` among them, and `recorded`
        weeks appended to the ledger. With `like_reference` the ledger, the cache and the docs
        must equal the reference run's."""
        before = self.before.ledger
        expected = (self.world.ref_data / LEDGER).read_bytes() if like_reference else before
        self.count_ledger(expected)
        assert "Traceback" not in done.stderr, done.stderr
        assert done.returncode == 0, done.stderr
        assert f"{recorded} week(s) recorded" in done.stdout, done.stdout
        lines = done.stderr.splitlines()
        assert all(line.startswith("WARNING: ") for line in lines), done.stderr
        for warning in warnings:
            assert any(warning in line for line in lines), (warning, done.stderr)
        self.compare_ledger(expected)
        if like_reference:
            assert differences(cache_tree(self.world.ref_data), cache_tree(self.data)) == []
            assert differences(docs_tree(self.world.ref_docs), docs_tree(self.docs)) == []
        else:
            added = self.ledger.read_bytes()[len(before or b"") :].splitlines()
            assert len(added) == recorded

    def expect_like_reference(self) -> None:
        """Data and docs exactly as the uninterrupted reference run left them."""
        self.compare_ledger((self.world.ref_data / LEDGER).read_bytes())
        assert differences(tree(self.world.ref_data), tree(self.data)) == []
        assert differences(docs_tree(self.world.ref_docs), docs_tree(self.docs)) == []


@pytest.fixture
def case(world, tmp_path, request) -> Case:
    """Fresh copies of the source, the base data folder and the warm docs folder."""
    shutil.copytree(world.source, tmp_path / "source")
    shutil.copytree(world.base_data, tmp_path / "data")
    shutil.copytree(world.warm_docs, tmp_path / "docs")
    return Case(world, tmp_path, request.node.nodeid)
