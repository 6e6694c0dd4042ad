# The README's two commands: `make run` and `make test`. Both create the virtualenv on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint typecheck unit demo migrate simulator bench i18n clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

## run: the bot when TELEGRAM_BOT_TOKEN is configured (environment or .env), else the offline demo
run: $(STAMP)
	@if $(PY) -c "import sys; from bot.config import load_settings; sys.exit(0 if load_settings().telegram_bot_token else 1)"; then \
		$(PY) -m bot run; \
	else \
		$(PY) -m bot demo; \
	fi

## test: lint, type check and the whole test suite (PostgreSQL tests run when TEST_DATABASE_URL is set)
test: lint typecheck unit

lint: $(STAMP)
	$(PY) -m ruff check bot standins tests bench migrations
	$(PY) -m ruff format --check bot standins tests bench migrations

typecheck: $(STAMP)
	$(PY) -m mypy

unit: $(STAMP)
	$(PY) -m pytest -q

demo: $(STAMP)
	$(PY) -m bot demo

migrate: $(STAMP)
	$(PY) -m bot migrate

simulator: $(STAMP)
	$(PY) -m bot simulator

bench: $(STAMP)
	$(PY) bench/alerts.py

## i18n: re-extract the texts into every bot/locale/*/LC_MESSAGES/bot.po and compile the .mo files
i18n: $(STAMP)
	$(PY) -m bot.i18n_catalog

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
