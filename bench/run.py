"""Benchmark of the weekly job (issue 8): stage timings, the ratio to a bare MkDocs build,
scaling to 2,000 archived weeks, the no-change rerun, home-page weight, and Zensical.

    .venv/bin/python bench/run.py            # `make bench`: a few minutes on 2 cores
    .venv/bin/python bench/run.py --full     # adds a cold CLI run, cold runs at 520 and
                                             # 2,000 weeks, blog plugin variants and Zensical
                                             # at 2,000 posts, tracemalloc

Everything runs on the real replay data (../shared/data/prices) in a temporary folder, from a
snapshot of the working tree taken at the start (so edits made while it runs do not mix into
the numbers); nothing is written into the repository except bench/results.md and
bench/results.json. One summary line per target is printed at the end.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
PROJECT = BENCH.parent
PYTHON = sys.executable
SIZES = (52, 520, 2000)
# growth: the time per archived week may not rise by more than this from one size to the next.
TARGETS = {"ratio": 1.25, "pages_charts_2000": 2.0, "page_weight_kb": 150.0, "growth": 1.10}
ZENSICAL_VENV = PROJECT / "build" / "zensical-venv"

sys.path.insert(0, str(BENCH))
import report  # noqa: E402


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')} load {os.getloadavg()[0]:.1f}] {message}", flush=True)


# --- The machine -------------------------------------------------------------------------------


def machine() -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    models = re.findall(r"^model name\s*:\s*(.+)$", cpuinfo, re.M)
    mem = re.search(r"^MemTotal:\s*(\d+) kB", Path("/proc/meminfo").read_text(), re.M)
    packages = {}
    from importlib import metadata

    for name in (
        "mkdocs",
        "mkdocs-material",
        "mkdocs-rss-plugin",
        "markdown",
        "jinja2",
        "altair",
        "vl-convert-python",
        "pandas",
        "numpy",
        "exchange-calendars",
    ):
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            packages[name] = None
    return {
        "cpu_model": models[0] if models else platform.processor(),
        "cpus": os.cpu_count(),
        "ram_gb": round(int(mem.group(1)) / 1024 / 1024, 1) if mem else None,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": packages,
        "load_at_start": os.getloadavg(),
        "git": git_state(),
    }


def git_state() -> dict:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=PROJECT, capture_output=True, text=True, check=False
        ).stdout.strip()

    dirty = git("status", "--porcelain", "--", "generator", "templates", "site_docs", "mkdocs.yml")
    return {"commit": git("rev-parse", "--short", "HEAD"), "dirty": dirty.splitlines()}


# --- Helpers -----------------------------------------------------------------------------------


def snapshot_tree(target: Path) -> Path:
    """Copy what a run reads (code, templates, hand-written docs, mkdocs.yml) to `target`."""
    target.mkdir(parents=True)
    for name in ("generator", "templates", "site_docs"):
        shutil.copytree(PROJECT / name, target / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(PROJECT / "mkdocs.yml", target / "mkdocs.yml")
    (target / "bench").mkdir()
    shutil.copy2(BENCH / "worker.py", target / "bench" / "worker.py")
    return target


def blog_settings(mkdocs_yml: Path) -> dict:
    """The blog plugin's settings in the mkdocs.yml being measured."""
    from mkdocs.utils import yaml_load

    with open(mkdocs_yml, encoding="utf-8") as handle:
        plugins = yaml_load(handle).get("plugins", [])
    for entry in plugins:
        if isinstance(entry, dict) and "blog" in entry:
            return entry["blog"] or {}
    return {}


