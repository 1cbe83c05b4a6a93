# Two commands do everything on a fresh machine:
#   make run    set up, seed a demo store (first time) and open the register
#   make test   set up and run the whole test suite (lint, architecture, types, tests)

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DB ?= demo.db
DEMO_CUSTOMERS ?= 5000
export TILLTERM_DB ?= $(CURDIR)/$(DB)

.PHONY: run test lint bench demo clean catalogs messages

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

run: $(BIN)/.installed
	$(BIN)/tillterm demo --customers $(DEMO_CUSTOMERS)
	$(BIN)/tillterm

demo: $(BIN)/.installed
	$(BIN)/tillterm demo --customers $(DEMO_CUSTOMERS)

lint: $(BIN)/.installed
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest -q
	# the French run: the language is chosen once per process (tillterm/i18n/__init__.py)
	TILLTERM_LANG=fr $(BIN)/python -m pytest -q tests/french

bench: $(BIN)/.installed
	$(BIN)/python bench/run.py

# compile the translations (the build does it too; a checkout compiles them in memory)
catalogs: $(BIN)/.installed
	$(BIN)/python -m tillterm.i18n.catalogs

# every marked text, for a translator (a new language starts from it: pybabel init -i …)
messages: $(BIN)/.installed
	$(BIN)/python -m tillterm.i18n.catalogs extract tillterm.pot

clean:
	rm -rf $(VENV) build dist .pytest_cache .ruff_cache .mypy_cache
