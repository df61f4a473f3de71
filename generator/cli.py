"""The command line: parse options, run a stage, map errors to exit codes. Nothing else.

    python -m generator fetch  [options]   refresh the price cache
    python -m generator pages  [options]   fetch + record verdicts + write the docs folder
    python -m generator site   [options]   fetch + pages + mkdocs build --strict

Exit codes: 0 ok; 1 a clear error (one line on stderr naming the symbol, file or date); 2 bad
usage. No traceback unless -v.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from generator import archive, cache
from generator.config import PROJECT_ROOT, RunOptions, load_config
from generator.errors import AltseasonError

log = logging.getLogger("generator")
Progress = Callable[[str], None]  # called with a stage's name as it ends


class IsoDate(click.ParamType):  # type: ignore[type-arg]
    name = "DATE"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> dt.date:
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            self.fail(f"{value!r} is not a date in YYYY-MM-DD form", param, ctx)


def today_utc() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def common_options(command: Callable[..., None]) -> Callable[..., None]:
    """The options every command takes (ARCHITECTURE.md, "Command line"), declared once."""
    options = [
        click.option(
            "--prices-dir",
            type=click.Path(path_type=Path, file_okay=False),
            help="Read daily prices from this folder of <SYMBOL>.csv files instead of Yahoo.",
        ),
        click.option(
            "--as-of",
            type=IsoDate(),
            help="Behave as if today were the day after DATE: the week ending on or before it "
            "is the newest complete week. Default: yesterday (UTC).",
        ),
        click.option("--offline", is_flag=True, help="Never touch the network; use the cache."),
        click.option(
            "--require-live",
            is_flag=True,
            help="Fail (exit 1) instead of falling back to the cache when Yahoo is unreachable.",
        ),
        click.option(
            "--data-dir",
            type=click.Path(path_type=Path, file_okay=False),
            default=PROJECT_ROOT / "data",
            show_default="data/",
            help="Price cache and verdict ledger.",
        ),
        click.option(
            "--docs-dir",
            type=click.Path(path_type=Path, file_okay=False),
            default=PROJECT_ROOT / "site_docs",
            show_default="site_docs/",
            help="MkDocs docs folder the pages are written to.",
        ),
        click.option(
            "--site-dir",
            type=click.Path(path_type=Path, file_okay=False),
            default=PROJECT_ROOT / "site",
            show_default="site/",
            help="Where the built site goes.",
        ),
        click.option(
            "--config",
            "config_file",
            type=click.Path(path_type=Path, dir_okay=False),
            help="Configuration file. Default: generator/config.toml.",
        ),
        click.option("-v", "--verbose", is_flag=True, help="Show details and tracebacks."),
    ]
    return functools.reduce(lambda cmd, opt: opt(cmd), reversed(options), command)


def setup_logging(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    pattern = "%(name)s: %(levelname)s: %(message)s" if verbose else "%(levelname)s: %(message)s"
    handler.setFormatter(logging.Formatter(pattern))
    for name in ("generator", "mkdocs", "material", "mkdocs_rss_plugin"):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.propagate = False
        logger.setLevel(logging.DEBUG if verbose else logging.WARNING)


def run_options(kwargs: dict[str, Any]) -> RunOptions:
    today = today_utc()
    as_of = kwargs["as_of"] or today - dt.timedelta(days=1)
    if as_of > today:
        raise click.BadParameter(
            f"{as_of} is in the future (today is {today} UTC)", param_hint="--as-of"
        )
    return RunOptions(
        config=load_config(kwargs["config_file"]),
        as_of=as_of,
        today=today,
        data_dir=kwargs["data_dir"],
        docs_dir=kwargs["docs_dir"],
        site_dir=kwargs["site_dir"],
        prices_dir=kwargs["prices_dir"],
        offline=kwargs["offline"],
        require_live=kwargs["require_live"],
        provisional=kwargs.get("provisional", False),
    )


@contextlib.contextmanager
def progress_bar(
    total: int, label: str, given: Progress | None = None
) -> Iterator[Progress | None]:
    """A rich progress bar on a terminal; nothing when output is piped or logged; `given`
    (a caller's own progress hook) as it is."""
    if given is not None or not sys.stderr.isatty():
        yield given
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=total)

        def advance(name: str) -> None:
            bar.update(task, advance=1, description=f"{label}: {name}")

        yield advance


def guarded(command: Callable[..., None]) -> Callable[..., None]:
    """Run a command, turning our errors into one line and an exit code."""

    @functools.wraps(command)
    def wrapper(**kwargs: Any) -> None:
        verbose = kwargs.get("verbose", False)
        setup_logging(verbose)
        try:
            return command(**kwargs)
        except AltseasonError as exc:
            if verbose:
                log.exception("failed")
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except click.exceptions.ClickException:
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except Exception as exc:
            if verbose:
                raise
            click.echo(
                f"error: unexpected {type(exc).__name__}: {exc} (run with -v for details)",
                err=True,
            )
            sys.exit(1)

    return wrapper


