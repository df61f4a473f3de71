"""Indicators: pure functions of daily or weekly series. No IO, no clock, no globals.

Every function is causal: a row for day or week T depends only on data dated on or before T.
That is what makes a backfilled week identical to one recorded live (ARCHITECTURE.md, "Point
in time").
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import numpy as np
import pandas as pd

from generator.cache import MarketData
from generator.config import Config, Sentiment

STATES = ("below", "approaching", "testing", "confirmed", "failed")


# --- The Russell 2000 reference -----------------------------------------------------------------


def reference_levels(
    daily_close: pd.Series, drawdown_pct: float, pin_date: dt.date | None = None
) -> pd.DataFrame:
    """The level the Russell 2000 must reclaim, as it was known on each day.

    One row is one day with a close: `reference` is the highest daily close before the most
    recent drawdown of at least `drawdown_pct` percent from it, and `reference_date` its day.
    Daily (not weekly) closes: the record close is the number anyone can look up, and it is the
    higher of the two, so the test is the stricter one. Closes, never intraday highs. A later,
    lower high never replaces it; after a breakout the old reference stays (now support) until a
    new top is followed by a new drawdown of that size. NaN until a first such drawdown.
    With `pin_date`, the reference is the close of that day, from that day on.
    """
    close = daily_close.dropna()
    values = close.to_numpy("float64")
    dates = close.index
    reference = np.full(len(values), np.nan)
    reference_at = np.full(len(values), -1, dtype=np.int64)
    if pin_date is not None:
        pin = pd.Timestamp(pin_date)
        if pin not in dates:
            raise ValueError(f"reference pin_date {pin_date} has no daily close")
        at = int(cast(int, dates.get_loc(pin)))
        reference[at:] = values[at]
        reference_at[at:] = at
    else:
        factor = 1.0 - drawdown_pct / 100.0
        peak, peak_at = -np.inf, -1
        ref, ref_at = np.nan, -1
        for i, value in enumerate(values):
            if value > peak:
                peak, peak_at = value, i
            if value <= peak * factor:
                ref, ref_at = peak, peak_at
            reference[i], reference_at[i] = ref, ref_at
    ref_dates = pd.DatetimeIndex(
        [dates[int(j)] if j >= 0 else pd.NaT for j in reference_at], dtype="datetime64[ns]"
    )
    return pd.DataFrame({"reference": reference, "reference_date": ref_dates}, index=dates)


def as_of_weeks(daily: pd.DataFrame, weeks: pd.DatetimeIndex) -> pd.DataFrame:
    """The last daily row on or before each week's end (no staleness limit)."""
    return daily.reindex(daily.index.union(weeks)).ffill().reindex(weeks)


def russell_states(
    weekly_close: pd.Series,
    reference: pd.Series,
    reference_date: pd.Series,
    half_width_pct: float,
    approach_pct: float,
    confirm_weeks: int,
) -> pd.DataFrame:
    """Where the Russell 2000 stands against its reference, week by week.

    One row is one complete week. The zone is the reference +/- `half_width_pct`. States:
    `below`; `approaching` (at most `approach_pct` under the zone's bottom); `testing` (at or
    above the zone's bottom, not yet confirmed); `confirmed` (`confirm_weeks` consecutive weekly
    closes above the zone's top, and not since closed below the reference); `failed` (closed
    below the reference after confirming, until confirmed again or the reference changes).
    A week with no close or no reference has state None (unknown); it also breaks a run.
    """
    h, a = half_width_pct / 100.0, approach_pct / 100.0
    rows = []
    confirmed = failed = False
    run = 0
    confirmed_on = None
    current_ref_date = None
    for week, close, ref, ref_date in zip(
        weekly_close.index,
        weekly_close.to_numpy(),
        reference.to_numpy(),
        reference_date,
        strict=True,
    ):
        zone_bottom, zone_top = ref * (1 - h), ref * (1 + h)
        approach = zone_bottom * (1 - a)
        if ref_date is not pd.NaT and ref_date != current_ref_date:
            confirmed = failed = False
            run, confirmed_on, current_ref_date = 0, None, ref_date
        if np.isnan(close) or np.isnan(ref):
            run = 0
            state = None
        else:
            run = run + 1 if close > zone_top else 0
            if confirmed:
                if close < ref:
                    confirmed, failed, state = False, True, "failed"
                else:
                    state = "confirmed"
            elif run >= confirm_weeks:
                confirmed, failed, confirmed_on, state = True, False, week, "confirmed"
            elif failed:
                state = "failed"
            elif close >= zone_bottom:
                state = "testing"
            elif close >= approach:
                state = "approaching"
            else:
                state = "below"
        levels = {"zone_bottom": zone_bottom, "zone_top": zone_top, "approach_level": approach}
        rows.append(_state_row(close, ref, ref_date, levels, run, state, confirmed_on))
    out = pd.DataFrame(rows, index=weekly_close.index)
    out["reference_date"] = pd.to_datetime(out["reference_date"])
    return out


