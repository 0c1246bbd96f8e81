# Berichtenbox console — two commands do all the set-up: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck contracts unit bench clean install screenshots

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Start de console op de ingebouwde standaardinstellingen (SQLite, lokale simulator, demo-werkruimte).
run: $(STAMP)
	$(VENV)/bin/berichtenbox-console

## Alle controles en tests: ruff (lint en format), mypy, importcontracten en pytest (Qt offscreen).
test: $(STAMP)
	$(VENV)/bin/ruff check console tests
	$(VENV)/bin/ruff format --check console tests
	$(VENV)/bin/mypy console
	$(VENV)/bin/lint-imports
	QT_QPA_PLATFORM=$${QT_QPA_PLATFORM:-offscreen} $(PY) -m pytest

## Prestatiemetingen (niet in CI); cijfers in tests/benchmarks/RESULTS.md.
bench: $(STAMP)
	QT_QPA_PLATFORM=$${QT_QPA_PLATFORM:-offscreen} $(PY) -m tests.benchmarks

screenshots: $(STAMP)
	QT_QPA_PLATFORM=$${QT_QPA_PLATFORM:-offscreen} $(PY) -m tests.gui.render_screenshots docs/screenshots

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache
