"""Sources: where daily prices come from. Yahoo Finance (live, via yfinance) or a replay folder.

Both return the same canonical frame per symbol: a DataFrame indexed by `date` (tz-naive
midnight, ascending, unique) with float columns `open, high, low, close, volume`
(NaN = unknown). One row is one daily bar: for equities an NYSE session, for crypto a UTC day.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import logging
import math
import re
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from generator.errors import NetworkUnreachable, PriceDataError

log = logging.getLogger(__name__)

PRICE_COLUMNS = ("open", "high", "low", "close", "volume")
CSV_HEADER = ("date", *PRICE_COLUMNS)
FEAR_GREED_URL = "https://api.alternative.me/fng/?limit=0&format=json"


# --- The canonical frame and its checks ---------------------------------------------------------


def empty_prices() -> pd.DataFrame:
    """A canonical frame with no rows."""
    frame = pd.DataFrame(
        {c: pd.Series(dtype="float64") for c in PRICE_COLUMNS},
        index=pd.DatetimeIndex([], name="date", dtype="datetime64[ns]"),
    )
    return frame


def canonical(frame: pd.DataFrame) -> pd.DataFrame:
    """Give a frame with a date index and some of the price columns the canonical shape."""
    out = pd.DataFrame(index=pd.DatetimeIndex(frame.index).as_unit("ns"))
    out.index.name = "date"
    for column in PRICE_COLUMNS:
        values = frame[column] if column in frame.columns else np.nan
        out[column] = pd.to_numeric(values, errors="coerce").astype("float64")  # type: ignore[union-attr]
    return out


def validate_prices(
    frame: pd.DataFrame,
    symbol: str,
    where: str,
    today: dt.date,
    spike_factor: float,
    lines: pd.Series | None = None,
) -> None:
    """Raise PriceDataError naming symbol, file and date for the first rule a frame breaks.

    Rules: at least one row; dates ascending and unique; closes finite and positive; open, high
    and low not negative where known; volume not negative where known; no date after `today`; no
    lone close that is `spike_factor` times (or 1/`spike_factor` of) both of its neighbours.
    `lines` maps each row to its line number in the source file, for the message.
    """

    def fail(position: int, problem: str) -> None:
        at = f" line {int(lines.iloc[position])}" if lines is not None else ""
        raise PriceDataError(f"{symbol}: {where}{at}: {problem}")

    if frame.empty:
        raise PriceDataError(f"{symbol}: {where}: no price rows")
    dates = pd.DatetimeIndex(frame.index)
    steps = np.diff(dates.asi8)
    if (steps <= 0).any():
        i = int(np.argmax(steps <= 0)) + 1
        day = dates[i].date()
        if steps[i - 1] == 0:
            fail(i, f"duplicate date {day}")
        fail(i, f"date {day} is out of order (comes after {dates[i - 1].date()})")
    close = frame["close"].to_numpy()
    bad = ~np.isfinite(close) | (close <= 0)
    if bad.any():
        i = int(np.argmax(bad))
        fail(i, f"close on {dates[i].date()} is {_show(close[i])}, not a positive number")
    for column in ("open", "high", "low"):
        values = frame[column].to_numpy()
        bad = np.isinf(values) | (values < 0)  # Yahoo writes 0 for an unknown open
        if bad.any():
            i = int(np.argmax(bad))
            fail(i, f"{column} on {dates[i].date()} is {_show(values[i])}, a negative price")
    volume = frame["volume"].to_numpy()
    bad = np.isinf(volume) | (volume < 0)
    if bad.any():
        i = int(np.argmax(bad))
        fail(i, f"volume on {dates[i].date()} is {_show(volume[i])}")
    if dates[-1].date() > today:
        i = int(np.argmax(dates.date > today))
        fail(i, f"date {dates[i].date()} is in the future (today is {today})")
    spike = _first_spike(close, spike_factor)
    if spike is not None:
        fail(
            spike,
            f"close on {dates[spike].date()} ({_show(close[spike])}) is an isolated spike "
            f"against {_show(close[spike - 1])} before and {_show(close[spike + 1])} after",
        )


def _first_spike(close: np.ndarray, spike_factor: float) -> int | None:
    """The first close `spike_factor` times (or 1/`spike_factor` of) both of its neighbours."""
    if len(close) < 3:
        return None
    ratio_prev = close[1:-1] / close[:-2]
    ratio_next = close[1:-1] / close[2:]
    up = (ratio_prev >= spike_factor) & (ratio_next >= spike_factor)
    down = (ratio_prev <= 1 / spike_factor) & (ratio_next <= 1 / spike_factor)
    spikes = up | down
    return int(np.argmax(spikes)) + 1 if spikes.any() else None


def _show(value: float) -> str:
    return "empty" if isinstance(value, float) and math.isnan(value) else f"{value:g}"


# --- The price CSV format (cache and replay) ----------------------------------------------------


def read_price_csv(path: Path, symbol: str, today: dt.date, spike_factor: float) -> pd.DataFrame:
    """Read and validate one `<SYMBOL>.csv` in the price-cache format (ARCHITECTURE.md)."""
    where = str(path)
    table = _read_table(path, symbol)
    # Line numbers in the file (header is line 1) so errors point at the row to fix.
    lines = pd.Series(np.arange(2, len(table) + 2))
    raw_dates, dates = _dates(table, symbol, where, lines, today)
    columns = {
        column: _numbers(table, column, symbol, where, lines, raw_dates) for column in PRICE_COLUMNS
    }
    frame = pd.DataFrame(columns, index=pd.DatetimeIndex(dates, name="date").as_unit("ns"))
    validate_prices(frame, symbol, where, today, spike_factor, lines=lines)
    return frame


def _read_table(path: Path, symbol: str) -> pd.DataFrame:
    """The CSV as text cells, its header checked and lower-cased."""
    where = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise PriceDataError(f"{symbol}: {where}: file not found") from exc
    except OSError as exc:
        raise PriceDataError(f"{symbol}: {where}: cannot be read ({exc.strerror})") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PriceDataError(f"{symbol}: {where}: not a UTF-8 text CSV") from exc
    if "\x00" in text:
        raise PriceDataError(f"{symbol}: {where}: not a text CSV (contains NUL bytes)")
    try:
        table = pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, skip_blank_lines=True
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else "empty file"
        raise PriceDataError(f"{symbol}: {where}: not a readable CSV ({first})") from exc
    header = [str(c).strip().lower() for c in table.columns]
    if "date" not in header or "close" not in header:
        shown = ",".join(header)[:80]
        raise PriceDataError(
            f"{symbol}: {where}: header is '{shown}', expected {','.join(CSV_HEADER)}"
        )
    extra = [c for c in header if c not in CSV_HEADER]
    if extra:
        raise PriceDataError(
            f"{symbol}: {where}: unexpected column(s) {','.join(extra)}; "
            f"expected {','.join(CSV_HEADER)}"
        )
    if len(set(header)) != len(header):
        raise PriceDataError(f"{symbol}: {where}: a column is repeated in the header")
    table.columns = header
    if table.empty:
        raise PriceDataError(f"{symbol}: {where}: has a header but no price rows")
    return table


def _dates(
    table: pd.DataFrame, symbol: str, where: str, lines: pd.Series, today: dt.date
) -> tuple[pd.Series, pd.Series]:
    """The date column as written and as timestamps; a bad or future date is an error."""
    # Clean files parse without stripping (stripping ~10,000 cells is the slow part of a read);
    # only a file that does not parse as it stands is read again with whitespace stripped.
    raw_dates = table["date"]
    dates = pd.to_datetime(raw_dates, format="%Y-%m-%d", errors="coerce")
    if dates.isna().any():
        raw_dates = raw_dates.str.strip()
        dates = pd.to_datetime(raw_dates, format="%Y-%m-%d", errors="coerce")
    if dates.isna().any():
        i = int(np.argmax(dates.isna().to_numpy()))
        raise PriceDataError(
            f"{symbol}: {where} line {lines.iloc[i]}: date {raw_dates.iloc[i]!r} is not YYYY-MM-DD"
        )
    # Checked here as well as in validate_prices: a date past 2262 (a typo for 2026, say) does
    # not fit the nanosecond index the frame is built on.
    future = (dates > pd.Timestamp(today)).to_numpy()
    if future.any():
        i = int(np.argmax(future))
        raise PriceDataError(
            f"{symbol}: {where} line {lines.iloc[i]}: date {raw_dates.iloc[i]} is in the future "
            f"(today is {today})"
        )
    return raw_dates, dates


def _numbers(
    table: pd.DataFrame,
    column: str,
    symbol: str,
    where: str,
    lines: pd.Series,
    raw_dates: pd.Series,
) -> np.ndarray:
    """One price column as floats (NaN where empty; an empty close or a non-number is an
    error naming its line)."""
    if column not in table:
        return np.full(len(table), np.nan)
    values = pd.to_numeric(table[column], errors="coerce")
    if not values.isna().any():
        return values.to_numpy(dtype="float64")
    cells = table[column].str.strip()
    values = pd.to_numeric(cells.where(cells != "", None), errors="coerce")
    garbage = values.isna() & (cells != "")
    if column == "close":
        garbage |= cells == ""
    if garbage.any():
        i = int(np.argmax(garbage.to_numpy()))
        raise PriceDataError(
            f"{symbol}: {where} line {lines.iloc[i]}: {column} on "
            f"{raw_dates.iloc[i]} is {cells.iloc[i] or 'empty'!r}, not a number"
        )
    return values.to_numpy(dtype="float64")


def price_csv_bytes(frame: pd.DataFrame) -> bytes:
    """Serialise a canonical frame to the price-cache CSV, the same bytes for the same frame."""
    out = frame.copy()
    volume = out["volume"]
    known = volume.dropna()
    if (known == np.round(known)).all() and (known.abs() < 2**53).all():
        out["volume"] = volume.astype("Int64")
    text = out.to_csv(lineterminator="\n", float_format="%.10g", date_format="%Y-%m-%d", na_rep="")
    return text.encode("utf-8")


# --- What a source returns ----------------------------------------------------------------------


@dataclass
class FetchResult:
    """What one source call produced: frames for the symbols it found, reasons for the rest."""

    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)  # symbol -> why
    unreachable: str | None = None  # set when the network itself failed
    rate_limited: bool = False  # set when Yahoo refused requests as too many


def price_file(folder: Path, symbol: str) -> Path:
    """Where a symbol's CSV lives in a cache or replay folder (`^RUT` -> `^RUT.csv`)."""
    return Path(folder) / f"{symbol}.csv"


