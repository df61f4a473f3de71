"""Benchmark of the weekly job: what an operator runs, against a bare `mkdocs build`.

    .venv/bin/python bench/run.py        # `make bench`: about twenty minutes on 2 cores

Headline: `python -m generator site` in a fresh process (fetch from the replay folder
included) for one new week, against `mkdocs build --strict` of the docs folder it produced,
best of several runs. Cold = empty data and docs folders (every chart drawn); warm = the weekly
job's path: the folders of the previous week's run, charts and posts reused. Stage times come
from the job's own `progress` hook (`generator.cli.weekly_job`), never from a copy of it.
Scaling: the same job at 52, 520 and 2,000 archived weeks, with the search index's size.
Everything runs in a temporary folder on a snapshot of the tree; only bench/results.md and
bench/results.json are written.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
PROJECT = BENCH.parent
PYTHON = sys.executable
SIZES = (52, 520, 2000)
TARGET_RATIO = 1.25
AS_OF, PREVIOUS = "2026-02-20", "2026-02-13"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')} load {os.getloadavg()[0]:.1f}] {message}", flush=True)


def run(cmd: list[str], cwd: Path) -> dict:
    """Run a command in a fresh process: wall seconds, exit code, output, its own peak RSS."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        result = {
            "seconds": seconds,
            "rc": os.waitstatus_to_exitcode(status),
            "peak_rss_mb": usage.ru_maxrss / 1024,
            "stdout": out.read().decode(errors="replace").strip().splitlines(),
            "stderr": err.read().decode(errors="replace")[-2000:],
        }
    if result["rc"] != 0:
        raise SystemExit(f"{' '.join(cmd[:4])} failed (exit {result['rc']}):\n{result['stderr']}")
    return result


class Job:
    """The generator and MkDocs, run as an operator runs them, on a snapshot of the tree."""

    def __init__(self, tmp: Path, prices: Path) -> None:
        self.tmp, self.prices = tmp, prices
        self.snap = tmp / "repo"
        for name in ("generator", "templates", "site_docs"):
            ignore = shutil.ignore_patterns("__pycache__")
            shutil.copytree(PROJECT / name, self.snap / name, ignore=ignore)
        shutil.copy2(PROJECT / "mkdocs.yml", self.snap / "mkdocs.yml")
        shutil.copy2(Path(__file__), self.snap / "bench.py")

    def cli(self, command: str, root: Path, as_of: str = AS_OF) -> dict:
        cmd = [PYTHON, "-m", "generator", command, "--offline", "--prices-dir", str(self.prices)]
        cmd += [
            "--as-of",
            as_of,
            "--data-dir",
            str(root / "data"),
            "--docs-dir",
            str(root / "docs"),
        ]
        return run([*cmd, "--site-dir", str(root / "site")], self.snap)

    def bare_mkdocs(self, root: Path) -> dict:
        config = self.snap / f"mkdocs-{root.name}.yml"
        text = (self.snap / "mkdocs.yml").read_text()
        config.write_text(re.sub(r"(?m)^docs_dir: .*$", f"docs_dir: {root / 'docs'}", text))
        site = root / "bare-site"
        return run(
            [PYTHON, "-m", "mkdocs", "build", "--strict", "-q", "-f", str(config), "-d", str(site)],
            self.snap,
        )

    def in_process(self, mode: str, root: Path, *extra: str) -> dict:
        """`bench.py --worker`: the job in one process with a stage clock (or a pre-warm)."""
        out = root / f"{mode}.json"
        cmd = [PYTHON, str(self.snap / "bench.py"), "--worker", mode, "--root", str(root)]
        run([*cmd, "--prices-dir", str(self.prices), "--out", str(out), *extra], self.snap)
        return json.loads(out.read_text())


def copy_state(source: Path, target: Path) -> Path:
    shutil.rmtree(target, ignore_errors=True)
    for name in ("data", "docs"):
        shutil.copytree(source / name, target / name)
    return target


