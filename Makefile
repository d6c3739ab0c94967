# Two commands for a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
# 0.0.0.0 serves the local network too (a phone on the same Wi-Fi): links and posters then
# carry this machine's LAN address, unless BASE_URL says otherwise.
HOST ?= 127.0.0.1
WORKERS ?= 2
# Synthetic answers the first `make run` adds since 1 January 2024.
DEMO_RESPONSES ?= 12000
export FLASK_APP := wsgi

PO_FILES := $(wildcard translations/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)

.PHONY: run test install install-runtime translations lint clean flask

# What the app needs to run (make run) ...
install-runtime: $(VENV)/.runtime $(MO_FILES)
# ... and what the tests and the linters need besides (make test, make lint).
install: install-runtime $(VENV)/.installed node_modules/.installed

$(VENV)/.runtime: requirements.txt
	@echo "Installing the runtime requirements into $(VENV) (the first time only; about a minute)..."
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed: $(VENV)/.runtime requirements-dev.txt
	@echo "Installing the test tools (Playwright, statsmodels, OpenCV...) into $(VENV)..."
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# axe-core for the browser tests' accessibility checks (npm; nothing of it is served).
node_modules/.installed: package.json package-lock.json
	npm ci --silent --no-audit --no-fund
	touch $@

translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po $(VENV)/.runtime
	$(BIN)/pybabel compile --statistics -i $< -o $@

instance/secret_key: | $(VENV)/.runtime
	mkdir -p instance
	umask 077 && $(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(48))' > $@

# The access log leaves the client's address out (no %(h)s): the README promises that
# addresses are never stored.
ACCESS_LOG_FORMAT := '%(t)s "%(r)s" %(s)s %(b)s %(M)sms'

# The app on the embedded SQLite database in instance/, with the District 1 demo.
run: install-runtime instance/secret_key
	@base="$${BASE_URL:-$$($(BIN)/python -m satisfaction.config $(HOST) $(PORT))}"; \
	echo "$$base" > instance/base_url; \
	export SECRET_KEY="$$(cat instance/secret_key)" BASE_URL="$$base"; \
	$(BIN)/flask db upgrade && \
	$(BIN)/flask seed demo && \
	$(BIN)/flask seed responses --if-empty --count $(DEMO_RESPONSES) --from 2024-01-01 && \
	$(BIN)/flask alerts check && \
	echo "Serving on $$base  (listening on $(HOST):$(PORT); Ctrl+C to stop)" && \
	exec $(BIN)/gunicorn --workers $(WORKERS) --bind $(HOST):$(PORT) --access-logfile - \
	  --access-logformat $(ACCESS_LOG_FORMAT) wsgi:app

# Any flask command without activating the virtualenv: make flask ARGS="alerts check".
flask: install-runtime
	@$(BIN)/flask $(ARGS)

# The test suite: SQLite by default, PostgreSQL when TEST_DATABASE_URL is set.
test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Style (ruff) and the rules of the house (import-linter, contracts in pyproject.toml).
lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) .pytest_cache
