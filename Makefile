# Jiceng: `make demo` runs the platform with demo data, `make test` runs the test suite.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
HOST ?= 127.0.0.1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo serve test lint format messages clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

## demo: install, migrate the SQLite database under var/, load demo data, serve on $(HOST):$(PORT)
demo: $(VENV)/.runtime
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py createcachetable
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py seed_demo
	@$(MAKE) --no-print-directory serve

## serve: the web server (2 workers) and the background-job consumer, without reloading data
serve: $(VENV)/.runtime
	HOST=$(HOST) PORT=$(PORT) bin/serve

## test: install the development tools and run the whole suite (SQLite unless DATABASE_URL is set)
test: $(VENV)/.dev
	$(PY) -m pytest

## lint: style, types, migrations, translations and deployment checks
lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	$(PY) manage.py makemigrations --check --dry-run
	bin/check-messages
	DEBUG=false HTTPS=true ALLOWED_HOSTS=jiceng.example.org \
	  SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(64))') \
	  MISCONDUCT_KEY=$$($(PY) -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())') \
	  $(PY) manage.py check --deploy --fail-level WARNING

format: $(VENV)/.dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

## messages: extract the translatable strings and compile the catalogues
messages: $(VENV)/.dev
	$(PY) manage.py makemessages -l zh_Hans -l en --no-obsolete --ignore '.venv/*' --ignore 'var/*'
	$(PY) manage.py compilemessages --ignore '.venv/*'

clean:
	rm -rf var/jiceng.sqlite3* var/huey.sqlite3* var/static