def best(runs: list[dict]) -> dict:
    return min(runs, key=lambda r: r["seconds"])


def headline(job: Job, repeats: int) -> dict:
    log("cold: site from empty folders (every chart drawn)")
    cold_root = job.tmp / "cold"
    cold = job.cli("site", cold_root)
    cold_bare = job.bare_mkdocs(cold_root)
    log("the previous week's folders: fetch and pages as of the week before")
    prev = job.tmp / "previous"
    copy_state(cold_root, prev)
    for sub in ("prices", "extra"):  # fetched again, as of the week before
        shutil.rmtree(prev / "data" / sub, ignore_errors=True)
    ledger = prev / "data" / "verdicts.jsonl"  # append-only: last week's is this one's prefix
    ledger.write_text("".join(ledger.read_text().splitlines(keepends=True)[:-1]))
    job.cli("pages", prev, PREVIOUS)
    warm, bare = [], []
    for i in range(repeats):
        log(f"warm {i + 1}/{repeats}: site for one new week on the previous week's folders")
        root = copy_state(prev, job.tmp / f"warm-{i}")
        warm.append(job.cli("site", root))
        bare.append(job.bare_mkdocs(root))
    log("stage times through the job's progress hook (one new week, in one process)")
    stages = job.in_process("stages", copy_state(prev, job.tmp / "stages"))
    return {
        "cold": {"job": cold, "bare": cold_bare},
        "warm": {"job": warm, "bare": bare},
        "ratio_warm": best(warm)["seconds"] / best(bare)["seconds"],
        "ratio_cold": cold["seconds"] / cold_bare["seconds"],
        "stages": stages,
        "site": str(job.tmp / "warm-0" / "site"),
    }


