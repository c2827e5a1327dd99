# Doorstep: `make run` serves the demo, `make test` runs every test. Both install what they need.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app backend
STAMPS := .stamps
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk poppler-utils qpdf wrk chromium zbar-tools
HOST ?= 127.0.0.1
PORT ?= 5000
# The demo's secret key, made once and kept (instance/ is not in git); a set DOORSTEP_SECRET_KEY wins.
SECRET_FILE := instance/secret_key
# Signing links and the forms' QR codes point at HOST:PORT (this machine's address when HOST=0.0.0.0).
PUBLIC_HOST = $(if $(filter 0.0.0.0,$(HOST)),$(shell hostname -I 2>/dev/null | cut -d' ' -f1),$(HOST))
DEMO_ENV = DOORSTEP_SECRET_KEY="$${DOORSTEP_SECRET_KEY:-$$(cat $(SECRET_FILE))}" \
	DOORSTEP_PUBLIC_BASE_URL="$${DOORSTEP_PUBLIC_BASE_URL:-http://$(PUBLIC_HOST):$(PORT)}"

.DEFAULT_GOAL := help
.PHONY: screenshots help run test test-python test-contract lint system-packages venv venv-dev db demo pwa test-pwa bench-pwa fonts bench-forms bench-seal bench-sync bench-sync-http bench-api bench-console bench-kpis standard-doc

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

$(STAMPS):
	@mkdir -p $(STAMPS)

system-packages: ## Install the Debian packages (Pango, HarfBuzz subsetter, CJK fonts, poppler, qpdf, wrk, Chromium)
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages: $$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

$(STAMPS)/venv: requirements.txt | $(STAMPS)
	@[ -x $(PY) ] || python3 -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	@touch $@

$(STAMPS)/venv-dev: $(STAMPS)/venv requirements-dev.txt
	@$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	@touch $@

venv: $(STAMPS)/venv ## Create .venv with the pinned runtime packages (requirements.txt)

venv-dev: $(STAMPS)/venv-dev ## Add the test, lint and fuzzing tools (requirements-dev.txt)

$(SECRET_FILE):
	@mkdir -p $(@D)
	@(umask 077 && python3 -c 'import secrets; print(secrets.token_hex(32))' > $@.tmp) && mv $@.tmp $@
	@echo "Made the demo's secret key in $@ (kept; set DOORSTEP_SECRET_KEY to use your own)"

db: system-packages venv $(SECRET_FILE) ## Upgrade the database (instance/doorstep.db unless DATABASE_URL is set)
	@$(DEMO_ENV) $(FLASK) db upgrade

demo: db ## Seed demo data when the database is empty and print the demo accounts
	@$(DEMO_ENV) $(FLASK) seed-demo --if-empty --past-month

run: demo pwa fonts ## Serve the app with demo data on http://$(HOST):$(PORT) (links to that address too)
	@echo "Doorstep on http://$(HOST):$(PORT)/  (API docs: /api/v1/docs, technician app: /app/)"
	@$(DEMO_ENV) $(FLASK) run --host $(HOST) --port $(PORT)

test: system-packages venv-dev pwa test-pwa test-python test-contract ## Run all tests: SQLite, then PostgreSQL when TEST_DATABASE_URL is set, then schemathesis

test-python: fonts
	@echo "== SQLite leg"
	@env -u TEST_DATABASE_URL $(VENV)/bin/pytest -q -n 2 --dist loadfile
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
	  echo "== PostgreSQL leg: $$TEST_DATABASE_URL"; \
	  $(VENV)/bin/pytest -q -p no:xdist; \
	fi

lint: venv-dev ## Check the Python code with ruff (lint and formatting)
	@$(VENV)/bin/ruff check backend tests benchmarks
	@$(VENV)/bin/ruff format --check backend tests benchmarks

test-contract: venv-dev fonts ## schemathesis, every check, over the documented API as a dispatcher and a technician
	@$(PY) tests/contract/run_schemathesis.py