def run(cmd: list[str], cwd: Path, env: dict | None = None) -> dict:
    """Run a command; its wall time, exit code, output and its own peak RSS (wait4)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    return {
        "seconds": seconds,
        "rc": proc.returncode,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "stdout": stdout,
        "stderr": stderr[-3000:],
        "load": os.getloadavg()[0],
    }


def checked(result: dict, what: str) -> dict:
    if result["rc"] != 0:
        raise SystemExit(f"{what} failed (exit {result['rc']}):\n{result['stderr']}")
    return result


class Dirs:
    def __init__(self, root: Path, name: str) -> None:
        self.root = root / name
        self.data, self.docs, self.site = self.root / "data", self.root / "docs", self.root / "site"

    def options(self) -> list[str]:
        return ["--data-dir", str(self.data), "--docs-dir", str(self.docs)]


def file_state(*folders: Path, skip: tuple[str, ...] = (".altseason.lock",)) -> dict:
    """Every file under the folders: (size, mtime_ns, sha256)."""
    state = {}
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.name not in skip:
                stat = path.stat()
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                state[str(path)] = (stat.st_size, stat.st_mtime_ns, digest)
    return state


def compare_states(before: dict, after: dict) -> dict:
    changed = [p for p in before if p in after and before[p] != after[p]]
    return {
        "files": len(before),
        "changed": changed,
        "created": [p for p in after if p not in before],
        "removed": [p for p in before if p not in after],
    }


# --- The weekly job ----------------------------------------------------------------------------


class Bench:
    def __init__(self, args, tmp: Path) -> None:
        self.args = args
        self.tmp = tmp
        self.snap = snapshot_tree(tmp / "repo")
        self.worker = self.snap / "bench" / "worker.py"
        self.results: dict = {"profile": "full" if args.full else "default"}
        self.results["blog_settings"] = blog_settings(self.snap / "mkdocs.yml")

    def cli_site(self, dirs: Dirs) -> dict:
        cmd = [PYTHON, "-m", "generator", "site", "--offline"]
        cmd += ["--prices-dir", str(self.args.prices_dir), "--as-of", self.args.as_of]
        cmd += [*dirs.options(), "--site-dir", str(dirs.site)]
        return checked(run(cmd, self.snap), "python -m generator site")

    def bare_mkdocs(self, docs: Path, site: Path) -> dict:
        code = (
            "import sys\nfrom generator.site import build_site\n"
            "build_site(sys.argv[1], sys.argv[2])"
        )
        return checked(run([PYTHON, "-c", code, str(docs), str(site)], self.snap), "mkdocs")

    def worker_run(self, scenario: str, dirs: Dirs, *extra: str) -> dict:
        out = self.tmp / f"worker-{time.monotonic_ns()}.json"
        cmd = [PYTHON, str(self.worker), scenario, *dirs.options(), "--site-dir", str(dirs.site)]
        cmd += ["--as-of", self.args.as_of, "--out", str(out), *extra]
        result = checked(run(cmd, self.snap), f"bench worker {scenario}")
        return {**json.loads(out.read_text()), "process": _process(result)}

    def end_to_end(self) -> None:
        """Cold and warm CLI runs, the no-change check, and the ratio to a bare build."""
        cli = Dirs(self.tmp, "cli")
        if self.args.full:
            log("CLI cold: python -m generator site (empty data and docs folders)")
            self.results["cli_cold"] = _process(self.cli_site(cli))
        else:
            # The cold stages run has already drawn every chart: start from a copy of its
            # folders instead of drawing them all again (the cold CLI run is --full only).
            stages = Dirs(self.tmp, "stages")
            shutil.copytree(stages.data, cli.data)
            shutil.copytree(stages.docs, cli.docs)
            log("CLI, first run on a copy of the stages' folders (not timed)")
            self.cli_site(cli)
        self.cli = cli

        log("no-change rerun (warm), then the job vs bare MkDocs, interleaved")
        before = file_state(cli.data, cli.docs)
        warm = self.cli_site(cli)
        after = file_state(cli.data, cli.docs)
        diff = compare_states(before, after)
        self.results["no_change"] = {
            "seconds": warm["seconds"],
            "files_checked": diff["files"],
            "changed": diff["changed"][:20],
            "created": diff["created"][:20],
            "removed": diff["removed"][:20],
            "written": len(diff["changed"]) + len(diff["created"]) + len(diff["removed"]),
            "stdout": warm["stdout"].strip().splitlines(),
        }
        jobs, bares = [_process(warm)], []
        bare_site = self.tmp / "bare-site"
        for i in range(self.args.repeats):
            bares.append(_process(self.bare_mkdocs(cli.docs, bare_site)))
            if i + 1 < self.args.repeats:
                jobs.append(_process(self.cli_site(cli)))
        job = statistics.median(j["seconds"] for j in jobs)
        bare = statistics.median(b["seconds"] for b in bares)
        self.results["ratio"] = {
            "job_seconds": [j["seconds"] for j in jobs],
            "bare_seconds": [b["seconds"] for b in bares],
            "job_median": job,
            "bare_median": bare,
            "ratio": job / bare,
            "job_peak_rss_mb": max(j["peak_rss_mb"] for j in jobs),
            "bare_peak_rss_mb": max(b["peak_rss_mb"] for b in bares),
            "loads": [j["load"] for j in jobs] + [b["load"] for b in bares],
        }
        self.results["cli_warm"] = jobs[0]

    def stages(self) -> None:
        """The job's stages, timed one by one (library calls, as cli.site makes them)."""
        dirs = Dirs(self.tmp, "stages")
        prices = ["--prices-dir", str(self.args.prices_dir)]
        log("stages, cold (empty data and docs folders)")
        cold = self.worker_run("stages", dirs, *prices, "--no-mkdocs")
        log("stages, warm (second run of the same week)")
        warm = self.worker_run("stages", dirs, *prices)
        self.results["stages"] = {"cold": cold, "warm": warm}
        if self.args.full:
            log("stages, warm, with tracemalloc (per-stage Python allocation peaks)")
            traced = self.worker_run("stages", dirs, *prices, "--tracemalloc", "--no-mkdocs")
            self.results["stages"]["warm_traced"] = traced

    def page_weight(self) -> None:
        self.results["page_weight"] = page_weight(self.cli.site)

    # --- Scaling -----------------------------------------------------------------------------

    def stand_ins(self) -> tuple[Path, Path]:
        """A real week-chart SVG and a real link-preview PNG of median size."""

        def median_file(folder: Path, pattern: str) -> Path:
            files = sorted(folder.glob(pattern), key=lambda p: p.stat().st_size)
            files = [f for f in files if f.name != "home.png"]
            return files[len(files) // 2]

        docs = self.cli.docs
        return (
            median_file(docs / "assets" / "charts" / "weeks", "*.svg"),
            median_file(docs / "assets" / "og", "*.png"),
        )

    def scaling(self) -> None:
        svg, png = self.stand_ins()
        real_ledger = self.cli.data / "verdicts.jsonl"
        rows = {}
        for weeks in self.args.sizes:
            dirs = Dirs(self.tmp, f"scale-{weeks}")
            dirs.data.mkdir(parents=True)
            for sub in ("prices", "extra"):
                shutil.copytree(self.cli.data / sub, dirs.data / sub)
            synth = ["--weeks", str(weeks), "--real-ledger", str(real_ledger)]
            cold = None
            if self.args.full or weeks <= 60:
                log(f"scale {weeks} weeks: cold (every chart rendered)")
                cold = first = self.worker_run("scale", dirs, *synth)
            else:
                log(f"scale {weeks} weeks: pre-warm with stand-in renderings (not timed)")
                stand = ["--stand-in-svg", str(svg), "--stand-in-png", str(png)]
                first = self.worker_run("scale", dirs, *synth, *stand, "--no-mkdocs")
            log(f"scale {weeks} weeks: warm (second run of the same week)")
            warm = self.worker_run("scale", dirs, "--weeks", str(weeks))
            rows[weeks] = {"cold": cold, "warm": warm, "ledger": first["ledger"]}
        self.results["scaling"] = {str(k): v for k, v in rows.items()}
        self.scale_dirs = {k: Dirs(self.tmp, f"scale-{k}") for k in rows}

        biggest = max(rows)
        pages_charts = report.pages_charts_seconds(rows[biggest]["warm"])
        if pages_charts > TARGETS["pages_charts_2000"]:
            log(f"scale {biggest} weeks: warm again under cProfile (target missed)")
            big = self.scale_dirs[biggest]
            args = ("--weeks", str(biggest), "--profile", "--no-mkdocs")
            profiled = self.worker_run("scale", big, *args)
            self.results["profile_pages"] = {"weeks": biggest, **profiled["profile"]}

    def blog_variants(self) -> None:
        """MkDocs at the largest size with the blog plugin's settings varied (--full)."""
        biggest = max(self.args.sizes)
        dirs = self.scale_dirs[biggest]
        variants = {
            "pagination_per_page: 100": {"blog": {"pagination_per_page": 100}},
            "pagination_per_page: 10": {"blog": {"pagination_per_page": 10}},
            "archive: false": {"blog": {"archive": False}},
            "categories: false": {"blog": {"categories": False}},
            "no blog plugin": {"blog": None},
        }
        out = {}
        for name, variant in variants.items():
            log(f"MkDocs at {biggest} posts, blog variant: {name}")
            args = ("--weeks", str(biggest), "--mkdocs-only", "--variant", json.dumps(variant))
            result = self.worker_run("scale", dirs, *args)
            out[name] = result["mkdocs"]
        self.results["blog_variants"] = {"weeks": biggest, "variants": out}

    # --- Zensical ----------------------------------------------------------------------------

    def zensical(self) -> None:
        exe = Path(self.args.zensical_venv) / "bin" / "zensical"
        if not exe.exists():
            self.results["zensical"] = {
                "status": "skipped",
                "why": f"{exe} not found: `make site-zensical` installs it (build/zensical-venv)",
            }
            return
        version = run([str(exe), "--version"], self.snap)["stdout"].strip()
        out = {"version": version, "runs": {}}
        project = self.tmp / "zensical-376"
        runs = [("cold", []), ("warm", []), ("strict", ["--strict"])]
        for name, extra in runs:
            log(f"Zensical {version}, 376 weeks: {name} build")
            out["runs"][name] = zensical_build(exe, self.snap, self.cli.docs, project, extra)
        if out["runs"]["cold"]["rc"] == 0:
            out["compare"] = compare_sites(self.cli.site, project / "site")
            log("Zensical: strict build with a broken link and anchor planted in index.md")
            out["strict_probe"] = strict_probe(exe, self.snap, project)
        biggest = max(self.args.sizes)
        if self.args.full and hasattr(self, "scale_dirs") and biggest in self.scale_dirs:
            log(f"Zensical, {biggest} weeks: cold build")
            big = self.tmp / f"zensical-{biggest}"
            out["runs"][f"cold {biggest}"] = zensical_build(
                exe, self.snap, self.scale_dirs[biggest].docs, big, []
            )
            shutil.rmtree(big, ignore_errors=True)
        out["status"] = "works" if out["runs"]["cold"]["rc"] == 0 else "fails"
        self.results["zensical"] = out


def _process(result: dict) -> dict:
    return {k: result[k] for k in ("seconds", "rc", "peak_rss_mb", "cpu_seconds", "load")} | {
        "stdout": result["stdout"].strip().splitlines()
    }


# --- Page weight -------------------------------------------------------------------------------


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6, mtime=0))


