"""Pages: verdicts recorded, then every generated file under the docs folder written.

Load (cache) -> Process (weekly bars, indicators, verdicts, evidence, charts) -> Save (ledger
append, pages, API files, chart files). Pages are rendered from templates/ with StrictUndefined;
every write goes through fsio (atomic, skipped when unchanged), and generated files that are no
longer wanted (a post after `--as-of`, an old preview) are removed, so the folder always equals
what this run computed.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import io
import json
import logging
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import pandas as pd

from generator import archive, charts, fsio, market, templating
from generator.cache import MarketData, load_market_data
from generator.config import PROJECT_ROOT, RunOptions
from generator.errors import StaleData
from generator.evidence import build_evidence
from generator.indicators import compute_weekly
from generator.verdict import build_verdict, first_recordable_week

log = logging.getLogger(__name__)

SOURCE_DOCS = PROJECT_ROOT / "site_docs"
# Everything below these paths in the docs folder is written by this module (and git-ignored).
GENERATED_FILES = ("index.md", "weeks.md", "evidence.md", "methodology.md", "data.md")
GENERATED_DIRS = ("blog/posts", "api", "assets/charts", "assets/og", "assets/vendor")
POST_SLUG = "weekly-verdict"


@dataclass
class PagesSummary:
    """What one `pages` run did, for the closing summary line."""

    week: dt.date | None = None
    signal: str | None = None
    recorded: int = 0
    backfilled: int = 0
    weeks_total: int = 0
    written: int = 0
    removed: int = 0
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass(frozen=True)
class Post:
    """One archive post: its record, where its source file goes, and its neighbours."""

    record: dict
    path: PurePosixPath  # relative to the docs folder
    changed_from: str | None
    url: str  # the post's URL path, relative to the site root


def post_path(record: dict, changed: bool) -> PurePosixPath:
    folder = "blog/posts/changes" if changed else "blog/posts"
    return PurePosixPath(folder) / f"{record['week_ending']}.md"


def post_url(record: dict) -> str:
    y, m, d = record["week_ending"].split("-")
    return f"blog/{y}/{m}/{d}/{POST_SLUG}/"


def build_posts(records: list[dict]) -> list[Post]:
    posts = []
    previous = None
    for record in records:
        changed_from = (
            previous["signal"]
            if previous is not None and previous["signal"] != record["signal"]
            else None
        )
        path = post_path(record, changed_from is not None)
        posts.append(Post(record, path, changed_from, post_url(record)))
        previous = record
    return posts


def relative(from_page: PurePosixPath, to_page: PurePosixPath) -> str:
    """A Markdown link from one source page to another (MkDocs turns it into the URL)."""
    return os.path.relpath(to_page, from_page.parent).replace(os.sep, "/")


def root_of(url: str) -> str:
    """The relative prefix from a page URL (`blog/2025/01/03/x/`) back to the site root."""
    depth = len([p for p in url.split("/") if p])
    return "../" * depth


# --- Load and process ----------------------------------------------------------------------------


def newest_week_for(data: MarketData, options: RunOptions) -> dt.date:
    """The newest complete week this run can speak for: on or before both `--as-of` and the
    Russell 2000's newest cached close (a week the benchmark has no close for yet is not over
    for us; it is recorded by a later run, not recorded as unknown now)."""
    rut = options.config.russell.symbol
    newest = data.newest(rut)
    if newest is None:
        raise StaleData(f"{rut}: no cached prices on or before {options.as_of}")
    limit = min(options.as_of, newest)
    return market.complete_week_ending(limit, options.config.section("weeks")["calendar"])


def prepare_docs_dir(docs_dir: Path) -> None:
    """Give a docs folder outside the project the hand-written pages and assets it needs."""
    docs_dir = Path(docs_dir)
    if docs_dir.resolve() == SOURCE_DOCS.resolve():
        return
    for source in SOURCE_DOCS.rglob("*"):
        rel = source.relative_to(SOURCE_DOCS).as_posix()
        if source.is_dir() or _is_generated(rel):
            continue
        target = docs_dir / rel
        fsio.write_bytes(target, source.read_bytes())


def _is_generated(rel: str) -> bool:
    return rel in GENERATED_FILES or any(rel.startswith(d + "/") for d in GENERATED_DIRS)


def generate(
    options: RunOptions,
    progress: Callable[[str], None] | None = None,
    prices: dict[str, pd.DataFrame] | None = None,
) -> PagesSummary:
    """Record this run's verdicts in the ledger and write every generated page and file.

    `prices` are the frames this run's fetch validated (FetchSummary.prices); without them the
    cache is read from the data folder."""
    started = time.monotonic()
    config = options.config
    summary = PagesSummary()

    # Load: the price cache, cut at --as-of.
    data = load_market_data(config, options.data_dir, options.today, options.as_of, prices)
    newest_week = newest_week_for(data, options)
    if newest_week < options.as_of - dt.timedelta(days=14):
        summary.warnings.append(
            f"{config.russell.symbol} data ends {data.newest(config.russell.symbol)}; "
            f"the newest week this run can speak for is {newest_week} (as of {options.as_of})"
        )

    # Process: weekly bars and indicators for every complete week.
    panel = market.weekly_panel(data, config, newest_week)
    weekly = compute_weekly(panel, data, config)
    if progress:
        progress("indicators")

    # Save (ledger): append the weeks after the newest recorded one.
    path = archive.ledger_path(options.data_dir)
    recorded = archive.read_ledger(path)
    first = first_recordable_week(weekly)
    chosen = archive.weeks_to_record(list(weekly.index), recorded, first, pd.Timestamp(newest_week))
    new = [build_verdict(week, weekly.loc[week], config, source) for week, source in chosen]
    summary.recorded = archive.append(path, recorded, new)
    summary.backfilled = sum(1 for r in new if r["source"] == "backfill")
    records = [r for r in recorded + new if r["week_ending"] <= newest_week.isoformat()]
    if not records:
        raise StaleData(
            f"no week on or before {newest_week} has the data a verdict needs "
            f"(the first such week is {first.date() if first is not None else 'not in the data'})"
        )
    if progress:
        progress("verdicts")

    # Process: evidence and charts.
    evidence = build_evidence(weekly, panel, data, config, newest_week)
    home_charts = charts.home_charts(weekly, config)
    if progress:
        progress("evidence")

    # Save: pages and files.
    writer = DocsWriter(Path(options.docs_dir))
    prepare_docs_dir(options.docs_dir)
    write_site_files(writer, config, records, weekly, evidence, home_charts, data, progress)
    summary.written = writer.written
    summary.removed = writer.remove_stale()
    latest = records[-1]
    summary.week = dt.date.fromisoformat(latest["week_ending"])
    summary.signal = latest["signal"]
    summary.weeks_total = len(records)
    summary.seconds = time.monotonic() - started
    return summary


# --- Save ---------------------------------------------------------------------------------------


class DocsWriter:
    """Writes generated files into the docs folder and remembers them, to prune the rest.

    Chart renderings are content-addressed (the spec's hash is in the file name): one that
    exists is kept as it is, and the missing ones are rendered together on every core by
    `render_pending`, since vl-convert releases the GIL while it draws.
    """

    def __init__(self, docs_dir: Path):
        self.docs_dir = docs_dir
        self.kept: set[str] = set()  # POSIX paths relative to the docs folder
        self.written = 0
        self.pending: dict[str, Callable[[], bytes]] = {}

    def render_later(self, rel: str, render: Callable[[], bytes]) -> None:
        """Keep `rel`; render it with `render()` unless it already exists."""
        if not self.keep(rel):
            self.pending[rel] = render

    def render_pending(self) -> None:
        if not self.pending:
            return
        jobs = sorted(self.pending.items())
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            results = list(pool.map(lambda job: job[1](), jobs))
        for (rel, _), data in zip(jobs, results, strict=True):
            self.bytes(rel, data)
        self.pending.clear()

    def path(self, rel: str | PurePosixPath) -> Path:
        return self.docs_dir / str(rel)

    def keep(self, rel: str | PurePosixPath) -> bool:
        """Mark a file as wanted; True when it already exists (so it need not be rendered)."""
        self.kept.add(PurePosixPath(rel).as_posix())
        return self.path(rel).exists()

    def bytes(self, rel: str | PurePosixPath, data: bytes) -> None:
        self.keep(rel)
        if fsio.write_bytes(self.path(rel), data):
            self.written += 1

    def text(self, rel: str | PurePosixPath, text: str) -> None:
        self.bytes(rel, text.encode("utf-8"))

    def remove_stale(self) -> int:
        # The temporary files of writes a killed run never finished go too (the run holds the
        # data lock, so no other run is writing here).
        removed = len(fsio.remove_leftovers(self.docs_dir))
        for rel in GENERATED_DIRS:
            removed += len(fsio.remove_stale(self.docs_dir, rel, self.kept))
        for rel in GENERATED_FILES:
            target = self.docs_dir / rel
            if target.exists() and rel not in self.kept:
                target.unlink()
                removed += 1
        return removed


def pretty_json(value) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"


CSV_COLUMNS = (
    ("week_ending", lambda r: r["week_ending"]),
    ("signal", lambda r: r["signal"]),
    ("source", lambda r: r["source"]),
    ("rut_close", lambda r: r["rut"]["close"]),
    ("rut_reference", lambda r: r["rut"]["reference"]),
    ("rut_reference_date", lambda r: r["rut"]["reference_date"]),
    ("rut_zone_top", lambda r: r["rut"]["zone_top"]),
    ("rut_distance_pct", lambda r: r["rut"]["distance_pct"]),
    ("rut_state", lambda r: r["rut"]["state"]),
    ("basket_close", lambda r: r["alts"]["basket_close"]),
    ("basket_members", lambda r: r["alts"]["basket_members"]),
    ("basket_vs_ma_fast_pct", lambda r: r["alts"]["basket_vs_ma_fast_pct"]),
    ("basket_vs_ma_slow_pct", lambda r: r["alts"]["basket_vs_ma_slow_pct"]),
    ("season_index", lambda r: r["alts"]["season_index"]),
    ("eth_btc_trend", lambda r: r["alts"]["eth_btc_trend"]),
    ("fear_greed", lambda r: r["sentiment"]["fear_greed"]),
    ("vix", lambda r: r["sentiment"]["vix"]),
    ("corr_52w", lambda r: r["comovement"]["corr_52w"]),
    ("methodology", lambda r: r["methodology"]),
    ("sentence", lambda r: r["sentence"]),
)


def verdicts_csv(records: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([name for name, _ in CSV_COLUMNS])
    for record in records:
        writer.writerow(["" if (v := get(record)) is None else v for _, get in CSV_COLUMNS])
    return out.getvalue()


def write_chart(writer: DocsWriter, chart: charts.Chart) -> dict:
    """Spec, SVG fallback and CSV of one chart; returns what a template needs to embed it."""
    base = f"assets/charts/{chart.name}"
    writer.text(f"{base}.json", json.dumps(chart.spec, sort_keys=True, separators=(",", ":")))
    writer.text(f"{base}.csv", chart.data.to_csv(index=False, lineterminator="\n"))
    figure = {"name": chart.name, "title": chart.title, "description": chart.description}
    for key, static in charts.static_renderings(chart).items():
        figure[key] = f"{base}-{charts.spec_hash(static)}.svg"
        figure[key + "_size"] = (static["width"], static["height"])
        writer.render_later(figure[key], lambda s=static: charts.to_svg(s).encode("utf-8"))
    return {**figure, "spec": f"{base}.json", "csv": f"{base}.csv"}


def write_preview(writer: DocsWriter, name: str, chart: charts.Chart, record: dict) -> str:
    """A link-preview PNG for a page, rendered only when its content changed."""
    headline = templating.render("preview_title.txt.j2", v=record).strip()
    spec = charts.preview_spec(chart, headline, record["sentence"], record["signal"])
    rel = f"assets/og/{name}-{charts.spec_hash(spec)}.png"
    writer.render_later(rel, lambda: charts.to_png(spec))
    return rel


def write_site_files(
    writer: DocsWriter,
    config,
    records: list[dict],
    weekly: pd.DataFrame,
    evidence: dict,
    home_charts: list[charts.Chart],
    data: MarketData,
    progress: Callable[[str], None] | None = None,
) -> None:
    posts = build_posts(records)
    latest, latest_post = records[-1], posts[-1]
    site = {"title": config.site_title, "description": config.site_description}

    # Shared assets: the Vega bundle (once per version) and the home charts.
    bundle, version_file = "assets/vendor/vega-bundle.js", "assets/vendor/VERSION"
    version = charts.bundle_version()
    stamp = writer.path(version_file)
    current = writer.keep(bundle) and stamp.exists() and stamp.read_text() == version
    if not current:  # building the bundle takes a second or two; once per Vega version
        writer.text(bundle, charts.vega_bundle())
    writer.text(version_file, version)
    figures = [write_chart(writer, c) for c in home_charts]
    home_preview = write_preview(writer, "home", home_charts[0], latest)
    if progress:
        progress("charts")

    # API files.
    writer.text("api/latest.json", pretty_json(latest))
    writer.text("api/verdicts.json", pretty_json(records))
    writer.text("api/verdicts.csv", verdicts_csv(records))
    writer.text("api/evidence.json", pretty_json(evidence))
    writer.text("api/badge.svg", templating.render("badge.svg.xml.j2", v=latest))

    common = {"site": site, "config": config.raw, "basket": config.basket, "cfg": config}
    # Pages.
    writer.text(
        "index.md",
        templating.render(
            "home.md.j2",
            v=latest,
            post=latest_post,
            post_link=str(latest_post.path),
            previous=posts[-2].record if len(posts) > 1 else None,
            figures=figures,
            preview=home_preview,
            root="",
            **common,
        ),
    )
    writer.text(
        "weeks.md",
        templating.render("weeks.md.j2", posts=list(reversed(posts)), **common),
    )
    writer.text("evidence.md", templating.render("evidence.md.j2", e=evidence, v=latest, **common))
    writer.text("methodology.md", templating.render("methodology.md.j2", **common))
    newest = {s.symbol: data.newest(s.symbol) for s in config.symbols}
    writer.text(
        "data.md",
        templating.render("data.md.j2", v=latest, newest=newest, count=len(records), **common),
    )
    write_posts(writer, posts, charts.WeekRows(weekly), common)
    writer.render_pending()
    # The feed's image needs a stable address; it is the home page's preview.
    writer.bytes("assets/og/home.png", writer.path(home_preview).read_bytes())


# --- Archive posts ----------------------------------------------------------------------------

POSTS_MANIFEST = "blog/posts/.manifest.json"  # a dotfile: MkDocs does not publish it
RENDER_INPUTS = ("generator/charts.py", "generator/pages.py", "generator/templating.py")


@functools.cache
def render_version() -> str:
    """A hash of everything that shapes a post besides its data: the templates, the modules
    that render them, and the chart renderer's version."""
    digest = hashlib.sha256(charts.bundle_version().encode())
    sources = sorted(templating.TEMPLATES_DIR.rglob("*"))
    sources += [PROJECT_ROOT / p for p in RENDER_INPUTS]
    for path in sources:
        if path.is_file():
            digest.update(path.relative_to(PROJECT_ROOT).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _post_key(post: Post, previous: Post | None, following: Post | None, rows: list[dict]) -> str:
    """Everything a post's files are made from: its record, its neighbours, its chart rows."""
    neighbours = [
        None if p is None else [p.record["week_ending"], p.record["signal"], str(p.path)]
        for p in (previous, following)
    ]
    payload = [render_version(), post.record, str(post.path), post.changed_from, neighbours, rows]
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(blob.encode()).hexdigest()


def write_posts(writer: DocsWriter, posts: list[Post], rows: charts.WeekRows, common: dict) -> None:
    """One page per recorded week, with its chart as it was and its link preview.

    A recorded week never changes, so a post whose inputs (its record, its neighbours, its
    chart rows, the templates and renderers) hash to the key in the manifest, and whose files
    are all there and unedited, is kept as it is: a weekly run renders the new week and its
    neighbour, not the whole archive.
    """
    try:
        manifest = json.loads(writer.path(POSTS_MANIFEST).read_text())
    except (FileNotFoundError, ValueError):
        manifest = {}
    fresh = {}
    for i, post in enumerate(posts):
        previous = posts[i - 1] if i else None
        following = posts[i + 1] if i + 1 < len(posts) else None
        week = pd.Timestamp(post.record["week_ending"])
        week_rows = rows.upto(week)
        key = _post_key(post, previous, following, week_rows)
        entry = manifest.get(str(post.path))
        if entry and entry["key"] == key and _intact(writer, entry):
            for rel in entry["files"]:
                writer.keep(rel)
            fresh[str(post.path)] = entry
            continue
        chart = charts.week_chart(week_rows, week)
        static = chart.static_spec(charts.WEEK_WIDTH)
        svg = f"assets/charts/weeks/{post.record['week_ending']}-{charts.spec_hash(static)}.svg"
        writer.render_later(svg, lambda spec=static: charts.to_svg(spec).encode("utf-8"))
        preview = write_preview(writer, post.record["week_ending"], chart, post.record)
        page = templating.render(
            "post.md.j2",
            v=post.record,
            post=post,
            previous=previous,
            following=following,
            rel=lambda target, here=post.path: relative(here, target),
            root=root_of(post.url),
            chart={
                "svg": svg,
                "size": (static["width"], static["height"]),
                "title": chart.title,
                "description": chart.description,
            },
            preview=preview,
            **common,
        )
        writer.text(post.path, page)
        fresh[str(post.path)] = {
            "key": key,
            "files": [str(post.path), svg, preview],
            "sha256": hashlib.sha256(page.encode("utf-8")).hexdigest(),
        }
    writer.render_pending()
    writer.text(POSTS_MANIFEST, json.dumps(fresh, sort_keys=True, indent=1) + "\n")


def _intact(writer: DocsWriter, entry: dict) -> bool:
    """All of a post's files exist and its page is the one this generator wrote."""
    if not all(writer.path(rel).exists() for rel in entry["files"]):
        return False
    page = writer.path(entry["files"][0]).read_bytes()
    return hashlib.sha256(page).hexdigest() == entry.get("sha256")
