"""The price cache: refresh from a replay folder or a fake Yahoo; validated, merged, atomic."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pytest
from conftest import tree_bytes
from fake_yfinance import (
    DNS,
    NO_DATA,
    RATE_LIMITED,
    FakeDownload,
    SleepRecorder,
    forbid_network,
    history,
)
from price_tables import AS_OF, HEADER, START, bar_days, closes, price_text, write_replay

from generator import cache
from generator.config import Config, Symbol, load_config
from generator.errors import NetworkUnreachable, PriceDataError, RateLimited, SymbolNotFound
from generator.sources import YahooSource, read_price_csv

TODAY = dt.date(2024, 4, 2)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    forbid_network(monkeypatch)


@pytest.fixture
def fear_greed_calls(monkeypatch) -> list[float]:
    """The live Fear & Greed fetch, replaced by one that finds the network down."""
    calls = []

    def unreachable(timeout: float = 20.0):
        calls.append(timeout)
        raise NetworkUnreachable("alternative.me Fear & Greed API unreachable (test)")

    monkeypatch.setattr(cache, "fetch_fear_greed_live", unreachable)
    return calls


@pytest.fixture(scope="module")
def config() -> Config:
    """The real configuration with a two-coin basket: 7 symbols."""
    real = load_config()
    return dataclasses.replace(real, basket=real.basket[:2])


def refresh(config, data_dir, prices_from=None, as_of=AS_OF, **kwargs) -> cache.FetchSummary:
    options = {"offline": prices_from is not None, "require_live": False, **kwargs}
    return cache.refresh(
        config, data_dir, as_of=as_of, today=TODAY, prices_from=prices_from, **options
    )


def cached_file(data_dir, symbol: str):
    return data_dir / "prices" / f"{symbol}.csv"


# --- Replay ---------------------------------------------------------------------------------------


def test__refresh__replay_caches_every_symbol_byte_for_byte(tmp_path, config):
    replay = write_replay(tmp_path / "replay", config)
    summary = refresh(config, tmp_path / "data", replay)
    for s in config.symbols:
        assert cached_file(tmp_path / "data", s.symbol).read_text() == price_text(config, s)
    assert summary.source == "replay"
    assert summary.updated == [s.symbol for s in config.symbols]
    assert summary.rows_added == 2 * 16 + 4 * 22  # 16 sessions, 22 days through 03-22
    assert summary.newest == {
        "^RUT": AS_OF,
        "^VIX": AS_OF,
        "BTC-USD": AS_OF,
        "ETH-USD": AS_OF,
        "basket": AS_OF,
    }
    assert summary.missing == {} and summary.warnings == []


def test__refresh__rows_after_as_of_are_not_cached(tmp_path, config):
    replay = write_replay(tmp_path / "replay", config, end=dt.date(2024, 3, 28))
    refresh(config, tmp_path / "data", replay, as_of=dt.date(2024, 3, 20))
    frame = read_price_csv(cached_file(tmp_path / "data", "BTC-USD"), "BTC-USD", TODAY, 5.0)
    assert frame.index[-1] == pd.Timestamp("2024-03-20")
    assert len(frame) == 20


def test__refresh__fetched_rows_override_overlapping_cached_rows(tmp_path, config):
    data = tmp_path / "data"
    old = write_replay(tmp_path / "old", config, end=dt.date(2024, 3, 15))
    refresh(config, data, old)
    # The new snapshot starts later (03-11), revises every close by +1, and runs to 03-22.
    new = tmp_path / "new"
    new.mkdir()
    for s in config.symbols:
        (new / f"{s.symbol}.csv").write_text(
            price_text(config, s, start=dt.date(2024, 3, 11), bump=1.0)
        )
    summary = refresh(config, data, new)
    btc = config.btc
    frame = read_price_csv(cached_file(data, "BTC-USD"), "BTC-USD", TODAY, 5.0)
    days = pd.date_range(START, AS_OF, freq="D")
    expected = closes(config, btc, days[:10]) + closes(config, btc, days[10:], bump=1.0)
    assert frame.index.equals(days.rename("date"))
    assert frame["close"].tolist() == expected
    assert summary.rows_added == 2 * 5 + 4 * 7  # only the week after 03-15 is new


def test__refresh__merged_series_is_validated_before_writing(tmp_path, config):
    data = tmp_path / "data"
    refresh(config, data, write_replay(tmp_path / "old", config, end=dt.date(2024, 3, 15)))
    before = tree_bytes(data)
    # On its own the new ETH file is fine; after the cache's 03-15 its first close is a spike.
    new = write_replay(tmp_path / "new", config)
    eth = "date,open,high,low,close,volume\n2024-03-16,,,,500,\n2024-03-17,,,,60,\n"
    (new / "ETH-USD.csv").write_text(eth)
    with pytest.raises(PriceDataError) as caught:
        refresh(config, data, new)
    message = str(caught.value)
    assert message.startswith(f"ETH-USD: {new / 'ETH-USD.csv'} merged with the cache: ")
    assert "close on 2024-03-16 (500) is an isolated spike" in message
    assert tree_bytes(data) == before


def corrupted(text: str, kind: str) -> bytes:
    """A price file's text broken in one way."""
    lines = text.splitlines(keepends=True)
    if kind == "binary":
        return b"\x00\x01binary\xff"
    if kind == "duplicate":
        lines.insert(3, lines[2])  # line 4 repeats line 3
    elif kind == "garbage-row":
        lines.append("not,a,price,row,at,all\n")
    elif kind == "negative":
        day, open_, high, low, close, volume = lines[-2].rstrip("\n").split(",")
        lines[-2] = f"{day},{open_},{high},{low},-{close},{volume}\n"
    return "".join(lines).encode()


