# Two commands on a fresh clone: `make mine` and `make test`.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
REPOS   ?= corpus/list.txt
OUT     ?= out
JOBS    ?= 0

.PHONY: install mine test bench golden clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

mine: install
	$(BIN)/python -m miner mine --repos $(REPOS) --out $(OUT) --jobs $(JOBS)

test: install
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python -m benchmarks.run

golden: install  # regenerate tests/golden and the README table of libraries
	$(BIN)/python -m tests.golden --write

clean:
	rm -rf $(OUT) .pytest_cache
