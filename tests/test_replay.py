"""Replay tier: the signal engine on the real history committed in data/prices.

The committed prices are fetched once per module into a temporary data folder (the generator's own
`fetch --prices-dir ... --offline`), and verdicts are computed with the library, exactly as
`pages` computes them: load_market_data(as_of) -> weekly_panel -> compute_weekly -> build_verdict.
Every number asserted here was first checked against the raw CSV (see `raw_closes`).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from functools import cache
from pathlib import Path

import pandas as pd
import pytest

from generator import archive, market
from generator import cache as price_cache
from generator.config import load_config
from generator.indicators import compute_weekly
from generator.verdict import build_verdict
from tests.conftest import DATA_END, REPLAY_PRICES, run_cli

pytestmark = [pytest.mark.replay]

REPLAY_END = dt.date.fromisoformat(DATA_END)  # the newest ^RUT bar in the committed data


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


@pytest.fixture(scope="module")
def replay_data(tmp_path_factory) -> Path:
    """A data folder holding the whole committed history, fetched by the generator itself."""
    data = tmp_path_factory.mktemp("replay") / "data"
    result = run_cli(
        "fetch", "--prices-dir", str(REPLAY_PRICES), "--offline",
        "--data-dir", str(data), "--as-of", REPLAY_END.isoformat(),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return data


@cache
def weekly_as_of(data_dir: Path, as_of: dt.date) -> pd.DataFrame:
    config = load_config()
    data = price_cache.load_market_data(config, data_dir, today(), as_of=as_of)
    panel = market.weekly_panel(data, config, as_of)
    return compute_weekly(panel, data, config)


def verdict_for(data_dir: Path, week: str, as_of: dt.date = REPLAY_END) -> dict:
    weekly = weekly_as_of(data_dir, as_of)
    return build_verdict(
        pd.Timestamp(week), weekly.loc[pd.Timestamp(week)], load_config(), "backfill"
    )


@cache
def raw_closes(symbol: str = "^RUT") -> dict[str, float]:
    """Daily closes straight from the committed CSV, without the generator: the cross-check."""
    with (REPLAY_PRICES / f"{symbol}.csv").open(newline="", encoding="utf-8") as handle:
        return {row["date"]: float(row["close"]) for row in csv.DictReader(handle)}


def record_close_before(day: str) -> tuple[str, float]:
    closes = {d: c for d, c in raw_closes().items() if d <= day}
    best = max(closes, key=lambda d: (closes[d], d))
    return best, closes[best]


def test__raw_data__the_reference_numbers_used_below():
    """The record close before the 2022 bear market is 2442.74 on 2021-11-08 (that day's
    intraday high was 2458.86: the reference is a close, not a high); the one before the 2018
    sell-off is 1740.75 on 2018-08-31. Both were followed by a drawdown of more than 20%. In
    between, the January 2020 high (1705.22 on 2020-01-16) fell short of 1740.75, so the COVID
    crash (991.16 on 2020-03-18) did not replace the reference: a lower high never does."""
    closes = raw_closes()
    assert record_close_before("2022-10-14") == ("2021-11-08", 2442.74)
    assert record_close_before("2018-12-31") == ("2018-08-31", 1740.75)
    assert record_close_before("2020-03-18") == ("2018-08-31", 1740.75)
    assert max(c for d, c in closes.items() if "2019-01-01" <= d <= "2020-03-18") == 1705.22
    assert closes["2020-03-18"] == 991.16
    assert min(c for d, c in closes.items() if "2021-11-08" < d <= "2022-10-14") < 2442.74 * 0.8
    assert min(c for d, c in closes.items() if "2018-08-31" < d <= "2018-12-31") < 1740.75 * 0.8
    # The Fridays the tests below are about.
    assert closes["2022-10-14"] == 1682.40
    assert closes["2024-11-29"] == 2434.73
    assert (closes["2025-11-28"], closes["2025-12-05"]) == (2500.43, 2521.48)
    assert (closes["2020-11-20"], closes["2020-11-27"]) == (1785.34, 1855.27)


def test__replay__2022_10_14_is_off_far_below_the_2021_high(replay_data):
    """A clear OFF week: in the 2022 bear market the Russell 2000 closed at 1682.40, 31.1% under
    its 2021-11-08 record close of 2442.74 (the reference since the 20% drawdown of January
    2022), well below the 2285.79 level where `approaching` starts."""
    v = verdict_for(replay_data, "2022-10-14")
    assert v["signal"] == "OFF"
    assert v["rut"] == {
        "close": 1682.40,
        "reference": 2442.74,
        "reference_date": "2021-11-08",
        "zone_bottom": 2406.10,
        "zone_top": 2479.38,
        "approach_level": 2285.79,
        "distance_pts": -760.34,
        "distance_pct": -31.13,
        "weeks_above_zone": 0,
        "confirm_weeks": 2,
        "confirmed_on": None,
        "state": "below",
    }
    assert v["missing"] == []
    assert v["watch"]["next"] == [
        {"when": "close_at_or_above_approach", "level": 2285.79, "signal": "WATCH"}
    ]
    assert "1,682.40" in v["sentence"] and "31.1% below" in v["sentence"]


def test__replay__2024_11_29_is_watch_testing_the_zone(replay_data):
    """A week at the level: the close of 2434.73 is 0.33% under the 2442.74 reference, inside
    the resistance zone (2406.10..2479.38), so `testing` and WATCH. That Monday (2024-11-25)
    the index traded up to 2466.49 intraday, above the reference, but closed at 2442.03: a
    poke, not a breakout; no close that week was above the zone's top."""
    v = verdict_for(replay_data, "2024-11-29")
    assert v["signal"] == "WATCH"
    assert v["rut"]["state"] == "testing"
    assert (v["rut"]["close"], v["rut"]["distance_pct"]) == (2434.73, -0.33)
    assert v["rut"]["weeks_above_zone"] == 0
    assert v["watch"]["level"] == 2479.38
    assert v["watch"]["points"] == 44.65
    assert v["watch"]["next"][0] == {
        "when": "close_above_zone_top",
        "level": 2479.38,
        "signal": "ON",  # the basket was above both averages that week
        "weeks": 2,
    }
    assert v["alts"]["confirming"] is True
    assert "2,434.73" in v["sentence"] and "not yet confirmed" in v["sentence"]


