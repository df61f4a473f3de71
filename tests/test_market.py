"""Weekly bars: NYSE week ends from exchange-calendars, complete weeks, weekly closes."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import pytest

from generator.cache import MarketData
from generator.config import load_config
from generator.errors import StaleData
from generator.market import complete_week_ending, week_ends, weekly_closes, weekly_panel


def days(*isos: str) -> list[dt.date]:
    return [dt.date.fromisoformat(d) for d in isos]


def ends_between(start: str, end: str) -> list[dt.date]:
    return [t.date() for t in week_ends(dt.date.fromisoformat(start), dt.date.fromisoformat(end))]


# --- week_ends: the last NYSE session of each week ------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # Good Friday 2024-03-29: the week ends Thursday.
        ("2024-03-18", "2024-04-05", ("2024-03-22", "2024-03-28", "2024-04-05")),
        # Good Friday 2023-04-07.
        ("2023-03-27", "2023-04-14", ("2023-03-31", "2023-04-06", "2023-04-14")),
        # Thanksgiving 2024-11-28: Friday 11-29 is a half-day session, so the week ends Friday.
        ("2024-11-18", "2024-12-06", ("2024-11-22", "2024-11-29", "2024-12-06")),
        # 9/11: the exchange closed after Monday 2001-09-10 and reopened on 2001-09-17.
        ("2001-09-03", "2001-09-28", ("2001-09-07", "2001-09-10", "2001-09-21", "2001-09-28")),
        # New Year's Day 2021 is a Friday holiday; Christmas 2020 too.
        ("2020-12-14", "2021-01-10", ("2020-12-18", "2020-12-24", "2020-12-31", "2021-01-08")),
    ],
    ids=["good-friday-2024", "good-friday-2023", "thanksgiving-2024", "9-11-2001", "new-year-2021"],
)
def test__week_ends__known_answers(start, end, expected):
    assert ends_between(start, end) == days(*expected)


def test__week_ends__index_is_named_and_nanosecond():
    ends = week_ends(dt.date(2024, 3, 18), dt.date(2024, 4, 5))
    assert ends.name == "week_ending"
    assert str(ends.dtype) == "datetime64[ns]"


def test__week_ends__leaves_out_a_week_whose_last_session_is_after_end():
    # Wednesday 2024-03-27: the Good Friday week ends on Thursday 03-28, after it.
    assert ends_between("2024-03-18", "2024-03-27") == days("2024-03-22")
    assert ends_between("2024-03-18", "2024-03-28") == days("2024-03-22", "2024-03-28")


def test__week_ends__start_inside_a_week_keeps_that_weeks_own_end():
    assert ends_between("2024-03-27", "2024-04-05") == days("2024-03-28", "2024-04-05")


def test__week_ends__beyond_the_calendar_is_stale_data():
    with pytest.raises(StaleData, match="upgrade exchange-calendars"):
        week_ends(dt.date(2090, 1, 1), dt.date(2099, 1, 1))


# --- complete_week_ending: as_of decides ----------------------------------------------------------


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        ("2024-03-27", "2024-03-22"),  # Wednesday before Good Friday: that week is not over
        ("2024-03-28", "2024-03-28"),  # its last session
        ("2024-03-29", "2024-03-28"),  # Good Friday itself
        ("2023-04-05", "2023-03-31"),
        ("2023-04-06", "2023-04-06"),
        ("2024-11-28", "2024-11-22"),  # Thanksgiving: Friday's half session is still to come
        ("2024-11-29", "2024-11-29"),
        ("2024-12-01", "2024-11-29"),  # a Sunday
        ("2001-09-10", "2001-09-10"),
        ("2001-09-14", "2001-09-10"),  # the exchange stayed closed
        ("2001-09-20", "2001-09-10"),
        ("2001-09-21", "2001-09-21"),
        ("2020-12-30", "2020-12-24"),
        ("2020-12-31", "2020-12-31"),
        ("2021-01-01", "2020-12-31"),  # New Year's Day, a holiday
        ("2021-01-07", "2020-12-31"),
        ("2021-01-08", "2021-01-08"),
    ],
)
def test__complete_week_ending__a_week_is_complete_from_its_last_session(as_of, expected):
    assert complete_week_ending(dt.date.fromisoformat(as_of)) == dt.date.fromisoformat(expected)


# --- weekly_closes --------------------------------------------------------------------------------


def series(closes: dict[str, float]) -> pd.Series:
    index = pd.DatetimeIndex(pd.to_datetime(list(closes)), name="date").as_unit("ns")
    return pd.Series(list(closes.values()), index=index, dtype="float64", name="close")


def expected_weeks(ends: pd.DatetimeIndex, rows: list[tuple[float, str | None]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "close": [c for c, _ in rows],
            "bar_date": pd.to_datetime([b for _, b in rows]).as_unit("ns"),
        },
        index=ends,
    )


GOOD_FRIDAY_ENDS = week_ends(dt.date(2024, 3, 18), dt.date(2024, 4, 5))  # 03-22, 03-28, 04-05


def test__weekly_closes__crypto_is_sampled_at_the_close_of_the_weeks_last_session():
    crypto = pd.date_range("2024-03-16", "2024-04-07", freq="D")
    daily = pd.Series(np.arange(len(crypto)) + 100.0, index=crypto.rename("date"))
    weeks = weekly_closes(daily, GOOD_FRIDAY_ENDS, stale_days=0)
    # 03-22 is day 6, Thursday 03-28 (not Good Friday, not Sunday) day 12, 04-05 day 20.
    expected = expected_weeks(
        GOOD_FRIDAY_ENDS,
        [(106.0, "2024-03-22"), (112.0, "2024-03-28"), (120.0, "2024-04-05")],
    )
    pd.testing.assert_frame_equal(weeks, expected)


def test__weekly_closes__equity_close_is_the_last_sessions_close():
    sessions = pd.bdate_range("2024-03-18", "2024-04-05").drop(pd.Timestamp("2024-03-29"))
    daily = pd.Series(np.arange(len(sessions)) + 2000.0, index=sessions.rename("date"))
    weeks = weekly_closes(daily, GOOD_FRIDAY_ENDS, stale_days=0)
    assert weeks["close"].tolist() == [2004.0, 2008.0, 2013.0]
    assert [d.date() for d in weeks["bar_date"]] == days("2024-03-22", "2024-03-28", "2024-04-05")


def test__weekly_closes__missing_last_bar_is_nan_not_carried_forward():
    daily = series({"2024-03-21": 10.0, "2024-03-27": 11.0, "2024-04-05": 12.0})
    weeks = weekly_closes(daily, GOOD_FRIDAY_ENDS, stale_days=0)
    expected = expected_weeks(
        GOOD_FRIDAY_ENDS, [(np.nan, None), (np.nan, None), (12.0, "2024-04-05")]
    )
    pd.testing.assert_frame_equal(weeks, expected)


def test__weekly_closes__series_that_stopped_is_nan_afterwards():
    daily = series({"2024-03-22": 10.0, "2024-03-28": 11.0})
    weeks = weekly_closes(daily, GOOD_FRIDAY_ENDS, stale_days=0)
    assert weeks["close"].tolist()[:2] == [10.0, 11.0]
    assert np.isnan(weeks["close"].iloc[2]) and pd.isna(weeks["bar_date"].iloc[2])


def test__weekly_closes__stale_days_allows_an_older_bar_from_the_same_week_only():
    daily = series({"2024-03-21": 10.0, "2024-03-27": 11.0})
    weeks = weekly_closes(daily, GOOD_FRIDAY_ENDS, stale_days=3)
    assert weeks["close"].tolist()[:2] == [10.0, 11.0]
    # Week 04-05 has no bar of its own: 03-27 is from the week before, even at 30 stale days.
    assert np.isnan(weekly_closes(daily, GOOD_FRIDAY_ENDS, stale_days=30)["close"].iloc[2])


def test__weekly_closes__nan_closes_are_unknown_and_an_empty_series_is_all_nan():
    daily = series({"2024-03-22": 10.0, "2024-03-28": np.nan, "2024-04-05": 12.0})
    assert weekly_closes(daily, GOOD_FRIDAY_ENDS, 0)["close"].isna().tolist() == [
        False,
        True,
        False,
    ]
    empty = weekly_closes(series({}), GOOD_FRIDAY_ENDS, 0)
    assert empty["close"].isna().all() and len(empty) == 3


# --- weekly_panel ---------------------------------------------------------------------------------


def test__weekly_panel__one_close_per_symbol_per_complete_week():
    config = load_config()
    config = dataclasses.replace(config, basket=config.basket[:1])
    sessions = pd.bdate_range("2024-03-18", "2024-04-05").drop(pd.Timestamp("2024-03-29"))
    crypto = pd.date_range("2024-03-18", "2024-04-05", freq="D")

    def bars(index, start):
        close = np.arange(len(index)) + start
        return pd.DataFrame(
            {"open": np.nan, "high": np.nan, "low": np.nan, "close": close, "volume": np.nan},
            index=index.rename("date"),
        )

    data = MarketData(
        prices={
            "^RUT": bars(sessions, 2000.0),
            "BTC-USD": bars(crypto, 60000.0),
            config.basket[0].symbol: bars(crypto[:10], 5.0),  # stops on 03-27
        },
        fear_greed=pd.Series(dtype="float64"),
        total_mcap=pd.DataFrame(),
    )
    panel = weekly_panel(data, config, as_of=dt.date(2024, 4, 4))
    assert [d.date() for d in panel.index] == days("2024-03-22", "2024-03-28")
    assert panel.index.name == "week_ending"
    assert list(panel.columns) == [s.symbol for s in config.symbols]
    assert panel["^RUT"].tolist() == [2004.0, 2008.0]
    assert panel["BTC-USD"].tolist() == [60004.0, 60010.0]
    assert panel[config.basket[0].symbol].iloc[0] == 9.0
    assert np.isnan(panel[config.basket[0].symbol].iloc[1])