def page_weight(site: Path) -> dict:
    """The built home page with its own chart specs and SVG fallbacks, each gzipped as a
    server would send it; the Vega bundle and Material's assets are reported apart."""
    html = (site / "index.html").read_bytes()
    text = html.decode()
    specs = sorted(set(re.findall(r'data-spec="([^"]+)"', text)))
    svgs = sorted(
        set(re.findall(r'data-fallback="([^"]+\.svg)"', text))
        | set(re.findall(r'<img src="(assets/charts/[^"]+\.svg)"', text))
    )
    files = [("index.html", html)] + [(p, (site / p).read_bytes()) for p in specs + svgs]
    rows = [{"file": name, "raw": len(data), "gzip": gz(data)} for name, data in files]
    bundle = (site / "assets" / "vendor" / "vega-bundle.js").read_bytes()
    material = [
        p
        for p in re.findall(r'(?:src|href)="(assets/(?:javascripts|stylesheets)/[^"]+)"', text)
        if ".min." in p
    ]
    material_rows = [
        {"file": p, "raw": (site / p).stat().st_size, "gzip": gz((site / p).read_bytes())}
        for p in material
        if (site / p).exists()
    ]
    total = sum(r["gzip"] for r in rows)
    with_js = sum(r["gzip"] for r in rows if not r["file"].endswith(".svg"))
    without_js = sum(r["gzip"] for r in rows if not r["file"].endswith(".json"))
    return {
        "files": rows,
        "gzip_total": total,
        "raw_total": sum(r["raw"] for r in rows),
        "gzip_with_js": with_js,
        "gzip_without_js": without_js,
        "bundle": {"raw": len(bundle), "gzip": gz(bundle)},
        "material": material_rows,
    }