def scaling(job: Job, sizes: tuple[int, ...]) -> dict:
    cold = job.tmp / "cold"
    svg = sorted((cold / "docs/assets/charts/weeks").glob("*.svg"), key=lambda p: p.stat().st_size)
    png = sorted((cold / "docs/assets/og").glob("*-*.png"), key=lambda p: p.stat().st_size)
    rows = {}
    for weeks in sizes:
        root = job.tmp / f"scale-{weeks}"
        (root / "data").mkdir(parents=True)
        for sub in ("prices", "extra"):
            shutil.copytree(cold / "data" / sub, root / "data" / sub)
        log(f"{weeks} weeks: synthetic ledger, pre-warmed with stand-in renderings (not timed)")
        stand_ins = ["--svg", str(svg[len(svg) // 2]), "--png", str(png[len(png) // 2])]
        job.in_process(
            "prewarm",
            root,
            "--weeks",
            str(weeks),
            "--ledger",
            str(cold / "data/verdicts.jsonl"),
            *stand_ins,
        )
        log(f"{weeks} weeks: site, warm (the same week again)")
        result = job.cli("site", root)
        built = re.search(r"site: built .* in ([0-9.]+) s", "\n".join(result["stdout"]))
        rows[weeks] = {
            "seconds": result["seconds"],
            "mkdocs": float(built.group(1)) if built else None,
            "peak_rss_mb": result["peak_rss_mb"],
            "search_index": dict(
                zip(("raw", "gzip"), pagespeed().search_index_size(root / "site"), strict=True)
            ),
            "site": str(root / "site"),
        }
    return rows


def pagespeed() -> Any:
    """bench/pagespeed.py: Lighthouse, and the search index's size (imported on use: the
    in-process worker runs from a snapshot of the tree that holds only this file)."""
    sys.path.insert(0, str(BENCH))
    import pagespeed as module

    return module


def page_speed(sites: dict[str, Path], runs: int) -> str:
    """Each row the median of `runs` Lighthouse runs (single runs swing with the machine)."""
    return str(pagespeed().pagespeed_markdown(sites, runs))


# --- In one process (`--worker`): the job with a stage clock, or a pre-warm ---------------------


def worker(args: argparse.Namespace) -> dict:
    sys.path.insert(0, str(Path(__file__).resolve().parent))  # the snapshot's generator
    from generator import cli

    root = args.root
    kwargs = {"config_file": None, "as_of": dt.date.fromisoformat(AS_OF), "offline": True}
    kwargs |= {"data_dir": root / "data", "docs_dir": root / "docs", "site_dir": root / "site"}
    options = cli.run_options(kwargs | {"prices_dir": args.prices_dir, "require_live": False})
    if args.worker == "prewarm":
        return prewarm(options, args)
    stages: list[dict] = []
    last = time.perf_counter()

    def clock(stage: str) -> None:
        nonlocal last
        now = time.perf_counter()
        stages.append({"stage": stage, "seconds": now - last})
        last = now

    lines: list[str] = []
    cli.weekly_job(options, build=True, say=lines.append, progress=clock)
    return {"stages": stages, "lines": lines}


def prewarm(options, args: argparse.Namespace) -> dict:  # type: ignore[no-untyped-def]
    """A synthetic ledger of `--weeks` weeks ending on AS_OF (the real records, newest last,
    cycled and relabelled onto real NYSE weeks) and its pages, every chart rendering written
    as a real rendering of another week (names and pages are those of a real run)."""
    from generator import market, pages, pipeline
    from generator.writer import DocsWriter

    real = [json.loads(line) for line in args.ledger.read_text().splitlines()]
    start = dt.date.fromisoformat(AS_OF) - dt.timedelta(weeks=args.weeks + 10)
    weeks = list(market.week_ends(start, dt.date.fromisoformat(AS_OF)))[-args.weeks :]
    records = [
        real[-1 - (i % len(real))] | {"week_ending": w.date().isoformat()}
        for i, w in enumerate(reversed(weeks))
    ][::-1]
    ledger = options.data_dir / "verdicts.jsonl"
    ledger.write_text(
        "".join(json.dumps(r, sort_keys=True, ensure_ascii=False) + "\n" for r in records)
    )
    stand_ins = {".svg": args.svg.read_bytes(), ".png": args.png.read_bytes()}

    class StandIns(DocsWriter):
        def render_pending(self) -> None:
            for rel in sorted(self.pending):
                self.bytes(rel, stand_ins[Path(rel).suffix])
            self.pending.clear()

    result = pipeline.run(options)
    written = pages.write(result, options.docs_dir, writer=StandIns(options.docs_dir))
    return {"weeks": len(result.records), "written": written.written}


# --- The report -----------------------------------------------------------------------------------

ZENSICAL = (
    "Zensical (kept from the earlier runs; not re-measured here): 0.0.73, the newest release "
    "the package index here installs (0.0.74+ need `zensical-ui`), built the same 376-week docs "
    "folder in 5.5 s cold and 3.0 s warm against MkDocs' 13.4 s, with the same posts, archive, "
    "category and index pages, chart SVGs, previews and feed items, and no broken local link; "
    "it differs in feed item times (it ignores the rss plugin's `default_time`), a relative "
    "feed image (our absolute-URL hook is MkDocs-only), its own `search.json` and no sitemap; "
    "`zensical build --strict` does fail on a missing page or anchor. `make site-zensical` "
    "builds with it."
)


def cells(run: dict) -> str:
    return f"{run['seconds']:.1f} s (peak RSS {run['peak_rss_mb']:.0f} MB)"


def markdown(r: dict) -> str:
    h = r["headline"]
    warm, bare = best(h["warm"]["job"]), best(h["warm"]["bare"])
    verdict = "meets" if h["ratio_warm"] <= TARGET_RATIO else "misses"
    out = [
        "# Benchmark: the weekly job against a bare MkDocs build",
        "",
        f"`make bench` on {r['machine']}; {r['date']}; took {r['seconds']:.0f} s. Replay data, "
        f"`--offline --as-of {AS_OF}`, every run a fresh process.",
        "",
        "## Headline",
        "",
        "| | job: `python -m generator site` | bare `mkdocs build --strict` | ratio |",
        "|:--|--:|--:|--:|",
        f"| warm: one new week, best of {len(h['warm']['job'])} | {cells(warm)} | {cells(bare)} "
        f"| **{h['ratio_warm']:.2f}x** |",
        f"| cold: empty folders, one run | {cells(h['cold']['job'])} | "
        f"{cells(h['cold']['bare'])} | {h['ratio_cold']:.2f}x |",
        "",
        f"Warm ratio {h['ratio_warm']:.2f}x: {verdict} the {TARGET_RATIO}x target. Warm = the "
        f"weekly job's path: the data and docs folders of the {PREVIOUS} run, then `site` for "
        f"{AS_OF} (the fetch adds the week's rows, one verdict is recorded, the new post, its "
        "neighbour and the home charts are drawn, the rest is reused). The job includes "
        "interpreter start-up, imports and the fetch.",
        "",
        "All warm runs (s): job "
        + ", ".join(f"{x['seconds']:.1f}" for x in h["warm"]["job"])
        + "; bare "
        + ", ".join(f"{x['seconds']:.1f}" for x in h["warm"]["bare"])
        + ".",
        "",
        "## Stages of one warm run (the job's progress hook, in one process)",
        "",
        "| stage | s |",
        "|:--|--:|",
        *[f"| {s['stage']} | {s['seconds']:.2f} |" for s in h["stages"]["stages"]],
        "",
        "```",
        *h["stages"]["lines"],
        "```",
        "",
        "## Scaling",
        "",
        "Synthetic ledgers (the real records relabelled onto the real NYSE weeks before "
        f"{AS_OF}), pre-warmed; then `site` for the same week again.",
        "",
        "| weeks | job s | of which MkDocs s | peak RSS MB | search index raw KB | gzip KB |",
        "|--:|--:|--:|--:|--:|--:|",
    ]
    for weeks, row in r["scaling"].items():
        index = row["search_index"]
        out.append(
            f"| {weeks} | {row['seconds']:.1f} | {row['mkdocs'] or 0:.1f} | "
            f"{row['peak_rss_mb']:.0f} | {index['raw'] / 1024:.0f} | {index['gzip'] / 1024:.0f} |"
        )
    out += ["", "## Page speed", "", r["page_speed"], "", "## Zensical", "", ZENSICAL, ""]
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="warm job/bare pairs (best of)")
    parser.add_argument("--sizes", type=lambda s: tuple(map(int, s.split(","))), default=SIZES)
    parser.add_argument("--prices-dir", type=Path, default=PROJECT / "data" / "prices")
    parser.add_argument("--out", type=Path, default=BENCH)
    parser.add_argument("--lighthouse-runs", type=int, default=3, help="per page (median)")
    parser.add_argument("--worker", choices=("stages", "prewarm"), help=argparse.SUPPRESS)
    for name in ("--root", "--ledger", "--svg", "--png"):
        parser.add_argument(name, type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--weeks", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.prices_dir = args.prices_dir.resolve()
    if args.worker:
        args.out.write_text(json.dumps(worker(args)))
        return 0
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="altseason-bench-"))
    try:
        job = Job(tmp, args.prices_dir)
        results = {"headline": headline(job, args.repeats), "scaling": scaling(job, args.sizes)}
        sites = {"today": Path(results["headline"]["site"])}
        if 2000 in results["scaling"]:
            sites["2,000 weeks"] = Path(results["scaling"][2000]["site"])
        results["page_speed"] = page_speed(sites, args.lighthouse_runs)
        results["machine"] = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"
        results["date"] = dt.date.today().isoformat()
        results["seconds"] = time.perf_counter() - started
        (args.out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
        (args.out / "results.md").write_text(markdown(results))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    h = results["headline"]
    print(f"warm job/bare {h['ratio_warm']:.2f}x (target {TARGET_RATIO}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