def do_fetch(options: RunOptions) -> cache.FetchSummary:
    symbols = len(options.config.symbols)
    with progress_bar(symbols, "fetch") as advance:
        summary = cache.refresh(
            options.config,
            options.data_dir,
            as_of=options.as_of,
            today=options.today,
            prices_from=options.prices_dir,
            offline=options.offline,
            require_live=options.require_live,
            progress=advance,
        )
    if summary.live_failed:
        log.warning("%s; using the cached data instead", summary.live_failed)
    for warning in summary.warnings:
        log.warning(warning)
    return summary


def fetch_line(s: cache.FetchSummary) -> str:
    newest = ", ".join(f"{k} {v or 'none'}" for k, v in s.newest.items())
    done = f"{len(s.updated)} file(s) updated, {s.rows_added} row(s) added from {s.source}"
    if s.live_failed:
        # A failure can come after a first batch was cached: say both when it did.
        done = f"{done} before it failed" if s.updated else f"{s.source} failed, cache used as is"
    return f"fetch: {done}; newest: {newest} ({s.seconds:.1f} s)"


def check_ledger(options: RunOptions) -> None:
    """Read the ledger before fetching: a broken one stops the run before the network is used."""
    archive.read_ledger(archive.ledger_path(options.data_dir))


@dataclass(frozen=True)
class PagesSummary:
    """What one `pages` run did, for the closing summary line."""

    week: dt.date
    signal: str
    recorded: int
    backfilled: int
    weeks_total: int
    written: int
    removed: int
    seconds: float


def do_pages(
    options: RunOptions, fetched: cache.FetchSummary | None, progress: Progress | None = None
) -> PagesSummary:
    """Compute (pipeline), record the new weeks (archive), render (pages): the weekly job
    after its fetch. `progress(stage)` is called as each stage ends."""
    from generator import pages, pipeline

    started = time.monotonic()
    prices = fetched.prices if fetched is not None else None
    result = pipeline.run(options, prices, progress)
    for warning in result.warnings:
        log.warning(warning)
    path = archive.ledger_path(options.data_dir)
    recorded = archive.append(path, list(result.recorded), list(result.new))
    if progress:
        progress("record")
    written = pages.write(result, options.docs_dir, progress)
    return PagesSummary(
        week=result.newest_week,
        signal=result.latest["signal"],
        recorded=recorded,
        backfilled=result.backfilled,
        weeks_total=len(result.records),
        written=written.written,
        removed=written.removed,
        seconds=time.monotonic() - started,
    )


def pages_line(s: PagesSummary) -> str:
    return (
        f"pages: week ending {s.week} is {s.signal}; {s.recorded} week(s) recorded "
        f"({s.backfilled} backfilled), {s.weeks_total} in the archive; "
        f"{s.written} file(s) written, {s.removed} removed ({s.seconds:.1f} s)"
    )


def weekly_job(
    options: RunOptions,
    build: bool,
    say: Callable[[str], None] = click.echo,
    progress: Progress | None = None,
) -> None:
    """The `pages` job (with `build`, the `site` job): fetch, compute, record, render, then
    `mkdocs build --strict`; `say` gets each summary line. The benchmark runs this same
    function with its own `progress` (a clock) in place of the progress bar."""
    from generator import pages, pipeline

    started = time.monotonic()
    with archive.data_lock(options.data_dir):
        check_ledger(options)
        fetched = do_fetch(options)
        if progress:
            progress("fetch")
        say(fetch_line(fetched))
        stages = len(pipeline.STAGES) + 1 + len(pages.STAGES)
        with progress_bar(stages, "pages", progress) as advance:
            say(pages_line(do_pages(options, fetched, advance)))
        if build:
            from generator.site import build_site

            seconds = build_site(options.docs_dir, options.site_dir)
            if progress:
                progress("mkdocs build")
            total = time.monotonic() - started
            say(f"site: built {options.site_dir} in {seconds:.1f} s ({total:.1f} s in all)")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Altseason Watch: has the Russell 2000 confirmed a breakout above its November 2021 high,
    and are altcoins following?"""


@main.command()
@common_options
@guarded
def fetch(**kwargs: Any) -> None:
    """Refresh the price cache (data/prices/) from Yahoo or a replay folder."""
    options = run_options(kwargs)
    with archive.data_lock(options.data_dir):
        click.echo(fetch_line(do_fetch(options)))


provisional_option = click.option(
    "--provisional",
    is_flag=True,
    help="Also show the week so far (daily closes after the newest complete week, up to "
    "--as-of) on the home page and in api/provisional.json. Provisional: records nothing.",
)


@main.command()
@common_options
@provisional_option
@guarded
def pages(**kwargs: Any) -> None:
    """Fetch, record this week's verdict in the ledger, and write the pages and API files."""
    weekly_job(run_options(kwargs), build=False)


@main.command()
@common_options
@provisional_option
@guarded
def site(**kwargs: Any) -> None:
    """Fetch, pages, then `mkdocs build --strict` into the site folder."""
    weekly_job(run_options(kwargs), build=True)