class ReplaySource:
    """Reads `<SYMBOL>.csv` files from a folder in the price-cache format (no network)."""

    name = "replay"

    def __init__(self, folder: Path, today: dt.date, spike_factor: float):
        self.folder = Path(folder)
        self.today = today
        self.spike_factor = spike_factor

    def check_folder(self, symbols: Iterable[str]) -> None:
        if not self.folder.is_dir():
            raise PriceDataError(f"prices folder {self.folder} does not exist")
        if not any(price_file(self.folder, s).is_file() for s in symbols):
            raise PriceDataError(
                f"prices folder {self.folder} holds none of the configured <SYMBOL>.csv files"
            )

    def fetch(self, starts: dict[str, dt.date | None], as_of: dt.date) -> FetchResult:
        """Every configured symbol's file, cut at `as_of` (later rows do not exist yet)."""
        self.check_folder(starts)
        result = FetchResult()
        for symbol in starts:
            path = price_file(self.folder, symbol)
            if not path.is_file():
                result.missing[symbol] = f"no {path.name} in {self.folder}"
                continue
            frame = read_price_csv(path, symbol, self.today, self.spike_factor)
            frame = frame.loc[: pd.Timestamp(as_of)]
            if frame.empty:
                result.missing[symbol] = f"{path} has no rows on or before {as_of}"
                continue
            result.frames[symbol] = frame
        return result


