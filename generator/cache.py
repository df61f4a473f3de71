"""The price cache: `<data-dir>/prices/<SYMBOL>.csv`, the snapshot every verdict is computed from.

`refresh` loads what is cached, asks a source for what is new, validates everything, and only
then writes, one atomic file per changed symbol. A failed run leaves the cache as it was; a run
that brings nothing new writes nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd

from generator import fsio
from generator.config import Config, Symbol
from generator.errors import NetworkUnreachable, PriceDataError, RateLimited, SymbolNotFound
from generator.sources import (
    FetchResult,
    ReplaySource,
    YahooSource,
    fear_greed_csv_bytes,
    fetch_fear_greed_live,
    network_unreachable_error,
    price_csv_bytes,
    price_file,
    read_fear_greed_csv,
    read_price_csv,
    validate_prices,
)

log = logging.getLogger(__name__)

FEAR_GREED_FILE = "fear_greed.csv"
TOTAL_MCAP_FILE = "total_mcap_daily.csv"
TOTAL_MCAP_COLUMNS = ("total_mcap_usd", "btc_dominance_pct", "total3_usd")


def prices_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "prices"


def extra_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "extra"


@dataclass(frozen=True)
class MarketData:
    """Everything cached: daily bars per symbol and the context series (may be empty)."""

    prices: dict[str, pd.DataFrame]
    fear_greed: pd.Series
    total_mcap: pd.DataFrame

    def close(self, symbol: str) -> pd.Series:
        frame = self.prices.get(symbol)
        if frame is None:
            return pd.Series(dtype="float64", index=pd.DatetimeIndex([], name="date"))
        return frame["close"]

    def newest(self, symbol: str) -> dt.date | None:
        frame = self.prices.get(symbol)
        return None if frame is None or frame.empty else frame.index[-1].date()


@dataclass
class FetchSummary:
    """What one `fetch` did, for the closing summary line."""

    source: str
    updated: list[str] = field(default_factory=list)
    rows_added: int = 0
    missing: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    live_failed: str | None = None
    newest: dict[str, dt.date | None] = field(default_factory=dict)
    seconds: float = 0.0
    # The validated price frames now in the cache, for the pages stage of the same run.
    prices: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)


# --- Load ---------------------------------------------------------------------------------------


def load_market_data(
    config: Config,
    data_dir: Path,
    today: dt.date,
    as_of: dt.date | None = None,
    cached: dict[str, pd.DataFrame] | None = None,
) -> MarketData:
    """Read every cached series (validated), cut at `as_of` when given.

    `cached` hands over the price frames a `refresh` of this run just validated and wrote
    (FetchSummary.prices), so they are not read and checked a second time.
    """
    spike = float(config.fetch.spike_factor)
    prices = {}
    for s in config.symbols:
        if cached is not None:
            if s.symbol not in cached:
                continue
            frame = _since(cached[s.symbol], s)
        else:
            path = price_file(prices_dir(data_dir), s.symbol)
            if not path.is_file():
                continue
            frame = _since(read_price_csv(path, s.symbol, today, spike), s)
        if as_of is not None:
            frame = frame.loc[: pd.Timestamp(as_of)]
        if not frame.empty:
            prices[s.symbol] = frame
    fear_greed = cast(
        pd.Series, _load_optional(extra_dir(data_dir) / FEAR_GREED_FILE, read_fear_greed_csv)
    )
    total_mcap = cast(
        pd.DataFrame, _load_optional(extra_dir(data_dir) / TOTAL_MCAP_FILE, read_total_mcap_csv)
    )
    if as_of is not None:
        fear_greed = fear_greed.loc[: pd.Timestamp(as_of)]
        total_mcap = total_mcap.loc[: pd.Timestamp(as_of)]
    return MarketData(prices=prices, fear_greed=fear_greed, total_mcap=total_mcap)


def _since(frame: pd.DataFrame, symbol: Symbol) -> pd.DataFrame:
    return frame.loc[pd.Timestamp(symbol.since) :] if symbol.since else frame


def _load_optional(
    path: Path, reader: Callable[[Path], pd.Series | pd.DataFrame]
) -> pd.Series | pd.DataFrame:
    if path.is_file():
        return reader(path)
    if reader is read_fear_greed_csv:
        return pd.Series(dtype="float64", index=pd.DatetimeIndex([], name="date"))
    return pd.DataFrame(
        {c: pd.Series(dtype="float64") for c in TOTAL_MCAP_COLUMNS},
        index=pd.DatetimeIndex([], name="date"),
    )


# --- CoinGecko total market cap (TOTAL3 stand-in; replay only) ---------------------------------


def read_total_mcap_csv(path: Path) -> pd.DataFrame:
    """CoinGecko total crypto market cap, either CoinGecko's export or our cached subset.

    One row is one 00:00 UTC snapshot: total market cap, BTC dominance (%) and the market cap
    without BTC and ETH (a TOTAL3 stand-in), NaN where CoinGecko had no value.
    """
    try:
        table = pd.read_csv(path, encoding="utf-8-sig")
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise PriceDataError(f"total market cap: {path}: not a readable CSV") from exc
    renames = {
        "btc_dominance_pct_derived": "btc_dominance_pct",
        "total_ex_btc_eth_usd_derived": "total3_usd",
    }
    table = table.rename(columns=renames)
    needed = ("date", *TOTAL_MCAP_COLUMNS)
    if any(c not in table.columns for c in needed):
        raise PriceDataError(f"total market cap: {path}: needs columns {','.join(needed)}")
    dates = pd.to_datetime(table["date"], format="%Y-%m-%d", errors="coerce")
    if dates.isna().any():
        i = int(np.argmax(dates.isna().to_numpy()))
        raise PriceDataError(f"total market cap: {path} line {i + 2}: bad date")
    frame = table[list(TOTAL_MCAP_COLUMNS)].apply(pd.to_numeric, errors="coerce")
    frame.index = pd.DatetimeIndex(dates, name="date")
    if not frame.index.is_monotonic_increasing or frame.index.has_duplicates:
        raise PriceDataError(f"total market cap: {path}: dates must be ascending and unique")
    return cast(pd.DataFrame, frame.astype("float64"))


def total_mcap_csv_bytes(frame: pd.DataFrame) -> bytes:
    text = frame.to_csv(lineterminator="\n", float_format="%.10g", date_format="%Y-%m-%d")
    return text.encode("utf-8")


# --- Refresh ------------------------------------------------------------------------------------


def merge_prices(cached: pd.DataFrame | None, new: pd.DataFrame) -> pd.DataFrame:
    """Cached bars overlaid with newly fetched ones (a fetched bar wins: it may be a revision)."""
    if cached is None or cached.empty:
        return new
    merged = pd.concat([cached[~cached.index.isin(new.index)], new]).sort_index()
    return merged


def refresh(
    config: Config,
    data_dir: Path,
    as_of: dt.date,
    today: dt.date,
    prices_from: Path | None,
    offline: bool,
    require_live: bool,
    progress: Callable[[str], None] | None = None,
    yahoo: YahooSource | None = None,
) -> FetchSummary:
    """Bring the cache up to `as_of` from the replay folder, from Yahoo, or (offline) not at all."""
    started = time.monotonic()
    spike = float(config.fetch.spike_factor)
    cache_dir = prices_dir(data_dir)
    # Load: what the cache holds now (a corrupt cache file stops the run, naming the file).
    cached: dict[str, pd.DataFrame] = {}
    for s in config.symbols:
        path = price_file(cache_dir, s.symbol)
        if path.is_file():
            cached[s.symbol] = read_price_csv(path, s.symbol, today, spike)
    source = _source(config, prices_from, offline, today, yahoo)
    summary = FetchSummary(source=source.name if source else "cache (offline)")

    # Process: fetch per market (one batch each), validate, merge.
    merged: dict[str, pd.DataFrame] = {}
    if source is not None:
        fetch = _Fetch(config, source, cached, summary, as_of, today, require_live, prices_from)
        for market in ("equity", "crypto"):
            if summary.live_failed:
                break  # the network is down: asking again for the next group only wastes time
            merged |= fetch.group([s for s in config.symbols if s.market == market], progress)
    _check_required(config, cached, merged, summary)
    # When Yahoo was unreachable the network is down: do not wait on alternative.me too.
    no_network = offline or prices_from is not None or summary.live_failed is not None
    fear_greed, total_mcap = _refresh_extras(data_dir, prices_from, no_network, as_of, summary)

    # Save: only what changed, each file atomically.
    final = _save_prices(cache_dir, cached, merged, summary, today, spike)
    if fear_greed is not None and fsio.write_bytes(
        extra_dir(data_dir) / FEAR_GREED_FILE, fear_greed_csv_bytes(fear_greed)
    ):
        summary.updated.append("fear&greed")
    if total_mcap is not None and fsio.write_bytes(
        extra_dir(data_dir) / TOTAL_MCAP_FILE, total_mcap_csv_bytes(total_mcap)
    ):
        summary.updated.append("total-mcap")
    summary.prices = final
    summary.newest = newest_by_group(config, final)
    summary.seconds = time.monotonic() - started
    return summary


def _source(
    config: Config,
    prices_from: Path | None,
    offline: bool,
    today: dt.date,
    yahoo: YahooSource | None,
) -> ReplaySource | YahooSource | None:
    """Where this run's prices come from: the replay folder, Yahoo, or nowhere (offline)."""
    fetch_cfg = config.fetch
    if prices_from is not None:
        return ReplaySource(prices_from, today=today, spike_factor=float(fetch_cfg.spike_factor))
    if offline:
        return None
    return yahoo or YahooSource(
        attempts=fetch_cfg.attempts,
        backoff_seconds=float(fetch_cfg.backoff_seconds),
        rate_limit_backoff_seconds=float(fetch_cfg.rate_limit_backoff_seconds),
        timeout_seconds=float(fetch_cfg.timeout_seconds),
    )


