"""Yahoo Finance failing in the ways yfinance fails: an empty frame, a partial batch, NaN rows,
a raised network error, a rate limit, a bad bar.

A fake `yf.download` cannot cross into a subprocess, so these cases run the CLI in this process
(click's CliRunner on `generator.cli.main`) with `generator.cache.YahooSource` built on the fake
(cache imports YahooSource by name, so that is the one to replace) and every socket refused.
The fake serves the replay's own rows, so a good fetch leaves exactly the reference run's cache.
The live Fear & Greed fetch is served from the same replay folder.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from generator import cache, cli
from generator.config import load_config
from generator.sources import YahooSource, read_fear_greed_csv
from tests.fake_yfinance import (
    NO_DATA,
    RATE_LIMITED,
    FakeDownload,
    SleepRecorder,
    forbid_network,
)
from tests.faults.conftest import NEXT_AS_OF, SEED_AS_OF, Case

pytestmark = pytest.mark.fault

CONFIG = load_config()
SYMBOLS = [s.symbol for s in CONFIG.symbols]
# Yahoo is asked from 10 days (fetch.overlap_days) before the newest cached day.
ASKED_FROM = (pd.Timestamp(SEED_AS_OF) - pd.Timedelta(days=10)).date().isoformat()
NETWORK_DOWN = ConnectionError(
    "HTTPSConnectionPool(host='query2.finance.yahoo.com', port=443): Max retries exceeded "
    "(Caused by NewConnectionError: Failed to establish a new connection: [Errno 101] "
    "Network is unreachable)"
)


@dataclass
class Ran:
    """What a CliRunner run produced, shaped like a CompletedProcess for the case's checks."""

    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def yahoo(case: Case, monkeypatch):
    """Install a fake download; returns a function that runs `pages` from Yahoo in-process."""
    forbid_network(monkeypatch)
    fear_greed = read_fear_greed_csv(case.source / "fear_greed.csv")
    monkeypatch.setattr(cache, "fetch_fear_greed_live", lambda timeout=20.0: fear_greed)
    loggers = [logging.getLogger(n) for n in ("generator", "mkdocs", "material", "yfinance")]
    saved = [(lg.handlers[:], lg.propagate, lg.level) for lg in loggers]
    waits = SleepRecorder()

    def run(download, *extra: str) -> Ran:
        monkeypatch.setattr(
            cache, "YahooSource", functools.partial(YahooSource, download=download, sleep=waits)
        )
        case.before = case.snapshot()
        result = CliRunner().invoke(cli.main, case.args("pages", *extra, prices=False))
        stderr = result.stderr
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            stderr += f"Traceback (in process): {result.exception!r}\n"
        return Ran(result.exit_code, result.stdout, stderr)

    run.waits = waits.waits
    yield run
    for logger, (handlers, propagate, level) in zip(loggers, saved, strict=True):
        logger.handlers, logger.propagate = handlers, propagate
        logger.setLevel(level)


def history(case: Case, symbol: str, nan_days: tuple[str, ...] = ()) -> pd.DataFrame | None:
    """What Yahoo returns for `symbol` from ASKED_FROM through NEXT_AS_OF: the replay's own rows
    in yfinance's shape (None when the replay has none). Closes on `nan_days` are NaN."""
    path = case.replay / f"{symbol}.csv"
    if not path.is_file():
        return None
    table = pd.read_csv(path, dtype={"date": str})
    table = table[(table["date"] >= ASKED_FROM) & (table["date"] <= NEXT_AS_OF)]
    if table.empty:
        return None
    crypto = CONFIG.by_symbol(symbol).market == "crypto"
    index = pd.DatetimeIndex(pd.to_datetime(table["date"]), name="Date")
    index = index.tz_localize("UTC" if crypto else "America/New_York")
    frame = pd.DataFrame(
        {c.title(): table[c].to_numpy(dtype="float64") for c in ("open", "high", "low", "close")},
        index=index,
    )
    frame["Volume"] = table["volume"].to_numpy(dtype="float64")
    frame.loc[frame.index.strftime("%Y-%m-%d").isin(nan_days)] = np.nan
    return frame


def fake(case: Case, failing=(), nan_days=(), failure=NO_DATA, **kwargs) -> FakeDownload:
    outcomes = {}
    for symbol in SYMBOLS:
        frame = history(case, symbol, nan_days)
        outcomes[symbol] = [failure if frame is None or symbol in failing else frame]
    return FakeDownload(outcomes, **kwargs)


def prices(tree: dict[str, bytes]) -> dict[str, bytes]:
    return {k: v for k, v in tree.items() if k.startswith("prices/")}


def test__pages__yahoo_serving_the_replay_records_the_reference_week(case: Case, yahoo):
    """The control: the fake world agrees with the replay world."""
    case.expect_ok(yahoo(fake(case)))


