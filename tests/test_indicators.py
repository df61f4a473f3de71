"""Unit tests for generator.indicators: tiny synthetic series with answers known by construction."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

from generator import indicators, market
from generator.config import Sentiment
from generator.indicators import (
    altcoin_season_index,
    as_of_weeks,
    basket_index,
    lead_lag,
    moving_average,
    reference_levels,
    rolling_correlation,
    russell_states,
)

NaN = np.nan


def days(n: int, start: str = "2024-01-01") -> pd.DatetimeIndex:
    """`n` business days from `start` (a Monday), named like the price cache's index."""
    return pd.bdate_range(start, periods=n, name="date")


def fridays(n: int, start: str = "2024-01-05") -> pd.DatetimeIndex:
    return pd.date_range(start, periods=n, freq="7D", name="week_ending")


# --- The Russell 2000 reference -----------------------------------------------------------------

# Day by day: a top (120 on day 2), a 25% drawdown (96 = 20% is first crossed on day 4, 90 on
# day 5), a recovery to a lower high (119 on day 7) and a >20% fall from it (95 on day 9: 20.2%
# under 119, but only 20.8% under 120, so still the same reference), a new top (130 on day 12)
# and a new 23% drawdown (100 on day 14) that replaces the reference.
TOP_DRAWDOWN_CLOSES = [100, 110, 120, 105, 95, 90, 100, 119, 100, 95, 118, 121, 130, 110, 100]


def test__reference_levels__top_drawdown_recovery_lower_high_and_new_top():
    close = pd.Series(TOP_DRAWDOWN_CLOSES, index=days(15), dtype="float64")
    out = reference_levels(close, drawdown_pct=20.0)
    d = close.index
    expected = pd.DataFrame(
        {
            "reference": [NaN] * 4 + [120.0] * 10 + [130.0],
            "reference_date": [pd.NaT] * 4 + [d[2]] * 10 + [d[12]],
        },
        index=d,
    )
    expected["reference_date"] = expected["reference_date"].astype("datetime64[ns]")
    pdt.assert_frame_equal(out, expected)


def test__reference_levels__a_drawdown_short_of_the_threshold_sets_nothing():
    # 120 -> 97 is a 19.2% drawdown: no reference yet.
    close = pd.Series([100, 120, 97, 110, 98], index=days(5), dtype="float64")
    out = reference_levels(close, drawdown_pct=20.0)
    assert out["reference"].isna().all()
    assert out["reference_date"].isna().all()
    # The threshold is configurable: 15% is crossed on day 2.
    out15 = reference_levels(close, drawdown_pct=15.0)
    assert out15["reference"].tolist()[2:] == [120.0, 120.0, 120.0]


def test__reference_levels__uses_closes_not_intraday_highs():
    """An intraday poke (a high of 150 on day 7, closing at 119) neither becomes the top nor
    replaces the reference when the next days fall more than 20% under that high."""
    d = days(15)
    close = pd.Series(TOP_DRAWDOWN_CLOSES, index=d, dtype="float64")
    frame = pd.DataFrame({"high": close + 1.0, "close": close})
    frame.loc[d[7], "high"] = 150.0  # 95 on day 9 is 36.7% under this high
    out = reference_levels(frame["close"], drawdown_pct=20.0)
    assert out.loc[d[9], "reference"] == 120.0
    assert out.loc[d[9], "reference_date"] == d[2]


def test__reference_levels__a_daily_close_inside_the_week_counts():
    """The reference is the highest daily close, even when that week closed lower."""
    d = days(10)  # Mon 2024-01-01 .. Fri 2024-01-12
    close = pd.Series([100, 105, 125, 110, 115, 100, 95, 90, 92, 94], index=d, dtype="float64")
    refs = reference_levels(close, drawdown_pct=20.0)
    weekly = as_of_weeks(refs, pd.DatetimeIndex(["2024-01-05", "2024-01-12"]))
    assert weekly["reference"].tolist()[1] == 125.0  # a Wednesday close; that Friday was 115
    assert weekly["reference_date"].iloc[1] == pd.Timestamp("2024-01-03")
    assert np.isnan(weekly["reference"].iloc[0])  # 110 on Thursday is only 12% under 125


def test__reference_levels__pin_date_overrides_the_automatic_reference():
    close = pd.Series(TOP_DRAWDOWN_CLOSES, index=days(15), dtype="float64")
    d = close.index
    out = reference_levels(close, drawdown_pct=20.0, pin_date=d[7].date())
    assert out["reference"].isna().sum() == 7
    assert (out["reference"].iloc[7:] == 119.0).all()  # even after the new top and drawdown
    assert (out["reference_date"].iloc[7:] == d[7]).all()