# --- Yahoo Finance through yfinance -------------------------------------------------------------

_NETWORK_WORDS = (
    "could not resolve",
    "resolve host",
    "failed to connect",
    "connection",
    "timed out",
    "timeout",
    "network is unreachable",
    "dnserror",
    "ssl",
)
_RATE_WORDS = ("rate limit", "too many requests", "yfratelimiterror", "429")
# yfinance heads its end-of-download report with "\n<N> Failed download(s):", which names no reason.
_FAILED_HEADER = re.compile(r"\d+ Failed downloads?:")


class _Capture(logging.Handler):
    """Collects yfinance's log records during one call, for diagnosis and for `-v`."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def errors(self) -> list[str]:
        messages = (r.getMessage() for r in self.records if r.levelno >= logging.ERROR)
        return [m for m in messages if not _FAILED_HEADER.fullmatch(m.strip())]


@contextlib.contextmanager
def _yfinance_quietly() -> Iterator[_Capture]:
    """Route yfinance's log lines and library warnings to our logger instead of the terminal."""
    yf_log = logging.getLogger("yfinance")
    capture = _Capture()
    saved = (yf_log.handlers[:], yf_log.propagate, yf_log.level)
    yf_log.handlers = [capture]
    yf_log.propagate = False
    yf_log.setLevel(logging.DEBUG if log.isEnabledFor(logging.DEBUG) else logging.WARNING)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield capture
        for w in caught:
            log.debug("library warning: %s: %s", w.category.__name__, w.message)
    finally:
        yf_log.handlers, yf_log.propagate, level = saved
        yf_log.setLevel(level)
        for record in capture.records:
            log.debug("yfinance %s: %s", record.levelname.lower(), record.getMessage())


