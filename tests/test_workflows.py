"""The GitHub Actions workflows, checked here since this machine cannot run them on GitHub.

- every workflow is valid against GitHub's workflow schema and has no zizmor findings;
- every command they run exists (Makefile targets, generator commands and flags, script verbs),
  and so do the README's, so README, Makefile, CI and the weekly job cannot drift apart;
- every action is pinned to a full commit SHA with its release in a comment;
- the weekly job's shell steps (scripts/weekly.sh) do what the job relies on, in a scratch git
  repository: `site` passes a checked --as-of to `make site`, `commit` commits data/ and nothing
  else, only when it changed, naming the week and the verdict, and `push` gets it onto the branch.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPLAY_PRICES, ROOT, run_cli, unavailable

WORKFLOWS_DIR = ROOT / ".github" / "workflows"
WORKFLOWS = sorted(WORKFLOWS_DIR.glob("*.y*ml"))
WEEKLY_SCRIPT = ROOT / "scripts" / "weekly.sh"
VENV_BIN = Path(sys.executable).parent


@pytest.fixture(autouse=True)
def _git_and_bash():
    for tool in ("git", "bash"):
        if shutil.which(tool) is None:
            unavailable(f"{tool} is not installed")


def venv_tool(name: str) -> Path:
    """A tool installed into the virtual environment from the lock file (or the test cannot run)."""
    tool = VENV_BIN / name
    if not tool.is_file():
        unavailable(f"{name} is not installed in {VENV_BIN} (make venv-test installs it)")
    return tool


def load_workflow(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def steps(workflow: dict):
    for job in workflow["jobs"].values():
        yield from job.get("steps", [])


def run_lines(path: Path) -> list[str]:
    """The shell lines of every `run:` step, continuation lines joined."""
    lines = []
    for step in steps(load_workflow(path)):
        if "run" in step:
            lines += step["run"].replace("\\\n", " ").splitlines()
    return lines


def script_lines(path: Path) -> list[str]:
    """A shell script or Makefile's lines, continuation lines joined and comments dropped."""
    text = path.read_text(encoding="utf-8").replace("\\\n", " ")
    return [line for line in text.splitlines() if not line.lstrip().startswith("#")]


def make_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([A-Za-z0-9_.-]+)\s*:(?!=)", text, flags=re.MULTILINE))


MAKE_CALL = re.compile(r"(?:^|[\s;&|(`])make\s+([A-Za-z][\w.-]*)")
GENERATOR_CALL = re.compile(r"-m generator\s+(\S+)(.*)")


def generator_options(command: str) -> set[str]:
    from generator.cli import main

    assert command in main.commands, f"`python -m generator {command}` is not a command"
    return {opt for p in main.commands[command].params for opt in (*p.opts, *p.secondary_opts)}


def check_generator_calls(lines: list[str], where: str) -> int:
    """Every `-m generator CMD --flag` in `lines` names a real command and real flags."""
    calls = 0
    for line in lines:
        for command, rest in GENERATOR_CALL.findall(line.split(" #")[0]):
            flags = set(re.findall(r"(?<![\w-])--?[a-z][\w-]*", rest))
            unknown = flags - generator_options(command)
            assert not unknown, f"{where}: `generator {command}` has no option {sorted(unknown)}"
            calls += 1
    return calls


# --- Schema and security lint --------------------------------------------------------------------


def test__workflows__all_exist():
    assert {p.name for p in WORKFLOWS} >= {"weekly.yml", "weekday.yml", "ci.yml"}


