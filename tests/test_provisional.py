"""The week in progress (`--provisional`): known answers on tiny inline frames, the panel's
words, and one real build (the issue's Done-when run) against the same build without it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import shutil

import pandas as pd
import pytest

from generator import market, provisional, templating
from generator.cache import MarketData
from generator.config import load_config
from tests.conftest import REPLAY_PRICES, run_cli, tree_bytes

CONFIG = load_config()
RUT = CONFIG.russell.symbol
ZONE = CONFIG.zone
ALTS = CONFIG.alts
REPLAY = REPLAY_PRICES  # the repository's own real history (never skipped)
TODAY = dt.date(2027, 1, 4)  # a real "today" after every date used here


def frame(closes: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({"close": closes.astype("float64")})


def sessions(start: str, end: str) -> pd.DatetimeIndex:
    return market._calendar("XNYS").sessions_in_range(start, end)


def russell_history(end: str, last_days: dict[str, float], week_closes: dict[str, float]):
    """A Russell 2000 whose reference is 100: 100 on the first session, then 70 (a 30% fall),
    `week_closes` on the sessions of the weeks given (by any day in them), `last_days` exact."""
    days = sessions("2023-01-03", end)
    close = pd.Series(70.0, index=days)
    close.iloc[0] = 100.0
    for day, value in week_closes.items():
        week = pd.Timestamp(day).to_period("W-SUN")
        close[close.index.to_period("W-SUN") == week] = value
    for day, value in last_days.items():
        close[pd.Timestamp(day)] = value
    return close


def run(close: pd.Series, as_of: str, coins: dict[str, pd.Series] | None = None, today=TODAY):
    as_of = dt.date.fromisoformat(as_of)
    prices = {RUT: frame(close.loc[: pd.Timestamp(as_of)])}
    for symbol, series in (coins or {}).items():
        prices[symbol] = frame(series.loc[: pd.Timestamp(as_of)])
    empty = pd.Series(dtype="float64", index=pd.DatetimeIndex([], name="date"))
    data = MarketData(prices, empty, pd.DataFrame({"btc_dominance_pct": empty}))
    newest = market.complete_week_ending(min(as_of, data.newest(RUT)), "XNYS")
    panel = market.weekly_panel(data, CONFIG, newest)
    return provisional.week_so_far(data, panel, CONFIG, newest, as_of, today)


def panel_text(now) -> str:
    module = templating.environment().get_template("_provisional.md.j2").module
    text = str(module.panel(now, CONFIG))
    return re.sub(r"<[^>]+>", "", text).replace("**", "")  # words only


def zone_numbers(reference: float = 100.0):
    h, a = ZONE.half_width_pct / 100, ZONE.approach_pct / 100
    bottom, top = reference * (1 - h), reference * (1 + h)
    return round(bottom, 2), round(top, 2), round(bottom * (1 - a), 2)


# --- The Russell 2000 -----------------------------------------------------------------------------


def test__open_week__latest_close_zone_and_the_first_of_two_closes():
    bottom, top, approach = zone_numbers()
    close = russell_history(
        "2025-11-12",
        {"2025-11-10": 99.0, "2025-11-11": 101.0, "2025-11-12": 102.0},
        {"2025-11-07": 95.0},  # an approaching week, below the zone
    )
    now = run(close, "2025-11-12")
    assert (now.status, now.reason) == ("open", None)
    assert now.newest_week == dt.date(2025, 11, 7)
    assert now.week_ending == dt.date(2025, 11, 14)
    assert now.next_session == dt.date(2025, 11, 10)
    r = now.russell
    assert (r.date, r.close, r.reference) == (dt.date(2025, 11, 12), 102.0, 100.0)
    assert (r.zone_bottom, r.zone_top, r.approach_level) == (bottom, top, approach)
    assert r.reference_date == close.index[0].date()
    assert (r.position, r.distance_pct) == ("above_zone", 2.0)
    assert (r.state_before, r.weeks_above_zone_before, r.state_if_final) == (
        "approaching",
        0,
        "testing",
    )
    assert [(x.when, x.level, x.outcome, x.nth, x.of) for x in r.rules] == [
        ("close_above_zone_top", top, "counts", 1, ZONE.confirm_weeks),
        ("close_at_or_above_approach", approach, "within_reach", None, None),
    ]
    text = panel_text(now)
    assert f"a Friday close above {top:,.2f} would be the first of two weekly closes needed" in text
    assert "Provisional" in text and "Only the weekly close counts" in text
    assert "close of Wednesday 2025-11-12: 102.00" in text


def test__open_week__a_second_close_above_the_zone_would_confirm():
    _, top, _ = zone_numbers()
    week = {"2025-11-10": 100.5, "2025-11-11": 100.5}  # no fall of 20% from the new high
    close = russell_history("2025-11-11", week, {"2025-11-07": 103.0})
    r = run(close, "2025-11-11").russell
    assert (r.state_before, r.weeks_above_zone_before) == ("testing", 1)
    assert r.position == "in_zone" and r.state_if_final == "testing"  # 100.5 < the zone's top
    assert (r.rules[0].nth, r.rules[0].outcome) == (2, "confirmed")
    text = panel_text(run(close, "2025-11-11"))
    assert f"above {top:,.2f} would be the second of two weekly closes needed: a confirmed" in text


def test__open_week__after_a_confirmed_breakout_the_rule_is_to_hold_the_reference():
    close = russell_history(
        "2025-11-18",
        {"2025-11-17": 99.0, "2025-11-18": 97.0},
        {"2025-11-07": 103.0, "2025-11-14": 104.0},
    )
    r = run(close, "2025-11-18").russell
    assert r.state_before == "confirmed" and r.state_if_final == "failed"
    assert [(x.when, x.level, x.outcome) for x in r.rules] == [
        ("close_below_reference", 100.0, "failed")
    ]
    assert r.position == "approaching"  # under the zone's bottom, above the approach level
    assert "a Friday close below the old high, 100.00, would be a failed breakout" in panel_text(
        run(close, "2025-11-18")
    )


def test__holiday_week__thanksgiving_counts_friday_good_friday_counts_thursday():
    close = russell_history("2025-11-26", {"2025-11-26": 99.0}, {"2025-11-21": 95.0})
    now = run(close, "2025-11-26")  # Thursday 2025-11-27 is closed, Friday a half day
    assert now.newest_week == dt.date(2025, 11, 21)
    assert now.week_ending == dt.date(2025, 11, 28)

    good = russell_history("2026-04-01", {"2026-04-01": 99.0}, {"2026-03-27": 95.0})
    now = run(good, "2026-04-01")  # Good Friday 2026-04-03: the week ends on Thursday
    assert now.status == "open" and now.week_ending == dt.date(2026, 4, 2)
    assert "a Thursday close above" in panel_text(now)
    assert "close of Thursday 2026-04-02" in panel_text(now)

    for as_of in ("2026-04-02", "2026-04-03", "2026-04-05"):  # Thursday's close ended the week
        done = run(russell_history("2026-04-02", {}, {}), as_of)
        assert (done.status, done.reason) == ("empty", "week_complete"), as_of
        assert done.newest_week == dt.date(2026, 4, 2) and done.russell is None
        assert done.next_session == dt.date(2026, 4, 6)


def test__no_days_yet__the_panel_says_so_and_never_repeats_the_week():
    close = russell_history("2025-11-14", {"2025-11-14": 98.0}, {})
    friday = run(close, "2025-11-14")  # a Friday after the close: the week is complete
    assert (friday.status, friday.reason) == ("empty", "week_complete")
    assert friday.russell is None and friday.basket is None
    saturday = run(close, "2025-11-15")
    assert (saturday.status, saturday.reason, saturday.newest_week) == (
        "empty",
        "week_complete",
        dt.date(2025, 11, 14),
    )
    wednesday = run(close, "2025-11-19")  # sessions have closed, the data has none of them
    assert (wednesday.status, wednesday.reason) == ("empty", "no_data")
    for now in (friday, wednesday):
        text = panel_text(now)
        assert "Provisional" in text and "2025-11-14" in text
        assert "98.00" not in text and "close of" not in text  # nothing of the week's verdict
    assert "returns after the next session's close (Monday 2025-11-17)" in panel_text(friday)
    assert "no Russell 2000 close after the week ending 2025-11-14" in panel_text(wednesday)


# --- The altcoin basket ---------------------------------------------------------------------------


def coins(days: pd.DatetimeIndex, jump_from: str, factor: float) -> dict[str, pd.Series]:
    """`min_members` coins, flat at 1.0, all multiplied by `factor` from `jump_from` on."""
    close = pd.Series(1.0, index=days)
    close[close.index >= pd.Timestamp(jump_from)] = factor
    return {s.symbol: close for s in CONFIG.basket[: int(ALTS.min_members)]}


def test__basket__against_its_averages_if_the_week_closed_on_its_latest_day():
    days = pd.date_range("2023-06-01", "2025-11-13", freq="D")
    close = russell_history("2025-11-12", {"2025-11-12": 96.0}, {})
    now = run(close, "2025-11-12", coins(days, "2025-11-09", 1.1))
    b = now.basket
    fast, slow = int(ALTS.ma_fast_weeks), int(ALTS.ma_slow_weeks)
    # Flat for years, then +10% after the week's close: the average takes 1/n of the jump.
    assert b.date == dt.date(2025, 11, 12) and b.members == int(ALTS.min_members)
    assert b.vs_ma_fast_pct == round((1.1 / (1 + 0.1 / fast) - 1) * 100, 2)
    assert b.vs_ma_slow_pct == round((1.1 / (1 + 0.1 / slow) - 1) * 100, 2)
    assert b.confirming_if_final is True
    text = panel_text(now)
    assert f"{b.vs_ma_fast_pct:+.1f}% against its {fast}-week" in text
    assert "close of 2025-11-12 (UTC" in text


def test__basket__todays_utc_bar_is_still_forming_and_none_after_the_week_is_unknown():
    days = pd.date_range("2023-06-01", "2025-11-13", freq="D")
    close = russell_history("2025-11-12", {"2025-11-12": 96.0}, {})
    now = run(close, "2025-11-12", coins(days, "2025-11-09", 1.1), today=dt.date(2025, 11, 12))
    assert now.basket.date == dt.date(2025, 11, 11)  # 2025-11-12 (UTC) had not ended
    stale = pd.date_range("2023-06-01", "2025-11-05", freq="D")
    now = run(close, "2025-11-12", coins(stale, "2025-11-09", 1.1))
    assert now.basket.date is None and now.basket.newest == dt.date(2025, 11, 5)
    assert "Altcoin basket: no daily close after 2025-11-07 yet (its newest data is from " in (
        panel_text(now)
    )


def test__json__schema_version_dates_and_provisional_label():
    close = russell_history("2025-11-12", {"2025-11-12": 102.0}, {"2025-11-07": 95.0})
    payload = json.loads(provisional.to_json(run(close, "2025-11-12")))
    assert payload["schema_version"] == provisional.SCHEMA_VERSION
    assert payload["provisional"] is True and "Only the weekly close counts" in payload["note"]
    assert payload["russell"]["date"] == "2025-11-12" and payload["newest_week"] == "2025-11-07"
    assert payload["russell"]["rules"][0]["when"] == "close_above_zone_top"
    fields = {f.name for f in dataclasses.fields(provisional.WeekSoFar)}
    assert fields <= set(payload)


# --- The real CLI ---------------------------------------------------------------------------------


def site(tmp_path, name: str, *extra: str):
    folder = tmp_path / name
    args = ["--prices-dir", str(REPLAY), "--offline", "--as-of", "2025-12-03"]
    for kind in ("data", "docs", "site"):
        args += [f"--{kind}-dir", str(folder / kind)]
    result = run_cli("site", *args, *extra)
    assert result.returncode == 0, result.stderr
    return folder


def without_build_times(raw: bytes) -> bytes:
    """A feed without the build's own time (the channel's dates; items keep theirs)."""
    text = raw.decode("utf-8")
    text = re.sub(r"<lastBuildDate>[^<]*</lastBuildDate>", "", text)
    text = re.sub(r"(<channel>.*?)<pubDate>[^<]*</pubDate>", r"\1", text, count=1, flags=re.S)
    return text.encode("utf-8")


@pytest.mark.build
@pytest.mark.replay
def test__site_provisional__done_when_panel_and_nothing_else_changes(tmp_path):
    plain = site(tmp_path, "plain")
    prov = site(tmp_path, "prov", "--provisional")

    # Records nothing: the data folder (ledger and cache), the posts and the feeds are equal.
    assert tree_bytes(prov / "data") == tree_bytes(plain / "data")
    docs_plain, docs_prov = tree_bytes(plain / "docs"), tree_bytes(prov / "docs")
    assert set(docs_prov) - set(docs_plain) == {"api/provisional.json"}
    changed = {k for k in docs_plain if docs_plain[k] != docs_prov[k]}
    assert changed == {"index.md"}
    feeds = sorted(p.name for p in (plain / "site").glob("feed_*"))
    assert len(feeds) >= 4
    for name in feeds:
        a, b = (plain / "site" / name).read_bytes(), (prov / "site" / name).read_bytes()
        assert without_build_times(a) == without_build_times(b), name
    assert not (plain / "site" / "api" / "provisional.json").exists()

    # The panel: the Russell 2000's close of 2025-12-03, the newest verdict 2025-11-28.
    rut = pd.read_csv(REPLAY / "^RUT.csv", index_col="date")
    close = float(rut.loc["2025-12-03", "close"])
    payload = json.loads((prov / "site" / "api" / "provisional.json").read_text())
    assert payload["newest_week"] == "2025-11-28" and payload["status"] == "open"
    assert payload["russell"]["date"] == "2025-12-03"
    assert payload["russell"]["close"] == pytest.approx(close, abs=0.005)
    latest = json.loads((prov / "site" / "api" / "latest.json").read_text())
    assert latest["week_ending"] == "2025-11-28"
    html = (prov / "site" / "index.html").read_text()
    words = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))
    assert "This week so far" in words and "Provisional: not a verdict" in words
    assert f"close of Wednesday 2025-12-03: {close:,.2f}" in words
    assert "Week ending 2025-11-28" in words
    zone_top = latest["rut"]["zone_top"]
    assert f"a Friday close above {zone_top:,.2f} would be the second of two" in words
    assert "This week so far" not in (plain / "site" / "index.html").read_text()
    assert "Watch -&gt; Custom -&gt; Releases" in html  # the email alerts, in "Follow it"


@pytest.mark.replay
def test__provisional__a_malformed_daily_row_in_the_week_fails_the_run(tmp_path):
    prices = tmp_path / "prices"
    shutil.copytree(REPLAY, prices)
    path = prices / "^RUT.csv"
    lines = path.read_text().splitlines()
    (n,) = [i for i, line in enumerate(lines) if line.startswith("2025-12-02,")]
    lines[n] = "2025-12-02,2480.05,2487.64,2464.98,not-a-number,4582290000"
    path.write_text("\n".join(lines) + "\n")
    args = ["--prices-dir", str(prices), "--offline", "--as-of", "2025-12-03", "--provisional"]
    args += ["--data-dir", str(tmp_path / "data"), "--docs-dir", str(tmp_path / "docs")]
    result = run_cli("pages", *args)
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: ^RUT: ") and str(path) in line and f"line {n + 1}" in line
    assert not (tmp_path / "docs" / "index.md").exists()
    assert not (tmp_path / "data" / "verdicts.jsonl").exists()


def test__provisional_option__only_pages_and_site_take_it():
    from generator.cli import main

    for command in ("pages", "site"):
        assert "--provisional" in {o for p in main.commands[command].params for o in p.opts}
    assert "--provisional" not in {o for p in main.commands["fetch"].params for o in p.opts}
