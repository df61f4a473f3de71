"""The week in progress, provisionally: where the daily closes after the newest complete week
stand against the weekly rule. Shown on the home page and in `api/provisional.json` by
`pages --provisional` / `site --provisional`; never recorded anywhere.

Only the weekly close counts. The panel answers "if the week closed now": the Russell 2000's
latest daily close against the reference and zone as known that day, what the week's closing
session must do for the weekly rule (from the same config numbers the verdict uses), and the
altcoin basket against its weekly moving averages on its latest complete UTC day, each dated.
Everything is computed by the same indicator functions as a weekly verdict, with one
hypothetical week appended at the end, so the panel cannot disagree with the rule.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from generator import market
from generator.cache import MarketData
from generator.config import Config
from generator.indicators import (
    as_of_weeks,
    basket_index,
    closes_at,
    moving_average,
    reference_levels,
    russell_states,
)

SCHEMA_VERSION = 1
NOTE = (
    "Provisional: computed from the daily closes after the newest complete week. "
    "Only the weekly close counts; nothing here is recorded."
)


@dataclass(frozen=True)
class Rule:
    """What the week's closing session must do: a close `when` `level` gives `outcome`."""

    when: str  # close_above_zone_top | close_at_or_above_approach | close_below_reference
    level: float | None
    outcome: str  # confirmed | within_reach | failed
    nth: int | None = None  # for close_above_zone_top: which of `of` consecutive closes
    of: int | None = None


@dataclass(frozen=True)
class RussellSoFar:
    date: dt.date  # the latest daily close's day
    close: float | None
    reference: float | None
    reference_date: dt.date | None
    zone_bottom: float | None
    zone_top: float | None
    approach_level: float | None
    distance_pct: float | None
    position: str  # where the close sits: below | approaching | in_zone | above_zone
    state_before: str | None  # the Russell 2000's state in the newest complete week
    weeks_above_zone_before: int
    state_if_final: str | None  # the state if the week closed at this close
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class BasketSoFar:
    date: dt.date | None  # the latest complete UTC day after the newest week (None: none yet)
    newest: dt.date | None  # the newest basket bar at all (for "no data since")
    members: int
    level: float | None
    ma_fast: float | None
    ma_slow: float | None
    vs_ma_fast_pct: float | None
    vs_ma_slow_pct: float | None
    confirming_if_final: bool | None


@dataclass(frozen=True)
class WeekSoFar:
    """The provisional panel. `status` is `open` (there are daily closes after the newest
    complete week) or `empty`, with `reason` `week_complete` (no session has closed since) or
    `no_data` (sessions have, but the data has no Russell 2000 close for them yet)."""

    as_of: dt.date
    newest_week: dt.date  # the newest complete week: its verdict is the one shown above
    week_ending: dt.date | None  # the session whose close will count for the week in progress
    next_session: dt.date | None  # the first session after the newest complete week
    status: str
    reason: str | None
    russell: RussellSoFar | None
    basket: BasketSoFar | None


def _num(value: Any, digits: int = 2) -> float | None:
    if value is None or value is pd.NaT:
        return None
    number = float(value)
    return None if math.isnan(number) else round(number, digits)


def _sessions_after(week: dt.date, calendar: str) -> tuple[dt.date | None, dt.date | None]:
    """The first session after `week`'s end, and the last session of the week it is in."""
    monday = week + dt.timedelta(days=7 - week.weekday())
    for offset in (0, 7):  # a calendar week without any session is skipped
        start = monday + dt.timedelta(days=offset)
        ends = market.week_ends(start, start + dt.timedelta(days=6), calendar)
        if len(ends):
            sessions = market._calendar(calendar).sessions_in_range(pd.Timestamp(start), ends[-1])
            return sessions[0].date(), ends[-1].date()
    return None, None


def week_so_far(
    data: MarketData,
    panel: pd.DataFrame,
    config: Config,
    newest_week: dt.date,
    as_of: dt.date,
    today: dt.date,
) -> WeekSoFar:
    """The provisional panel for the days after `newest_week` up to `as_of`.

    `data` is cut at `as_of`; `panel` is the pipeline's weekly closes through `newest_week`.
    The basket uses only UTC days before `today` (a day's crypto bar is still forming until it
    ends) and none after the week's closing session.
    """
    next_session, week_ending = _sessions_after(newest_week, config.weeks.calendar)
    rut = config.russell.symbol
    daily = data.close(rut).dropna()
    after = daily.loc[daily.index > pd.Timestamp(newest_week)]
    panel_for = functools.partial(
        WeekSoFar, as_of=as_of, newest_week=newest_week, week_ending=week_ending
    )
    if after.empty:
        reason = "week_complete" if next_session is None or next_session > as_of else "no_data"
        return panel_for(
            next_session=next_session, status="empty", reason=reason, russell=None, basket=None
        )
    hypothetical = pd.Timestamp(week_ending or after.index[-1].date())
    russell = _russell(daily, after, panel[rut], config, hypothetical)
    cutoff = min(as_of, today - dt.timedelta(days=1), week_ending or as_of)
    basket = _basket(data, panel, config, newest_week, cutoff, hypothetical)
    return panel_for(
        next_session=next_session, status="open", reason=None, russell=russell, basket=basket
    )


