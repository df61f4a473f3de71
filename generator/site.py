"""Site: `mkdocs build --strict` of the docs folder into the site folder, in this process."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from mkdocs.commands.build import build as mkdocs_build
from mkdocs.config import load_config as load_mkdocs_config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import Abort, ConfigurationError

from generator.config import PROJECT_ROOT
from generator.errors import AltseasonError

log = logging.getLogger(__name__)

MKDOCS_YML = PROJECT_ROOT / "mkdocs.yml"


class BuildError(AltseasonError):
    """MkDocs refused to build (in strict mode a warning is enough)."""


class _CountWarnings(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _absolute_feed_image(cfg: MkDocsConfig) -> None:
    """Feed readers need the feed's image as an absolute URL, and site_url comes from the
    environment (SITE_URL), so the relative path in mkdocs.yml is completed here."""
    for name, plugin in cfg.plugins.items():
        if name.split(" #")[0] == "rss" and plugin.config.get("image"):
            image = plugin.config["image"]
            if "://" not in image:
                plugin.config["image"] = cfg["site_url"].rstrip("/") + "/" + image.lstrip("/")


def build_site(docs_dir: Path, site_dir: Path, config_file: Path = MKDOCS_YML) -> float:
    """Build the site with MkDocs in strict mode; return the seconds it took."""
    started = time.monotonic()
    counter = _CountWarnings()
    mkdocs_log = logging.getLogger("mkdocs")
    mkdocs_log.addHandler(counter)
    try:
        cfg = load_mkdocs_config(
            config_file=str(config_file),
            docs_dir=str(Path(docs_dir).resolve()),
            site_dir=str(Path(site_dir).resolve()),
            strict=True,
        )
        _absolute_feed_image(cfg)
        cfg.plugins.on_startup(command="build", dirty=False)
        try:
            mkdocs_build(cfg)
        finally:
            cfg.plugins.on_shutdown()
    except (Abort, ConfigurationError) as exc:
        first = counter.messages[0] if counter.messages else str(exc)
        raise BuildError(f"mkdocs build --strict failed: {first.splitlines()[0]}") from exc
    finally:
        mkdocs_log.removeHandler(counter)
    return time.monotonic() - started
