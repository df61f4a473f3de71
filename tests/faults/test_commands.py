"""Faults in the command line: dates, commands, options and folders.

Bad usage (a malformed or future `--as-of`, an unknown command or option, a folder option
naming a file) exits 2 with click's message naming the option. A well-formed request the data
cannot answer, or a folder the run cannot write, exits 1 with one line naming it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import unavailable
from tests.faults.conftest import Case

pytestmark = pytest.mark.fault


def test__pages__as_of_not_a_date_is_bad_usage(case: Case):
    done = case.run(as_of="2019-02-30")
    case.expect_usage(done, "'--as-of'", "'2019-02-30' is not a date in YYYY-MM-DD form")


def test__pages__as_of_in_the_far_future_is_bad_usage(case: Case):
    done = case.run(as_of="2999-01-01")
    case.expect_usage(done, "--as-of", "2999-01-01 is in the future")


def test__pages__as_of_before_all_data_exits_1_naming_the_date(case: Case):
    done = case.run(as_of="2010-01-01")
    case.expect_error(done, 1, "^RUT: no cached prices on or before 2010-01-01")


def test__cli__unknown_command_is_bad_usage(case: Case):
    done = case.run(args=["publish", "--data-dir", str(case.data)])
    case.expect_usage(done, "No such command 'publish'")


def test__pages__unknown_option_is_bad_usage(case: Case):
    done = case.run(args=[*case.args(), "--force"])
    case.expect_usage(done, "No such option '--force'")


def test__pages__data_dir_that_is_a_file_is_bad_usage(case: Case):
    in_the_way = case.root / "data.txt"
    in_the_way.write_text("not a folder\n")
    done = case.run(args=[*case.args(), "--data-dir", str(in_the_way)])
    case.expect_usage(done, "'--data-dir'", str(in_the_way), "is a file")
    assert in_the_way.read_text() == "not a folder\n"


def test__pages__missing_config_file_exits_1_naming_it(case: Case):
    missing = case.root / "config.toml"
    done = case.run(args=[*case.args(), "--config", str(missing)])
    case.expect_error(done, 1, f"{missing}: config file not found")


# --- Folders the run cannot write ---------------------------------------------------------------


def _writes_despite_permissions() -> bool:
    """True when this process can write into a folder without write permission (root can)."""
    probe = Path(os.environ.get("TMPDIR", "/tmp")) / f"faults-probe-{os.getpid()}"
    probe.mkdir()
    try:
        probe.chmod(0o555)
        try:
            (probe / "x").write_text("x")
        except PermissionError:
            return False
        return True
    finally:
        probe.chmod(0o755)
        shutil.rmtree(probe)


def _unprivileged_prefix() -> tuple[str, ...]:
    """How to run the CLI so that permissions apply: nothing for an ordinary user; as root, in
    a new user namespace (`unshare -U`), where root's files belong to an unmapped owner and
    root's override of permissions no longer applies. Skips when neither is possible."""
    if not _writes_despite_permissions():
        return ()
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-U", "true"], capture_output=True).returncode == 0:
        return (unshare, "-U")
    unavailable("running as root without `unshare -U`: permissions cannot stop a write here")


def read_only(folder: Path) -> None:
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o555 if path.is_dir() else 0o444)


def writable(folder: Path) -> None:
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)


def test__pages__data_dir_not_writable_exits_1_naming_it(case: Case):
    prefix = _unprivileged_prefix()
    read_only(case.data)
    try:
        done = case.run(prefix=prefix)
    finally:
        writable(case.data)
    case.expect_error(done, 1, f"--data-dir {case.data} is not writable")


def test__pages__docs_dir_not_writable_exits_1_naming_it_and_records_nothing(case: Case):
    """The ledger is the source of truth, but a run that cannot publish its week must not record
    it either: the next run records it and publishes it together."""
    prefix = _unprivileged_prefix()
    read_only(case.docs)
    try:
        done = case.run(prefix=prefix)
    finally:
        writable(case.docs)
    case.expect_error(done, 1, str(case.docs), "Permission denied")


def test__pages__prices_dir_that_is_a_file_is_bad_usage(case: Case):
    in_the_way = case.root / "prices.csv"
    in_the_way.write_text("date,close\n")
    done = case.run(args=[*case.args(), "--prices-dir", str(in_the_way)])
    case.expect_usage(done, "'--prices-dir'", str(in_the_way), "is a file")
