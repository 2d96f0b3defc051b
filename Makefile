# The README's commands. `make run` and `make test` do all the set-up on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# The dataset: $IMDB_SENTIMENT_DATA if set, else ../shared/data/aclImdb.tar.gz when it exists,
# else the canonical archive is downloaded and verified into ~/.cache/imdb-sentiment.
SHARED_DATA := $(wildcard $(CURDIR)/../shared/data/aclImdb.tar.gz)
export IMDB_SENTIMENT_DATA ?= $(SHARED_DATA)
OUTPUT ?= runs/classic

.PHONY: run test test-real bench lint install clean

$(BIN)/imdb-sentiment: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	@touch $@

install: $(BIN)/imdb-sentiment

run: install  ## get the data, train the classic model, show the results
	$(BIN)/imdb-sentiment data
	$(BIN)/imdb-sentiment train --output $(OUTPUT) --force
	@echo "Results: $(OUTPUT)/metrics.json and the curves in $(OUTPUT)/curves.png"

test: install  ## the whole suite (real-data checks skip without ../shared/data)
	$(BIN)/python -m pytest -q

test-real: install  ## the suite plus the tests that train on the real archive
	$(BIN)/python -m pytest -q --real-data

bench: install  ## benchmarks: one JSON document and a table
	$(BIN)/python -m bench.run

lint: install
	$(BIN)/ruff check src tests bench

clean:
	rm -rf $(VENV) runs .pytest_cache
