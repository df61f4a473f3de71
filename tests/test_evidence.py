"""Unit tests for generator.evidence's building blocks, on tiny weekly frames."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import pytest

from generator.evidence import (
    Claim,
    Conclusion,
    EvidenceReport,
    breakout_events,
    explosive_after_reclaim,
    fear_before_rally,
    forward_return,
    one_to_one,
    similar_bottoms,
    topped_together,
)

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


# --- The claims: known answers on tiny inline frames --------------------------------------------

HOLDS, DOES_NOT_HOLD = Conclusion.HOLDS, Conclusion.DOES_NOT_HOLD
NOT_YET, TOO_FEW = Conclusion.NOT_YET, Conclusion.TOO_FEW_CASES
AS_OF = dt.date(2026, 2, 20)


def daily(values: dict[str, float]) -> pd.Series:
    return pd.Series(list(values.values()), index=pd.to_datetime(list(values)), dtype="float64")


def study_event(week: str, basket: float | None, btc: float | None = None) -> dict:
    """An event of event_study with its 52-week returns (percent) of the basket and BTC."""
    return {"week_ending": week, "returns": {"basket": {"52": basket}, "btc": {"52": btc}}}


@pytest.mark.parametrize(
    ("rut_top", "alt_top", "expected"),
    [("2021-11-08", "2021-11-10", HOLDS), ("2021-11-08", "2021-05-12", DOES_NOT_HOLD)],
)
def test__topped_together__both_highs_in_the_month(rut_top, alt_top, expected):
    rut = daily({"2021-03-01": 2000.0, rut_top: 2400.0, "2022-03-01": 2100.0})
    alts = daily({"2021-02-01": 1.0, alt_top: 5.0, "2022-02-01": 2.0})
    claim = topped_together({"rut": rut, "basket": alts}, ("2021-01-01", "2022-06-30"), "2021-11")
    assert claim.conclusion is expected
    assert claim.numbers["peaks"]["rut"] == {"date": rut_top, "value": 2400.0}


def test__topped_together__one_series_with_data_is_too_few():
    rut = daily({"2021-11-08": 2400.0})
    empty = daily({"2019-01-04": 1.0})  # nothing inside the window
    claim = topped_together({"rut": rut, "basket": empty}, ("2021-01-01", "2022-06-30"), "2021-11")
    assert claim.conclusion is TOO_FEW
    assert claim.numbers["peaks"]["basket"] == {"date": None, "value": None}


def weekly_path(values: list[float]) -> pd.Series:
    weeks = pd.date_range("2022-01-07", periods=len(values), freq="7D")
    return pd.Series(values, index=weeks, dtype="float64")


@pytest.mark.parametrize(("min_corr", "expected"), [(0.5, HOLDS), (1.01, DOES_NOT_HOLD)])
def test__similar_bottoms__log_paths_correlate(min_corr, expected):
    rut = weekly_path([100, 90, 80, 70, 65, 60, 62, 66, 70, 75, 80, 85])
    alts = rut * 3  # the same path at another level: correlation 1
    window = ("2022-01-01", "2023-12-31")
    claim = similar_bottoms({"rut": rut}, rut, alts, "basket", window, min_corr)
    assert claim.conclusion is expected
    assert claim.numbers["path_corr"] == 1.0 and claim.numbers["weeks"] == 12
    assert claim.numbers["bottoms"]["rut"]["date"] == "2022-02-11"


def test__similar_bottoms__too_few_common_weeks():
    rut = weekly_path([100, 90, 80, 70, 65, 60, 62, 66, 70, 75, 80, 85])
    alts = rut.where(rut.index < rut.index[5])  # five weeks in common only
    claim = similar_bottoms({}, rut, alts, "basket", ("2022-01-01", "2023-12-31"), 0.5)
    assert claim.conclusion is TOO_FEW and claim.numbers["path_corr"] is None


def test__explosive_after_reclaim__every_judged_breakout_rallied():
    events = [study_event("2019-01-04", 150.0), study_event("2020-11-27", None, 300.0)]
    claim = explosive_after_reclaim(events, 52, 100.0, min_cases=2, as_of=AS_OF)
    assert claim.conclusion is HOLDS
    assert [o["asset"] for o in claim.numbers["outcomes"]] == ["basket", "btc"]
    assert (claim.numbers["judged"], claim.numbers["hits"]) == (2, 2)


def test__explosive_after_reclaim__one_miss_rejects_it_whatever_the_sample():
    events = [study_event("2019-01-04", 150.0), study_event("2020-11-27", 40.0)]
    claim = explosive_after_reclaim(events, 52, 100.0, min_cases=5, as_of=AS_OF)
    assert claim.conclusion is DOES_NOT_HOLD


def test__explosive_after_reclaim__small_sample_and_pending_outcomes():
    events = [
        study_event("1991-11-08", None),  # before any crypto price: no outcome, never will be
        study_event("2020-11-27", 150.0),
        study_event("2025-12-05", None),  # the horizon has not passed: pending
    ]
    too_few = explosive_after_reclaim(events, 52, 100.0, min_cases=5, as_of=AS_OF)
    assert too_few.conclusion is TOO_FEW
    assert [o["pending"] for o in too_few.numbers["outcomes"]] == [False, False, True]
    # Two cases would be enough, and the second is still to come.
    assert explosive_after_reclaim(events, 52, 100.0, 2, AS_OF).conclusion is NOT_YET


def lags(rows: list[tuple[int, float, int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["lag", "corr", "n"]).set_index("lag")


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([(-1, 0.1, 50), (0, 0.6, 50), (1, 0.2, 50)], HOLDS),
        ([(-1, 0.1, 50), (0, 0.2, 50), (1, 0.1, 50)], DOES_NOT_HOLD),  # same week, too weak
        ([(-1, 0.1, 50), (0, 0.4, 50), (1, -0.7, 50)], DOES_NOT_HOLD),  # strongest a week later
        ([(0, NaN, 0)], TOO_FEW),
    ],
)
def test__one_to_one__same_week_strongest_and_strong_enough(rows, expected):
    assert one_to_one(lags(rows), min_corr=0.3).conclusion is expected


def fear_index() -> pd.Series:
    days = pd.date_range("2020-08-01", "2021-03-01", freq="D")
    fear = pd.Series(70.0, index=days)
    fear.loc["2020-09-09"] = 38.0  # the low before the 2020-11-27 breakout
    return fear


def rally(week: str, explosive: bool | None, pending: bool = False) -> dict:
    return {"week_ending": week, "explosive": explosive, "pending": pending}


def test__fear_before_rally__low_fear_then_the_rally():
    claim = fear_before_rally(fear_index(), [rally("2020-11-27", True)], 13, 46, min_cases=1)
    assert claim.conclusion is HOLDS
    assert claim.numbers["events"][0]["min_before"] == 38.0


def test__fear_before_rally__cannot_hold_when_the_rally_never_came():
    """Fear was low before the breakout, but the rally it predicts did not follow."""
    claim = fear_before_rally(fear_index(), [rally("2020-11-27", False)], 13, 46, min_cases=1)
    assert claim.conclusion is DOES_NOT_HOLD


def test__fear_before_rally__not_yet_while_the_rally_is_still_to_come():
    claim = fear_before_rally(fear_index(), [rally("2020-11-27", None, True)], 13, 46, 1)
    assert claim.conclusion is NOT_YET
    assert claim.numbers["events"][0]["rally"] is None


def test__fear_before_rally__fear_not_low_enough():
    claim = fear_before_rally(fear_index(), [rally("2020-11-27", True)], 13, 30, min_cases=1)
    assert claim.conclusion is DOES_NOT_HOLD


def test__evidence__page_and_api_state_the_same_conclusions(tmp_path):
    """The Evidence page renders api/evidence.json's own dict: each claim's row shows the
    answer for the API's conclusion."""
    from generator import templating
    from generator.config import load_config

    config = load_config()
    claims = [
        Claim("topped_nov_2021", HOLDS, {"peaks": {}}),
        Claim("one_to_one", TOO_FEW, {}),
    ]
    report = EvidenceReport(AS_OF, {"events": [], "summary": {}, "horizons": []}, [], (), None, 5)
    report = dataclasses.replace(report, claims=tuple(claims))
    api = report.to_json()
    assert [c["conclusion"] for c in api["claims"]] == ["holds", "too few cases"]
    numbers = {"hits": 0, "judged": 0, "events": 1, "pending": 1, "threshold_pct": 100}
    api["claims"].append(
        {
            "id": "explosive_after_reclaim",
            "conclusion": "not yet",
            "numbers": numbers | {"horizon_weeks": 52},
        }
    )
    page = templating.render("evidence.md.j2", e=api, v={}, config=config, basket=config.basket)
    rows = {line.split(" | ")[0]: line for line in page.splitlines() if line.startswith("| ")}
    assert "✓ holds" in rows["| Both the Russell 2000 and altcoins topped in November 2021"]
    assert "? too few cases" in rows["| The break and the alt rally line up one to one"]
    explosive_row = rows[
        "| Every reclaim of multi-year resistance was followed by explosive altcoin upside"
    ]
    assert "? not yet" in explosive_row and "holds" not in explosive_row.split(" | ")[1]
