"""Page speed of built sites, as a phone on slow 4G sees them: Lighthouse 12.2.3 (bench/
package-lock.json; `npm ci --prefix bench`) on home, newest post, archive index and evidence,
mobile and desktop, each site served gzip-compressed from 127.0.0.1 as GitHub Pages serves it.

    python bench/pagespeed.py [--runs=3] today=site/ 2000-weeks=build/w2000/site

prints a Markdown table (scores, LCP, TBT, gzip bytes transferred) and the search index size.
`pagespeed_markdown({"today": Path("site")})` returns the same text for bench/run.py.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import http.server
import io
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

    def handle(self):
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            super().handle()  # Lighthouse drops connections it no longer needs

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
        return io.BytesIO(body)


def serve(site: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(GzipHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def lighthouse(url: str, desktop: bool) -> dict:
    """One Lighthouse run (mobile defaults, or its desktop preset); the numbers reported."""
    if not LIGHTHOUSE.exists():
        raise SystemExit(f"{LIGHTHOUSE} is missing: run `npm ci --prefix bench`")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        command = [str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={out}"]
        command += [f"--only-categories={','.join(CATEGORIES)}", f"--chrome-flags={CHROME_FLAGS}"]
        command += ["--preset=desktop"] if desktop else []
        env = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")}
        run = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
        if run.returncode or not out.is_file():
            raise SystemExit(f"lighthouse failed on {url}: {run.stderr.strip()[-300:]}")
        report = json.loads(out.read_text())
    audits = report["audits"]
    return {
        **{c: round(100 * (report["categories"][c]["score"] or 0)) for c in CATEGORIES},
        "lcp": audits["largest-contentful-paint"]["numericValue"] / 1000,
        "tbt": audits["total-blocking-time"]["numericValue"],
        "bytes": audits["total-byte-weight"]["numericValue"],
        "cpu": report["environment"]["benchmarkIndex"],  # this machine's speed at the time
        "failed": sorted(  # the audits that cost accessibility, best practices or SEO points
            ref["id"]
            for c in CATEGORIES[1:]
            for ref in report["categories"][c]["auditRefs"]
            if ref["weight"] and (audits[ref["id"]]["score"] or 0) < 1
        ),
    }


def pagespeed_markdown(sites: dict[str, Path], runs: int = 1) -> str:
    """Lighthouse on each site's four page types, mobile and desktop, as a Markdown table,
    followed by each site's search index size. With `runs` > 1 each row is the run with the
    median performance score (Lighthouse's advice for noisy machines)."""
    lines = [
        "| site | page | device | performance | accessibility | best practices | SEO "
        "| LCP | TBT | transferred (gzip) | CPU index |",
        "|:--|:--|:--|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    failures = []
    for name, site in sites.items():
        server, root = serve(Path(site))
        try:
            for page, path in pages(Path(site)).items():
                for device in ("mobile", "desktop"):
                    tries = [lighthouse(root + path, device == "desktop") for _ in range(runs)]
                    r = sorted(tries, key=lambda t: t["performance"])[len(tries) // 2]
                    cells = [name, page, device, *(r[c] for c in CATEGORIES)]
                    cells += [f"{r['lcp']:.1f} s", f"{r['tbt']:.0f} ms"]
                    cells += [f"{r['bytes'] / 1024:.0f} KiB", f"{r['cpu']:.0f}"]
                    lines.append("| " + " | ".join(map(str, cells)) + " |")
                    if r["failed"]:
                        failures.append(f"{name}, {page}, {device}: {', '.join(r['failed'])}")
        finally:
            server.shutdown()
    lines += ["", "CPU index: Lighthouse's benchmarkIndex of the machine during the run (higher is"]
    lines += ["faster); its 4x mobile CPU slowdown assumes an idle desktop: load adds TBT.", ""]
    lines += ["| site | search index (raw) | search index (gzip) |", "|:--|--:|--:|"]
    for name, site in sites.items():
        raw, gz = search_index_size(Path(site))
        lines.append(f"| {name} | {raw / 1024:,.0f} KiB | {gz / 1024:,.0f} KiB |")
    if failures:
        lines += ["", "Failed Lighthouse checks:", *(f"- {f}" for f in failures)]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> None:
    runs = int(argv.pop(0).removeprefix("--runs=")) if argv and argv[0][:7] == "--runs=" else 1
    if not argv:
        raise SystemExit("usage: python bench/pagespeed.py [--runs=N] [NAME=]SITE_DIR ...")
    sites = {}
    for arg in argv:
        name, _, folder = arg.rpartition("=")
        site = Path(folder)
        if not (site / "api" / "latest.json").is_file():
            raise SystemExit(f"{site}: not a built site (no api/latest.json)")
        sites[name or site.name] = site
    print(pagespeed_markdown(sites, runs), end="")


if __name__ == "__main__":
    main(sys.argv[1:])
