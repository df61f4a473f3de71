"""The benchmark's verdicts (one summary line per target) and bench/results.md."""

from __future__ import annotations

import itertools

# Stages of a worker run that make up "pages+charts" (everything after the evidence, before
# MkDocs): the home charts' specs, the pages, the chart renderings, the Vega bundle, pruning.
PAGES_CHARTS = ("home charts", "pages", "chart renderings", "Vega bundle", "remove stale")


def stage_seconds(run: dict, prefixes: tuple[str, ...]) -> float:
    return sum(r["seconds"] for r in run["stages"] if r["stage"].startswith(prefixes))


def pages_charts_seconds(run: dict) -> float:
    return stage_seconds(run, PAGES_CHARTS)


def mkdocs_seconds(run: dict) -> float | None:
    return run["mkdocs"]["seconds"] if run.get("mkdocs") else None


def total_seconds(run: dict) -> float:
    """Every timed stage of a worker run (load cache .. MkDocs), no interpreter start-up."""
    return sum(r["seconds"] for r in run["stages"])


def growth(results: dict) -> dict | None:
    """Warm total per archived week at each size, and the marginal cost per added week."""
    scaling = results.get("scaling") or {}
    sizes = sorted(int(k) for k in scaling)
    if len(sizes) < 2:
        return None
    totals = {n: total_seconds(scaling[str(n)]["warm"]) for n in sizes}
    per_week = [totals[n] / n for n in sizes]
    slopes = [(totals[b] - totals[a]) / (b - a) for a, b in itertools.pairwise(sizes)]
    return {
        "sizes": sizes,
        "totals": totals,
        "per_week": per_week,
        "slopes": slopes,
        # Linear (or better) growth: the time per week never rises from one size to the next.
        "worst_rise": max(b / a for a, b in itertools.pairwise(per_week)),
        "slope_ratio": slopes[-1] / slopes[0] if slopes[0] > 0 else float("inf"),
    }


def _line(name, value, target, status) -> dict:
    return {"name": name, "value": value, "target": target, "status": status}


def summary(results: dict, targets: dict) -> list[dict]:
    rows = []
    ratio = results["ratio"]
    rows.append(
        _line(
            f"job/bare MkDocs ratio (warm, median of {len(ratio['bare_seconds'])})",
            f"{ratio['ratio']:.2f}x ({ratio['job_median']:.1f} s / {ratio['bare_median']:.1f} s)",
            f"<= {targets['ratio']}x",
            "PASS" if ratio["ratio"] <= targets["ratio"] else "FAIL",
        )
    )
    scaling = results.get("scaling") or {}
    if scaling:
        biggest = max(int(k) for k in scaling)
        row = scaling[str(biggest)]
        warm = pages_charts_seconds(row["warm"])
        rows.append(
            _line(
                f"pages+charts at {biggest} weeks (warm)",
                f"{warm:.1f} s",
                f"<= {targets['pages_charts_2000']:.0f} s",
                "PASS" if warm <= targets["pages_charts_2000"] else "FAIL",
            )
        )
        cold = row["cold"]
        rows.append(
            _line(
                f"pages+charts at {biggest} weeks (cold)",
                f"{pages_charts_seconds(cold):.0f} s" if cold else "not run (--full)",
                "-",
                "INFO",
            )
        )
        rows.append(
            _line(
                f"MkDocs build at {biggest} weeks",
                f"{mkdocs_seconds(row['warm']):.0f} s",
                "-",
                "INFO",
            )
        )
    g = growth(results)
    if g:
        rows.append(
            _line(
                "growth: warm total per archived week, " + " / ".join(map(str, g["sizes"])),
                " -> ".join(f"{x * 1000:.0f}" for x in g["per_week"])
                + " ms/week (marginal "
                + " -> ".join(f"{x * 1000:.0f}" for x in g["slopes"])
                + ")",
                f"never rises > {(targets['growth'] - 1) * 100:.0f}% (linear)",
                "PASS" if g["worst_rise"] <= targets["growth"] else "FAIL",
            )
        )
    nc = results["no_change"]
    rows.append(
        _line(
            "no-change rerun: files changed under data/ + docs",
            f"{nc['written']} of {nc['files_checked']} ({nc['seconds']:.1f} s)",
            "0",
            "PASS" if nc["written"] == 0 else "FAIL",
        )
    )
    pw = results["page_weight"]
    kb = pw["gzip_total"] / 1024
    rows.append(
        _line(
            "home page weight (HTML + specs + SVGs, gzip)",
            f"{kb:.0f} KB (Vega bundle {pw['bundle']['gzip'] / 1024:.0f} KB gzip apart)",
            f"<= {targets['page_weight_kb']:.0f} KB",
            "PASS" if kb <= targets["page_weight_kb"] else "FAIL",
        )
    )
    cli_cold = results.get("cli_cold")
    rows.append(
        _line(
            "end to end, cold (CLI site, empty folders)",
            f"{cli_cold['seconds']:.0f} s, peak RSS {cli_cold['peak_rss_mb']:.0f} MB"
            if cli_cold
            else "not run (--full); the cold stages above add up to it",
            "-",
            "INFO",
        )
    )
    rows.append(
        _line(
            "end to end, warm (CLI site, same week again)",
            f"{results['cli_warm']['seconds']:.1f} s, peak RSS "
            f"{results['cli_warm']['peak_rss_mb']:.0f} MB",
            "-",
            "INFO",
        )
    )
    z = results.get("zensical")
    if z:
        rows.append(_zensical_line(z, results))
    return rows


