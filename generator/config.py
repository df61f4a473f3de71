"""The configuration: symbols, thresholds and rules, read from one TOML file into typed sections.

The code, the prose and the charts all read these sections, so no page can state a number the
code does not use. A missing, mistyped or unknown key stops the run with one line naming the
file, the section and the key (ConfigError, exit 1).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import tomllib
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from generator.errors import ConfigError

DEFAULT_CONFIG = Path(__file__).with_name("config.toml")
PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Symbol:
    """One Yahoo Finance series the pipeline reads."""

    key: str
    symbol: str
    name: str
    market: str  # "equity" (NYSE sessions) or "crypto" (UTC days, every day)
    since: dt.date | None = None


@dataclass(frozen=True)
class Methodology:
    version: str


@dataclass(frozen=True)
class Fetch:
    overlap_days: int
    attempts: int
    backoff_seconds: float
    rate_limit_backoff_seconds: float
    timeout_seconds: float
    spike_factor: float


@dataclass(frozen=True)
class Weeks:
    calendar: str
    stale_days_equity: int
    stale_days_crypto: int


@dataclass(frozen=True)
class Reference:
    drawdown_pct: float
    pin_date: dt.date | None  # "" in the file = not pinned


@dataclass(frozen=True)
class Zone:
    half_width_pct: float
    approach_pct: float
    confirm_weeks: int


@dataclass(frozen=True)
class Alts:
    min_history_weeks: int
    min_members: int
    ma_fast_weeks: int
    ma_slow_weeks: int
    season_window_days: int
    season_alt_threshold: float
    season_btc_threshold: float
    eth_btc_ma_weeks: int


@dataclass(frozen=True)
class Sentiment:
    extreme_fear_max: float
    fear_max: float
    neutral_max: float
    greed_max: float
    fear_greed_stale_days: int
    vix_calm_max: float


@dataclass(frozen=True)
class Comovement:
    window_weeks: int
    max_lag_weeks: int
    min_corr: float


@dataclass(frozen=True)
class Evidence:
    min_reference_age_weeks: int
    horizons_weeks: tuple[int, ...]
    min_events_for_conclusion: int
    explosive_return_pct: float
    explosive_horizon_weeks: int
    top_window: tuple[str, str]
    top_month: str
    bottom_window: tuple[str, str]
    bottoms_min_path_corr: float
    fear_window_weeks: int


@dataclass(frozen=True)
class Charts:
    rut_since: str
    week_chart_weeks: int


@dataclass(frozen=True)
class Config:
    """Everything the pipeline needs to know that is not data."""

    path: Path
    methodology: Methodology
    fetch: Fetch
    weeks: Weeks
    reference: Reference
    zone: Zone
    alts: Alts
    sentiment: Sentiment
    comovement: Comovement
    evidence: Evidence
    charts: Charts
    russell: Symbol
    vix: Symbol
    btc: Symbol
    eth: Symbol
    basket: tuple[Symbol, ...]

    @property
    def methodology_version(self) -> str:
        return self.methodology.version

    @property
    def symbols(self) -> tuple[Symbol, ...]:
        """Every configured series, benchmarks first."""
        return (self.russell, self.vix, self.btc, self.eth, *self.basket)

    @property
    def required(self) -> tuple[Symbol, ...]:
        """Series without which no verdict can be recorded at all."""
        return (self.russell, self.btc)

    def by_symbol(self, symbol: str) -> Symbol:
        for s in self.symbols:
            if s.symbol == symbol:
                return s
        raise KeyError(symbol)


SECTIONS: dict[str, type] = {
    "methodology": Methodology,
    "fetch": Fetch,
    "weeks": Weeks,
    "reference": Reference,
    "zone": Zone,
    "alts": Alts,
    "sentiment": Sentiment,
    "comovement": Comovement,
    "evidence": Evidence,
    "charts": Charts,
}
NAMED_SYMBOLS = ("russell", "vix", "btc", "eth")
S = TypeVar("S")


def _value(where: str, kind: Any, value: Any) -> Any:
    """`value` checked against one field's type; ConfigError (naming `where`) if it is not one."""
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin in (types.UnionType, typing.Union):  # only `date | None` is used
        return None if value == "" else _value(where, args[0], value)
    if kind is dt.date:
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            raise ConfigError(f"{where}: {value!r} is not an ISO date (YYYY-MM-DD)") from None
    if origin is tuple:
        wanted = args[0] if args[-1] is Ellipsis else None
        if not isinstance(value, list) or (wanted is None and len(value) != len(args)):
            count = "a list" if wanted else f"a list of {len(args)}"
            raise ConfigError(f"{where}: expected {count}, not {value!r}")
        kinds = [wanted] * len(value) if wanted else list(args)
        pairs = enumerate(zip(kinds, value, strict=True))
        return tuple(_value(f"{where}[{i}]", k, v) for i, (k, v) in pairs)
    # An int is a float too (TOML's 75 stays 75, so pages print it as written).
    ok = (int, float) if kind is float else (kind,)
    if isinstance(value, bool) or not isinstance(value, ok):
        raise ConfigError(f"{where}: expected {kind.__name__}, not {value!r}")
    return value


