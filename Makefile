# start.integration portal. `make run` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app orders
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test test-postgres lint audit setup db clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/python -m pip install --quiet -e '.[dev]'
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
	$(BIN)/ruff check orders tests
	$(BIN)/ruff format --check orders tests
	$(BIN)/bandit -q -c pyproject.toml -r orders

## Known vulnerabilities in the installed dependencies (needs the PyPI advisory service).
audit: setup
	$(BIN)/pip-audit --strict --skip-editable

clean:
	rm -rf $(VENV) instance/portal.db* .pytest_cache
