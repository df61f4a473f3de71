"""Unit tests for generator.verdict: every signal, from decide(), from hand-made rows, and from
compute_weekly on a synthetic market whose answers are known by construction."""

from __future__ import annotations

import dataclasses
import datetime as dt
from functools import cache

import numpy as np
import pandas as pd
import pytest

from generator import market
from generator.cache import TOTAL_MCAP_COLUMNS, MarketData
from generator.config import Config, load_config
from generator.indicators import compute_weekly
from generator.verdict import (
    CHECK_IDS,
    SIGNALS,
    build_verdict,
    decide,
    first_recordable_week,
    what_to_watch,
)

WEEK = "2024-11-29"


def fresh(week: str = WEEK, **stale: str | None) -> dict[str, str | None]:
    """Every input's newest bar on the week's day, except those given."""
    newest = dict.fromkeys(("rut", "btc", "eth", "basket", "vix", "fear_greed"), week)
    return {**newest, **stale}


# --- decide() -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "alts", "signal"),
    [
        ("confirmed", True, "ON"),
        ("confirmed", False, "ARMED"),
        ("testing", None, "WATCH"),
        ("testing", False, "WATCH"),
        ("approaching", True, "WATCH"),
        ("below", True, "OFF"),
        ("below", None, "OFF"),
        ("failed", True, "OFF"),
    ],
)
def test__decide__signal_from_state_and_alts(state, alts, signal):
    assert decide(state, alts, fresh(), WEEK) == (signal, [])


@pytest.mark.parametrize(
    ("state", "newest", "missing"),
    [
        # No Russell 2000 close on the week's last session: stale, with its newest bar.
        (
            None,
            fresh(rut="2024-11-27"),
            {"input": "rut", "newest": "2024-11-27", "reason": "stale"},
        ),
        (None, fresh(rut=None), {"input": "rut", "newest": None, "reason": "stale"}),
        # A close that day but no reference yet (no 20% drawdown in the data): history.
        (None, fresh(), {"input": "rut", "newest": WEEK, "reason": "history"}),
        # Confirmed, but the basket is unknown: ON and ARMED cannot be told apart.
        (
            "confirmed",
            fresh(basket="2024-02-19"),
            {"input": "basket", "newest": "2024-02-19", "reason": "stale"},
        ),
        ("confirmed", fresh(), {"input": "basket", "newest": WEEK, "reason": "history"}),
    ],
)
def test__decide__unknown_names_the_input_and_why(state, newest, missing):
    assert decide(state, None, newest, WEEK) == ("UNKNOWN", [missing])


def test__decide__a_stale_basket_does_not_matter_below_the_level():
    assert decide("approaching", None, fresh(basket="2020-01-03"), WEEK) == ("WATCH", [])


# --- build_verdict on hand-made rows ------------------------------------------------------------

REF, TOP, BOTTOM, APPROACH = 2442.74, 2442.74 * 1.015, 2442.74 * 0.985, 2442.74 * 0.985 * 0.95


def make_row(**changes) -> pd.Series:
    """One week of compute_weekly's frame: the Russell 2000 confirmed, the basket above both
    moving averages (an ON week), every input fresh; `changes` override columns."""
    week = pd.Timestamp(WEEK)
    close = 2521.48
    row = {
        "rut_close": close,
        "rut_reference": REF,
        "rut_reference_date": pd.Timestamp("2021-11-08"),
        "rut_zone_bottom": BOTTOM,
        "rut_zone_top": TOP,
        "rut_approach_level": APPROACH,
        "rut_distance_pts": close - REF,
        "rut_distance_pct": (close / REF - 1) * 100,
        "rut_weeks_above_zone": 2,
        "rut_state": "confirmed",
        "rut_confirmed_on": week,
        "basket_level": 150.0,
        "basket_return": 0.01,
        "basket_members": 17,
        "basket_ma_fast": 140.0,
        "basket_ma_slow": 120.0,
        "basket_vs_ma_fast_pct": 150 / 140 * 100 - 100,
        "basket_vs_ma_slow_pct": 25.0,
        "season_index": 61.11111,
        "season_members": 18,
        "btc_close": 97000.0,
        "eth_btc": 0.0371234567,
        "eth_btc_ma": 0.036,
        "eth_btc_vs_ma_pct": 3.12,
        "fear_greed": 78.0,
        "btc_dominance_pct": 56.78,
        "vix": 13.5,
        "comovement_corr": 0.4567,
        **{f"newest_{k}": week for k in ("rut", "btc", "eth", "vix", "basket", "fear_greed")},
    }
    row.update(changes)
    return pd.Series(row, dtype="object")


