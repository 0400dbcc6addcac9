# Fieldday: `make run` serves the app with demo data on SQLite; `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
# Demo only: every demo user (admin, manager, rep1..rep4) gets this password.
DEMO_PASSWORD ?= fieldday-demo

.PHONY: run test test-dates bench fuzz fuzz-sync install install-test chromium clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

run: install
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/flask --app wsgi seed-demo --if-empty --password '$(DEMO_PASSWORD)'
	$(BIN)/flask --app wsgi run --host $(HOST) --port $(PORT)

# The browser tests drive Debian's Chromium; install it when missing and we may (root).
chromium:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && apt-get update -qq \
		&& DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
		|| echo "Chromium is missing: apt-get install -y chromium (browser tests skip; under CI=true they fail)"

test: install-test chromium
	$(BIN)/python -m pytest

# The suite again with the server's and the browser's clock moved to the dates that break calendars:
# a new year, a leap day, and half an hour before midnight on New Year's Eve in Shanghai (on SQLite,
# and on PostgreSQL too when TEST_DATABASE_URL is set, as in CI).
CLOCK_DATES ?= 2027-01-01T00:00:00+08:00 2028-02-29T09:00:00+08:00 2026-12-31T23:30:00+08:00
test-dates: install-test chromium
	@for at in $(CLOCK_DATES); do echo "== the suite with the clock at $$at"; \
		SYNC_FUZZ_SCHEDULES=$${SYNC_FUZZ_SCHEDULES:-100} $(BIN)/python -m pytest -q --clock $$at || exit 1; done

bench: install-test chromium
	$(BIN)/python -m pytest tests/benchmarks -m benchmark -s -q

fuzz: install-test  # a larger Schemathesis run than `make test` makes (SCHEMATHESIS_EXAMPLES per operation)
	SCHEMATHESIS_EXAMPLES=$${SCHEMATHESIS_EXAMPLES:-60} $(BIN)/python -m pytest tests/server/test_schemathesis.py -s -q

fuzz-sync: install-test  # the sync fault-injection test alone, with more schedules than `make test` runs
	SYNC_FUZZ_SCHEDULES=$${SYNC_FUZZ_SCHEDULES:-1000} $(BIN)/python -m pytest tests/sync/test_fault_injection.py -q

clean:
	rm -rf $(VENV) .pytest_cache