@pytest.mark.parametrize(
    ("symbol", "kind", "expected"),
    [
        # ^RUT is read first, XRP-USD last: by then every other symbol is merged in memory.
        ("^RUT", "duplicate", "line 4: duplicate date 2024-03-04"),
        ("XRP-USD", "garbage-row", "line 24: date 'not' is not YYYY-MM-DD"),
        ("XRP-USD", "negative", "line 22: close on 2024-03-21 is -65, not a positive number"),
        ("BTC-USD", "binary", ": not a UTF-8 text CSV"),
    ],
)
def test__refresh__failing_symbol_leaves_every_cache_file_byte_identical(
    tmp_path, config, symbol, kind, expected
):
    data = tmp_path / "data"
    refresh(config, data, write_replay(tmp_path / "old", config, end=dt.date(2024, 3, 15)))
    before = tree_bytes(data)
    new = write_replay(tmp_path / "new", config)  # a week newer: every file would change
    path = new / f"{symbol}.csv"
    path.write_bytes(corrupted(path.read_text(), kind))
    with pytest.raises(PriceDataError) as caught:
        refresh(config, data, new)
    assert str(caught.value) == f"{symbol}: {path}{'' if expected[0] == ':' else ' '}{expected}"
    assert tree_bytes(data) == before


def test__refresh__second_identical_refresh_writes_nothing(tmp_path, config):
    data = tmp_path / "data"
    replay = write_replay(tmp_path / "replay", config)
    refresh(config, data, replay)
    before = tree_bytes(data)
    mtimes = {p: p.stat().st_mtime_ns for p in data.rglob("*")}
    summary = refresh(config, data, replay)
    assert summary.updated == [] and summary.rows_added == 0
    assert tree_bytes(data) == before
    assert {p: p.stat().st_mtime_ns for p in data.rglob("*")} == mtimes


def test__refresh__required_symbol_missing_is_symbol_not_found(tmp_path, config):
    replay = write_replay(tmp_path / "replay", config, skip=("^RUT",))
    with pytest.raises(SymbolNotFound) as caught:
        refresh(config, tmp_path / "data", replay)
    assert str(caught.value) == (
        f"^RUT: no prices (no ^RUT.csv in {replay}); a verdict needs Russell 2000"
    )
    assert tree_bytes(tmp_path / "data") == {}


def test__refresh__optional_symbol_missing_is_a_warning(tmp_path, config):
    replay = write_replay(tmp_path / "replay", config, skip=("XRP-USD", "^VIX"))
    summary = refresh(config, tmp_path / "data", replay)
    assert summary.warnings == [
        f"^VIX: no prices (no ^VIX.csv in {replay}); left out as unknown",
        f"XRP-USD: no prices (no XRP-USD.csv in {replay}); left out as unknown",
    ]
    assert not cached_file(tmp_path / "data", "XRP-USD").exists()
    assert cached_file(tmp_path / "data", "BNB-USD").is_file()
    assert summary.newest["^VIX"] is None


