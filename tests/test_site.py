"""Build tier: the real site built with MkDocs from the real replay history, checked as a reader
(and a feed reader, and a browser) would see it."""

from __future__ import annotations

import csv
import functools
import gzip
import http.server
import itertools
import json
import os
import re
import threading
from pathlib import Path
from urllib.parse import urlparse

import feedparser
import jsonschema
import pytest

from tests.conftest import (
    BROWSER_NAMES,
    REPLAY_PRICES,
    ROOT,
    find_browser,
    run_cli,
    unavailable,
)
from tests.site_checks import offsite_references, soup

AS_OF = "2026-02-20"
SITE_URL = "https://altseason.example.org/watch/"

pytestmark = [pytest.mark.build]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    """One real build: fetch the replay history, record the archive, build the site."""
    root = tmp_path_factory.mktemp("build")
    dirs = {name: root / name for name in ("data", "docs", "site")}
    result = run_cli(
        "site",
        "--prices-dir",
        str(REPLAY_PRICES),
        "--offline",
        "--as-of",
        AS_OF,
        "--data-dir",
        str(dirs["data"]),
        "--docs-dir",
        str(dirs["docs"]),
        "--site-dir",
        str(dirs["site"]),
        env={"SITE_URL": SITE_URL},
    )
    assert result.returncode == 0, result.stderr
    dirs["stdout"] = result.stdout
    return dirs


def latest(built) -> dict:
    return json.loads((built["site"] / "api" / "latest.json").read_text())


def test__home__verdict_readable_without_javascript(built):
    page = soup(built["site"] / "index.html")
    record = latest(built)
    box = page.select_one(".aw-verdict")
    assert box is not None, "the verdict box is plain HTML"
    assert record["signal"] in box.select_one(".aw-badge").get_text()
    assert box.select_one(".aw-verdict__sentence").get_text(strip=True) == record["sentence"]
    assert box.select_one("time")["datetime"] == record["week_ending"] == AS_OF
    # The reasons table and the level to watch are there too, without any script.
    text = page.get_text(" ")
    assert "Why: the checks" in text and "What to watch next" in text
    assert f"{record['rut']['reference']:,.2f}" in text


def test__archive__one_dated_post_per_recorded_week(built):
    records = json.loads((built["site"] / "api" / "verdicts.json").read_text())
    posts = sorted(
        (built["site"] / "blog").glob("[0-9][0-9][0-9][0-9]/*/*/weekly-verdict/index.html")
    )
    assert len(posts) == len(records) >= 52
    # A post's URL carries its week's date, and the page says the same date.
    post = built["site"] / "blog" / "2025" / "12" / "05" / "weekly-verdict" / "index.html"
    page = soup(post)
    assert page.select_one(".aw-verdict time")["datetime"] == "2025-12-05"
    assert "Reconstructed (backfilled)" in page.get_text(" ")
    links = [a.get_text() for a in page.select(".aw-weeknav a")]
    assert any("2025-11-28" in t for t in links) and any("2025-12-12" in t for t in links)


