"""Evidence: does the claim hold? The article's claims tested against all the history we have.

This is the one stage that looks forward from a week on purpose (what happened after a
breakout); it never feeds a verdict. Outputs are data; the Evidence page puts them in words.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

from generator.cache import MarketData
from generator.config import Config
from generator.indicators import lead_lag, weekly_returns


def forward_return(weekly_close: pd.Series, weeks: int) -> pd.Series:
    """Return from each week's close to the close `weeks` weeks later (NaN if either unknown)."""
    return weekly_close.shift(-weeks) / weekly_close - 1


def breakout_events(weekly: pd.DataFrame, min_reference_age_weeks: int) -> pd.DataFrame:
    """Weeks in which the Russell 2000 confirmed a breakout above a multi-year reference.

    One row is one event: the week the state turned `confirmed`, the reference it broke (level
    and date) and how old that reference was, in weeks. Same rules as the weekly verdict.
    """
    # The week each confirmation happened: a run that stays confirmed through an unknown week
    # is one breakout, not two.
    confirmed_on = pd.to_datetime(weekly["rut_confirmed_on"]).to_numpy()
    turned = confirmed_on == weekly.index.to_numpy()
    events = weekly.loc[turned, ["rut_close", "rut_reference", "rut_reference_date"]].copy()
    age = (events.index - events["rut_reference_date"]).dt.days / 7
    events["reference_age_weeks"] = age.round().astype("int64")
    return events[events["reference_age_weeks"] >= min_reference_age_weeks]


def _stats(values: pd.Series) -> dict:
    values = values.dropna()
    if values.empty:
        return {"n": 0, "median": None, "p25": None, "p75": None, "share_up": None}
    pct = values * 100
    return {
        "n": len(values),
        "median": round(float(pct.median()), 1),
        "p25": round(float(pct.quantile(0.25)), 1),
        "p75": round(float(pct.quantile(0.75)), 1),
        "share_up": round(float((values > 0).mean() * 100), 0),
    }


def _r(value, digits: int = 1):
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else round(value, digits)


def _day(value) -> str | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date().isoformat()


def event_study(
    weekly: pd.DataFrame, assets: dict[str, pd.Series], events: pd.DataFrame, horizons: list[int]
) -> dict:
    """Forward returns of each asset after each event, and the same over all weeks (baseline)."""
    per_event = []
    for week, event in events.iterrows():
        row = {
            "week_ending": _day(week),
            "reference": _r(event["rut_reference"], 2),
            "reference_date": _day(event["rut_reference_date"]),
            "reference_age_weeks": int(event["reference_age_weeks"]),
            "returns": {},
        }
        for name, close in assets.items():
            row["returns"][name] = {
                str(h): _r(forward_return(close, h).get(week, np.nan) * 100) for h in horizons
            }
        per_event.append(row)
    summary = {}
    for name, close in assets.items():
        summary[name] = {}
        for h in horizons:
            fwd = forward_return(close, h)
            summary[name][str(h)] = {
                "after_breakouts": _stats(fwd.reindex(events.index)),
                "all_weeks": _stats(fwd),
            }
    return {"events": per_event, "summary": summary, "horizons": horizons}


def _peak(series: pd.Series, window: tuple[str, str]) -> dict:
    part = series.loc[window[0] : window[1]].dropna()
    if part.empty:
        return {"date": None, "value": None}
    return {"date": _day(part.idxmax()), "value": _r(part.max(), 2)}


def _trough(series: pd.Series, window: tuple[str, str]) -> dict:
    part = series.loc[window[0] : window[1]].dropna()
    if part.empty:
        return {"date": None, "value": None}
    return {"date": _day(part.idxmin()), "value": _r(part.min(), 2)}


