# The two quickstart commands are `make run` and `make test`; `make` alone lists every target.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip install --quiet --quiet --disable-pip-version-check
FLASK := $(BIN)/flask --app tracker

.DEFAULT_GOAL := help
.PHONY: help run test lint clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

run: $(VENV)/.installed ## Install, migrate, load the demo clinic once, serve at http://127.0.0.1:5000
	$(BIN)/pybabel -q compile -d tracker/translations
	$(FLASK) db upgrade
	$(FLASK) demo
	@echo "Serving the tracker at http://127.0.0.1:5000 (Ctrl+C stops it)."
	SCHEDULER_EMBEDDED=1 $(FLASK) run --host 127.0.0.1 --port 5000

test: $(VENV)/.installed-test ## Install the test tools and run the whole test suite (SQLite)
	$(BIN)/pybabel -q compile -d tracker/translations
	$(BIN)/pytest || [ $$? -eq 5 ]

lint: $(VENV)/.installed-test ## Check and format the code with ruff
	$(BIN)/ruff check --fix . && $(BIN)/ruff format .

clean: ## Remove the virtual environment (the database in instance/ stays)
	rm -rf $(VENV)

# The pip installs run again only when pyproject.toml changes (the stamp files say when).
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(PIP) -e ".[test]"
	@touch $@ $(VENV)/.installed

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "Python 3.11 or newer is needed (set PYTHON=python3.12 for example)."; exit 1; }
	$(PYTHON) -m venv $(VENV)
