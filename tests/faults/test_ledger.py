"""Faults in the ledger (`verdicts.jsonl`), repeated runs, and two runs at once.

A ledger that does not read stops the run before anything is fetched (exit 1, one line naming
the file and the line); it is never repaired by rewriting, so it stays byte for byte as it was,
and so does the price cache.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.faults.conftest import BASE_WEEKS, NEXT_WEEK, ROOT, Case, cli_env, docs_tree, tree

pytestmark = pytest.mark.fault


def ledger_lines(case: Case) -> list[bytes]:
    return case.ledger.read_bytes().splitlines(keepends=True)


def test__pages__ledger_truncated_mid_line_exits_1_naming_the_line(case: Case):
    lines = ledger_lines(case)
    case.ledger.write_bytes(b"".join(lines[:-1]) + lines[-1][:120])
    done = case.run()
    case.expect_error(done, 1, f"{case.ledger} line {BASE_WEEKS}: truncated")


def test__pages__ledger_with_a_garbage_line_exits_1_naming_it(case: Case):
    lines = ledger_lines(case)
    lines.insert(3, b"<<<<<<< HEAD\n")  # a merge conflict left in the file
    case.ledger.write_bytes(b"".join(lines))
    done = case.run()
    case.expect_error(done, 1, f"{case.ledger} line 4: not valid JSON")


def test__pages__ledger_with_a_duplicated_week_exits_1_naming_it(case: Case):
    lines = ledger_lines(case)
    lines.insert(2, lines[1])
    case.ledger.write_bytes(b"".join(lines))
    week = json.loads(lines[1])["week_ending"]
    done = case.run()
    case.expect_error(done, 1, f"{case.ledger} line 3: week {week} appears twice")


def test__pages__ledger_weeks_out_of_order_exit_1_naming_them(case: Case):
    lines = ledger_lines(case)
    lines[2], lines[3] = lines[3], lines[2]
    case.ledger.write_bytes(b"".join(lines))
    later, earlier = (json.loads(lines[i])["week_ending"] for i in (2, 3))
    done = case.run()
    case.expect_error(done, 1, f"{case.ledger} line 4: week {earlier} comes after {later}")


def test__pages__ledger_with_a_hand_edited_signal_exits_1_naming_it(case: Case):
    lines = ledger_lines(case)
    lines[4] = lines[4].replace(b'"signal": "OFF"', b'"signal": "MOON"')
    case.ledger.write_bytes(b"".join(lines))
    done = case.run()
    case.expect_error(
        done, 1, f"{case.ledger} line 5: does not match the verdict schema (signal: 'MOON' is not"
    )


def test__pages__ledger_line_from_an_unknown_schema_version_exits_1_naming_it(case: Case):
    """A record written by a later generator (schema_version 2) is never guessed at."""
    lines = ledger_lines(case)
    lines[2] = lines[2].replace(b'"schema_version": 1', b'"schema_version": 2')
    case.ledger.write_bytes(b"".join(lines))
    done = case.run()
    case.expect_error(
        done, 1, f"{case.ledger} line 3: does not match the verdict schema (schema_version 2 is"
    )


def test__pages__ledger_line_missing_a_field_exits_1_naming_it(case: Case):
    """A hand-edited record that lost a field (here the sentence) no longer matches the
    published schema: the run stops on that line and rewrites nothing."""
    lines = ledger_lines(case)
    record = json.loads(lines[6])
    del record["sentence"]
    lines[6] = (json.dumps(record, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
    case.ledger.write_bytes(b"".join(lines))
    done = case.run()
    case.expect_error(
        done, 1, f"{case.ledger} line 7: does not match the verdict schema (the record: 'sentence'"
    )


def test__pages__lost_ledger_is_rebuilt_from_the_cache_line_for_line(case: Case):
    """The ledger deleted (and not restored from git): the next run backfills every week from
    the cache, and the weeks it had recorded come back byte for byte."""
    base = case.ledger.read_bytes()
    case.ledger.unlink()
    done = case.run()
    case.expect_ok(done, recorded=BASE_WEEKS + 1, like_reference=False)
    case.compare_ledger(base)  # what must not be lost
    newest = json.loads(ledger_lines(case)[-1])
    assert (newest["week_ending"], newest["source"]) == (NEXT_WEEK, "backfill")


@pytest.mark.slow  # a few seconds; `make faults` runs it
def test__pages__same_week_twice_changes_no_byte(case: Case):
    case.expect_ok(case.run())
    data, docs = tree(case.data), docs_tree(case.docs)
    again = case.run()
    assert again.returncode == 0, again.stderr
    assert "0 week(s) recorded" in again.stdout and "0 file(s) written" in again.stdout
    case.compare_ledger(case.before.ledger)
    assert tree(case.data) == data and docs_tree(case.docs) == docs


@pytest.mark.slow  # a few seconds; `make faults` runs it
def test__pages__two_runs_at_once_record_the_week_once(case: Case):
    """The lock on the data folder makes the second run wait, then find the week recorded."""
    args = [sys.executable, "-m", "generator", *case.args()]
    case.before = case.snapshot()
    runs = [
        subprocess.Popen(
            args, cwd=ROOT, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=300) for run in runs]
    for run, (_, err) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, err
        assert "Traceback" not in err
    recorded = sorted(out.splitlines()[-1].split("; ")[1].split(", ")[0] for out, _ in outputs)
    assert recorded == ["0 week(s) recorded (0 backfilled)", "1 week(s) recorded (0 backfilled)"]
    case.expect_like_reference()
