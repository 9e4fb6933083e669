# Two commands for a fresh machine with Python 3.11 and npm:
#   make demo   installs everything into .venv (+ node_modules) and starts amtsflow on SQLite (./instance/)
#   make test   installs the same and runs the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: demo test install bench fuzz clean

$(VENV)/.installed: pyproject.toml package.json package-lock.json
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	# bytecode for our own packages now: where PYTHONDONTWRITEBYTECODE is set, every command
	# would compile them again (about 0.05 s of each `amtsflow` command)
	$(BIN)/python -m compileall -q engine webui connectors > /dev/null
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed

demo: install
	$(BIN)/amtsflow demo

test: install
	$(BIN)/pytest -n logical --maxprocesses=4 --durations=15

bench: install
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/jobs.py
	$(BIN)/python bench/inbox.py
	$(BIN)/python bench/compat.py

# Property-based API fuzzing over /api/v1/openapi.json with every role's token, longer than the
# bounded run in the suite and with a fresh random seed each time; prints requests and 5xx.
# PostgreSQL too when AMTSFLOW_TEST_POSTGRES_URL is set. FUZZ_EXAMPLES: examples per operation and role.
FUZZ_EXAMPLES ?= 100
fuzz: install
	AMTSFLOW_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) AMTSFLOW_FUZZ_RANDOM=1 $(BIN)/pytest tests/security/test_api_fuzz.py -q -s -p no:logging

clean:
	rm -rf $(VENV) node_modules instance .pytest_cache artifacts
