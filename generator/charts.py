"""Charts: Altair (Vega-Lite) specs from the weekly frame, plus their static renderings.

A page shows each chart first as static SVGs drawn at build time (a wide one and a phone one,
`static_renderings`): that is every reader's first view and the no-JavaScript view. A home
chart also has its Vega-Lite JSON spec, which the browser fetches and renders with Vega-Embed
(served from the site itself) only when a reader asks for the interactive chart, and a CSV of
the numbers behind it; an archive post's chart is an SVG only. Link previews are PNGs.

Each kind of chart is built (and validated) with Altair once, against a named dataset; a chart
is that spec with its rows put in. So hundreds of archive posts cost one Altair build, and specs
carry only weekly points, rounded, so pages stay light. Titles and text alternatives come from
templates/charts.txt.j2.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
from dataclasses import dataclass
from typing import Any, cast

import altair as alt
import pandas as pd
import vl_convert as vlc

from generator import templating
from generator.config import Config

Spec = dict[str, Any]  # a Vega-Lite specification, as JSON
Row = dict[str, Any]  # one row of a chart's data

# Colour-blind-safe (Okabe-Ito); the signal is never told by colour alone.
PALETTE = {
    "rut": "#0072B2",
    "basket": "#D55E00",
    "ref": "#8C8C8C",  # mid grey: visible on the light and on the dark palette
    "zone": "#E69F00",
    "fast": "#009E73",
    "slow": "#CC79A7",
}
SIGNAL_COLOURS = {
    "ON": "#1A7F37",
    "ARMED": "#0969DA",
    "WATCH": "#9A6700",
    "OFF": "#57606A",
    "UNKNOWN": "#6E40C9",
}
STATIC_WIDTH = 720
# The home charts' phone drawing: shown at about its own size in a 390 px screen's column, so
# its 11 px labels stay 11 px (the 720 px drawing shrunk to the column left them at 5 px).
PHONE_WIDTH = 360
WEEK_WIDTH = 480  # an archive post's small chart (static SVG)
HEIGHT = 280
PREVIEW_SIZE = (1200, 630)
FONT = "system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif"
DATASET = "table"


@dataclass(frozen=True)
class Chart:
    """One chart: a name (file stem), its title and text alternative, the interactive spec,
    and the rows behind it."""

    name: str
    title: str
    description: str
    spec: Spec
    data: pd.DataFrame | None

    def static_spec(self, width: int = STATIC_WIDTH, background: str = "transparent") -> Spec:
        """The same chart at a fixed width, for SVG and PNG rendering. Transparent by default,
        so the page's dark palette can invert it instead of showing a white box. A shallow
        copy: only top-level keys change, the rows are shared."""
        spec = dict(self.spec)
        spec["width"] = width
        spec["background"] = background
        spec["autosize"] = {"type": "fit", "contains": "padding"}
        return spec


def static_renderings(chart: Chart) -> dict[str, dict[str, Any]]:
    """The static drawings a page shows before (and without) any script: `svg` for wide
    screens and `svg_phone` for phones; each spec's SVG is the chart's first view."""
    return {"svg": chart.static_spec(), "svg_phone": chart.static_spec(PHONE_WIDTH)}


def _text(macro: str, **facts: Any) -> tuple[str, str]:
    module = templating.environment().get_template("charts.txt.j2").module
    title, description = str(getattr(module, macro)(**facts)).strip().split("|", 1)
    return title, description


def _records(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out.index = pd.DatetimeIndex(out.index).strftime("%Y-%m-%d")
    out.index.name = "week"
    return out.reset_index().round(2)


def _values(rows: pd.DataFrame) -> list[Row]:
    """Rows as JSON-ready dicts (missing values as null)."""
    records = rows.astype(object).where(rows.notna(), None).to_dict("records")
    return [{str(k): v for k, v in row.items()} for row in records]


def _chart(
    name: str,
    template: Spec,
    rows: pd.DataFrame | None,
    title: str,
    description: str,
    values: list[Row] | None = None,
) -> Chart:
    # A shallow copy: the cached template's nested parts are shared and never changed.
    spec = dict(template)
    if values is None:
        values = _values(rows) if rows is not None else []
    spec["datasets"] = {DATASET: values}
    # No title inside the chart: the page's caption carries it, and a long title would be
    # clipped on a phone. `description` becomes the SVG's aria-label.
    spec["description"] = description
    return Chart(name, title, description, spec, rows)


def _finish(chart: alt.TopLevelMixin) -> Spec:
    spec = (
        chart.properties(width="container", height=HEIGHT)
        .configure(font=FONT, background="transparent")
        .configure_view(strokeWidth=0)
        .configure_axis(labelFontSize=11, titleFontSize=11, gridOpacity=0.5)
        .configure_legend(orient="top", labelFontSize=11, titleFontSize=11)
        .to_dict(validate=True)
    )
    spec = cast(Spec, spec)
    spec["autosize"] = {"type": "fit-x", "contains": "padding"}
    return spec


def _base() -> alt.Chart:
    return alt.Chart(alt.NamedData(name=DATASET))


def _time_x(title: str = "Week ending") -> alt.X:
    # One tick a year; labels that would touch (on a phone) are dropped, not run together.
    return alt.X(
        "week:T",
        title=title,
        axis=alt.Axis(format="%Y", tickCount="year", labelOverlap="greedy", labelSeparation=8),
    )


def _week_tooltip() -> alt.Tooltip:
    return alt.Tooltip("week:T", title="Week ending")


# --- Spec templates (built once) ------------------------------------------------------------------


@functools.cache
def _rut_template() -> Spec:
    base = _base()
    zone = base.mark_area(opacity=0.35, color=PALETTE["zone"], interpolate="step-after").encode(
        x=_time_x(), y=alt.Y("zone_bottom:Q"), y2="zone_top:Q"
    )
    ref = base.mark_line(color=PALETTE["ref"], strokeDash=[4, 3], interpolate="step-after").encode(
        x="week:T", y="reference:Q"
    )
    close = base.mark_line(color=PALETTE["rut"], strokeWidth=1.6).encode(
        x="week:T",
        y=alt.Y("close:Q", title="Index points", scale=alt.Scale(zero=False)),
        tooltip=[
            _week_tooltip(),
            alt.Tooltip("close:Q", title="Close", format=",.2f"),
            alt.Tooltip("reference:Q", title="Reference", format=",.2f"),
        ],
    )
    return _finish(zone + ref + close)


def _series_lines(
    domain: list[str],
    colours: list[str],
    dashes: list[list[int]],
    y: alt.Y,
    extra: tuple[alt.Tooltip, ...] = (),
) -> Spec:
    return _finish(
        _base()
        .transform_filter("isValid(datum.value)")
        .mark_line(strokeWidth=1.5)
        .encode(
            x=_time_x(),
            y=y,
            color=alt.Color("series:N", title=None, scale=alt.Scale(domain=domain, range=colours)),
            # Same field and title as colour, so Vega-Lite merges them into one legend that
            # shows each line's colour and dash: readable without telling colours apart.
            strokeDash=alt.StrokeDash(
                "series:N", title=None, scale=alt.Scale(domain=domain, range=dashes)
            ),
            tooltip=[_week_tooltip(), "series:N", alt.Tooltip("value:Q", format=",.1f"), *extra],
        )
    )


REBASED_SERIES = ["Russell 2000", "Altcoin basket"]


def basket_series(fast_weeks: int, slow_weeks: int) -> tuple[str, str, str]:
    """The basket chart's legend: short, so it fits a phone."""
    return ("Basket", f"{fast_weeks}-week avg", f"{slow_weeks}-week avg")


