"""In-process measurements for bench/run.py: one scenario per process, results as JSON.

Each scenario runs in a fresh interpreter so that its peak RSS is its own and no cache (Altair
templates, the NYSE calendar, Jinja environments) carries over from an earlier scenario, as in
a real weekly run. The stage functions are called in the order `generator.cli.site` and
`generator.pages.generate` call them, each timed with `time.perf_counter`.

    python bench/worker.py stages --data-dir D --docs-dir O --site-dir S --prices-dir P --out F
    python bench/worker.py scale  --weeks N --real-ledger L --data-dir D ... --out F

Never run it on the repository's own data/, site_docs/ or site/: bench/run.py always passes
temporary folders.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import copy
import cProfile
import datetime as dt
import io
import json
import logging
import pstats
import resource
import sys
import time
import tracemalloc
from pathlib import Path

STARTED = time.perf_counter()
PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

import pandas as pd  # noqa: E402

from generator import archive, cache, charts, market, pages  # noqa: E402
from generator import site as site_module  # noqa: E402
from generator.cache import load_market_data  # noqa: E402
from generator.config import RunOptions, load_config  # noqa: E402
from generator.evidence import build_evidence  # noqa: E402
from generator.indicators import compute_weekly  # noqa: E402
from generator.verdict import build_verdict, first_recordable_week  # noqa: E402

IMPORTED = time.perf_counter()
MB = 1024 * 1024


def peak_rss_mb() -> float:
    """The process's peak resident set so far (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Clock:
    """Times named stages; notes the RSS high-water mark after each (and, with tracemalloc on,
    the peak of Python allocations during the stage)."""

    def __init__(self, trace: bool = False) -> None:
        self.trace = trace
        self.rows: list[dict] = []
        if trace:
            tracemalloc.start()

    @contextlib.contextmanager
    def stage(self, name: str):
        if self.trace:
            tracemalloc.reset_peak()
        started = time.perf_counter()
        yield
        row = {"stage": name, "seconds": time.perf_counter() - started, "rss_mb": peak_rss_mb()}
        if self.trace:
            row["py_peak_mb"] = tracemalloc.get_traced_memory()[1] / MB
        self.rows.append(row)

    def add(self, name: str, seconds: float, **extra) -> None:
        """A stage timed by the caller (tracemalloc's peak is the one since the last reset)."""
        row = {"stage": name, "seconds": seconds, "rss_mb": peak_rss_mb(), **extra}
        if self.trace:
            row["py_peak_mb"] = tracemalloc.get_traced_memory()[1] / MB
        self.rows.append(row)

    def reset_peak(self) -> None:
        if self.trace:
            tracemalloc.reset_peak()


class TimedWriter(pages.DocsWriter):
    """The generator's DocsWriter, timing the chart renderings (vl-convert, on every core).

    With `stand_ins`, a missing rendering is written as a real rendering of another week of
    the same kind instead of being drawn: the file names (content hashes) and so the pages are
    exactly those of a real run, which makes a warm docs folder for 2,000 weeks in seconds.
    """

    def __init__(self, docs_dir: Path, stand_ins: dict[str, bytes] | None = None) -> None:
        super().__init__(docs_dir)
        self.stand_ins = stand_ins
        self.render_seconds = 0.0
        self.renders = collections.Counter()

    def render_pending(self) -> None:
        for rel in self.pending:
            self.renders[Path(rel).suffix] += 1
        started = time.perf_counter()
        if self.stand_ins is None:
            super().render_pending()
        else:
            for rel in sorted(self.pending):
                self.bytes(rel, self.stand_ins[Path(rel).suffix])
            self.pending.clear()
        self.render_seconds += time.perf_counter() - started


