"""`python -m generator fetch` as a user runs it: exit codes, one-line errors, untouched cache."""

from __future__ import annotations

import functools
import logging
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import REPLAY_PRICES, run_cli, tree_bytes
from fake_yfinance import DNS, FakeDownload, SleepRecorder, forbid_network
from price_tables import HEADER, write_replay

from generator import cache, cli
from generator.config import load_config
from generator.sources import YahooSource

CONFIG = load_config()
OLD_AS_OF = "2024-03-15"
AS_OF = "2024-03-22"


def fetch(*args, data_dir: Path, prices_dir: Path | None = None, as_of: str = AS_OF):
    options = ["--data-dir", str(data_dir), "--as-of", as_of]
    if prices_dir is not None:
        options += ["--prices-dir", str(prices_dir), "--offline"]
    return run_cli("fetch", *options, *args)


@pytest.fixture(scope="module")
def good_cache(tmp_path_factory) -> Path:
    """A data folder filled by a good fetch from a tiny replay folder, through OLD_AS_OF."""
    folder = tmp_path_factory.mktemp("good")
    replay = write_replay(folder / "replay", CONFIG)
    done = fetch(data_dir=folder / "data", prices_dir=replay, as_of=OLD_AS_OF)
    assert done.returncode == 0, done.stderr
    return folder / "data"


@pytest.fixture
def setup(tmp_path, good_cache) -> tuple[Path, Path]:
    """A copy of the good cache, and a replay folder a week newer (every file would change)."""
    data = tmp_path / "data"
    shutil.copytree(good_cache, data)
    return write_replay(tmp_path / "replay", CONFIG), data


def assert_one_clean_error(done, expected: str, exit_code: int = 1) -> None:
    assert done.returncode == exit_code, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [f"error: {expected}"]
    assert done.stdout == ""


# --- A good fetch ---------------------------------------------------------------------------------


def test__fetch__replay_caches_every_configured_symbol_with_a_summary_line(tmp_path):
    replay = write_replay(tmp_path / "replay", CONFIG)
    done = fetch(data_dir=tmp_path / "data", prices_dir=replay)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    cached = sorted(p.name for p in (tmp_path / "data" / "prices").iterdir())
    assert cached == sorted(f"{s.symbol}.csv" for s in CONFIG.symbols)
    assert (tmp_path / "data" / "prices" / "^RUT.csv").read_text() == (
        replay / "^RUT.csv"
    ).read_text()
    rows = 2 * 16 + (len(CONFIG.symbols) - 2) * 22
    newest = "^RUT 2024-03-22, ^VIX 2024-03-22, BTC-USD 2024-03-22, ETH-USD 2024-03-22, basket"
    assert done.stdout.startswith(
        f"fetch: {len(CONFIG.symbols)} file(s) updated, {rows} row(s) added from replay; "
        f"newest: {newest} 2024-03-22 ("
    )
    assert len(done.stdout.splitlines()) == 1


def test__fetch__second_identical_fetch_changes_no_byte(setup):
    replay, data = setup
    assert fetch(data_dir=data, prices_dir=replay).returncode == 0
    before = tree_bytes(data)
    mtimes = {p: p.stat().st_mtime_ns for p in data.rglob("*.csv")}
    done = fetch(data_dir=data, prices_dir=replay)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("fetch: 0 file(s) updated, 0 row(s) added from replay;")
    assert tree_bytes(data) == before
    assert {p: p.stat().st_mtime_ns for p in data.rglob("*.csv")} == mtimes


# --- Bad input: exit 1, one line naming the symbol, file or date, the cache as it was -------------


def garbage(path: Path) -> None:
    path.write_text("<html><body>Will be right back</body></html>\n")


def binary(path: Path) -> None:
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")


def header_only(path: Path) -> None:
    path.write_text(HEADER)


def edit_row(line_no: int, close: str) -> Callable[[Path], None]:
    """Replace the close on one line (1 = the header) of a price file."""

    def edit(path: Path) -> None:
        lines = path.read_text().splitlines(keepends=True)
        cells = lines[line_no - 1].split(",")
        cells[4] = close
        lines[line_no - 1] = ",".join(cells)
        path.write_text("".join(lines))

    return edit