@functools.cache
def _basket_template(series: tuple[str, str, str]) -> Spec:
    return _series_lines(
        list(series),
        [PALETTE["basket"], PALETTE["fast"], PALETTE["slow"]],
        [[1, 0], [5, 3], [2, 2]],
        alt.Y("value:Q", title="Index (log scale, start = 100)", scale=alt.Scale(type="log")),
        extra=(alt.Tooltip("members:Q", title="Coins"),),
    )


@functools.cache
def _rebased_template() -> Spec:
    return _series_lines(
        REBASED_SERIES,
        [PALETTE["rut"], PALETTE["basket"]],
        [[1, 0], [6, 3]],
        alt.Y("value:Q", title="First common week = 100 (log scale)", scale=alt.Scale(type="log")),
    )


@functools.cache
def _correlation_template(min_corr: float) -> Spec:
    line = (
        _base()
        .transform_filter("isValid(datum.correlation)")
        .mark_line(color=PALETTE["rut"], strokeWidth=1.5)
        .encode(
            x=_time_x(),
            y=alt.Y("correlation:Q", title="Correlation", scale=alt.Scale(domain=[-1, 1])),
            tooltip=[_week_tooltip(), alt.Tooltip("correlation:Q", format=".2f")],
        )
    )
    rules = (
        alt.Chart(alt.Data(values=[{"y": 0.0}, {"y": min_corr}]))  # type: ignore[no-untyped-call]
        .mark_rule(strokeDash=[3, 3], color="#888")
        .encode(y="y:Q")
    )
    return _finish(line + rules)