# --- Zensical ----------------------------------------------------------------------------------


def zensical_build(exe: Path, snap: Path, docs: Path, project: Path, extra: list[str]) -> dict:
    """Build a generated docs folder with Zensical. Zensical wants docs_dir inside the folder
    of its config file, so the docs are copied into a scratch project next to a copy of
    mkdocs.yml (docs_dir and the theme's custom_dir pointed at them)."""
    if not (project / "mkdocs.yml").exists():
        project.mkdir(parents=True)
        shutil.copytree(docs, project / "docs")
        text = (snap / "mkdocs.yml").read_text()
        text, n1 = re.subn(r"(?m)^docs_dir: .*$", "docs_dir: docs", text)
        text, n2 = re.subn(r"(?m)^site_dir: .*$", "site_dir: site", text)
        text, n3 = re.subn(
            r"(?m)^(\s+custom_dir:) .*$", rf"\1 {snap / 'templates' / 'theme'}", text
        )
        if (n1, n2, n3) != (1, 1, 1):
            raise SystemExit("mkdocs.yml: cannot point docs_dir/site_dir/custom_dir elsewhere")
        (project / "mkdocs.yml").write_text(text)
    result = run([str(exe), "build", "-f", str(project / "mkdocs.yml"), *extra], project)
    for key in ("stdout", "stderr"):  # Zensical colours its messages even into a pipe
        result[key] = re.sub(r"\x1b\[[0-9;]*m", "", result[key])
    said = (result["stdout"] + "\n" + result["stderr"]).splitlines()
    messages = [line.strip() for line in said if re.search(r"issues? found|Warning|Error", line)]
    return _process(result) | {
        "stderr": result["stderr"].strip().splitlines()[-15:],
        "messages": messages[:12],
    }


