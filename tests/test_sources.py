"""Sources: the yfinance adapter against fakes shaped like yfinance 1.7; the price CSV checks."""

from __future__ import annotations

import datetime as dt
import logging
import warnings
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
import yfinance
from curl_cffi.requests.exceptions import DNSError
from fake_yfinance import (
    DNS,
    DNS_ERROR,
    DNS_RAISED,
    NO_DATA,
    PANDAS_WARNING,
    RATE_LIMIT_ERROR,
    RATE_LIMITED,
    REAL_DOWNLOAD,
    Fail,
    FakeDownload,
    SleepRecorder,
    forbid_network,
    history,
    yf_download_result,
)
from yfinance import utils as yf_utils
from yfinance.exceptions import YFRateLimitError

from generator.errors import PriceDataError
from generator.sources import (
    PRICE_COLUMNS,
    YahooSource,
    read_price_csv,
    split_download,
    validate_prices,
)

AS_OF = dt.date(2024, 3, 28)
EQUITY_DAYS = ["2024-03-22", "2024-03-25", "2024-03-26", "2024-03-27", "2024-03-28"]
CRYPTO_DAYS = [d.date().isoformat() for d in pd.date_range("2024-03-22", "2024-03-28")]


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    forbid_network(monkeypatch)


def assert_canonical(frame: pd.DataFrame, days, closes) -> None:
    """`frame` is the canonical frame `history(days, closes)` should turn into.

    The index's `freq` is not compared: pandas infers one for a union of regular dates.
    """
    pd.testing.assert_frame_equal(frame, canonical_frame(days, closes), check_freq=False)


def canonical_frame(days, closes) -> pd.DataFrame:
    close = np.asarray(closes, dtype="float64")
    return pd.DataFrame(
        {
            "open": close * 0.99,
            "high": close * 1.02,
            "low": close * 0.98,
            "close": close,
            "volume": np.arange(1000, 1000 + len(close), dtype="float64"),
        },
        index=pd.DatetimeIndex(pd.to_datetime(days), name="date").as_unit("ns"),
    )


def source(download: FakeDownload, sleep: SleepRecorder, **kwargs) -> YahooSource:
    return YahooSource(download=download, sleep=sleep, **kwargs)


@pytest.fixture
def sources_log(caplog):
    """Records of the 'generator.sources' logger at DEBUG, however logging was set up before."""
    logger = logging.getLogger("generator.sources")
    saved = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(caplog.handler)
    caplog.handler.setLevel(logging.DEBUG)
    yield caplog
    logger.removeHandler(caplog.handler)
    logger.setLevel(saved)


# --- The fakes are what yfinance 1.7 really returns -----------------------------------------------


class _ScriptedTicker:
    """Replaces `yfinance.multi.Ticker`: `history` plays a script instead of asking Yahoo."""

    script: ClassVar[dict[str, pd.DataFrame | Fail | Exception]] = {}

    def __init__(self, ticker: str):
        self.ticker = ticker
        self._price_history = type("PriceHistory", (), {"_last_error": None})()

    def history(self, **kwargs) -> pd.DataFrame:
        outcome = self.script[self.ticker]
        if isinstance(outcome, Exception):
            raise outcome
        if isinstance(outcome, Fail):
            for line in outcome.logged:
                logging.getLogger("yfinance").error(line.format(symbol=self.ticker))
            self._price_history._last_error = outcome.reason
            return yf_utils.empty_df()
        return outcome.copy()


def our_download_kwargs(symbols: list[str]) -> dict:
    """The keyword arguments YahooSource passes to `yf.download`."""
    fake = FakeDownload({s: [NO_DATA] for s in symbols})
    YahooSource(download=fake, sleep=SleepRecorder(), attempts=1).fetch(
        dict.fromkeys(symbols, dt.date(2024, 3, 1)), AS_OF
    )
    return fake.calls[0][1]


