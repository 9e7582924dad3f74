# Pipeline CRM: developer and CI entry points. GNU make; `make help` lists the targets.
#
# On a fresh clone `make run` and `make test` need nothing but Python 3.11+ and make:
# the first target that needs it creates .venv and installs the project with its dev tools.

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV ?= .venv
PYTHON := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
SEED_ARGS ?= --if-empty

# The first of these that is Python 3.11 or newer builds the virtualenv (override: make PYTHON3=...).
ifeq ($(origin PYTHON3),undefined)
PYTHON3 := $(shell for candidate in python3 python3.13 python3.12 python3.11; do \
	if command -v $$candidate >/dev/null 2>&1 && \
	   $$candidate -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; then \
		command -v $$candidate; break; \
	fi; done)
endif

# Local commands default to DEBUG=true: no SECRET_KEY needed, console e-mail, no HTTPS.
# Export DEBUG=false (and SECRET_KEY) to run them against production settings.
DEV_ENV := DEBUG=$${DEBUG:-true}

.PHONY: help install lock run test lint format migrate seed nightly worker beat bench clean

help:
	@echo "Pipeline CRM"
	@echo "  make run      demo on http://$(HOST):$(PORT)/ (SQLite unless DATABASE_URL is set, demo data)"
	@echo "  make test     lint, then the whole test suite"
	@echo "  make install  create $(VENV) and install the locked dependencies with the dev tools"
	@echo "  make lock     re-resolve requirements/*.txt from pyproject.toml (needs the package index)"
	@echo "  make lint     ruff check, ruff format --check (and mypy where configured)"
	@echo "  make format   ruff format and ruff check --fix"
	@echo "  make migrate  apply database migrations"
	@echo "  make seed     demo data into an empty database (SEED_ARGS='--flush --deals 20000')"
	@echo "  make nightly  the nightly jobs and digests now, without Celery (NIGHTLY_ARGS='--date 2026-11-23')"
	@echo "  make worker   Celery worker (needs Redis: REDIS_URL)"
	@echo "  make beat     Celery beat scheduler (needs Redis: REDIS_URL)"
	@echo "  make bench    benchmarks (never part of make test)"
	@echo "  make clean    remove caches, collected static files and artifacts (keeps db.sqlite3)"

install: $(STAMP)

# The lock files pin every package with its hashes: the same versions on every machine, in CI
# and in the image. pyproject.toml says what we need; `make lock` turns it into the pins.
LOCK := requirements/development.txt

$(STAMP): $(LOCK)
	@if [ -z "$(PYTHON3)" ] || ! $(PYTHON3) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then \
		echo "error: Python 3.11 or newer is required, but no python3 (3.11+) was found on PATH." >&2; \
		echo "       Install it (Debian/Ubuntu: apt-get install python3 python3-venv) or run" >&2; \
		echo "       make PYTHON3=/path/to/python3.11 ..." >&2; \
		exit 1; \
	fi
	@echo "==> Creating $(VENV) with $(PYTHON3) ($$($(PYTHON3) --version 2>&1))"
	@$(PYTHON3) -m venv $(VENV) || { \
		echo "error: '$(PYTHON3) -m venv' failed; on Debian/Ubuntu install python3-venv." >&2; exit 1; }
	$(PYTHON) -m pip install --quiet --require-hashes --no-deps -r $(LOCK)
	@touch $@

# pip-compile resolves for the Python running it (3.11, the oldest we support); both files
# carry the hashes of every wheel and sdist of each pinned release, for any platform.
lock: install
	$(VENV)/bin/pip-compile --quiet --strip-extras --generate-hashes --allow-unsafe \
		--no-emit-index-url --no-emit-find-links -o requirements/production.txt pyproject.toml
	$(VENV)/bin/pip-compile --quiet --strip-extras --generate-hashes --allow-unsafe \
		--no-emit-index-url --no-emit-find-links --extra dev \
		-o requirements/development.txt pyproject.toml

run: install
	DEBUG=true $(PYTHON) manage.py migrate --noinput --verbosity 0
	DEBUG=true $(PYTHON) manage.py seed_demo --if-empty
	@# Tonight's flags and notifications, so the bell and My day have something to show.
	DEBUG=true $(PYTHON) manage.py run_nightly --no-digest --verbosity 0
	@echo
	@echo "==> Pipeline CRM: http://$(HOST):$(PORT)/  (sign in with a demo login above; Ctrl+C stops)"
	@echo
	DEBUG=true $(PYTHON) manage.py runserver $(HOST):$(PORT)

# pytest exits 5 when it collects no tests: that fails the target, as it should.
# One test process per core (TEST_PROCESSES=1 for one process); each has its own test
# database, its own Celery queue and, for the browser tests, its own server and Chromium.
TEST_PROCESSES ?= auto
test: lint
	$(PYTHON) -m pytest -n $(TEST_PROCESSES) $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	@if grep -q '^\[tool\.mypy\]' pyproject.toml; then \
		echo "$(VENV)/bin/mypy"; $(VENV)/bin/mypy; fi

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

migrate: install
	$(DEV_ENV) $(PYTHON) manage.py migrate --noinput

seed: migrate
	$(DEV_ENV) $(PYTHON) manage.py seed_demo $(SEED_ARGS)

nightly: migrate
	$(DEV_ENV) $(PYTHON) manage.py run_nightly $(NIGHTLY_ARGS)

worker: install
	$(DEV_ENV) $(VENV)/bin/celery -A crm worker --loglevel=INFO

beat: install
	$(DEV_ENV) $(VENV)/bin/celery -A crm beat --loglevel=INFO --schedule=$(VENV)/celerybeat-schedule

bench: install
	@if [ -f bench/__main__.py ]; then \
		echo "$(PYTHON) -m bench $(BENCH_ARGS)"; $(PYTHON) -m bench $(BENCH_ARGS); \
	else \
		echo "No benchmarks exist yet (bench/__main__.py is missing)."; \
	fi

clean:
	rm -rf .pytest_cache .ruff_cache .mypy_cache staticfiles artifacts *.egg-info build dist
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
