"""Weekly bars: one close per symbol per NYSE week, from the cached daily bars.

A week ends on its last NYSE session (Friday, or Thursday when Friday is a holiday); crypto is
sampled at the UTC daily close of that same day. A week is complete once `as_of` has reached its
last session; only complete weeks are ever returned.
"""

from __future__ import annotations

import datetime as dt
import functools

import exchange_calendars as xcals
import numpy as np
import pandas as pd

from generator.cache import MarketData
from generator.config import Config
from generator.errors import StaleData

FIRST_CALENDAR_DAY = "1980-01-01"


@functools.lru_cache(maxsize=4)
def _calendar(name: str) -> xcals.ExchangeCalendar:
    return xcals.get_calendar(name, start=FIRST_CALENDAR_DAY)


def week_ends(start: dt.date, end: dt.date, calendar: str = "XNYS") -> pd.DatetimeIndex:
    """The last session of every calendar week (Mon-Sun) that has one, from `start` to `end`.

    One element is one week's closing day: normally a Friday; a Thursday when Friday is an
    exchange holiday (Good Friday, some Christmas and New Year weeks); any earlier day when the
    exchange closed for the rest of the week (e.g. Monday 2001-09-10). Weeks whose last session
    is after `end` are not included: they are not complete.
    """
    cal = _calendar(calendar)
    if pd.Timestamp(end) > cal.last_session:
        raise StaleData(
            f"the {calendar} calendar ends on {cal.last_session.date()}, before {end}; "
            "upgrade exchange-calendars"
        )
    # Whole weeks only: a week that starts before `start` still ends on its own last session.
    first = max(pd.Timestamp(start) - pd.Timedelta(days=7), cal.first_session)
    last = min(pd.Timestamp(end) + pd.Timedelta(days=7), cal.last_session)
    sessions = cal.sessions_in_range(first, last)
    weeks = pd.Series(sessions, index=sessions).groupby(sessions.to_period("W-SUN")).max()
    ends = pd.DatetimeIndex(weeks.to_numpy(), name="week_ending").as_unit("ns")
    return ends[(ends >= pd.Timestamp(start)) & (ends <= pd.Timestamp(end))]


def complete_week_ending(as_of: dt.date, calendar: str = "XNYS") -> dt.date:
    """The newest week whose last session is on or before `as_of`."""
    ends = week_ends(as_of - dt.timedelta(days=21), as_of, calendar)
    return ends[-1].date()


def weekly_closes(daily_close: pd.Series, ends: pd.DatetimeIndex, stale_days: int) -> pd.DataFrame:
    """The close each week ended on, and the day of the bar it came from.

    One row is one week (index: its last NYSE session). `close` is the last daily close dated
    after the previous week's end and on or before this week's end, and no more than
    `stale_days` days before it; otherwise NaN (unknown, never carried forward). `bar_date` is
    that bar's day (NaT when unknown).
    """
    daily_close = daily_close.dropna()
    if daily_close.empty:
        return pd.DataFrame({"close": np.nan, "bar_date": pd.NaT}, index=ends).astype(
            {"close": "float64", "bar_date": "datetime64[ns]"}
        )
    bars = pd.DataFrame(
        {
            "bar_date": pd.DatetimeIndex(daily_close.index).as_unit("ns"),
            "close": daily_close.to_numpy("float64"),
        }
    )
    weeks = pd.DataFrame({"week_ending": ends})
    joined = pd.merge_asof(
        weeks, bars, left_on="week_ending", right_on="bar_date", direction="backward"
    )
    previous_end = weeks["week_ending"].shift(1)
    age = (joined["week_ending"] - joined["bar_date"]).dt.days
    usable = (age <= stale_days) & (previous_end.isna() | (joined["bar_date"] > previous_end))
    out = pd.DataFrame(
        {
            "close": joined["close"].where(usable),
            "bar_date": joined["bar_date"].where(usable),
        }
    )
    out.index = ends
    return out


def weekly_panel(data: MarketData, config: Config, as_of: dt.date) -> pd.DataFrame:
    """Weekly closes of every configured symbol for every complete week up to `as_of`.

    One row is one complete week (index `week_ending`); one column per symbol holds that week's
    close (NaN = unknown that week). Weeks start with the earliest cached Russell 2000 bar.
    """
    weeks_cfg = config.weeks
    first = data.newest(config.russell.symbol) and data.prices[config.russell.symbol].index[0]
    if not first:
        raise StaleData(f"{config.russell.symbol}: no cached prices to build weeks from")
    ends = week_ends(first.date(), as_of, weeks_cfg.calendar)
    columns = {}
    for s in config.symbols:
        stale = weeks_cfg.stale_days_equity if s.market == "equity" else weeks_cfg.stale_days_crypto
        columns[s.symbol] = weekly_closes(data.close(s.symbol), ends, stale)["close"]
    panel = pd.DataFrame(columns, index=ends)
    panel.index.name = "week_ending"
    return panel