def split_download(data: pd.DataFrame | None, symbols: list[str]) -> dict[str, pd.DataFrame]:
    """Turn what `yf.download` returned into one canonical frame per symbol that has rows.

    yfinance 1.x returns MultiIndex columns `(Price, Ticker)` (even for one ticker, unless
    `multi_level_index=False`), NaN rows for dates where only other tickers traded, an index
    that may be tz-aware, and an empty frame (0 rows) when nothing came back.
    """
    if data is None or len(data) == 0:
        return {}
    frames: dict[str, pd.DataFrame] = {}
    if isinstance(data.columns, pd.MultiIndex):
        names = list(data.columns.names)
        level = names.index("Ticker") if "Ticker" in names else None
        if level is None:  # unnamed levels: the ticker level is the one holding our symbols
            level = next(
                (
                    i
                    for i in range(data.columns.nlevels)
                    if set(symbols) & set(data.columns.get_level_values(i))
                ),
                1,
            )
        present = set(data.columns.get_level_values(level))
        per_symbol = {s: data.xs(s, axis=1, level=level) for s in symbols if s in present}
    elif len(symbols) == 1:
        per_symbol = {symbols[0]: data}
    else:
        raise PriceDataError(
            f"Yahoo Finance returned flat columns for {len(symbols)} symbols; cannot split them"
        )
    for symbol, sub in per_symbol.items():
        sub = sub.set_axis([str(c).strip().lower() for c in sub.columns], axis=1)
        if "close" not in sub.columns:
            continue
        index = pd.DatetimeIndex(sub.index)
        if index.tz is not None:
            # A daily bar's date is its exchange-local (or UTC, for crypto) calendar day.
            index = index.tz_localize(None)
        sub = sub.set_axis(index.normalize(), axis=0)
        frame = canonical(pd.DataFrame(sub))
        frame = frame[frame["close"].notna()]
        frame = frame[~frame.index.duplicated(keep="last")].sort_index()
        if not frame.empty:
            frames[symbol] = frame
    return frames


