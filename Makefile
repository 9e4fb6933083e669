# Two commands for a fresh machine with Python 3.11 and npm:
#   make demo   installs everything into .venv (+ node_modules) and starts amtsflow on SQLite (./instance/)
#   make test   installs the same and runs the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: demo test install bench clean

$(VENV)/.installed: pyproject.toml package.json package-lock.json
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed

demo: install
	$(BIN)/amtsflow demo

test: install
	$(BIN)/pytest

bench: install
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/jobs.py
	$(BIN)/python bench/compat.py

clean:
	rm -rf $(VENV) node_modules instance .pytest_cache artifacts
