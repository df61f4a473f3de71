# Altseason Watch. `make help` lists the targets; the README documents each variable.
# Every target creates or refreshes the local virtual environment (.venv) from the lock file.

PYTHON ?= python3
VENV ?= .venv
LOCK ?= requirements.lock
# Extra options for the generator commands of site, site-replay, pages, fetch and site-zensical
# (e.g. SITE_ARGS="--as-of 2025-12-05").
SITE_ARGS ?=
# Extra options for pytest (e.g. PYTEST_ARGS="-k archive -x").
PYTEST_ARGS ?=
# Extra options for pip-audit in `make audit` (e.g. AUDIT_ARGS="--vulnerability-service osv").
AUDIT_ARGS ?=
# The replay folder of real Yahoo history used by `make seed` and `make site-replay`.
REPLAY_DIR ?= ../shared/data/prices
# The week `make seed` backfills the committed ledger through (the newest week the replay
# data covers for the Russell 2000).
SEED_AS_OF ?= 2026-02-20

BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# axe-core for the accessibility checks of the browser tests (npm; skipped without npm).
AXE := tests/browser/node_modules/axe-core/axe.min.js

.DEFAULT_GOAL := help
.PHONY: help venv site site-replay pages fetch seed test lint format lock clean faults audit bench site-zensical

help: ## Show the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*## "}; {printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): $(LOCK) pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r $(LOCK)
	touch $(STAMP)

venv: $(STAMP) ## Create or refresh .venv from the lock file

$(AXE): tests/browser/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix tests/browser --no-audit --no-fund --silent; \
	else echo "npm not found: the accessibility (axe-core) checks will be skipped"; fi

site: $(STAMP) ## Build the whole site into site/ (fetch from Yahoo, or use the cache if offline)
	$(BIN)/python -m generator site $(SITE_ARGS)

site-replay: $(STAMP) ## Build the site from the replay folder, offline, into scratch dirs
	$(BIN)/python -m generator site --prices-dir $(REPLAY_DIR) --offline \
		--data-dir build/replay/data --docs-dir build/replay/docs --site-dir build/replay/site $(SITE_ARGS)

pages: $(STAMP) ## Fetch, record the week's verdict and write site_docs/ (no MkDocs build)
	$(BIN)/python -m generator pages $(SITE_ARGS)

fetch: $(STAMP) ## Refresh the price cache in data/prices/
	$(BIN)/python -m generator fetch $(SITE_ARGS)

seed: $(STAMP) ## Re-create the committed data/ from the replay folder (what the weekly job would fetch)
	rm -rf data/prices data/extra data/verdicts.jsonl
	$(BIN)/python -m generator pages --prices-dir $(REPLAY_DIR) --offline --as-of $(SEED_AS_OF)

bench: $(STAMP) ## Benchmark the weekly job against a bare MkDocs build (~10 min); writes bench/results.md
	$(BIN)/python bench/run.py $(BENCH_ARGS)

site-zensical: $(STAMP) ## Optional: write site_docs/, then build site/ with Zensical (own venv in build/)
	test -x build/zensical-venv/bin/zensical || { $(PYTHON) -m venv build/zensical-venv && \
		build/zensical-venv/bin/python -m pip install --quiet --disable-pip-version-check zensical==0.0.73; }
	$(BIN)/python -m generator pages $(SITE_ARGS)
	build/zensical-venv/bin/zensical build --strict -f mkdocs.yml

test: $(STAMP) $(AXE) lint ## Run every test but the slow fault cases (lint and format check included)
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

faults: $(STAMP) ## Run the whole fault matrix, SIGKILL cases included; ends with a one-line summary
	$(BIN)/python -m pytest tests/faults $(PYTEST_ARGS)

audit: $(STAMP) ## Check every package pinned in the lock for known vulnerabilities (needs the network)
	$(BIN)/python scripts/audit.py $(LOCK) $(AUDIT_ARGS)

lint: $(STAMP) ## Ruff lint and format check, and mypy --strict on generator/
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP) ## Apply ruff's formatting and safe fixes
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

lock: $(STAMP) ## Re-resolve requirements.lock from pyproject.toml (needs the package index)
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra test --python-version 3.11 -o $(LOCK)

clean: ## Remove the virtual environment, build output and generated pages
	rm -rf $(VENV) site build .pytest_cache .ruff_cache
	git clean -fdX site_docs
