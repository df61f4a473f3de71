"""SIGKILL at many moments of `pages` and `site`, then a rerun that must leave exactly what an
uninterrupted run leaves: the data folder (cache and ledger) and the docs folder byte for byte,
and the built site byte for byte except the build time (see `normalise_site_file`).

Moments are chosen three ways: inside the process at an exact write (tests/faults/killer.py:
before or after the N-th atomic rename onto a path, mid-way through an MkDocs page, before the
feeds), from outside when a file shows the run has got somewhere (the ledger grew, the site
folder half full), and from outside after a delay. Slow (a killed run and a full rerun each):
`make faults` runs them, `make test` does not.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.faults.conftest import (
    LEDGER,
    NEXT_AS_OF,
    ROOT,
    Case,
    cli,
    cli_env,
    dirs_args,
    docs_tree,
    site_tree,
    tree,
)

pytestmark = [pytest.mark.fault, pytest.mark.slow]

KILLER = Path(__file__).with_name("killer.py")


@dataclass(frozen=True)
class ReferenceSite:
    site: Path
    seconds: float


@pytest.fixture(scope="module")
def reference_site(world, tmp_path_factory) -> ReferenceSite:
    """One uninterrupted `site` run from the base world; its data and docs equal the pages
    reference's (the site command runs the same pages stage, then MkDocs)."""
    root = tmp_path_factory.mktemp("reference-site")
    data, docs, site = root / "data", root / "docs", root / "site"
    shutil.copytree(world.base_data, data)
    shutil.copytree(world.warm_docs, docs)
    offline = ["--prices-dir", str(world.replay), "--offline"]
    started = time.monotonic()
    done = cli("site", *offline, *dirs_args(data, docs, NEXT_AS_OF, site))
    seconds = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert tree(data) == tree(world.ref_data)
    assert docs_tree(docs) == docs_tree(world.ref_docs)
    return ReferenceSite(site, seconds)


def kill_inside(case: Case, command: str, moment: str) -> None:
    """Run the CLI with a SIGKILL armed at `moment` (see killer.py); it must die there."""
    done = subprocess.run(
        [sys.executable, str(KILLER), moment, "--", *case.args(command)],
        cwd=ROOT,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == -signal.SIGKILL, f"not killed at {moment}: {done.stderr}"


def kill_outside(case: Case, command: str, when: Callable[[], bool], what: str) -> None:
    """Run the CLI and SIGKILL it from outside as soon as `when()` holds."""
    log = (case.root / "killed.log").open("w")
    run = subprocess.Popen(
        [sys.executable, "-m", "generator", *case.args(command)],
        cwd=ROOT,
        env=cli_env(),
        stdout=log,
        stderr=log,
    )
    try:
        while run.poll() is None and not when():
            time.sleep(0.002)
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=60)
    finally:
        log.close()
    assert run.returncode == -signal.SIGKILL, f"finished before {what}"


def after(seconds: float) -> Callable[[], bool]:
    deadline = time.monotonic() + seconds
    return lambda: time.monotonic() >= deadline


def ledger_grew(case: Case) -> Callable[[], bool]:
    size = case.ledger.stat().st_size
    return lambda: case.ledger.stat().st_size != size


def site_holds(case: Case, files: int) -> Callable[[], bool]:
    def check() -> bool:
        return case.site.is_dir() and sum(1 for p in case.site.rglob("*") if p.is_file()) >= files

    return check


def rerun_equals_reference(case: Case, command: str, reference: ReferenceSite | None = None):
    done = case.run(command)
    case.count_ledger((case.world.ref_data / LEDGER).read_bytes())
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 0, done.stderr
    case.expect_like_reference()
    if reference is not None:
        want, have = site_tree(reference.site), site_tree(case.site)
        assert sorted(want.keys() ^ have.keys()) == []
        assert [k for k in want if want[k] != have[k]] == []


PAGES_MOMENTS = {
    "first-cache-file-written-not-renamed": "replace:*/prices/*.csv:1:before",
    "half-the-cache-updated": "replace:*/prices/*.csv:8:after",
    "ledger-written-not-renamed": "replace:*/verdicts.jsonl:1:before",
    "ledger-appended-no-page-yet": "replace:*/verdicts.jsonl:1:after",
    "api-files-written": "replace:*/api/verdicts.json:1:after",
    "home-page-written-not-renamed": "replace:*/docs/index.md:1:before",
    "a-post-written": "replace:*/blog/posts/*.md:1:after",
    "last-file-written-not-renamed": "replace:*/assets/og/home.png:1:before",
}


@pytest.mark.parametrize("moment", list(PAGES_MOMENTS.values()), ids=list(PAGES_MOMENTS))
def test__pages__killed_at_a_write_then_rerun_equals_an_uninterrupted_run(case: Case, moment):
    kill_inside(case, "pages", moment)
    rerun_equals_reference(case, "pages")


def test__pages__killed_while_rendering_charts_then_rerun_equals_an_uninterrupted_run(
    case: Case, world
):
    """From the base docs, so the new week's charts really are rendered (not found)."""
    shutil.rmtree(case.docs)
    shutil.copytree(world.base_docs, case.docs)
    kill_inside(case, "pages", "replace:*/assets/charts/weeks/*.svg:1:before")
    rerun_equals_reference(case, "pages")


def test__pages__killed_during_startup_then_rerun_equals_an_uninterrupted_run(case: Case):
    kill_outside(case, "pages", after(0.3), "0.3 s")
    rerun_equals_reference(case, "pages")


def test__pages__killed_once_the_ledger_grew_then_rerun_equals_an_uninterrupted_run(case: Case):
    kill_outside(case, "pages", ledger_grew(case), "the ledger grew")
    rerun_equals_reference(case, "pages")


SITE_MOMENTS = {
    "ledger-appended": "replace:*/verdicts.jsonl:1:after",
    "first-page-half-written": "mkdocs-write:1",
    "twentieth-page-half-written": "mkdocs-write:20",
    "every-page-built-no-feeds": "feeds",
}


@pytest.mark.parametrize("moment", list(SITE_MOMENTS.values()), ids=list(SITE_MOMENTS))
def test__site__killed_at_a_write_then_rerun_equals_an_uninterrupted_run(
    case: Case, reference_site, moment
):
    kill_inside(case, "site", moment)
    rerun_equals_reference(case, "site", reference_site)


def test__site__killed_with_the_site_folder_half_built_then_rerun_equals_it(
    case: Case, reference_site
):
    half = len(tree(reference_site.site)) // 2
    kill_outside(case, "site", site_holds(case, half), f"{half} files were built")
    rerun_equals_reference(case, "site", reference_site)


def test__site__killed_half_way_in_time_then_rerun_equals_it(case: Case, reference_site):
    seconds = reference_site.seconds / 2
    kill_outside(case, "site", after(seconds), f"{seconds:.1f} s")
    rerun_equals_reference(case, "site", reference_site)


def test__site__and_pages_at_once_on_one_data_folder_equal_one_run(case: Case, reference_site):
    """The lock on the data folder serialises them: one records the week, the other finds it."""
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "generator", *case.args(command)],
            cwd=ROOT,
            env=cli_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for command in ("site", "pages")
    ]
    for run in runs:
        _, err = run.communicate(timeout=300)
        assert run.returncode == 0, err
        assert "Traceback" not in err
    case.expect_like_reference()
    want, have = site_tree(reference_site.site), site_tree(case.site)
    assert want == have
