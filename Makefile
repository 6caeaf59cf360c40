# The portal's everyday commands. `make run` and `make test` work from a fresh clone.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
HOST ?= 127.0.0.1

.PHONY: run test setup lint format migrations-check messages compile-messages clean bench

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The one stylesheet of the public pages: Bootstrap from npm cut down to what the templates use
# (scripts/build-css.mjs, PurgeCSS). Not in git; rebuilt whenever a template or a source changes.
CSS_INPUTS := scripts/build-css.mjs $(wildcard static/css/*.css) \
	$(shell find templates static/js -name '*.html' -o -name '*.js')
static/build/site.css: $(VENV)/.installed node_modules/.installed $(CSS_INPUTS)
	PYTHON=$(PY) npm run --silent build:css

setup: $(VENV)/.installed node_modules/.installed static/build/site.css compile-messages

# Embedded demo: SQLite + a broker on disk; web, Celery worker and beat together (Ctrl-C stops all).
# Every link it prints or sends (QR codes, posters, SMS in var/sms.log) follows HOST and PORT;
# HOST=0.0.0.0 serves the local network, the links carrying this machine's LAN address.
run: setup
	@set -e; base=$$($(PY) -m liaison.core.lan "$(HOST)" "$(PORT)"); shown=$${base#http://}; shown=$${shown%:*}; \
	export PUBLIC_BASE_URL="$$base" ALLOWED_HOSTS="127.0.0.1,localhost,$$shown" HOST="$(HOST)"; \
	$(PY) manage.py migrate --noinput; \
	$(PY) manage.py load_demo; \
	echo "Portal: $$base/   admin: $$base/admin/   SMS sent: var/sms.log"; \
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/honcho -f Procfile.dev start -p $(PORT)

# The whole suite; on PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set. On SQLite it runs
# on every core (pytest-xdist, a file per worker); on PostgreSQL some tests share the real
# servers and processes (connection cuts, a live worker), so one at a time.
PYTEST_ARGS ?= $(if $(DATABASE_URL),,-n auto --dist loadfile)
# Compiled modules (and pytest's rewritten test modules) are kept in var/pycache, even where the
# shell says not to write bytecode: compiling every module anew costs each test process ~6 s.
test: export PYTHONDONTWRITEBYTECODE :=
test: export PYTHONPYCACHEPREFIX := $(CURDIR)/var/pycache
test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

# Style, format, and the layers of docs/architecture.md (import contracts in pyproject.toml).
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: $(VENV)/.installed
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

migrations-check: $(VENV)/.installed
	$(PY) manage.py makemigrations --check --dry-run

# Extract source strings into locale/*/LC_MESSAGES/django.po (needs GNU gettext).
messages: $(VENV)/.installed
	$(PY) manage.py makemessages -l zh_Hans --ignore ".venv/*" --ignore "node_modules/*" --ignore "var/*"
	$(PY) manage.py compilemessages --ignore ".venv/*" --ignore "node_modules/*"

# Compiled catalogs ship in the repository; recompile when GNU gettext is here.
compile-messages: $(VENV)/.installed
	@if command -v msgfmt >/dev/null; then $(PY) manage.py compilemessages --ignore ".venv/*" --ignore "node_modules/*" -v0; \
	else echo "msgfmt not found: using the compiled translations in locale/"; fi

clean:
	rm -rf var/broker var/broker-control var/cache var/celerybeat-schedule* var/pycache

# Benchmarks at province scale on PostgreSQL (BENCH_DATABASE_URL); see bench/README.md.
bench: setup
	$(PY) bench/run.py $(BENCH_ARGS)