def _zensical_line(z: dict, results: dict) -> dict:
    name = "Zensical: same posts, feeds and chart links as MkDocs"
    if z["status"] == "skipped":
        return _line(name, z["why"], "builds", "SKIP")
    cold = z["runs"]["cold"]
    if cold["rc"] != 0:
        return _line(name, f"exit {cold['rc']}", "builds, same output", "FAIL")
    cmp_ = z["compare"]
    kinds, feeds, refs = cmp_["kinds"], cmp_["feeds"], cmp_["broken_references"]
    same_posts = kinds["posts"]["mkdocs"] == kinds["posts"]["zensical"]
    same_feeds = all(
        f["zensical"] and f["mkdocs"] and f["zensical"]["items"] == f["mkdocs"]["items"]
        for f in feeds.values()
    )
    broken = refs["zensical"]["broken"] - refs["mkdocs"]["broken"]
    bare = results["ratio"]["bare_median"]
    value = (
        f"{z['version']} builds in {cold['seconds']:.1f} s (MkDocs {bare:.1f} s); posts "
        f"{'same' if same_posts else 'differ'}, feeds {'same' if same_feeds else 'differ'}, "
        f"{broken} more broken local links"
    )
    ok = same_posts and same_feeds and broken <= 0
    return _line(name, value, "builds, same output", "PASS" if ok else "FAIL")


def summary_lines(rows: list[dict]) -> list[str]:
    width = max(len(r["name"]) for r in rows)
    return [
        f"{r['status']:<5} {r['name']:<{width}}  {r['value']}"
        + ("" if r["status"] == "INFO" else f"  (target {r['target']})")
        for r in rows
    ]


# --- results.md --------------------------------------------------------------------------------


def _s(x: float | None, digits: int = 2) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def _kb(n: int) -> str:
    return f"{n / 1024:.1f}"


def _table(header: list[str], rows: list[list]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join(":--" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return out


def markdown(results: dict, targets: dict) -> str:
    m = results["machine"]
    lines = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`.venv/bin/python bench/run.py"
        + (" --full" if results["args"]["full"] else "")
        + "`); the last run on this machine. "
        "Every number is from the real replay data (`../shared/data/prices`, "
        f"`--as-of {results['args']['as_of']}`) in temporary folders.",
        "",
        "## Machine",
        "",
        f"- CPU: {m['cpus']} x {m['cpu_model']}; RAM {m['ram_gb']} GB; Python {m['python']} "
        f"({m['platform']})",
        "- Load average (1/5/15 min) at start "
        + "/".join(f"{x:.1f}" for x in m["load_at_start"])
        + ", at end "
        + "/".join(f"{x:.1f}" for x in m["load_at_end"])
        + " (other sessions share the machine: timings carry that noise)",
        "- Packages: " + ", ".join(f"{k} {v}" for k, v in m["packages"].items()),
        f"- Code: commit {m['git']['commit']}"
        + (
            f", with uncommitted changes in {len(m['git']['dirty'])} file(s) of generator/, "
            "templates/, site_docs/ or mkdocs.yml"
            if m["git"]["dirty"]
            else ", clean"
        )
        + " (the bench runs on a copy of the tree taken when it starts)",
        f"- Bench: {results['bench_seconds']:.0f} s in all ({results['profile']} profile)",
        "",
        "## Summary",
        "",
        "```",
        *summary_lines(results["summary"]),
        "```",
        "",
    ]
    lines += _stages_section(results)
    lines += _ratio_section(results, targets)
    lines += _scaling_section(results)
    lines += _blog_section(results)
    lines += _profile_section(results)
    lines += _fixes_section(results, targets)
    lines += _no_change_section(results)
    lines += _weight_section(results)
    lines += _zensical_section(results)
    return "\n".join(lines) + "\n"