@pytest.mark.parametrize(
    ("script", "ignore_tz"),
    [
        (
            {
                "^RUT": history(EQUITY_DAYS, [2000, 2010, 2020, 2030, 2040], "America/New_York"),
                "IWM": NO_DATA,
            },
            True,
        ),
        ({"^RUT": DNS, "IWM": DNS}, True),
        ({"BTC-USD": history(CRYPTO_DAYS, np.arange(7) + 60000.0, "UTC")}, False),
        ({"^RUT": history(EQUITY_DAYS, [1, 2, 3, 4, 5], "America/New_York")}, False),
        (
            {
                "BTC-USD": history(CRYPTO_DAYS, np.arange(7) + 60000.0, "UTC"),
                "NEAR-USD": history(CRYPTO_DAYS[3:], [7.0, 7.1, 7.2, 7.3], "UTC"),
            },
            True,
        ),
    ],
    ids=["one-missing", "all-failed", "utc-tz-aware", "new-york-tz-aware", "late-listing"],
)
def test__yf_download_result__matches_real_yfinance_download(monkeypatch, script, ignore_tz):
    monkeypatch.setattr(yfinance.multi, "Ticker", _ScriptedTicker)
    monkeypatch.setattr(_ScriptedTicker, "script", script)
    kwargs = {**our_download_kwargs(list(script)), "ignore_tz": ignore_tz, "threads": False}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        real = REAL_DOWNLOAD(list(script), **kwargs)
    expected = yf_download_result(
        {s: None if isinstance(o, Fail) else o for s, o in script.items()}, ignore_tz
    )
    pd.testing.assert_frame_equal(real, expected)
    assert list(real.columns.names) == ["Price", "Ticker"]


