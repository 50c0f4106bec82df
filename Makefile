# start.integration portal. `make run` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app orders
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test test-postgres lint audit setup db clean bench bench-smoke

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $@

setup: $(VENV)/.installed

db: setup
	$(FLASK) db upgrade
	$(FLASK) seed gemeinden
	$(FLASK) seed katalog
	$(FLASK) seed tarife
	$(FLASK) demo
	$(FLASK) seed dokumente

## Set up and serve the portal on the embedded default (SQLite, no mail server) with demo data.
run: db
	@echo "Portal: http://$(HOST):$(PORT)  (Mails: Postausgang im Kanton-Bereich)"
	$(FLASK) run --host $(HOST) --port $(PORT)

## Run the test suite (SQLite; also PostgreSQL when TEST_DATABASE_URL is set).
test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check orders tests bench
	$(BIN)/ruff format --check orders tests bench
	$(BIN)/bandit -q -c pyproject.toml -r orders

## Known vulnerabilities in the installed dependencies (needs the PyPI advisory service).
audit: setup
	$(BIN)/pip-audit --strict --skip-editable

clean:
	rm -rf $(VENV) instance/portal.db* .pytest_cache

## Benchmark: 100,000 orders on SQLite (and PostgreSQL when there is one) against a bare-Flask
## baseline; prints the table and writes bench/results/*.json (see bench/README.md).
bench: setup
	$(BIN)/python -m bench.run $(BENCH_ARGS)

## The same harness on a tiny data set with a few requests: fails when a scenario errors.
bench-smoke: setup
	$(BIN)/python -m bench.run --scale smoke $(BENCH_ARGS)