def _stages_section(results: dict) -> list[str]:
    st = results["stages"]
    cold, warm = st["cold"], st["warm"]
    traced = st.get("warm_traced")
    names = [r["stage"] for r in warm["stages"]]
    by = {k: {r["stage"]: r for r in v["stages"]} for k, v in st.items()}
    rows = []
    for name in names:
        c, w = by["cold"].get(name), by["warm"].get(name)
        row = [
            name,
            _s(c["seconds"]) if c else "(as warm)",
            _s(w["seconds"]),
            f"{c['rss_mb']:.0f}" if c else "-",
            f"{w['rss_mb']:.0f}",
        ]
        if traced:
            t = by["warm_traced"].get(name)
            row.append(f"{t['py_peak_mb']:.0f}" if t and "py_peak_mb" in t else "-")
        rows.append(row)
    header = ["stage", "cold s", "warm s", "RSS high-water cold MB", "warm MB"]
    if traced:
        header.append("tracemalloc peak MB (warm)")
    pages = cold["pages"]
    renders = ", ".join(f"{n} {k}" for k, n in sorted(pages["renders"].items()))
    cli_cold, cli_warm = results.get("cli_cold"), results["cli_warm"]
    if cli_cold:
        cli = [
            f"The real CLI, end to end: cold {cli_cold['seconds']:.1f} s (peak RSS "
            f"{cli_cold['peak_rss_mb']:.0f} MB, {cli_cold['cpu_seconds']:.0f} CPU s), warm "
            f"{cli_warm['seconds']:.1f} s (peak RSS {cli_warm['peak_rss_mb']:.0f} MB). "
            "Its own summary lines (cold):",
            "",
            "```",
            *cli_cold["stdout"],
            "```",
        ]
    else:
        cli = [
            f"The real CLI, end to end, warm: {cli_warm['seconds']:.1f} s (peak RSS "
            f"{cli_warm['peak_rss_mb']:.0f} MB); its cold run is timed by `--full` only (the "
            "cold stages above are the same work). Its own summary lines (warm):",
            "",
            "```",
            *cli_warm["stdout"],
            "```",
        ]
    out = [
        "## 1. Stage timings (376 weeks, the real ledger)",
        "",
        "`python -m generator site --offline --prices-dir ../shared/data/prices --as-of "
        f"{results['args']['as_of']}`, its library stages called one by one in the order "
        "`cli.site` and `pages.generate` call them (bench/worker.py), each in a fresh "
        "process. Cold = empty data and docs folders (every chart rendering is drawn: "
        f"{renders}); warm = the same week again. The MkDocs build is the same work cold or "
        "warm (the site folder is rebuilt from scratch either way), so it is timed once.",
        "",
        *_table(header, rows),
        "",
        f"Peak RSS: cold stages process {cold['peak_rss_mb']:.0f} MB, warm (with MkDocs) "
        f"{warm['peak_rss_mb']:.0f} MB.",
        "",
        *cli,
        "",
    ]
    out += _mkdocs_breakdown(warm["mkdocs"], "376 weeks")
    return out


def _mkdocs_breakdown(mk: dict | None, label: str) -> list[str]:
    if not mk:
        return []
    rows = []
    for kind in sorted(mk["build_pages"]):
        b = mk["build_pages"][kind]
        r = mk["read_pages"].get(kind, {"seconds": 0.0})
        rows.append([kind, b["count"], _s(r["seconds"]), _s(b["seconds"])])
    ex = mk["blog_excerpt_renders"]
    events = list(mk["plugin_events"].items())[:8]
    return [
        f"MkDocs at {label}: {mk['seconds']:.1f} s. Where it goes (read = Markdown to HTML, "
        "build = the page's plugin events, theme template and write):",
        "",
        *_table(["page kind", "pages", "read s", "build s"], rows),
        "",
        f"Blog excerpts rendered: {ex['count']} in {ex['seconds']:.1f} s (Material renders the "
        "whole post's Markdown again for every listing a post appears on: the blog index, its "
        "year's archive, and each of its categories). Slowest plugin events: "
        + "; ".join(f"{k} {v:.2f} s" for k, v in events)
        + ".",
        "",
    ]


def _ratio_section(results: dict, targets: dict) -> list[str]:
    r = results["ratio"]
    st = results["stages"]["warm"]
    mk = st["mkdocs"]["seconds"] if st.get("mkdocs") else None
    non_mkdocs = [
        (x["stage"], x["seconds"]) for x in st["stages"] if not x["stage"].startswith("mkdocs")
    ]
    top = sorted(non_mkdocs, key=lambda kv: -kv[1])[:5]
    extra = sum(s for _, s in non_mkdocs)
    verdict = "meets" if r["ratio"] <= targets["ratio"] else "misses"
    return [
        "## 2. The job against a bare MkDocs build",
        "",
        "Warm cache and warm docs folder. Job = `python -m generator site --offline ...` "
        "(a process, as the weekly workflow runs it); bare = a process running "
        "`generator.site.build_site` (= `mkdocs build --strict`) on the same docs folder. "
        "Interleaved job, bare, job, bare, ...",
        "",
        *_table(
            ["", "runs (s)", "median (s)", "peak RSS MB"],
            [
                [
                    "job",
                    ", ".join(_s(x, 1) for x in r["job_seconds"]),
                    _s(r["job_median"], 1),
                    f"{r['job_peak_rss_mb']:.0f}",
                ],
                [
                    "bare MkDocs",
                    ", ".join(_s(x, 1) for x in r["bare_seconds"]),
                    _s(r["bare_median"], 1),
                    f"{r['bare_peak_rss_mb']:.0f}",
                ],
            ],
        ),
        "",
        f"Ratio **{r['ratio']:.2f}x** ({verdict} the <= {targets['ratio']}x target; load "
        f"averages during the runs {min(r['loads']):.1f}-{max(r['loads']):.1f}). "
        f"Outside MkDocs the warm job spends {extra:.1f} s in the timed stages "
        + (f"(MkDocs itself {mk:.1f} s in that run)" if mk else "")
        + ", mostly: "
        + "; ".join(f"{n} {s:.2f} s" for n, s in top)
        + ". The rest of the difference is interpreter start-up and imports.",
        "",
    ]