def test__reference_levels__pin_date_without_a_close_is_an_error():
    close = pd.Series(TOP_DRAWDOWN_CLOSES, index=days(15), dtype="float64")
    with pytest.raises(ValueError, match="2024-01-06"):
        reference_levels(close, drawdown_pct=20.0, pin_date=dt.date(2024, 1, 6))  # a Saturday


def test__as_of_weeks__takes_the_last_day_on_or_before_each_week():
    daily = pd.DataFrame(
        {"x": [1.0, 2.0, 3.0]}, index=pd.to_datetime(["2024-01-02", "2024-01-04", "2024-01-10"])
    )
    out = as_of_weeks(daily, pd.DatetimeIndex(["2024-01-01", "2024-01-05", "2024-01-12"]))
    assert out["x"].tolist()[1:] == [2.0, 3.0]
    assert np.isnan(out["x"].iloc[0])


# --- Russell 2000 states ------------------------------------------------------------------------

D1, D2 = pd.Timestamp("2023-06-01"), pd.Timestamp("2023-11-01")

# (close, reference, reference date, state, weeks above the zone, confirmed on week #).
# Reference 100: zone 98.5..101.5, `approaching` from 93.575. Reference 120: zone 118.2..121.8,
# `approaching` from 112.29. Two weekly closes above the zone's top confirm.
STATE_WEEKS = [
    (90.0, 100.0, D1, "below", 0, None),
    (94.0, 100.0, D1, "approaching", 0, None),
    (99.0, 100.0, D1, "testing", 0, None),
    (102.0, 100.0, D1, "testing", 1, None),  # one close above the zone is not enough
    (103.0, 100.0, D1, "confirmed", 2, 4),
    (100.0, 100.0, D1, "confirmed", 0, 4),  # back in the zone but not below the reference
    (99.5, 100.0, D1, "failed", 0, None),  # closed back below the reference
    (80.0, 100.0, D1, "failed", 0, None),  # stays failed, not `below`
    (102.0, 100.0, D1, "failed", 1, None),
    (NaN, 100.0, D1, None, 0, None),  # unknown week: breaks the run
    (102.0, 100.0, D1, "failed", 1, None),  # would be the 2nd week above without the break
    (103.0, 100.0, D1, "confirmed", 2, 11),  # re-confirmation
    (104.0, 100.0, D1, "confirmed", 3, 11),
    (104.0, 120.0, D2, "below", 0, None),  # a new reference resets everything
    (118.5, 120.0, D2, "testing", 0, None),
    (114.0, 120.0, D2, "approaching", 0, None),
    (NaN, NaN, pd.NaT, None, 0, None),  # no reference at all: unknown
]


def states_frame() -> pd.DataFrame:
    weeks = fridays(len(STATE_WEEKS))
    columns = ["close", "reference", "reference_date", "state", "weeks", "confirmed_at"]
    table = pd.DataFrame(STATE_WEEKS, columns=columns, index=weeks)
    table["reference_date"] = pd.to_datetime(table["reference_date"])
    return table


def run_states(table: pd.DataFrame, confirm_weeks: int = 2) -> pd.DataFrame:
    return russell_states(
        table["close"],
        table["reference"],
        table["reference_date"],
        half_width_pct=1.5,
        approach_pct=5.0,
        confirm_weeks=confirm_weeks,
    )


def test__russell_states__every_state_by_construction():
    table = states_frame()
    out = run_states(table)
    weeks = table.index
    assert out["state"].tolist() == table["state"].tolist()
    assert out["weeks_above_zone"].tolist() == table["weeks"].tolist()
    expected_on = [None if pd.isna(i) else weeks[int(i)] for i in table["confirmed_at"]]
    assert [None if pd.isna(x) else x for x in out["confirmed_on"]] == expected_on
    assert set(out["state"].dropna()) == set(indicators.STATES)


def test__russell_states__zone_levels_and_distance():
    out = run_states(states_frame())
    first, new_ref = out.iloc[0], out.iloc[13]
    assert first["zone_bottom"] == pytest.approx(98.5)
    assert first["zone_top"] == pytest.approx(101.5)
    assert first["approach_level"] == pytest.approx(93.575)
    assert first["distance_pts"] == pytest.approx(-10.0)
    assert first["distance_pct"] == pytest.approx(-10.0)
    assert new_ref["zone_bottom"] == pytest.approx(118.2)
    assert new_ref["zone_top"] == pytest.approx(121.8)
    assert new_ref["distance_pct"] == pytest.approx((104 / 120 - 1) * 100)
    assert new_ref["reference_date"] == D2


