"""Faults in price files, in the replay folder a run reads and in the price cache it keeps.

Every case runs `pages --prices-dir <replay> --offline --as-of NEXT_AS_OF` on a copy of the world
(a cache through SEED_AS_OF and a ledger of 7 weeks), where a good run records NEXT_WEEK.
A file that is wrong stops the run (exit 1) with one line naming the symbol, the file and
usually the line and date, and nothing changes. A file that is merely absent is a warning: the
symbol keeps its cached prices, and a week the Russell 2000 has no close for is not recorded.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from generator.config import load_config
from tests.faults.conftest import NEXT_WEEK, SEED_AS_OF, Case

pytestmark = pytest.mark.fault

BASKET = tuple(s.symbol for s in load_config().basket)


def rows(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def line_of(path: Path, day: str) -> int:
    """The 1-based line number of the row dated `day` (line 1 is the header)."""
    return next(i for i, row in enumerate(rows(path), start=1) if row.startswith(day + ","))


def set_close(path: Path, day: str, close: str) -> None:
    lines = rows(path)
    at = line_of(path, day) - 1
    cells = lines[at].rstrip("\n").split(",")
    cells[4] = close
    lines[at] = ",".join(cells) + "\n"
    path.write_text("".join(lines), encoding="utf-8")


def duplicate_row(path: Path, day: str) -> None:
    lines = rows(path)
    at = line_of(path, day) - 1
    lines.insert(at + 1, lines[at])
    path.write_text("".join(lines), encoding="utf-8")


def swap_with_next(path: Path, day: str) -> None:
    lines = rows(path)
    at = line_of(path, day) - 1
    lines[at], lines[at + 1] = lines[at + 1], lines[at]
    path.write_text("".join(lines), encoding="utf-8")


def remove_basket(replay: Path) -> list[str]:
    """Delete every altcoin's file from a replay folder; return the symbols that had one."""
    present = [s for s in BASKET if (replay / f"{s}.csv").is_file()]
    for symbol in present:
        (replay / f"{symbol}.csv").unlink()
    return present


def bom_and_crlf(path: Path) -> None:
    """As a spreadsheet on Windows saves it."""
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))


# --- Wrong files stop the run -------------------------------------------------------------------


def test__pages__garbage_price_file_exits_1_naming_it(case: Case):
    path = case.replay / "^RUT.csv"
    path.write_text("<html><body>Will be right back</body></html>\n")
    done = case.run()
    case.expect_error(done, 1, f"^RUT: {path}: header is", "expected date,open,high,low,close")


def test__pages__header_only_price_file_exits_1_naming_it(case: Case):
    path = case.replay / "BTC-USD.csv"
    path.write_text("date,open,high,low,close,volume\n")
    case.expect_error(case.run(), 1, f"BTC-USD: {path}: has a header but no price rows")


def test__pages__empty_price_file_exits_1_naming_it(case: Case):
    path = case.replay / "ETH-USD.csv"
    path.write_bytes(b"")
    case.expect_error(case.run(), 1, f"ETH-USD: {path}: not a readable CSV")


def test__pages__binary_price_file_exits_1_naming_it(case: Case):
    path = case.replay / "DOGE-USD.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")
    case.expect_error(case.run(), 1, f"DOGE-USD: {path}: not a UTF-8 text CSV")


def test__pages__extra_column_exits_1_naming_it(case: Case):
    """A column the format does not have (Yahoo's `Adj Close`, say) may mean other numbers
    entirely (unadjusted closes), so it is refused rather than guessed at."""
    path = case.replay / "^VIX.csv"
    header, *body = (line.rstrip("\n") for line in rows(path))
    lines = [header + ",adj close\n", *(row + ",1.0\n" for row in body)]
    path.write_text("".join(lines), encoding="utf-8")
    case.expect_error(case.run(), 1, f"^VIX: {path}: unexpected column(s) adj close")


def test__pages__nan_close_exits_1_naming_line_and_date(case: Case):
    path = case.replay / "ADA-USD.csv"
    set_close(path, "2019-02-05", "NaN")
    line = line_of(path, "2019-02-05")
    case.expect_error(
        case.run(), 1, f"ADA-USD: {path} line {line}: close on 2019-02-05 is 'NaN', not a number"
    )