def _no_change_section(results: dict) -> list[str]:
    nc = results["no_change"]
    out = [
        "## 4. No-change rerun",
        "",
        f"A second run of the same week: {nc['files_checked']} files under the data folder "
        "and the docs folder compared (size, mtime and SHA-256) before and after; "
        f"**{nc['written']}** changed, created or removed; the run took {nc['seconds']:.1f} s "
        "(the data folder's lock file is left out: it is the run lock, not data).",
        "",
    ]
    for key in ("changed", "created", "removed"):
        if nc[key]:
            out += [f"{key}: " + ", ".join(nc[key][:10]), ""]
    out += ["Its summary lines:", "", "```", *nc["stdout"], "```", ""]
    return out


def _weight_section(results: dict) -> list[str]:
    pw = results["page_weight"]
    rows = [[f["file"], _kb(f["raw"]), _kb(f["gzip"])] for f in pw["files"]]
    rows.append(["**total**", _kb(pw["raw_total"]), f"**{_kb(pw['gzip_total'])}**"])
    mat = sum(r["gzip"] for r in pw["material"])
    return [
        "## 5. Home page weight",
        "",
        "The built `site/index.html`, the chart specs it loads (`data-spec`) and its SVG "
        "fallbacks (`data-fallback`/`<noscript>`), each gzip-compressed (level 6) as a server "
        "sends it. A reader with JavaScript fetches the HTML and the specs "
        f"({_kb(pw['gzip_with_js'])} KB); one without fetches the HTML and the SVGs "
        f"({_kb(pw['gzip_without_js'])} KB); the total counts both.",
        "",
        *_table(["file", "raw KB", "gzip KB"], rows),
        "",
        f"Apart: the Vega bundle `assets/vendor/vega-bundle.js` {_kb(pw['bundle']['raw'])} KB "
        f"raw, {_kb(pw['bundle']['gzip'])} KB gzip (cached once per Vega version); Material's "
        f"own CSS/JS on the page {_kb(mat)} KB gzip.",
        "",
    ]


def _scaling_section(results: dict) -> list[str]:
    scaling = results.get("scaling") or {}
    if not scaling:
        return []
    rows = []
    for key in sorted(scaling, key=int):
        row = scaling[key]
        warm, cold = row["warm"], row["cold"]
        n = int(key)
        total = total_seconds(warm)
        rows.append(
            [
                n,
                _s(pages_charts_seconds(cold), 1) if cold else "-",
                _s(pages_charts_seconds(warm), 2),
                _s(mkdocs_seconds(warm), 1),
                _s(mkdocs_seconds(cold), 1) if cold and cold.get("mkdocs") else "-",
                _s(total, 1),
                _s(total / n * 1000, 1),
                f"{warm['peak_rss_mb']:.0f}",
                f"{cold['peak_rss_mb']:.0f}" if cold else "-",
                warm["pages"]["written"] + warm["pages"]["removed"],
            ]
        )
    g = growth(results)
    biggest = str(max(int(k) for k in scaling))
    ledger_note = ", ".join(
        f"{k} weeks from {scaling[k]['ledger']['first']}"
        for k in sorted(scaling, key=int)
        if scaling[k].get("ledger")
    )
    ledger_note = f" ({ledger_note})" if ledger_note else ""
    out = [
        "## 3. Scaling: 52, 520 and 2,000 archived weeks",
        "",
        "Synthetic ledgers: real verdict records relabelled onto the real NYSE week ends "
        "before 2026-02-20, cycling through the 376 real records (so the newest 376 "
        "synthetic weeks are the real ledger, and each record stays valid: unique ascending "
        f"weeks, real signals){ledger_note}. The price cache is the real one; "
        "`pages.generate` adds nothing to a ledger that already ends at the `--as-of` week. "
        "pages+charts = home chart specs + pages + chart renderings + pruning (bench/report.py "
        "PAGES_CHARTS); total = every stage from loading the cache to the end of MkDocs "
        "(no interpreter start-up). "
        + (
            "Cold runs at every size (every chart drawn)."
            if results["args"]["full"]
            else "Cold at the smallest size only (`--full` runs cold at every size: about "
            "six minutes for 2,000 weeks on this machine); the larger sizes are made warm "
            "first by a run that writes a real rendering of another week in place of each "
            "missing one, so the names, pages and file sizes are those of a real run."
        ),
        "",
        *_table(
            [
                "weeks",
                "pages+charts cold s",
                "pages+charts warm s",
                "MkDocs s (warm)",
                "MkDocs s (cold)",
                "total warm s",
                "ms/week",
                "peak RSS warm MB",
                "peak RSS cold MB",
                "files written warm",
            ],
            rows,
        ),
        "",
    ]
    if g:
        out += [
            "Growth: the warm total per archived week is "
            + " -> ".join(f"{x * 1000:.1f}" for x in g["per_week"])
            + " ms (the fixed cost: cache, indicators, evidence, home charts, is spread over "
            "more weeks as the archive grows); the marginal cost of an added week is "
            + ", ".join(
                f"{s * 1000:.1f} ms from {a} to {b}"
                for (a, b), s in zip(itertools.pairwise(g["sizes"]), g["slopes"], strict=True)
            )
            + f" (last/first {g['slope_ratio']:.2f}; about 1 means linear, and this is "
            f"noisy on a shared machine), {_mkdocs_share(scaling, g):.0f}% of it MkDocs.",
            "",
        ]
    out += _mkdocs_breakdown(scaling[biggest]["warm"].get("mkdocs"), f"{biggest} weeks")
    return out