def test__refresh__symbol_with_no_rows_by_as_of_is_missing(tmp_path, config):
    replay = write_replay(tmp_path / "replay", config)
    late = config.basket[0]
    (replay / f"{late.symbol}.csv").write_text(price_text(config, late, start=dt.date(2024, 3, 21)))
    summary = refresh(config, tmp_path / "data", replay, as_of=dt.date(2024, 3, 20))
    assert summary.warnings == [
        f"{late.symbol}: no prices ({replay / (late.symbol + '.csv')} has no rows on or before "
        "2024-03-20); left out as unknown"
    ]


def test__refresh__corrupt_cache_file_stops_the_run_and_is_not_rewritten(tmp_path, config):
    data = tmp_path / "data"
    replay = write_replay(tmp_path / "replay", config)
    refresh(config, data, replay)
    cached_file(data, "ETH-USD").write_text(HEADER)
    before = tree_bytes(data)
    with pytest.raises(PriceDataError) as caught:
        refresh(config, data, replay)
    assert (
        str(caught.value)
        == f"ETH-USD: {cached_file(data, 'ETH-USD')}: has a header but no price rows"
    )
    assert tree_bytes(data) == before


@pytest.mark.parametrize("kind", ["missing", "empty"])
def test__refresh__unusable_prices_folder_names_it(tmp_path, config, kind):
    folder = tmp_path / "replay"
    if kind == "empty":
        folder.mkdir()
        (folder / "README.txt").write_text("no prices here\n")
    with pytest.raises(PriceDataError) as caught:
        refresh(config, tmp_path / "data", folder)
    expected = (
        "does not exist" if kind == "missing" else "holds none of the configured <SYMBOL>.csv files"
    )
    assert str(caught.value) == f"prices folder {folder} {expected}"
    assert tree_bytes(tmp_path / "data") == {}


def test__refresh__offline_without_prices_dir_reads_the_cache_only(tmp_path, config):
    data = tmp_path / "data"
    refresh(config, data, write_replay(tmp_path / "replay", config))
    before = tree_bytes(data)
    summary = refresh(config, data, None, offline=True)
    assert summary.source == "cache (offline)"
    assert summary.updated == [] and summary.newest["^RUT"] == AS_OF
    assert tree_bytes(data) == before


def test__refresh__offline_with_nothing_cached_is_symbol_not_found(tmp_path, config):
    with pytest.raises(SymbolNotFound) as caught:
        refresh(config, tmp_path / "data", None, offline=True)
    assert str(caught.value) == (
        "^RUT: no prices (not cached and not fetched); a verdict needs Russell 2000"
    )


def test__refresh__cached_symbol_the_source_no_longer_has_is_a_warning(tmp_path, config):
    data = tmp_path / "data"
    refresh(config, data, write_replay(tmp_path / "old", config, end=dt.date(2024, 3, 15)))
    before = cached_file(data, "XRP-USD").read_bytes()
    replay = write_replay(tmp_path / "new", config, skip=("XRP-USD",))
    summary = refresh(config, data, replay)
    assert summary.warnings == [
        f"XRP-USD: nothing new (no XRP-USD.csv in {replay}); "
        "keeping the cached prices through 2024-03-15"
    ]
    assert cached_file(data, "XRP-USD").read_bytes() == before


def test__refresh__replay_takes_fear_greed_from_the_folders_parent(tmp_path, config):
    replay = write_replay(tmp_path / "export" / "prices", config)
    (tmp_path / "export" / "fear_greed.csv").write_text(
        "date,value\n2024-03-21,70\n2024-03-22,72\n2024-03-23,75\n"
    )
    summary = refresh(config, tmp_path / "data", replay)
    written = (tmp_path / "data" / "extra" / "fear_greed.csv").read_text()
    assert written == "date,value\n2024-03-21,70\n2024-03-22,72\n"  # cut at as_of
    assert "fear&greed" in summary.updated


# --- Yahoo (a fake yfinance) ----------------------------------------------------------------------


