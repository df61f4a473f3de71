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
import shutil
import subprocess
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
    """Every page advertises the four feeds (rel token "alternate", as feed readers look for
    it), and none as a bare rel="alternate": for each of those Material's bundle fetches and
    parses the whole sitemap, which at 2,000 weeks costs a phone over a second."""
    for page in ("index.html", "evidence/index.html", "blog/2025/12/05/weekly-verdict/index.html"):
        head = soup(built["site"] / page).head
        links = head.select('link[rel~="alternate"]')
        hrefs = {link["href"].rsplit("/", 1)[-1] for link in links}
        assert {"feed_rss_created.xml", "feed_rss_changes.xml"} <= hrefs, page
        assert {"feed_json_created.json", "feed_json_changes.json"} <= hrefs, page
        assert all(link["type"] and link["title"] for link in links), page
        assert not [link for link in links if link["rel"] == ["alternate"]], page


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


PAGE_TYPES = {  # one page of each kind, as files of the built site
    "home": "index.html",
    "newest-post": "blog/" + AS_OF.replace("-", "/") + "/weekly-verdict/index.html",
    "archive": "blog/index.html",
    "archive-year": "blog/archive/2025/index.html",
    "category": "blog/category/unknown/index.html",
    "all-weeks": "weeks/index.html",
    "evidence": "evidence/index.html",
    "methodology": "methodology/index.html",
    "data": "data/index.html",
    "not-found": "404.html",
}


def scripts(page: Path) -> list[str]:
    return [s["src"].rsplit("/", 1)[-1] for s in soup(page).select("script[src]")]


def test__pages__load_only_the_scripts_they_use(built):
    """Vega is never a page's script (charts.js fetches it when a reader asks); charts.js is on
    the pages with an interactive chart only, a11y.js on the pages with a table only."""
    site = built["site"]
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 300
    for page in pages:
        html = page.read_text(encoding="utf-8")
        names = scripts(page)
        assert "vega-bundle.js" not in names, page
        assert ("charts.js" in names) == ("data-spec=" in html), page
        assert ("a11y.js" in names) == ("<table" in html), page
    assert "charts.js" in scripts(site / PAGE_TYPES["home"])
    for kind in ("newest-post", "archive", "evidence"):
        assert "charts.js" not in scripts(site / PAGE_TYPES[kind]), kind


def test__home__charts_are_static_drawings_first(built):
    """Each home chart is its static SVG (a phone drawing and a wide one, sized, so nothing
    shifts as it loads), with an interactive version only on request."""
    site = built["site"]
    figures = soup(site / "index.html").select("figure.aw-chart")
    assert len(figures) == 5
    for figure in figures:
        img = figure.select_one("picture img.aw-chart__static")
        phone = figure.select_one("picture source[media]")
        assert img["alt"] and img["width"] == "720" and img["loading"] == "lazy"
        assert int(phone["width"]) < 390 < int(img["width"])
        for src in (img["src"], phone["srcset"]):
            svg = (site / src).read_text()
            assert svg.startswith("<svg") and "<path" in svg, src
        assert figure.select_one(".aw-chart__view")["data-spec"].endswith(".json")
        assert figure.select_one("button.aw-chart__interact").has_attr("hidden")


def test__search__index_holds_a_post_by_title_verdict_and_sentence(built):
    """The weekly posts repeat the same tables every week: the search index keeps only each
    post's title, verdict and sentence, so it grows by a few hundred bytes a week."""
    index = json.loads((built["site"] / "search" / "search_index.json").read_text())
    records = json.loads((built["site"] / "api" / "verdicts.json").read_text())
    posts = [d for d in index["docs"] if "/weekly-verdict/" in d["location"]]
    assert len(posts) == len(records), "one entry per post, no per-section entries"
    by_week = {r["week_ending"]: r for r in records}
    for doc in posts:
        week = "-".join(doc["location"].split("/")[1:4])
        assert doc["title"] == f"Week ending {week}: {by_week[week]['signal']}"
        assert by_week[week]["sentence"] in doc["text"]
        assert "Threshold" not in doc["text"] and "Newest data" not in doc["text"]
    post_bytes = sum(len(json.dumps(d)) for d in posts) / len(posts)
    assert post_bytes < 700, f"{post_bytes:.0f} bytes of index per post"
    weeks = [d for d in index["docs"] if d["location"].startswith("weeks/")]
    assert weeks and all(len(d["text"]) < 1000 for d in weeks), "the All weeks table is left out"