def _mkdocs_share(scaling: dict, g: dict) -> float:
    """MkDocs' share of the added time from the smallest to the largest size."""
    small, big = (scaling[str(n)]["warm"] for n in (g["sizes"][0], g["sizes"][-1]))
    added = total_seconds(big) - total_seconds(small)
    return (mkdocs_seconds(big) - mkdocs_seconds(small)) / added * 100 if added > 0 else 0.0


def _blog_section(results: dict) -> list[str]:
    scaling = results.get("scaling") or {}
    if not scaling:
        return []
    biggest = str(max(int(k) for k in scaling))
    mk = scaling[biggest]["warm"].get("mkdocs")
    if not mk:
        return []
    ex = mk["blog_excerpt_renders"]
    pages = mk["build_pages"]
    views = {k: v for k, v in pages.items() if k.startswith("blog") and k != "blog post"}
    view_count = sum(v["count"] for v in views.values())
    view_seconds = sum(v["seconds"] for v in views.values())
    blog_events = sum(v for k, v in mk["plugin_events"].items() if k.startswith("material/blog"))
    out = [
        f"## Blog plugin at {int(biggest):,} posts",
        "",
        f"Of the {mk['seconds']:.0f} s MkDocs build, listing pages ({view_count} of them: "
        "index, archive and category pages, paginated) take "
        f"{view_seconds:.1f} s to build, and the blog plugin's own event handlers "
        f"{blog_events:.1f} s; inside both, {ex['count']} excerpt renderings take "
        f"{ex['seconds']:.1f} s ({ex['seconds'] / max(ex['count'], 1) * 1000:.1f} ms each, "
        f"{ex['count'] / int(biggest):.1f} per post).",
        "",
        "What follows from it: every listing a post appears on re-renders the whole post "
        "(Material converts the full Markdown, then cuts at `<!-- more -->`), so the cost is "
        "(posts x listings per post x post length), whatever the page size: "
        "`pagination_per_page` only changes how many listing pages carry those excerpts, not "
        "how many excerpts are rendered. Each of `archive` (one listing per post) and "
        "`categories` (one per category a post carries: here "
        + _categories(results)
        + ") adds a pass over the posts.",
        "",
    ]
    variants = results.get("blog_variants")
    if variants:
        base = mk["seconds"]
        rows = [["as in mkdocs.yml", _s(base, 1), view_count, ex["count"], "-", "-"]]
        for name, v in variants["variants"].items():
            vc = sum(
                x["count"]
                for k, x in v["build_pages"].items()
                if k.startswith("blog") and k != "blog post"
            )
            rows.append(
                [
                    name,
                    _s(v["seconds"], 1),
                    vc,
                    v["blog_excerpt_renders"]["count"],
                    f"{(v['seconds'] - base) / base * 100:+.0f}%",
                    "-" if name == "no blog plugin" else f"{_expected(mk, v) / base:+.0%}",
                ]
            )
        out += [
            f"Variants of the blog settings, MkDocs at {variants['weeks']:,} posts (one build "
            "each; 'no blog plugin' builds the posts as plain pages, non-strict):",
            "",
            *_table(
                ["variant", "MkDocs s", "listing pages", "excerpts", "measured", "from counts"],
                rows,
            ),
            "",
        ]
        out += _blog_advice(mk, int(biggest), results.get("blog_settings") or {})
    return out


def _listing_pages(mk: dict) -> tuple[int, float]:
    views = [v for k, v in mk["build_pages"].items() if k.startswith("blog") and k != "blog post"]
    return sum(v["count"] for v in views), sum(v["seconds"] for v in views)


