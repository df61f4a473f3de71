"""The ledger (generator.archive): strict reading, append-only writing, which weeks a run records,
and fault tests through the real CLI on a small replay cut from the committed data/prices."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pandas as pd
import pytest

from generator import archive, cache, market
from generator.archive import append, dumps, read_ledger, weeks_to_record
from generator.config import load_config
from generator.errors import LedgerError
from generator.indicators import compute_weekly
from generator.verdict import build_verdict
from tests.conftest import REPLAY_PRICES, ROOT, run_cli

# A real record (the committed ledger's newest) to re-date: the schema allows nothing less.
TEMPLATE = json.loads((ROOT / "data" / "verdicts.jsonl").read_text("utf-8").splitlines()[-1])


def record(week: str, signal: str = "OFF", **extra) -> dict:
    """A verdict record the schema accepts, for `week` with `signal`."""
    return {
        **TEMPLATE,
        "week_ending": week,
        "signal": signal,
        "source": "live",
        "sentence": f"{signal} on {week}.",
        **extra,
    }


def write_lines(path: Path, lines: list[str], final_newline: bool = True) -> bytes:
    data = ("\n".join(lines) + ("\n" if final_newline else "")).encode("utf-8")
    path.write_bytes(data)
    return data


GOOD = [dumps(record(w)) for w in ("2024-01-05", "2024-01-12", "2024-01-19")]


# --- read_ledger --------------------------------------------------------------------------------


def test__read_ledger__missing_file_is_an_empty_ledger(tmp_path):
    assert read_ledger(tmp_path / "verdicts.jsonl") == []


def test__read_ledger__reads_every_record_in_order(tmp_path):
    path = tmp_path / "verdicts.jsonl"
    write_lines(path, GOOD)
    records = read_ledger(path)
    assert [r["week_ending"] for r in records] == ["2024-01-05", "2024-01-12", "2024-01-19"]
    assert records[0] == record("2024-01-05")


@pytest.mark.parametrize(
    ("lines", "final_newline", "message"),
    [
        ([GOOD[0], '{"week_ending": "2024-01-12", "sig', GOOD[2]], True, r"line 2: not valid JSON"),
        ([GOOD[0], "", GOOD[2]], True, r"line 2: not valid JSON"),
        ([*GOOD[:2], GOOD[2][:40]], False, r"line 3: truncated"),
        ([*GOOD], False, r"line 3: truncated"),
        ([GOOD[0], GOOD[0], GOOD[1]], True, r"line 2: week 2024-01-05 appears twice"),
        ([GOOD[0], GOOD[2], GOOD[1]], True, r"line 3: week 2024-01-12 comes after 2024-01-19"),
        (
            [GOOD[0], dumps(record("2024-01-12", "MAYBE"))],
            True,
            r"line 2: does not match the verdict schema \(signal: 'MAYBE' is not one of",
        ),
        (['["not", "a", "record"]'], True, r"line 1: does not match .* \(not a JSON object\)"),
        (
            [dumps({k: v for k, v in record("2024-01-05").items() if k != "sentence"})],
            True,
            r"line 1: does not match the verdict schema \(the record: 'sentence' is a required",
        ),
        (
            [dumps(record("2024-01-05", schema_version=2))],
            True,
            r"line 1: .*schema_version 2 is not one this generator reads \(1\)",
        ),
        (
            [dumps({k: v for k, v in record("2024-01-05").items() if k != "schema_version"})],
            True,
            r"line 1: .*\(no schema_version\)",
        ),
        (
            [dumps(record("2024-01-05", extra_field=1))],
            True,
            r"line 1: .*\(the record: Additional properties are not allowed \('extra_field'",
        ),
        (
            [dumps(record("2024-01-05", rut={**TEMPLATE["rut"], "close": "2,663.78"}))],
            True,
            r"line 1: .*\(rut/close: '2,663.78' is not of type 'number', 'null'\)",
        ),
        (
            [dumps(record("last friday"))],
            True,
            r"line 1: .*\(week_ending: 'last friday' does not match",
        ),
        (
            [GOOD[0], dumps(record("20240112"))],
            True,
            r"line 2: .*\(week_ending: '20240112' does not match",
        ),
    ],
    ids=[
        "garbage",
        "blank-line",
        "truncated-last-line",
        "no-final-newline",
        "duplicated-week",
        "out-of-order",
        "bad-signal",
        "not-an-object",
        "missing-key",
        "unknown-schema-version",
        "no-schema-version",
        "unknown-key",
        "wrong-type",
        "not-a-date",
        "basic-iso-date",
    ],
)
def test__read_ledger__errors_name_the_line(tmp_path, lines, final_newline, message):
    path = tmp_path / "verdicts.jsonl"
    before = write_lines(path, lines, final_newline)
    with pytest.raises(LedgerError, match=message) as caught:
        read_ledger(path)
    assert str(path) in str(caught.value)
    assert path.read_bytes() == before  # never repaired


def test__read_ledger__not_utf8_is_an_error(tmp_path):
    path = tmp_path / "verdicts.jsonl"
    path.write_bytes(GOOD[0].encode() + b"\n\xff\xfe\n")
    with pytest.raises(LedgerError, match="not UTF-8"):
        read_ledger(path)


# --- append -------------------------------------------------------------------------------------


def test__append__writes_the_old_bytes_then_the_new_lines(tmp_path):
    path = tmp_path / "verdicts.jsonl"
    old = write_lines(path, GOOD[:2])
    new = [record("2024-01-19", "WATCH", missing=[]), record("2024-01-26")]
    assert append(path, read_ledger(path), new) == 2
    expected = (
        old
        + "".join(json.dumps(r, sort_keys=True, ensure_ascii=False) + "\n" for r in new).encode()
    )
    assert path.read_bytes() == expected
    assert [r["week_ending"] for r in read_ledger(path)][-2:] == ["2024-01-19", "2024-01-26"]


def test__append__to_an_empty_ledger_creates_it(tmp_path):
    path = tmp_path / "sub" / "verdicts.jsonl"
    assert append(path, [], [record("2024-01-05")]) == 1
    assert path.read_bytes() == (dumps(record("2024-01-05")) + "\n").encode()


def test__append__nothing_new_touches_nothing(tmp_path):
    path = tmp_path / "verdicts.jsonl"
    assert append(path, [], []) == 0
    assert not path.exists()


@pytest.mark.parametrize(
    "new",
    [
        [record("2024-01-19")],  # the newest recorded week again
        [record("2024-01-12", "ON")],  # an older recorded week, "revised"
        [record("2024-01-26"), record("2024-01-26")],
        [record("2024-02-02"), record("2024-01-26")],
    ],
    ids=["newest-again", "older-week", "twice-in-one-run", "out-of-order"],
)
def test__append__refuses_a_recorded_week_or_disorder(tmp_path, new):
    path = tmp_path / "verdicts.jsonl"
    before = write_lines(path, GOOD)
    with pytest.raises(LedgerError, match="refusing to record week"):
        append(path, read_ledger(path), new)
    assert path.read_bytes() == before


def test__dumps__sorted_keys_one_line_and_no_nan():
    assert dumps({"b": 1, "a": "é\n"}) == '{"a": "é\\n", "b": 1}'
    with pytest.raises(ValueError):
        dumps({"a": float("nan")})


# --- data_lock ----------------------------------------------------------------------------------

TRY_LOCK = "import filelock, sys; filelock.FileLock(sys.argv[1], timeout=0).acquire()"


def test__data_lock__holds_the_data_folder_against_other_processes(tmp_path):
    lock_file = str(tmp_path / archive.LOCK_FILE)
    with archive.data_lock(tmp_path):
        other = subprocess.run([sys.executable, "-c", TRY_LOCK, lock_file], capture_output=True)
        assert other.returncode != 0
        assert b"Timeout" in other.stderr
    after = subprocess.run([sys.executable, "-c", TRY_LOCK, lock_file], capture_output=True)
    assert after.returncode == 0, after.stderr


def test__data_lock__a_file_in_the_way_is_a_clear_error(tmp_path):
    in_the_way = tmp_path / "data"
    in_the_way.write_text("not a folder")
    with pytest.raises(LedgerError, match="is a file, not a folder"), archive.data_lock(in_the_way):
        pass


# --- weeks_to_record ----------------------------------------------------------------------------

WEEKS = list(pd.date_range("2024-01-05", periods=8, freq="7D"))


def iso(i: int) -> str:
    return WEEKS[i].date().isoformat()


def test__weeks_to_record__empty_ledger_backfills_from_the_first_week():
    chosen = weeks_to_record(WEEKS, [], WEEKS[2], WEEKS[5])
    assert chosen == [(WEEKS[i], "backfill") for i in (2, 3, 4, 5)]


def test__weeks_to_record__later_runs_record_the_newest_live_and_gaps_as_backfill():
    recorded = [record(iso(i)) for i in (2, 3)]
    chosen = weeks_to_record(WEEKS, recorded, WEEKS[2], WEEKS[6])
    assert chosen == [(WEEKS[4], "backfill"), (WEEKS[5], "backfill"), (WEEKS[6], "live")]
    assert weeks_to_record(WEEKS, recorded, WEEKS[2], WEEKS[4]) == [(WEEKS[4], "live")]


def test__weeks_to_record__nothing_when_recorded_or_as_of_is_earlier():
    recorded = [record(iso(i)) for i in (2, 3, 4, 5)]
    assert weeks_to_record(WEEKS, recorded, WEEKS[2], WEEKS[5]) == []
    assert weeks_to_record(WEEKS, recorded, WEEKS[2], WEEKS[3]) == []


def test__weeks_to_record__nothing_when_the_inputs_never_allow_a_verdict():
    assert weeks_to_record(WEEKS, [], None, WEEKS[5]) == []
    assert weeks_to_record(WEEKS, [], WEEKS[6], WEEKS[5]) == []


# --- Fault tests through the CLI on a small replay ----------------------------------------------

# The small replay: every committed price file cut to 2017-06-01 .. 2019-09-30. In it the Russell
# 2000's reference is its 2018-08-31 close (1740.75; the 20% drawdown came in December 2018)
# and the basket's 50-week average exists by then, so `pages --as-of 2019-06-30` backfills the
# 28 weeks 2018-12-21 .. 2019-06-28, all OFF (the index stayed under the 1628.91 approach level).
SMALL_FIRST, SMALL_LAST = "2017-06-01", "2019-09-30"
SEED_AS_OF, LATER_AS_OF = "2019-06-30", "2019-07-06"


def cut_replay(target: Path) -> Path:
    target.mkdir(parents=True)
    for source in sorted(REPLAY_PRICES.glob("*.csv")):
        lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
        rows = [ln for ln in lines[1:] if SMALL_FIRST <= ln[:10] <= SMALL_LAST]
        if rows:
            (target / source.name).write_text(lines[0] + "".join(rows), encoding="utf-8")
    return target


def common(data_dir: Path, docs_dir: Path, as_of: str) -> list[str]:
    return ["--offline", "--data-dir", str(data_dir), "--docs-dir", str(docs_dir), "--as-of", as_of]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> Path:
    """A data folder whose cache runs to 2019-09-30 and whose ledger runs to 2019-06-28, and
    the docs folder that run wrote (copy both before changing anything)."""
    base = tmp_path_factory.mktemp("archive")
    replay = cut_replay(base / "replay")
    data, docs = base / "data", base / "docs"
    fetched = run_cli("fetch", "--prices-dir", str(replay), *common(data, docs, LATER_AS_OF))
    assert fetched.returncode == 0, fetched.stderr
    paged = run_cli("pages", *common(data, docs, SEED_AS_OF))
    assert paged.returncode == 0, paged.stderr
    assert "28 week(s) recorded (28 backfilled)" in paged.stdout
    return base


def scratch(seeded: Path, tmp_path: Path, ledger: bool = True) -> tuple[Path, Path]:
    data, docs = tmp_path / "data", tmp_path / "docs"
    shutil.copytree(seeded / "data", data)
    shutil.copytree(seeded / "docs", docs)
    if not ledger:
        (data / archive.LEDGER_FILE).unlink()
    return data, docs


@pytest.mark.parametrize("fault", ["garbage", "truncated"])
def test__pages__corrupt_ledger_exits_1_naming_the_line_and_leaves_it(seeded, tmp_path, fault):
    data, docs = scratch(seeded, tmp_path)
    ledger = data / archive.LEDGER_FILE
    lines = ledger.read_bytes().split(b"\n")
    if fault == "garbage":
        lines[4] = b"{this is not json"
        bad_line = 5
        corrupt = b"\n".join(lines)
    else:  # a write cut short: the last line lost its end
        corrupt = b"\n".join(lines[:-1])[:-25]
        bad_line = len(lines) - 1
    ledger.write_bytes(corrupt)
    result = run_cli("pages", *common(data, docs, LATER_AS_OF))
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if not line.startswith("WARNING:")]
    assert len(errors) == 1, result.stderr  # one line, no traceback
    assert errors[0].startswith("error: ")
    assert f"verdicts.jsonl line {bad_line}: " in errors[0]
    assert ledger.read_bytes() == corrupt


def recompute(data_dir: Path, week: str) -> dict:
    """The verdict for `week` as the library would compute it now from the cache."""
    config = load_config()
    as_of = dt.date.fromisoformat(week)
    data = cache.load_market_data(config, data_dir, dt.date.today(), as_of=as_of)
    panel = market.weekly_panel(data, config, as_of)
    weekly = compute_weekly(panel, data, config)
    return build_verdict(pd.Timestamp(week), weekly.loc[pd.Timestamp(week)], config, "backfill")


def test__pages__a_revised_price_does_not_change_a_recorded_week(seeded, tmp_path):
    """The Russell 2000's close on 2019-03-15 (1553.54, OFF) is revised to 1700 in the cache:
    recomputed, that week would now be WATCH, but its recorded line stays as it was; the next
    run only appends its own week."""
    data, docs = scratch(seeded, tmp_path)
    ledger = data / archive.LEDGER_FILE
    before = ledger.read_bytes()
    week = "2019-03-15"
    recorded = next(r for r in read_ledger(ledger) if r["week_ending"] == week)
    assert (recorded["signal"], recorded["rut"]["close"]) == ("OFF", 1553.54)

    prices = data / "prices" / "^RUT.csv"
    rows = prices.read_text(encoding="utf-8").splitlines(keepends=True)
    at = next(i for i, row in enumerate(rows) if row.startswith(week))
    cells = rows[at].rstrip("\n").split(",")
    cells[4] = "1700"
    rows[at] = ",".join(cells) + "\n"
    prices.write_text("".join(rows), encoding="utf-8")
    revised = recompute(data, week)
    assert revised["signal"] == "WATCH" and revised["rut"]["close"] == 1700.0

    result = run_cli("pages", *common(data, docs, LATER_AS_OF))
    assert result.returncode == 0, result.stderr
    after = ledger.read_bytes()
    assert after.startswith(before)
    assert len(after) > len(before)
    records = read_ledger(ledger)
    assert next(r for r in records if r["week_ending"] == week) == recorded
    assert [(r["week_ending"], r["source"]) for r in records[-2:]] == [
        ("2019-06-28", "backfill"),
        ("2019-07-05", "live"),
    ]


def test__pages__two_runs_at_once_leave_one_valid_ledger(seeded, tmp_path):
    """Two `pages` runs on one data folder with an empty ledger: the lock makes one backfill
    and the other find the weeks recorded; the ledger equals a single run's, byte for byte."""
    data, docs = scratch(seeded, tmp_path, ledger=False)
    args = [sys.executable, "-m", "generator", "pages", *common(data, docs, SEED_AS_OF)]
    runs = [
        subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=300) for run in runs]
    for run, (_, err) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, err
    summaries = sorted(out.splitlines()[-1].split(";")[1].strip() for out, _ in outputs)
    assert summaries == [
        "0 week(s) recorded (0 backfilled), 28 in the archive",
        "28 week(s) recorded (28 backfilled), 28 in the archive",
    ]
    ledger = data / archive.LEDGER_FILE
    weeks = [r["week_ending"] for r in read_ledger(ledger)]
    assert len(weeks) == len(set(weeks)) == 28
    assert ledger.read_bytes() == (seeded / "data" / archive.LEDGER_FILE).read_bytes()


