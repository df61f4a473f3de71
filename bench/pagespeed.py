"""Page speed of built sites, as a phone on slow 4G sees them: Lighthouse 12.2.3 (bench/
package-lock.json; `npm ci --prefix bench`) on home, newest post, archive index and evidence,
mobile and desktop, each site served gzip-compressed from 127.0.0.1 as GitHub Pages serves it.

    python bench/pagespeed.py today=site/ 2000-weeks=build/w2000/site

prints a Markdown table (scores, LCP, TBT, gzip bytes transferred) and the search index size.
`pagespeed_markdown({"today": Path("site")})` returns the same text for bench/report.py.
"""

from __future__ import annotations

import functools
import gzip
import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

BENCH = Path(__file__).resolve().parent
LIGHTHOUSE = BENCH / "node_modules" / ".bin" / "lighthouse"
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --disable-background-networking"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
COMPRESS = {".html", ".css", ".js", ".json", ".svg", ".xml", ".csv", ".txt", ".map"}


def pages(site: Path) -> dict[str, str]:
    """The four page types measured, as URL paths: the newest post is the ledger's last week."""
    week = json.loads((site / "api" / "latest.json").read_text())["week_ending"]
    return {
        "home": "",
        "newest post": "blog/" + week.replace("-", "/") + "/weekly-verdict/",
        "archive index": "blog/",
        "evidence": "evidence/",
    }


def search_index_size(site: Path) -> tuple[int, int]:
    """The built search index's size in bytes: raw, and gzip-compressed (level 9)."""
    raw = (Path(site) / "search" / "search_index.json").read_bytes()
    return len(raw), len(gzip.compress(raw, 9, mtime=0))


class GzipHandler(http.server.SimpleHTTPRequestHandler):
    """Serves text files gzip-compressed when the client accepts it, as GitHub Pages does."""

    def log_message(self, *args):
        pass

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir() and self.path.split("?")[0].endswith("/"):
            path = path / "index.html"
        gz = "gzip" in self.headers.get("Accept-Encoding", "")
        if not (gz and path.is_file() and path.suffix in COMPRESS):
            return super().send_head()  # redirects, 404s, images: as they are
        body = gzip.compress(path.read_bytes(), 6, mtime=0)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "max-age=600")  # GitHub Pages' own
        self.end_headers()
        return _Body(body)


class _Body:
    def __init__(self, data: bytes):
        self.data = data

    def read(self, *args):
        data, self.data = self.data, b""
        return data

    def close(self):
        pass


def serve(site: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(GzipHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def lighthouse(url: str, desktop: bool) -> dict:
    """One Lighthouse run; the numbers the report shows."""
    if not LIGHTHOUSE.exists():
        raise SystemExit(f"{LIGHTHOUSE} is missing: run `npm ci --prefix bench`")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        command = [
            str(LIGHTHOUSE),
            url,
            "--quiet",
            "--output=json",
            f"--output-path={out}",
            f"--only-categories={','.join(CATEGORIES)}",
            f"--chrome-flags={CHROME_FLAGS}",
        ]
        if desktop:
            command.append("--preset=desktop")
        env = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")}
        subprocess.run(command, check=True, env=env, capture_output=True, timeout=300)
        report = json.loads(out.read_text())
    audits = report["audits"]
    return {
        **{c: round(100 * (report["categories"][c]["score"] or 0)) for c in CATEGORIES},
        "lcp": audits["largest-contentful-paint"]["numericValue"] / 1000,
        "tbt": audits["total-blocking-time"]["numericValue"],
        "bytes": audits["total-byte-weight"]["numericValue"],
        "failed": sorted(  # the audits that cost accessibility, best practices or SEO points
            ref["id"]
            for c in CATEGORIES[1:]
            for ref in report["categories"][c]["auditRefs"]
            if ref["weight"] and (audits[ref["id"]]["score"] or 0) < 1
        ),
    }


def pagespeed_markdown(sites: dict[str, Path]) -> str:
    """Lighthouse on each site's four page types, mobile and desktop, as a Markdown table,
    followed by each site's search index size."""
    lines = [
        "| site | page | device | performance | accessibility | best practices | SEO "
        "| LCP | TBT | transferred (gzip) |",
        "|:--|:--|:--|--:|--:|--:|--:|--:|--:|--:|",
    ]
    failures = []
    for name, site in sites.items():
        server, root = serve(Path(site))
        try:
            for page, path in pages(Path(site)).items():
                for device in ("mobile", "desktop"):
                    r = lighthouse(root + path, device == "desktop")
                    lines.append(
                        f"| {name} | {page} | {device} | {r['performance']} | "
                        f"{r['accessibility']} | {r['best-practices']} | {r['seo']} | "
                        f"{r['lcp']:.1f} s | {r['tbt']:.0f} ms | {r['bytes'] / 1024:.0f} KiB |"
                    )
                    if r["failed"]:
                        failures.append(f"{name}, {page}, {device}: {', '.join(r['failed'])}")
        finally:
            server.shutdown()
    lines += ["", "| site | search index (raw) | search index (gzip) |", "|:--|--:|--:|"]
    for name, site in sites.items():
        raw, gz = search_index_size(Path(site))
        lines.append(f"| {name} | {raw / 1024:,.0f} KiB | {gz / 1024:,.0f} KiB |")
    if failures:
        lines += ["", "Failed Lighthouse checks:", *(f"- {f}" for f in failures)]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> None:
    if not argv:
        raise SystemExit("usage: python bench/pagespeed.py [NAME=]SITE_DIR ...")
    sites = {}
    for arg in argv:
        name, _, folder = arg.rpartition("=")
        site = Path(folder)
        if not (site / "api" / "latest.json").is_file():
            raise SystemExit(f"{site}: not a built site (no api/latest.json)")
        sites[name or site.name] = site
    print(pagespeed_markdown(sites), end="")


if __name__ == "__main__":
    main(sys.argv[1:])
