# Altseason Watch. `make help` lists the targets; the README documents each variable.
# Every target but help and clean creates or refreshes the virtual environment (.venv):
# the site's targets install only what runs (requirements.lock), the test and tooling targets
# add the test tools (requirements-test.lock). Both are hash-checked (--require-hashes), so a
# package that changed on the index fails the install instead of running.

PYTHON ?= python3
VENV ?= .venv
LOCK ?= requirements.lock
TEST_LOCK ?= requirements-test.lock
# Extra options for the generator commands of site, site-replay, pages, fetch and site-zensical
# (e.g. SITE_ARGS="--as-of 2025-12-05").
SITE_ARGS ?=
# Extra options for pytest (e.g. PYTEST_ARGS="-k archive -x").
PYTEST_ARGS ?=
# Extra options for bench/run.py (e.g. BENCH_ARGS="--repeats 5").
BENCH_ARGS ?=
# Extra options for pip-audit in `make audit` (e.g. AUDIT_ARGS="--vulnerability-service osv").
AUDIT_ARGS ?=
# The replay folder `make site-replay` reads: by default the committed price cache itself.
REPLAY_DIR ?= data/prices
# The folder of real history `make seed` re-creates data/ from (no default: name it).
SEED_DIR ?=
# The week `make seed` backfills the committed ledger through (the newest week the replay
# data covers for the Russell 2000).
SEED_AS_OF ?= 2026-02-20

BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-runtime
TEST_STAMP := $(VENV)/.installed-test
PIP_INSTALL := $(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps
# axe-core for the accessibility checks of the browser tests (npm; skipped without npm).
AXE := tests/browser/node_modules/axe-core/axe.min.js

.DEFAULT_GOAL := help
.PHONY: help venv venv-test site site-replay pages fetch seed test lint format lock clean faults audit bench site-zensical

help: ## Show the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*## "}; {printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): $(LOCK) pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) -r $(LOCK)
	rm -f $(TEST_STAMP)
	touch $(STAMP)

$(TEST_STAMP): $(STAMP) $(TEST_LOCK)
	$(PIP_INSTALL) -r $(TEST_LOCK)
	touch $(TEST_STAMP)

venv: $(STAMP) ## Create or refresh .venv with what the site needs to build (hash-checked)

venv-test: $(TEST_STAMP) ## The same plus the test tools (pytest, ruff, mypy, playwright, ...)

# axe-core and the Nu HTML Checker (vnu-jar) for the browser and build tiers, from the npm lockfile
# (integrity-checked). --ignore-scripts: vnu-jar's install script only fetches a JDK, which the
# machine provides (default-jre-headless).
$(AXE): tests/browser/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix tests/browser --no-audit --no-fund --silent --ignore-scripts && touch $(AXE); \
	else echo "npm not found: the axe-core and HTML checks skip (and fail under CI=true)"; fi

site: $(STAMP) ## Build the whole site into site/ (fetch from Yahoo, or use the cache if offline)
	$(BIN)/python -m generator site $(SITE_ARGS)

site-replay: $(STAMP) ## Build the site from the replay folder, offline, into scratch dirs
	$(BIN)/python -m generator site --prices-dir $(REPLAY_DIR) --offline \
		--data-dir build/replay/data --docs-dir build/replay/docs --site-dir build/replay/site $(SITE_ARGS)

pages: $(STAMP) ## Fetch, record the week's verdict and write site_docs/ (no MkDocs build)
	$(BIN)/python -m generator pages $(SITE_ARGS)

fetch: $(STAMP) ## Refresh the price cache in data/prices/
	$(BIN)/python -m generator fetch $(SITE_ARGS)

seed: $(STAMP) ## Re-create the committed data/ from SEED_DIR=<folder of history> (what the weekly job would fetch)
	@test -n "$(SEED_DIR)" || { echo "make seed: name the history to seed from: make seed SEED_DIR=<folder of <SYMBOL>.csv>" >&2; exit 2; }
	@test -f "$(SEED_DIR)/^RUT.csv" || { echo "make seed: $(SEED_DIR)/^RUT.csv not found" >&2; exit 2; }
	@test "$$(realpath "$(SEED_DIR)")" != "$$(realpath data/prices)" || { echo "make seed: SEED_DIR is data/prices itself, which seeding deletes first" >&2; exit 2; }
	rm -rf data/prices data/extra data/verdicts.jsonl
	$(BIN)/python -m generator pages --prices-dir $(SEED_DIR) --offline --as-of $(SEED_AS_OF)

bench: $(TEST_STAMP) ## Benchmark the weekly job against a bare MkDocs build (~20 min); writes bench/results.md
	npm ci --prefix bench --no-audit --no-fund --silent
	$(BIN)/python bench/run.py $(BENCH_ARGS)

site-zensical: $(STAMP) ## Optional: write site_docs/, then build site/ with Zensical (own venv in build/)
	test -x build/zensical-venv/bin/zensical || { $(PYTHON) -m venv build/zensical-venv && \
		build/zensical-venv/bin/python -m pip install --quiet --disable-pip-version-check \
			--require-hashes --no-deps -r bench/zensical.lock; }
	$(BIN)/python -m generator pages $(SITE_ARGS)
	build/zensical-venv/bin/zensical build --strict -f mkdocs.yml

test: $(TEST_STAMP) $(AXE) lint ## Run every test but the slow fault cases (lint, format and type check included)
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

faults: $(TEST_STAMP) ## Run the whole fault matrix, SIGKILL cases included; ends with a one-line summary
	$(BIN)/python -m pytest tests/faults $(PYTEST_ARGS)

audit: $(TEST_STAMP) ## Check every package pinned in the lock for known vulnerabilities (needs the network)
	$(BIN)/python scripts/audit.py $(TEST_LOCK) $(AUDIT_ARGS)

lint: $(TEST_STAMP) ## Ruff lint and format check, and mypy --strict on generator/
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(TEST_STAMP) ## Apply ruff's formatting and safe fixes
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

lock: $(STAMP) ## Re-resolve both lock files (with hashes) from pyproject.toml (needs the package index)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.9
	$(BIN)/uv pip compile pyproject.toml --python-version 3.11 --generate-hashes -o $(LOCK)
	$(BIN)/uv pip compile pyproject.toml --extra test --python-version 3.11 --generate-hashes \
		-c $(LOCK) -o $(TEST_LOCK)

clean: ## Remove the virtual environment, build output and generated pages
	rm -rf $(VENV) site build .pytest_cache .ruff_cache
	git clean -fdX site_docs
