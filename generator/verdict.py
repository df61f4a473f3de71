"""The weekly verdict: one record per complete week, with the checks behind it.

Signals (ARCHITECTURE.md, "The verdict record"): ON = the Russell 2000 confirmed above its
reference and altcoins confirming; ARMED = confirmed, altcoins not yet; WATCH = approaching or
testing the reference; OFF = neither (or a breakout that failed); UNKNOWN = an input the signal
needs is missing or stale that week. Altcoins "confirm" when the basket closes above both its
fast and slow moving averages. The other checks (season index, ETH/BTC, Fear & Greed, VIX,
co-movement) are context: shown, never deciding.
"""

from __future__ import annotations

import math
from typing import Any, cast

import pandas as pd

from generator import templating
from generator.config import Alts, Config
from generator.indicators import fear_greed_label

Record = dict[str, Any]  # a verdict record, or one of its parts (generator/verdict.schema.json)
SIGNALS = ("OFF", "WATCH", "ARMED", "ON", "UNKNOWN")
# The version of the verdict record (generator/verdict.schema.json). A change to the record's
# shape gets a new version; the ledger keeps old records as they were written.
SCHEMA_VERSION = 1
CHECK_IDS = (
    "rut_confirmed",
    "rut_near",
    "alts_above_fast_ma",
    "alts_above_slow_ma",
    "season_index",
    "eth_btc_trend",
    "fear_greed",
    "vix",
    "comovement",
)


def _num(value: Any, digits: int = 2) -> float | None:
    """A JSON-safe rounded number; None for missing (NaN, NaT, None)."""
    if value is None or value is pd.NaT:
        return None
    value = float(value)
    return None if math.isnan(value) else round(value, digits)


def _day(value: Any) -> str | None:
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    return pd.Timestamp(value).date().isoformat()


def _status(condition: bool | None) -> str:
    return "unknown" if condition is None else ("pass" if condition else "fail")


def _above(value: float | None, threshold: float) -> bool | None:
    return None if value is None else value > threshold


def build_verdict(week: pd.Timestamp, row: pd.Series, config: Config, source: str) -> Record:
    """The verdict record for one week, from that week's row of `compute_weekly`."""
    rut = _rut_part(row, config.zone.confirm_weeks)
    alts = _alts_part(row, config.alts)
    fear_greed = _num(row["fear_greed"], 0)
    sentiment = {
        "fear_greed": None if fear_greed is None else int(fear_greed),
        "fear_greed_label": fear_greed_label(fear_greed, config.sentiment),
        "vix": _num(row["vix"]),
    }
    corr = _num(row["comovement_corr"], 3)
    comovement = {"corr": corr, "window_weeks": config.comovement.window_weeks}
    newest = {
        key: _day(row[f"newest_{key}"])
        for key in ("rut", "btc", "eth", "basket", "vix", "fear_greed")
    }
    week_day = week.date().isoformat()
    signal, missing = decide(rut["state"], alts["confirming"], newest, week_day)
    record = {
        "schema_version": SCHEMA_VERSION,
        "week_ending": week_day,
        "signal": signal,
        "rut": rut,
        "alts": alts,
        "sentiment": sentiment,
        "comovement": comovement,
        "checks": checks(rut, alts, sentiment, corr, config),
        "missing": missing,
        "watch": what_to_watch(signal, rut, alts),
        "data_as_of": newest,
        "source": source,
        "methodology": config.methodology_version,
    }
    record["sentence"] = templating.render("sentence.txt.j2", v=record, config=config).strip()
    return record


def _rut_part(row: pd.Series, confirm_weeks: int) -> Record:
    state = row["rut_state"] if isinstance(row["rut_state"], str) else None
    return {
        "close": _num(row["rut_close"]),
        "reference": _num(row["rut_reference"]),
        "reference_date": _day(row["rut_reference_date"]),
        "zone_bottom": _num(row["rut_zone_bottom"]),
        "zone_top": _num(row["rut_zone_top"]),
        "approach_level": _num(row["rut_approach_level"]),
        "distance_pts": _num(row["rut_distance_pts"]),
        "distance_pct": _num(row["rut_distance_pct"]),
        "weeks_above_zone": int(row["rut_weeks_above_zone"]),
        "confirm_weeks": confirm_weeks,
        "confirmed_on": _day(row["rut_confirmed_on"]),
        "state": state,
    }