def test__workflows__valid_against_github_schema():
    tool = venv_tool("check-jsonschema")
    result = subprocess.run(
        [str(tool), "--builtin-schema", "vendor.github-workflows", *map(str, WORKFLOWS)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def zizmor(*args: str) -> subprocess.CompletedProcess:
    tool = venv_tool("zizmor")
    env = {k: v for k, v in os.environ.items() if "TOKEN" not in k}
    return subprocess.run(
        [str(tool), "--offline", "--no-config", "--format=json", *args],
        capture_output=True,
        text=True,
        env=env,
    )


def test__workflows__no_zizmor_findings():
    # --no-config: a zizmor.yml cannot switch rules off; only inline, justified ignores count.
    result = zizmor("--strict-collection", str(WORKFLOWS_DIR))
    findings = json.loads(result.stdout or "[]")
    summary = [f"{f['ident']}: {f['desc']}" for f in findings]
    assert result.returncode == 0 and not findings, summary or result.stderr


def test__workflows__zizmor_ignores_are_justified():
    for path in WORKFLOWS:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "zizmor: ignore" in line:
                why = line.split("zizmor: ignore", 1)[1].split("]", 1)[-1]
                assert len(why.strip(" :-#")) > 10, f"{path.name}:{n}: say why the rule is ignored"


def test__zizmor__flags_an_injectable_workflow(tmp_path):
    """The lint is not vacuous: it catches the two mistakes the weekly job must not make."""
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on:\n  workflow_dispatch:\n    inputs:\n      as_of: {type: string}\n"
        "permissions: {}\njobs:\n  j:\n    runs-on: ubuntu-24.04\n    steps:\n"
        "      - uses: actions/checkout@v4\n"
        "      - run: echo ${{ inputs.as_of }}\n"
    )
    idents = {f["ident"] for f in json.loads(zizmor(str(bad)).stdout or "[]")}
    assert {"template-injection", "unpinned-uses"} <= idents


# --- Least privilege -----------------------------------------------------------------------------


def test__workflows__no_default_permissions_and_a_timeout_on_every_job():
    for path in WORKFLOWS:
        workflow = load_workflow(path)
        assert workflow.get("permissions") == {}, f"{path.name}: set top-level `permissions: {{}}`"
        for name, job in workflow["jobs"].items():
            assert "permissions" in job, f"{path.name}: job {name} must say what it needs"
            assert job.get("timeout-minutes"), f"{path.name}: job {name} needs timeout-minutes"
            for step in job.get("steps", []):
                if str(step.get("uses", "")).startswith("actions/checkout@"):
                    assert step.get("with", {}).get("persist-credentials") is False, (
                        f"{path.name}: job {name} keeps the token on disk after checkout"
                    )


def test__weekly__each_job_gets_only_its_own_write_scope():
    jobs = load_workflow(WORKFLOWS_DIR / "weekly.yml")["jobs"]
    writes = {
        name: {scope for scope, level in job["permissions"].items() if level == "write"}
        for name, job in jobs.items()
    }
    assert writes == {"build": set(), "commit": {"contents"}, "deploy": {"pages", "id-token"}}
    assert jobs["deploy"]["environment"]["name"] == "github-pages"
    assert set(jobs["deploy"]["needs"]) == {"build", "commit"}


def test__weekly__triggers_and_concurrency():
    workflow = load_workflow(WORKFLOWS_DIR / "weekly.yml")
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    (cron,) = [entry["cron"] for entry in triggers["schedule"]]
    assert cron.split()[4] == "6", "the schedule runs on Saturdays (UTC)"
    assert triggers["workflow_dispatch"]["inputs"]["as_of"]["required"] is False
    assert workflow["concurrency"]["cancel-in-progress"] is False
    assert "${{" not in str(workflow["concurrency"]["group"]), "one group for every run"


def test__weekly__input_reaches_the_shell_only_through_the_environment():
    for line in run_lines(WORKFLOWS_DIR / "weekly.yml"):
        assert "${{" not in line, f"an expression is pasted into the shell: {line}"
    build = load_workflow(WORKFLOWS_DIR / "weekly.yml")["jobs"]["build"]["steps"]
    (site_step,) = [s for s in build if s.get("run") == "scripts/weekly.sh site"]
    assert site_step["env"]["AS_OF"] == "${{ inputs.as_of }}"
    assert site_step["env"]["SITE_URL"] == "${{ steps.pages.outputs.base_url }}/"


# --- Pinned actions ------------------------------------------------------------------------------

PINNED_USE = re.compile(
    r"^\s*(?:-\s+)?uses:\s+(?P<action>[\w.-]+/[\w./-]+)@(?P<sha>[0-9a-f]{40})"
    r"\s+#\s+(?P<version>v\d+\.\d+\.\d+)\s*$"
)


def test__workflows__every_action_pinned_to_a_commit_with_its_release():
    pins: dict[str, set[tuple[str, str]]] = {}
    for path in WORKFLOWS:
        pinned = set()
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.match(r"^\s*(?:-\s+)?uses:", line):
                match = PINNED_USE.match(line)
                assert match, (
                    f"{path.name}:{n}: pin to a 40-hex SHA with `# vX.Y.Z`: {line.strip()}"
                )
                pins.setdefault(match["action"], set()).add((match["sha"], match["version"]))
                pinned.add(f"{match['action']}@{match['sha']}")
        # Every `uses:` the YAML parser sees was one of the lines checked above.
        uses = {s["uses"] for s in steps(load_workflow(path)) if "uses" in s}
        uses |= {j["uses"] for j in load_workflow(path)["jobs"].values() if "uses" in j}
        assert uses == pinned, f"{path.name}: a `uses:` is written in a form this test cannot see"
    for action, versions in pins.items():
        assert len(versions) == 1, f"{action} is pinned to different commits: {sorted(versions)}"


# --- Commands that exist -------------------------------------------------------------------------


def test__workflows__make_targets_exist():
    targets, called = make_targets(), set()
    for path in WORKFLOWS:
        for line in run_lines(path):
            called |= set(MAKE_CALL.findall(line))
    for line in script_lines(WEEKLY_SCRIPT) + script_lines(ROOT / ".ci" / "run"):
        called |= set(MAKE_CALL.findall(line))
    assert called >= {"venv", "site", "test"}
    assert called <= targets, f"not Makefile targets: {sorted(called - targets)}"


def test__workflows__ci_runs_the_same_tests_as_ci_run():
    ci = [line.strip() for line in run_lines(WORKFLOWS_DIR / "ci.yml")]
    ci_run = [line.strip() for line in script_lines(ROOT / ".ci" / "run")]
    assert "make test" in ci and "make test" in ci_run
    for path in WORKFLOWS:
        for step in steps(load_workflow(path)):
            if str(step.get("uses", "")).startswith("actions/setup-python@"):
                assert str(step["with"]["python-version"]) == "3.11", path.name
                locks = str(step["with"]["cache-dependency-path"]).split()
                assert "requirements.lock" in locks, path.name
                if path.name == "ci.yml":
                    assert "requirements-test.lock" in locks
    lock_make = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "LOCK ?= requirements.lock" in lock_make and "--python-version 3.11" in lock_make
    assert "TEST_LOCK ?= requirements-test.lock" in lock_make


# The tools only the tests use: none may be installed by the job that publishes.
TEST_TOOLS = {
    "pytest", "ruff", "mypy", "playwright", "zizmor", "pip-audit", "check-jsonschema",
    "feedparser",
}  # fmt: skip


def lock_pins(path: Path) -> dict[str, list[str]]:
    """Each pinned package of a uv-compiled lock file with the hashes pinned for it."""
    pins: dict[str, list[str]] = {}
    current = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if match := re.match(r"^([A-Za-z0-9_.\-]+)==\S+", line):
            current = match.group(1).lower()
            pins[current] = []
        elif current and (found := re.search(r"--hash=sha256:([0-9a-f]{64})", line)):
            pins[current].append(found.group(1))
        elif not line.startswith(" "):
            current = None
    return pins


def test__install__the_publishing_lock_has_no_test_tools_and_every_pin_is_hashed():
    runtime = lock_pins(ROOT / "requirements.lock")
    everything = lock_pins(ROOT / "requirements-test.lock")
    assert {"mkdocs-material", "yfinance", "jsonschema"} <= set(runtime)
    assert not TEST_TOOLS & set(runtime), sorted(TEST_TOOLS & set(runtime))
    assert set(everything) >= TEST_TOOLS
    for name, hashes in {**runtime, **everything}.items():
        assert hashes, f"{name} has no --hash pin"
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "--require-hashes" in makefile
    # Every pip install in the Makefile is hash-checked.
    commands = makefile.replace("\\\n", " ").splitlines()  # continuation lines joined
    installs = [ln for ln in commands if "pip install" in ln and "uv==" not in ln]
    assert installs and all("PIP_INSTALL :=" in ln or "--require-hashes" in ln for ln in installs)


def test__install__the_weekly_job_installs_only_the_runtime():
    build = load_workflow(WORKFLOWS_DIR / "weekly.yml")["jobs"]["build"]
    runs = " ".join(str(step.get("run", "")) for step in build["steps"])
    assert "make venv" in runs
    assert "venv-test" not in runs and "make test" not in runs and "pip install" not in runs
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    site_rule = re.search(r"^site: (.*?)##", makefile, re.MULTILINE)
    assert site_rule and site_rule.group(1).split() == ["$(STAMP)"]


def test__workflows__script_verbs_exist():
    verbs = set(re.findall(r"^(\w+)\)", WEEKLY_SCRIPT.read_text(encoding="utf-8"), re.MULTILINE))
    called = set()
    for path in WORKFLOWS:
        for line in run_lines(path):
            called |= set(re.findall(r"scripts/weekly\.sh\s+(\w+)", line))
    assert called == {"site", "commit", "push", "release", "weekday"}
    assert called <= verbs
    assert os.access(WEEKLY_SCRIPT, os.X_OK), "scripts/weekly.sh must be executable"


def test__makefile__generator_commands_and_flags_exist():
    lines = script_lines(ROOT / "Makefile")
    assert check_generator_calls(lines, "Makefile") >= 3
    site_recipe = re.search(r"^site:.*\n\t(.*)", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert "-m generator site $(SITE_ARGS)" in site_recipe[1], "make site runs generator site"
    for path in WORKFLOWS:
        check_generator_calls(run_lines(path), path.name)
    check_generator_calls(script_lines(WEEKLY_SCRIPT), "scripts/weekly.sh")


def readme_code() -> list[str]:
    """The README's code: lines of its code blocks and its `inline code` spans."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```[^\n]*\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)
    spans = re.findall(r"`([^`\n]+)`", re.sub(r"^```.*?^```", "", text, flags=re.S | re.M))
    return [line for block in blocks for line in block.splitlines()] + spans


def test__readme__commands_exist():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    quick_start = re.search(r"```sh\n(.*?)```", text, re.DOTALL)[1]
    assert re.findall(r"^make (\w+)", quick_start, re.MULTILINE) == ["site", "test"]
    code = readme_code()
    mentioned = {t for line in code for t in MAKE_CALL.findall(line.split(" #")[0])}
    assert {"site", "test"} <= mentioned <= make_targets(), sorted(mentioned - make_targets())
    check_generator_calls(code, "README.md")


def test__readme__documented_options_exist():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\|\s*`(--?[a-z][\w-]*)", text, flags=re.MULTILINE))
    documented |= set(re.findall(r"^\|\s*`-v`, `(--verbose)`", text, flags=re.MULTILINE))
    assert "--require-live" in documented
    for command in ("fetch", "pages", "site"):
        missing = documented - generator_options(command)
        assert not missing, f"README documents {sorted(missing)}, not options of `{command}`"


# --- The weekly job's shell steps, run here ------------------------------------------------------


def script_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A clean environment: nothing from the caller's git or GitHub Actions leaks in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "GITHUB_", "RUNNER_"))}
    env.update(HOME=str(tmp_path), GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull)
    env.update(extra)
    return env


def weekly(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(WEEKLY_SCRIPT), *args], cwd=cwd, env=env, capture_output=True, text=True
    )


@pytest.fixture
def fake_make(tmp_path):
    """A `make` on PATH that records its arguments instead of building anything."""
    bin_dir, record = tmp_path / "bin", tmp_path / "make-args"
    bin_dir.mkdir()
    (bin_dir / "make").write_text(f"#!/bin/sh\nprintf '%s\\n' \"$@\" > '{record}'\n")
    (bin_dir / "make").chmod(0o755)

    def run(as_of: str | None):
        record.unlink(missing_ok=True)
        env = script_env(tmp_path, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
        if as_of is not None:
            env["AS_OF"] = as_of
        result = weekly("site", cwd=tmp_path, env=env)
        args = record.read_text().splitlines() if record.exists() else None
        return result, args

    return run


@pytest.mark.parametrize(
    ("as_of", "site_args"),
    [
        (None, "--require-live"),
        ("", "--require-live"),
        ("2025-01-03", "--require-live --as-of 2025-01-03"),
    ],
)
def test__weekly_site__runs_make_site_with_live_data(fake_make, as_of, site_args):
    from generator.cli import main

    result, args = fake_make(as_of)
    assert result.returncode == 0, result.stderr
    assert args == ["site", f"SITE_ARGS={site_args}"]
    assert "site" in make_targets()
    # The real CLI accepts exactly these options (parsed, not run).
    main.commands["site"].make_context("site", shlex.split(site_args))


@pytest.mark.parametrize(
    "as_of", ["2025-1-3", "03/01/2025", "2025-01-03 --offline", "$(touch pwned)", "2025-01-03\n"]
)
def test__weekly_site__refuses_a_malformed_as_of(fake_make, tmp_path, as_of):
    result, args = fake_make(as_of)
    assert result.returncode == 2
    assert args is None, "make must not run"
    assert "YYYY-MM-DD" in result.stderr and as_of.strip() not in result.stderr
    assert not (tmp_path / "pwned").exists()


def git(repo: Path, *args: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        ["git", "-C", str(repo), *args], env=env, capture_output=True, text=True, check=True
    )
    return result.stdout.rstrip("\n")


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def write_latest(root: Path, week: str, signal: str) -> None:
    write(
        root / "site" / "api" / "latest.json", json.dumps({"week_ending": week, "signal": signal})
    )


@pytest.fixture
def repo(tmp_path):
    """A scratch clone of a tiny project with data/ committed, and its bare `origin`."""
    env = script_env(tmp_path)
    origin, work = tmp_path / "origin.git", tmp_path / "work"
    git(tmp_path, "init", "--quiet", "--bare", "-b", "main", str(origin), env=env)
    git(tmp_path, "init", "--quiet", "-b", "main", str(work), env=env)
    shutil.copy(ROOT / ".gitignore", work / ".gitignore")
    write(work / "README.md", "# project\n")
    write(work / "data" / "prices" / "^RUT.csv", "date,open,high,low,close,volume\n")
    write(work / "data" / "verdicts.jsonl", '{"week_ending": "2026-02-13"}\n')
    git(work, "add", ".", env=env)
    git(
        work,
        "-c",
        "user.name=Dev",
        "-c",
        "user.email=dev@example.org",
        "commit",
        "-qm",
        "init",
        env=env,
    )
    git(work, "remote", "add", "origin", str(origin), env=env)
    git(work, "push", "--quiet", "-u", "origin", "main", env=env)
    return work


def committed_files(repo: Path, env) -> list[str]:
    return git(repo, "show", "--name-only", "--format=", "HEAD", env=env).splitlines()


def outputs(path: Path) -> str:
    return path.read_text() if path.exists() else ""


def test__weekly_commit__nothing_when_data_unchanged(repo, tmp_path):
    env = script_env(tmp_path, GITHUB_OUTPUT=str(tmp_path / "out"))
    head = git(repo, "rev-parse", "HEAD", env=env)
    write(repo / "README.md", "# edited, but not data\n")
    write_latest(repo, "2026-02-20", "WATCH")
    result = weekly("commit", cwd=repo, env=env)
    assert result.returncode == 0, result.stderr
    assert "nothing to commit" in result.stdout
    assert git(repo, "rev-parse", "HEAD", env=env) == head
    assert outputs(tmp_path / "out") == "committed=false\n"


def test__weekly_commit__commits_only_data_naming_week_and_verdict(repo, tmp_path):
    env = script_env(tmp_path, GITHUB_OUTPUT=str(tmp_path / "out"))
    write(
        repo / "data" / "verdicts.jsonl",
        '{"week_ending": "2026-02-13"}\n{"week_ending": "2026-02-20"}\n',
    )
    write(repo / "data" / "prices" / "BTC-USD.csv", "date,open,high,low,close,volume\n")
    write(repo / "data" / ".altseason.lock", "")  # the run lock: git-ignored, never committed
    write(repo / "README.md", "# edited, not staged\n")
    write(repo / "notes.txt", "staged, not data\n")
    git(repo, "add", "notes.txt", env=env)
    write_latest(repo, "2026-02-20", "WATCH")

    result = weekly("commit", cwd=repo, env=env)
    assert result.returncode == 0, result.stderr
    assert sorted(committed_files(repo, env)) == ["data/prices/BTC-USD.csv", "data/verdicts.jsonl"]
    subject = git(repo, "log", "-1", "--format=%s", env=env)
    assert "2026-02-20" in subject and "WATCH" in subject
    assert git(repo, "log", "-1", "--format=%an <%ae>", env=env) == (
        "github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>"
    )
    status = git(repo, "status", "--porcelain", env=env).splitlines()
    assert " M README.md" in status and "A  notes.txt" in status  # left as they were
    assert outputs(tmp_path / "out") == "committed=true\n"

    again = weekly("commit", cwd=repo, env=env)
    assert again.returncode == 0 and "nothing to commit" in again.stdout


def test__weekly_commit__from_the_build_jobs_folder_with_a_chosen_author(repo, tmp_path):
    state = tmp_path / "state"
    shutil.copytree(repo / "data", state / "data")
    (state / "data" / "prices" / "^RUT.csv").unlink()  # a file the build no longer has
    write(state / "data" / "verdicts.jsonl", '{"week_ending": "2026-02-27"}\n')
    write_latest(state, "2026-02-27", "OFF")
    env = script_env(tmp_path, GIT_AUTHOR_NAME="Weekly Bot", GIT_AUTHOR_EMAIL="bot@example.org")

    result = weekly("commit", str(state), cwd=repo, env=env)
    assert result.returncode == 0, result.stderr
    assert sorted(committed_files(repo, env)) == ["data/prices/^RUT.csv", "data/verdicts.jsonl"]
    assert not (repo / "data" / "prices" / "^RUT.csv").exists()
    assert git(repo, "log", "-1", "--format=%an <%ae>|%s", env=env) == (
        "Weekly Bot <bot@example.org>|Week ending 2026-02-27: OFF"
    )


@pytest.mark.parametrize("latest", [None, "{}", '{"week_ending": "soon", "signal": "ON"}'])
def test__weekly_commit__refuses_without_a_readable_verdict(repo, tmp_path, latest):
    env = script_env(tmp_path)
    head = git(repo, "rev-parse", "HEAD", env=env)
    write(repo / "data" / "verdicts.jsonl", "changed\n")
    if latest is not None:
        write(repo / "site" / "api" / "latest.json", latest)
    result = weekly("commit", cwd=repo, env=env)
    assert result.returncode == 1
    assert "latest.json" in result.stderr
    assert git(repo, "rev-parse", "HEAD", env=env) == head


def test__weekly_push__puts_the_commit_on_the_branch(repo, tmp_path):
    env = script_env(tmp_path, GITHUB_REF="refs/heads/main", GITHUB_TOKEN="not-a-real-token")
    write(repo / "data" / "verdicts.jsonl", "new week\n")
    write_latest(repo, "2026-02-20", "ARMED")
    assert weekly("commit", cwd=repo, env=env).returncode == 0

    result = weekly("push", cwd=repo, env=env)
    assert result.returncode == 0, result.stderr
    origin = tmp_path / "origin.git"
    assert git(origin, "rev-parse", "main", env=env) == git(repo, "rev-parse", "HEAD", env=env)
    assert "not-a-real-token" not in (repo / ".git" / "config").read_text()


def test__weekly_push__rebases_when_the_branch_moved(repo, tmp_path):
    env = script_env(tmp_path, GITHUB_REF="refs/heads/main")
    other = tmp_path / "other"
    git(tmp_path, "clone", "--quiet", str(tmp_path / "origin.git"), str(other), env=env)
    write(other / "README.md", "# a human's change\n")
    git(
        other,
        "-c",
        "user.name=Dev",
        "-c",
        "user.email=dev@example.org",
        "commit",
        "-qam",
        "docs",
        env=env,
    )
    git(other, "push", "--quiet", env=env)

    write(repo / "data" / "verdicts.jsonl", "new week\n")
    write_latest(repo, "2026-02-20", "ON")
    assert weekly("commit", cwd=repo, env=env).returncode == 0
    result = weekly("push", cwd=repo, env=env)
    assert result.returncode == 0, result.stderr
    log = git(tmp_path / "origin.git", "log", "--format=%s", "main", env=env).splitlines()
    assert log == ["Week ending 2026-02-20: ON", "docs", "init"]


def test__weekly_push__refuses_a_ref_that_is_not_a_branch(repo, tmp_path):
    result = weekly("push", cwd=repo, env=script_env(tmp_path, GITHUB_REF="refs/tags/v1"))
    assert result.returncode == 1 and "branch" in result.stderr


@pytest.mark.replay
def test__weekly_commit__replayed_weeks_commit_once(repo, tmp_path):
    """The real price cache, fetched from the replay history a week at a time: a new week's
    data is committed, and fetching the same week again leaves nothing to commit."""
    env = script_env(tmp_path)
    data = str(repo / "data")
    shutil.rmtree(repo / "data" / "prices")  # the fixture's placeholder, not a real cache

    def fetch(as_of: str) -> None:
        args = ("--prices-dir", str(REPLAY_PRICES), "--offline", "--as-of", as_of)
        result = run_cli("fetch", *args, "--data-dir", data)
        assert result.returncode == 0, result.stderr

    fetch("2026-02-13")
    write_latest(repo, "2026-02-13", "WATCH")
    assert weekly("commit", cwd=repo, env=env).returncode == 0
    first = git(repo, "rev-parse", "HEAD", env=env)

    fetch("2026-02-20")
    write_latest(repo, "2026-02-20", "WATCH")
    result = weekly("commit", cwd=repo, env=env)
    assert result.returncode == 0, result.stderr
    assert git(repo, "rev-parse", "HEAD~1", env=env) == first
    files = committed_files(repo, env)
    assert "data/prices/^RUT.csv" in files and all(f.startswith("data/") for f in files)
    assert "data/.altseason.lock" not in git(repo, "ls-files", env=env).splitlines()

    fetch("2026-02-20")
    again = weekly("commit", cwd=repo, env=env)
    assert again.returncode == 0 and "nothing to commit" in again.stdout


# --- The weekday workflow ------------------------------------------------------------------------


def test__weekday__least_privilege_same_group_never_commits():
    weekday = load_workflow(WORKFLOWS_DIR / "weekday.yml")
    weekly = load_workflow(WORKFLOWS_DIR / "weekly.yml")
    jobs = weekday["jobs"]
    writes = {
        name: {scope for scope, level in job["permissions"].items() if level == "write"}
        for name, job in jobs.items()
    }
    assert writes == {"build": set(), "deploy": {"pages", "id-token"}}
    assert jobs["deploy"]["environment"]["name"] == "github-pages"
    assert jobs["deploy"]["needs"] == "build"
    assert jobs["deploy"]["if"] == "needs.build.outputs.deploy == 'true'"
    assert (
        weekday["concurrency"]
        == weekly["concurrency"]
        == {
            "group": "weekly",
            "cancel-in-progress": False,
        }
    )
    (cron,) = [entry["cron"] for entry in weekday[True]["schedule"]]
    _, hour, _, _, days = cron.split()
    assert int(hour) >= 22 and days == "1-4", "weekday evenings after the US close, not Friday"
    lines = [line.strip() for line in run_lines(WORKFLOWS_DIR / "weekday.yml")]
    assert "make venv" in lines and "scripts/weekly.sh weekday" in lines
    for line in lines:
        assert "${{" not in line, f"an expression is pasted into the shell: {line}"
        assert not re.search(r"weekly\.sh (commit|push|release)|git (commit|push)", line), line
    build = {s.get("id"): s for s in jobs["build"]["steps"]}
    assert build["build"]["env"]["SITE_URL"] == "${{ steps.pages.outputs.base_url }}/"
    assert jobs["build"]["outputs"]["deploy"] == "${{ steps.build.outputs.deploy }}"


def cache_steps(job: dict, kind: str) -> list[tuple[int, dict]]:
    return [
        (i, s)
        for i, s in enumerate(job["steps"])
        if str(s.get("uses", "")).startswith(f"actions/cache/{kind}@")
    ]


def test__weekly__restores_and_saves_the_renderings_around_the_build():
    from generator import writer

    steps_ = load_workflow(WORKFLOWS_DIR / "weekly.yml")["jobs"]["build"]["steps"]
    job = {"steps": steps_}
    (site_at,) = [i for i, s in enumerate(steps_) if s.get("run") == "scripts/weekly.sh site"]
    ((restore_at, restore),) = cache_steps(job, "restore")
    ((save_at, save),) = cache_steps(job, "save")
    assert restore_at < site_at < save_at, "restore before the build, save after it"
    paths = restore["with"]["path"].split()
    assert save["with"]["path"].split() == paths
    # What the page stage reuses when it is there: content-addressed renderings and kept posts.
    for rel in ("assets/charts", "assets/og", "blog/posts"):
        assert rel in writer.GENERATED_DIRS and f"site_docs/{rel}" in paths
    assert writer.POSTS_MANIFEST.startswith("blog/posts/")
    key = restore["with"]["key"]
    for source in ("generator/**", "templates/**", "requirements.lock"):
        assert f"'{source}'" in key, f"the cache key must depend on {source}"
    assert key.endswith("-${{ github.run_id }}"), "a new key each run: caches are immutable"
    prefix = key.removesuffix("${{ github.run_id }}")
    assert restore["with"]["restore-keys"].split("\n")[0] == prefix
    assert save["with"]["key"] == f"${{{{ steps.{restore['id']}.outputs.cache-primary-key }}}}"
    weekday = load_workflow(WORKFLOWS_DIR / "weekday.yml")["jobs"]["build"]
    ((_, weekday_restore),) = cache_steps(weekday, "restore")
    assert weekday_restore["with"]["restore-keys"] == restore["with"]["restore-keys"]
    assert not cache_steps(weekday, "save"), "the weekday job saves nothing"


def test__weekly__release_step_only_in_the_commit_job_after_the_push():
    jobs = load_workflow(WORKFLOWS_DIR / "weekly.yml")["jobs"]
    for name, job in jobs.items():
        for step in job.get("steps", []):
            if "weekly.sh release" in step.get("run", ""):
                assert name == "commit" and job["permissions"]["contents"] == "write"
    commit = jobs["commit"]["steps"]
    runs = [s.get("run", "") for s in commit]
    (release_at,) = [i for i, r in enumerate(runs) if r.startswith("scripts/weekly.sh release")]
    assert release_at > runs.index("scripts/weekly.sh push")
    step = commit[release_at]
    assert "steps.commit.outputs.committed == 'true'" in step["if"] and "inputs.as_of" in step["if"]
    assert step["env"]["AS_OF"] == "${{ inputs.as_of }}"
    assert step["env"]["GH_TOKEN"] == "${{ github.token }}"
    assert step["env"]["SITE_URL"] == "${{ needs.build.outputs.site_url }}/"
    assert jobs["build"]["outputs"]["site_url"] == "${{ steps.pages.outputs.base_url }}"


# --- weekly.sh weekday ---------------------------------------------------------------------------


@pytest.fixture
def weekday_run(tmp_path):
    """`weekly.sh weekday` with a `make` that records its arguments and appends the ledger
    lines in $FAKE_NEW_WEEKS, as a build that recorded those weeks would."""
    bin_dir, record = tmp_path / "bin", tmp_path / "make-args"
    bin_dir.mkdir()
    (bin_dir / "make").write_text(
        "#!/bin/sh\n"
        f"printf '%s\\n' \"$@\" > '{record}'\n"
        "for w in $FAKE_NEW_WEEKS; do\n"
        '  echo "{\\"week_ending\\": \\"$w\\"}" >> data/verdicts.jsonl\n'
        "done\n"
    )
    (bin_dir / "make").chmod(0o755)
    write(tmp_path / "data" / "verdicts.jsonl", '{"week_ending": "2025-11-28"}\n')

    def run(as_of: str | None, new_weeks: str = ""):
        env = script_env(
            tmp_path,
            PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
            GITHUB_OUTPUT=str(tmp_path / "out"),
            FAKE_NEW_WEEKS=new_weeks,
        )
        if as_of is not None:
            env["AS_OF"] = as_of
        (tmp_path / "out").unlink(missing_ok=True)
        result = weekly("weekday", cwd=tmp_path, env=env)
        args = record.read_text().splitlines() if record.exists() else None
        return result, args, outputs(tmp_path / "out")

    return run


def test__weekday__builds_provisional_live_as_of_the_day(weekday_run):
    from generator.cli import main

    result, args, out = weekday_run("2025-12-03")
    assert result.returncode == 0, result.stderr
    site_args = "--require-live --provisional --as-of 2025-12-03"
    assert args == ["site", f"SITE_ARGS={site_args}"]
    assert out == "deploy=true\n"
    main.commands["site"].make_context("site", shlex.split(site_args))


def test__weekday__default_as_of_is_today_after_the_close_or_yesterday(weekday_run):
    import datetime as dt

    result, args, _ = weekday_run(None)
    assert result.returncode == 0, result.stderr
    now = dt.datetime.now(dt.UTC)
    day = now.date() if now.hour >= 22 else now.date() - dt.timedelta(days=1)
    assert args[1].endswith(f"--as-of {day.isoformat()}")


def test__weekday__a_week_ending_today_is_left_to_the_saturday_job(weekday_run):
    result, _, out = weekday_run("2025-12-05", new_weeks="2025-12-05")
    assert result.returncode == 0, result.stderr
    assert out == "deploy=false\n" and "publishes nothing" in result.stdout


@pytest.mark.parametrize("new_weeks", ["2025-12-05", "2025-12-05 2025-12-12"])
def test__weekday__refuses_to_publish_a_week_the_repository_has_not_kept(weekday_run, new_weeks):
    result, _, out = weekday_run("2025-12-10", new_weeks=new_weeks)
    assert result.returncode == 1
    assert "lacks the week(s) ending 2025-12-05" in result.stderr and "weekly" in result.stderr
    assert "deploy=" not in out


@pytest.mark.parametrize("as_of", ["2025-1-3", "$(touch pwned)"])
def test__weekday__refuses_a_malformed_as_of(weekday_run, tmp_path, as_of):
    result, args, _ = weekday_run(as_of)
    assert result.returncode == 2 and args is None
    assert not (tmp_path / "pwned").exists()


# --- weekly.sh release, with a fake `gh` ---------------------------------------------------------

SITE = "https://owner.github.io/altseason-watch/"


def verdict(week: str, signal: str, source: str = "live") -> dict:
    return {
        "week_ending": week,
        "signal": signal,
        "source": source,
        "sentence": f"{signal.title()}: the sentence recorded for the week ending {week}.",
    }


def ledger_text(records: list[dict]) -> str:
    return "".join(json.dumps(r, sort_keys=True) + "\n" for r in records)


@pytest.fixture
def fake_gh(tmp_path):
    """A `gh` on PATH that logs each call (one JSON list per line) and knows the releases it
    created: `gh release view TAG` fails unless TAG was created."""
    bin_dir, log, tags = tmp_path / "gh-bin", tmp_path / "gh-log", tmp_path / "gh-tags"
    bin_dir.mkdir()
    tags.write_text("")
    (bin_dir / "gh").write_text(
        f"#!{sys.executable}\n"
        "import json, sys\n"
        f"log, tags = {str(log)!r}, {str(tags)!r}\n"
        "args = sys.argv[1:]\n"
        "with open(log, 'a') as f:\n"
        "    f.write(json.dumps(args) + '\\n')\n"
        "known = open(tags).read().split()\n"
        "if args[:2] == ['release', 'view']:\n"
        "    sys.exit(0 if args[2] in known else 1)\n"
        "if args[:2] == ['release', 'create']:\n"
        "    if args[2] in known:\n"
        "        sys.exit('a release with the same tag name already exists')\n"
        "    open(tags, 'a').write(args[2] + '\\n')\n"
    )
    (bin_dir / "gh").chmod(0o755)

    def calls(verb: str = "create") -> list[list[str]]:
        if not log.exists():
            return []
        entries = [json.loads(line) for line in log.read_text().splitlines()]
        return [e for e in entries if e[:2] == ["release", verb]]

    return bin_dir, calls


def release_setup(repo: Path, tmp_path: Path, kept: list[dict], built: list[dict]):
    """The repository's ledger is `kept` (committed: the job's starting commit), the build's
    state folder holds `built`."""
    env = script_env(tmp_path)
    write(repo / "data" / "verdicts.jsonl", ledger_text(kept))
    git(repo, "add", "data", env=env)
    git(
        repo,
        "-c",
        "user.name=Dev",
        "-c",
        "user.email=d@example.org",
        "commit",
        "-qm",
        "kept",
        env=env,
    )
    state = tmp_path / "state"
    write(state / "data" / "verdicts.jsonl", ledger_text(built))
    return state, git(repo, "rev-parse", "HEAD", env=env)


def release_env(tmp_path, gh_bin, sha, **extra):
    return script_env(
        tmp_path,
        PATH=f"{gh_bin}{os.pathsep}{os.environ['PATH']}",
        GITHUB_SHA=sha,
        SITE_URL=SITE,
        **extra,
    )


def test__weekly_release__created_once_on_a_change(repo, tmp_path, fake_gh):
    from generator.pages import post_url

    gh_bin, calls = fake_gh
    old = [verdict("2026-02-06", "WATCH"), verdict("2026-02-13", "WATCH")]
    new = verdict("2026-02-20", "ARMED")
    state, sha = release_setup(repo, tmp_path, old, [*old, new])
    env = release_env(tmp_path, gh_bin, sha)

    result = weekly("release", str(state), cwd=repo, env=env)
    assert result.returncode == 0, result.stderr
    (create,) = calls()
    assert create[2] == "signal-2026-02-20"
    options = dict(zip(create[3::2], create[4::2], strict=True))
    assert options["--title"] == "Week ending 2026-02-20: WATCH -> ARMED"
    assert options["--notes"].splitlines()[0] == new["sentence"]
    assert f"{SITE}{post_url(new)}" in options["--notes"]
    assert options["--target"] == git(repo, "rev-parse", "HEAD", env=env)

    # A re-run of the same job (same starting commit): the tag exists, nothing is created.
    again = weekly("release", str(state), cwd=repo, env=env)
    assert again.returncode == 0, again.stderr
    assert len(calls()) == 1 and "exists already" in again.stdout
    # A new run of the same week starts from the commit that holds it: nothing new recorded.
    write(repo / "data" / "verdicts.jsonl", ledger_text([*old, new]))
    state2, sha2 = release_setup(repo, tmp_path, [*old, new], [*old, new])
    third = weekly("release", str(state2), cwd=repo, env=release_env(tmp_path, gh_bin, sha2))
    assert third.returncode == 0 and "recorded before this run" in third.stderr
    assert len(calls()) == 1 and len(calls("view")) == 2


@pytest.mark.parametrize(
    ("case", "kept", "built", "extra"),
    [
        (
            "no change",
            [verdict("2026-02-13", "WATCH")],
            [verdict("2026-02-13", "WATCH"), verdict("2026-02-20", "WATCH")],
            {},
        ),
        (
            "past-week re-run",
            [verdict("2026-02-13", "WATCH")],
            [verdict("2026-02-13", "WATCH"), verdict("2026-02-20", "ON")],
            {"AS_OF": "2026-02-20"},
        ),
        (
            "backfill of many weeks",
            [],
            [verdict("2026-02-13", "WATCH", "backfill"), verdict("2026-02-20", "ON", "backfill")],
            {},
        ),
    ],
)
def test__weekly_release__none_without_a_live_change(
    repo, tmp_path, fake_gh, case, kept, built, extra
):
    gh_bin, calls = fake_gh
    state, sha = release_setup(repo, tmp_path, kept, built)
    result = weekly(
        "release", str(state), cwd=repo, env=release_env(tmp_path, gh_bin, sha, **extra)
    )
    assert result.returncode == 0, result.stderr
    assert calls() == [], case
    assert "no release" in result.stdout + result.stderr


def test__weekly_release__needs_the_site_address_for_its_link(repo, tmp_path, fake_gh):
    gh_bin, calls = fake_gh
    kept = [verdict("2026-02-13", "WATCH")]
    state, sha = release_setup(repo, tmp_path, kept, [*kept, verdict("2026-02-20", "OFF")])
    env = release_env(tmp_path, gh_bin, sha)
    del env["SITE_URL"]
    result = weekly("release", str(state), cwd=repo, env=env)
    assert result.returncode == 1 and "SITE_URL" in result.stderr and calls() == []
