#!/usr/bin/env bash
# The weekly workflow's shell steps (.github/workflows/weekly.yml), kept here so that they run,
# and are tested, the same way outside GitHub Actions. Run from the repository root:
#
#   scripts/weekly.sh site           make site with --require-live (and --as-of "$AS_OF" when set)
#   scripts/weekly.sh commit [FROM]  commit data/ when it changed, naming the week and the verdict
#   scripts/weekly.sh push           push that commit to the branch in $GITHUB_REF
#   scripts/weekly.sh release FROM   a GitHub release when the week just recorded changed the signal
#   scripts/weekly.sh weekday        the weekday job's build: make site --provisional, records nothing
#
# commit: FROM is a folder holding the build's data/ and site/api/latest.json (the weekly job
# builds in one job and commits in another); without it the working tree's are used. Only data/
# is staged and committed, whatever else is changed or staged. The author is $GIT_AUTHOR_NAME
# <$GIT_AUTHOR_EMAIL>, the github-actions bot by default. Writes committed=true|false to
# $GITHUB_OUTPUT when that is set.
# push: authenticates with $GITHUB_TOKEN when set (the checkout keeps no credentials).
# release: FROM as for commit. Creates the release `signal-YYYY-MM-DD` with `gh` (which reads
# $GH_TOKEN) only when the newest week in FROM's ledger was recorded by this run (it is not in
# the ledger of the commit the job started from, $GITHUB_SHA), is `live`, and its signal differs
# from the week before; never when $AS_OF is set (a past-week re-run) or the tag exists (a
# re-run). The notes link to the week's post under $SITE_URL (required).
# weekday: builds with --provisional --require-live, as of today after the US close (22:00 UTC)
# and yesterday before it, or $AS_OF. It never records: when the run added a week to the
# ledger, it writes deploy=false to $GITHUB_OUTPUT if that week is the one ending on as_of (the
# Saturday job records it), and fails if an older week was missing (the weekly job failed: the
# site must not show a week the repository has not kept). Otherwise deploy=true.
set -euo pipefail

export GIT_AUTHOR_NAME="${GIT_AUTHOR_NAME:-github-actions[bot]}"
export GIT_AUTHOR_EMAIL="${GIT_AUTHOR_EMAIL:-41898282+github-actions[bot]@users.noreply.github.com}"
export GIT_COMMITTER_NAME="${GIT_COMMITTER_NAME:-$GIT_AUTHOR_NAME}"
export GIT_COMMITTER_EMAIL="${GIT_COMMITTER_EMAIL:-$GIT_AUTHOR_EMAIL}"

die() {
  echo "weekly: $1" >&2
  exit "${2:-1}"
}

set_output() {
  if [ -n "${GITHUB_OUTPUT:-}" ]; then
    echo "$1=$2" >>"$GITHUB_OUTPUT"
  fi
}

check_date() {
  # A date from the environment: check its form before it reaches a command line, and do not
  # echo it (a crafted value could read as a workflow command in the log).
  [[ $1 =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]] || die "as_of must be a date in YYYY-MM-DD form" 2
}

build_site() {
  local args=(--require-live)
  if [ -n "${AS_OF:-}" ]; then
    check_date "$AS_OF" # it comes from a workflow input
    args+=(--as-of "$AS_OF")
  fi
  make site SITE_ARGS="${args[*]}"
}

# The week_ending of each ledger line on stdin, one per line.
ledger_weeks() {
  "${PYTHON:-python3}" -c '
import json, sys
for line in sys.stdin:
    if line.strip():
        print(json.loads(line)["week_ending"])
'
}

build_weekday() {
  local as_of="${AS_OF:-}" ledger=data/verdicts.jsonl before=0 new
  if [ -n "$as_of" ]; then
    check_date "$as_of"
  elif [ "$(date -u +%H)" -ge 22 ]; then
    as_of="$(date -u +%F)" # today's session has closed (21:00 UTC at the latest)
  else
    as_of="$(date -u -d yesterday +%F)"
  fi
  if [ -f "$ledger" ]; then
    before="$(wc -l <"$ledger")"
  fi
  make site SITE_ARGS="--require-live --provisional --as-of $as_of"
  new="$(tail -n "+$((before + 1))" "$ledger" | ledger_weeks | tr '\n' ' ')"
  new="${new% }"
  if [ -z "$new" ]; then
    echo "weekday: built the site with the week so far as of $as_of"
    set_output deploy true
  elif [ "$new" = "$as_of" ]; then
    echo "weekday: the week ending $as_of is complete; the Saturday job records and publishes it, so this run publishes nothing"
    set_output deploy false
  else
    die "the ledger in the repository lacks the week(s) ending $new (did the weekly job fail?); not publishing weeks it has not kept: run the weekly workflow first (Actions -> weekly -> Run workflow)"
  fi
}

# "Week ending YYYY-MM-DD: SIGNAL" from a verdict record, or an error naming the file.
verdict_line() {
  "${PYTHON:-python3}" - "$1" <<'EOF'
import json, re, sys

path = sys.argv[1]
try:
    with open(path, encoding="utf-8") as f:
        record = json.load(f)
    week, signal = record["week_ending"], record["signal"]
except (OSError, ValueError, KeyError, TypeError) as exc:
    sys.exit(f"weekly: cannot read the week and verdict from {path}: {exc}")
if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(week)) or not re.fullmatch(r"[A-Z]+", str(signal)):
    sys.exit(f"weekly: {path}: unexpected week_ending {week!r} or signal {signal!r}")
print(f"Week ending {week}: {signal}")
EOF
}