def duplicate_line(line_no: int) -> Callable[[Path], None]:
    def edit(path: Path) -> None:
        lines = path.read_text().splitlines(keepends=True)
        lines.insert(line_no, lines[line_no - 1])
        path.write_text("".join(lines))

    return edit


def swap_lines(line_no: int) -> Callable[[Path], None]:
    def edit(path: Path) -> None:
        lines = path.read_text().splitlines(keepends=True)
        lines[line_no - 1], lines[line_no] = lines[line_no], lines[line_no - 1]
        path.write_text("".join(lines))

    return edit


@pytest.mark.parametrize(
    ("symbol", "corrupt", "problem"),
    [
        (
            "^RUT",
            garbage,
            ": header is '<html><body>will be right back</body></html>', "
            "expected date,open,high,low,close,volume",
        ),
        ("DOGE-USD", binary, ": not a UTF-8 text CSV"),
        ("BTC-USD", header_only, ": has a header but no price rows"),
        ("SOL-USD", edit_row(10, "NaN"), " line 10: close on 2024-03-09 is 'NaN', not a number"),
        (
            "ETH-USD",
            edit_row(5, "-52"),
            " line 5: close on 2024-03-04 is -52, not a positive number",
        ),
        ("^VIX", duplicate_line(3), " line 4: duplicate date 2024-03-04"),
        (
            "^VIX",
            swap_lines(6),
            " line 7: date 2024-03-07 is out of order (comes after 2024-03-08)",
        ),
    ],
    ids=["garbage", "binary", "header-only", "nan", "negative", "duplicate", "unsorted"],
)
def test__fetch__bad_symbol_file_is_one_clear_line_and_leaves_the_cache(
    setup, symbol, corrupt, problem
):
    replay, data = setup
    before = tree_bytes(data)
    corrupt(replay / f"{symbol}.csv")
    done = fetch(data_dir=data, prices_dir=replay)
    assert_one_clean_error(done, f"{symbol}: {replay / (symbol + '.csv')}{problem}")
    assert tree_bytes(data) == before


@pytest.mark.parametrize("kind", ["empty", "missing"])
def test__fetch__unusable_prices_folder_is_one_clear_line_and_leaves_the_cache(setup, kind):
    replay, data = setup
    before = tree_bytes(data)
    folder = replay.parent / kind
    expected = "does not exist"
    if kind == "empty":
        folder.mkdir()
        expected = "holds none of the configured <SYMBOL>.csv files"
    done = fetch(data_dir=data, prices_dir=folder)
    assert_one_clean_error(done, f"prices folder {folder} {expected}")
    assert tree_bytes(data) == before


def test__fetch__missing_required_symbol_file_names_it(setup):
    replay, data = setup
    before = tree_bytes(data)
    empty_data = data.parent / "fresh"
    (replay / "BTC-USD.csv").unlink()
    done = fetch(data_dir=empty_data, prices_dir=replay)
    assert_one_clean_error(
        done, f"BTC-USD: no prices (no BTC-USD.csv in {replay}); a verdict needs Bitcoin"
    )
    assert tree_bytes(empty_data) == {}
    assert tree_bytes(data) == before


@pytest.mark.parametrize(
    ("as_of", "problem"),
    [
        ("2025-13-45", "'2025-13-45' is not a date in YYYY-MM-DD form"),
        ("2999-01-01", "2999-01-01 is in the future"),
    ],
)
def test__fetch__bad_as_of_is_a_usage_error(setup, as_of, problem):
    replay, data = setup
    before = tree_bytes(data)
    done = fetch(data_dir=data, prices_dir=replay, as_of=as_of)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "Invalid value for" in done.stderr and "--as-of" in done.stderr
    assert problem in done.stderr
    assert tree_bytes(data) == before


# --- Yahoo unreachable (in-process: the fake yfinance cannot cross a subprocess) ------------------


@pytest.fixture
def restore_logging():
    """`setup_logging` rewires these loggers for the process; put them back afterwards."""
    loggers = [
        logging.getLogger(n) for n in ("generator", "mkdocs", "material", "mkdocs_rss_plugin")
    ]
    saved = [(lg.handlers[:], lg.propagate, lg.level) for lg in loggers]
    yield
    for logger, (handlers, propagate, level) in zip(loggers, saved, strict=True):
        logger.handlers, logger.propagate = handlers, propagate
        logger.setLevel(level)