def below_row(close: float = 1682.40, **changes) -> pd.Series:
    """A week under the level (state `below` unless `changes` say otherwise)."""
    below = {
        "rut_close": close,
        "rut_distance_pts": close - REF,
        "rut_distance_pct": (close / REF - 1) * 100,
        "rut_weeks_above_zone": 0,
        "rut_state": "below",
        "rut_confirmed_on": None,
    }
    return make_row(**{**below, **changes})


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config()


def verdict(row: pd.Series, config: Config, source: str = "live") -> dict:
    return build_verdict(pd.Timestamp(WEEK), row, config, source)


def checks(record: dict) -> dict[str, str]:
    return {c["id"]: c["status"] for c in record["checks"]}


def test__build_verdict__on(config):
    v = verdict(make_row(), config)
    assert v["signal"] == "ON"
    assert v["missing"] == []
    assert v["week_ending"] == WEEK
    assert v["source"] == "live"
    assert v["methodology"] == config.methodology_version
    assert v["rut"]["state"] == "confirmed"
    assert v["rut"]["confirmed_on"] == WEEK
    assert v["rut"]["reference_date"] == "2021-11-08"
    assert v["rut"]["zone_top"] == 2479.38
    assert v["rut"]["distance_pct"] == 3.22
    assert v["alts"]["confirming"] is True
    assert v["alts"]["season_index"] == 61.1
    assert v["alts"]["season_label"] == "neither"
    assert v["alts"]["eth_btc"] == 0.037123
    assert v["alts"]["eth_btc_trend"] == "up"
    assert v["sentiment"] == {"fear_greed": 78, "fear_greed_label": "Extreme Greed", "vix": 13.5}
    assert v["comovement"] == {"corr": 0.457, "window_weeks": 52}
    assert [c["id"] for c in v["checks"]] == list(CHECK_IDS)
    assert checks(v) == {
        "rut_confirmed": "pass",
        "rut_near": "pass",
        "alts_above_fast_ma": "pass",
        "alts_above_slow_ma": "pass",
        "season_index": "fail",
        "eth_btc_trend": "pass",
        "fear_greed": "pass",
        "vix": "pass",
        "comovement": "pass",
    }
    gating = {c["id"] for c in v["checks"] if c["gating"]}
    assert gating == {"rut_confirmed", "rut_near", "alts_above_fast_ma", "alts_above_slow_ma"}
    assert v["sentence"].startswith("On: ")
    assert "2,442.74" in v["sentence"] and "2021-11-08" in v["sentence"]


def test__build_verdict__armed_when_the_basket_is_under_a_moving_average(config):
    v = verdict(make_row(basket_vs_ma_fast_pct=-2.5), config)
    assert v["signal"] == "ARMED"
    assert v["alts"]["confirming"] is False
    assert checks(v)["alts_above_fast_ma"] == "fail"
    assert v["sentence"].startswith("Armed: ")
    minus = "\N{MINUS SIGN}"  # the sentence prints a real minus sign
    assert f"{minus}2.5%" in v["sentence"] and "+25.0%" in v["sentence"]


@pytest.mark.parametrize(("close", "state"), [(2434.73, "testing"), (2399.64, "approaching")])
def test__build_verdict__watch_near_the_level(config, close, state):
    row = below_row(close, rut_state=state)
    v = verdict(row, config)
    assert v["signal"] == "WATCH"
    assert checks(v)["rut_confirmed"] == "fail"
    assert checks(v)["rut_near"] == "pass"
    assert v["sentence"].startswith("Watch: ")
    assert f"{close:,.2f}" in v["sentence"]
    assert ("not yet confirmed" in v["sentence"]) == (state == "testing")


def test__build_verdict__off_below_the_level(config):
    v = verdict(below_row(), config)
    assert v["signal"] == "OFF"
    assert checks(v)["rut_near"] == "fail"
    assert v["rut"]["distance_pct"] == -31.13
    assert v["sentence"] == (
        "Off: the Russell 2000 closed at 1,682.40, 31.1% below its 2021-11-08 high of 2,442.74; "
        "no breakout is near."
    )


