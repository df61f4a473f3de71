"""`make audit`: check every package pinned in the lock file against known vulnerabilities.

    python scripts/audit.py requirements-test.lock [pip-audit options, e.g.
        --vulnerability-service osv]

Runs pip-audit on the lock as it is (every pin is exact, so nothing is resolved or installed)
and fails closed: a package pip-audit could not check is a failure, not a pass. pip-audit needs
its vulnerability service over the network: PyPI's JSON API (pypi.org/pypi/<name>/<version>/json,
the default) or OSV (api.osv.dev, with `--vulnerability-service osv`). Exit 0 when every
package was checked and none has a known vulnerability, 1 otherwise.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path


def audit(lock: Path, options: list[str]) -> dict | str:
    """pip-audit's JSON report on `lock`, or the reason it could not produce one."""
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "audit.json"
        done = subprocess.run(
            [
                sys.executable, "-m", "pip_audit", "-r", str(lock), "--no-deps", "--disable-pip",
                "--progress-spinner", "off", "--format", "json", "--output", str(report),
                *options,
            ],
            capture_output=True,
            text=True,
        )  # fmt: skip
        if not report.is_file():
            lines = done.stderr.strip().splitlines() or [f"exit code {done.returncode}"]
            return lines[-1]
        return json.loads(report.read_text(encoding="utf-8"))


def main(argv: list[str]) -> int:
    lock, options = Path(argv[0]), argv[1:]
    report = audit(lock, options)
    if isinstance(report, str):
        print(f"error: pip-audit could not check {lock}: {report}", file=sys.stderr)
        return 1
    packages = report["dependencies"]
    found = [(p, v) for p in packages for v in p.get("vulns", [])]
    unchecked = [p for p in packages if "skip_reason" in p]
    for package, vuln in found:
        fixed = ", ".join(vuln.get("fix_versions") or []) or "no fixed release yet"
        print(f"{package['name']} {package['version']}: {vuln['id']} (fixed in {fixed})")
    if unchecked:
        more = f" (and {len(unchecked) - 1} more)" if len(unchecked) > 1 else ""
        print(f"not checked: {unchecked[0]['skip_reason']}{more}")
    print(
        f"audit: {len(packages)} pinned package(s) in {lock}, {len(found)} known "
        f"vulnerabilit{'y' if len(found) == 1 else 'ies'}, {len(unchecked)} not checked"
    )
    return 1 if found or unchecked else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
