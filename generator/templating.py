"""The Jinja2 environment for every piece of prose: templates/, StrictUndefined, filters."""

from __future__ import annotations

import functools
import math
from pathlib import Path
from typing import Any

import jinja2

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"


def number(value: float | None, digits: int = 2, signed: bool = False) -> str:
    """A number for readers: thousands separators, fixed decimals, 'unknown' for missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "unknown"
    text = f"{value:{'+' if signed else ''},.{digits}f}"
    return text.replace("-", "\u2212")  # a real minus sign reads better than a hyphen


def pct(value: float | None, digits: int = 1, signed: bool = True) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "unknown"
    return number(value, digits, signed) + "%"


@functools.lru_cache(maxsize=4)
def environment(folder: str = str(TEMPLATES_DIR)) -> jinja2.Environment:
    """Pages (`*.md.j2`, `*.html.j2`, `*.xml.j2`) escape every value for HTML, because Markdown
    passes raw HTML through: a name with `<script>` or `&` in the config must arrive as text.
    Plain-text templates (`*.txt.j2`, the verdict sentence) are not escaped; the page that shows
    them escapes them then."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("md.j2", "html.j2", "xml.j2"), default=False
        ),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["number"] = number
    env.filters["pct"] = pct
    return env


def render(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)