commit_data() {
  local from="${1:-}" latest=site/api/latest.json
  if [ -n "$from" ]; then
    [ -d "$from/data" ] || die "$from/data: no such folder"
    latest="$from/site/api/latest.json"
    rm -rf data
    cp -R "$from/data" data
  fi
  git add --all -- data
  if git diff --cached --quiet -- data; then
    echo "weekly: data/ unchanged; nothing to commit"
    set_output committed false
    return
  fi
  local subject
  subject="$(verdict_line "$latest")"
  # --only: other staged changes stay staged and out of this commit.
  git commit --quiet --only -m "$subject" \
    -m "Recorded by the weekly workflow: the price cache and the verdict ledger in data/." -- data
  echo "weekly: committed data/: $subject"
  set_output committed true
}

push_commit() {
  local ref="${GITHUB_REF:-}"
  [[ $ref == refs/heads/* ]] || die "GITHUB_REF must name a branch (refs/heads/...) to push to"
  if [ -n "${GITHUB_TOKEN:-}" ]; then
    # The token reaches git through the environment, for this process only: never on a command
    # line, never in .git/config.
    local basic
    basic="$(printf 'x-access-token:%s' "$GITHUB_TOKEN" | base64 | tr -d '\n')"
    if [ "${GITHUB_ACTIONS:-}" = true ]; then
      echo "::add-mask::$basic"
    fi
    export GIT_CONFIG_COUNT=1
    export GIT_CONFIG_KEY_0="http.${GITHUB_SERVER_URL:-https://github.com}/.extraheader"
    export GIT_CONFIG_VALUE_0="AUTHORIZATION: basic $basic"
  fi
  if ! git push --quiet origin "HEAD:$ref"; then
    # The branch moved while we ran. data/ is written only by this workflow, one run at a time,
    # so replaying our commit on top cannot conflict with what arrived.
    echo "weekly: $ref moved; rebasing the data/ commit onto it"
    git fetch --quiet origin "$ref"
    git rebase --quiet FETCH_HEAD
    git push --quiet origin "HEAD:$ref"
  fi
  echo "weekly: pushed $(git rev-parse --short HEAD) to $ref"
}

# The release to publish for FROM's ledger, as three parts (tag, title, notes) on stdout, or
# nothing, with the reason on stderr. The ledger of the job's starting commit is on stdin.
release_plan() {
  "${PYTHON:-python3}" -c '
import json, re, sys

path, site_url = sys.argv[1], sys.argv[2]
try:
    with open(path, encoding="utf-8") as f:
        records = [json.loads(line) for line in f if line.strip()]
    old = {json.loads(line)["week_ending"] for line in sys.stdin if line.strip()}
    newest = records[-1]
    week, signal, source = newest["week_ending"], newest["signal"], newest["source"]
    sentence = " ".join(str(newest["sentence"]).split())
except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
    sys.exit(f"weekly: cannot read the newest week from {path}: {exc}")
if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(week)) or not re.fullmatch(r"[A-Z]+", str(signal)):
    sys.exit(f"weekly: {path}: unexpected week_ending {week!r} or signal {signal!r}")
previous = records[-2]["signal"] if len(records) > 1 else None
why = None
if week in old:
    why = f"the week ending {week} was recorded before this run"
elif source != "live":
    why = f"the week ending {week} is a backfill"
elif previous is None or previous == signal:
    why = f"the signal did not change in the week ending {week}"
if why:
    print(f"weekly: no release: {why}", file=sys.stderr)
    sys.exit(0)
if not re.fullmatch(r"[A-Z]+", str(previous)):
    sys.exit(f"weekly: {path}: unexpected signal {previous!r} before {week}")
y, m, d = week.split("-")
# The post address as post_url() in generator/pages.py makes it (a test checks they agree).
base = site_url.rstrip("/")
link = f"{base}/blog/{y}/{m}/{d}/weekly-verdict/"
print(f"signal-{week}")
print(f"Week ending {week}: {previous} -> {signal}")
print(f"{sentence}\n\nThe week in full: {link}")
' "$1" "$2"
}

release() {
  local from="${1:-}" old plan tag title notes
  [ -n "$from" ] && [ -f "$from/data/verdicts.jsonl" ] || die "${from:-FROM}/data/verdicts.jsonl: no ledger to read"
  if [ -n "${AS_OF:-}" ]; then
    echo "weekly: no release: a past-week re-run (as_of) never publishes one"
    return
  fi
  [ -n "${SITE_URL:-}" ] || die "SITE_URL must be set: the release notes link to the week's post"
  # The ledger as the job found it (none in a repository that has not recorded a week yet).
  old="$(git show "${GITHUB_SHA:-HEAD}:data/verdicts.jsonl" 2>/dev/null || true)"
  plan="$(release_plan "$from/data/verdicts.jsonl" "$SITE_URL" <<<"$old")"
  [ -n "$plan" ] || return 0
  tag="$(sed -n 1p <<<"$plan")"
  title="$(sed -n 2p <<<"$plan")"
  notes="$(sed -n '3,$p' <<<"$plan")"
  if gh release view "$tag" >/dev/null 2>&1; then
    echo "weekly: release $tag exists already; not creating it again"
    return
  fi
  gh release create "$tag" --title "$title" --notes "$notes" --target "$(git rev-parse HEAD)"
  echo "weekly: released $tag: $title"
}

case "${1:-}" in
site) build_site ;;
commit) commit_data "${2:-}" ;;
push) push_commit ;;
release) release "${2:-}" ;;
weekday) build_weekday ;;
*) die "usage: scripts/weekly.sh site | commit [FROM] | push | release FROM | weekday" 2 ;;
esac