@pytest.mark.parametrize(
    ("raised", "fail"),
    [(DNSError(DNS_ERROR), DNS_RAISED), (YFRateLimitError(), RATE_LIMITED), (None, NO_DATA)],
    ids=["dns-raised", "rate-limited", "no-data"],
)
def test__fake_download__logs_failures_like_real_yfinance(monkeypatch, caplog, raised, fail):
    monkeypatch.setattr(yfinance.multi, "Ticker", _ScriptedTicker)
    monkeypatch.setattr(
        _ScriptedTicker,
        "script",
        {"^RUT": raised or fail, "IWM": history(EQUITY_DAYS, [1, 2, 3, 4, 5])},
    )
    kwargs = our_download_kwargs(["^RUT", "IWM"])

    def errors_logged(download) -> list[str]:
        caplog.clear()
        with caplog.at_level(logging.ERROR, logger="yfinance"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frame = download(["^RUT", "IWM"], **kwargs)
        return frame, [r.getMessage() for r in caplog.records if r.name == "yfinance"]

    real_frame, real_errors = errors_logged(REAL_DOWNLOAD)
    fake_frame, fake_errors = errors_logged(
        FakeDownload({"^RUT": [fail], "IWM": [history(EQUITY_DAYS, [1, 2, 3, 4, 5])]})
    )
    assert fake_errors == real_errors
    assert real_errors[-2:] == ["\n1 Failed download:", f"['^RUT']: {fail.reason}"]
    pd.testing.assert_frame_equal(fake_frame, real_frame)


# --- split_download: every shape yfinance returns -------------------------------------------------


def test__split_download__batch_gives_one_canonical_frame_per_ticker():
    data = yf_download_result(
        {
            "^RUT": history(EQUITY_DAYS, [2000, 2010, 2020, 2030, 2040], "America/New_York"),
            "IWM": history(EQUITY_DAYS, [200, 201, 202, 203, 204], "America/New_York"),
        }
    )
    frames = split_download(data, ["^RUT", "IWM"])
    assert sorted(frames) == ["IWM", "^RUT"]
    assert_canonical(frames["^RUT"], EQUITY_DAYS, [2000, 2010, 2020, 2030, 2040])
    assert_canonical(frames["IWM"], EQUITY_DAYS, [200, 201, 202, 203, 204])


def test__split_download__one_ticker_still_has_multiindex_columns():
    data = yf_download_result({"^VIX": history(EQUITY_DAYS, [13, 14, 15, 16, 17])})
    assert isinstance(data.columns, pd.MultiIndex)
    frames = split_download(data, ["^VIX"])
    assert_canonical(frames["^VIX"], EQUITY_DAYS, [13, 14, 15, 16, 17])


def test__split_download__flat_columns_for_one_ticker():
    data = yf_download_result({"^VIX": history(EQUITY_DAYS, [13, 14, 15, 16, 17])})
    flat = data.droplevel(1, axis=1).rename_axis(None, axis=1)  # multi_level_index=False
    frames = split_download(flat, ["^VIX"])
    assert_canonical(frames["^VIX"], EQUITY_DAYS, [13, 14, 15, 16, 17])


def test__split_download__flat_columns_for_many_tickers_is_an_error():
    flat = history(EQUITY_DAYS, [1, 2, 3, 4, 5])
    with pytest.raises(PriceDataError, match="flat columns for 2 symbols"):
        split_download(flat, ["^RUT", "IWM"])


@pytest.mark.parametrize(
    ("symbol", "tz", "days"),
    [("^RUT", "America/New_York", EQUITY_DAYS), ("BTC-USD", "UTC", CRYPTO_DAYS)],
)
def test__split_download__tz_aware_index_keeps_each_bars_own_day(symbol, tz, days):
    closes = np.arange(len(days)) + 100.0
    data = yf_download_result({symbol: history(days, closes, tz)}, ignore_tz=False)
    assert str(data.index.tz) == tz
    frames = split_download(data, [symbol])
    assert_canonical(frames[symbol], days, closes)


def test__split_download__empty_frame_when_everything_failed():
    data = yf_download_result({"^RUT": None, "IWM": None})
    assert data.shape == (0, 12)  # Adj Close, Close, High, Low, Open, Volume for each
    assert split_download(data, ["^RUT", "IWM"]) == {}
    assert split_download(None, ["^RUT"]) == {}


def test__split_download__ticker_missing_from_batch_has_nan_rows_and_is_left_out():
    data = yf_download_result(
        {"BTC-USD": history(CRYPTO_DAYS, np.arange(7) + 60000.0, "UTC"), "XMR-USD": None}
    )
    assert data[("Close", "XMR-USD")].isna().all() and len(data) == 7
    frames = split_download(data, ["BTC-USD", "XMR-USD"])
    assert list(frames) == ["BTC-USD"]
    assert_canonical(frames["BTC-USD"], CRYPTO_DAYS, np.arange(7) + 60000.0)


def test__split_download__late_listing_drops_the_nan_rows_before_its_first_bar():
    data = yf_download_result(
        {
            "BTC-USD": history(CRYPTO_DAYS, np.arange(7) + 60000.0, "UTC"),
            "NEAR-USD": history(CRYPTO_DAYS[4:], [7.0, 7.1, 7.2], "UTC"),
        }
    )
    frames = split_download(data, ["BTC-USD", "NEAR-USD"])
    assert frames["NEAR-USD"].index[0] == pd.Timestamp(CRYPTO_DAYS[4])
    assert frames["NEAR-USD"]["close"].tolist() == [7.0, 7.1, 7.2]


# --- YahooSource.fetch: batching, retries, backoff, failures --------------------------------------


def test__yahoo_fetch__asks_yfinance_explicitly_for_adjusted_daily_bars():
    fake = FakeDownload({"^RUT": [history(EQUITY_DAYS, [1, 2, 3, 4, 5])]})
    source(fake, SleepRecorder()).fetch({"^RUT": dt.date(2024, 3, 18)}, AS_OF)
    (symbols, kwargs), *_ = fake.calls
    assert symbols == ["^RUT"]
    assert kwargs["auto_adjust"] is True
    assert kwargs["progress"] is False
    assert kwargs["interval"] == "1d"
    assert kwargs["ignore_tz"] is True
    assert kwargs["start"] == "2024-03-18"
    assert kwargs["end"] == "2024-03-29"  # exclusive: the as-of day itself is included
    assert "period" not in kwargs


def test__yahoo_fetch__batch_starts_at_the_earliest_start_and_full_history_when_unknown():
    fake = FakeDownload(
        {
            "^RUT": [history(EQUITY_DAYS, [1, 2, 3, 4, 5])],
            "IWM": [history(EQUITY_DAYS, [6, 7, 8, 9, 10])],
        }
    )
    result = source(fake, SleepRecorder()).fetch(
        {"^RUT": dt.date(2024, 3, 26), "IWM": dt.date(2024, 3, 25)}, AS_OF
    )
    assert fake.calls[0][1]["start"] == "2024-03-25"
    # Each symbol keeps only rows from its own start.
    assert result.frames["^RUT"].index[0] == pd.Timestamp("2024-03-26")
    assert result.frames["IWM"].index[0] == pd.Timestamp("2024-03-25")
    fake = FakeDownload({"^RUT": [history(EQUITY_DAYS, [1, 2, 3, 4, 5])]})
    source(fake, SleepRecorder()).fetch({"^RUT": None}, AS_OF)
    assert fake.calls[0][1]["period"] == "max" and "start" not in fake.calls[0][1]


def test__yahoo_fetch__symbol_missing_in_batch_is_retried_alone():
    fake = FakeDownload(
        {
            "^RUT": [history(EQUITY_DAYS, [1, 2, 3, 4, 5])],
            "IWM": [NO_DATA, history(EQUITY_DAYS, [6, 7, 8, 9, 10])],
            "^VIX": [history(EQUITY_DAYS, [11, 12, 13, 14, 15])],
        }
    )
    sleep = SleepRecorder()
    result = source(fake, sleep).fetch(dict.fromkeys(["^RUT", "IWM", "^VIX"]), AS_OF)
    assert fake.symbols_called() == [["^RUT", "IWM", "^VIX"], ["IWM"]]
    assert sorted(result.frames) == ["IWM", "^RUT", "^VIX"]
    assert result.frames["IWM"]["close"].tolist() == [6, 7, 8, 9, 10]
    assert result.missing == {}
    assert sleep.waits == [2.0]


def test__yahoo_fetch__symbol_missing_on_every_attempt_is_reported_with_yfinances_reason():
    fake = FakeDownload(
        {"BTC-USD": [history(CRYPTO_DAYS, np.arange(7) + 1.0)], "XMR-USD": [NO_DATA]}
    )
    sleep = SleepRecorder()
    result = source(fake, sleep).fetch(dict.fromkeys(["BTC-USD", "XMR-USD"]), AS_OF)
    assert fake.symbols_called() == [["BTC-USD", "XMR-USD"], ["XMR-USD"], ["XMR-USD"]]
    assert list(result.frames) == ["BTC-USD"]
    assert list(result.missing) == ["XMR-USD"]
    assert "possibly delisted; no price data found" in result.missing["XMR-USD"]
    assert result.unreachable is None and result.rate_limited is False
    assert sleep.waits == [2.0, 4.0]


def test__yahoo_fetch__dns_failure_is_unreachable_not_missing_symbols():
    fake = FakeDownload({"^RUT": [DNS], "IWM": [DNS]})
    sleep = SleepRecorder()
    result = source(fake, sleep).fetch(dict.fromkeys(["^RUT", "IWM"]), AS_OF)
    assert result.frames == {}
    assert result.unreachable is not None
    assert "Could not resolve host: query2.finance.yahoo.com" in result.unreachable
    assert result.rate_limited is False
    assert len(fake.calls) == 3 and sleep.waits == [2.0, 4.0]


def test__yahoo_fetch__network_error_raised_inside_yfinance_is_unreachable_on_one_line():
    fake = FakeDownload({"^RUT": [DNS_RAISED], "IWM": [DNS_RAISED]})
    result = source(fake, SleepRecorder()).fetch(dict.fromkeys(["^RUT", "IWM"]), AS_OF)
    assert result.frames == {}
    # yfinance's report starts with "\n2 Failed downloads:"; the reason is curl's own words.
    assert result.unreachable == "Could not resolve host: query2.finance.yahoo.com"
    assert result.missing["IWM"] == result.unreachable


def test__yahoo_fetch__raised_network_error_is_unreachable():
    fake = FakeDownload({"^RUT": [DNS]}, raises=[ConnectionError(DNS_ERROR)] * 3)
    result = source(fake, SleepRecorder()).fetch({"^RUT": None}, AS_OF)
    assert result.frames == {}
    assert result.unreachable is not None
    assert result.unreachable == "Could not resolve host: query2.finance.yahoo.com"


def test__yahoo_fetch__rate_limit_waits_the_longer_backoff():
    fake = FakeDownload({"^RUT": [RATE_LIMITED], "IWM": [RATE_LIMITED]})
    sleep = SleepRecorder()
    result = source(fake, sleep, backoff_seconds=2.0, rate_limit_backoff_seconds=30.0).fetch(
        dict.fromkeys(["^RUT", "IWM"]), AS_OF
    )
    assert result.rate_limited is True
    assert result.unreachable is None
    assert result.frames == {}
    assert RATE_LIMIT_ERROR in result.missing["^RUT"]
    assert sleep.waits == [30.0, 60.0]


def test__yahoo_fetch__rate_limit_that_clears_gives_the_data():
    fake = FakeDownload({"^RUT": [RATE_LIMITED, history(EQUITY_DAYS, [1, 2, 3, 4, 5])]})
    sleep = SleepRecorder()
    result = source(fake, sleep).fetch({"^RUT": None}, AS_OF)
    assert result.rate_limited is False and result.missing == {}
    assert result.frames["^RUT"]["close"].tolist() == [1, 2, 3, 4, 5]
    assert sleep.waits == [30.0]


def test__yahoo_fetch__backoff_doubles_each_attempt():
    fake = FakeDownload({"^RUT": [NO_DATA]})
    sleep = SleepRecorder()
    source(fake, sleep, attempts=5, backoff_seconds=1.5).fetch({"^RUT": None}, AS_OF)
    assert len(fake.calls) == 5
    assert sleep.waits == [1.5, 3.0, 6.0, 12.0]


def test__yahoo_fetch__one_attempt_never_sleeps():
    fake = FakeDownload({"^RUT": [DNS]})
    sleep = SleepRecorder()
    source(fake, sleep, attempts=1).fetch({"^RUT": None}, AS_OF)
    assert len(fake.calls) == 1 and sleep.waits == []


def test__yahoo_fetch__yfinance_logs_and_warnings_go_to_our_logger_not_the_terminal(
    capsys, sources_log
):
    # A handler on the 'yfinance' logger, as yfinance's debug mode or a user's setup installs,
    # would print straight to the terminal if the adapter let yfinance log on its own.
    loud = logging.StreamHandler()
    yf_log = logging.getLogger("yfinance")
    yf_log.addHandler(loud)
    try:
        with warnings.catch_warnings(record=True) as escaped:
            warnings.simplefilter("always")
            source(FakeDownload({"^RUT": [DNS]}), SleepRecorder(), attempts=1).fetch(
                {"^RUT": None}, AS_OF
            )
    finally:
        yf_log.removeHandler(loud)
    assert capsys.readouterr().err == ""
    assert escaped == []
    assert all(r.name != "yfinance" for r in sources_log.records)
    ours = [r for r in sources_log.records if r.name == "generator.sources"]
    assert all(r.levelno == logging.DEBUG for r in ours)
    text = "\n".join(r.getMessage() for r in ours)
    assert f"yfinance error: Failed to get ticker '^RUT' reason: {DNS_ERROR}" in text
    assert "yfinance error: ['^RUT']: possibly delisted; no timezone found" in text
    assert f"library warning: Pandas4Warning: {PANDAS_WARNING}" in text
    # The yfinance logger is left as it was found.
    assert yf_log.handlers == [] and yf_log.propagate is True


# --- read_price_csv: the cache and replay format --------------------------------------------------

HEADER = "date,open,high,low,close,volume\n"
GOOD_ROWS = "2024-01-02,10,11,9,10.5,100\n2024-01-03,10.5,11,10,10.8,200\n"
TODAY = dt.date(2024, 1, 31)


def read(tmp_path, content: str | bytes, symbol: str = "SOL-USD"):
    path = tmp_path / f"{symbol}.csv"
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path, read_price_csv(path, symbol, TODAY, spike_factor=5.0)


def test__read_price_csv__reads_the_cache_format(tmp_path):
    _, frame = read(tmp_path, HEADER + GOOD_ROWS + "2024-01-04,,,,10.9,\n")
    expected = pd.DataFrame(
        {
            "open": [10, 10.5, np.nan],
            "high": [11, 11, np.nan],
            "low": [9, 10, np.nan],
            "close": [10.5, 10.8, 10.9],
            "volume": [100, 200, np.nan],
        },
        index=pd.DatetimeIndex(["2024-01-02", "2024-01-03", "2024-01-04"], name="date").as_unit(
            "ns"
        ),
    )
    pd.testing.assert_frame_equal(frame, expected)
    assert tuple(frame.columns) == PRICE_COLUMNS


def test__read_price_csv__bom_and_crlf_are_accepted(tmp_path):
    _, plain = read(tmp_path, HEADER + GOOD_ROWS, symbol="A")
    _, windows = read(tmp_path, ("\ufeff" + HEADER + GOOD_ROWS).replace("\n", "\r\n"), symbol="B")
    pd.testing.assert_frame_equal(windows, plain)


def test__read_price_csv__cells_padded_with_spaces_read_as_the_clean_file(tmp_path):
    padded = "".join(
        ",".join(f" {cell} " if cell else " " for cell in row.split(",")) + "\n"
        for row in (GOOD_ROWS + "2024-01-04,,,,10.9,\n").splitlines()
    )
    _, clean = read(tmp_path, HEADER + GOOD_ROWS + "2024-01-04,,,,10.9,\n", symbol="A")
    _, spaced = read(tmp_path, HEADER + padded, symbol="B")
    assert padded.startswith(" 2024-01-02 , 10 ")
    pd.testing.assert_frame_equal(spaced, clean)


def test__read_price_csv__date_and_close_columns_are_enough(tmp_path):
    _, frame = read(tmp_path, "Date,Close\n2024-01-02,5\n")
    assert frame["close"].tolist() == [5.0]
    assert frame["open"].isna().all()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(
            "<html><body>Will be right back</body></html>\n", "header is '<html>", id="garbage"
        ),
        pytest.param(
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff", "not a UTF-8 text CSV", id="binary"
        ),
        pytest.param(HEADER + "2024-01-02,1,1,1,1\x00,1\n", "contains NUL bytes", id="nul-bytes"),
        pytest.param("", "not a readable CSV", id="empty-file"),
        pytest.param(HEADER, "has a header but no price rows", id="header-only"),
        pytest.param("Date,Price\n2024-01-02,5\n", "header is 'date,price'", id="wrong-header"),
        pytest.param(
            "date,open,high,low,close,adj close,volume\n2024-01-02,1,1,1,1,1,5\n",
            "unexpected column(s) adj close",
            id="extra-column",
        ),
        pytest.param(
            HEADER + "2024-01-02,1,1,1,1,1\n2024-01-03,1,1,1,1,1,1,1\n",
            "not a readable CSV",
            id="ragged-row",
        ),
    ],
)
def test__read_price_csv__unreadable_file_names_symbol_and_file(tmp_path, content, expected):
    with pytest.raises(PriceDataError) as caught:
        read(tmp_path, content)
    message = str(caught.value)
    assert message.startswith(f"SOL-USD: {tmp_path / 'SOL-USD.csv'}")
    assert expected in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        pytest.param(
            "2024-01-04,1,1,1,NaN,1\n",
            "line 4: close on 2024-01-04 is 'NaN', not a number",
            id="nan",
        ),
        pytest.param(
            "2024-01-04,1,1,1,,1\n",
            "line 4: close on 2024-01-04 is 'empty', not a number",
            id="no-close",
        ),
        pytest.param(
            "2024-01-04,1,1,1,abc,1\n",
            "line 4: close on 2024-01-04 is 'abc', not a number",
            id="text",
        ),
        pytest.param(
            "2024-01-04,1,1,1,-10.9,1\n",
            "line 4: close on 2024-01-04 is -10.9, not a positive number",
            id="negative",
        ),
        pytest.param(
            "2024-01-04,1,1,1,0,1\n",
            "line 4: close on 2024-01-04 is 0, not a positive number",
            id="zero",
        ),
        pytest.param(
            "2024-01-04,1,1,1,inf,1\n",
            "line 4: close on 2024-01-04 is inf, not a positive number",
            id="inf",
        ),
        pytest.param(
            "2024-01-04,-1,1,1,10.9,1\n",
            "line 4: open on 2024-01-04 is -1, a negative price",
            id="neg-open",
        ),
        pytest.param(
            "2024-01-04,1,1,1,10.9,-5\n", "line 4: volume on 2024-01-04 is -5", id="neg-volume"
        ),
        pytest.param(
            "2024-01-03,1,1,1,10.9,1\n", "line 4: duplicate date 2024-01-03", id="duplicate"
        ),
        pytest.param(
            "2024-01-01,1,1,1,10.9,1\n",
            "line 4: date 2024-01-01 is out of order (comes after 2024-01-03)",
            id="unsorted",
        ),
        pytest.param(
            "2024-02-01,1,1,1,10.9,1\n",
            "line 4: date 2024-02-01 is in the future (today is 2024-01-31)",
            id="future",
        ),
        pytest.param(
            "01/04/2024,1,1,1,10.9,1\n",
            "line 4: date '01/04/2024' is not YYYY-MM-DD",
            id="bad-date",
        ),
        pytest.param(
            "2024-01-04,1,1,1,108,1\n2024-01-05,1,1,1,10.9,1\n",
            "line 4: close on 2024-01-04 (108) is an isolated spike "
            "against 10.8 before and 10.9 after",
            id="spike",
        ),
    ],
)
def test__read_price_csv__bad_row_names_symbol_file_line_and_date(tmp_path, rows, expected):
    with pytest.raises(PriceDataError) as caught:
        read(tmp_path, HEADER + GOOD_ROWS + rows)
    assert str(caught.value) == f"SOL-USD: {tmp_path / 'SOL-USD.csv'} {expected}"


