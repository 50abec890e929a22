# schemadb — the two commands: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-12)
DEMO_DIR := .schemadb
PG_PACKAGES := postgresql postgresql-contrib
REDIS_PACKAGES := redis-server

.PHONY: help install demo demo-stop test lint bench clean system-deps

help:
	@echo "make demo       start a throwaway PostgreSQL under $(DEMO_DIR)/, migrate, seed, status"
	@echo "make demo-stop  stop it"
	@echo "make test       install and run the tests (real PostgreSQL and Redis)"
	@echo "make lint       ruff"
	@echo "make bench      benchmarks (bench/)"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "schemadb needs Python 3.11+ ($(PYTHON) is $$($(PYTHON) --version))"; exit 2; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	$(PY) -m compileall -q schemadb
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

# PostgreSQL and Redis server binaries: the tests use running servers when they answer, and
# otherwise start throwaway ones, which needs the binaries.
system-deps:
	@missing=""; \
	command -v pg_ctl >/dev/null || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || missing="$(PG_PACKAGES)"; \
	command -v pg_dump >/dev/null || missing="$$missing postgresql-client"; \
	command -v redis-server >/dev/null || missing="$$missing $(REDIS_PACKAGES)"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian packages: $$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else \
	    echo "missing server binaries: install the Debian packages: $$missing (sudo apt-get install $$missing)"; exit 2; \
	  fi; \
	fi

demo: $(STAMP) system-deps
	@$(PY) -m schemadb._localpg start $(DEMO_DIR) > $(DEMO_DIR).dsn
	@export SCHEMADB_DSN="$$(cat $(DEMO_DIR).dsn)"; echo "PostgreSQL running: $$SCHEMADB_DSN"; \
	  $(VENV)/bin/schemadb migrate && \
	  if $(VENV)/bin/schemadb seed --help >/dev/null 2>&1; then $(VENV)/bin/schemadb seed --demo; fi && \
	  $(VENV)/bin/schemadb status && \
	  app_dsn="$$($(PY) -m schemadb._localpg app-login "$$SCHEMADB_DSN")" && \
	  echo && echo "application login (RLS applies; create_pool() reads it): SCHEMADB_APP_DSN=$$app_dsn" && \
	  echo "try: SCHEMADB_DSN=$$SCHEMADB_DSN $(VENV)/bin/schemadb --help   (make demo-stop ends it)"

demo-stop: $(STAMP)
	@$(PY) -m schemadb._localpg stop $(DEMO_DIR)
	@rm -f $(DEMO_DIR).dsn

test: $(STAMP) system-deps
	$(PY) -m pytest -q $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check schemadb tests bench

# Bytecode is compiled first, as `pip install` does for an installed copy (PYTHONDONTWRITEBYTECODE
# would otherwise make every timed start-up compile schemadb from source).
# squawk (the lint benchmark's peer) is installed here only, never for the tests or the package.
bench: $(STAMP) system-deps
	@test -x $(VENV)/bin/squawk || $(PY) -m pip install -q squawk-cli || \
	  echo "squawk-cli could not be installed: the lint benchmark prints schemadb's times alone"
	$(PY) -m compileall -q schemadb
	$(PY) bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build dist *.egg-info