@functools.cache
def _season_template(window_days: int, alt_threshold: float, btc_threshold: float) -> Spec:
    bands = (
        alt.Chart(
            alt.Data(  # type: ignore[no-untyped-call]
                values=[
                    {"from": alt_threshold, "to": 100, "band": "Altcoin season"},
                    {"from": 0, "to": btc_threshold, "band": "Bitcoin season"},
                ]
            )
        )
        .mark_rect(opacity=0.15)
        .encode(
            y="from:Q",
            y2="to:Q",
            color=alt.Color(
                "band:N",
                title=None,
                scale=alt.Scale(
                    domain=["Altcoin season", "Bitcoin season"],
                    range=[PALETTE["basket"], PALETTE["rut"]],
                ),
            ),
        )
    )
    line = (
        _base()
        .transform_filter("isValid(datum.index)")
        .mark_line(color="#8C8C8C", strokeWidth=1.3)
        .encode(
            x=_time_x(),
            y=alt.Y(
                "index:Q",
                title=f"Coins beating BTC over {window_days} days (%)",
                scale=alt.Scale(domain=[0, 100]),
            ),
            tooltip=[
                _week_tooltip(),
                alt.Tooltip("index:Q", format=".0f"),
                alt.Tooltip("coins:Q", title="Coins"),
            ],
        )
    )
    return _finish(bands + line)


# --- Charts ---------------------------------------------------------------------------------------