def _state_row(
    close: float,
    ref: float,
    ref_date: Any,
    levels: dict[str, float],
    run: int,
    state: str | None,
    confirmed_on: Any,
) -> dict[str, Any]:
    """One week's row of `russell_states`."""
    return {
        "close": close,
        "reference": ref,
        "reference_date": ref_date,
        **levels,
        "distance_pts": close - ref,
        "distance_pct": (close / ref - 1) * 100,
        "weeks_above_zone": run,
        "state": state,
        "confirmed_on": confirmed_on if state == "confirmed" else None,
    }


# --- The altcoin basket (TOTAL3 proxy) -----------------------------------------------------------


def basket_index(weekly: pd.DataFrame, min_history_weeks: int, min_members: int) -> pd.DataFrame:
    """An equal-weight index of the altcoins, rebased to 100.

    One row is one week: `members` is how many coins counted (a coin counts once it has
    `min_history_weeks` earlier weekly closes, and only in weeks where it has a close both this
    week and last; a gap or a stale series drops it that week), `return` the mean weekly return
    of the members (NaN with fewer than `min_members`), and `level` the chained index (NaN in
    weeks whose return is unknown; the chain resumes after a gap without the missing weeks).
    """
    returns = weekly / weekly.shift(1) - 1
    history = weekly.notna().cumsum().shift(1, fill_value=0)
    eligible = returns.notna() & (history >= min_history_weeks)
    members = eligible.sum(axis=1).astype("int64")
    mean_return = returns.where(eligible).mean(axis=1).where(members >= min_members)
    growth = (1 + mean_return.fillna(0)).cumprod()
    level = (100 * growth).where(mean_return.notna())
    return pd.DataFrame({"level": level, "return": mean_return, "members": members})


def moving_average(series: pd.Series, weeks: int) -> pd.Series:
    """Mean of the last `weeks` values; NaN unless all of them are known (no gap in the window)."""
    return series.rolling(weeks, min_periods=weeks).mean()


def pct_vs(value: pd.Series, base: pd.Series) -> pd.Series:
    """How far `value` is above (+) or below (-) `base`, in percent."""
    return (value / base - 1) * 100


def closes_at(daily_close: pd.Series, days: pd.DatetimeIndex, stale_days: int) -> pd.Series:
    """The last close on or before each day, if at most `stale_days` old (else NaN)."""
    daily_close = daily_close.dropna()
    if daily_close.empty:
        return pd.Series(np.nan, index=days)
    bar_days = pd.DatetimeIndex(daily_close.index).as_unit("ns")
    bars = pd.DataFrame({"bar": bar_days, "close": daily_close.to_numpy()})
    wanted = pd.DataFrame({"day": pd.DatetimeIndex(days).as_unit("ns")})
    joined = pd.merge_asof(wanted, bars, left_on="day", right_on="bar", direction="backward")
    fresh = (joined["day"] - joined["bar"]).dt.days <= stale_days
    return pd.Series(joined["close"].where(fresh).to_numpy(), index=days)