def test__pages__negative_close_exits_1_naming_line_and_date(case: Case):
    path = case.replay / "ETH-USD.csv"
    set_close(path, "2019-01-10", "-125.3")
    line = line_of(path, "2019-01-10")
    case.expect_error(
        case.run(), 1, f"ETH-USD: {path} line {line}: close on 2019-01-10 is -125.3, not a positive"
    )


def test__pages__duplicate_date_exits_1_naming_line_and_date(case: Case):
    path = case.replay / "^VIX.csv"
    duplicate_row(path, "2019-02-04")
    line = line_of(path, "2019-02-04") + 1
    case.expect_error(case.run(), 1, f"^VIX: {path} line {line}: duplicate date 2019-02-04")


def test__pages__unsorted_dates_exit_1_naming_line_and_date(case: Case):
    path = case.replay / "DOGE-USD.csv"
    swap_with_next(path, "2018-11-01")
    line = line_of(path, "2018-11-01")
    case.expect_error(
        case.run(),
        1,
        f"DOGE-USD: {path} line {line}: date 2018-11-01 is out of order (comes after 2018-11-02)",
    )


def test__pages__absurd_spike_exits_1_naming_line_and_date(case: Case):
    """A close 100 times its neighbours is a data error, not a market move."""
    path = case.replay / "BTC-USD.csv"
    set_close(path, "2019-02-06", "346000")
    line = line_of(path, "2019-02-06")
    case.expect_error(
        case.run(), 1, f"BTC-USD: {path} line {line}: close on 2019-02-06 (346000) is an isolated"
    )


def test__pages__future_date_exits_1_naming_it(case: Case):
    path = case.replay / "XRP-USD.csv"
    path.write_text(path.read_text() + "2999-01-01,1,1,1,1,1\n")
    case.expect_error(case.run(), 1, f"XRP-USD: {path} line", "date 2999-01-01 is in the future")


def test__pages__one_corrupt_altcoin_exits_1_naming_it(case: Case):
    """One bad coin stops the whole run: a half-read basket would record a different verdict
    than the data says, and a recorded week is never rewritten."""
    path = case.replay / "LINK-USD.csv"
    set_close(path, "2019-02-07", "n/a")
    line = line_of(path, "2019-02-07")
    case.expect_error(case.run(), 1, f"LINK-USD: {path} line {line}: close on 2019-02-07 is 'n/a'")


def test__pages__corrupt_cache_file_exits_1_naming_it(case: Case):
    path = case.cache / "^VIX.csv"
    set_close(path, "2019-01-15", "#VALUE!")
    line = line_of(path, "2019-01-15")
    case.expect_error(case.run(), 1, f"^VIX: {path} line {line}: close on 2019-01-15 is '#VALUE!'")


def test__pages__cache_file_truncated_mid_line_exits_1_naming_it(case: Case):
    """A cache file cut short inside its last row (a copy that ran out of disk, say)."""
    path = case.cache / "^RUT.csv"
    data = path.read_bytes()
    path.write_bytes(data[: data.rstrip(b"\n").rfind(b",", 0, len(data) - 20)])
    line = len(rows(path))
    case.expect_error(case.run(), 1, f"^RUT: {path} line {line}: close on {SEED_AS_OF} is 'empty'")


# --- Files a run can still read -----------------------------------------------------------------


def test__pages__bom_and_crlf_price_file_reads_like_the_plain_one(case: Case):
    bom_and_crlf(case.replay / "^RUT.csv")
    case.expect_ok(case.run())


def test__pages__bom_and_crlf_cache_file_reads_like_the_plain_one(case: Case):
    """The cache file is rewritten in the canonical form when the run adds its new rows."""
    bom_and_crlf(case.cache / "BTC-USD.csv")
    case.expect_ok(case.run())


