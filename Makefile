# `make demo` runs the whole package on the bundled toy data; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
VENV_PYTHON := $(VENV)/bin/python

.PHONY: test

$(VENV)/installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV_PYTHON) -m pip install --quiet --upgrade pip
	$(VENV_PYTHON) -m pip install --quiet -r requirements.txt
	touch $@

test: $(VENV)/installed
	TF_CPP_MIN_LOG_LEVEL=2 $(VENV_PYTHON) -m pytest -q tests
