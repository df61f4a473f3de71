"""Run the real CLI with a SIGKILL armed at one exact moment, for the kill cases.

    python tests/faults/killer.py MOMENT -- pages --data-dir ... (the CLI's own arguments)

MOMENT is one of
    replace:GLOB:N:before|after   the N-th atomic rename (os.replace, the last step of every
                                  fsio write) onto a path matching GLOB: just before it (the
                                  temporary file is complete, the target untouched) or just
                                  after it
    mkdocs-write:N                the N-th page MkDocs writes, after half of its bytes
    feeds                         when the RSS plugin starts writing the feeds (every page built)

The process then kills itself with SIGKILL: no exception, no `finally`, no cleanup, as when a
runner is cancelled or the machine loses power. Nothing else about the run is changed.
"""

from __future__ import annotations

import fnmatch
import os
import signal
import sys
from pathlib import Path


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def arm_replace(pattern: str, nth: int, when: str) -> None:
    real = os.replace
    seen = 0

    def replace(src, dst, *args, **kwargs):
        nonlocal seen
        if not fnmatch.fnmatch(Path(dst).as_posix(), pattern):
            return real(src, dst, *args, **kwargs)
        seen += 1
        if seen == nth and when == "before":
            die()
        real(src, dst, *args, **kwargs)
        if seen == nth and when == "after":
            die()

    os.replace = replace


def arm_mkdocs_write(nth: int) -> None:
    from mkdocs import utils

    real = utils.write_file
    seen = 0

    def write_file(content: bytes, output_path: str) -> None:
        nonlocal seen
        seen += 1
        if seen == nth:
            os.makedirs(os.path.dirname(output_path), exist_ok=True)
            with open(output_path, "wb") as handle:
                handle.write(content[: len(content) // 2])
            die()
        real(content, output_path)

    utils.write_file = write_file


def arm_feeds() -> None:
    from mkdocs_rss_plugin.plugin import GitRssPlugin

    GitRssPlugin.on_post_build = lambda self, config: die()


def main(argv: list[str]) -> None:
    moment, separator, *args = argv
    assert separator == "--", "usage: killer.py MOMENT -- CLI ARGS"
    kind, *params = moment.split(":")
    if kind == "replace":
        pattern, nth, when = params
        arm_replace(pattern, int(nth), when)
    elif kind == "mkdocs-write":
        arm_mkdocs_write(int(params[0]))
    elif kind == "feeds":
        arm_feeds()
    else:
        raise SystemExit(f"unknown moment {moment!r}")
    from generator.cli import main as cli

    cli(args=args, prog_name="python -m generator")


if __name__ == "__main__":
    main(sys.argv[1:])
