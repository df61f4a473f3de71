"""Security of the built site: text from the config or the data is text, never markup, in the
pages and in the feeds; and no page loads anything from another host.

One small site is built (`site`, offline, on the fault world) with a hostile configuration (a
basket coin named `Doge <script>alert(1)</script> & Co`) and a hostile ledger line (a recorded
week whose sentence carries a quote, a `<script>`, an `&` and a `<b>`), then read the way a
browser and a feed reader read it: HTML parsed with BeautifulSoup, feeds with feedparser, and
the raw bytes searched as well.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import feedparser
import pytest
from bs4 import BeautifulSoup

from generator.config import DEFAULT_CONFIG
from tests.faults.conftest import LEDGER, NEXT_AS_OF, SEED_AS_OF, World, cli, dirs_args
from tests.site_checks import offsite_references, soup

NAME = "Doge <script>alert(1)</script> & Co"
SENTENCE = 'Off, he said "><script>alert(2)</script> & left <b>bold</b>.'
SITE_URL = "https://altseason.example.org/watch/"


@dataclass(frozen=True)
class Built:
    site: Path
    post: Path  # the built post of the week whose sentence is hostile


@pytest.fixture(scope="module")
def hostile(world: World, tmp_path_factory) -> Built:
    root = tmp_path_factory.mktemp("hostile")
    data, docs, site = root / "data", root / "docs", root / "site"
    shutil.copytree(world.base_data, data)
    shutil.copytree(world.warm_docs, docs)
    config = root / "config.toml"
    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    config.write_text(text.replace('name = "Dogecoin"', f'name = "{NAME}"'), encoding="utf-8")
    assert NAME in config.read_text(encoding="utf-8")
    lines = (data / LEDGER).read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[-1])
    assert record["week_ending"] == SEED_AS_OF
    record["sentence"] = SENTENCE
    lines[-1] = json.dumps(record, sort_keys=True, ensure_ascii=False)
    (data / LEDGER).write_text("\n".join(lines) + "\n", encoding="utf-8")

    offline = ["--prices-dir", str(world.replay), "--offline", "--config", str(config)]
    done = cli(
        "site", *offline, *dirs_args(data, docs, NEXT_AS_OF, site), env={"SITE_URL": SITE_URL}
    )
    assert done.returncode == 0, done.stderr
    post = site / "blog" / SEED_AS_OF.replace("-", "/") / "weekly-verdict" / "index.html"
    return Built(site, post)


def injected_scripts(page: BeautifulSoup) -> list[str]:
    """<script> elements that came from our hostile text rather than from the theme."""
    return [str(s) for s in page.find_all("script") if "alert(" in s.get_text()]


@pytest.mark.parametrize("page", ["methodology/index.html", "data/index.html"])
def test__pages__basket_name_from_the_config_reads_as_text(hostile: Built, page):
    path = hostile.site / page
    raw = path.read_text(encoding="utf-8")
    assert "<script>alert(1)" not in raw
    assert "Doge &lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in raw
    html = soup(path)
    assert injected_scripts(html) == []
    assert NAME in html.get_text()  # the reader sees the name as it is written


def test__feeds__basket_name_from_the_config_is_not_markup(hostile: Built):
    for path in sorted(hostile.site.glob("feed_*")):
        raw = path.read_bytes()
        assert b"<script>alert(1)" not in raw, path.name
        assert b"\\u003cscript\\u003ealert(1)" not in raw.lower(), path.name


def test__post__sentence_from_the_ledger_reads_as_text_in_the_body(hostile: Built):
    html = soup(hostile.post)
    sentence = html.select_one(".aw-verdict__sentence")
    assert sentence is not None and sentence.get_text(strip=True) == SENTENCE
    assert sentence.find("b") is None
    assert injected_scripts(sentence) == []


def test__post__sentence_from_the_ledger_reads_as_text_in_the_head(hostile: Built):
    html = soup(hostile.post)
    assert injected_scripts(html) == []
    for meta in html.select('meta[name="description"], meta[property="og:description"]'):
        assert meta["content"] == SENTENCE


def test__feeds__sentence_from_the_ledger_is_text_not_markup(hostile: Built):
    rss = feedparser.parse((hostile.site / "feed_rss_created.xml").read_bytes())
    assert not rss.bozo, rss.get("bozo_exception")
    (entry,) = [e for e in rss.entries if SEED_AS_OF.replace("-", "/") in e.link]
    assert b"<script>alert(2)" not in (hostile.site / "feed_rss_created.xml").read_bytes()
    # feedparser has already removed the <script> (as a careful reader would); what is left
    # must still be the sentence as text, not a bold tag.
    assert "<b>" not in entry.summary
    feed = json.loads((hostile.site / "feed_json_created.json").read_text(encoding="utf-8"))
    (item,) = [i for i in feed["items"] if SEED_AS_OF.replace("-", "/") in i["url"]]
    assert "<script>" not in item.get("content_html", "")


def test__pages__nothing_loads_from_another_host(hostile: Built):
    assert offsite_references(hostile.site, SITE_URL) == []