@dataclass
class _Fetch:
    """One run's fetch, one market group (one batch) at a time."""

    config: Config
    source: ReplaySource | YahooSource
    cached: dict[str, pd.DataFrame]
    summary: FetchSummary
    as_of: dt.date
    today: dt.date
    require_live: bool
    prices_from: Path | None

    def group(
        self, group: list[Symbol], progress: Callable[[str], None] | None
    ) -> dict[str, pd.DataFrame]:
        """Fetch, validate and merge with the cache one group of symbols."""
        source, cached = self.source, self.cached
        overlap = dt.timedelta(days=self.config.fetch.overlap_days)
        starts = {
            s.symbol: (
                cached[s.symbol].index[-1].date() - overlap
                if s.symbol in cached and source.name == "yahoo"
                else None
            )
            for s in group
        }
        result = source.fetch(starts, self.as_of)
        _check_live_failure(result, self.config, cached, self.summary, self.require_live)
        if self.require_live and source.name == "yahoo":
            _check_required_live(result, group, self.config)
        merged = {}
        for s in group:
            frame = result.frames.get(s.symbol)
            if frame is None:
                if s.symbol in result.missing and not result.unreachable:
                    self.summary.missing[s.symbol] = result.missing[s.symbol]
            elif not frame.empty:
                merged[s.symbol] = self._merge(s.symbol, frame.loc[: pd.Timestamp(self.as_of)])
            if progress:
                progress(s.symbol)
        return merged

    def _merge(self, symbol: str, frame: pd.DataFrame) -> pd.DataFrame:
        spike = float(self.config.fetch.spike_factor)
        if self.source.name == "yahoo" or self.prices_from is None:
            where = "Yahoo Finance download"
        else:
            where = str(price_file(self.prices_from, symbol))
        validate_prices(frame, symbol, where, self.today, spike)
        combined = merge_prices(self.cached.get(symbol), frame)
        validate_prices(combined, symbol, f"{where} merged with the cache", self.today, spike)
        return combined


