"""Stand-ins for `yfinance.download` (1.7) that never touch the network.

`yf_download_result` assembles per-ticker histories exactly as yfinance 1.7's `multi.download`
does (concat keyed by ticker, `(Price, Ticker)` MultiIndex columns, NaN rows for a ticker that
failed in a batch, an EMPTY frame when every ticker failed); `test_sources.py` checks it against
the real `yfinance.download` with only `Ticker.history` replaced. `FakeDownload` plays scripted
outcomes per symbol and logs failures on the 'yfinance' logger the way yfinance does.
"""

from __future__ import annotations

import inspect
import logging
import socket
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import yfinance
from pandas.errors import Pandas4Warning
from yfinance import utils as yf_utils

YF_LOG = logging.getLogger("yfinance")
# Taken at import, before any test replaces `yfinance.download`.
REAL_DOWNLOAD = yfinance.download
DOWNLOAD_SIGNATURE = inspect.signature(yfinance.download)

DNS_ERROR = (
    "Failed to perform, curl: (6) Could not resolve host: query2.finance.yahoo.com. "
    "See https://curl.se/libcurl/c/libcurl-errors.html first for more details."
)
RATE_LIMIT_ERROR = "Too Many Requests. Rate limited. Try after a while."
# A library warning yfinance 1.7 really triggers under pandas 3 on every download.
PANDAS_WARNING = "The inplace keyword in DataFrame.rename is deprecated"


@dataclass(frozen=True)
class Fail:
    """One ticker failing inside a download: what yfinance logs and what it reports at the end."""

    reason: str  # the ticker's error; logged as "['SYM']: <reason>" at the end of the download
    logged: tuple[str, ...] = ()  # lines `Ticker.history` logs first ({symbol} filled in)


# Yahoo has no data for the symbol (unknown, delisted, or not yet listed in the range).
NO_DATA = Fail(
    "possibly delisted; no price data found  (1d 2024-03-04 -> 2024-03-29)",
    logged=("${symbol}: possibly delisted; no price data found  (1d 2024-03-04 -> 2024-03-29)",),
)
# DNS fails while yfinance looks up the ticker's time zone: logged, then "no timezone found".
DNS = Fail(
    "possibly delisted; no timezone found",
    logged=(
        "Failed to get ticker '{symbol}' reason: " + DNS_ERROR,
        "${symbol}: possibly delisted; no timezone found",
    ),
)
# An exception escaping `Ticker.history` (as with yf.config.debug.hide_exceptions = False):
# yfinance keeps only its repr, reported at the end of the download.
DNS_RAISED = Fail(f"DNSError('{DNS_ERROR}')")
# Yahoo refuses: YFRateLimitError always propagates out of `Ticker.history`.
RATE_LIMITED = Fail(f"YFRateLimitError('{RATE_LIMIT_ERROR}')")


def history(days: Sequence[str], closes: Sequence[float], tz: str | None = None) -> pd.DataFrame:
    """What `Ticker.history(interval="1d", auto_adjust=True, actions=False)` returns.

    One row is one daily bar stamped at midnight in the exchange's time zone (UTC for crypto).
    """
    index = pd.DatetimeIndex(pd.to_datetime(list(days)), name="Date")
    if tz is not None:
        index = index.tz_localize(tz)
    close = np.asarray(closes, dtype="float64")
    return pd.DataFrame(
        {
            "Open": close * 0.99,
            "High": close * 1.02,
            "Low": close * 0.98,
            "Close": close,
            "Volume": np.arange(1000, 1000 + len(close), dtype=np.int64),
        },
        index=index,
    )