VNU = Path(__file__).parent / "browser" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def test__pages__valid_html_nu_checker(built):
    """The Nu HTML Checker finds no error on any page type (theme errors are fixed by the
    overrides in templates/theme). Skips without Java or vnu-jar, except in CI."""
    java = shutil.which("java")
    if not (java and VNU.is_file()):
        missing = "java (apt-get install -y default-jre-headless)" if not java else str(VNU)
        unavailable(f"the Nu HTML Checker needs {missing} (and npm ci --prefix tests/browser)")
    pages = [str(built["site"] / p) for p in PAGE_TYPES.values()]
    result = subprocess.run(
        [java, "-jar", str(VNU), "--errors-only", "--format", "json", *pages],
        capture_output=True,
        text=True,
        timeout=300,
    )
    messages = json.loads(result.stderr or "{}").get("messages", [])
    errors = [
        f"{m.get('url', '').rsplit('/site/', 1)[-1]}:{m.get('lastLine')}: {m['message']}"
        for m in messages
        if m.get("type") == "error"
    ]
    assert not errors, errors[:10]
    assert result.returncode == 0, result.stderr[-2000:]


def test__nu_checker__reports_an_invalid_page(tmp_path):
    """The check above can fail: vnu reports the theme's old checkbox `autocomplete`."""
    java = shutil.which("java")
    if not (java and VNU.is_file()):
        unavailable("the Nu HTML Checker needs java and vnu-jar (npm ci --prefix tests/browser)")
    page = tmp_path / "bad.html"
    page.write_text(
        '<!doctype html><html lang="en"><head><title>x</title></head><body>'
        '<input type="checkbox" id="a" autocomplete="off"></body></html>'
    )
    result = subprocess.run(
        [java, "-jar", str(VNU), "--errors-only", "--format", "json", str(page)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    messages = json.loads(result.stderr)["messages"]
    assert any("autocomplete" in m["message"] for m in messages if m["type"] == "error")


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
    """A page whose every request to another host is blocked and recorded; `requests` lists
    every URL path the page asked for."""
    context = browser.new_context(
        viewport={"width": width, "height": 900},
        color_scheme="dark" if dark else "light",
    )
    blocked, errors, requests = [], [], []
    host = urlparse(url).netloc

    def route(r):
        if urlparse(r.request.url).netloc == host:
            requests.append(urlparse(r.request.url).path)
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(url, wait_until="networkidle")
    page.requests = requests
    return context, page, blocked, errors


def scroll_through(page) -> None:
    """Scroll to the bottom and back, so lazy images load."""
    page.evaluate(
        """async () => {
             for (let y = 0; y < document.body.scrollHeight; y += 600) {
               window.scrollTo(0, y); await new Promise(r => setTimeout(r, 50));
             }
             window.scrollTo(0, 0);
           }"""
    )
    page.wait_for_load_state("networkidle")


def chart_library(requests: list[str]) -> list[str]:
    return [r for r in requests if r.endswith(("vega-bundle.js", "charts.js"))]


@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, 390])
def test__browser__home_charts_static_first_interactive_on_request(browser, served, width):
    """Every home chart shows its static drawing (the one for the screen's width) with no
    chart library loaded; asking for one chart's interactive version loads Vega once and
    draws that chart with it."""
    context, page, blocked, errors = open_page(browser, served, width)
    try:
        figures = page.locator("figure.aw-chart")
        assert figures.count() == 5
        scroll_through(page)
        drawn = page.evaluate(
            """[...document.querySelectorAll('figure.aw-chart img.aw-chart__static')]
                 .map(i => [i.naturalWidth, i.currentSrc])"""
        )
        assert len(drawn) == 5 and all(w > 0 for w, _ in drawn), drawn
        assert all(src.endswith(".svg") for _, src in drawn)
        expected = 360 if width == 390 else 720  # the phone drawing on a phone
        assert [w for w, _ in drawn] == [expected] * 5
        assert not [r for r in page.requests if r.endswith("vega-bundle.js")]
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= width, f"page is {overflow}px wide at {width}px"

        button = page.locator("#fig-rebased .aw-chart__interact")
        assert button.is_visible()
        button.click()
        page.wait_for_selector("#fig-rebased .aw-chart__view--ready", timeout=20000)
        marks = page.locator("#fig-rebased .aw-chart__live svg.marks")
        assert marks.count() == 1 and marks.locator("path").count() > 0
        assert not page.locator("#fig-rebased img.aw-chart__static").is_visible()
        assert page.locator(".aw-chart__view--ready").count() == 1, "only the chart asked for"
        assert [r for r in page.requests if r.endswith("vega-bundle.js")] == [
            "/assets/vendor/vega-bundle.js"
        ]
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
@pytest.mark.parametrize("width", [1280, 390])
def test__browser__pages_accessible_fit_and_run_clean(browser, served, name, dark, width):
    """axe-core finds no serious or critical violation, nothing scrolls sideways, no request
    leaves the site and no script fails: at 1280 and 390 px, in both palettes. Only the home
    page loads charts.js, and no page loads Vega before a reader asks for it."""
    if not AXE.is_file():
        unavailable(f"axe-core is not installed at {AXE} (run: npm ci --prefix tests/browser)")
    url = served + READER_PAGES[name]
    context, page, blocked, errors = open_page(browser, url, width, dark)
    try:
        scheme = page.evaluate("document.body.getAttribute('data-md-color-scheme')")
        assert scheme == ("slate" if dark else "default")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        serious = [
            f"{v['id']} ({v['impact']}): {v['help']} e.g. {v['nodes'][0]['target']}"
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert not serious, serious
        expected = ["/assets/javascripts/charts.js"] if name == "home" else []
        assert chart_library(page.requests) == expected
        assert not blocked, blocked
        assert not errors, errors
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.parametrize("name", ["home", "newest-post"])
def test__browser__checks_table_fits_a_phone(browser, served, name):
    """At 390 px the checks table shows check, value and result without scrolling sideways."""
    context, page, _blocked, errors = open_page(browser, served + READER_PAGES[name], 390)
    try:
        table = page.locator(".aw-checks table")
        box = table.evaluate(
            """t => { const wrap = t.closest('.md-typeset__scrollwrap') || t.parentElement;
                      return [t.scrollWidth, t.clientWidth, wrap.scrollWidth, wrap.clientWidth,
                              t.getBoundingClientRect().right]; }"""
        )
        assert box[0] <= box[1] and box[2] <= box[3], f"the table scrolls sideways: {box}"
        assert box[4] <= 390
        headers = table.locator("th")
        visible = [headers.nth(i).inner_text() for i in range(headers.count())]
        visible = [h for i, h in enumerate(visible) if headers.nth(i).is_visible()]
        assert visible == ["Check", "Value", "Result"]
        for cell in table.locator("tbody td:nth-child(4)").all():
            right = cell.evaluate("c => c.getBoundingClientRect().right")
            assert cell.is_visible() and right <= 390, right
        # The hidden columns' facts are still there, in the value cell.
        assert "needs" in table.locator("tbody tr").first.inner_text()
        assert not errors, errors
    finally:
        context.close()


@pytest.mark.browser
def test__browser__chart_labels_stay_legible_on_a_phone(browser, served, built):
    """A static chart is an SVG scaled to the column: at 390 px its text must still be drawn
    at 8 px or more, on a post and on the home page (a 720 px drawing left it at about 5 px)."""
    for url, selector in (
        (served + READER_PAGES["newest-post"], "#fig-week img"),
        (served, "#fig-rut img"),
        (served, "#fig-season img"),
    ):
        context, page, _blocked, errors = open_page(browser, url, 390)
        try:
            image = page.locator(selector)
            image.scroll_into_view_if_needed()
            page.wait_for_function(
                f"document.querySelector('{selector}').naturalWidth > 0", timeout=10000
            )
            shown, natural, src = image.evaluate(
                "i => [i.getBoundingClientRect().width, i.naturalWidth, i.currentSrc]"
            )
            assert shown <= 390
            svg = built["site"] / "assets" / src.split("assets/", 1)[1]
            sizes = [float(x) for x in re.findall(r'font-size="?([0-9.]+)px', svg.read_text())]
            assert sizes, "no text in the chart"
            smallest = min(sizes) * shown / natural
            assert smallest >= 8, f"{selector}: text drawn at {smallest:.1f} px at 390 px"
            assert not errors, errors
        finally:
            context.close()


@pytest.mark.browser
def test__browser__charts_follow_dark_mode(browser, served):
    """In the dark palette the static drawings are inverted (light on dark, not a white box),
    an interactive chart is drawn with Vega's dark theme, and toggling the palette redraws it."""
    context, page, _blocked, errors = open_page(browser, served, 1280, dark=True)
    try:
        filters = page.evaluate(
            """[...document.querySelectorAll('img.aw-chart__static')]
                 .map(i => getComputedStyle(i).filter)"""
        )
        assert len(filters) == 5 and all("invert(1)" in f for f in filters), filters
        page.locator("#fig-rut .aw-chart__interact").click()
        page.wait_for_selector("#fig-rut .aw-chart__view--ready", timeout=20000)

        def background():
            return page.evaluate(
                """(() => { const r = document.querySelector(
                       '#fig-rut .aw-chart__live svg.marks rect.background');
                     return r ? (r.getAttribute('fill') || 'none') : 'none'; })()"""
            )

        def text_fill():
            return page.evaluate(
                """document.querySelector('#fig-rut .aw-chart__live svg.marks text')
                     .getAttribute('fill')"""
            )

        assert background().lower() not in ("white", "#fff", "#ffffff")
        dark_text = text_fill()
        page.locator("label.md-header__button[for^='__palette_']:visible").first.click()
        page.wait_for_function("document.body.getAttribute('data-md-color-scheme') === 'default'")
        page.wait_for_function(
            f"""(() => {{ const t = document.querySelector('#fig-rut .aw-chart__live svg text');
                  return t && t.getAttribute('fill') !== {json.dumps(dark_text)}; }})()""",
            timeout=20000,
        )
        light = page.evaluate(
            "getComputedStyle(document.querySelector('img.aw-chart__static')).filter"
        )
        assert "invert" not in light
        assert not errors, errors
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test__browser__palette_is_applied_before_material_and_remembered(browser, served, dark):
    """The reader's palette does not wait for Material's bundle (blocked here): the phone's
    light or dark setting is on the body as the page is parsed, with the toggle to the other
    palette showing; a choice made with the toggle holds on the next page and after a reload,
    and the browser's theme colour is set."""
    context, page, _blocked, errors = open_page(browser, served + "evidence/", 390, dark)
    try:
        page.route("**/assets/javascripts/bundle.*.min.js", lambda r: r.abort())
        page.reload()
        first, other = ("slate", "default") if dark else ("default", "slate")
        assert page.evaluate("document.body.getAttribute('data-md-color-scheme')") == first
        visible = page.locator("label.md-header__button[for^='__palette_']:visible")
        assert visible.count() == 1
        assert page.evaluate("document.querySelector('meta[name=theme-color]').content")
        visible.click()
        assert page.evaluate("document.body.getAttribute('data-md-color-scheme')") == other
        page.goto(served)
        assert page.evaluate("document.body.getAttribute('data-md-color-scheme')") == other
        errors.clear()  # the blocked bundle's own load error
        page.unroute("**/assets/javascripts/bundle.*.min.js")
        page.reload()
        assert page.evaluate("document.body.getAttribute('data-md-color-scheme')") == other
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
