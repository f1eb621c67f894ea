# SUPRA Water — developer commands. `make demo` and `make test` work on a fresh clone.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install demo serve test lint typecheck bench bench-full clean postgres-binaries

install: $(STAMP) node_modules/.installed postgres-binaries

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch node_modules/.installed

# PostgreSQL server binaries (initdb, pg_ctl) come from the machine; install them from Debian when missing.
postgres-binaries:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || \
	  { echo "installing PostgreSQL server binaries"; apt-get update -qq && apt-get install -y -qq postgresql >/dev/null; }

demo: install
	$(PY) manage.py demo

serve: install
	METRICS_PROMETHEUS_PORT=$${METRICS_PROMETHEUS_PORT:-9464} $(PY) manage.py serve

# The same checks, in the same form, as the lint job of .github/workflows/ci.yml (tests/iac/test_workflows.py
# fails when the workflow runs one that `make test` does not).
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

typecheck: $(STAMP)
	$(VENV)/bin/mypy .

test: install lint typecheck
	$(PY) -m pytest

# Quick benchmarks (a few minutes); `make bench-full` runs the 400k-account figures quoted in the README.
bench: install
	$(PY) manage.py bench billing --accounts 20000 --json --cfdi --simulator-full-check-every 100
	$(PY) manage.py bench api --accounts 20000 --rate 200 --seconds 15

bench-full: install
	$(PY) manage.py bench billing --accounts 400000 --sectors 40 --json --cfdi --simulator-full-check-every 100
	$(PY) manage.py bench api --accounts 200000 --rate 200 --seconds 30

clean:
	rm -rf .local .pytest_cache .mypy_cache .ruff_cache
