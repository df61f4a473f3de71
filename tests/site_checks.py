"""Checks of a built site shared by the build tests and the security fault cases."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from bs4 import BeautifulSoup


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def offsite_references(site: Path, site_url: str) -> list[str]:
    """Every script, stylesheet, image or frame of every page that would load from another host.
    Links to the site's own address (canonical URL, alternate feeds) load nothing and pass."""
    offenders = []
    for page in sorted(site.rglob("*.html")):
        doc = soup(page)
        for tag, attr in (("script", "src"), ("link", "href"), ("img", "src"), ("iframe", "src")):
            for element in doc.find_all(tag):
                url = element.get(attr)
                if not url:
                    continue
                own = url.startswith(site_url) and tag == "link"
                if urlparse(url).netloc and not own:
                    offenders.append(f"{page.relative_to(site)}: <{tag} {attr}={url}>")
    return offenders