def test__russell_states__confirm_weeks_is_the_rule():
    """With a 3-week rule, the 2nd close above the zone is still `testing`."""
    table = states_frame().iloc[:6]
    out = run_states(table, confirm_weeks=3)
    assert out["state"].tolist() == [
        "below",
        "approaching",
        "testing",
        "testing",
        "testing",
        "testing",
    ]
    one = run_states(table, confirm_weeks=1)
    assert one["state"].iloc[3] == "confirmed"


def test__russell_states__a_close_at_the_zone_top_is_not_above_it():
    """`confirmed` needs closes strictly above the zone's top (computed as the code does)."""
    weeks = fridays(3)
    top = 2442.74 * (1 + 1.5 / 100)
    close = pd.Series([top, top, top], index=weeks)
    ref = pd.Series(2442.74, index=weeks)
    out = russell_states(close, ref, pd.Series(D1, index=weeks), 1.5, 5.0, 2)
    assert out["state"].tolist() == ["testing"] * 3
    assert out["weeks_above_zone"].tolist() == [0, 0, 0]


# --- The altcoin basket -------------------------------------------------------------------------


def test__basket_index__membership_gaps_and_min_members():
    """A joins after 2 earlier closes; B has a gap in week 3 (out in weeks 3 and 4: no return
    either week); C starts in week 2 (in from week 4). With 2 members needed, week 3 is unknown
    and the chained level resumes after it."""
    weekly = pd.DataFrame(
        {
            "A": [10, 11, 12.1, 12.1, 13.31, 13.31],
            "B": [20, 20, 22, NaN, 22, 24.2],
            "C": [NaN, NaN, 5, 5.5, 6.05, 6.655],
        },
        index=fridays(6),
    )
    out = basket_index(weekly, min_history_weeks=2, min_members=2)
    expected = pd.DataFrame(
        {
            "level": [NaN, NaN, 110.0, NaN, 121.0, 121.0 * (1 + 0.2 / 3)],
            "return": [NaN, NaN, 0.1, NaN, 0.1, 0.2 / 3],
            "members": [0, 0, 2, 1, 2, 3],
        },
        index=weekly.index,
    )
    pdt.assert_frame_equal(out, expected)


def test__basket_index__a_stale_coin_drops_out_that_week():
    """Coin S's last daily bar is the Wednesday of the 3rd week: with no bar on that Friday its
    weekly close is unknown (never carried forward), so it leaves the basket."""
    ends = market.week_ends(dt.date(2024, 1, 1), dt.date(2024, 1, 26))
    crypto_days = pd.date_range("2023-12-30", "2024-01-26", freq="D")
    growth = pd.Series(np.arange(len(crypto_days), dtype="float64"), index=crypto_days)
    fresh = 100 + growth
    stale = (50 + growth).loc[:"2024-01-17"]
    panel = pd.DataFrame(
        {
            "F": market.weekly_closes(fresh, ends, 0)["close"],
            "G": market.weekly_closes(2 * fresh, ends, 0)["close"],
            "S": market.weekly_closes(stale, ends, 0)["close"],
        }
    )
    assert np.isnan(panel.loc["2024-01-19", "S"])
    out = basket_index(panel, min_history_weeks=1, min_members=3)
    assert out["members"].tolist() == [0, 3, 2, 2]
    assert out["level"].notna().tolist() == [False, True, False, False]
    two = basket_index(panel, min_history_weeks=1, min_members=2)
    f_ret = panel["F"].pct_change()
    assert two.loc["2024-01-19", "return"] == pytest.approx(f_ret.loc["2024-01-19"])


def test__moving_average__needs_an_unbroken_window():
    s = pd.Series([1.0, 2.0, 3.0, NaN, 5.0, 6.0, 7.0, 8.0])
    out = moving_average(s, 3)
    pdt.assert_series_equal(out, pd.Series([NaN, NaN, 2.0, NaN, NaN, NaN, 6.0, 7.0]))


def test__pct_vs__sign_and_size():
    out = indicators.pct_vs(pd.Series([110.0, 90.0]), pd.Series([100.0, 100.0]))
    assert out.tolist() == pytest.approx([10.0, -10.0])


# --- Altcoin season index -----------------------------------------------------------------------


