#!/usr/bin/env bash
# The weekly workflow's shell steps (.github/workflows/weekly.yml), kept here so that they run,
# and are tested, the same way outside GitHub Actions. Run from the repository root:
#
#   scripts/weekly.sh site           make site with --require-live (and --as-of "$AS_OF" when set)
#   scripts/weekly.sh commit [FROM]  commit data/ when it changed, naming the week and the verdict
#   scripts/weekly.sh push           push that commit to the branch in $GITHUB_REF
#
# commit: FROM is a folder holding the build's data/ and site/api/latest.json (the weekly job
# builds in one job and commits in another); without it the working tree's are used. Only data/
# is staged and committed, whatever else is changed or staged. The author is $GIT_AUTHOR_NAME
# <$GIT_AUTHOR_EMAIL>, the github-actions bot by default. Writes committed=true|false to
# $GITHUB_OUTPUT when that is set.
# push: authenticates with $GITHUB_TOKEN when set (the checkout keeps no credentials).
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

build_site() {
  local args=(--require-live)
  if [ -n "${AS_OF:-}" ]; then
    # AS_OF comes from a workflow input: check its form before it reaches a command line, and do
    # not echo it (a crafted value could read as a workflow command in the log).
    [[ $AS_OF =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]] || die "as_of must be a date in YYYY-MM-DD form" 2
    args+=(--as-of "$AS_OF")
  fi
  make site SITE_ARGS="${args[*]}"
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

case "${1:-}" in
site) build_site ;;
commit) commit_data "${2:-}" ;;
push) push_commit ;;
*) die "usage: scripts/weekly.sh site | commit [FROM] | push" 2 ;;
esac
