"""Tiny replay folders: a few weeks of made-up daily bars for every configured symbol.

Equities have a bar every weekday, crypto every day, from START (2024-03-01; no NYSE holiday
before Good Friday 2024-03-29). A symbol's close on day d is 10 * (its position in the config
+ 1) + 0.25 * (days since START), so every value is distinct and known in advance.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from generator.config import Config, Symbol

START = dt.date(2024, 3, 1)
AS_OF = dt.date(2024, 3, 22)
HEADER = "date,open,high,low,close,volume\n"


def bar_days(symbol: Symbol, start: dt.date, end: dt.date) -> pd.DatetimeIndex:
    if symbol.market == "crypto":
        return pd.date_range(start, end, freq="D")
    return pd.bdate_range(start, end)


def closes(
    config: Config, symbol: Symbol, days: pd.DatetimeIndex, bump: float = 0.0
) -> list[float]:
    """The close of `symbol` on each of `days` (`bump` added: a revision)."""
    base = 10.0 * (config.symbols.index(symbol) + 1) + bump
    return [base + 0.25 * (day.date() - START).days for day in days]


def csv_rows(days: pd.DatetimeIndex, values: list[float]) -> str:
    return "".join(
        f"{d.date()},{c - 0.5:g},{c + 1:g},{c - 1:g},{c:g},{1000 + i}\n"
        for i, (d, c) in enumerate(zip(days, values, strict=True))
    )


def price_text(config: Config, symbol: Symbol, start=START, end=AS_OF, bump: float = 0.0) -> str:
    """One `<SYMBOL>.csv` in the cache format, exactly as the cache itself would write it."""
    days = bar_days(symbol, start, end)
    return HEADER + csv_rows(days, closes(config, symbol, days, bump))


def write_replay(folder: Path, config: Config, end=AS_OF, skip=(), bump: float = 0.0) -> Path:
    """A replay folder with a file per configured symbol (except `skip`), START through `end`."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for s in config.symbols:
        if s.symbol not in skip:
            (folder / f"{s.symbol}.csv").write_text(price_text(config, s, end=end, bump=bump))
    return folder