def _alts_part(row: pd.Series, alts_cfg: Alts) -> Record:
    fast, slow = _num(row["basket_vs_ma_fast_pct"]), _num(row["basket_vs_ma_slow_pct"])
    eth_btc_vs = _num(row["eth_btc_vs_ma_pct"])
    season = _num(row["season_index"], 1)
    return {
        "basket_close": _num(row["basket_level"]),
        "basket_members": int(row["basket_members"]),
        "basket_ma_fast": _num(row["basket_ma_fast"]),
        "basket_ma_slow": _num(row["basket_ma_slow"]),
        "basket_vs_ma_fast_pct": fast,
        "basket_vs_ma_slow_pct": slow,
        "confirming": None if fast is None or slow is None else (fast > 0 and slow > 0),
        "season_index": season,
        "season_members": int(row["season_members"]),
        "season_label": _season_label(season, alts_cfg),
        "eth_btc": _num(row["eth_btc"], 6),
        "eth_btc_vs_ma_pct": eth_btc_vs,
        "eth_btc_trend": None if eth_btc_vs is None else ("up" if eth_btc_vs > 0 else "down"),
        "btc_close": _num(row["btc_close"]),
        "btc_dominance_pct": _num(row["btc_dominance_pct"], 1),
    }


def checks(
    rut: Record, alts: Record, sentiment: Record, corr: float | None, config: Config
) -> list[Record]:
    """Every check of the week: value, threshold, pass/fail/unknown, and whether it decides."""
    state = rut["state"]
    fast, slow = alts["basket_vs_ma_fast_pct"], alts["basket_vs_ma_slow_pct"]
    season, eth_btc_vs = alts["season_index"], alts["eth_btc_vs_ma_pct"]
    alts_cfg, sentiment_cfg, co_cfg = config.alts, config.sentiment, config.comovement
    confirmed = None if state is None else state == "confirmed"
    near = None if state is None else state in ("approaching", "testing", "confirmed")
    season_min, fear_max = float(alts_cfg.season_alt_threshold), float(sentiment_cfg.fear_max)
    vix, vix_max = sentiment["vix"], float(sentiment_cfg.vix_calm_max)
    return [
        _check("rut_confirmed", rut["close"], rut["zone_top"], confirmed, True),
        _check("rut_near", rut["distance_pct"], rut["approach_level"], near, True),
        _check("alts_above_fast_ma", fast, 0.0, _above(fast, 0.0), True),
        _check("alts_above_slow_ma", slow, 0.0, _above(slow, 0.0), True),
        _check(
            "season_index",
            season,
            season_min,
            None if season is None else season >= alts_cfg.season_alt_threshold,
            False,
        ),
        _check("eth_btc_trend", eth_btc_vs, 0.0, _above(eth_btc_vs, 0.0), False),
        _check(
            "fear_greed",
            sentiment["fear_greed"],
            fear_max,
            _above(_num(sentiment["fear_greed"], 0), fear_max),
            False,
        ),
        _check(
            "vix", vix, vix_max, None if vix is None else vix <= sentiment_cfg.vix_calm_max, False
        ),
        _check(
            "comovement",
            corr,
            float(co_cfg.min_corr),
            None if corr is None else corr >= co_cfg.min_corr,
            False,
        ),
    ]


def _season_label(season: float | None, alts_cfg: Alts) -> str | None:
    if season is None:
        return None
    if season >= alts_cfg.season_alt_threshold:
        return "altcoin season"
    if season <= alts_cfg.season_btc_threshold:
        return "bitcoin season"
    return "neither"


def _check(
    check_id: str,
    value: float | None,
    threshold: float | None,
    condition: bool | None,
    gating: bool,
) -> Record:
    return {
        "id": check_id,
        "value": value,
        "threshold": threshold,
        "status": _status(condition),
        "gating": gating,
    }


