# Two commands for a fresh machine: `make run` (install, then the baseline ensemble) and
# `make test` (install, then the test suite). The virtual environment lives in .venv/.

# The first interpreter found that is Python >= 3.12 (Mesa 3.5 needs it).
PYTHON ?= $(shell for p in python3.12 python3.13 python3 $$HOME/.pyenv/versions/3.1[2-9]*/bin/python3; do \
	"$$p" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo "$$p"; break; }; done)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install run test lint bench clean

install: $(VENV)/.installed

# compileall writes the package's bytecode, which an editable install does not, and which
# Python cannot write later where PYTHONDONTWRITEBYTECODE is set (as in many containers): each
# command would otherwise compile every module it imports again. `mc11 compile` compiles the
# model's rules for every protocol (numba caches them), so that no first run waits for them.
$(VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { echo "error: Python >= 3.12 not found; install it or pass PYTHON=/path/to/python3.12" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m compileall -q simulation > /dev/null
	$(BIN)/mc11 compile
	@touch $@

run: install
	$(BIN)/mc11 run scenarios/baseline.yaml --plots

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check simulation tests benchmarks

bench: install
	$(BIN)/python benchmarks/bench_ensemble.py

clean:
	rm -rf $(VENV) build *.egg-info