def _russell(
    daily: pd.Series, after: pd.Series, weekly_close: pd.Series, config: Config, week: pd.Timestamp
) -> RussellSoFar:
    zone = config.zone
    day, close = pd.Timestamp(after.index[-1]), float(after.iloc[-1])
    closes = pd.concat([weekly_close, pd.Series([close], index=[week])])
    levels = reference_levels(daily, config.reference.drawdown_pct, config.reference.pin_date)
    refs = as_of_weeks(levels, pd.DatetimeIndex(closes.index))
    confirm_weeks = zone.confirm_weeks
    states = russell_states(
        closes,
        refs["reference"],
        refs["reference_date"],
        zone.half_width_pct,
        zone.approach_pct,
        confirm_weeks,
    )
    before, now = states.iloc[-2] if len(states) > 1 else None, states.iloc[-1]
    state_before = before["state"] if before is not None else None
    state_before = state_before if isinstance(state_before, str) else None
    run_before = int(before["weeks_above_zone"]) if before is not None else 0
    top, bottom, approach = now["zone_top"], now["zone_bottom"], now["approach_level"]
    reference = float(now["reference"])
    if close > top:
        position = "above_zone"
    elif close >= bottom:
        position = "in_zone"
    elif close >= approach:
        position = "approaching"
    else:
        position = "below"
    rules: tuple[Rule, ...]
    if state_before == "confirmed":
        rules = (Rule("close_below_reference", _num(reference), "failed"),)
    else:
        nth = min(run_before + 1, confirm_weeks)
        outcome = "confirmed" if nth >= confirm_weeks else "counts"
        rules = (Rule("close_above_zone_top", _num(top), outcome, nth, confirm_weeks),)
        if state_before != "failed":
            rules += (Rule("close_at_or_above_approach", _num(approach), "within_reach"),)
    state_now = now["state"] if isinstance(now["state"], str) else None
    ref_date = now["reference_date"]
    return RussellSoFar(
        date=day.date(),
        close=_num(close),
        reference=_num(reference),
        reference_date=None if pd.isna(ref_date) else pd.Timestamp(ref_date).date(),
        zone_bottom=_num(bottom),
        zone_top=_num(top),
        approach_level=_num(approach),
        distance_pct=_num(now["distance_pct"]),
        position=position,
        state_before=state_before,
        weeks_above_zone_before=run_before,
        state_if_final=state_now,
        rules=rules,
    )


def _basket(
    data: MarketData,
    panel: pd.DataFrame,
    config: Config,
    newest_week: dt.date,
    cutoff: dt.date,
    week: pd.Timestamp,
) -> BasketSoFar:
    coins = [s.symbol for s in config.basket]
    alts = config.alts
    stale = config.weeks.stale_days_crypto
    bars = [data.close(c).dropna().index for c in coins]
    newest = max((b[-1] for b in bars if len(b)), default=None)
    days = [
        d for b in bars for d in b[(b > pd.Timestamp(newest_week)) & (b <= pd.Timestamp(cutoff))]
    ]
    newest_day = None if newest is None else newest.date()
    if not days:
        return BasketSoFar(None, newest_day, 0, None, None, None, None, None, None)
    day = max(days)
    row = pd.DataFrame(
        {c: closes_at(data.close(c), pd.DatetimeIndex([day]), stale).to_numpy() for c in coins},
        index=[week],
    )
    closes = pd.concat([panel[coins], row])
    basket = basket_index(closes, alts.min_history_weeks, alts.min_members)
    level = basket["level"]
    fast = moving_average(level, alts.ma_fast_weeks).iloc[-1]
    slow = moving_average(level, alts.ma_slow_weeks).iloc[-1]
    now = level.iloc[-1]
    vs_fast, vs_slow = _num((now / fast - 1) * 100), _num((now / slow - 1) * 100)
    confirming = None if vs_fast is None or vs_slow is None else vs_fast > 0 and vs_slow > 0
    return BasketSoFar(
        date=day.date(),
        newest=newest_day,
        members=int(basket["members"].iloc[-1]),
        level=_num(now),
        ma_fast=_num(fast),
        ma_slow=_num(slow),
        vs_ma_fast_pct=vs_fast,
        vs_ma_slow_pct=vs_slow,
        confirming_if_final=confirming,
    )


def to_json(panel: WeekSoFar) -> str:
    """`api/provisional.json`: the panel, dates as YYYY-MM-DD, with a schema version."""

    def plain(value: Any) -> Any:
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        return value

    payload = {"schema_version": SCHEMA_VERSION, "provisional": True, "note": NOTE}
    payload.update(plain(asdict(panel)))
    return json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"