def decide(
    state: str | None,
    alts_confirming: bool | None,
    newest: dict[str, str | None],
    week: str,
) -> tuple[str, list[Record]]:
    """The signal from the Russell 2000's state and the altcoins' confirmation.

    Returns the signal and, for UNKNOWN, which input was missing: its newest bar, and whether
    it was `stale` (no bar on the week's last session) or lacked `history` (too few coins or
    weeks for the moving averages).
    """

    def missing(key: str) -> list[Record]:
        bar = newest[key]
        reason = "stale" if bar is None or bar < week else "history"
        return [{"input": key, "newest": bar, "reason": reason}]

    if state is None:
        return "UNKNOWN", missing("rut")
    if state == "confirmed":
        if alts_confirming is None:
            return "UNKNOWN", missing("basket")
        return ("ON" if alts_confirming else "ARMED"), []
    if state in ("approaching", "testing"):
        return "WATCH", []
    return "OFF", []


def what_to_watch(signal: str, rut: Record, alts: Record) -> Record:
    """The level that matters next and what would change the verdict next week.

    Before a confirmed breakout the level is the zone's top (resistance, to close above); after
    it, the reference itself (support, to hold). `next` lists (condition, level, the signal it
    would lead to); templates turn it into words.
    """
    close = rut["close"]
    support = rut["state"] == "confirmed"
    level = rut["reference"] if support else rut["zone_top"]
    gap = None if close is None or level is None else level - close
    return {
        "level": level,
        "kind": "support" if support else "resistance",
        "points": None if gap is None else round(gap, 2),
        "pct": None if gap is None else round(gap / close * 100, 2),
        "next": next_moves(signal, rut, alts),
    }


def next_moves(signal: str, rut: Record, alts: Record) -> list[Record]:
    """What would change the verdict next week: (condition, level, the signal it leads to)."""
    state = rut["state"]
    remaining = max(rut["confirm_weeks"] - rut["weeks_above_zone"], 1)
    # A confirmation next week gives ON or ARMED only if the basket is known by then.
    after_confirm = {True: "ON", False: "ARMED", None: "UNKNOWN"}[alts["confirming"]]
    above_zone = {
        "when": "close_above_zone_top",
        "level": rut["zone_top"],
        "signal": after_confirm,
        "weeks": remaining,
    }
    nxt: list[Record] = []
    if signal == "UNKNOWN":
        nxt.append({"when": "data_arrives", "level": None, "signal": None})
    if state == "confirmed":
        if signal == "ARMED":
            nxt.append({"when": "alts_above_mas", "level": alts["basket_ma_slow"], "signal": "ON"})
        elif signal == "ON":
            ma = alts["basket_ma_fast"]
            nxt.append({"when": "alts_below_ma", "level": ma, "signal": "ARMED"})
        nxt.append({"when": "close_below_reference", "level": rut["reference"], "signal": "OFF"})
    elif state == "failed":
        nxt.append(above_zone)
    elif state in ("testing", "approaching"):
        nxt.append(above_zone)
        approach = rut["approach_level"]
        nxt.append({"when": "close_below_approach", "level": approach, "signal": "OFF"})
    elif state == "below":
        approach = rut["approach_level"]
        nxt.append({"when": "close_at_or_above_approach", "level": approach, "signal": "WATCH"})
    return nxt


def verdicts_for_weeks(
    weekly: pd.DataFrame, weeks: list[pd.Timestamp], config: Config, sources: dict[Any, str]
) -> list[Record]:
    """Verdict records for the given weeks of `compute_weekly`'s frame (`sources[week]`)."""
    return [build_verdict(w, cast(pd.Series, weekly.loc[w]), config, sources[w]) for w in weeks]


def first_recordable_week(weekly: pd.DataFrame) -> pd.Timestamp | None:
    """The first week whose inputs allow every signal: a Russell 2000 state and a known basket
    against both moving averages. Backfill starts here."""
    ready = weekly["rut_state"].notna() & weekly["basket_vs_ma_slow_pct"].notna()
    ready &= weekly["basket_vs_ma_fast_pct"].notna()
    return weekly.index[ready.to_numpy()][0] if ready.any() else None