def altcoin_season_index(
    coin_closes: dict[str, pd.Series],
    btc_close: pd.Series,
    weeks: pd.DatetimeIndex,
    window_days: int,
    min_members: int,
    stale_days: int,
) -> pd.DataFrame:
    """The Altcoin Season Index as blockchaincenter.net defines it, on our basket.

    One row is one week: `members` is how many coins had a close both at the week's end and
    `window_days` before it, `index` the share of them (0-100) whose return over that window
    beat BTC's (NaN with fewer than `min_members`, or when BTC is unknown).
    """
    starts = weeks - pd.Timedelta(days=window_days)
    btc_perf = (
        closes_at(btc_close, weeks, stale_days).to_numpy()
        / closes_at(btc_close, starts, stale_days).to_numpy()
    )
    beats = np.zeros(len(weeks))
    members = np.zeros(len(weeks), dtype=np.int64)
    for close in coin_closes.values():
        perf = (
            closes_at(close, weeks, stale_days).to_numpy()
            / closes_at(close, starts, stale_days).to_numpy()
        )
        known = ~np.isnan(perf)
        members += known
        beats += known & (perf > btc_perf)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = 100 * beats / members
    index = np.where((members >= min_members) & ~np.isnan(btc_perf), share, np.nan)
    return pd.DataFrame({"index": index, "members": members}, index=weeks)


# --- Co-movement ---------------------------------------------------------------------------------


def rolling_correlation(a: pd.Series, b: pd.Series, weeks: int) -> pd.Series:
    """Correlation of two weekly return series over the last `weeks` weeks (all must be known).

    A week where either is unknown makes every window through it unknown; the window is never
    stretched back past the gap to find `weeks` known pairs.
    """
    return a.rolling(weeks, min_periods=weeks).corr(b.reindex(a.index))


def lead_lag(a: pd.Series, b: pd.Series, max_lag: int) -> pd.DataFrame:
    """Cross-correlation of weekly returns at lags -max_lag..+max_lag.

    One row is one lag k: `corr` is the correlation of `a` in week t with `b` in week t+k, over
    the `n` weeks where both are known. k > 0 means `a` leads `b` by k weeks.
    """
    rows = []
    for k in range(-max_lag, max_lag + 1):
        pair = pd.concat([a, b.shift(-k)], axis=1).dropna()
        corr = pair.iloc[:, 0].corr(pair.iloc[:, 1]) if len(pair) > 2 else np.nan
        rows.append({"lag": k, "corr": corr, "n": len(pair)})
    return pd.DataFrame(rows).set_index("lag")


def weekly_returns(weekly_close: pd.Series) -> pd.Series:
    """Week-on-week return; NaN when either week's close is unknown."""
    return weekly_close / weekly_close.shift(1) - 1


def fear_greed_label(value: float | None, bands: Sentiment) -> str | None:
    """alternative.me's words for a Fear & Greed value."""
    if value is None or np.isnan(value):
        return None
    if value <= bands.extreme_fear_max:
        return "Extreme Fear"
    if value <= bands.fear_max:
        return "Fear"
    if value <= bands.neutral_max:
        return "Neutral"
    if value <= bands.greed_max:
        return "Greed"
    return "Extreme Greed"


def newest_bar(daily_index: pd.DatetimeIndex, weeks: pd.DatetimeIndex) -> pd.Series:
    """For each week, the newest daily bar on or before its end (NaT if none): data freshness."""
    if len(daily_index) == 0:
        return pd.Series(pd.NaT, index=weeks, dtype="datetime64[ns]")
    bars = pd.DataFrame({"bar": pd.DatetimeIndex(daily_index).as_unit("ns")})
    wanted = pd.DataFrame({"week": pd.DatetimeIndex(weeks).as_unit("ns")})
    joined = pd.merge_asof(wanted, bars, left_on="week", right_on="bar", direction="backward")
    return pd.Series(joined["bar"].to_numpy(), index=weeks)


