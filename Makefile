# The set-up commands. `make demo` and `make test` are the two commands in the README.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint bench-qa bench-summaries bench-topics bench-refresh bench-ingest bench-scale bench-busy clean

setup: $(STAMP)

# Pinned CPU torch goes in first, so sentence-transformers does not pull a CUDA build.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $(STAMP)

demo: setup
	$(BIN)/citebot index
	$(BIN)/citebot ask "What did Macron suggest?"
	$(BIN)/citebot ask "How many air defence missiles can Kyiv buy?"

test: setup lint
	$(BIN)/python -m pytest -q

# Formatting and lint (ruff, pinned in the test extras); `make test` runs it first.
lint: setup
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

bench-qa: setup
	$(BIN)/python benchmarks/qa.py $(ARGS)

bench-summaries: setup
	$(BIN)/python benchmarks/summaries.py $(ARGS)

bench-topics: setup
	$(BIN)/python benchmarks/topics.py $(ARGS)

bench-refresh: setup
	$(BIN)/python benchmarks/refresh.py $(ARGS)

bench-ingest: setup
	$(BIN)/python benchmarks/ingest.py $(ARGS)

# Growth with collection size (10k and 100k sentences; ARGS="--sizes 1000000" for 1M).
bench-scale: setup
	nice -n 10 $(BIN)/python benchmarks/scale.py $(ARGS)

# A question's encoding on a host whose cores other processes keep busy, by OpenMP wait policy.
bench-busy: setup
	$(BIN)/python benchmarks/busy_host.py $(ARGS)

# .citebot holds the default index and the state database (votes, audit log).
clean:
	rm -rf $(VENV) .citebot .pytest_cache .ruff_cache .hypothesis