def test__pages__stray_files_in_the_prices_folders_are_ignored(case: Case):
    (case.replay / "notes.txt").write_text("prices from the old laptop\n")
    (case.replay / "SPY.csv").write_text("<html>not a configured symbol</html>\n")
    (case.replay / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1\x00")
    (case.replay / "backup").mkdir()
    shutil.copy(case.replay / "^RUT.csv", case.replay / "backup" / "^RUT.csv")
    stray = case.cache / "README.md"
    stray.write_text("Do not edit by hand.\n")
    done = case.run()
    stray.unlink()  # it stays where it was; the rest must equal the reference run's
    case.expect_ok(done)


# --- Missing files: warnings, the cached prices kept ---------------------------------------------


def test__pages__missing_altcoin_file_keeps_its_cached_prices(case: Case):
    (case.replay / "XRP-USD.csv").unlink()
    done = case.run()
    case.expect_ok(
        done,
        f"XRP-USD: nothing new (no XRP-USD.csv in {case.replay}); keeping the cached prices "
        f"through {SEED_AS_OF}",
        like_reference=False,
    )


def test__pages__all_altcoins_missing_records_the_week_with_the_basket_unknown(case: Case):
    """Decided: every coin is named in a warning, the week is recorded, and its basket is
    unknown (no coin has a close that Friday). The Russell 2000 is below its reference, so
    the signal (OFF) does not depend on the basket; once it is confirmed, a week like this
    records UNKNOWN, naming the basket as the input that was stale."""
    import json

    removed = remove_basket(case.replay)
    done = case.run()
    named = [*(f"{s}: " for s in BASKET), *(f"(no {s}.csv in " for s in removed)]
    case.expect_ok(done, *named, like_reference=False)
    week = json.loads(case.ledger.read_bytes().splitlines()[-1])
    assert (week["week_ending"], week["signal"]) == (NEXT_WEEK, "OFF")
    assert week["alts"]["basket_close"] is None
    assert week["alts"]["basket_members"] == 0


def test__pages__all_altcoins_missing_on_a_first_run_exits_1_and_leaves_nothing(case: Case):
    """No ledger and no cache: without a basket no week can ever be judged, so the run stops,
    naming the date, and leaves the data folder as empty as it found it."""
    shutil.rmtree(case.data)
    case.data.mkdir()
    remove_basket(case.replay)
    done = case.run()
    case.expect_error(done, 1, f"no week on or before {NEXT_WEEK} has the data a verdict needs")


def test__pages__missing_benchmark_with_a_cache_records_no_new_week(case: Case):
    """No Russell 2000 close for the new week: the week is not over for us, so nothing is
    recorded (a later run records it), and the warning says which file was missing."""
    (case.replay / "^RUT.csv").unlink()
    done = case.run()
    case.expect_ok(
        done,
        f"^RUT: nothing new (no ^RUT.csv in {case.replay}); keeping the cached prices "
        f"through {SEED_AS_OF}",
        recorded=0,
        like_reference=False,
    )
    assert f"week ending {SEED_AS_OF} is OFF" in done.stdout


@pytest.mark.parametrize(("symbol", "name"), [("^RUT", "Russell 2000"), ("BTC-USD", "Bitcoin")])
def test__pages__missing_benchmark_with_no_cache_exits_1_naming_it(case: Case, symbol, name):
    shutil.rmtree(case.cache)
    (case.replay / f"{symbol}.csv").unlink()
    done = case.run()
    case.expect_error(
        done, 1, f"{symbol}: no prices (no {symbol}.csv in {case.replay}); a verdict needs {name}"
    )


def test__pages__missing_bitcoin_with_a_cache_keeps_its_cached_prices(case: Case):
    (case.replay / "BTC-USD.csv").unlink()
    done = case.run()
    case.expect_ok(
        done,
        f"BTC-USD: nothing new (no BTC-USD.csv in {case.replay}); keeping the cached prices "
        f"through {SEED_AS_OF}",
        like_reference=False,
    )


@pytest.mark.slow  # a few seconds; `make faults` runs it
def test__pages__revised_price_of_a_recorded_week_changes_no_recorded_line(case: Case):
    """Yahoo revises an old close: the cache takes the revision, the ledger keeps what it said."""
    set_close(case.replay / "^RUT.csv", "2019-01-25", "1500")
    done = case.run()
    case.expect_ok(done, like_reference=False)
    assert "1500" in (case.cache / "^RUT.csv").read_text()


def test__pages__prices_folder_missing_exits_1_naming_it(case: Case):
    shutil.rmtree(case.replay)
    case.expect_error(case.run(), 1, f"prices folder {case.replay} does not exist")
