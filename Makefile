# FieldArchive: `make run` sets everything up and starts the app; `make test` sets
# everything up and runs ruff, mypy and the whole suite; `make test-fast` runs the unit and ui tests in parallel.
# All of them create .venv when it is missing.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run lint test test-fast server bench screenshots dist dist-check clean-venv

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "FieldArchive needs Python 3.11 (found " + sys.version.split()[0] + ")")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade "pip==25.3"
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m app.syscheck  # Linux: the system libraries Qt's xcb platform needs (says what to install)
	$(PY) -m app $(ARGS)

# ruff (lint and format, config in pyproject.toml) and mypy (strict on app/models, validation, sync, storage):
# any finding fails `make test` (and so CI, .ci/run) before the tests run.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# The tests keep Python's bytecode (and pytest's rewritten test modules) in __pycache__ even where the
# environment sets PYTHONDONTWRITEBYTECODE (this machine does): without it every xdist worker rewrites
# all test modules again (about 11 s of CPU per worker instead of 5) and every server or command-line
# process the tests start compiles app/ and server/ again. __pycache__ is in .gitignore.
NO_BYTECODE_OFF := PYTHONDONTWRITEBYTECODE=

# The whole suite on TEST_XDIST workers (pytest-xdist; tests sharing a resource stay in one worker
# through an xdist_group mark; each test has its own database and each server process a free port):
# CI's 2 cores run it in about half the serial time. TEST_XDIST=0 runs it in one process.
TEST_XDIST ?= 2
test: lint
	$(NO_BYTECODE_OFF) $(PY) -m pytest -n $(TEST_XDIST) --dist loadgroup $(PYTEST_ARGS)

# unit + ui tests without the `slow` ones (the bench runs, the crash loop), on every core
# (pytest-xdist; tests that share a resource run in one worker through an xdist_group mark).
# The server, sync and PostgreSQL tests and the slow ones stay in `make test`.
XDIST ?= auto
test-fast: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(NO_BYTECODE_OFF) $(PY) -m pytest tests/unit tests/ui -m "not slow" -n $(XDIST) --dist loadgroup $(PYTEST_ARGS)

server: $(STAMP)
	$(PY) -m server serve $(ARGS)

bench: $(STAMP)
	$(PY) -m bench.storage
	$(PY) -m bench.ui
	$(PY) -m bench.sync
	$(PY) -m bench.server
	$(PY) -m bench.scale --customers 50000 --backend postgresql
	$(PY) -m bench.export
	$(PY) -m bench.sheets
	$(PY) -m bench.destruction

screenshots: $(STAMP)
	$(PY) -m tests.screenshots screenshots

dist: $(STAMP)
	$(VENV)/bin/pyinstaller build.spec --noconfirm --clean --log-level WARN

dist-check: dist
	QT_QPA_PLATFORM=offscreen FIELDARCHIVE_HOME=$$(mktemp -d) dist/FieldArchive/FieldArchive-debug --self-test

clean-venv:
	rm -rf $(VENV)