def check_claims(
    weekly: pd.DataFrame,
    panel: pd.DataFrame,
    data: MarketData,
    config: Config,
    study: dict,
    lags: pd.DataFrame,
    events: pd.DataFrame,
) -> list[dict]:
    """Each claim of the article with the data's answer (`holds`: true/false/None) and numbers."""
    ev = config.section("evidence")
    rut = data.close(config.russell.symbol)
    total3 = data.total_mcap["total3_usd"]
    basket = weekly["basket_level"]
    top_w, bottom_w = tuple(ev["top_window"]), tuple(ev["bottom_window"])
    claims = []

    # 1. Both topped in November 2021.
    peaks = {
        "rut": _peak(rut, top_w),
        "total3": _peak(total3, top_w),
        "basket": _peak(basket, top_w),
    }
    known = [p["date"] for p in peaks.values() if p["date"]]
    holds = None if len(known) < 2 else all(d.startswith("2021-11") for d in known)
    claims.append({"id": "topped_nov_2021", "holds": holds, "numbers": {"peaks": peaks}})

    # 2. Similar bottoms in 2022-2023: correlation of the rebased weekly paths.
    bottoms = {
        "rut": _trough(rut, bottom_w),
        "total3": _trough(total3, bottom_w),
        "basket": _trough(basket, bottom_w),
    }
    rut_w = panel[config.russell.symbol].loc[bottom_w[0] : bottom_w[1]]
    other = total3 if total3.notna().any() else basket
    other_w = other.reindex(rut_w.index)
    pair = pd.concat([np.log(rut_w), np.log(other_w)], axis=1).dropna()
    path_corr = _r(pair.iloc[:, 0].corr(pair.iloc[:, 1]), 2) if len(pair) > 10 else None
    claims.append(
        {
            "id": "similar_bottoms",
            "holds": None if path_corr is None else path_corr >= 0.5,
            "numbers": {
                "bottoms": bottoms,
                "path_corr": path_corr,
                "weeks": len(pair),
                "against": "total3" if total3.notna().any() else "basket",
            },
        }
    )

    # 3. Every reclaim of multi-year resistance was followed by explosive altcoin upside.
    horizon = str(int(ev["explosive_horizon_weeks"]))
    threshold = float(ev["explosive_return_pct"])
    outcomes = []
    for event in study["events"]:
        alt = event["returns"]["basket"][horizon]
        used = "basket"
        if alt is None:
            alt, used = event["returns"]["btc"][horizon], "btc"
        outcomes.append(
            {
                "week_ending": event["week_ending"],
                "return_pct": alt,
                "asset": used if alt is not None else None,
                "explosive": None if alt is None else alt >= threshold,
            }
        )
    judged = [o for o in outcomes if o["explosive"] is not None]
    hits = sum(o["explosive"] for o in judged)
    claims.append(
        {
            "id": "explosive_after_reclaim",
            "holds": None if not judged else hits == len(judged),
            "numbers": {
                "events": len(outcomes),
                "judged": len(judged),
                "hits": hits,
                "threshold_pct": threshold,
                "horizon_weeks": int(horizon),
                "outcomes": outcomes,
                "small_sample": len(judged) < int(ev["min_events_for_conclusion"]),
            },
        }
    )

    # 4. The break and the alt rally line up one to one (lead/lag of weekly returns).
    table = lags.dropna(subset=["corr"])
    if table.empty:
        claims.append({"id": "one_to_one", "holds": None, "numbers": {}})
    else:
        best = table["corr"].abs().idxmax()
        same_week = _r(lags.loc[0, "corr"], 3) if 0 in lags.index else None
        claims.append(
            {
                "id": "one_to_one",
                "holds": bool(
                    best == 0
                    and same_week is not None
                    and same_week >= config.section("comovement")["min_corr"]
                ),
                "numbers": {
                    "best_lag": int(best),
                    "best_corr": _r(table.loc[best, "corr"], 3),
                    "same_week_corr": same_week,
                    "n": int(lags.loc[0, "n"]) if 0 in lags.index else 0,
                },
            }
        )

    # 5. Fear peaks before the rally: Fear & Greed before vs after each breakout.
    window = int(ev["fear_window_weeks"])
    fear = []
    fg = data.fear_greed
    for week in events.index:
        before = fg.loc[week - pd.Timedelta(weeks=window) : week]
        after = fg.loc[week + pd.Timedelta(days=1) : week + pd.Timedelta(weeks=window)]
        if before.empty:
            continue
        fear.append(
            {
                "week_ending": _day(week),
                "min_before": _r(before.min(), 0),
                "min_before_date": _day(before.idxmin()),
                "mean_after": _r(after.mean(), 0) if not after.empty else None,
            }
        )
    fear_max = config.section("sentiment")["fear_max"]
    judged_fear = [f for f in fear if f["min_before"] is not None]
    claims.append(
        {
            "id": "fear_before_rally",
            "holds": None
            if not judged_fear
            else all(f["min_before"] <= fear_max for f in judged_fear),
            "numbers": {"events": fear, "window_weeks": window, "fear_max": fear_max},
        }
    )

    # 6. What actually happened after the latest confirmed breakout, so far.
    latest = None
    if len(events):
        week = events.index[-1]
        latest = {"week_ending": _day(week), "assets": {}}
        for name, close in (
            ("rut", panel[config.russell.symbol]),
            ("btc", panel[config.btc.symbol]),
            ("eth", panel[config.eth.symbol]),
            ("basket", basket),
        ):
            start = close.get(week, np.nan)
            after = close.loc[week:].dropna()
            if np.isnan(start) or len(after) < 2:
                latest["assets"][name] = {"return_pct": None, "through": None, "weeks": 0}
                continue
            latest["assets"][name] = {
                "return_pct": _r((after.iloc[-1] / start - 1) * 100),
                "through": _day(after.index[-1]),
                "weeks": int(len(after) - 1),
            }
    claims.append({"id": "since_latest_breakout", "holds": None, "numbers": {"latest": latest}})
    return claims


def build_evidence(
    weekly: pd.DataFrame, panel: pd.DataFrame, data: MarketData, config: Config, as_of: dt.date
) -> dict:
    """Everything the Evidence page shows, computed from all data on or before `as_of`."""
    ev = config.section("evidence")
    horizons = [int(h) for h in ev["horizons_weeks"]]
    events = breakout_events(weekly, int(ev["min_reference_age_weeks"]))
    assets = {
        "rut": panel[config.russell.symbol],
        "btc": panel[config.btc.symbol],
        "eth": panel[config.eth.symbol],
        "basket": weekly["basket_level"],
    }
    study = event_study(weekly, assets, events, horizons)
    lags = lead_lag(
        weekly_returns(panel[config.russell.symbol]),
        weekly["basket_return"],
        int(config.section("comovement")["max_lag_weeks"]),
    )
    claims = check_claims(weekly, panel, data, config, study, lags, events)
    return {
        "as_of": as_of.isoformat(),
        "study": study,
        "lead_lag": [
            {"lag": int(k), "corr": _r(row["corr"], 3), "n": int(row["n"])}
            for k, row in lags.iterrows()
        ],
        "claims": claims,
        "min_events_for_conclusion": int(ev["min_events_for_conclusion"]),
    }
