# Fieldday: `make run` serves the app with demo data on SQLite; `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
# Demo only: every demo user (admin, manager, rep1..rep4) gets this password.
DEMO_PASSWORD ?= fieldday-demo

.PHONY: run test test-dates bench install-bench fuzz fuzz-sync prod-check lint install install-test chromium nginx clean

# The installed packages are stamped with a hash of pyproject.toml: a venv kept from an earlier run (CI keeps
# one per hash outside the clone, see .ci/run) is reused as long as the pins have not changed.
DEPS_HASH := $(shell sha256sum pyproject.toml | cut -c1-12)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed-$(DEPS_HASH): | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test-$(DEPS_HASH): | $(VENV)/.installed-$(DEPS_HASH)
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# A reused venv's editable install may point at another checkout: point it here (seconds, no downloads).
build/.editable-here: $(VENV)/.installed-$(DEPS_HASH)
	@[ "$$(cd / && $(abspath $(BIN))/python -c 'import os, server; print(os.path.dirname(os.path.dirname(server.__file__)))')" = "$(CURDIR)" ] \
		|| $(BIN)/pip install --quiet --no-deps -e .
	@mkdir -p build && touch $@

# The routing benchmarks' peer VROOM (PyVRP, the other, is a dependency of the optimiser): `make bench` only, never the app or the tests.
$(VENV)/.installed-bench-$(DEPS_HASH): | $(VENV)/.installed-test-$(DEPS_HASH)
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $@

install: $(VENV)/.installed-$(DEPS_HASH) build/.editable-here
install-test: install $(VENV)/.installed-test-$(DEPS_HASH)
install-bench: install-test $(VENV)/.installed-bench-$(DEPS_HASH)

run: install
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/flask --app wsgi seed-demo --if-empty --password '$(DEMO_PASSWORD)'
	$(BIN)/flask --app wsgi run --host $(HOST) --port $(PORT)

# The browser tests drive Debian's Chromium; install it when missing and we may (root), with a CJK font so
# the zh-CN screens (and their screenshots in tests/artefacts/) show Chinese, not empty boxes.
chromium:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && apt-get update -qq \
		&& DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
		|| echo "Chromium is missing: apt-get install -y chromium (browser tests skip; under CI=true they fail)"
	@fc-list :lang=zh 2>/dev/null | grep -q . || { [ "$$(id -u)" = 0 ] \
		&& apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null; } \
		|| echo "No Chinese font: apt-get install -y fonts-noto-cjk (zh-CN screenshots show boxes)"

# Two pytest-xdist workers (one SQLite file and one PostgreSQL database each; a browser module's tests stay
# on one worker with its live server). PYTEST_WORKERS=0 runs in one process.
PYTEST_WORKERS ?= 2
XDIST := $(if $(filter 0,$(PYTEST_WORKERS)),-p no:xdist,-n $(PYTEST_WORKERS) --dist loadgroup)

test: install-test chromium
	$(BIN)/python -m pytest $(XDIST) --durations=25

# The calendar tests (marked `calendar`: their answers depend on the date; a test that reads the clock
# without the mark fails) again, with the server's and the browser's clock moved to the dates that break
# calendars: a new year, a leap day, and half an hour before midnight on New Year's Eve in Shanghai (on
# SQLite, and on PostgreSQL too when TEST_DATABASE_URL is set, as in CI).
CLOCK_DATES ?= 2027-01-01T00:00:00+08:00 2028-02-29T09:00:00+08:00 2026-12-31T23:30:00+08:00
test-dates: install-test chromium
	@for at in $(CLOCK_DATES); do echo "== the calendar tests with the clock at $$at"; \
		SYNC_FUZZ_SCHEDULES=$${SYNC_FUZZ_SCHEDULES:-30} $(BIN)/python -m pytest $(XDIST) -q -m calendar --clock $$at \
		|| exit 1; done

# Lighthouse (pinned in tests/benchmarks/lighthouse/, run in Debian's Chromium) is installed for the benchmarks
# only, so that `make lint` installs no more than its linters.
LIGHTHOUSE_DIR := tests/benchmarks/lighthouse
$(LIGHTHOUSE_DIR)/node_modules/.installed: $(LIGHTHOUSE_DIR)/package.json $(LIGHTHOUSE_DIR)/package-lock.json
	npm ci --prefix $(LIGHTHOUSE_DIR) --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

bench: install-bench chromium $(LIGHTHOUSE_DIR)/node_modules/.installed
	$(BIN)/python -m pytest -p no:xdist tests/benchmarks -m benchmark -s -q

# Schemathesis with every check and every phase (examples, coverage, fuzzing, stateful) over the OpenAPI
# document, as a rep and as a manager, on SQLite and (TEST_DATABASE_URL set) PostgreSQL: SCHEMATHESIS_EXAMPLES
# cases per operation and phase. `make test` runs the same test bounded (2 cases, no coverage phase).
fuzz: install-test
	SCHEMATHESIS_EXAMPLES=$${SCHEMATHESIS_EXAMPLES:-20} SCHEMATHESIS_PHASES=examples,coverage,fuzzing,stateful \
		$(BIN)/python -m pytest -p no:xdist tests/server/test_schemathesis.py -s -q

# The sync fault-injection test alone, 1,000 schedules per database (the databases side by side), from a new
# seed each run unless SYNC_FUZZ_SEED is set; the seed is printed, and a failure says how to reproduce it.
fuzz-sync: install-test
	@seed=$${SYNC_FUZZ_SEED:-$$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}; \
		echo "== sync fault injection: $${SYNC_FUZZ_SCHEDULES:-1000} schedules per database from seed $$seed"; \
		SYNC_FUZZ_SEED=$$seed SYNC_FUZZ_SCHEDULES=$${SYNC_FUZZ_SCHEDULES:-1000} \
		$(BIN)/python -m pytest $(XDIST) -q tests/sync/test_fault_injection.py

# The production kit of deploy/ on this machine (two to four minutes; not part of `make test`): nginx with a
# self-signed certificate, gunicorn, a Celery worker and beat as the systemd units run them, on a database of
# its own on the PostgreSQL at 127.0.0.1:5432 and the Redis at 127.0.0.1:6379; HTTPS, the login throttle
# behind the proxy, a visit synced from Chromium, a backup and a restore (deploy/prod_check.py). Installs
# Debian's nginx when it is missing and we may (root); everything it starts is stopped at the end.
nginx:
	@command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || { [ "$$(id -u)" = 0 ] && apt-get update -qq \
		&& DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; } \
		|| echo "nginx is missing: apt-get install -y nginx (make prod-check needs it)"

prod-check: install-test chromium nginx
	$(BIN)/python deploy/prod_check.py

# Seconds-long checks before the suite: Python lint and format (ruff), the field app's JavaScript (ESLint,
# pinned in package.json, installed into node_modules/ without a global install).
node_modules/.installed: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

lint: install-test node_modules/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	npx --no-install eslint pwa

clean:
	rm -rf $(VENV) .pytest_cache build/.editable-here node_modules $(LIGHTHOUSE_DIR)/node_modules