def test__replay__2025_12_05_confirms_and_the_alts_do_not_follow(replay_data):
    """The first confirmed breakout above 2442.74: weekly closes of 2500.43 (2025-11-28) and
    2521.48 (2025-12-05) above the zone's top, 2479.38. (An earlier close above it, 2513.47 on
    2025-10-24, was followed by 2479.38 on 2025-10-31, a hair under 2479.3811: no run.) The
    basket has real closes after 2025-02-19 for 14 of its 18 coins (HBAR, ETC, XMR and MATIC
    stop there, so they drop out: a stale coin is never carried forward), and it stayed under
    both averages: ARMED, in every week from the breakout through the end of the data."""
    v = verdict_for(replay_data, "2025-12-05")
    assert v["signal"] == "ARMED"
    assert v["rut"]["state"] == "confirmed"
    assert v["rut"]["confirmed_on"] == "2025-12-05"
    assert v["missing"] == []
    assert v["alts"]["basket_members"] == 14
    assert (v["alts"]["basket_vs_ma_fast_pct"], v["alts"]["basket_vs_ma_slow_pct"]) == (
        -25.01,
        -21.11,
    )
    assert v["alts"]["confirming"] is False
    assert v["sentence"] == (
        "Armed: the Russell 2000 has confirmed its breakout above 2,442.74 (its 2021-11-08 "
        "high), but altcoins are not following yet: the basket is \u221225.0% against its "
        "20-week and \u221221.1% against its 50-week average."
    )
    weekly = weekly_as_of(replay_data, REPLAY_END)
    after = weekly.loc["2025-12-05":]
    assert len(after) == 12 and after.index[-1] == pd.Timestamp("2026-02-20")
    assert (after["rut_state"] == "confirmed").all()
    for week in after.index[1:]:
        later = verdict_for(replay_data, week.date().isoformat())
        assert later["signal"] == "ARMED"
        assert later["alts"]["basket_members"] == 14 and later["missing"] == []
    assert weekly.loc["2025-10-31", "rut_weeks_above_zone"] == 0
    assert verdict_for(replay_data, "2025-10-31")["rut"]["state"] == "testing"