def yf_download_result(
    histories: dict[str, pd.DataFrame | None], ignore_tz: bool = True
) -> pd.DataFrame:
    """The frame `yfinance.download` returns for these per-ticker results (None = failed).

    Mirrors yfinance 1.7 `multi._download_impl` and `multi.reindex_dfs` step by step.
    """
    dfs = {t: (yf_utils.empty_df() if h is None else h.copy()) for t, h in histories.items()}
    if ignore_tz:
        for df in dfs.values():
            if df.shape[0] > 0:
                df.index = df.index.tz_localize(None)
    else:
        zones = [str(df.index.tz) for df in dfs.values() if not df.empty]
        if zones:
            names, counts = np.unique(zones, return_counts=True)
            for df in dfs.values():
                if not df.empty:
                    df.index = df.index.tz_convert(names[counts.argmax()])
    index = None
    for df in dfs.values():
        if not df.empty:
            index = df.index if index is None else index.union(df.index)
    if index is None:
        index = pd.DatetimeIndex([])
    dfs = {t: df.reindex(index) for t, df in dfs.items()}
    data = pd.concat(dfs.values(), axis=1, sort=True, keys=dfs.keys(), names=["Ticker", "Price"])
    data.columns = data.columns.swaplevel(0, 1)
    return data.sort_index(level=0, axis=1)


def log_failures(failed: dict[str, Fail]) -> None:
    """The summary yfinance 1.7 logs at the end of a download with failed tickers."""
    if not failed:
        return
    # yfinance 1.7 words it exactly so: multi.py, `logger.error('\n%.f Failed download%s:' % ...)`.
    plural = "s" if len(failed) > 1 else ""
    YF_LOG.error(f"\n{len(failed)} Failed download{plural}:")
    by_reason: dict[str, list[str]] = {}
    for symbol, fail in failed.items():
        by_reason.setdefault(fail.reason, []).append(symbol)
    for reason, symbols in by_reason.items():
        YF_LOG.error(f"{symbols}: " + reason)


@dataclass
class FakeDownload:
    """A scripted `yf.download`: each symbol's outcome per call it appears in (the last repeats).

    An outcome is a `history(...)` frame or a `Fail`. Every call is recorded with its keyword
    arguments, which must bind to the real `yfinance.download` signature.
    """

    outcomes: dict[str, list[pd.DataFrame | Fail]]
    calls: list[tuple[list[str], dict]] = field(default_factory=list)
    raises: list[Exception | None] = field(default_factory=list)  # per call; None = no raise

    def __call__(self, tickers, **kwargs) -> pd.DataFrame:
        DOWNLOAD_SIGNATURE.bind(tickers, **kwargs)
        tickers = list(tickers)
        self.calls.append((tickers, kwargs))
        warnings.warn(PANDAS_WARNING, Pandas4Warning, stacklevel=2)
        if len(self.calls) <= len(self.raises) and self.raises[len(self.calls) - 1]:
            raise self.raises[len(self.calls) - 1]
        histories: dict[str, pd.DataFrame | None] = {}
        failed: dict[str, Fail] = {}
        for symbol in tickers:
            seen = sum(symbol in called for called, _ in self.calls) - 1
            script = self.outcomes[symbol]
            outcome = script[min(seen, len(script) - 1)]
            if isinstance(outcome, Fail):
                for line in outcome.logged:
                    YF_LOG.error(line.format(symbol=symbol))
                histories[symbol] = None
                failed[symbol] = outcome
            else:
                histories[symbol] = outcome
        log_failures(failed)
        return yf_download_result(histories, ignore_tz=kwargs.get("ignore_tz", True))

    def symbols_called(self) -> list[list[str]]:
        return [symbols for symbols, _ in self.calls]


class SleepRecorder:
    """A `sleep` that only writes down how long it was asked to wait."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


class NetworkUsed(BaseException):
    """Raised when a test reaches for the network; a BaseException so no `except Exception` in
    the code under test can swallow it."""


def forbid_network(monkeypatch) -> None:
    """Make any attempt to open a connection, or to call the real yfinance.download, fail loudly."""

    def refuse(*args, **kwargs):
        raise NetworkUsed("a test tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(yfinance, "download", refuse)