def test__build_verdict__off_after_a_failed_breakout(config):
    v = verdict(below_row(2400.0, rut_state="failed"), config)
    assert v["signal"] == "OFF"
    assert v["rut"]["state"] == "failed"
    assert "failed" in v["sentence"] and "2,400.00" in v["sentence"]


def test__build_verdict__unknown_stale_basket(config):
    row = make_row(
        basket_level=np.nan,
        basket_members=0,
        basket_ma_fast=np.nan,
        basket_ma_slow=np.nan,
        basket_vs_ma_fast_pct=np.nan,
        basket_vs_ma_slow_pct=np.nan,
        newest_basket=pd.Timestamp("2024-02-19"),
    )
    v = verdict(row, config)
    assert v["signal"] == "UNKNOWN"
    assert v["missing"] == [{"input": "basket", "newest": "2024-02-19", "reason": "stale"}]
    assert v["alts"]["confirming"] is None
    assert v["alts"]["basket_close"] is None
    assert checks(v)["alts_above_fast_ma"] == "unknown"
    assert checks(v)["rut_confirmed"] == "pass"
    assert v["data_as_of"]["basket"] == "2024-02-19"
    assert "altcoin basket has no data for the week ending 2024-11-29" in v["sentence"]
    assert "2024-02-19" in v["sentence"]


def test__build_verdict__unknown_basket_history(config):
    row = make_row(basket_vs_ma_slow_pct=np.nan, basket_ma_slow=np.nan, basket_members=3)
    v = verdict(row, config)
    assert v["signal"] == "UNKNOWN"
    assert v["missing"] == [{"input": "basket", "newest": WEEK, "reason": "history"}]
    assert "not yet have enough coins or weeks of history" in v["sentence"]


def test__build_verdict__unknown_stale_russell(config):
    row = below_row(
        np.nan,
        rut_state=None,
        rut_distance_pts=np.nan,
        rut_distance_pct=np.nan,
        newest_rut=pd.Timestamp("2024-11-27"),
    )
    v = verdict(row, config)
    assert v["signal"] == "UNKNOWN"
    assert v["missing"] == [{"input": "rut", "newest": "2024-11-27", "reason": "stale"}]
    assert v["rut"]["state"] is None and v["rut"]["close"] is None
    assert checks(v)["rut_confirmed"] == "unknown" and checks(v)["rut_near"] == "unknown"
    assert v["sentence"].startswith(
        "Unknown: the Russell 2000 has no data for the week ending 2024-11-29"
    )


def test__build_verdict__unknown_context_is_null_and_never_decides(config):
    row = make_row(
        fear_greed=np.nan,
        vix=np.nan,
        comovement_corr=np.nan,
        season_index=np.nan,
        eth_btc=np.nan,
        eth_btc_vs_ma_pct=np.nan,
        btc_dominance_pct=np.nan,
        newest_fear_greed=pd.NaT,
    )
    v = verdict(row, config)
    assert v["signal"] == "ON"
    assert v["sentiment"] == {"fear_greed": None, "fear_greed_label": None, "vix": None}
    assert v["alts"]["eth_btc_trend"] is None and v["alts"]["season_label"] is None
    for check in ("season_index", "eth_btc_trend", "fear_greed", "vix", "comovement"):
        assert checks(v)[check] == "unknown"
    assert v["data_as_of"]["fear_greed"] is None


def test__build_verdict__record_is_plain_json(config):
    import json

    v = verdict(make_row(), config, source="backfill")
    assert json.loads(json.dumps(v, allow_nan=False)) == v
    assert v["source"] == "backfill"


# --- what_to_watch ------------------------------------------------------------------------------


def rut_dict(close: float, state: str, weeks_above: int = 0) -> dict:
    return {
        "close": close,
        "reference": 100.0,
        "zone_top": 101.5,
        "approach_level": 93.58,
        "weeks_above_zone": weeks_above,
        "confirm_weeks": 2,
        "state": state,
    }


ALTS_ON = {"confirming": True, "basket_ma_fast": 140.0, "basket_ma_slow": 120.0}
ALTS_OFF = {**ALTS_ON, "confirming": False}
ALTS_UNKNOWN = {**ALTS_ON, "confirming": None}