def yahoo_history(config: Config, symbol: Symbol, start=START, end=AS_OF, bump=0.0):
    days = bar_days(symbol, start, end)
    tz = "UTC" if symbol.market == "crypto" else "America/New_York"
    return history([d.date().isoformat() for d in days], closes(config, symbol, days, bump), tz)


def yahoo(
    config: Config, outcomes=None, **by_symbol
) -> tuple[YahooSource, FakeDownload, SleepRecorder]:
    """A YahooSource whose yfinance is scripted: every symbol answers `outcomes` (or history)."""
    script = {
        s.symbol: by_symbol.get(s.symbol, outcomes or [yahoo_history(config, s)])
        for s in config.symbols
    }
    fake, sleep = FakeDownload(script), SleepRecorder()
    return YahooSource(download=fake, sleep=sleep), fake, sleep


def test__refresh__yahoo_first_fetch_caches_full_history(tmp_path, config, fear_greed_calls):
    source, fake, _ = yahoo(config)
    summary = refresh(config, tmp_path / "data", yahoo=source)
    assert fake.symbols_called() == [
        ["^RUT", "^VIX"],
        ["BTC-USD", "ETH-USD", "BNB-USD", "XRP-USD"],
    ]
    assert all(kwargs["period"] == "max" for _, kwargs in fake.calls)
    frame = read_price_csv(cached_file(tmp_path / "data", "^RUT"), "^RUT", TODAY, 5.0)
    assert frame["close"].tolist() == closes(
        config, config.russell, bar_days(config.russell, START, AS_OF)
    )
    assert summary.source == "yahoo" and len(summary.updated) == 6
    assert fear_greed_calls == [20.0]
    assert summary.warnings == [
        "alternative.me Fear & Greed API unreachable (test); "
        "keeping the cached Fear & Greed history"
    ]


def test__refresh__yahoo_is_incremental_from_the_newest_cached_day_minus_the_overlap(
    tmp_path, config, fear_greed_calls
):
    data = tmp_path / "data"
    refresh(config, data, write_replay(tmp_path / "old", config, end=dt.date(2024, 3, 15)))
    # Yahoo revised every close since 03-05 by +1 and has a week more.
    revised = {
        s.symbol: [yahoo_history(config, s, start=dt.date(2024, 3, 5), bump=1.0)]
        for s in config.symbols
    }
    source, fake, _ = yahoo(config, **revised)
    summary = refresh(config, data, yahoo=source)
    assert [kwargs["start"] for _, kwargs in fake.calls] == ["2024-03-05", "2024-03-05"]
    assert [kwargs["end"] for _, kwargs in fake.calls] == ["2024-03-23", "2024-03-23"]
    frame = read_price_csv(cached_file(data, "BTC-USD"), "BTC-USD", TODAY, 5.0)
    days = pd.date_range(START, AS_OF, freq="D")
    btc = config.btc
    assert frame["close"].tolist() == closes(config, btc, days[:4]) + closes(
        config, btc, days[4:], bump=1.0
    )
    assert summary.rows_added == 2 * 5 + 4 * 7


def test__refresh__yahoo_unreachable_with_nothing_cached_says_how_to_run_offline(
    tmp_path, config, fear_greed_calls
):
    source, fake, sleep = yahoo(config, outcomes=[DNS])
    with pytest.raises(NetworkUnreachable) as caught:
        refresh(config, tmp_path / "data", yahoo=source)
    message = str(caught.value)
    assert message.startswith(
        "Yahoo Finance is unreachable (Could not resolve host: query2.finance.yahoo.com)"
    )
    assert "Could not resolve host" in message
    assert "nothing is cached" in message
    assert "--prices-dir DIR --offline" in message
    assert "\n" not in message
    assert fake.symbols_called() == [["^RUT", "^VIX"]] * 3  # crypto never asked
    assert sleep.waits == [2.0, 4.0]
    assert tree_bytes(tmp_path / "data") == {}
    assert fear_greed_calls == []


def test__refresh__yahoo_unreachable_with_a_cache_falls_back_and_touches_nothing(
    tmp_path, config, fear_greed_calls
):
    data = tmp_path / "data"
    refresh(config, data, write_replay(tmp_path / "old", config, end=dt.date(2024, 3, 15)))
    before = tree_bytes(data)
    source, fake, _ = yahoo(config, outcomes=[DNS])
    summary = refresh(config, data, yahoo=source)
    assert summary.live_failed is not None
    assert summary.live_failed == (
        "Yahoo Finance is unreachable (Could not resolve host: query2.finance.yahoo.com)"
    )
    assert summary.updated == [] and summary.missing == {}
    assert summary.newest["^RUT"] == dt.date(2024, 3, 15)
    assert fake.symbols_called() == [["^RUT", "^VIX"]] * 3
    assert tree_bytes(data) == before