@pytest.fixture
def unreachable_yahoo(monkeypatch, restore_logging) -> FakeDownload:
    """Yahoo as it looks with no DNS: every ticker fails; waits are recorded, never slept."""
    forbid_network(monkeypatch)
    fake = FakeDownload({s.symbol: [DNS] for s in CONFIG.symbols})
    monkeypatch.setattr(
        cache, "YahooSource", functools.partial(YahooSource, download=fake, sleep=SleepRecorder())
    )
    return fake


def test__fetch__yahoo_unreachable_with_nothing_cached_says_how_to_run_offline(
    tmp_path, unreachable_yahoo
):
    done = CliRunner().invoke(cli.main, ["fetch", "--data-dir", str(tmp_path / "data")])
    assert done.exit_code == 1
    assert done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert line.startswith(
        "error: Yahoo Finance is unreachable (Could not resolve host: query2.finance.yahoo.com)"
    )
    assert line.endswith(
        "and nothing is cached; to run offline, pass --prices-dir DIR --offline "
        "(e.g. the repository's data/prices)"
    )
    assert "Traceback" not in done.stderr
    assert len(unreachable_yahoo.calls) == 3  # the equity batch and its two retries only
    assert not list((tmp_path / "data").rglob("*.csv"))


def test__fetch__verbose_shows_yfinances_own_messages(tmp_path, unreachable_yahoo):
    done = CliRunner().invoke(cli.main, ["fetch", "-v", "--data-dir", str(tmp_path / "data")])
    assert done.exit_code == 1
    assert (
        "generator.sources: DEBUG: yfinance error: Failed to get ticker '^RUT' reason: "
        in done.stderr
    )
    assert "library warning: Pandas4Warning" in done.stderr
    assert done.stderr.splitlines()[-1].startswith("error: Yahoo Finance is unreachable (")


# --- Real history from the committed data/ --------------------------------------------------------


@pytest.mark.replay
def test__fetch__real_replay_caches_every_symbol_and_the_november_2021_high(tmp_path):
    done = run_cli(
        "fetch", "--prices-dir", str(REPLAY_PRICES), "--offline", "--data-dir", str(tmp_path)
    )
    assert done.returncode == 0, done.stderr
    prices = tmp_path / "prices"
    assert sorted(p.name for p in prices.glob("*.csv")) == sorted(
        f"{s.symbol}.csv" for s in CONFIG.symbols
    )
    rut = (prices / "^RUT.csv").read_text().splitlines()
    (row,) = [line for line in rut if line.startswith("2021-11-08,")]
    assert row.split(",")[4] == "2442.74"
    assert done.stdout.startswith(f"fetch: {len(CONFIG.symbols) + 2} file(s) updated, ")


@pytest.mark.replay
def test__fetch__real_replay_second_identical_fetch_changes_no_byte(tmp_path):
    args = ("fetch", "--prices-dir", str(REPLAY_PRICES), "--offline", "--data-dir", str(tmp_path))
    assert run_cli(*args).returncode == 0
    before = tree_bytes(tmp_path)
    mtimes = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*.csv")}
    done = run_cli(*args)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("fetch: 0 file(s) updated, 0 row(s) added from replay;")
    assert tree_bytes(tmp_path) == before
    assert {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*.csv")} == mtimes


@pytest.mark.parametrize(
    ("updated", "expected"),
    [
        pytest.param([], "fetch: yahoo failed, cache used as is; newest:", id="nothing-fetched"),
        pytest.param(
            ["^RUT", "^VIX"],
            "fetch: 2 file(s) updated, 7 row(s) added from yahoo before it failed; newest:",
            id="first-batch-cached",
        ),
    ],
)
def test__fetch_line__says_when_yahoo_failed_and_what_was_cached_before(updated, expected):
    summary = cache.FetchSummary(
        source="yahoo",
        updated=updated,
        rows_added=7 if updated else 0,
        live_failed="Yahoo Finance is rate-limiting requests",
    )
    assert cli.fetch_line(summary).startswith(expected)