def test__altcoin_season_index__share_of_members_beating_btc():
    """Over the 90 days to 2024-06-28, BTC is up 50%: X (+100%) beats it, Y (+20%) and E (+50%,
    a tie) do not; Z has no close 90 days back and W none on the week's day: not members."""
    days_ = pd.date_range("2024-01-01", "2024-06-30", freq="D")
    week = pd.Timestamp("2024-06-28")

    def path(start: float, end: float) -> pd.Series:
        s = pd.Series(start, index=days_, dtype="float64")
        s.loc[week] = end
        return s

    btc = path(100, 150)
    coins = {
        "X": path(10, 20),
        "Y": path(10, 12),
        "E": path(4, 6),
        "Z": path(1, 9).loc["2024-04-15":],
        "W": path(1, 1).where(days_ != pd.Timestamp("2024-06-26"), 9.0).loc[:"2024-06-26"],
    }
    weeks = pd.DatetimeIndex([week])
    out = altcoin_season_index(coins, btc, weeks, 90, min_members=3, stale_days=0)
    assert out.loc[week, "members"] == 3
    assert out.loc[week, "index"] == pytest.approx(100 / 3)
    too_few = altcoin_season_index(coins, btc, weeks, 90, min_members=4, stale_days=0)
    assert np.isnan(too_few.loc[week, "index"])
    assert too_few.loc[week, "members"] == 3
    # With 2 days of staleness allowed, W's Wednesday bar counts (+800%: it beats BTC).
    lenient = altcoin_season_index(coins, btc, weeks, 90, min_members=3, stale_days=2)
    assert lenient.loc[week, "members"] == 4
    assert lenient.loc[week, "index"] == pytest.approx(50.0)


def test__altcoin_season_index__unknown_btc_is_unknown():
    days_ = pd.date_range("2024-01-01", "2024-06-30", freq="D")
    week = pd.Timestamp("2024-06-28")
    coins = {c: pd.Series(1.0, index=days_) for c in "ABC"}
    btc = pd.Series(1.0, index=days_).loc[:"2024-06-20"]
    out = altcoin_season_index(coins, btc, pd.DatetimeIndex([week]), 90, 1, 0)
    assert np.isnan(out.loc[week, "index"])
    assert out.loc[week, "members"] == 3


# --- Co-movement --------------------------------------------------------------------------------


def random_returns(n: int, seed: int) -> pd.Series:
    rng = np.random.default_rng(seed)
    return pd.Series(rng.normal(0, 0.02, n), index=fridays(n))


def test__rolling_correlation__equals_the_correlation_of_the_last_window():
    a, b = random_returns(30, 1), random_returns(30, 2)
    b = 0.5 * a + b
    out = rolling_correlation(a, b, 10)
    assert out.iloc[:9].isna().all()
    for end in (9, 20, 29):
        window = slice(end - 9, end + 1)
        expected = np.corrcoef(a.iloc[window], b.iloc[window])[0, 1]
        assert out.iloc[end] == pytest.approx(expected)


def test__rolling_correlation__a_gap_makes_every_window_through_it_unknown():
    """'All must be known': a missing week is not skipped over by stretching the window."""
    a, b = random_returns(30, 3), random_returns(30, 4)
    b.iloc[15] = NaN
    out = rolling_correlation(a, b, 10)
    assert out.iloc[15:25].isna().all()
    assert out.iloc[14] == pytest.approx(np.corrcoef(a.iloc[5:15], b.iloc[5:15])[0, 1])
    assert out.iloc[25] == pytest.approx(np.corrcoef(a.iloc[16:26], b.iloc[16:26])[0, 1])


def test__lead_lag__positive_lag_means_the_first_series_leads():
    """b is a, two weeks later: the correlation peaks (at 1) at lag +2."""
    a = random_returns(120, 5)
    b = a.shift(2)
    table = lead_lag(a, b, max_lag=8)
    assert table.index.tolist() == list(range(-8, 9))
    assert table["corr"].idxmax() == 2
    assert table.loc[2, "corr"] == pytest.approx(1.0)
    assert table.loc[2, "n"] == 118
    assert abs(table.loc[-2, "corr"]) < 0.3
    # And the other way round: b leads a.
    assert lead_lag(b, a, max_lag=8)["corr"].idxmax() == -2


def test__weekly_returns__unknown_when_either_week_is():
    out = indicators.weekly_returns(pd.Series([100.0, 110.0, NaN, 121.0]))
    assert out.iloc[1] == pytest.approx(0.1)
    assert out.iloc[[0, 2, 3]].isna().all()


@pytest.mark.parametrize(
    ("value", "label"),
    [
        (0, "Extreme Fear"),
        (24, "Extreme Fear"),
        (25, "Fear"),
        (46, "Fear"),
        (50, "Neutral"),
        (55, "Greed"),
        (75, "Greed"),
        (76, "Extreme Greed"),
        (NaN, None),
        (None, None),
    ],
)
def test__fear_greed_label__alternative_me_bands(value, label):
    bands = Sentiment(
        extreme_fear_max=24,
        fear_max=46,
        neutral_max=54,
        greed_max=75,
        fear_greed_stale_days=3,
        vix_calm_max=20.0,
    )
    assert indicators.fear_greed_label(value, bands) == label