def test__refresh__require_live_turns_unreachable_into_an_error(tmp_path, config, fear_greed_calls):
    data = tmp_path / "data"
    refresh(config, data, write_replay(tmp_path / "old", config, end=dt.date(2024, 3, 15)))
    before = tree_bytes(data)
    source, _, _ = yahoo(config, outcomes=[DNS])
    with pytest.raises(NetworkUnreachable) as caught:
        refresh(config, data, yahoo=source, require_live=True)
    assert str(caught.value).endswith("; --require-live forbids building from the cache")
    assert tree_bytes(data) == before


def test__refresh__rate_limited_falls_back_to_the_cache_unless_live_is_required(
    tmp_path, config, fear_greed_calls
):
    data = tmp_path / "data"
    refresh(config, data, write_replay(tmp_path / "old", config, end=dt.date(2024, 3, 15)))
    before = tree_bytes(data)
    source, _, sleep = yahoo(config, outcomes=[RATE_LIMITED])
    summary = refresh(config, data, yahoo=source)
    assert summary.live_failed == "Yahoo Finance is rate-limiting requests"
    assert sleep.waits == [30.0, 60.0]
    source, _, _ = yahoo(config, outcomes=[RATE_LIMITED])
    with pytest.raises(RateLimited, match="--require-live forbids building from the cache"):
        refresh(config, data, yahoo=source, require_live=True)
    assert tree_bytes(data) == before


def test__refresh__yahoo_symbol_without_data_is_reported_and_left_out(
    tmp_path, config, fear_greed_calls
):
    source, fake, _ = yahoo(config, **{"XRP-USD": [NO_DATA]})
    summary = refresh(config, tmp_path / "data", yahoo=source)
    assert fake.symbols_called()[1:] == [
        ["BTC-USD", "ETH-USD", "BNB-USD", "XRP-USD"],
        ["XRP-USD"],
        ["XRP-USD"],
    ]
    assert list(summary.missing) == ["XRP-USD"]
    assert "possibly delisted; no price data found" in summary.missing["XRP-USD"]
    assert summary.warnings[0] == (
        "XRP-USD: no prices ($XRP-USD: possibly delisted; no price data found "
        "(1d 2024-03-04 -> 2024-03-29)); left out as unknown"
    )
    assert not cached_file(tmp_path / "data", "XRP-USD").exists()
    assert cached_file(tmp_path / "data", "BNB-USD").is_file()


def test__refresh__cached_symbol_yahoo_stops_returning_is_a_warning(
    tmp_path, config, fear_greed_calls
):
    data = tmp_path / "data"
    refresh(config, data, write_replay(tmp_path / "old", config, end=dt.date(2024, 3, 15)))
    source, _, _ = yahoo(config, **{"XRP-USD": [NO_DATA]})
    summary = refresh(config, data, yahoo=source)
    assert summary.missing["XRP-USD"].startswith("$XRP-USD: possibly delisted")
    assert summary.warnings[0] == (
        "XRP-USD: nothing new ($XRP-USD: possibly delisted; no price data found "
        "(1d 2024-03-04 -> 2024-03-29)); keeping the cached prices through 2024-03-15"
    )
    assert "XRP-USD" not in summary.updated and "BNB-USD" in summary.updated


def test__refresh__yahoo_bad_bar_fails_before_anything_is_written(
    tmp_path, config, fear_greed_calls
):
    bad = yahoo_history(config, config.eth)
    bad.loc[bad.index[5], "Close"] = -1.0
    source, _, _ = yahoo(config, **{"ETH-USD": [bad]})
    with pytest.raises(PriceDataError) as caught:
        refresh(config, tmp_path / "data", yahoo=source)
    assert str(caught.value) == (
        "ETH-USD: Yahoo Finance download: close on 2024-03-06 is -1, not a positive number"
    )
    assert tree_bytes(tmp_path / "data") == {}