def _blog_costs(mk: dict) -> tuple[float, float]:
    """Seconds per excerpt rendering, and per listing page beyond its excerpts."""
    ex = mk["blog_excerpt_renders"]
    pages, seconds = _listing_pages(mk)
    each = ex["seconds"] / max(ex["count"], 1)
    return each, max(seconds - ex["seconds"], 0.0) / max(pages, 1)


def _expected(mk: dict, variant: dict) -> float:
    """The change in build time the counts predict for a variant (seconds)."""
    each, per_page = _blog_costs(mk)
    d_excerpts = variant["blog_excerpt_renders"]["count"] - mk["blog_excerpt_renders"]["count"]
    d_pages = _listing_pages(variant)[0] - _listing_pages(mk)[0]
    return d_excerpts * each + d_pages * per_page


def _categories(results: dict) -> str:
    allowed = (results.get("blog_settings") or {}).get("categories_allowed")
    return ", ".join(f"`{c}`" for c in allowed) if allowed else "as mkdocs.yml allows"


def _blog_advice(mk: dict, posts: int, settings: dict) -> list[str]:
    each, per_page = _blog_costs(mk)
    per_page_now = settings.get("pagination_per_page", 10)
    lines = [
        "Single builds on this shared machine swing by 10-15% from run to run, so the counts "
        "are the steadier guide ('from counts': each excerpt rendering costs "
        f"{each * 1000:.1f} ms and each listing page {per_page * 1000:.1f} ms beyond its "
        "excerpts, both measured in the build as is). Pagination is a reader's choice, not a "
        f"cost: keep `pagination_per_page: {per_page_now}`; 100 a page saves little and 10 a "
        "page costs a few seconds. The archive and the categories are what cost: one "
        "excerpt rendering per post for the archive, one per category a post carries for "
        f"the categories (about {posts * each:.0f} s per pass at {posts:,} posts).",
        "",
    ]
    allowed = settings.get("categories_allowed") or []
    if "Backfilled" in allowed:
        lines += [
            "Proposal for mkdocs.yml (not edited here): keep the archive (browsing by year is "
            "in the design) and the signal categories, but stop listing `Backfilled` as a "
            "category: it holds every backfilled post, so it costs one more excerpt rendering "
            f"per post (about {posts * each:.0f} s at {posts:,} posts) for a listing nobody "
            "browses by; the label stays on each post and in the All weeks table.",
            "",
        ]
    else:
        lines += [
            "The settings as they are (archive by year, the signal categories and `Signal "
            "change`, 26 a page) are what the numbers support: every pass left is one the "
            "design asks for. The next lever is the post itself: each excerpt converts the "
            "whole post, so a shorter post body (or Material rendering only the part before "
            "`<!-- more -->`) makes every listing cheaper.",
            "",
        ]
    return lines


def _profile_section(results: dict) -> list[str]:
    prof = results.get("profile_pages")
    if not prof:
        return []
    rows = [
        [f"`{r['function']}`", r["calls"], _s(r["own"]), _s(r["cumulative"])]
        for r in prof["cumulative"]
    ]
    own = [
        [f"`{r['function']}`", r["calls"], _s(r["own"]), _s(r["cumulative"])]
        for r in prof["tottime"][:12]
    ]
    return [
        f"## Where the warm pages+charts time goes at {prof['weeks']:,} weeks (cProfile)",
        "",
        "cProfile of the warm pages stages (its overhead roughly doubles the time); by "
        "cumulative time:",
        "",
        *_table(["function", "calls", "own s", "cumulative s"], rows),
        "",
        "By own time:",
        "",
        *_table(["function", "calls", "own s", "cumulative s"], own),
        "",
    ]


def _profiled(results: dict, needle: str) -> dict | None:
    """A row of the pages profile whose function name contains `needle`."""
    prof = results.get("profile_pages") or {}
    for table in ("cumulative", "tottime"):
        for row in prof.get(table, []):
            if needle in row["function"]:
                return row
    return None


def _fixes_section(results: dict, targets: dict) -> list[str]:
    """What the numbers say would fix each missed target. Profile rows are looked up by name,
    so a remedy is only offered for a hot spot this run's profile actually shows."""
    out = []
    summary = {r["name"]: r for r in results["summary"]}
    missed_pages = any(
        k.startswith("pages+charts") and v["status"] == "FAIL" for k, v in summary.items()
    )
    if missed_pages and results.get("profile_pages"):
        out += _pages_fixes(results)
    ratio = results["ratio"]
    if ratio["ratio"] > targets["ratio"]:
        out += _ratio_fixes(results, targets)
    return ["## What would fix the misses", "", *out] if out else []


