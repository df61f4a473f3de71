"""Pipeline: everything one run computes, once, into one frozen result. No writes.

Load (the price cache, cut at `--as-of`) -> weekly bars -> indicators -> verdicts for the
weeks the ledger does not have yet -> evidence -> chart data. The archive stage records
`PipelineResult.new`; the pages stage renders the result and decides nothing. The CLI, the
benchmark and the tests all run this one function; `progress(stage)` is called as each stage
ends (the CLI's progress bar, the benchmark's clock).

An optional panel (a number the home page shows beside the verdict) is one more field of
`PipelineResult`, computed in `run`, and one more entry in `pages.home_context`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

import pandas as pd

from generator import archive, charts, market, provisional
from generator.cache import MarketData, load_market_data
from generator.config import Config, RunOptions
from generator.errors import StaleData
from generator.evidence import EvidenceReport, build_evidence
from generator.indicators import compute_weekly
from generator.verdict import build_verdict, first_recordable_week

Record = dict[str, Any]  # one verdict record (generator/verdict.schema.json)
Progress = Callable[[str], None]
STAGES = ("load", "weekly bars", "indicators", "verdicts", "evidence", "chart data")


@dataclass(frozen=True)
class PipelineResult:
    """What a run knows once it has computed everything, before it writes anything."""

    config: Config
    newest_week: dt.date  # the newest complete week this run speaks for
    data: MarketData
    weekly: pd.DataFrame  # compute_weekly: one row per complete week
    recorded: tuple[Record, ...]  # the ledger as this run found it
    new: tuple[Record, ...]  # verdicts of the weeks after it, for the archive to record
    evidence: EvidenceReport
    home_charts: tuple[charts.Chart, ...]
    week_rows: charts.WeekRows  # the archive posts' chart rows
    warnings: tuple[str, ...] = ()
    # The week in progress (--provisional): shown on the home page, never recorded.
    week_so_far: provisional.WeekSoFar | None = None

    @property
    def records(self) -> tuple[Record, ...]:
        """The archive once `new` is recorded, up to the newest week (what the pages show)."""
        newest = self.newest_week.isoformat()
        return tuple(r for r in (*self.recorded, *self.new) if r["week_ending"] <= newest)

    @property
    def latest(self) -> Record:
        return self.records[-1]

    @property
    def backfilled(self) -> int:
        return sum(1 for r in self.new if r["source"] == "backfill")

    @property
    def newest_data(self) -> Mapping[str, dt.date | None]:
        """Each configured symbol's newest cached day (the Data page's freshness column)."""
        return {s.symbol: self.data.newest(s.symbol) for s in self.config.symbols}


def newest_week_for(data: MarketData, options: RunOptions) -> dt.date:
    """The newest complete week this run can speak for: on or before both `--as-of` and the
    Russell 2000's newest cached close (a week the benchmark has no close for yet is not over
    for us; it is recorded by a later run, not recorded as unknown now)."""
    rut = options.config.russell.symbol
    newest = data.newest(rut)
    if newest is None:
        raise StaleData(f"{rut}: no cached prices on or before {options.as_of}")
    limit = min(options.as_of, newest)
    return market.complete_week_ending(limit, options.config.weeks.calendar)


def _stale_warning(data: MarketData, options: RunOptions, newest_week: dt.date) -> tuple[str, ...]:
    if newest_week >= options.as_of - dt.timedelta(days=14):
        return ()
    rut = options.config.russell.symbol
    return (
        f"{rut} data ends {data.newest(rut)}; "
        f"the newest week this run can speak for is {newest_week} (as of {options.as_of})",
    )


def new_verdicts(
    weekly: pd.DataFrame, recorded: tuple[Record, ...], newest_week: dt.date, config: Config
) -> tuple[Record, ...]:
    """Verdicts of the complete weeks after the newest recorded one, up to `newest_week`."""
    first = first_recordable_week(weekly)
    chosen = archive.weeks_to_record(
        list(weekly.index), list(recorded), first, pd.Timestamp(newest_week)
    )
    new = tuple(
        build_verdict(week, cast(pd.Series, weekly.loc[week]), config, source)
        for week, source in chosen
    )
    newest = newest_week.isoformat()
    if not any(r["week_ending"] <= newest for r in (*recorded, *new)):
        raise StaleData(
            f"no week on or before {newest_week} has the data a verdict needs "
            f"(the first such week is {first.date() if first is not None else 'not in the data'})"
        )
    return new


def run(
    options: RunOptions,
    prices: dict[str, pd.DataFrame] | None = None,
    progress: Progress | None = None,
) -> PipelineResult:
    """Compute everything this run shows. `prices` are the frames this run's fetch validated
    (FetchSummary.prices); without them the cache is read from the data folder."""
    done = progress or (lambda stage: None)
    config = options.config
    data = load_market_data(config, options.data_dir, options.today, options.as_of, prices)
    newest_week = newest_week_for(data, options)
    done("load")
    panel = market.weekly_panel(data, config, newest_week)
    done("weekly bars")
    weekly = compute_weekly(panel, data, config)
    done("indicators")
    recorded = tuple(archive.read_ledger(archive.ledger_path(options.data_dir)))
    new = new_verdicts(weekly, recorded, newest_week, config)
    done("verdicts")
    evidence = build_evidence(weekly, panel, data, config, newest_week)
    done("evidence")
    home_charts = charts.home_charts(weekly, config)
    week_rows = charts.WeekRows(weekly, config.charts.week_chart_weeks)
    done("chart data")
    week_so_far = None
    if options.provisional:
        week_so_far = provisional.week_so_far(
            data, panel, config, newest_week, options.as_of, options.today
        )
    return PipelineResult(
        config=config,
        newest_week=newest_week,
        data=data,
        weekly=weekly,
        recorded=recorded,
        new=new,
        evidence=evidence,
        home_charts=home_charts,
        week_rows=week_rows,
        warnings=_stale_warning(data, options, newest_week),
        week_so_far=week_so_far,
    )