def strict_probe(exe: Path, snap: Path, project: Path) -> dict:
    """Does `zensical build --strict` fail on what MkDocs' strict mode fails on here (a link
    to a missing page, a missing anchor)? The planted lines are removed afterwards."""
    index = project / "docs" / "index.md"
    original = index.read_bytes()
    index.write_bytes(original + b"\n\n[broken](no-such-page.md) [anchor](weeks.md#no-such)\n")
    try:
        result = zensical_build(exe, snap, project / "docs", project, ["--strict"])
    finally:
        index.write_bytes(original)
    return {"rc": result["rc"], "issues": result["messages"], "seconds": result["seconds"]}


def _tree(site: Path) -> set[str]:
    return {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()}


THEME_ASSET = re.compile(r"^(assets/(javascripts|stylesheets)/|search/|sitemap\.xml\.gz$)")


def compare_sites(mkdocs_site: Path, zensical_site: Path) -> dict:
    """What a reader would see differ between the two builds of the same docs folder."""
    import feedparser

    a, b = _tree(mkdocs_site), _tree(zensical_site)
    ours = re.compile(r"^assets/(javascripts/(charts|a11y)\.js|stylesheets/extra\.css)$")

    def pages(tree: set[str]) -> set[str]:
        return {p for p in tree if p.endswith(".html")}

    def count(tree: set[str], pattern: str) -> int:
        return sum(1 for p in tree if re.search(pattern, p))

    kinds = {
        "posts": r"^blog/\d{4}/\d\d/\d\d/[^/]+/index\.html$",
        "archive pages": r"^blog/archive/",
        "category pages": r"^blog/category/",
        "blog index pages": r"^blog/(page/\d+/)?index\.html$",
        "chart SVGs": r"^assets/charts/.*\.svg$",
        "link-preview PNGs": r"^assets/og/.*\.png$",
    }
    feeds = {}
    for name in sorted(p for p in a | b if p.startswith("feed_")):
        feeds[name] = {
            "mkdocs": _feed(mkdocs_site / name, feedparser) if name in a else None,
            "zensical": _feed(zensical_site / name, feedparser) if name in b else None,
        }
    refs = {
        "mkdocs": broken_references(mkdocs_site),
        "zensical": broken_references(zensical_site),
    }
    return {
        "files": {"mkdocs": len(a), "zensical": len(b)},
        "html_pages": {"mkdocs": len(pages(a)), "zensical": len(pages(b))},
        "kinds": {k: {"mkdocs": count(a, v), "zensical": count(b, v)} for k, v in kinds.items()},
        "only_mkdocs": sorted(p for p in a - b if not THEME_ASSET.match(p) or ours.match(p)),
        "only_zensical": sorted(p for p in b - a if not THEME_ASSET.match(p) or ours.match(p)),
        "theme_assets": {
            "mkdocs": sorted({_stem(p) for p in a - b if THEME_ASSET.match(p)})[:12],
            "zensical": sorted({_stem(p) for p in b - a if THEME_ASSET.match(p)})[:12],
        },
        "feeds": feeds,
        "home": {"mkdocs": _home(mkdocs_site), "zensical": _home(zensical_site)},
        "broken_references": refs,
    }


def _stem(path: str) -> str:
    return re.sub(r"\.[0-9a-f]{8}\.", ".*.", re.sub(r"/lunr/.*", "/lunr/*", path))