def test__what_to_watch__below_names_the_approach_level():
    w = what_to_watch("OFF", rut_dict(80.0, "below"), ALTS_ON)
    assert (w["level"], w["kind"], w["points"], w["pct"]) == (101.5, "resistance", 21.5, 26.88)
    assert w["next"] == [{"when": "close_at_or_above_approach", "level": 93.58, "signal": "WATCH"}]


def test__what_to_watch__testing_counts_the_weeks_still_needed():
    w = what_to_watch("WATCH", rut_dict(102.0, "testing", weeks_above=1), ALTS_OFF)
    assert w["level"] == 101.5 and w["kind"] == "resistance"
    assert w["points"] == -0.5
    assert w["next"] == [
        {"when": "close_above_zone_top", "level": 101.5, "signal": "ARMED", "weeks": 1},
        {"when": "close_below_approach", "level": 93.58, "signal": "OFF"},
    ]
    approaching = what_to_watch("WATCH", rut_dict(95.0, "approaching"), ALTS_ON)
    assert approaching["next"][0]["weeks"] == 2
    assert approaching["next"][0]["signal"] == "ON"


def test__what_to_watch__a_confirmation_with_unknown_alts_would_be_unknown():
    """With the basket unknown, two closes above the zone give UNKNOWN, not ARMED."""
    w = what_to_watch("WATCH", rut_dict(99.0, "testing"), ALTS_UNKNOWN)
    assert w["next"][0] == {
        "when": "close_above_zone_top",
        "level": 101.5,
        "signal": "UNKNOWN",
        "weeks": 2,
    }
    assert decide("confirmed", None, fresh(basket="2024-01-01"), WEEK)[0] == "UNKNOWN"


def test__what_to_watch__after_a_breakout_the_reference_is_support():
    armed = what_to_watch("ARMED", rut_dict(110.0, "confirmed", 5), ALTS_OFF)
    assert (armed["level"], armed["kind"], armed["points"]) == (100.0, "support", -10.0)
    assert armed["next"] == [
        {"when": "alts_above_mas", "level": 120.0, "signal": "ON"},
        {"when": "close_below_reference", "level": 100.0, "signal": "OFF"},
    ]
    on = what_to_watch("ON", rut_dict(110.0, "confirmed", 5), ALTS_ON)
    assert on["next"][0] == {"when": "alts_below_ma", "level": 140.0, "signal": "ARMED"}
    unknown = what_to_watch("UNKNOWN", rut_dict(110.0, "confirmed", 5), ALTS_UNKNOWN)
    assert [n["when"] for n in unknown["next"]] == ["data_arrives", "close_below_reference"]


def test__what_to_watch__failed_counts_the_weeks_already_above_the_zone():
    """Failed, with one close above the zone already: one more such close re-confirms."""
    w = what_to_watch("OFF", rut_dict(102.0, "failed", weeks_above=1), ALTS_ON)
    assert w["next"] == [
        {"when": "close_above_zone_top", "level": 101.5, "signal": "ON", "weeks": 1}
    ]
    below_ref = what_to_watch("OFF", rut_dict(95.0, "failed"), ALTS_ON)
    assert below_ref["next"][0]["weeks"] == 2


def test__what_to_watch__unknown_russell_has_no_level():
    rut = {**rut_dict(100.0, None), "close": None}
    w = what_to_watch("UNKNOWN", rut, ALTS_ON)
    assert w["points"] is None and w["pct"] is None
    assert w["next"] == [{"when": "data_arrives", "level": None, "signal": None}]


# --- From compute_weekly on a synthetic market --------------------------------------------------

# Weekly closes of the Russell 2000 (every session of a week closes at that week's value), first
# 22 NYSE weeks of 2023. The top is 2000 (first on Monday 2023-01-30); 1600 on Monday 2023-02-27
# is the 20% drawdown that makes 2000 the reference (zone 1970..2030, approaching from 1871.5);
# it falls 25%, to 1500, the week after. A later, higher close (2060) is a new top but not
# followed by a new 20% drawdown, so 2000 stays the reference.
RUT_WEEKS = [1600, 1700, 1800, 1900, 2000, 1900, 1800, 1700, 1600, 1500, 1600, 1700, 1800,
             1880, 1990, 2040, 2050, 2060, 2010, 1990, 2040, 2045]  # fmt: skip