def _save_prices(
    cache_dir: Path,
    cached: dict[str, pd.DataFrame],
    merged: dict[str, pd.DataFrame],
    summary: FetchSummary,
    today: dt.date,
    spike: float,
) -> dict[str, pd.DataFrame]:
    """Write the merged frames that changed; return every symbol's frame as its file says."""
    final = dict(cached)
    for symbol, frame in merged.items():
        before = cached.get(symbol)
        path = price_file(cache_dir, symbol)
        if before is not None and frame.equals(before) and _canonical(path):
            continue  # nothing new: skip serialising (the slowest part of a no-change run)
        added = len(frame) - (0 if before is None else len(before))
        if fsio.write_bytes(path, price_csv_bytes(frame)):
            summary.updated.append(symbol)
            summary.rows_added += max(added, 0)
        # What the pages stage gets is what the file says (10 significant digits), so this
        # run's verdicts equal those of any later run rebuilt from the cache.
        final[symbol] = read_price_csv(path, symbol, today, spike)
    return final


def _canonical(path: Path) -> bool:
    """Whether a cache file is already in the form this module writes (so equal values mean
    equal bytes); a hand-saved copy with a BOM or CRLF line ends is rewritten in normal form."""
    raw = path.read_bytes()
    return raw.startswith(b"date,open,high,low,close,volume\n") and b"\r" not in raw