class BundleTimer:
    """Times `charts.vega_bundle` (built once per Vega version, so on cold runs only)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.original = charts.vega_bundle

    def __call__(self) -> str:
        started = time.perf_counter()
        try:
            return self.original()
        finally:
            self.seconds += time.perf_counter() - started


def run_options(args, config) -> RunOptions:
    return RunOptions(
        config=config,
        as_of=dt.date.fromisoformat(args.as_of),
        today=dt.datetime.now(dt.UTC).date(),
        data_dir=Path(args.data_dir),
        docs_dir=Path(args.docs_dir),
        site_dir=Path(args.site_dir),
        prices_dir=Path(args.prices_dir) if args.prices_dir else None,
        offline=True,
    )


def run_pages(
    options: RunOptions, clock: Clock, writer: TimedWriter, prices: dict | None = None
) -> dict:
    """`pages.generate`, stage by stage. Returns what the run did. `prices` are the frames
    the fetch stage hands over (FetchSummary.prices), as `cli.site` passes them."""
    config = options.config
    with clock.stage("load cache"):
        if prices is None:
            data = load_market_data(config, options.data_dir, options.today, options.as_of)
        else:
            data = load_market_data(config, options.data_dir, options.today, options.as_of, prices)
        newest_week = pages.newest_week_for(data, options)
    with clock.stage("weekly bars"):
        panel = market.weekly_panel(data, config, newest_week)
    with clock.stage("indicators"):
        weekly = compute_weekly(panel, data, config)
    with clock.stage("verdicts (ledger read, backfill, append)"):
        path = archive.ledger_path(options.data_dir)
        recorded = archive.read_ledger(path)
        first = first_recordable_week(weekly)
        chosen = archive.weeks_to_record(
            list(weekly.index), recorded, first, pd.Timestamp(newest_week)
        )
        new = [build_verdict(week, weekly.loc[week], config, source) for week, source in chosen]
        added = archive.append(path, recorded, new)
        records = [r for r in recorded + new if r["week_ending"] <= newest_week.isoformat()]
    with clock.stage("evidence"):
        evidence = build_evidence(weekly, panel, data, config, newest_week)
    with clock.stage("home charts (Altair specs)"):
        home = charts.home_charts(weekly, config)

    bundle = BundleTimer()
    charts.vega_bundle = bundle
    clock.reset_peak()
    started = time.perf_counter()
    try:
        pages.prepare_docs_dir(options.docs_dir)
        pages.write_site_files(writer, config, records, weekly, evidence, home, data)
    finally:
        charts.vega_bundle = bundle.original
    total = time.perf_counter() - started
    clock.add(
        "pages (templates, post chart specs, hashes, writes)",
        total - writer.render_seconds - bundle.seconds,
    )
    clock.add(
        "chart renderings (vl-convert SVG/PNG)",
        writer.render_seconds,
        files=dict(writer.renders),
    )
    clock.add("Vega bundle (once per version)", bundle.seconds)
    with clock.stage("remove stale files"):
        removed = writer.remove_stale()
    return {
        "weeks": len(records),
        "recorded": added,
        "written": writer.written,
        "removed": removed,
        "renders": dict(writer.renders),
        "newest_week": newest_week.isoformat(),
        "signal": records[-1]["signal"],
    }


# --- MkDocs, instrumented ----------------------------------------------------------------------


def _page_kind(page) -> str:
    name = type(page).__name__
    if name == "Post":
        return "blog post"
    if name in ("View", "Archive", "Category", "Profile"):
        return f"blog {name.lower()} page" if name != "View" else "blog index page"
    return "other page"


class MkDocsProbe:
    """Times MkDocs by page kind and by plugin event, and counts blog excerpt renderings.

    Installed around `generator.site.build_site` (which is called unchanged); `overrides`
    are passed to MkDocs' `load_config` (e.g. a modified `plugins` list), `strict` too.
    """

    def __init__(self) -> None:
        self.pages = collections.defaultdict(lambda: [0, 0.0])  # kind -> [count, seconds]
        self.reads = collections.defaultdict(lambda: [0, 0.0])
        self.events = collections.defaultdict(float)  # "plugin: event" -> seconds
        self.excerpts = [0, 0.0]

    @contextlib.contextmanager
    def installed(self, overrides: dict | None = None):
        import mkdocs.commands.build as mk_build
        import mkdocs.plugins as mk_plugins

        patches = []

        def patch(owner, name, value):
            patches.append((owner, name, getattr(owner, name)))
            setattr(owner, name, value)

        def timed_by_kind(original, table):
            def wrapper(page, *args, **kwargs):
                started = time.perf_counter()
                try:
                    return original(page, *args, **kwargs)
                finally:
                    row = table[_page_kind(page)]
                    row[0] += 1
                    row[1] += time.perf_counter() - started

            return wrapper

        events = self.events

        def run_event(collection, name, item=None, **kwargs):
            # mkdocs.plugins.PluginCollection.run_event, timing each plugin's handler.
            pass_item = item is not None
            for method in collection.events[name]:
                plugin = collection._event_origins.get(method, "<unknown>")
                collection._current_plugin = plugin
                started = time.perf_counter()
                result = method(item, **kwargs) if pass_item else method(**kwargs)
                events[f"{plugin}: {name}"] += time.perf_counter() - started
                if result is not None:
                    item = result
            collection._current_plugin = None
            return item

        patch(mk_build, "_build_page", timed_by_kind(mk_build._build_page, self.pages))
        patch(mk_build, "_populate_page", timed_by_kind(mk_build._populate_page, self.reads))
        patch(mk_plugins.PluginCollection, "run_event", run_event)
        try:
            from material.plugins.blog.structure import Excerpt

            excerpts = self.excerpts
            original_render = Excerpt.render

            def render(excerpt, *args, **kwargs):
                started = time.perf_counter()
                try:
                    return original_render(excerpt, *args, **kwargs)
                finally:
                    excerpts[0] += 1
                    excerpts[1] += time.perf_counter() - started

            patch(Excerpt, "render", render)
        except ImportError:
            pass
        if overrides:
            original_load = site_module.load_mkdocs_config

            def load_with_overrides(**kwargs):
                return original_load(**{**kwargs, **overrides})

            patch(site_module, "load_mkdocs_config", load_with_overrides)
        try:
            yield self
        finally:
            for owner, name, value in reversed(patches):
                setattr(owner, name, value)

    def summary(self) -> dict:
        return {
            "build_pages": {k: {"count": c, "seconds": s} for k, (c, s) in self.pages.items()},
            "read_pages": {k: {"count": c, "seconds": s} for k, (c, s) in self.reads.items()},
            "plugin_events": dict(sorted(self.events.items(), key=lambda kv: -kv[1])),
            "blog_excerpt_renders": {"count": self.excerpts[0], "seconds": self.excerpts[1]},
        }


def blog_variant_overrides(variant: dict | None) -> dict | None:
    """MkDocs `load_config` overrides for a blog-plugin variant of the project's mkdocs.yml.

    `variant` is {"blog": {...settings...}} to change blog settings, or {"blog": None} to drop
    the blog plugin (posts become plain pages outside the nav: strict mode is then turned off,
    since MkDocs warns about them).
    """
    if not variant:
        return None
    from mkdocs.utils import yaml_load

    with open(site_module.MKDOCS_YML, encoding="utf-8") as handle:
        raw = yaml_load(handle)
    plugins = []
    for entry in raw["plugins"]:
        name = next(iter(entry)) if isinstance(entry, dict) else entry
        if name != "blog":
            plugins.append(entry)
        elif variant["blog"] is not None:
            plugins.append({"blog": {**entry["blog"], **variant["blog"]}})
    overrides: dict = {"plugins": plugins}
    if variant["blog"] is None:
        overrides["strict"] = False
        overrides["validation"] = {**raw.get("validation", {}), "nav": {"omitted_files": "info"}}
    return overrides


def build_instrumented(docs_dir: Path, site_dir: Path, variant: dict | None = None) -> dict:
    probe = MkDocsProbe()
    started = time.perf_counter()
    with probe.installed(blog_variant_overrides(variant)):
        site_module.build_site(docs_dir, site_dir)
    return {"seconds": time.perf_counter() - started, **probe.summary()}


# --- Scenarios ---------------------------------------------------------------------------------


def scenario_stages(args) -> dict:
    """The whole `site` job, stage by stage: fetch from the replay folder, pages, MkDocs."""
    clock = Clock(trace=args.tracemalloc)
    clock.rows.append(
        {"stage": "imports (pandas, Altair, MkDocs, generator)", "seconds": IMPORTED - STARTED}
        | {"rss_mb": peak_rss_mb()}
    )
    with clock.stage("config"):
        config = load_config()
        options = run_options(args, config)
    with clock.stage("fetch (replay into the price cache)"):
        fetched = cache.refresh(
            config,
            options.data_dir,
            as_of=options.as_of,
            today=options.today,
            prices_from=options.prices_dir,
            offline=True,
            require_live=False,
        )
    writer = TimedWriter(Path(options.docs_dir))
    did = run_pages(options, clock, writer, getattr(fetched, "prices", None))
    mkdocs = None
    if not args.no_mkdocs:
        with clock.stage("mkdocs build --strict"):
            mkdocs = build_instrumented(options.docs_dir, options.site_dir)
    return {
        "stages": clock.rows,
        "fetch": {"updated": len(fetched.updated), "rows_added": fetched.rows_added},
        "pages": did,
        "mkdocs": mkdocs,
        "peak_rss_mb": peak_rss_mb(),
        "seconds_in_process": time.perf_counter() - STARTED,
    }


def synthetic_ledger(real: list[dict], weeks: list[str]) -> list[dict]:
    """Real verdict records relabelled onto the given (ascending, unique) week dates.

    The newest synthetic week gets the newest real record, the one before it the real one
    before that, and so on, cycling through the real ledger for older weeks; so the synthetic
    ledger's last len(real) weeks are the real ledger when the dates line up, and a size's
    records do not depend on the size (a longer ledger only adds older weeks).
    """
    count = len(weeks)
    out = []
    for i, week in enumerate(weeks):
        record = copy.deepcopy(real[(i - count) % len(real)])
        record["week_ending"] = week
        out.append(record)
    return out


def write_synthetic_ledger(options: RunOptions, weeks_wanted: int, real_ledger: Path) -> dict:
    """Write `weeks_wanted` synthetic records, ending at the newest complete week, as the
    ledger of `options.data_dir`. The dates are real NYSE week ends (the pipeline's own)."""
    config = options.config
    data = load_market_data(config, options.data_dir, options.today, options.as_of)
    newest_week = pages.newest_week_for(data, options)
    panel = market.weekly_panel(data, config, newest_week)
    weeks = [w.date().isoformat() for w in panel.index]
    if len(weeks) < weeks_wanted:
        raise SystemExit(f"only {len(weeks)} weeks of Russell 2000 data; asked for {weeks_wanted}")
    real = archive.read_ledger(real_ledger)
    records = synthetic_ledger(real, weeks[-weeks_wanted:])
    path = archive.ledger_path(options.data_dir)
    path.write_text("".join(archive.dumps(r) + "\n" for r in records), encoding="utf-8")
    archive.read_ledger(path)  # the synthetic ledger must be a valid one
    same = sum(
        1 for a, b in zip(reversed(real), reversed(records), strict=False) if a == b
    )  # how many of the newest synthetic weeks are the real records themselves
    return {"weeks": len(records), "first": weeks[-weeks_wanted], "identical_to_real": same}


def scenario_scale(args) -> dict:
    """pages+charts (and MkDocs) for a ledger of `--weeks` weeks in `--data-dir`."""
    clock = Clock(trace=args.tracemalloc)
    config = load_config()
    options = run_options(args, config)
    ledger = None
    if args.real_ledger:
        ledger = write_synthetic_ledger(options, args.weeks, Path(args.real_ledger))
    stand_ins = None
    if args.stand_in_svg:
        stand_ins = {
            ".svg": Path(args.stand_in_svg).read_bytes(),
            ".png": Path(args.stand_in_png).read_bytes(),
        }
    result = {"ledger": ledger, "stages": clock.rows}
    if not args.mkdocs_only:
        writer = TimedWriter(Path(options.docs_dir), stand_ins)
        profile = cProfile.Profile() if args.profile else None
        if profile:
            profile.enable()
        result["pages"] = run_pages(options, clock, writer)
        if profile:
            profile.disable()
            result["profile"] = profile_tables(profile)
    if not args.no_mkdocs:
        variant = json.loads(args.variant) if args.variant else None
        with clock.stage("mkdocs build"):
            result["mkdocs"] = build_instrumented(options.docs_dir, options.site_dir, variant)
    result["peak_rss_mb"] = peak_rss_mb()
    return result


def profile_tables(profile: cProfile.Profile, limit: int = 18) -> dict:
    """The top entries of a cProfile run, by cumulative and by own time."""
    tables = {}
    for key in ("cumulative", "tottime"):
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out)
        stats.sort_stats(key)
        rows = []
        for func in stats.fcn_list[: limit * 4]:
            _, nc, tt, ct, _ = stats.stats[func]
            file, line, name = func
            where = _short(file)
            if key == "cumulative" and where.startswith(("~", "<")):
                continue  # builtins and the bench itself say little about where time goes
            rows.append(
                {"function": f"{where}:{line}({name})", "calls": nc, "own": tt, "cumulative": ct}
            )
            if len(rows) == limit:
                break
        tables[key] = rows
    return tables


