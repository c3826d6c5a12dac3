# Samverkansverkstaden: the two set-up commands are `make start` and `make test`.
# Both create .venv on first use (Python 3.11+ and the package registries are all they need).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export JUPYTER_PLATFORM_DIRS := 1
export PYDEVD_DISABLE_FILE_VALIDATION := 1

HOST ?= 127.0.0.1
PORT ?= 8866
ROOM ?= 30

.PHONY: start lab test lint check bench bench-build bench-workshop bench-attacks browser postgresql hubproxy clean

# Install (or refresh, when pyproject.toml changed) the kit and its test tools.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

## make start: install, then start the workshop server on http://$(HOST):$(PORT)/ (ROOM participants prepared)
start: $(STAMP)
	$(BIN)/samverkan serve --host $(HOST) --port $(PORT) --room-size $(ROOM)

## make lab: install, then open the lessons in JupyterLab for self-study
lab: $(STAMP)
	$(BIN)/samverkan lab --host $(HOST)

## make test: install, then lint and run the whole test suite (content check, unit, notebooks, Voila, JupyterHub)
test: $(STAMP) browser postgresql hubproxy lint
	$(BIN)/samverkan check
	$(BIN)/python -m pytest -n 2 --dist loadfile  # two workers, one per core; loadfile keeps a notebook's nbval cells in one kernel

## make lint: ruff (rules in pyproject.toml), ruff format, mypy on the package, import-linter's layer contracts
lint: $(STAMP)
	$(BIN)/ruff check modules tests bench
	$(BIN)/ruff format --check modules
	$(BIN)/mypy
	$(BIN)/lint-imports

## make check: validate all content files
check: $(STAMP)
	$(BIN)/samverkan check

## make bench: run the benchmarks under bench/ and print the figures
bench: $(STAMP)
	$(BIN)/python bench/startup.py

## make bench-build: a full samverkan build (all lessons x audiences x levels) with 1 and 2 jobs
bench-build: $(STAMP)
	$(BIN)/python bench/build.py

## make bench-workshop: rooms of 1, 10, 50 and 150 participants arriving at the workshop server
bench-workshop: $(STAMP) browser
	$(BIN)/python bench/workshop.py

## make bench-attacks: a room of 100 arriving while each attack of tests/attacks.py runs (about 15 min)
bench-attacks: $(STAMP)
	$(BIN)/python bench/attacks.py

# Debian's chromium for the browser tests (never a browser download).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "Installera Debians chromium först: sudo apt-get install chromium" >&2; exit 1; fi; }

# Debian's PostgreSQL for the PostgreSQL tests. Only the programs are used: the tests start a
# throwaway cluster of their own (initdb + pg_ctl on 127.0.0.1), never Debian's default cluster.
postgresql:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	  else echo "Installera Debians postgresql först: sudo apt-get install postgresql" >&2; exit 1; fi; }

# JupyterHub's proxy for tests/test_jupyterhub.py: configurable-http-proxy from the npm registry,
# installed once into .hubproxy/ (the test runs .hubproxy/node_modules/.bin/configurable-http-proxy).
HUBPROXY_VERSION := 5.3.0
HUBPROXY_STAMP   := .hubproxy/.installed-$(HUBPROXY_VERSION)

hubproxy: $(HUBPROXY_STAMP)

$(HUBPROXY_STAMP):
	@command -v npm >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; \
	  else echo "Installera Debians npm först: sudo apt-get install npm" >&2; exit 1; fi; }
	npm install --silent --no-audit --no-fund --prefix .hubproxy configurable-http-proxy@$(HUBPROXY_VERSION)
	@touch $(HUBPROXY_STAMP)

clean:
	rm -rf $(VENV) .pytest_cache out bygge .hubproxy
