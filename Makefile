# Two commands on a fresh clone: `make mine` and `make test`.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
REPOS   ?= corpus/list.txt
OUT     ?= out
JOBS    ?= 0

.PHONY: install mine test bench golden eval clean

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

# Semgrep CE, the baseline `make bench` compares with, in a venv of its own
# (best effort: without it, the bench reports the row as skipped).
SEMGREP := .venv-semgrep/bin/semgrep

$(SEMGREP):
	-$(PY) -m venv .venv-semgrep && .venv-semgrep/bin/pip install --quiet semgrep==1.185.0

bench: install $(SEMGREP)
	PATH="$(CURDIR)/.venv-semgrep/bin:$$PATH" $(BIN)/python -m benchmarks.run

# The labelled real-repository benchmark (benchmarks/accuracy/): needs the network,
# or MIRRORS=DIR, a folder of git snapshots of the labelled repositories.
MIRRORS ?=
EVAL_OUT ?= out/eval

eval: install
	$(BIN)/python -m miner eval --out $(EVAL_OUT) --jobs $(JOBS) $(if $(MIRRORS),--mirrors $(MIRRORS))

golden: install  # regenerate tests/golden and the table of libraries in docs/libraries.md
	$(BIN)/python -m tests.golden --write

clean:
	rm -rf $(OUT) .pytest_cache