def test__read_price_csv__missing_file_names_symbol_and_file(tmp_path):
    path = tmp_path / "ETH-USD.csv"
    with pytest.raises(PriceDataError, match=r"ETH-USD: .*ETH-USD\.csv: file not found"):
        read_price_csv(path, "ETH-USD", TODAY, 5.0)


# --- validate_prices: the rules every frame passes before it is cached ----------------------------


def frame_of(days, closes, **columns) -> pd.DataFrame:
    close = np.asarray(closes, dtype="float64")
    data = {c: columns.get(c, close if c != "volume" else np.nan) for c in PRICE_COLUMNS}
    data["close"] = close
    return pd.DataFrame(data, index=pd.DatetimeIndex(pd.to_datetime(days), name="date"))


DAYS = ["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"]


def test__validate_prices__accepts_real_moves_and_unknown_zero_opens():
    # A lasting 6x move is a market move, not a data error; Yahoo writes 0 for an unknown open.
    validate_prices(frame_of(DAYS, [1, 6, 6.5, 7], open=[0, 1, 6, 6.5]), "X", "w", TODAY, 5.0)
    validate_prices(frame_of(DAYS, [10, 2, 1.9, 1.8]), "X", "w", TODAY, 5.0)
    validate_prices(frame_of(DAYS[:1], [10]), "X", "w", TODAY, 5.0)


