"""The configuration: symbols, thresholds and rules, read from one TOML file.

The code and the Methodology page both read this, so the page can never disagree with the code.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.errors import ConfigError

DEFAULT_CONFIG = Path(__file__).with_name("config.toml")


@dataclass(frozen=True)
class Symbol:
    """One Yahoo Finance series the pipeline reads."""

    key: str
    symbol: str
    name: str
    market: str  # "equity" (NYSE sessions) or "crypto" (UTC days, every day)
    since: dt.date | None = None


@dataclass(frozen=True)
class Config:
    """Everything the pipeline needs to know that is not data."""

    path: Path
    raw: dict[str, Any]
    methodology_version: str
    site_title: str
    site_description: str
    russell: Symbol
    vix: Symbol
    btc: Symbol
    eth: Symbol
    basket: tuple[Symbol, ...]

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

    def section(self, name: str) -> dict[str, Any]:
        return self.raw[name]


def _symbol(key: str, table: dict[str, Any], where: str, default_market: str) -> Symbol:
    try:
        symbol = str(table["symbol"]).strip()
        name = str(table.get("name", symbol))
    except (KeyError, TypeError) as exc:
        raise ConfigError(f"{where}: needs a 'symbol'") from exc
    if not symbol or "/" in symbol or symbol.startswith("."):
        raise ConfigError(f"{where}: {symbol!r} is not a usable Yahoo symbol")
    since = table.get("since")
    if since is not None:
        try:
            since = dt.date.fromisoformat(str(since))
        except ValueError as exc:
            raise ConfigError(f"{where}: since={since!r} is not an ISO date") from exc
    market = str(table.get("market", default_market))
    if market not in ("equity", "crypto"):
        raise ConfigError(f"{where}: market must be 'equity' or 'crypto', not {market!r}")
    return Symbol(key=key, symbol=symbol, name=name, market=market, since=since)


REQUIRED_SECTIONS = (
    "methodology",
    "site",
    "symbols",
    "fetch",
    "weeks",
    "reference",
    "zone",
    "alts",
    "sentiment",
    "comovement",
    "evidence",
)


def load_config(path: Path | None = None) -> Config:
    """Read and check the configuration file (the packaged `config.toml` by default)."""
    path = Path(path) if path else DEFAULT_CONFIG
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: config file not found") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc
    missing = [s for s in REQUIRED_SECTIONS if s not in raw]
    if missing:
        raise ConfigError(f"{path}: missing section(s) {', '.join(missing)}")
    symbols = raw["symbols"]
    named = {}
    for key in ("russell", "vix", "btc", "eth"):
        if key not in symbols:
            raise ConfigError(f"{path}: missing [symbols.{key}]")
        named[key] = _symbol(key, symbols[key], f"{path} [symbols.{key}]", "equity")
    basket = tuple(
        _symbol(f"basket{i}", t, f"{path} [[basket]] #{i + 1}", "crypto")
        for i, t in enumerate(raw.get("basket", []))
    )
    seen: set[str] = set()
    for s in (*named.values(), *basket):
        if s.symbol in seen:
            raise ConfigError(f"{path}: symbol {s.symbol} is listed twice")
        seen.add(s.symbol)
    return Config(
        path=path,
        raw=raw,
        methodology_version=str(raw["methodology"]["version"]),
        site_title=str(raw["site"]["title"]),
        site_description=str(raw["site"]["description"]),
        basket=basket,
        **named,
    )


PROJECT_ROOT = Path(__file__).resolve().parent.parent


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
