# One identity for many Django shops. `make help` lists the targets.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PROJECTS := identity_server shared_client project_a project_b
INSTALLED := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help run test test-unit test-client-matrix test-e2e lint fmt check-migrations bench clean \
	install chromium interop-deps dist matrix-venvs test-compose

help: ## Show this help
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(INSTALLED): requirements.txt shared_settings/pyproject.toml shared_client/pyproject.toml \
    project_a/pyproject.toml
	@scripts/install.sh

install: $(INSTALLED) ## Create the virtualenv and install the locked dependencies

run: $(INSTALLED) ## Set up what is missing and run the identity server and both shops (Ctrl-C stops)
	@scripts/dev.sh

test: lint check-migrations test-unit test-client-matrix test-e2e ## Lint, migrations check, unit tests (sso_client on each supported Django too), e2e tests

test-unit: $(INSTALLED) ## Unit tests of each project
	@scripts/test-unit.sh

test-client-matrix: matrix-venvs ## sso_client's unit tests on Django 5.2 LTS (oldest Python found) and 6.1 (Python 3.12)
	@$(PY) scripts/client_matrix.py test

# The fresh-project test (tests/test_fresh_project.py) runs in the matrix virtualenvs too.
test-e2e: $(INSTALLED) chromium interop-deps matrix-venvs ## End-to-end tests over the three live servers, with a real browser
	@$(PY) -m pytest -c tests/pytest.ini tests

test-compose: $(INSTALLED) ## Run the dev and prod compose files for real (Docker), smoke-test them, remove them
	@scripts/compose-test.sh

lint: $(INSTALLED) ## Ruff lint and format check
	@$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

fmt: $(INSTALLED) ## Format and autofix with ruff
	@$(VENV)/bin/ruff format . && $(VENV)/bin/ruff check --fix .

check-migrations: $(INSTALLED) ## Fail when a model change has no migration
	@scripts/check-migrations.sh

# BENCH_ARGS go to the stack bench, e.g. make bench BENCH_ARGS="--users 1000000 --flows 10000".
BENCH_ARGS ?=
bench: $(INSTALLED) ## Benchmarks: passwords, client secrets, user import, the stack on PostgreSQL (CPU per operation)
	@cd identity_server && ../$(PY) ../scripts/bench_passwords.py
	@cd identity_server && ../$(PY) ../scripts/bench.py
	@$(PY) scripts/bench_import.py
	@$(PY) -m bench.run $(BENCH_ARGS)

dist: $(INSTALLED) ## Build sso_client's wheel and sdist into dist/ (checks every template and migration is in)
	@$(PY) scripts/client_dist.py

matrix-venvs: dist ## Virtualenvs under .venv-matrix/ with each supported Django and the wheel just built
	@$(PY) scripts/client_matrix.py venvs

chromium: ## Install Debian's chromium when missing (browser tests)
	@scripts/ensure-chromium.sh

interop-deps: ## npm packages of the interop tests (npm ci when node_modules is missing or stale)
	@scripts/interop-deps.sh

clean: ## Remove local state: virtualenvs, dist/, var/ (databases, dev secrets, keys), test output
	rm -rf $(VENV) .venv-matrix dist var test-output .pytest_cache .ruff_cache \
		tests/interop/node/node_modules
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