def test__replay__2020_11_27_confirms_above_the_2018_high_with_alts_on(replay_data):
    """A confirmed breakout with altcoin data: the 2018-08-31 close of 1740.75 became the
    reference after the December 2018 sell-off; closes of 1785.34 (2020-11-20) and 1855.27
    (2020-11-27) above the zone's top, 1766.86, confirmed it, with the basket 22% and 60%
    above its 20- and 50-week averages: ON. It stayed ON in early 2021."""
    v = verdict_for(replay_data, "2020-11-27")
    assert v["signal"] == "ON"
    assert (v["rut"]["reference"], v["rut"]["reference_date"]) == (1740.75, "2018-08-31")
    assert (v["rut"]["zone_top"], v["rut"]["weeks_above_zone"]) == (1766.86, 2)
    assert v["rut"]["confirmed_on"] == "2020-11-27"
    assert (v["alts"]["basket_vs_ma_fast_pct"], v["alts"]["basket_vs_ma_slow_pct"]) == (
        22.04,
        60.45,
    )
    assert verdict_for(replay_data, "2020-11-20")["signal"] == "WATCH"
    covid = verdict_for(replay_data, "2020-03-20")
    assert (covid["rut"]["reference"], covid["rut"]["reference_date"]) == (1740.75, "2018-08-31")
    early_2021 = verdict_for(replay_data, "2021-01-08")
    assert early_2021["signal"] == "ON"
    assert early_2021["rut"]["confirmed_on"] == "2020-11-27"


def test__replay__2021_06_25_is_armed_when_alts_fall_under_their_average(replay_data):
    """Still confirmed above 1740.75 (32 weeks above the zone), but the basket fell 17.5% under
    its 20-week average: ARMED, the first such week of that run."""
    v = verdict_for(replay_data, "2021-06-25")
    assert v["signal"] == "ARMED"
    assert v["rut"]["state"] == "confirmed" and v["rut"]["weeks_above_zone"] == 32
    assert v["alts"]["basket_vs_ma_fast_pct"] == -17.51
    assert verdict_for(replay_data, "2021-06-18")["signal"] == "ON"


def test__replay__2016_11_25_confirmed_before_the_basket_existed(replay_data):
    """In 2016 the only basket coin with prices was LTC: a confirmed breakout (above the
    2015-06-23 close of 1295.80) is UNKNOWN for lack of history, not staleness."""
    v = verdict_for(replay_data, "2016-11-25")
    assert v["signal"] == "UNKNOWN"
    assert v["rut"]["reference"] == 1295.80
    assert v["alts"]["basket_members"] == 1
    assert v["missing"] == [{"input": "basket", "newest": "2016-11-25", "reason": "history"}]


@pytest.mark.parametrize(
    "week",
    ["2018-12-14", "2020-11-27", "2021-06-25", "2022-10-14", "2024-11-29", "2025-12-05"],
)
def test__replay__a_past_week_is_the_same_whatever_came_after(replay_data, week):
    """Point in time: the verdict for a week computed from prices ending that day equals the
    one computed from prices running to 2026-02-23, in every field."""
    as_of = dt.date.fromisoformat(week)
    at_the_time = verdict_for(replay_data, week, as_of=as_of)
    with_hindsight = verdict_for(replay_data, week, as_of=REPLAY_END)
    assert weekly_as_of(replay_data, as_of).index[-1] == pd.Timestamp(week)
    assert at_the_time == with_hindsight


def test__pages__backfill_and_live_share_one_code_path(replay_data, tmp_path):
    """`pages --as-of 2019-02-01` then `--as-of 2019-03-01` on one data folder records the same
    verdicts as one `--as-of 2019-03-01` run on a fresh folder; only `source` differs (the first
    run and the catch-up weeks are backfill, the week the second run is for is live)."""
    stepwise, single, docs = tmp_path / "stepwise", tmp_path / "single", tmp_path / "docs"
    shutil.copytree(replay_data, stepwise)
    shutil.copytree(replay_data, single)

    def pages(data: Path, as_of: str) -> bytes:
        result = run_cli(
            "pages", "--offline", "--data-dir", str(data), "--docs-dir", str(docs),
            "--as-of", as_of,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        return (data / archive.LEDGER_FILE).read_bytes()

    first = pages(stepwise, "2019-02-01")
    second = pages(stepwise, "2019-03-01")
    fresh = pages(single, "2019-03-01")
    assert second.startswith(first)
    lines = [json.loads(line) for line in second.decode().splitlines()]
    expected = [json.loads(line) for line in fresh.decode().splitlines()]
    weeks = [r["week_ending"] for r in lines]
    assert weeks[0] == "2018-12-14" and weeks[-1] == "2019-03-01" and len(weeks) == 12
    assert weeks == [r["week_ending"] for r in expected]
    assert [r["source"] for r in lines] == ["backfill"] * 11 + ["live"]
    assert {r["source"] for r in expected} == {"backfill"}
    for got, want in zip(lines, expected, strict=True):
        assert {**got, "source": None} == {**want, "source": None}
    assert lines[7]["week_ending"] == "2019-02-01"  # the end of the first run