# --- technician app (pwa/): rebuilt only when its sources change ---
PWA_SOURCES := $(shell find pwa/src pwa/public pwa/scripts -type f 2>/dev/null) pwa/index.html pwa/vite.config.js pwa/package.json

# The lock lacks the other platforms' optional rollup binaries (this machine's registry has only
# Linux ones), which `npm ci` refuses; `npm install` then installs the same locked versions.
pwa/node_modules/.package-lock.json: pwa/package-lock.json
	@cd pwa && (npm ci --no-audit --no-fund --loglevel=error 2>/dev/null || npm install --no-audit --no-fund --loglevel=error)

pwa/dist/sw.js: pwa/node_modules/.package-lock.json $(PWA_SOURCES)
	@cd pwa && npm run --silent build

pwa: pwa/dist/sw.js ## Build the technician app into pwa/dist (only when its sources changed)

test-pwa: pwa/node_modules/.package-lock.json ## Run the app's unit tests (Vitest)
	@cd pwa && npx vitest run

standard-doc: venv ## Regenerate docs/standard.md from the flows, the engine's rules and the call-centre data
	@$(PY) -m backend.visits.standard > docs/standard.md

screenshots: system-packages venv-dev pwa ## Retake the README's phone screenshots (docs/screenshots) with the browser tests
	@DOORSTEP_SCREENSHOTS=docs/screenshots $(VENV)/bin/pytest -q -p no:xdist tests/e2e

bench-pwa: system-packages venv-dev pwa ## Measure the app: shell size, offline time to agenda, outbox drain rate
	@$(PY) benchmarks/bench_pwa.py

# --- forms: subset fonts built once with HarfBuzz (the forms stay ~100 KB instead of ~250 KB); ~10 s ---
FONT_STAMP := instance/fonts/.built

$(FONT_STAMP): backend/forms/fonts.py backend/forms/hb_subset.py | $(STAMPS)/venv
	@echo "Building the forms' subset fonts from Noto Sans CJK into instance/fonts (once)"
	@$(PY) -m backend.forms.fonts instance/fonts && touch $@

fonts: $(FONT_STAMP) ## Build the forms' subset fonts (once; idempotent)

bench-forms: venv fonts ## Benchmark render+seal of the Service Form: zh vs en, sizes, forms/s on 2 processes
	@$(PY) benchmarks/bench_forms.py

# The "before" of bench-seal: main before shrinking photos and the other cuts of issue 9 (any git revision will do).
SEAL_BASELINE ?= 0808df5

bench-seal: venv-dev fonts ## Benchmark sealed visits/s of one RQ worker (Service + Feedback Form), before vs after, cold vs warm
	@$(PY) benchmarks/bench_seal.py --baseline $(SEAL_BASELINE)

bench-sync: venv ## Benchmark the sync service: apply and replay a 500-op batch vs bare inserts, SQLite and PostgreSQL
	@$(PY) benchmarks/bench_sync.py

bench-sync-http: system-packages venv ## Benchmark POST /api/v1/sync over HTTP: whole 69-op visits, gunicorn on PostgreSQL, wrk at 8 and 32 connections, vs a minimal endpoint
	@command -v redis-server >/dev/null || (DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq redis-server >/dev/null)
	@$(PY) benchmarks/bench_sync_http.py

bench-api: system-packages venv ## Benchmark agenda and work-order list on PostgreSQL (200,000 orders) vs a minimal Flask endpoint, with wrk
	@$(PY) benchmarks/bench_api.py

bench-console: system-packages venv ## Benchmark customer search and a branch's board day on PostgreSQL at 10k and 1M orders (~7 min)
	@$(PY) benchmarks/bench_console.py

bench-kpis: venv ## Benchmark the manager's overview for one month on PostgreSQL with 100k and 1M visits stored (ratio <= 1.5)
	@$(PY) benchmarks/bench_kpis.py
