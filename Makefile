# Mutirão: `make run` to try it, `make test` to check it. See README.md.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format bench bench-smoke install migrate demo messages audit clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

## Set up everything on a bare machine (SQLite, eager Celery, console e-mail) and serve.
run: install
	DEBUG=true $(PY) manage.py migrate --noinput
	DEBUG=true $(PY) manage.py seed_demo
	DEBUG=true $(PY) manage.py runserver $(HOST):$(PORT)

## The whole suite, in parallel; set DATABASE_URL to run it on PostgreSQL.
test: install
	$(PY) -m pytest -n auto

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## Recompile the pt-BR translations after editing an app's locale/ files.
messages: install
	for app in core accounts companies orders ongs events payments homes; do \
		if [ -d $$app/locale ]; then (cd $$app && ../$(VENV)/bin/django-admin compilemessages); fi; \
	done

## Known vulnerabilities in the installed dependencies.
audit: install
	$(PY) -m pip install --quiet pip-audit==2.10.1
	$(VENV)/bin/pip-audit --skip-editable

## The benchmark of docs/performance.md: 10,000 and 1,000,000 orders on PostgreSQL (~15 min).
bench: install
	@test -x bench/run || { echo "The benchmark lands with the performance work (bench/)."; exit 1; }
	bench/run --publish docs/img

## The same benchmark on 1,000 orders for a second per scenario: proves it still runs (CI).
bench-smoke: install
	bench/run --fresh --sizes 1000 --seconds 1 --warmup 0 --out /tmp/mutirao-bench-smoke

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .test-media
