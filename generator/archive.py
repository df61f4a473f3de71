"""The archive: `<data-dir>/verdicts.jsonl`, the append-only ledger of weekly verdicts.

One JSON verdict per line, oldest first, keys sorted. A recorded week is never rewritten: a run
only appends weeks after the newest one recorded, and writes the whole file atomically with the
old bytes as its unchanged prefix. A ledger that does not parse stops the run; it is never
"repaired". A lock on the data folder keeps two runs from interleaving.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import filelock
import jsonschema
import pandas as pd

from generator import fsio
from generator.errors import LedgerError
from generator.verdict import SCHEMA_VERSION, Record

log = logging.getLogger(__name__)

LEDGER_FILE = "verdicts.jsonl"
LOCK_FILE = ".altseason.lock"
# The published contract for one record (ARCHITECTURE.md, "The verdict record"); the site
# publishes it as api/verdict.schema.json.
SCHEMA_PATH = Path(__file__).with_name("verdict.schema.json")


@functools.cache
def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def schema_problem(record: Any) -> str | None:
    """Why `record` is not a verdict record of the current schema version, or None if it is."""
    if not isinstance(record, dict):
        return "not a JSON object"
    version = record.get("schema_version")
    if version != SCHEMA_VERSION:
        return (
            f"schema_version {version!r} is not one this generator reads ({SCHEMA_VERSION})"
            if "schema_version" in record
            else "no schema_version"
        )
    error = jsonschema.exceptions.best_match(_validator().iter_errors(record))
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path) or "the record"
    return f"{where}: {error.message}"


def ledger_path(data_dir: Path) -> Path:
    return Path(data_dir) / LEDGER_FILE


@contextlib.contextmanager
def data_lock(data_dir: Path, timeout: float = 900.0) -> Iterator[None]:
    """Hold the data folder for one run (fetch, ledger, pages, build), so two cannot interleave.

    A run that fails leaves the folder as it found it: the files it wrote are put back, so a
    fetch that worked is not kept when a later stage fails (the price cache and the ledger
    change together or not at all). A killed run cannot do this; each of its writes is atomic,
    the next run removes the temporary file of a write it never finished, and completes it.
    """
    data_dir = Path(data_dir)
    if data_dir.exists() and not data_dir.is_dir():
        raise LedgerError(f"--data-dir {data_dir} is a file, not a folder")
    lock = filelock.FileLock(str(data_dir / LOCK_FILE), timeout=timeout)
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        lock.acquire()
    except filelock.Timeout as exc:
        raise LedgerError(
            f"{data_dir / LOCK_FILE}: another run has held the data folder for {timeout:.0f} s"
        ) from exc
    except PermissionError as exc:
        # Only here: a PermissionError later in the run is about some other file, named there.
        raise LedgerError(f"--data-dir {data_dir} is not writable ({exc.strerror})") from exc
    try:
        for path in fsio.remove_leftovers(data_dir):
            log.info("removed %s, left by a run that was killed mid-write", path)
        saved = fsio.snapshot(data_dir, skip=(LOCK_FILE,))
        try:
            yield
        except BaseException:
            _put_back(data_dir, saved)
            raise
    finally:
        lock.release()


def _put_back(data_dir: Path, saved: dict[Path, bytes]) -> None:
    try:
        touched = fsio.restore(data_dir, saved, skip=(LOCK_FILE,))
    except OSError as exc:
        log.warning("%s: could not put the data folder back as it was (%s)", data_dir, exc)
        return
    if touched:
        log.info("the run failed: put back %d file(s) in %s", len(touched), data_dir)


def dumps(record: Record) -> str:
    """The one serialisation of a verdict: sorted keys, no NaN, one line."""
    return json.dumps(record, sort_keys=True, ensure_ascii=False, allow_nan=False)


def read_ledger(path: Path) -> list[Record]:
    """Every recorded verdict, oldest first; LedgerError names the first bad line."""
    path = Path(path)
    if not path.exists():
        return []
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LedgerError(f"{path}: not UTF-8 text; the ledger was left as it is") from exc
    if text and not text.endswith("\n"):
        count = text.count("\n") + 1
        raise LedgerError(
            f"{path} line {count}: truncated (no newline at the end); "
            "the ledger was left as it is, restore it from git"
        )
    records: list[Record] = []
    previous = None
    for number, line in enumerate(text.splitlines(), start=1):
        where = f"{path} line {number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise LedgerError(
                f"{where}: not valid JSON ({exc.msg}); the ledger was left as it is"
            ) from exc
        problem = schema_problem(record)
        if problem is not None:
            raise LedgerError(
                f"{where}: does not match the verdict schema ({problem}); "
                "the ledger was left as it is"
            )
        week = record["week_ending"]
        try:
            # Weeks are compared as text, so only the YYYY-MM-DD form will do (Python also
            # parses 20240105 and 2024-W01-5).
            if dt.date.fromisoformat(week).isoformat() != week:
                raise ValueError(week)
        except (TypeError, ValueError) as exc:
            raise LedgerError(f"{where}: week_ending {week!r} is not a YYYY-MM-DD date") from exc
        if previous is not None and week <= previous:
            problem = "appears twice" if week == previous else f"comes after {previous}"
            raise LedgerError(f"{where}: week {week} {problem}; weeks must be in order, once each")
        previous = week
        records.append(record)
    return records


def append(path: Path, records: list[Record], new: list[Record]) -> int:
    """Append `new` (weeks after the newest recorded) to the ledger; return how many were added.

    The file is rewritten atomically as its exact old bytes plus the new lines, so a recorded
    line can never change, and a killed run leaves either the old file or the new one.
    """
    path = Path(path)
    if not new:
        return 0
    newest = records[-1]["week_ending"] if records else ""
    for record in new:
        problem = schema_problem(record)
        if problem is not None:  # a bug in this generator, never a reason to write
            raise LedgerError(
                f"{path}: refusing to record week {record.get('week_ending')}: {problem}"
            )
        if record["week_ending"] <= newest:
            raise LedgerError(
                f"{path}: refusing to record week {record['week_ending']} again or out of order "
                f"(newest recorded: {newest})"
            )
        newest = record["week_ending"]
    old = path.read_bytes() if path.exists() else b""
    added = "".join(dumps(r) + "\n" for r in new).encode("utf-8")
    fsio.write_bytes(path, old + added)
    return len(new)


def weeks_to_record(
    weeks: list[pd.Timestamp],
    recorded: list[Record],
    first_week: pd.Timestamp | None,
    newest_week: pd.Timestamp | None,
) -> list[tuple[pd.Timestamp, str]]:
    """Which complete weeks this run adds to the ledger, and as `live` or `backfill`.

    An empty ledger is backfilled from `first_week` (the first week the inputs allow); after
    that a run adds the weeks after the newest recorded one up to `newest_week`. The newest is
    `live` (the week the run is for); weeks a run catches up on, and a first run's, are
    `backfill`. Both are computed by the same code from data dated on or before the week.
    """
    if first_week is None or newest_week is None:
        return []
    last = recorded[-1]["week_ending"] if recorded else None
    chosen = [
        w
        for w in weeks
        if first_week <= w <= newest_week and (last is None or w.date().isoformat() > last)
    ]
    return [(w, "live" if recorded and w == newest_week else "backfill") for w in chosen]