def _section(path: Path, raw: dict[str, Any], name: str, cls: type[S]) -> S:
    table = raw.get(name)
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: missing section [{name}]")
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    unknown = sorted(set(table) - set(names))
    if unknown:
        raise ConfigError(f"{path} [{name}] {unknown[0]}: unknown key (a typo?)")
    values = {}
    for key in names:
        if key not in table:
            raise ConfigError(f"{path} [{name}] {key}: missing")
        values[key] = _value(f"{path} [{name}] {key}", hints[key], table[key])
    return cls(**values)


def _symbol(key: str, table: Any, where: str, default_market: str) -> Symbol:
    if not isinstance(table, dict) or not str(table.get("symbol", "")).strip():
        raise ConfigError(f"{where} symbol: missing")
    symbol = str(table["symbol"]).strip()
    name = str(table.get("name", symbol))
    if "/" in symbol or symbol.startswith("."):
        raise ConfigError(f"{where} symbol: {symbol!r} is not a usable Yahoo symbol")
    since = table.get("since")
    if since is not None:
        since = _value(f"{where} since", dt.date, since)
    market = str(table.get("market", default_market))
    if market not in ("equity", "crypto"):
        raise ConfigError(f"{where} market: must be 'equity' or 'crypto', not {market!r}")
    return Symbol(key=key, symbol=symbol, name=name, market=market, since=since)


def _symbols(path: Path, raw: dict[str, Any]) -> dict[str, Any]:
    symbols = raw.get("symbols")
    if not isinstance(symbols, dict):
        raise ConfigError(f"{path}: missing section [symbols]")
    unknown = sorted(set(symbols) - set(NAMED_SYMBOLS))
    if unknown:
        raise ConfigError(f"{path} [symbols.{unknown[0]}]: unknown symbol (nothing reads it)")
    named: dict[str, Any] = {}
    for key in NAMED_SYMBOLS:
        if key not in symbols:
            raise ConfigError(f"{path}: missing section [symbols.{key}]")
        named[key] = _symbol(key, symbols[key], f"{path} [symbols.{key}]", "equity")
    named["basket"] = tuple(
        _symbol(f"basket{i}", t, f"{path} [[basket]] #{i + 1}", "crypto")
        for i, t in enumerate(raw.get("basket", []))
    )
    seen: set[str] = set()
    for s in (*[named[k] for k in NAMED_SYMBOLS], *named["basket"]):
        if s.symbol in seen:
            raise ConfigError(f"{path}: symbol {s.symbol} is listed twice")
        seen.add(s.symbol)
    return named


def load_config(path: Path | None = None) -> Config:
    """Read and check the configuration file (the packaged `config.toml` by default)."""
    path = Path(path) if path else DEFAULT_CONFIG
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: config file not found") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc
    unknown = sorted(set(raw) - {*SECTIONS, "symbols", "basket"})
    if unknown:
        raise ConfigError(f"{path} [{unknown[0]}]: unknown section (nothing reads it)")
    sections: dict[str, Any] = {
        name: _section(path, raw, name, cls) for name, cls in SECTIONS.items()
    }
    return Config(path=path, **sections, **_symbols(path, raw))


@dataclass(frozen=True)
class RunOptions:
    """One run's settings, from the command line (every path has a default in the project)."""

    config: Config
    as_of: dt.date  # behave as if today were the day after this: its bars are final
    today: dt.date  # the real UTC date, for rejecting future-dated data
    data_dir: Path = PROJECT_ROOT / "data"
    docs_dir: Path = PROJECT_ROOT / "site_docs"
    site_dir: Path = PROJECT_ROOT / "site"
    prices_dir: Path | None = None
    offline: bool = False
    require_live: bool = False
    provisional: bool = False  # also show the week in progress (--provisional); records nothing
