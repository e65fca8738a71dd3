# Aula: the two commands are `make run` and `make test`. See README.md.
SHELL := /bin/bash
# Python 3.12 where the machine has it, 3.11 otherwise (scripts/python.sh says why).
PYTHON ?= $(shell bash scripts/python.sh)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run setup install translations test lint format messages clean-db

## run: set everything up (first time or again) and serve the site on http://127.0.0.1:8000
run: setup
	@DJANGO_DEBUG=true $(PY) manage.py demo_accounts
	@DJANGO_DEBUG=true $(PY) manage.py demo_sede
	@DJANGO_DEBUG=true $(PY) manage.py demo_activity
	@echo "Aula: http://$(HOST):$(PORT)/  ·  administración: http://$(HOST):$(PORT)/admin/"
	DJANGO_DEBUG=true $(PY) manage.py runserver $(HOST):$(PORT)

## setup: install, migrate, compile translations, load curriculum, roles and course library
setup: install translations
	DJANGO_DEBUG=true $(PY) manage.py migrate --noinput
	DJANGO_DEBUG=true $(PY) manage.py bootstrap
	DJANGO_DEBUG=true $(PY) manage.py library import --only-new

install: $(STAMP)

$(STAMP): pyproject.toml Makefile
	bash scripts/system-deps.sh
	@test -n "$(PYTHON)" || { echo "no Python 3.11 or 3.12 found" >&2; exit 1; }
	@if [ -x $(PY) ] && [ "$$($(PY) -c 'import sys; print(sys.version_info[:2])')" != "$$($(PYTHON) -c 'import sys; print(sys.version_info[:2])')" ]; then \
	  echo "$(VENV) was made with another Python than $(PYTHON): making it again"; rm -rf $(VENV); fi
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

translations: install
	$(PY) manage.py compilemessages --ignore '.venv' -v0

## messages: refresh the translation catalogs after changing strings
messages: install
	$(PY) manage.py makemessages -l en -l es_MX --ignore '.venv/*' --ignore '.venv-ralph/*' --ignore 'staticfiles/*' --no-obsolete

## test: every check and the whole suite, on SQLite and on PostgreSQL
test: install translations
	bash scripts/system-deps.sh test
	bash scripts/ralph.sh
	bash scripts/test.sh

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean-db:
	rm -f db.sqlite3 db.sqlite3-wal db.sqlite3-shm
