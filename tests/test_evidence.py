"""Unit tests for generator.evidence's building blocks, on tiny weekly frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from generator.evidence import breakout_events, forward_return

NaN = np.nan


def weekly_states(states: list[str | None], confirmed_on: list[int | None]) -> pd.DataFrame:
    """A compute_weekly-like frame: weekly closes 100, 101, ...; a reference of 90 set 150 weeks
    before the first week."""
    weeks = pd.date_range("2024-01-05", periods=len(states), freq="7D", name="week_ending")
    return pd.DataFrame(
        {
            "rut_close": np.arange(100.0, 100.0 + len(states)),
            "rut_reference": 90.0,
            "rut_reference_date": weeks[0] - pd.Timedelta(weeks=150),
            "rut_state": states,
            "rut_confirmed_on": [None if i is None else weeks[i] for i in confirmed_on],
        },
        index=weeks,
    )


def test__breakout_events__one_event_per_confirmation():
    weekly = weekly_states(
        ["below", "testing", "confirmed", "confirmed", "failed", "testing", "confirmed"],
        [None, None, 2, 2, None, None, 6],
    )
    events = breakout_events(weekly, min_reference_age_weeks=104)
    assert events.index.tolist() == [weekly.index[2], weekly.index[6]]
    assert events["reference_age_weeks"].tolist() == [152, 156]
    assert events["rut_close"].tolist() == [102.0, 106.0]


def test__breakout_events__an_unknown_week_inside_a_run_is_not_a_new_breakout():
    """The state stays confirmed through a week with no close (state None); the week after it
    is the same breakout (confirmed on week 2), not a second one."""
    weekly = weekly_states(
        ["testing", "testing", "confirmed", None, "confirmed", "confirmed"],
        [None, None, 2, None, 2, 2],
    )
    events = breakout_events(weekly, min_reference_age_weeks=104)
    assert events.index.tolist() == [weekly.index[2]]


def test__breakout_events__a_young_reference_is_not_multi_year_resistance():
    weekly = weekly_states(["testing", "confirmed"], [None, 1])
    assert len(breakout_events(weekly, min_reference_age_weeks=104)) == 1
    assert breakout_events(weekly, min_reference_age_weeks=200).empty


def test__forward_return__from_each_week_to_n_weeks_later():
    close = pd.Series([100.0, 110.0, NaN, 121.0, 133.1])
    out = forward_return(close, 2)
    assert np.isnan(out.iloc[0])  # no close at the start
    assert out.iloc[1] == pytest.approx(0.1)
    assert out.iloc[2:].isna().all()