def _pages_fixes(results: dict) -> list[str]:
    n = results["profile_pages"]["weeks"]
    total = _profiled(results, "(write_site_files)")
    hot = [
        (needle, _profiled(results, needle))
        for needle in ("(week_chart)", "(deepcopy)", "(resolve)", "templating.py")
    ]
    found = {needle: row for needle, row in hot if row}
    spots = [
        f"`{row['function'].split('(')[-1].rstrip(')')}` {row['cumulative']:.1f} s "
        f"({row['calls']:,} calls)"
        for row in found.values()
    ]
    remedies = []
    week = found.get("(week_chart)")
    if week and week["calls"] >= n / 2:
        remedies.append(
            "skip unchanged posts: a recorded week's post cannot change (append-only ledger, "
            "charts from data up to the week), so key each post by a hash of its inputs and "
            "only rebuild new weeks and their neighbours"
        )
    if "(deepcopy)" in found:
        remedies.append(
            "copy chart specs shallowly (`static_spec` and `_chart` change top-level keys only)"
        )
    if "(resolve)" in found:
        remedies.append(
            "compare paths relative to the docs folder instead of `Path.resolve()` per file"
        )
    return [
        f"**pages+charts at {n:,} weeks (warm).** Under cProfile (see above) "
        + (f"`write_site_files` takes {total['cumulative']:.1f} s" if total else "")
        + (": " + "; ".join(spots) if spots else "")
        + ". "
        + (
            "Remedies the profile points to: " + "; ".join(remedies) + "."
            if remedies
            else "No single hot spot stands out; the top entries above are where it goes."
        ),
        "",
    ]


def _ratio_fixes(results: dict, targets: dict) -> list[str]:
    ratio = results["ratio"]
    warm = results["stages"]["warm"]
    by = {r["stage"].split(" (")[0]: r["seconds"] for r in warm["stages"]}
    outside = {k: v for k, v in by.items() if not k.startswith("mkdocs")}
    budget = ratio["bare_median"] * (targets["ratio"] - 1)
    hints = {
        "fetch": "the replay fetch parses and validates every replay CSV and every cached "
        "CSV, merges them, and then writes nothing; it could skip a replay file whose size "
        "and mtime match the last fetch (a live Yahoo fetch is network-bound instead)",
        "pages": "the pages stage rewrites nothing on a warm run, but still renders every "
        "non-post page, the API files and the home charts' files, and checks every post",
        "imports": "pandas, Altair and the generator are imported in a process that a bare "
        "MkDocs build does without",
        "load cache": "the cache is parsed for the pages stage",
    }
    top = sorted(outside.items(), key=lambda kv: -kv[1])[:5]
    return [
        f"**The ratio to a bare build.** The job may spend {budget:.1f} s beyond MkDocs "
        f"({targets['ratio']}x of {ratio['bare_median']:.1f} s); it spends "
        f"{ratio['job_median'] - ratio['bare_median']:.1f} s. Outside MkDocs, in the warm "
        "stage run: "
        + "; ".join(f"{k} {v:.2f} s" for k, v in top)
        + " (the rest is interpreter start-up). "
        + " ".join(f"{k.capitalize()}: {hints[k]}." for k, v in top if k in hints and v >= 0.3)
        + " (Making MkDocs itself faster, e.g. fewer blog excerpt renderings, lowers the "
        "job's time but raises this ratio.)",
        "",
    ]


def _zensical_differences(z: dict, cmp_: dict, results: dict) -> list[str]:
    """The differences a reader or the workflow would notice, in words."""
    notes = []
    scaling = results.get("scaling") or {}
    big = [k for k in z["runs"] if k.startswith("cold ")]
    if big and scaling:
        n = big[0].split()[1]
        run, mk = z["runs"][big[0]], scaling[n]["warm"]
        notes.append(
            f"at {int(n):,} posts Zensical builds in {run['seconds']:.0f} s against MkDocs' "
            f"{mkdocs_seconds(mk):.0f} s, but peaks at {run['peak_rss_mb']:.0f} MB of RSS "
            f"(the whole MkDocs run with the pages stages: {mk['peak_rss_mb']:.0f} MB)"
        )
    feeds = [f for f in cmp_["feeds"].values() if f["mkdocs"] and f["zensical"]]
    if any(f["mkdocs"]["first_date"] != f["zensical"]["first_date"] for f in feeds):
        f = feeds[0]
        notes.append(
            "feed item dates differ: Zensical ignores the rss plugin's `default_time: 21:00` "
            f"({f['mkdocs']['first_date']} vs {f['zensical']['first_date']})"
        )
    images = {(f["mkdocs"].get("image"), f["zensical"].get("image")) for f in feeds}
    for a, b in images:
        if a and b and a != b:
            notes.append(
                f"the RSS feeds' image is `{b}` under Zensical, not `{a}`: the absolute URL is "
                "made by `generator.site._absolute_feed_image`, a MkDocs-only hook"
            )
    refs = cmp_["broken_references"]
    extra = refs["zensical"]["broken"] - refs["mkdocs"]["broken"]
    if extra > 0:
        notes.append(
            f"{extra} local references in raw HTML lead nowhere under Zensical (none under "
            "MkDocs): Zensical resolves `src`/`href` in raw HTML relative to the Markdown "
            "source (as it does Markdown links) and rewrites them, while the templates write "
            "them relative to the page's URL (`root_of(post.url)`), as MkDocs leaves raw "
            "HTML alone; so each post's chart image and its raw-HTML links break. Writing "
            "them as Markdown (`![alt](../../assets/...)` relative to the source) would suit "
            "both builders"
        )
    kinds = cmp_["kinds"]
    same = [k for k, v in kinds.items() if v["mkdocs"] == v["zensical"]]
    if same:
        notes.append("the same number of " + ", ".join(same) + " in both")
    theme = cmp_["theme_assets"]
    if any("search/" in p for p in theme["mkdocs"]) and "search.json" in cmp_["only_zensical"]:
        notes.append(
            "search: Zensical writes its own `search.json` (and its own theme bundle, "
            "classic/modern stylesheets) instead of lunr's `search/search_index.json`; no "
            "`sitemap.xml.gz`"
        )
    probe = z.get("strict_probe")
    if probe:
        notes.append(
            "strict mode holds: with a link to a missing page and a missing anchor planted, "
            f"`zensical build --strict` exits {probe['rc']} ("
            + ("; ".join(probe["issues"]) or "no count printed")
            + "); on the real docs it finds no issues"
        )
    return [*(f"- {n}." for n in notes), ""] if notes else []


