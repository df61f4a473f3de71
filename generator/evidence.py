"""Evidence: does the claim hold? The article's claims tested against all the history we have.

This is the one stage that looks forward from a week on purpose (what happened after a
breakout); it never feeds a verdict. Outputs are data; the Evidence page puts them in words.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd

from generator.cache import MarketData
from generator.config import Config
from generator.indicators import lead_lag, weekly_returns

Json = dict[str, Any]


class Conclusion(enum.Enum):
    """What the data says about a claim: the only answers the Evidence page and the API give."""

    HOLDS = "holds"
    DOES_NOT_HOLD = "does not hold"
    NOT_YET = "not yet"  # enough cases will exist once outcomes still in the future are known
    TOO_FEW_CASES = "too few cases"


@dataclass(frozen=True)
class Claim:
    """One claim of the article: its conclusion and the numbers it rests on (JSON-ready)."""

    id: str
    conclusion: Conclusion
    numbers: Json

    def to_json(self) -> Json:
        return {"id": self.id, "conclusion": self.conclusion.value, "numbers": self.numbers}


@dataclass(frozen=True)
class EvidenceReport:
    """Everything the Evidence page and api/evidence.json state, computed once."""

    as_of: dt.date
    study: Json
    lead_lag: list[Json]
    claims: tuple[Claim, ...]
    latest_breakout: Json | None
    min_events_for_conclusion: int

    def to_json(self) -> Json:
        """The one form both the page and the API are made from."""
        return {
            "as_of": self.as_of.isoformat(),
            "study": self.study,
            "lead_lag": self.lead_lag,
            "claims": [c.to_json() for c in self.claims],
            "latest_breakout": self.latest_breakout,
            "min_events_for_conclusion": self.min_events_for_conclusion,
        }


def every_case(judged: Sequence[bool], pending: int, min_cases: int) -> Conclusion:
    """The conclusion of a claim about every case: one case against it is enough to reject
    it; it holds once `min_cases` cases are judged and all agree. Cases whose outcome lies in
    the future (`pending`) make it *not yet* when they could bring the count to `min_cases`."""
    if not all(judged):
        return Conclusion.DOES_NOT_HOLD
    if len(judged) >= min_cases:
        return Conclusion.HOLDS
    if len(judged) + pending >= min_cases:
        return Conclusion.NOT_YET
    return Conclusion.TOO_FEW_CASES


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
    return cast(pd.DataFrame, events[events["reference_age_weeks"] >= min_reference_age_weeks])


def _stats(values: pd.Series) -> Json:
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


def _r(value: Any, digits: int = 1) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else round(value, digits)


def _day(value: Any) -> str | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date().isoformat()


def event_study(
    assets: Mapping[str, pd.Series], events: pd.DataFrame, horizons: Sequence[int]
) -> Json:
    """Forward returns of each asset after each event, and the same over all weeks (baseline)."""
    per_event = []
    for week, event in events.iterrows():
        row: Json = {
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
    summary: Json = {}
    for name, close in assets.items():
        summary[name] = {}
        for h in horizons:
            fwd = forward_return(close, h)
            summary[name][str(h)] = {
                "after_breakouts": _stats(fwd.reindex(events.index)),
                "all_weeks": _stats(fwd),
            }
    return {"events": per_event, "summary": summary, "horizons": list(horizons)}


def _extreme(series: pd.Series, window: tuple[str, str], highest: bool) -> Json:
    part = series.loc[window[0] : window[1]].dropna()
    if part.empty:
        return {"date": None, "value": None}
    at = part.idxmax() if highest else part.idxmin()
    return {"date": _day(at), "value": _r(part.max() if highest else part.min(), 2)}


# --- The claims, one function each ---------------------------------------------------------------


def topped_together(series: Mapping[str, pd.Series], window: tuple[str, str], month: str) -> Claim:
    """Both markets topped in `month` (YYYY-MM): each series' highest close in `window` falls
    in that month. Needs at least two series with data in the window."""
    peaks = {name: _extreme(close, window, highest=True) for name, close in series.items()}
    known = [p["date"] for p in peaks.values() if p["date"]]
    if len(known) < 2:
        conclusion = Conclusion.TOO_FEW_CASES
    else:
        same = all(d.startswith(month) for d in known)
        conclusion = Conclusion.HOLDS if same else Conclusion.DOES_NOT_HOLD
    return Claim("topped_nov_2021", conclusion, {"peaks": peaks})


def similar_bottoms(
    lows_of: Mapping[str, pd.Series],
    rut_weekly: pd.Series,
    other: pd.Series,
    against: str,
    window: tuple[str, str],
    min_corr: float,
    min_weeks: int = 11,
) -> Claim:
    """Both formed similar bottoms in `window`: the weekly log paths of the Russell 2000 and
    `other` (sampled on the Russell 2000's weeks) correlate at least `min_corr`, over at least
    `min_weeks` weeks where both are known."""
    bottoms = {name: _extreme(close, window, highest=False) for name, close in lows_of.items()}
    rut_w = rut_weekly.loc[window[0] : window[1]]
    pair = pd.concat([np.log(rut_w), np.log(other.reindex(rut_w.index))], axis=1).dropna()
    path_corr = _r(pair.iloc[:, 0].corr(pair.iloc[:, 1]), 2) if len(pair) >= min_weeks else None
    if path_corr is None:
        conclusion = Conclusion.TOO_FEW_CASES
    else:
        conclusion = Conclusion.HOLDS if path_corr >= min_corr else Conclusion.DOES_NOT_HOLD
    numbers = {"bottoms": bottoms, "path_corr": path_corr, "weeks": len(pair), "against": against}
    return Claim("similar_bottoms", conclusion, numbers)


def _is_pending(week: str, horizon_weeks: int, as_of: dt.date) -> bool:
    """The horizon after `week` ends after `as_of`: its outcome is not known yet."""
    return dt.date.fromisoformat(week) + dt.timedelta(weeks=horizon_weeks) > as_of


def explosive_after_reclaim(
    events: Sequence[Json], horizon: int, threshold: float, min_cases: int, as_of: dt.date
) -> Claim:
    """Every reclaim of multi-year resistance was followed by explosive altcoin upside: the
    basket (BTC before the basket existed) up at least `threshold` percent `horizon` weeks after
    each breakout of the event study (`events`). An outcome is `explosive` True/False, or None
    when there are no crypto prices for it; `pending` when its horizon has not passed."""
    outcomes = []
    for event in events:
        alt, used = event["returns"]["basket"][str(horizon)], "basket"
        if alt is None:
            alt, used = event["returns"]["btc"][str(horizon)], "btc"
        week = event["week_ending"]
        outcomes.append(
            {
                "week_ending": week,
                "return_pct": alt,
                "asset": used if alt is not None else None,
                "explosive": None if alt is None else alt >= threshold,
                "pending": alt is None and _is_pending(week, horizon, as_of),
            }
        )
    judged = [o["explosive"] for o in outcomes if o["explosive"] is not None]
    pending = sum(o["pending"] for o in outcomes)
    numbers = {
        "events": len(outcomes),
        "judged": len(judged),
        "hits": sum(judged),
        "pending": pending,
        "threshold_pct": threshold,
        "horizon_weeks": horizon,
        "outcomes": outcomes,
    }
    conclusion = every_case(judged, pending, min_cases)
    return Claim("explosive_after_reclaim", conclusion, numbers)


def one_to_one(lags: pd.DataFrame, min_corr: float) -> Claim:
    """The break and the alt rally line up one to one: of the lead/lag correlations of weekly
    returns (`indicators.lead_lag`), the strongest is the same week's, and it is at least
    `min_corr`."""
    table = lags.dropna(subset=["corr"])
    if table.empty:
        return Claim("one_to_one", Conclusion.TOO_FEW_CASES, {})
    best = int(cast(int, table["corr"].abs().idxmax()))
    same_week = _r(lags.loc[0, "corr"], 3) if 0 in lags.index else None
    holds = best == 0 and same_week is not None and same_week >= min_corr
    numbers = {
        "best_lag": best,
        "best_corr": _r(table.loc[best, "corr"], 3),
        "same_week_corr": same_week,
        "n": int(cast(int, lags.loc[0, "n"])) if 0 in lags.index else 0,
    }
    return Claim("one_to_one", Conclusion.HOLDS if holds else Conclusion.DOES_NOT_HOLD, numbers)


def fear_before_rally(
    fear_greed: pd.Series,
    rallies: Sequence[Json],
    window_weeks: int,
    fear_max: float,
    min_cases: int,
) -> Claim:
    """Fear peaks before the rally: before each breakout whose rally came, Fear & Greed fell
    to `fear_max` or less within `window_weeks`. `rallies` are the outcomes of
    `explosive_after_reclaim`: a breakout the rally did not follow is a case against the claim
    (there was no rally for fear to precede), one still pending is not judged yet."""
    events, judged, pending = [], [], 0
    for rally in rallies:
        week = pd.Timestamp(rally["week_ending"])
        before = fear_greed.loc[week - pd.Timedelta(weeks=window_weeks) : week]
        after = fear_greed.loc[
            week + pd.Timedelta(days=1) : week + pd.Timedelta(weeks=window_weeks)
        ]
        if before.empty:
            continue
        low = _r(before.min(), 0)
        events.append(
            {
                "week_ending": rally["week_ending"],
                "min_before": low,
                "min_before_date": _day(before.idxmin()),
                "mean_after": _r(after.mean(), 0) if not after.empty else None,
                "rally": rally["explosive"],
            }
        )
        if rally["explosive"] is not None:
            judged.append(bool(rally["explosive"]) and low is not None and low <= fear_max)
        pending += bool(rally["pending"])
    numbers = {"events": events, "window_weeks": window_weeks, "fear_max": fear_max}
    return Claim("fear_before_rally", every_case(judged, pending, min_cases), numbers)


def since_latest_breakout(
    breakouts: pd.DatetimeIndex, assets: Mapping[str, pd.Series]
) -> Json | None:
    """What actually happened after the latest confirmed breakout, so far (no conclusion)."""
    if not len(breakouts):
        return None
    week = breakouts[-1]
    latest: Json = {"week_ending": _day(week), "assets": {}}
    for name, close in assets.items():
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
    return latest


def check_claims(
    panel: pd.DataFrame,
    weekly: pd.DataFrame,
    data: MarketData,
    config: Config,
    study: Json,
    lags: pd.DataFrame,
    as_of: dt.date,
) -> tuple[Claim, ...]:
    """Each claim of the article with the data's conclusion, in the Evidence page's order."""
    ev, rut = config.evidence, config.russell.symbol
    total3, basket = data.total_mcap["total3_usd"], weekly["basket_level"]
    daily = {"rut": data.close(rut), "total3": total3, "basket": basket}
    has_total3 = bool(total3.notna().any())
    explosive = explosive_after_reclaim(
        study["events"],
        ev.explosive_horizon_weeks,
        float(ev.explosive_return_pct),
        ev.min_events_for_conclusion,
        as_of,
    )
    return (
        topped_together(daily, ev.top_window, ev.top_month),
        similar_bottoms(
            daily,
            panel[rut],
            total3 if has_total3 else basket,
            "total3" if has_total3 else "basket",
            ev.bottom_window,
            ev.bottoms_min_path_corr,
        ),
        explosive,
        one_to_one(lags, config.comovement.min_corr),
        fear_before_rally(
            data.fear_greed,
            explosive.numbers["outcomes"],
            ev.fear_window_weeks,
            config.sentiment.fear_max,
            ev.min_events_for_conclusion,
        ),
    )


def build_evidence(
    weekly: pd.DataFrame, panel: pd.DataFrame, data: MarketData, config: Config, as_of: dt.date
) -> EvidenceReport:
    """Everything the Evidence page shows, computed from all data on or before `as_of`."""
    ev = config.evidence
    events = breakout_events(weekly, ev.min_reference_age_weeks)
    assets = {
        "rut": panel[config.russell.symbol],
        "btc": panel[config.btc.symbol],
        "eth": panel[config.eth.symbol],
        "basket": weekly["basket_level"],
    }
    study = event_study(assets, events, ev.horizons_weeks)
    lags = lead_lag(
        weekly_returns(panel[config.russell.symbol]),
        weekly["basket_return"],
        config.comovement.max_lag_weeks,
    )
    return EvidenceReport(
        as_of=as_of,
        study=study,
        lead_lag=[
            {"lag": int(cast(int, k)), "corr": _r(row["corr"], 3), "n": int(row["n"])}
            for k, row in lags.iterrows()
        ],
        claims=check_claims(panel, weekly, data, config, study, lags, as_of),
        latest_breakout=since_latest_breakout(pd.DatetimeIndex(events.index), assets),
        min_events_for_conclusion=ev.min_events_for_conclusion,
    )