FIRST_DAY, LAST_DAY = dt.date(2023, 1, 2), dt.date(2023, 6, 2)
NYSE_HOLIDAYS = ["2023-01-02", "2023-01-16", "2023-02-20", "2023-04-07", "2023-05-29"]
RUT_MISSING_DAY = pd.Timestamp("2023-03-24")  # no bar on week 11's Friday: unknown that week
POKE_DAY = pd.Timestamp("2023-04-12")  # week 14: intraday high 2200, close 1990
CRYPTO_STOP = pd.Timestamp("2023-04-26")  # "stale": crypto ends on the Wednesday of week 16

# The signal per week: UNKNOWN before the reference exists; OFF below; UNKNOWN in week 11 (no
# close); WATCH approaching (week 13, the Good Friday week ending Thursday 2023-04-06) and
# testing (14: the intraday poke to 2200 is not a breakout; 15: one close above the zone);
# confirmed in 16-18 (ON/ARMED/UNKNOWN by the basket); failed in 19 (1990 < 2000) and 20 (one
# close above the zone again); re-confirmed in 21.
BY_BASKET = "ON, ARMED or UNKNOWN, as the basket says"
SIGNALS_BY_WEEK = ["UNKNOWN"] * 8 + ["OFF"] * 3 + ["UNKNOWN", "OFF"] + ["WATCH"] * 3
SIGNALS_BY_WEEK += [BY_BASKET] * 3 + ["OFF", "OFF", BY_BASKET]
STATES_BY_WEEK = [None] * 8 + ["below"] * 3 + [None, "below", "approaching", "testing", "testing"]
STATES_BY_WEEK += ["confirmed"] * 3 + ["failed", "failed", "confirmed"]


def small_config(config: Config) -> Config:
    """Three basket coins and short windows, so a few months of data allow every signal."""
    alts = dataclasses.replace(
        config.alts,
        min_history_weeks=2,
        min_members=2,
        ma_fast_weeks=3,
        ma_slow_weeks=5,
        eth_btc_ma_weeks=3,
    )
    comovement = dataclasses.replace(config.comovement, window_weeks=4)
    return dataclasses.replace(config, alts=alts, comovement=comovement, basket=config.basket[:3])


def bars(closes: pd.Series) -> pd.DataFrame:
    index = pd.DatetimeIndex(closes.index, name="date").as_unit("ns")
    values = closes.to_numpy("float64")
    return pd.DataFrame(
        {"open": values, "high": values, "low": values, "close": values, "volume": np.nan},
        index=index,
    )


def synthetic_market(config: Config, crypto: str) -> MarketData:
    """The Russell 2000 as RUT_WEEKS says; crypto every UTC day, rising 1%/day ("rising"),
    falling 1%/day ("falling"), or rising but ending on CRYPTO_STOP ("stale")."""
    sessions = pd.bdate_range(FIRST_DAY, LAST_DAY).drop(pd.DatetimeIndex(NYSE_HOLIDAYS))
    ends = market.week_ends(FIRST_DAY, LAST_DAY)
    week_of = np.searchsorted(ends.to_numpy(), sessions.to_numpy())
    rut = pd.Series(np.array(RUT_WEEKS, dtype="float64")[week_of], index=sessions)
    rut_bars = bars(rut.drop(RUT_MISSING_DAY))
    rut_bars.loc[POKE_DAY, "high"] = 2200.0
    days = pd.date_range("2022-10-01", LAST_DAY, freq="D")
    step = 0.99 if crypto == "falling" else 1.01
    growth = step ** np.arange(len(days))
    prices = {config.russell.symbol: rut_bars}
    coins = [config.btc.symbol, config.eth.symbol, *(s.symbol for s in config.basket)]
    for i, symbol in enumerate(coins):
        series = pd.Series((i + 1) * 10.0 * growth ** (1 + i / 10), index=days)
        if crypto == "stale":
            series = series.loc[:CRYPTO_STOP]
        prices[symbol] = bars(series)
    fear_greed = pd.Series(30.0, index=pd.DatetimeIndex(days, name="date").as_unit("ns"))
    total_mcap = pd.DataFrame(
        {c: pd.Series(dtype="float64") for c in TOTAL_MCAP_COLUMNS},
        index=pd.DatetimeIndex([], name="date", dtype="datetime64[ns]"),
    )
    return MarketData(prices=prices, fear_greed=fear_greed, total_mcap=total_mcap)