def compute_weekly(panel: pd.DataFrame, data: MarketData, config: Config) -> pd.DataFrame:
    """Every number a verdict needs, for every complete week in `panel`.

    One row is one complete week (index `week_ending`). Columns are prefixed by what they
    describe: `rut_*` (the Russell 2000 against its reference), `basket_*` (the altcoin basket),
    `season_*`, `eth_btc*`, `btc_*`, `fear_greed`, `vix`, `comovement_corr` (over the
    configured `window_weeks`), and `newest_*` (the newest daily bar of each input on or before
    the week's end).
    """
    weeks = pd.DatetimeIndex(panel.index)
    rut, btc, eth = config.russell.symbol, config.btc.symbol, config.eth.symbol
    coins = [s.symbol for s in config.basket]
    ref_cfg, zone, alts = config.reference, config.zone, config.alts
    crypto_stale = config.weeks.stale_days_crypto

    refs = as_of_weeks(
        reference_levels(data.close(rut), float(ref_cfg.drawdown_pct), ref_cfg.pin_date), weeks
    )
    states = russell_states(
        panel[rut],
        refs["reference"],
        refs["reference_date"],
        float(zone.half_width_pct),
        float(zone.approach_pct),
        zone.confirm_weeks,
    ).add_prefix("rut_")

    basket = basket_index(panel[coins], alts.min_history_weeks, alts.min_members).add_prefix(
        "basket_"
    )
    basket["basket_ma_fast"] = moving_average(basket["basket_level"], alts.ma_fast_weeks)
    basket["basket_ma_slow"] = moving_average(basket["basket_level"], alts.ma_slow_weeks)
    basket["basket_vs_ma_fast_pct"] = pct_vs(basket["basket_level"], basket["basket_ma_fast"])
    basket["basket_vs_ma_slow_pct"] = pct_vs(basket["basket_level"], basket["basket_ma_slow"])

    season = altcoin_season_index(
        {c: data.close(c) for c in coins},
        data.close(btc),
        weeks,
        alts.season_window_days,
        alts.min_members,
        crypto_stale,
    ).add_prefix("season_")

    out = pd.concat([states, basket, season], axis=1)
    out["btc_close"] = panel[btc]
    out["eth_btc"] = panel[eth] / panel[btc]
    out["eth_btc_ma"] = moving_average(out["eth_btc"], alts.eth_btc_ma_weeks)
    out["eth_btc_vs_ma_pct"] = pct_vs(out["eth_btc"], out["eth_btc_ma"])
    fear_stale = config.sentiment.fear_greed_stale_days
    out["fear_greed"] = closes_at(data.fear_greed, weeks, fear_stale).to_numpy()
    dominance = data.total_mcap["btc_dominance_pct"]
    out["btc_dominance_pct"] = closes_at(dominance, weeks, crypto_stale).to_numpy()
    out["vix"] = panel[config.vix.symbol]
    out["comovement_corr"] = rolling_correlation(
        weekly_returns(panel[rut]), out["basket_return"], config.comovement.window_weeks
    )
    out = pd.concat([out, newest_bars(data, config, weeks)], axis=1)
    out.index.name = "week_ending"
    return out


def newest_bars(data: MarketData, config: Config, weeks: pd.DatetimeIndex) -> pd.DataFrame:
    """One row per week: the newest daily bar of each input on or before the week's end
    (`newest_rut`, ..., `newest_basket` = the newest of any coin, `newest_fear_greed`)."""
    groups = {
        "rut": [config.russell.symbol],
        "btc": [config.btc.symbol],
        "eth": [config.eth.symbol],
        "vix": [config.vix.symbol],
        "basket": [s.symbol for s in config.basket],
    }
    out = pd.DataFrame(index=weeks)
    for key, symbols in groups.items():
        newest = [
            newest_bar(pd.DatetimeIndex(data.prices[s].index), weeks)
            for s in symbols
            if s in data.prices
        ]
        out[f"newest_{key}"] = (
            pd.concat(newest, axis=1).max(axis=1) if newest else pd.Series(pd.NaT, index=weeks)
        )
    out["newest_fear_greed"] = newest_bar(pd.DatetimeIndex(data.fear_greed.index), weeks)
    return out
