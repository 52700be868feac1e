# The template's own commands. Both create .venv themselves: a fresh machine needs only
# Python 3.11, git and make.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
# Tests run in parallel on every core; override with `make test PYTEST_ARGS=...`.
PYTEST_ARGS ?= -n auto
# checkov pins packaging<24, which pytest 9 cannot use: it gets a virtual environment of its own.
CHECKOV_VENV ?= .venv-checkov

.DEFAULT_GOAL := help
.PHONY: help demo test test-fast golden lint readme clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip==26.3
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

demo: $(VENV)/.installed ## Generate a project with default answers under build/ and run its main job
	$(BIN)/cookiecutter --no-input --overwrite-if-exists --output-dir build .
	$(MAKE) -C build/$$($(BIN)/python tools/default_slug.py) setup demo

$(CHECKOV_VENV)/.installed: requirements-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --upgrade pip==26.3
	$(CHECKOV_VENV)/bin/python -m pip install --quiet -r requirements-checkov.txt
	touch $@

test: $(VENV)/.installed $(CHECKOV_VENV)/.installed ## Run every test of the template
	CHECKOV=$(CURDIR)/$(CHECKOV_VENV)/bin/checkov $(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: $(VENV)/.installed ## Every test not marked slow (fresh venvs, Terraform, checkov): under 3 minutes
	$(BIN)/python -m pytest $(PYTEST_ARGS) -m "not slow"

golden: $(VENV)/.installed ## Rewrite tests/golden/ (files each render holds) from renders; review with git diff
	$(BIN)/python -m tests.golden --write

lint: $(VENV)/.installed ## Lint the template's own Python
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

readme: $(VENV)/.installed ## Regenerate the options table in README.md from cookiecutter.json
	$(BIN)/python tools/options_table.py --write

clean: ## Remove build outputs and the virtual environment
	rm -rf $(VENV) $(CHECKOV_VENV) build .pytest_cache .ruff_cache