def _check_live_failure(
    result: FetchResult,
    config: Config,
    cached: dict[str, pd.DataFrame],
    summary: FetchSummary,
    require_live: bool,
) -> None:
    if not (result.unreachable or result.rate_limited):
        return
    why = (
        f"Yahoo Finance is unreachable ({result.unreachable})"
        if result.unreachable
        else "Yahoo Finance is rate-limiting requests"
    )
    if require_live:
        raise (NetworkUnreachable if result.unreachable else RateLimited)(
            f"{why}; --require-live forbids building from the cache"
        )
    if not all(s.symbol in cached for s in config.required):
        if result.unreachable:
            raise network_unreachable_error(result.unreachable)
        raise RateLimited(f"{why} and nothing is cached; try again later")
    summary.live_failed = why


def _check_required_live(result: FetchResult, group: list[Symbol], config: Config) -> None:
    """With --require-live, Yahoo answering but with no rows for a benchmark is a failure too:
    the weekly job must not quietly publish last week's data again."""
    for s in group:
        if s in config.required and s.symbol not in result.frames:
            why = result.missing.get(s.symbol, "no rows")
            raise SymbolNotFound(
                f"{s.symbol}: Yahoo Finance returned no prices ({why}); "
                "--require-live forbids building from the cache"
            )


def _check_required(
    config: Config,
    cached: dict[str, pd.DataFrame],
    merged: dict[str, pd.DataFrame],
    summary: FetchSummary,
) -> None:
    for s in config.symbols:
        if s.symbol in merged:
            continue
        if s.symbol in cached:
            # A series the source stopped delivering goes stale quietly unless it is said here.
            if s.symbol in summary.missing:
                summary.warnings.append(
                    f"{s.symbol}: nothing new ({summary.missing[s.symbol]}); keeping the cached "
                    f"prices through {cached[s.symbol].index[-1].date()}"
                )
            continue
        why = summary.missing.get(s.symbol, "not cached and not fetched")
        if s in config.required:
            raise SymbolNotFound(f"{s.symbol}: no prices ({why}); a verdict needs {s.name}")
        summary.warnings.append(f"{s.symbol}: no prices ({why}); left out as unknown")


def _refresh_extras(
    data_dir: Path,
    prices_from: Path | None,
    no_network: bool,
    as_of: dt.date,
    summary: FetchSummary,
) -> tuple[pd.Series | None, pd.DataFrame | None]:
    """Fear & Greed (replay folder, or alternative.me live) and CoinGecko totals (replay only)."""
    fear_greed = total_mcap = None
    if prices_from is not None:
        # A replay folder's context series sit beside it or in its parent (an export's layout:
        # coingecko/), or in the parent's extra/ (a data folder's layout, so a copy of `data/`
        # replays as it was recorded). The first file found wins.
        for folder in (Path(prices_from), Path(prices_from).parent):
            for sub in (folder, folder / "extra"):
                if fear_greed is None and (sub / FEAR_GREED_FILE).is_file():
                    fear_greed = read_fear_greed_csv(sub / FEAR_GREED_FILE)
            for candidate in (
                folder / "coingecko" / TOTAL_MCAP_FILE,
                folder / "extra" / TOTAL_MCAP_FILE,
            ):
                if total_mcap is None and candidate.is_file():
                    total_mcap = read_total_mcap_csv(candidate)
    elif not no_network:
        try:
            fear_greed = fetch_fear_greed_live()
        except (NetworkUnreachable, PriceDataError) as exc:
            summary.warnings.append(f"{exc}; keeping the cached Fear & Greed history")
    cut = pd.Timestamp(as_of)
    fear_greed = None if fear_greed is None else _merge_series(data_dir, fear_greed.loc[:cut])
    total_mcap = None if total_mcap is None else total_mcap.loc[:cut]
    return fear_greed, total_mcap


def _merge_series(data_dir: Path, new: pd.Series) -> pd.Series:
    path = extra_dir(data_dir) / FEAR_GREED_FILE
    if not path.is_file():
        return new
    old = read_fear_greed_csv(path)
    return cast(pd.Series, pd.concat([old[~old.index.isin(new.index)], new]).sort_index())


def newest_by_group(config: Config, frames: dict[str, pd.DataFrame]) -> dict[str, dt.date | None]:
    """The newest daily bar per group of inputs (Russell 2000, BTC, ETH, alt basket)."""

    def newest(symbols: list[str]) -> dt.date | None:
        dates = [frames[s].index[-1].date() for s in symbols if s in frames and len(frames[s])]
        return max(dates) if dates else None

    return {
        config.russell.symbol: newest([config.russell.symbol]),
        config.vix.symbol: newest([config.vix.symbol]),
        config.btc.symbol: newest([config.btc.symbol]),
        config.eth.symbol: newest([config.eth.symbol]),
        "basket": newest([s.symbol for s in config.basket]),
    }