@cache
def synthetic_verdicts(crypto: str) -> tuple[pd.DataFrame, list[dict]]:
    config = small_config(load_config())
    data = synthetic_market(config, crypto)
    panel = market.weekly_panel(data, config, LAST_DAY)
    weekly = compute_weekly(panel, data, config)
    return weekly, [build_verdict(w, weekly.loc[w], config, "backfill") for w in weekly.index]


@pytest.mark.parametrize(
    ("crypto", "confirmed_signal"), [("rising", "ON"), ("falling", "ARMED"), ("stale", "UNKNOWN")]
)
def test__build_verdict__every_signal_from_a_synthetic_market(crypto, confirmed_signal):
    _, records = synthetic_verdicts(crypto)
    assert len(records) == len(RUT_WEEKS)
    expected = [confirmed_signal if s == BY_BASKET else s for s in SIGNALS_BY_WEEK]
    assert [r["signal"] for r in records] == expected
    assert [r["rut"]["state"] for r in records] == STATES_BY_WEEK


def test__build_verdict__the_synthetic_market_gives_every_signal():
    seen = {r["signal"] for crypto in ("rising", "falling") for r in synthetic_verdicts(crypto)[1]}
    assert seen == set(SIGNALS)


def test__build_verdict__synthetic_reference_and_zone():
    _, records = synthetic_verdicts("rising")
    week8 = records[8]
    assert week8["week_ending"] == "2023-03-03"
    assert week8["rut"]["reference"] == 2000.0
    assert week8["rut"]["reference_date"] == "2023-01-30"
    assert (week8["rut"]["zone_bottom"], week8["rut"]["zone_top"]) == (1970.0, 2030.0)
    assert week8["rut"]["distance_pct"] == -20.0
    # The new top of 2060 (week 17) is not followed by a 20% drawdown: still the old reference.
    assert {r["rut"]["reference"] for r in records[8:]} == {2000.0}
    assert records[16]["rut"]["confirmed_on"] == "2023-04-28"
    assert records[21]["rut"]["confirmed_on"] == "2023-06-02"
    # Failed with one close above the zone already (week 20): one more re-confirms.
    assert records[20]["watch"]["next"] == [
        {"when": "close_above_zone_top", "level": 2030.0, "signal": "ON", "weeks": 1}
    ]


def test__build_verdict__synthetic_unknown_weeks_say_why():
    _, records = synthetic_verdicts("stale")
    assert records[0]["missing"] == [{"input": "rut", "newest": "2023-01-06", "reason": "history"}]
    assert records[11]["week_ending"] == "2023-03-24"
    assert records[11]["missing"] == [{"input": "rut", "newest": "2023-03-23", "reason": "stale"}]
    assert "2023-03-23" in records[11]["sentence"]
    for r in records[16:19] + records[21:]:
        assert r["missing"] == [{"input": "basket", "newest": "2023-04-26", "reason": "stale"}]
        assert "altcoin basket has no data for the week ending " + r["week_ending"] in r["sentence"]


def test__build_verdict__synthetic_intraday_poke_is_not_a_breakout():
    _, records = synthetic_verdicts("rising")
    poke_week = records[14]
    assert poke_week["week_ending"] == "2023-04-14"
    assert poke_week["rut"]["close"] == 1990.0
    assert poke_week["rut"]["state"] == "testing"
    assert poke_week["rut"]["weeks_above_zone"] == 0
    assert records[15]["rut"]["weeks_above_zone"] == 1
    assert records[15]["signal"] == "WATCH"


def test__build_verdict__synthetic_holiday_week_ends_on_thursday():
    """Good Friday 2023-04-07: the week ends on Thursday, and crypto is sampled that day."""
    _, records = synthetic_verdicts("rising")
    holiday = records[13]
    assert holiday["week_ending"] == "2023-04-06"
    assert holiday["rut"]["close"] == 1880.0
    assert holiday["signal"] == "WATCH"
    assert holiday["data_as_of"]["btc"] == "2023-04-06"
    btc = synthetic_market(small_config(load_config()), "rising").close("BTC-USD")
    assert holiday["alts"]["btc_close"] == round(btc.loc["2023-04-06"], 2)


def test__first_recordable_week__needs_a_state_and_both_moving_averages():
    weekly, _ = synthetic_verdicts("rising")
    assert first_recordable_week(weekly) == pd.Timestamp("2023-03-03")
    stale_weekly, _ = synthetic_verdicts("stale")
    assert first_recordable_week(stale_weekly.iloc[:8]) is None