# --- The committed ledger against the published schema --------------------------------------


def test__committed_ledger__every_line_matches_the_schema_with_a_standard_validator():
    """What the Done-when of the stand-alone issue asks: jsonschema's own Draft 2020-12
    validator (not this package's reader) accepts every line of data/verdicts.jsonl."""
    schema = json.loads((ROOT / "generator" / "verdict.schema.json").read_text("utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    lines = (ROOT / "data" / "verdicts.jsonl").read_text("utf-8").splitlines()
    assert len(lines) >= 376
    for number, line in enumerate(lines, start=1):
        errors = [e.message for e in validator.iter_errors(json.loads(line))]
        assert not errors, (number, errors)


def test__schema__rejects_what_the_ledger_must_never_hold():
    """The schema is strict enough to matter: each of these breaks it."""
    schema = json.loads((ROOT / "generator" / "verdict.schema.json").read_text("utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    broken = [
        {**TEMPLATE, "signal": "MAYBE"},
        {**TEMPLATE, "schema_version": 2},
        {**TEMPLATE, "alts": {**TEMPLATE["alts"], "basket_vs_ma_pct": 1.0}},
        {**TEMPLATE, "rut": {**TEMPLATE["rut"], "state": "sideways"}},
        {k: v for k, v in TEMPLATE.items() if k != "data_as_of"},
        {**TEMPLATE, "checks": [{**TEMPLATE["checks"][0], "status": "maybe"}]},
    ]
    assert validator.is_valid(TEMPLATE)
    for record in broken:
        assert not validator.is_valid(record)