def _short(file: str) -> str:
    for marker in ("site-packages/", "/work/main/", str(PROJECT) + "/"):
        if marker in file:
            return file.split(marker, 1)[1]
    if file.startswith("~") or file.startswith("<"):
        return file
    return Path(file).name


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", choices=("stages", "scale"))
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--docs-dir", required=True)
    parser.add_argument("--site-dir", required=True)
    parser.add_argument("--prices-dir")
    parser.add_argument("--as-of", default="2026-02-20")
    parser.add_argument("--weeks", type=int)
    parser.add_argument("--real-ledger", help="synthesise the ledger from this real one")
    parser.add_argument("--stand-in-svg")
    parser.add_argument("--stand-in-png")
    parser.add_argument("--variant", help="blog plugin variant (JSON) for the MkDocs build")
    parser.add_argument("--no-mkdocs", action="store_true")
    parser.add_argument("--mkdocs-only", action="store_true", help="skip the pages stages")
    parser.add_argument("--profile", action="store_true", help="cProfile the pages stages")
    parser.add_argument("--tracemalloc", action="store_true")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    for name in ("mkdocs", "material", "mkdocs_rss_plugin"):
        logging.getLogger(name).setLevel(logging.WARNING)  # as the CLI sets them: quiet
    result = scenario_stages(args) if args.scenario == "stages" else scenario_scale(args)
    Path(args.out).write_text(json.dumps(result, indent=1, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()
