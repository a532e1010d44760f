# One identity for many Django shops. `make help` lists the targets.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PROJECTS := identity_server shared_client project_a project_b
INSTALLED := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help run test test-unit test-e2e lint fmt check-migrations bench clean install chromium \
	interop-deps

help: ## Show this help
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(INSTALLED): requirements.txt shared_client/pyproject.toml project_a/pyproject.toml
	@scripts/install.sh

install: $(INSTALLED) ## Create the virtualenv and install the locked dependencies

run: $(INSTALLED) ## Set up what is missing and run the identity server and both shops (Ctrl-C stops)
	@scripts/dev.sh

test: lint check-migrations test-unit test-e2e ## Lint, migrations check, unit and end-to-end tests

test-unit: $(INSTALLED) ## Unit tests of each project
	@scripts/test-unit.sh

test-e2e: $(INSTALLED) chromium interop-deps ## End-to-end tests over the three live servers, with a real browser
	@$(PY) -m pytest -c tests/pytest.ini tests

lint: $(INSTALLED) ## Ruff lint and format check
	@$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

fmt: $(INSTALLED) ## Format and autofix with ruff
	@$(VENV)/bin/ruff format . && $(VENV)/bin/ruff check --fix .

check-migrations: $(INSTALLED) ## Fail when a model change has no migration
	@scripts/check-migrations.sh

bench: $(INSTALLED) ## Benchmarks (medians and ratios): passwords, client secrets, user import (100k users)
	@cd identity_server && ../$(PY) ../scripts/bench_passwords.py
	@cd identity_server && ../$(PY) ../scripts/bench.py
	@$(PY) scripts/bench_import.py

chromium: ## Install Debian's chromium when missing (browser tests)
	@scripts/ensure-chromium.sh

interop-deps: ## npm packages of the interop tests (npm ci when node_modules is missing or stale)
	@scripts/interop-deps.sh

clean: ## Remove local state: virtualenv, var/ (databases, dev secrets, keys), test output
	rm -rf $(VENV) var test-output .pytest_cache .ruff_cache tests/interop/node/node_modules
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
