"""Pages: the pipeline's result rendered into the docs folder. Decides nothing, computes nothing
a page states; it only puts `PipelineResult` into templates and files.

Pages are rendered from templates/ with StrictUndefined; every file goes through the
DocsWriter (atomic, skipped when unchanged), and generated files this run did not write (a post
after `--as-of`, an old preview) are removed, so the folder always equals what this run
computed.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import pandas as pd

from generator import archive, charts, provisional, templating
from generator.pipeline import PipelineResult, Progress, Record
from generator.writer import DocsWriter, PostManifest, prepare_docs_dir, render_key

POST_SLUG = "weekly-verdict"
STAGES = ("home charts", "pages", "posts", "prune")
Context = dict[str, Any]


@dataclass(frozen=True)
class Written:
    """What the pages stage did to the docs folder."""

    written: int
    removed: int


@dataclass(frozen=True)
class Post:
    """One archive post: its record, where its source file goes, and its neighbours."""

    record: Record
    path: PurePosixPath  # relative to the docs folder
    changed_from: str | None
    url: str  # the post's URL path, relative to the site root


def post_path(record: Record, changed: bool) -> PurePosixPath:
    folder = "blog/posts/changes" if changed else "blog/posts"
    return PurePosixPath(folder) / f"{record['week_ending']}.md"


def post_url(record: Record) -> str:
    y, m, d = record["week_ending"].split("-")
    return f"blog/{y}/{m}/{d}/{POST_SLUG}/"


def build_posts(records: tuple[Record, ...]) -> list[Post]:
    posts = []
    previous: Record | None = None
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


def relative(from_page: PurePosixPath, to_page: str | PurePosixPath) -> str:
    """A Markdown link from one source page to another (MkDocs turns it into the URL)."""
    return os.path.relpath(to_page, from_page.parent).replace(os.sep, "/")


def root_of(url: str) -> str:
    """The relative prefix from a page URL (`blog/2025/01/03/x/`) back to the site root."""
    depth = len([p for p in url.split("/") if p])
    return "../" * depth


def write(
    result: PipelineResult,
    docs_dir: Path,
    progress: Progress | None = None,
    writer: DocsWriter | None = None,
) -> Written:
    """Write every generated page and file of `result` into `docs_dir`; prune the rest.
    `writer` replaces the default DocsWriter (the benchmark's stand-in renderings)."""
    done = progress or (lambda stage: None)
    writer = writer or DocsWriter(docs_dir)
    prepare_docs_dir(docs_dir)
    figures, home_preview = write_home_charts(writer, result)
    done("home charts")
    write_api(writer, result)
    common = {"config": result.config, "basket": result.config.basket}
    posts = build_posts(result.records)
    write_pages(writer, result, posts, home_context(result, posts, figures, home_preview), common)
    done("pages")
    write_posts(writer, posts, result, common)
    # The feed's image needs a stable address; it is the home page's preview.
    writer.bytes("assets/og/home.png", writer.path(home_preview).read_bytes())
    done("posts")
    removed = writer.remove_stale()
    done("prune")
    return Written(written=writer.written, removed=removed)


# --- Charts ---------------------------------------------------------------------------------------


def write_vega_bundle(writer: DocsWriter) -> None:
    """Vega, served from the site itself; rebuilt (a second or two) once per Vega version."""
    bundle, version_file = "assets/vendor/vega-bundle.js", "assets/vendor/VERSION"
    version = charts.bundle_version()
    stamp = writer.path(version_file)
    current = writer.keep(bundle) and stamp.exists() and stamp.read_text() == version
    if not current:
        writer.text(bundle, charts.vega_bundle())
    writer.text(version_file, version)


def write_chart(writer: DocsWriter, chart: charts.Chart) -> dict[str, Any]:
    """Spec, static SVGs (wide and phone) and CSV of one chart; returns what a template needs
    to embed it: the SVGs are the first view, the spec is fetched only on request."""
    base = f"assets/charts/{chart.name}"
    writer.text(f"{base}.json", json.dumps(chart.spec, sort_keys=True, separators=(",", ":")))
    if chart.data is not None:
        writer.text(f"{base}.csv", chart.data.to_csv(index=False, lineterminator="\n"))
    figure: dict[str, Any] = {
        "name": chart.name,
        "title": chart.title,
        "description": chart.description,
    }
    for key, static in charts.static_renderings(chart).items():
        figure[key] = f"{base}-{charts.spec_hash(static)}.svg"
        figure[key + "_size"] = (static["width"], static["height"])
        writer.render_later(figure[key], functools.partial(_svg_bytes, static))
    return {**figure, "spec": f"{base}.json", "csv": f"{base}.csv"}


def _svg_bytes(spec: dict[str, Any]) -> bytes:
    return charts.to_svg(spec).encode("utf-8")


def write_preview(writer: DocsWriter, name: str, chart: charts.Chart, record: Record) -> str:
    """A link-preview PNG for a page, rendered only when its content changed."""
    headline = templating.render("preview_title.txt.j2", v=record).strip()
    spec = charts.preview_spec(chart, headline, record["sentence"], record["signal"])
    rel = f"assets/og/{name}-{charts.spec_hash(spec)}.png"
    writer.render_later(rel, lambda: charts.to_png(spec))
    return rel


def write_home_charts(
    writer: DocsWriter, result: PipelineResult
) -> tuple[list[dict[str, Any]], str]:
    write_vega_bundle(writer)
    figures = [write_chart(writer, chart) for chart in result.home_charts]
    preview = write_preview(writer, "home", result.home_charts[0], result.latest)
    return figures, preview


# --- API files and pages --------------------------------------------------------------------------


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"


CSV_COLUMNS: tuple[tuple[str, Callable[[Record], Any]], ...] = (
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
    ("comovement_corr", lambda r: r["comovement"]["corr"]),
    ("methodology", lambda r: r["methodology"]),
    ("sentence", lambda r: r["sentence"]),
)


def verdicts_csv(records: tuple[Record, ...]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([name for name, _ in CSV_COLUMNS])
    for record in records:
        writer.writerow(["" if (v := get(record)) is None else v for _, get in CSV_COLUMNS])
    return out.getvalue()


def write_api(writer: DocsWriter, result: PipelineResult) -> None:
    records = list(result.records)
    writer.text("api/latest.json", pretty_json(result.latest))
    writer.text("api/verdicts.json", pretty_json(records))
    writer.bytes("api/verdict.schema.json", archive.SCHEMA_PATH.read_bytes())
    writer.text("api/verdicts.csv", verdicts_csv(result.records))
    # The Evidence page renders this same JSON: page and API cannot disagree.
    writer.text("api/evidence.json", pretty_json(result.evidence.to_json()))
    writer.text("api/badge.svg", templating.render("badge.svg.xml.j2", v=result.latest))
    if result.week_so_far is not None:
        writer.text("api/provisional.json", provisional.to_json(result.week_so_far))


def home_context(
    result: PipelineResult, posts: list[Post], figures: list[dict[str, Any]], preview: str
) -> Context:
    """What the home page shows. An optional panel computed by the pipeline is one more key
    here (and one more block in templates/home.md.j2)."""
    return {
        "v": result.latest,
        "post": posts[-1],
        "post_link": str(posts[-1].path),
        "previous": posts[-2].record if len(posts) > 1 else None,
        "figures": figures,
        "preview": preview,
        "root": "",
        "now": result.week_so_far,
    }


def write_pages(
    writer: DocsWriter, result: PipelineResult, posts: list[Post], home: Context, common: Context
) -> None:
    latest = result.latest
    writer.text("index.md", templating.render("home.md.j2", **home, **common))
    weeks = templating.render("weeks.md.j2", posts=list(reversed(posts)), **common)
    writer.text("weeks.md", weeks)
    evidence = result.evidence.to_json()
    writer.text("evidence.md", templating.render("evidence.md.j2", e=evidence, v=latest, **common))
    writer.text("methodology.md", templating.render("methodology.md.j2", **common))
    data_page = templating.render(
        "data.md.j2", v=latest, newest=result.newest_data, count=len(posts), **common
    )
    writer.text("data.md", data_page)


# --- Archive posts --------------------------------------------------------------------------------


def _post_key(
    key: str, post: Post, previous: Post | None, following: Post | None, rows: list[charts.Row]
) -> str:
    """Everything a post's files are made from: the render key, its record, its neighbours,
    its chart rows."""
    neighbours = [
        None if p is None else [p.record["week_ending"], p.record["signal"], str(p.path)]
        for p in (previous, following)
    ]
    payload = [key, post.record, str(post.path), post.changed_from, neighbours, rows]
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(blob.encode()).hexdigest()


def write_posts(
    writer: DocsWriter, posts: list[Post], result: PipelineResult, common: Context
) -> None:
    """One page per recorded week, with its chart as it was and its link preview; a post
    whose inputs did not change is kept as it is (PostManifest)."""
    manifest = PostManifest(writer)
    key = render_key(result.config)
    for i, post in enumerate(posts):
        previous = posts[i - 1] if i else None
        following = posts[i + 1] if i + 1 < len(posts) else None
        week = pd.Timestamp(post.record["week_ending"])
        rows = result.week_rows.upto(week)
        post_key = _post_key(key, post, previous, following, rows)
        if manifest.reuse(str(post.path), post_key):
            continue
        page, assets = render_post(writer, post, previous, following, rows, result, common)
        manifest.add(str(post.path), post_key, page, assets)
    writer.render_pending()
    manifest.save()


def render_post(
    writer: DocsWriter,
    post: Post,
    previous: Post | None,
    following: Post | None,
    rows: list[charts.Row],
    result: PipelineResult,
    common: Context,
) -> tuple[str, list[str]]:
    """A post's Markdown and the chart files it uses (queued for rendering)."""
    week = pd.Timestamp(post.record["week_ending"])
    chart = charts.week_chart(rows, week, result.week_rows.weeks_back)
    static = chart.static_spec(charts.WEEK_WIDTH)
    svg = f"assets/charts/weeks/{post.record['week_ending']}-{charts.spec_hash(static)}.svg"
    writer.render_later(svg, lambda: charts.to_svg(static).encode("utf-8"))
    preview = write_preview(writer, post.record["week_ending"], chart, post.record)
    page = templating.render(
        "post.md.j2",
        v=post.record,
        post=post,
        previous=previous,
        following=following,
        rel=lambda target: relative(post.path, target),
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
    return page, [svg, preview]
