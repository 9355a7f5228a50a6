# Mutirão: `make run` to try it, `make test` to check it. See README.md.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-faults lint format fuzz bench bench-smoke install migrate demo messages audit clean

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

## The whole suite, in parallel; set DATABASE_URL to run it on PostgreSQL. Then the fault
## tests, one at a time (they start their own Redis, PostgreSQL, workers and servers).
test: install
	$(PY) -m pytest -n auto -m "not faults"
	$(PY) -m pytest -m faults -p no:logging -q

## Only the fault tests of docs/security.md ("Faults"); needs PostgreSQL as DATABASE_URL.
test-faults: install
	$(PY) -m pytest -m faults -p no:logging -q

## ruff, then bandit's security lint ([tool.bandit] in pyproject.toml): fails on high severity.
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/bandit -c pyproject.toml -r . -q --severity-level high

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## Schema fuzzing (docs/security.md): every operation as every role on seed 20261123, and
## as anonymous, a plain user and staff again on seed 7; every check; PostgreSQL (~5 min).
fuzz: install
	fuzz/run --seeds 20261123,7 --later-seed-roles anonymous,user,staff

## Recompile the pt-BR translations after editing an app's locale/ files.
messages: install
	for app in core accounts companies equipment orders sla fieldservice desk webhooks ongs events payments homes; do \
		if [ -d $$app/locale ]; then (cd $$app && ../$(VENV)/bin/django-admin compilemessages); fi; \
	done

## Known vulnerabilities in the installed dependencies (needs the network: PyPI's JSON API,
## or AUDIT_SERVICE=osv for api.osv.dev). --strict: a package that could not be looked up
## fails the audit instead of passing silently.
AUDIT_SERVICE ?= pypi
audit: install
	$(PY) -m pip install --quiet pip-audit==2.10.1
	$(VENV)/bin/pip-audit --skip-editable --strict --vulnerability-service $(AUDIT_SERVICE)

## The benchmark of docs/performance.md: 10,000 and 1,000,000 orders on PostgreSQL (~15 min).
bench: install
	@test -x bench/run || { echo "The benchmark lands with the performance work (bench/)."; exit 1; }
	bench/run --publish docs/img

## The same benchmark on 1,000 orders for a second per scenario: proves it still runs (CI).
bench-smoke: install
	bench/run --fresh --sizes 1000 --seconds 1 --warmup 0 --out /tmp/mutirao-bench-smoke

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .test-media