def test__feed__rss_parses_with_title_date_link_and_sentence(built):
    feed = feedparser.parse((built["site"] / "feed_rss_created.xml").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.feed.title and "None" not in feed.feed.title
    assert feed.feed.image.href == SITE_URL + "assets/og/home.png"
    by_link = {e.link: e for e in feed.entries}
    records = {
        r["week_ending"]: r
        for r in json.loads((built["site"] / "api" / "verdicts.json").read_text())
    }
    assert len(feed.entries) >= 20
    for entry in feed.entries:
        assert entry.link.startswith(SITE_URL + "blog/")
        week = entry.published_parsed
        day = f"{week.tm_year:04d}-{week.tm_mon:02d}-{week.tm_mday:02d}"
        assert day in records, entry.link
        assert entry.title == f"Week ending {day}: {records[day]['signal']}"
        assert records[day]["sentence"] in entry.summary
        assert "None" not in (entry.title + entry.summary)
    newest = SITE_URL + "blog/" + AS_OF.replace("-", "/") + "/weekly-verdict/"
    assert newest in by_link


def test__change_feed__one_item_per_signal_change(built):
    """The alerts feed carries exactly the weeks whose signal differs from the week before,
    each saying from what to what, dated in UTC."""
    records = json.loads((built["site"] / "api" / "verdicts.json").read_text())
    changes = {
        b["week_ending"]: (a["signal"], b["signal"])
        for a, b in itertools.pairwise(records)
        if a["signal"] != b["signal"]
    }
    assert len(changes) >= 5
    feed = feedparser.parse((built["site"] / "feed_rss_changes.xml").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    seen = {}
    for entry in feed.entries:
        week = entry.published_parsed
        day = f"{week.tm_year:04d}-{week.tm_mon:02d}-{week.tm_mday:02d}"
        assert entry.published.endswith(("+0000", "GMT", "UTC")), entry.published
        seen[day] = entry
    assert sorted(seen) == sorted(changes)
    for day, (before, after) in changes.items():
        assert f"Signal changed from {before} to {after}." in seen[day].summary
    json_feed = json.loads((built["site"] / "feed_json_changes.json").read_text())
    assert len(json_feed["items"]) == len(changes)


def test__feeds__advertised_in_every_page_head(built):
    for page in ("index.html", "evidence/index.html", "blog/2025/12/05/weekly-verdict/index.html"):
        links = soup(built["site"] / page).select('head link[rel="alternate"]')
        hrefs = {link["href"].rsplit("/", 1)[-1] for link in links}
        assert {"feed_rss_created.xml", "feed_rss_changes.xml"} <= hrefs, page
        assert {"feed_json_created.json", "feed_json_changes.json"} <= hrefs, page


def test__feed__json_feed_items(built):
    feed = json.loads((built["site"] / "feed_json_created.json").read_text())
    assert feed["version"].startswith("https://jsonfeed.org/version/1")
    assert feed["items"] and all(i["url"].startswith(SITE_URL) for i in feed["items"])
    assert all(i["title"].startswith("Week ending ") and i["date_published"] for i in feed["items"])


def test__api__files_agree(built):
    api = built["site"] / "api"
    records = json.loads((api / "verdicts.json").read_text())
    assert json.loads((api / "latest.json").read_text()) == records[-1]
    weeks = [r["week_ending"] for r in records]
    assert weeks == sorted(weeks) and len(set(weeks)) == len(weeks)
    rows = list(csv.DictReader((api / "verdicts.csv").open()))
    assert [r["week_ending"] for r in rows] == weeks
    assert [r["signal"] for r in rows] == [r["signal"] for r in records]
    badge = (api / "badge.svg").read_text()
    assert records[-1]["signal"] in badge and badge.startswith("<svg")


def test__api__every_published_record_matches_the_published_schema(built):
    """The schema is published beside the API files, and a standard JSON Schema validator
    accepts latest.json and every record of verdicts.json against it."""
    api = built["site"] / "api"
    published = json.loads((api / "verdict.schema.json").read_text())
    assert published == json.loads((ROOT / "generator" / "verdict.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(
        published, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    jsonschema.Draft202012Validator.check_schema(published)
    records = json.loads((api / "verdicts.json").read_text())
    assert len(records) > 300
    for record in [json.loads((api / "latest.json").read_text()), *records]:
        errors = [e.message for e in validator.iter_errors(record)]
        assert not errors, (record["week_ending"], errors)
    assert {r["schema_version"] for r in records} == {1}


# --- Home page weight (was checked by bench/) -----------------------------------------------------

PAGE_WEIGHT_KB = 150


def home_page_weight(site: Path) -> int:
    """The built home page with the chart specs and SVG fallbacks it references, each gzipped
    as a server sends it (the Vega bundle and the theme's own assets are not counted)."""
    html = (site / "index.html").read_bytes()
    text = html.decode()
    refs = set(re.findall(r'data-(?:spec|fallback)="([^"]+)"', text))
    refs |= set(re.findall(r'<img src="(assets/charts/[^"]+\.svg)"', text))
    files = [html] + [(site / ref).read_bytes() for ref in sorted(refs)]
    assert len(files) > 1, "the home page references no chart"
    return sum(len(gzip.compress(data, mtime=0)) for data in files)


def test__home_page_weight__html_specs_and_svgs_within_budget(built):
    weight = home_page_weight(built["site"])
    assert weight <= PAGE_WEIGHT_KB * 1024, f"{weight / 1024:.0f} KB gzip"


def test__offsite_references__catches_what_loads_from_another_host(tmp_path):
    (tmp_path / "index.html").write_text(
        f'<link rel="canonical" href="{SITE_URL}"><link rel="stylesheet" href="assets/a.css">'
        '<script src="https://cdn.example.com/vega.js"></script>'
        '<img src="//img.example.com/x.png">',
        encoding="utf-8",
    )
    assert offsite_references(tmp_path, SITE_URL) == [
        "index.html: <script src=https://cdn.example.com/vega.js>",
        "index.html: <img src=//img.example.com/x.png>",
    ]


def test__pages__nothing_loads_from_another_host(built):
    offenders = offsite_references(built["site"], SITE_URL)
    assert not offenders, offenders[:10]


def test__methodology__names_from_config_are_escaped(tmp_path):
    """A `<script>` or `&` in a coin's name in the config arrives as text, never as markup."""
    from generator import templating
    from generator.config import load_config

    text = (Path(__file__).parent.parent / "generator" / "config.toml").read_text()
    hostile = text.replace('name = "Dogecoin"', 'name = "Doge <script>alert(1)</script> & Co"')
    assert hostile != text
    (tmp_path / "config.toml").write_text(hostile)
    config = load_config(tmp_path / "config.toml")
    page = templating.render("methodology.md.j2", config=config, basket=config.basket)
    assert "<script>" not in page
    assert "Doge &lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in page


# --- The browser tier ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def served(built):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(built["site"]))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    chromium = find_browser()
    if chromium is None:
        unavailable(f"no browser that runs on PATH (tried {', '.join(BROWSER_NAMES)})")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(
            executable_path=chromium,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield instance
        instance.close()


def open_page(browser, url: str, width: int = 1280, dark: bool = False):
    """A page whose every request to another host is blocked and recorded."""
    context = browser.new_context(
        viewport={"width": width, "height": 900},
        color_scheme="dark" if dark else "light",
    )
    blocked, errors = [], []
    host = urlparse(url).netloc

    def route(r):
        if urlparse(r.request.url).netloc == host:
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(url, wait_until="networkidle")
    return context, page, blocked, errors


@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, 390])
def test__browser__every_home_chart_renders(browser, served, width):
    context, page, blocked, errors = open_page(browser, served, width)
    try:
        figures = page.locator(".aw-chart__view")
        count = figures.count()
        assert count == 5
        page.wait_for_function(
            f"document.querySelectorAll('.aw-chart__view--ready').length === {count}",
            timeout=20000,
        )
        for i in range(count):
            marks = figures.nth(i).locator("svg.marks")
            assert marks.count() == 1, f"chart {i} has no Vega rendering"
            assert marks.locator("path").count() > 0, f"chart {i} drew nothing"
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= width, f"page is {overflow}px wide at {width}px"
        shots = os.environ.get("AW_SCREENSHOTS")
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=f"{shots}/home-{width}.png", full_page=True)
        assert not blocked, blocked
        assert not errors, errors
    finally:
        context.close()


AXE = Path(__file__).parent / "browser" / "node_modules" / "axe-core" / "axe.min.js"
READER_PAGES = {
    "home": "",
    "newest-post": "blog/" + AS_OF.replace("-", "/") + "/weekly-verdict/",
    "archive": "blog/",
    "all-weeks": "weeks/",
    "evidence": "evidence/",
    "methodology": "methodology/",
    "data": "data/",
}


@pytest.mark.browser
@pytest.mark.parametrize("name", list(READER_PAGES))
@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test__browser__pages_accessible_fit_a_phone_and_run_clean(browser, served, name, dark):
    """axe-core finds no serious or critical violation, at 390 px nothing scrolls sideways,
    no request leaves the site and no script fails, in both palettes."""
    if not AXE.is_file():
        unavailable(f"axe-core is not installed at {AXE} (run: npm ci --prefix tests/browser)")
    context, page, blocked, errors = open_page(browser, served + READER_PAGES[name], 390, dark)
    try:
        scheme = page.evaluate("document.body.getAttribute('data-md-color-scheme')")
        assert scheme == ("slate" if dark else "default")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        serious = [
            f"{v['id']} ({v['impact']}): {v['help']} e.g. {v['nodes'][0]['target']}"
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert not serious, serious
        assert not blocked, blocked
        assert not errors, errors
    finally:
        context.close()


@pytest.mark.browser
def test__browser__post_chart_labels_stay_legible_on_a_phone(browser, served, built):
    """A post's chart is a static SVG shrunk to the column: at 390 px its axis labels must
    still be drawn at 8 px or more (a drawing made for the desktop left them at about 5 px)."""
    url = served + READER_PAGES["newest-post"]
    context, page, _blocked, errors = open_page(browser, url, 390)
    try:
        image = page.locator("#fig-week img")
        image.scroll_into_view_if_needed()
        page.wait_for_function(
            "document.querySelector('#fig-week img').naturalWidth > 0", timeout=10000
        )
        shown, natural = image.evaluate("i => [i.getBoundingClientRect().width, i.naturalWidth]")
        assert shown <= 390
        svg = built["site"] / "assets" / image.get_attribute("src").split("assets/", 1)[1]
        sizes = [float(x) for x in re.findall(r'font-size="?([0-9.]+)px', svg.read_text())]
        assert sizes, "no text in the chart"
        smallest = min(sizes) * shown / natural
        assert smallest >= 8, f"axis labels drawn at {smallest:.1f} px on a 390 px phone"
        assert not errors, errors
    finally:
        context.close()


@pytest.mark.browser
def test__browser__charts_follow_dark_mode(browser, served):
    context, page, _blocked, errors = open_page(browser, served, 1280, dark=True)
    try:
        page.wait_for_function(
            "document.querySelectorAll('.aw-chart__view--ready').length === 5", timeout=20000
        )
        backgrounds = page.evaluate(
            """[...document.querySelectorAll('.aw-chart__view svg.marks')].map(svg => {
                 const rect = svg.querySelector('rect.background');
                 return rect ? rect.getAttribute('fill') || 'none' : 'none';
               })"""
        )
        assert len(backgrounds) == 5
        assert not [b for b in backgrounds if b.lower() in ("white", "#fff", "#ffffff")]
        # Toggling the palette re-renders the charts in the other theme.
        page.locator("label.md-header__button[for^='__palette_']:visible").first.click()
        page.wait_for_function("document.body.getAttribute('data-md-color-scheme') === 'default'")
        page.wait_for_function(
            "document.querySelectorAll('.aw-chart__view svg.marks').length === 5", timeout=20000
        )
        assert not errors, errors
    finally:
        context.close()


def test__committed_data__is_exactly_what_the_generator_fetches_and_records(built):
    """data/ in the repository was produced by `make seed` (the generator's own replay fetch and
    backfill through 2026-02-20), never edited by hand: the build above, which ran the same
    fetch and backfill in a scratch folder, must reproduce it byte for byte."""
    from tests.conftest import ROOT, tree_bytes

    committed = tree_bytes(ROOT / "data")
    assert committed, "data/ is empty: run `make seed`"
    assert tree_bytes(built["data"]) == committed