def _from_first_valid(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    first = frame[column].first_valid_index()
    return frame.loc[first:] if first is not None else frame.iloc[0:0]


def rut_chart(weekly: pd.DataFrame, since: str, name: str = "rut") -> Chart:
    """Russell 2000 weekly closes, with the reference and its resistance zone."""
    part = weekly.loc[since:, ["rut_close", "rut_reference", "rut_zone_bottom", "rut_zone_top"]]
    rows = _records(part.rename(columns=lambda c: c.removeprefix("rut_")))
    last = part["rut_close"].dropna()
    title, description = _text(
        "rut",
        since=since,
        last_close=float(last.iloc[-1]) if len(last) else None,
        last_week=f"{last.index[-1]:%Y-%m-%d}" if len(last) else None,
    )
    return _chart(name, _rut_template(), rows, title, description)


def _long(rows: pd.DataFrame, keep: list[str]) -> pd.DataFrame:
    return rows.melt(id_vars=keep, var_name="series", value_name="value").dropna(subset=["value"])


def basket_chart(weekly: pd.DataFrame, fast_weeks: int, slow_weeks: int) -> Chart:
    """The altcoin basket with its fast and slow moving averages (log scale)."""
    part = _from_first_valid(
        weekly[["basket_level", "basket_ma_fast", "basket_ma_slow", "basket_members"]],
        "basket_level",
    )
    series = basket_series(fast_weeks, slow_weeks)
    rows = _records(part.set_axis([*series, "members"], axis=1))
    title, description = _text("basket", fast=fast_weeks, slow=slow_weeks)
    template = _basket_template(series)
    return _chart("basket", template, _long(rows, ["week", "members"]), title, description)


def rebased_chart(weekly: pd.DataFrame) -> Chart:
    """The Russell 2000 and the altcoin basket rebased to 100 at their first common week."""
    both = weekly[["rut_close", "basket_level"]].dropna()
    frame = pd.DataFrame(columns=REBASED_SERIES, index=pd.DatetimeIndex([]), dtype="float64")
    if not both.empty:
        part = weekly.loc[both.index[0] :, ["rut_close", "basket_level"]]
        frame = (part / both.iloc[0] * 100).set_axis(REBASED_SERIES, axis=1)
    title, description = _text("rebased")
    return _chart(
        "rebased", _rebased_template(), _long(_records(frame), ["week"]), title, description
    )


def correlation_chart(weekly: pd.DataFrame, min_corr: float, window: int) -> Chart:
    """Rolling correlation of weekly returns, Russell 2000 vs the altcoin basket."""
    part = _from_first_valid(weekly[["comovement_corr"]], "comovement_corr").rename(
        columns={"comovement_corr": "correlation"}
    )
    title, description = _text("correlation", window=window, min_corr=min_corr)
    return _chart(
        "correlation", _correlation_template(min_corr), _records(part), title, description
    )


def season_chart(
    weekly: pd.DataFrame, window_days: int, alt_threshold: float, btc_threshold: float
) -> Chart:
    """The Altcoin Season Index with its bitcoin-season and altcoin-season bands."""
    part = _from_first_valid(weekly[["season_index", "season_members"]], "season_index")
    rows = _records(part.set_axis(["index", "coins"], axis=1))
    title, description = _text(
        "season", window_days=window_days, alt_threshold=alt_threshold, btc_threshold=btc_threshold
    )
    template = _season_template(window_days, alt_threshold, btc_threshold)
    return _chart("season", template, rows, title, description)


@functools.cache
def _week_template() -> Spec:
    spec = copy.deepcopy(_rut_template())
    spec["height"] = 200
    # Drawn at WEEK_WIDTH and shrunk to the column: a narrower drawing with slightly larger
    # labels keeps them readable on a 390 px phone (a 720 px drawing left them at 5 px).
    spec["config"]["axis"].update(labelFontSize=12, titleFontSize=12)
    for layer in spec.get("layer", []):
        axis = layer.get("encoding", {}).get("x", {}).get("axis")
        if axis:
            axis.update({"format": "%b %Y", "tickCount": 6})
    return spec


class WeekRows:
    """The Russell 2000 rows of every week, formatted once, for the archive posts' charts:
    each post shows the `weeks_back` weeks up to its own."""

    def __init__(self, weekly: pd.DataFrame, weeks_back: int):
        part = weekly[["rut_close", "rut_reference", "rut_zone_bottom", "rut_zone_top"]]
        self.values = _values(_records(part.rename(columns=lambda c: c.removeprefix("rut_"))))
        self.position = {week: i for i, week in enumerate(weekly.index)}
        self.weeks_back = weeks_back

    def upto(self, week: pd.Timestamp) -> list[Row]:
        """The rows of the `weeks_back` weeks ending with `week`: nothing after it."""
        end = self.position[week] + 1
        return self.values[max(0, end - self.weeks_back) : end]


def week_chart(rows: list[Row], week: pd.Timestamp, weeks_back: int) -> Chart:
    """A small chart for one archive post: the Russell 2000 up to that week only."""
    title, description = _text("week", weeks_back=weeks_back, week=f"{week:%Y-%m-%d}")
    return _chart(f"week-{week:%Y-%m-%d}", _week_template(), None, title, description, rows)


def home_charts(weekly: pd.DataFrame, config: Config) -> tuple[Chart, ...]:
    """The home page's charts, in page order (an extra chart is one more entry here)."""
    alts, co = config.alts, config.comovement
    return (
        rut_chart(weekly, config.charts.rut_since),
        basket_chart(weekly, alts.ma_fast_weeks, alts.ma_slow_weeks),
        rebased_chart(weekly),
        correlation_chart(weekly, float(co.min_corr), co.window_weeks),
        season_chart(
            weekly,
            alts.season_window_days,
            float(alts.season_alt_threshold),
            float(alts.season_btc_threshold),
        ),
    )


# --- Link previews and rendering ------------------------------------------------------------------


def preview_spec(chart: Chart, headline: str, sentence: str, signal: str) -> Spec:
    """A 1200x630 link-preview image: the verdict as title and subtitle over the chart."""
    width, height = PREVIEW_SIZE
    spec = chart.static_spec(width, background="white")
    spec["height"] = height
    spec["padding"] = {"left": 36, "right": 36, "top": 28, "bottom": 20}
    spec["title"] = {
        "text": headline,
        "subtitle": _wrap(sentence, 105),
        "anchor": "start",
        "fontSize": 34,
        "subtitleFontSize": 20,
        "color": SIGNAL_COLOURS.get(signal, "#000"),
        "subtitleColor": "#222",
        "offset": 18,
    }
    return spec


def _wrap(text: str, width: int) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + len(word) + 1 > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    if line:
        lines.append(line)
    if len(lines) > 3:
        lines = [*lines[:2], lines[2].rstrip(".,;:") + " …"]
    return lines


def _vl_version() -> str:
    major_minor = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    return f"v{major_minor}"


def bundle_version() -> str:
    return f"vega{vlc.get_vega_version()}-vl{_vl_version()}-embed{vlc.get_vega_embed_version()}"


def spec_hash(spec: Spec) -> str:
    """A short content hash of a spec and the renderer, so a rendering is redone only when
    either changes."""
    payload = json.dumps(spec, sort_keys=True, separators=(",", ":")) + bundle_version()
    return hashlib.sha256(payload.encode()).hexdigest()[:12]


def to_svg(spec: Spec) -> str:
    return vlc.vegalite_to_svg(spec, vl_version=_vl_version())


def to_png(spec: Spec) -> bytes:
    return vlc.vegalite_to_png(spec, vl_version=_vl_version(), scale=1)


def vega_bundle() -> str:
    """Vega, Vega-Lite and Vega-Embed in one script, for serving from the site itself."""
    # The stubs make `snippet` required; without it vl-convert returns the whole bundle.
    return vlc.javascript_bundle(vl_version=_vl_version())  # type: ignore[call-arg]