@pytest.mark.parametrize(
    ("closes", "expected"),
    [
        (
            [10, 60, 11, 12],
            "close on 2024-01-03 (60) is an isolated spike against 10 before and 11 after",
        ),
        (
            [10, 1, 11, 12],
            "close on 2024-01-03 (1) is an isolated spike against 10 before and 11 after",
        ),
        ([10, 11, 12, float("nan")], "close on 2024-01-05 is empty, not a positive number"),
    ],
    ids=["spike-up", "spike-down", "nan"],
)
def test__validate_prices__names_symbol_where_and_date(closes, expected):
    with pytest.raises(PriceDataError) as caught:
        validate_prices(frame_of(DAYS, closes), "ADA-USD", "Yahoo Finance download", TODAY, 5.0)
    assert str(caught.value) == f"ADA-USD: Yahoo Finance download: {expected}"


def test__validate_prices__future_date_is_relative_to_today():
    frame = frame_of(DAYS, [1, 2, 3, 4])
    validate_prices(frame, "X", "w", dt.date(2024, 1, 5), 5.0)
    with pytest.raises(
        PriceDataError, match=r"date 2024-01-05 is in the future \(today is 2024-01-04\)"
    ):
        validate_prices(frame, "X", "w", dt.date(2024, 1, 4), 5.0)


def test__validate_prices__empty_frame_is_an_error():
    with pytest.raises(PriceDataError, match="BTC-USD: w: no price rows"):
        validate_prices(frame_of([], []), "BTC-USD", "w", TODAY, 5.0)