def _feed(path: Path, feedparser) -> dict:
    if path.suffix == ".json":
        data = json.loads(path.read_text())
        items = data.get("items", [])
        return {
            "items": len(items),
            "first": items[0].get("title") if items else None,
            "first_date": items[0].get("date_published") if items else None,
            "first_url": items[0].get("url") if items else None,
        }
    feed = feedparser.parse(str(path))
    entries = feed.entries
    return {
        "items": len(entries),
        "first": entries[0].get("title") if entries else None,
        "first_date": entries[0].get("published") if entries else None,
        "first_url": entries[0].get("link") if entries else None,
        "image": feed.feed.get("image", {}).get("href"),
        "bozo": bool(feed.bozo),
    }


def _home(site: Path) -> dict:
    text = (site / "index.html").read_text()
    og = re.search(r'<meta property="og:image" content="([^"]*)"', text)
    return {
        "chart_containers": text.count('class="aw-chart__view"'),
        "scripts": [
            s.split("/")[-1] for s in re.findall(r'<script src="([^"]+)"', text) if "vendor" in s
        ]
        + [s.split("/")[-1] for s in re.findall(r'<script src="([^"]+charts\.js)"', text)],
        "og_image": og.group(1) if og else None,
        "verdict_box": "aw-verdict" in text,
        "bytes": len(text.encode()),
    }


def broken_references(site: Path) -> dict:
    """Local src/href/data-spec/data-fallback references in HTML pages that lead nowhere."""
    broken, checked = [], 0
    pattern = re.compile(r'(?:src|href|data-spec|data-fallback)="([^"#?]+)')
    for page in site.rglob("*.html"):
        for ref in pattern.findall(page.read_text(errors="replace")):
            if re.match(r"^(https?:|mailto:|data:|//)", ref):
                continue
            checked += 1
            target = (page.parent / ref).resolve() if not ref.startswith("/") else None
            if target is None:
                continue
            if not (target.is_file() or (target / "index.html").is_file()):
                broken.append(f"{page.relative_to(site).as_posix()} -> {ref}")
    return {"checked": checked, "broken": len(broken), "examples": sorted(broken)[:8]}


# --- Main --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--full",
        action="store_true",
        help="cold runs at every size, blog plugin variants, tracemalloc (20+ minutes)",
    )
    parser.add_argument("--repeats", type=int, default=3, help="job/bare pairs (median)")
    parser.add_argument(
        "--sizes",
        type=lambda s: tuple(int(x) for x in s.split(",")),
        default=SIZES,
        help="archived weeks to scale to (default 52,520,2000)",
    )
    parser.add_argument("--prices-dir", type=Path, default=PROJECT.parent / "shared/data/prices")
    parser.add_argument("--as-of", default="2026-02-20")
    parser.add_argument("--zensical-venv", type=Path, default=ZENSICAL_VENV)
    parser.add_argument("--no-zensical", action="store_true")
    parser.add_argument("--out", type=Path, default=BENCH, help="where results.md/.json go")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument(
        "--from-json", type=Path, help="only re-render results.md from this results.json"
    )
    args = parser.parse_args(argv)
    if args.from_json:
        results = json.loads(args.from_json.read_text())
        results.setdefault("blog_settings", blog_settings(PROJECT / "mkdocs.yml"))
        results["summary"] = report.summary(results, TARGETS)
        (args.out / "results.md").write_text(report.markdown(results, TARGETS), encoding="utf-8")
        print("\n".join(report.summary_lines(results["summary"])))
        return 0
    args.prices_dir = args.prices_dir.resolve()
    if not args.prices_dir.is_dir():
        parser.error(f"{args.prices_dir}: no replay data (../shared/data/prices)")

    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="altseason-bench-"))
    log(f"working in {tmp}")
    try:
        bench = Bench(args, tmp)
        bench.results["machine"] = machine()
        bench.results["args"] = {
            "full": args.full,
            "repeats": args.repeats,
            "sizes": list(args.sizes),
            "as_of": args.as_of,
        }
        bench.stages()
        bench.end_to_end()
        bench.page_weight()
        bench.scaling()
        if args.full:
            bench.blog_variants()
        if not args.no_zensical:
            bench.zensical()
        results = bench.results
        results["machine"]["load_at_end"] = os.getloadavg()
        results["bench_seconds"] = time.perf_counter() - started
        results["summary"] = report.summary(results, TARGETS)
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "results.json").write_text(
            json.dumps(results, indent=1, default=str) + "\n", encoding="utf-8"
        )
        (args.out / "results.md").write_text(report.markdown(results, TARGETS), encoding="utf-8")
    finally:
        if args.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print()
    for line in report.summary_lines(results["summary"]):
        print(line)
    print(f"\n(bench took {results['bench_seconds']:.0f} s; results in {args.out}/results.md)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
