# Berichtenbox console — two commands do all the set-up: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck contracts unit bench clean install screenshots package package-check

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

## Bevroren build (PyInstaller, één map) in dist/berichtenbox-console/; duurt minuten, niet in make test of CI.
PACKAGE_STAMP := $(VENV)/.installed-package

$(PACKAGE_STAMP): pyproject.toml $(STAMP)
	$(PY) -m pip install --quiet -e '.[package]'
	touch $(PACKAGE_STAMP)

package: $(PACKAGE_STAMP)
	$(VENV)/bin/pyinstaller --noconfirm --clean --distpath dist --workpath build/pyinstaller \
		packaging/berichtenbox-console.spec

## De self-test van de bevroren build (na make package); exitcode 0 als alles in orde is.
package-check:
	packaging/selftest.sh dist/berichtenbox-console

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache
