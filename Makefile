# framing: every target documents itself; `make help` lists them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help setup report lab test lint corpus validate clean bench-scale bench-query bench-events bench bench-sources bench-provenance bench-report bench-validity bench-near-duplicates bench-coding bench-clean bench-end-to-end

help:  ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV) || { $(PYTHON) -m pip install --user --quiet virtualenv && $(PYTHON) -m virtualenv $(VENV); }
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)  ## Create .venv and install the package with its dependencies (done by every target)

report: $(STAMP)  ## Set up, then run the notebook suite on the seeds into reports/<timestamp>/ and say how to open it
	$(BIN)/framing report

lab: $(STAMP)  ## Install JupyterLab (the `lab` extra) and open the notebook suite
	$(BIN)/pip install --quiet -e '.[dev,lab]'
	$(BIN)/jupyter lab notebooks/ $(if $(filter 0,$(shell id -u)),--allow-root)

test: $(STAMP)  ## Run the full test suite
	$(BIN)/python -m pytest

lint: $(STAMP)  ## ruff check and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check analysis tests

corpus: $(STAMP)  ## Print the cleaned seed articles
	$(BIN)/framing corpus

validate: $(STAMP)  ## Validate the seed corpus
	$(BIN)/framing validate

BENCH_ARTICLES ?= 1000000
bench-scale: $(STAMP)  ## Dask engine, 1 vs 2 workers: every stage on 100,000 articles, then ingest, loaded terms, keyness on BENCH_ARTICLES=1000000 (~2 h)
	$(BIN)/python benchmarks/bench_scale.py --articles 100000 --out data/interim/bench-scale-100k
	$(BIN)/python benchmarks/bench_scale.py --articles $(BENCH_ARTICLES) --ingest-once --stages ingest,loaded,keyness

bench-sources: $(STAMP)  ## Quotations, actor mentions and source measures on 10k synthetic articles: CPU s, articles/s
	$(BIN)/python benchmarks/bench_sources.py --articles 10000

bench-provenance: $(STAMP)  ## Text reuse on 5k synthetic articles with planted edited copies: CPU s per step, recall
	$(BIN)/python benchmarks/bench_provenance.py --articles 5000

bench-near-duplicates: $(STAMP)  ## Near-duplicate check (MinHash + banding vs all pairs) on 2k and 4k synthetic articles with planted edited copies: time, memory, recall
	$(BIN)/python benchmarks/bench_near_duplicates.py --articles 2000 4000

bench-clean: $(STAMP)  ## Reading and cleaning (read_corpus, no cache) 2k synthetic articles and the seed pages x400: MB/s of CPU time
	$(BIN)/python benchmarks/bench_clean.py --articles 2000 --repeat 400

bench-events: $(STAMP)  ## Event grouping on 3k and 20k synthetic articles in planted events: CPU s, peak memory, agreement
	$(BIN)/python benchmarks/bench_events.py --articles 3000 20000

bench-query: $(STAMP)  ## Query index over 100k synthetic articles: build time, then each query (target < 2 s)
	$(BIN)/python benchmarks/bench_query.py --articles 100000

bench-report: $(STAMP)  ## framing report on the seeds with --jobs 1 and 2: wall time per notebook, and what it goes to
	$(BIN)/python benchmarks/bench_report.py

bench-validity: $(STAMP)  ## Validity on ../shared/validation: cleaning on the real dev pages (per split), loaded language vs BABE, PTC, BASIL
	$(BIN)/python benchmarks/bench_validity.py --write-validity

MEASURES_ARTICLES ?= 100000
bench: $(STAMP)  ## Tokens+voice, loaded terms, TF-IDF, keyness vs a naive pipeline on MEASURES_ARTICLES=100000 synthetic articles: MB/s, peak memory
	$(BIN)/python benchmarks/bench_measures.py --articles $(MEASURES_ARTICLES)
	$(BIN)/python benchmarks/bench_coding.py --sentences 3000

bench-end-to-end: $(STAMP)  ## From a CSV as a user runs it: first command (clean + cache + loaded), keyness, terms, vs a naive pipeline; 5k and 100k articles
	$(BIN)/python benchmarks/bench_end_to_end.py --articles 5000 100000

bench-coding: $(STAMP)  ## framing code train (5-fold CV) and apply on 3,000 synthetic sentences, and on BABE when present: CPU s, macro-F1
	$(BIN)/python benchmarks/bench_coding.py --sentences 3000

clean:  ## Remove caches (never data/raw or seeds)
	rm -rf .pytest_cache .ruff_cache build *.egg-info
