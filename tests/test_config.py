"""The configuration: typed sections, one-line errors, and every stated number read from it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from generator.config import DEFAULT_CONFIG, ConfigError, load_config
from tests.conftest import REPLAY_PRICES, run_cli, tree_bytes

TEXT = DEFAULT_CONFIG.read_text(encoding="utf-8")


def config_with(tmp_path: Path, old: str, new: str) -> Path:
    assert old in TEXT, old
    path = tmp_path / "config.toml"
    path.write_text(TEXT.replace(old, new, 1), encoding="utf-8")
    return path


def test__load_config__typed_sections():
    config = load_config()
    assert config.alts.ma_fast_weeks == 20 and config.alts.ma_slow_weeks == 50
    assert config.evidence.horizons_weeks == (4, 13, 26, 52)
    assert config.evidence.top_window == ("2021-01-01", "2022-06-30")
    assert config.reference.pin_date is None
    assert config.charts.rut_since == "2016-01-01"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("ma_fast_weeks = 20\n", "", "[alts] ma_fast_weeks: missing"),
        ("ma_fast_weeks = 20", 'ma_fast_weeks = "20"', "[alts] ma_fast_weeks: expected int"),
        ("min_corr = 0.3", "min_corr = true", "[comovement] min_corr: expected float"),
        ("ma_fast_weeks = 20", "ma_fast_week = 20", "[alts] ma_fast_week: unknown key"),
        ('pin_date = ""', 'pin_date = "2021-13-01"', "[reference] pin_date: '2021-13-01' is not"),
        ("horizons_weeks = [4, 13, 26, 52]", 'horizons_weeks = [4, "x"]', "horizons_weeks[1]"),
        ("[charts]", "[chart]", "[chart]: unknown section"),
        ('[symbols.vix]\nsymbol = "^VIX"', '[symbols.vix]\nsymbol = ""', "[symbols.vix] symbol"),
    ],
)
def test__load_config__a_bad_key_is_one_line_naming_file_section_and_key(
    tmp_path, old, new, message
):
    path = config_with(tmp_path, old, new)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    text = str(caught.value)
    assert text.startswith(str(path)) and message in text and "\n" not in text


def test__cli__bad_config_exits_1_with_one_line(tmp_path):
    path = config_with(tmp_path, "ma_slow_weeks = 50\n", "")
    result = run_cli("fetch", "--offline", "--config", str(path), "--data-dir", str(tmp_path))
    assert result.returncode == 1
    assert result.stderr.strip() == f"error: {path} [alts] ma_slow_weeks: missing"


# --- Every number a page states comes from the config ---------------------------------------------

CHANGES = {
    "ma_fast_weeks = 20": "ma_fast_weeks = 10",
    "ma_slow_weeks = 50": "ma_slow_weeks = 30",
    "season_window_days = 90": "season_window_days = 60",
    "eth_btc_ma_weeks = 20": "eth_btc_ma_weeks = 15",
    "window_weeks = 52\n": "window_weeks = 26\n",
    "bottoms_min_path_corr = 0.5": "bottoms_min_path_corr = 0.6",
    "week_chart_weeks = 52": "week_chart_weeks = 40",
    'rut_since = "2016-01-01"': 'rut_since = "2017-01-01"',
}
# An early week, so that the archive is a few weeks long (the first ones are ARMED).
AS_OF = "2018-08-17"


@pytest.fixture(scope="module")
def changed_build(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("changed-config")
    text = TEXT
    for old, new in CHANGES.items():
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    (root / "config.toml").write_text(text, encoding="utf-8")
    dirs = {"data": root / "data", "docs": root / "docs", "config": root / "config.toml"}
    args = ["pages", "--prices-dir", str(REPLAY_PRICES), "--offline", "--as-of", AS_OF]
    args += ["--config", str(dirs["config"])]
    args += ["--data-dir", str(dirs["data"]), "--docs-dir", str(dirs["docs"])]
    result = run_cli(*args)
    assert result.returncode == 0, result.stderr
    dirs["args"] = args  # type: ignore[assignment]
    return dirs


def words(built: dict[str, Path]) -> str:
    """Everything a reader sees that the run wrote: pages, posts, chart files, the ledger."""
    docs = built["docs"]
    parts = [p.read_text() for p in sorted(docs.glob("*.md"))]
    parts += [p.read_text() for p in sorted((docs / "blog" / "posts").rglob("*.md"))]
    parts += [p.read_text() for p in sorted((docs / "assets" / "charts").glob("*.json"))]
    parts += [(built["data"] / "verdicts.jsonl").read_text()]
    return "\n".join(parts)


def test__changed_config__pages_sentences_and_charts_state_the_new_numbers(changed_build):
    text = words(changed_build)
    for new in ("10-week", "30-week", "15-week", "26-week", "over 60 days", "60 days"):
        assert new in text, new
    for old in ("20-week", "50-week", "52-week", "90 days", "0.50 or more", "since 2016"):
        assert old not in text, old
    assert "holds at 0.60 or more" in text
    assert "the 40 weeks to" in text and "since 2017" in text


def test__changed_config__the_stored_sentence_and_chart_labels(changed_build):
    records = [json.loads(line) for line in (changed_build["data"] / "verdicts.jsonl").open()]
    armed = [r for r in records if r["signal"] == "ARMED"]
    assert armed, [r["signal"] for r in records]
    assert "against its 10-week and" in armed[-1]["sentence"]
    assert "against its 30-week average" in armed[-1]["sentence"]
    assert all(r["comovement"]["window_weeks"] == 26 for r in records)
    charts = changed_build["docs"] / "assets" / "charts"
    basket = json.loads((charts / "basket.json").read_text())
    legend = json.dumps(basket)
    assert "10-week avg" in legend and "30-week avg" in legend and "20-week avg" not in legend
    season = (charts / "season.json").read_text()
    assert "Coins beating BTC over 60 days (%)" in season
    svgs = [p.read_text() for p in charts.glob("basket-*.svg")]
    # The static drawings (wide and phone) carry the labels too.
    assert len(svgs) == 2 and all("10-week avg" in svg and "20-week" not in svg for svg in svgs)
    home = (changed_build["docs"] / "index.md").read_text()
    assert re.search(r"Co-movement: 26-week correlation", home)


def test__rerun__the_same_week_again_writes_nothing(changed_build):
    """A second run of the same week: no file under the data or docs folder changes."""

    def state() -> dict:
        folders = (changed_build["data"], changed_build["docs"])
        files = {f"{i}/{k}": v for i, d in enumerate(folders) for k, v in tree_bytes(d).items()}
        mtimes = {
            str(p): p.stat().st_mtime_ns
            for d in folders
            for p in d.rglob("*")
            if p.is_file() and p.name != ".altseason.lock"
        }
        return {"bytes": files, "mtimes": mtimes}

    before = state()
    result = run_cli(*changed_build["args"])  # type: ignore[arg-type]
    assert result.returncode == 0, result.stderr
    assert "0 week(s) recorded" in result.stdout and "0 file(s) written, 0 removed" in result.stdout
    assert state() == before