class YahooSource:
    """Live daily bars from Yahoo Finance through `yfinance.download`, batched and retried."""

    name = "yahoo"

    def __init__(
        self,
        attempts: int = 3,
        backoff_seconds: float = 2.0,
        rate_limit_backoff_seconds: float = 30.0,
        timeout_seconds: float = 20.0,
        download: Callable[..., pd.DataFrame] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.attempts = max(1, attempts)
        self.backoff = backoff_seconds
        self.rate_backoff = rate_limit_backoff_seconds
        self.timeout = timeout_seconds
        self._download = download
        self.sleep = sleep

    def _call(
        self, symbols: list[str], start: dt.date | None, end: dt.date
    ) -> tuple[pd.DataFrame | None, list[str]]:
        download = self._download
        if download is None:
            import yfinance as yf

            download = yf.download
        kwargs = dict(
            end=end.isoformat(),
            interval="1d",
            auto_adjust=True,  # the replay snapshot is adjusted too; indices and crypto are not
            actions=False,
            progress=False,
            threads=True,
            group_by="column",
            ignore_tz=True,  # keep each bar's own calendar day, never a converted timestamp
            multi_level_index=True,
            timeout=self.timeout,
        )
        if start is None:
            kwargs["period"] = "max"
        else:
            kwargs["start"] = start.isoformat()
        with _yfinance_quietly() as capture:
            try:
                data = download(symbols, **kwargs)
                raised = None
            except Exception as exc:  # yfinance raises little, but a session or proxy can
                data, raised = None, f"{type(exc).__name__}: {exc}"
        errors = capture.errors() + ([raised] if raised else [])
        return data, errors

    def fetch(self, starts: dict[str, dt.date | None], as_of: dt.date) -> FetchResult:
        """Bars from `starts[symbol]` (None = full history) through `as_of`, for every symbol.

        One batched download, then retries of only the symbols that came back empty, waiting
        `backoff * 2**attempt` seconds between attempts (longer when Yahoo says it is
        rate-limiting). Symbols still empty at the end are reported in `missing` with
        yfinance's reason; `unreachable` or `rate_limited` say when the cause was not the symbol.
        """
        result = FetchResult()
        end = as_of + dt.timedelta(days=1)  # yfinance's `end` is exclusive
        pending = list(starts)
        errors: list[str] = []
        for attempt in range(self.attempts):
            if attempt:
                log.info("retrying %d symbol(s) from Yahoo: %s", len(pending), " ".join(pending))
            known = [starts[s] for s in pending]
            start = None if any(s is None for s in known) else min(s for s in known if s)
            data, errors = self._call(pending, start, end)
            for symbol, frame in split_download(data, pending).items():
                first = starts[symbol]
                result.frames[symbol] = frame.loc[pd.Timestamp(first) :] if first else frame
            pending = [s for s in pending if s not in result.frames]
            if not pending or attempt == self.attempts - 1:
                break
            base = self.rate_backoff if _mentions(errors, _RATE_WORDS) else self.backoff
            self.sleep(base * 2**attempt)
        # A symbol's reason is an error naming it, else one naming no symbol (the network,
        # say); never another symbol's, which would send the reader to the wrong ticker.
        anyone = [e for e in errors if not any(s.lower() in e.lower() for s in starts)]
        for symbol in pending:
            mine = [e for e in errors if symbol.lower() in e.lower()]
            result.missing[symbol] = _one_line((mine or anyone or ["Yahoo returned no rows"])[0])
        if pending and _mentions(errors, _RATE_WORDS):
            result.rate_limited = True
        elif pending and not result.frames and _mentions(errors, _NETWORK_WORDS):
            result.unreachable = _one_line(
                next(e for e in errors if _mentions([e], _NETWORK_WORDS))
            )
        return result


_CURL_REASON = re.compile(r"curl: \(\d+\) (.+?)(?: \(|\. See |$)")


def _one_line(message: str) -> str:
    """A reason fit for a one-line error: curl's own words when there are some (yfinance wraps
    them in a long sentence with a URL), whitespace collapsed, at most 200 characters."""
    curl = _CURL_REASON.search(message)
    if curl:
        message = curl.group(1)
    return " ".join(message.split())[:200]


def _mentions(errors: list[str], words: tuple[str, ...]) -> bool:
    text = " | ".join(errors).lower()
    return any(w in text for w in words)


def network_unreachable_error(reason: str) -> NetworkUnreachable:
    return NetworkUnreachable(
        f"Yahoo Finance is unreachable ({reason}) and nothing is cached; "
        "to run offline, pass --prices-dir DIR --offline (e.g. the repository's data/prices)"
    )


# --- Crypto Fear & Greed (alternative.me) -------------------------------------------------------


def read_fear_greed_csv(path: Path) -> pd.Series:
    """Daily Crypto Fear & Greed values (0-100) from a `date,value` CSV, indexed by date."""
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise PriceDataError(f"fear & greed: {path}: not a readable date,value CSV") from exc
    header = [c.strip().lower() for c in table.columns]
    if header != ["date", "value"]:
        raise PriceDataError(f"fear & greed: {path}: header must be date,value")
    table.columns = header
    dates = pd.to_datetime(table["date"].str.strip(), format="%Y-%m-%d", errors="coerce")
    values = pd.to_numeric(table["value"].str.strip(), errors="coerce")
    bad = dates.isna() | values.isna() | (values < 0) | (values > 100)
    if bad.any():
        i = int(np.argmax(bad.to_numpy()))
        raise PriceDataError(
            f"fear & greed: {path} line {i + 2}: {table['date'].iloc[i]},{table['value'].iloc[i]} "
            "is not a date and a value 0-100"
        )
    series = pd.Series(values.to_numpy("float64"), index=pd.DatetimeIndex(dates, name="date"))
    if not series.index.is_monotonic_increasing or series.index.has_duplicates:
        raise PriceDataError(f"fear & greed: {path}: dates must be ascending and unique")
    return series.rename("fear_greed")


def fear_greed_csv_bytes(series: pd.Series) -> bytes:
    frame = series.rename("value").astype("int64").to_frame()
    return frame.to_csv(lineterminator="\n", date_format="%Y-%m-%d").encode("utf-8")


def fetch_fear_greed_live(timeout: float = 20.0) -> pd.Series:
    """The whole Fear & Greed history from alternative.me's public JSON API."""
    request = urllib.request.Request(FEAR_GREED_URL, headers={"User-Agent": "altseason-watch"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            payload = json.loads(response.read().decode("utf-8"))
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        raise NetworkUnreachable(f"alternative.me Fear & Greed API unreachable ({exc})") from exc
    rows = payload.get("data") if isinstance(payload, dict) else None
    if not rows:
        raise PriceDataError("fear & greed: alternative.me returned no data")
    values = {}
    for row in rows:
        try:
            day = dt.datetime.fromtimestamp(int(row["timestamp"]), dt.UTC).date()
            values[pd.Timestamp(day)] = float(row["value"])
        except (KeyError, TypeError, ValueError) as exc:
            raise PriceDataError(f"fear & greed: alternative.me row {row!r} is malformed") from exc
    series = pd.Series(values, dtype="float64").sort_index()
    series.index.name = "date"
    return series.rename("fear_greed")
