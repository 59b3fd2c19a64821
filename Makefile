# 阳光村务: `make run` sets up everything and serves 127.0.0.1:8000; `make test` runs ruff and the suite.
PYTHON ?= python3
# The suite runs on every core (pytest-xdist); PYTEST_ARGS= runs it in one process.
PYTEST_ARGS ?= -n auto
VENV ?= .venv
BIN := $(VENV)/bin
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk gettext chromium poppler-utils npm
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run install system-packages migrate seed serve test test-sqlite test-postgres lint bench clean

run: install migrate seed serve

# A package counts as present when dpkg has it or a command of its name exists: npm often comes with a
# Node.js package of its own (NodeSource's nodejs), beside which Debian's npm package cannot be installed.
system-packages:
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || command -v $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing system packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; fi

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $@

# axe-core for the browser tests, pinned in package-lock.json (test-only: never served to residents).
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: system-packages $(VENV)/.installed node_modules/.installed
	$(BIN)/python manage.py compilemessages -v0 --ignore=.venv

migrate: install
	$(BIN)/python manage.py migrate -v0

seed: migrate
	$(BIN)/python manage.py seed_demo

# The server and a background worker side by side (the worker also runs `tick` every minute, so no cron is needed
# here); Ctrl-C stops both.
serve:
	@$(BIN)/python manage.py worker --tick-every 60 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python manage.py runserver 127.0.0.1:8000

lint: install
	$(BIN)/ruff check .

test: lint
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

bench: install
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) var db.sqlite3 node_modules