def _zensical_section(results: dict) -> list[str]:
    z = results.get("zensical")
    if not z:
        return []
    out = ["## 6. Zensical", ""]
    if z["status"] == "skipped":
        return [*out, f"Skipped: {z['why']}", ""]
    runs = z["runs"]
    bare = results["ratio"]["bare_median"]
    rows = [
        [name, r["rc"], _s(r["seconds"], 1), f"{r['peak_rss_mb']:.0f}", " / ".join(r["stdout"])]
        for name, r in runs.items()
    ]
    out += [
        f"Zensical {z['version']} (its own venv, build/zensical-venv) building a copy of the "
        "same generated docs folder with the project's mkdocs.yml (docs_dir, site_dir and "
        "the theme's custom_dir pointed at the copy: Zensical wants docs_dir inside the "
        f"config file's folder). MkDocs on the same docs: {bare:.1f} s (bare, median)."
        + (
            " Why 0.0.x: Zensical 0.0.74 and later (0.1.3 is the newest) depend on "
            "`zensical-ui`, which the package index here does not carry, so they do not "
            "install; 0.0.73 is the newest release that does (`make site-zensical` pins it)."
            if str(z["version"]).startswith("0.0.")
            else ""
        ),
        "",
        *_table(["build", "exit", "seconds", "peak RSS MB", "output"], rows),
        "",
    ]
    cmp_ = z.get("compare")
    if not cmp_:
        return out
    kinds = [[k, v["mkdocs"], v["zensical"]] for k, v in cmp_["kinds"].items()]
    kinds.insert(0, ["HTML pages", cmp_["html_pages"]["mkdocs"], cmp_["html_pages"]["zensical"]])
    kinds.insert(0, ["files", cmp_["files"]["mkdocs"], cmp_["files"]["zensical"]])
    feeds = []
    for name, f in cmp_["feeds"].items():
        a, b = f["mkdocs"] or {}, f["zensical"] or {}
        feeds.append(
            [
                name,
                a.get("items", "missing"),
                b.get("items", "missing"),
                "same"
                if a.get("first") == b.get("first")
                else f"{a.get('first')} / {b.get('first')}",
                f"{a.get('first_date')} / {b.get('first_date')}",
                f"{a.get('image', '-')} / {b.get('image', '-')}",
            ]
        )
    home = cmp_["home"]
    refs = cmp_["broken_references"]
    out += [
        "What differs in the output (MkDocs | Zensical):",
        "",
        *_table(["", "MkDocs", "Zensical"], kinds),
        "",
        *_table(
            ["feed", "items MkDocs", "items Zensical", "newest item", "its date", "image"], feeds
        ),
        "",
        *_table(
            ["home page", "MkDocs", "Zensical"],
            [[k, home["mkdocs"][k], home["zensical"][k]] for k in home["mkdocs"]],
        ),
        "",
        f"Local references (src/href/data-spec/data-fallback) that lead nowhere: MkDocs "
        f"{refs['mkdocs']['broken']} of {refs['mkdocs']['checked']}, Zensical "
        f"{refs['zensical']['broken']} of {refs['zensical']['checked']}"
        + (
            " (e.g. " + "; ".join(refs["zensical"]["examples"][:4]) + ")"
            if refs["zensical"]["examples"]
            else ""
        )
        + ".",
        "",
        *_zensical_differences(z, cmp_, results),
        "Only in the MkDocs site (theme assets aside): "
        + (", ".join(cmp_["only_mkdocs"][:15]) or "nothing")
        + ". Only in the Zensical site: "
        + (", ".join(cmp_["only_zensical"][:15]) or "nothing")
        + ". Theme assets: MkDocs "
        + ", ".join(cmp_["theme_assets"]["mkdocs"])
        + "; Zensical "
        + ", ".join(cmp_["theme_assets"]["zensical"])
        + ".",
        "",
    ]
    return out