def test__pages__yahoo_empty_frame_keeps_the_cache_and_records_nothing(case: Case, yahoo):
    """yfinance returns an empty frame and says nothing: every symbol keeps its cached prices
    (a warning each), and the new week, with no Russell 2000 close, is left for a later run."""
    done = yahoo(lambda tickers, **kwargs: pd.DataFrame())
    case.expect_ok(
        done,
        *(f"{s}: nothing new (Yahoo returned no rows)" for s in ("^RUT", "BTC-USD", "XRP-USD")),
        recorded=0,
        like_reference=False,
    )
    assert prices(case.snapshot().cache) == prices(case.before.cache)


def test__pages__yahoo_empty_frame_with_require_live_exits_1(case: Case, yahoo):
    """The weekly job (--require-live) must not quietly republish last week's data when
    Yahoo answers with nothing for a benchmark: it fails naming the symbol."""
    done = yahoo(lambda tickers, **kwargs: pd.DataFrame(), "--require-live")
    case.expect_error(
        done,
        1,
        "^RUT: Yahoo Finance returned no prices (Yahoo returned no rows)",
        "--require-live forbids building from the cache",
    )


def test__pages__yahoo_partial_batch_records_the_week_and_names_the_rest(case: Case, yahoo):
    """Four symbols fail with yfinance's own message; a fifth comes back as NaN rows only, with
    no message (the padding yfinance gives a ticker that failed silently in a batch). Each
    warning gives that symbol's own reason, never another's."""
    failing = ("^VIX", "XRP-USD", "DOGE-USD")
    download = fake(case, failing=failing)
    download.outcomes["LTC-USD"][0].loc[:] = np.nan
    done = yahoo(download)
    named = [f"{s}: nothing new (${s}: possibly delisted; no price data found" for s in failing]
    named.append("LTC-USD: nothing new (Yahoo returned no rows); keeping the cached prices")
    case.expect_ok(done, *named, like_reference=False)
    after = case.snapshot().cache
    for name in (f"prices/{symbol}.csv" for symbol in (*failing, "LTC-USD")):
        assert after[name] == case.before.cache[name], name


def test__pages__yahoo_nan_rows_are_dropped_not_cached(case: Case, yahoo):
    """NaN rows (yfinance pads a batch with them) never overwrite the cached bars."""
    nan_days = ("2019-01-24", "2019-01-28", "2019-01-31")
    case.expect_ok(yahoo(fake(case, nan_days=nan_days)))


def test__pages__yahoo_network_error_builds_from_the_cache(case: Case, yahoo):
    done = yahoo(fake(case, raises=[NETWORK_DOWN] * 3))
    case.expect_ok(
        done,
        "Yahoo Finance is unreachable (ConnectionError: HTTPSConnectionPool(host='query2.finance"
        ".yahoo.com'",
        "using the cached data instead",
        recorded=0,
        like_reference=False,
    )
    assert "fetch: yahoo failed, cache used as is;" in done.stdout, done.stdout
    assert case.snapshot().cache == case.before.cache


def test__pages__yahoo_network_error_with_require_live_exits_1(case: Case, yahoo):
    done = yahoo(fake(case, raises=[NETWORK_DOWN] * 3), "--require-live")
    case.expect_error(
        done,
        1,
        "Yahoo Finance is unreachable (ConnectionError: ",
        "--require-live forbids building from the cache",
    )


def test__pages__yahoo_network_error_with_nothing_cached_exits_1(case: Case, yahoo):
    for path in case.cache.iterdir():
        path.unlink()
    done = yahoo(fake(case, raises=[NETWORK_DOWN] * 3))
    case.expect_error(
        done,
        1,
        "Yahoo Finance is unreachable (ConnectionError: ",
        "and nothing is cached; to run offline, pass --prices-dir DIR --offline",
    )


def test__pages__yahoo_rate_limit_builds_from_the_cache_after_backing_off(case: Case, yahoo):
    download = fake(case, failure=RATE_LIMITED, failing=SYMBOLS)
    done = yahoo(download)
    case.expect_ok(
        done,
        "Yahoo Finance is rate-limiting requests; using the cached data instead",
        recorded=0,
        like_reference=False,
    )
    assert yahoo.waits == [30.0, 60.0]  # fetch.rate_limit_backoff_seconds, doubled; not slept
    assert len(download.calls) == 3  # one batch and two retries, then the crypto batch skipped


def test__pages__yahoo_rate_limit_with_require_live_exits_1(case: Case, yahoo):
    done = yahoo(fake(case, failure=RATE_LIMITED, failing=SYMBOLS), "--require-live")
    case.expect_error(
        done,
        1,
        "Yahoo Finance is rate-limiting requests; --require-live forbids building from the cache",
    )


def test__pages__yahoo_bad_bar_exits_1_naming_symbol_and_date(case: Case, yahoo):
    download = fake(case)
    download.outcomes["ETH-USD"][0].loc["2019-02-07", "Close"] = -118.0
    done = yahoo(download)
    case.expect_error(
        done, 1, "ETH-USD: Yahoo Finance download: close on 2019-02-07 is -118, not a positive"
    )
