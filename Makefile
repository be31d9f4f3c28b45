# Two commands for a newcomer: `make run` (the app with its demo) and `make test` (the whole suite).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
STANDIN_PORT ?= 8765
WEB_PORT ?= 8000
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/sprintolike
PYTEST_ARGS ?=
# Test processes (pytest-xdist); the suite is built to run in parallel.
PYTEST_WORKERS ?= 2

# The demo: SQLite, the django-q2 ORM broker, and PagerDuty replaced by the local stand-in.
DEMO_ENV := DJANGO_DEBUG=1 \
	PAGERDUTY_API_URL=http://127.0.0.1:$(STANDIN_PORT) \
	PAGERDUTY_EU_API_URL=http://127.0.0.1:$(STANDIN_PORT) \
	PAGERDUTY_IDENTITY_URL=http://127.0.0.1:$(STANDIN_PORT) \
	PAGERDUTY_CLIENT_ID=standin-oauth-client-id \
	PAGERDUTY_CLIENT_SECRET=standin-oauth-client-secret

.PHONY: run test test-sqlite install install-dev browser lint format migrations-check bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	$(DEMO_ENV) $(MANAGE) migrate --noinput
	$(DEMO_ENV) $(MANAGE) setup_schedules
	@echo "Starting the PagerDuty stand-in (:$(STANDIN_PORT)), a django-q2 worker and the web server (:$(WEB_PORT)). Ctrl-C stops all three."
	@# The stand-in and the worker run in their own sessions, so Ctrl-C reaches only the web
	@# server; the trap then stops each of them with one TERM (a second signal while django-q2
	@# stops its worker processes leaves it hanging).
	@trap 'trap - INT TERM EXIT; kill $$standin $$worker 2>/dev/null; wait' INT TERM EXIT; \
	$(DEMO_ENV) setsid $(MANAGE) pagerduty_standin --port $(STANDIN_PORT) --seed 1 & standin=$$!; \
	$(DEMO_ENV) $(MANAGE) seed_demo --seed 1 --standin-url http://127.0.0.1:$(STANDIN_PORT) || exit 1; \
	$(DEMO_ENV) setsid $(MANAGE) qcluster & worker=$$!; \
	$(DEMO_ENV) $(MANAGE) runserver 127.0.0.1:$(WEB_PORT)

# Debian's Chromium for the browser tests (Playwright cannot download its own browser here).
browser:
	@command -v chromium >/dev/null || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
		else echo "Install Debian's chromium package (sudo apt-get install chromium) for the browser tests."; exit 1; fi; }

test: install-dev browser
	DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)
	$(if $(PYTEST_ARGS),,$(MAKE) --no-print-directory test-sqlite)

# The demo runs on SQLite: the pages, checks and API again on it (about a minute), so SQL that
# only PostgreSQL understands cannot reach `make run`.
SQLITE_TEST_PATHS ?= tests/access tests/spend tests/incidents tests/checks tests/api tests/tenants
test-sqlite: install-dev
	env -u DATABASE_URL $(BIN)/pytest -n $(PYTEST_WORKERS) $(SQLITE_TEST_PATHS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrations-check: install-dev
	DJANGO_DEBUG=1 $(MANAGE) makemigrations --check --dry-run

# The heavy benchmarks (minutes each; each recreates or fills its own database on the server of
# TEST_DATABASE_URL): sync cost and check evaluation, the sync at PagerDuty's rate limit with
# 150 ms answers, pages at 200,000 incidents, and 50 users on gunicorn.
BENCH_SERVER := $(patsubst %/sprintolike,%,$(TEST_DATABASE_URL))
bench: install-dev
	$(BIN)/pip install --quiet -r requirements-bench.txt
	DATABASE_URL=$(TEST_DATABASE_URL) DJANGO_DEBUG=1 $(BIN)/python -m bench.run
	DATABASE_URL=$(TEST_DATABASE_URL) DJANGO_DEBUG=1 $(BIN)/python -m bench.rate_limited
	DATABASE_URL=$(BENCH_SERVER)/sprintolike_bench_pages DJANGO_DEBUG=1 $(BIN)/python -m bench.pages
	DATABASE_URL=$(BENCH_SERVER)/sprintolike_bench_web DJANGO_DEBUG=1 $(BIN)/python -m bench.web_load

clean:
	rm -rf $(VENV) test-output .pytest_cache
