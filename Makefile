# Two commands for a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
WORKERS ?= 2
export FLASK_APP := wsgi

PO_FILES := $(wildcard translations/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)

.PHONY: run test install translations lint clean

install: $(VENV)/.installed $(MO_FILES)

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -i $< -o $@

instance/secret_key: | $(VENV)/.installed
	mkdir -p instance
	umask 077 && $(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(48))' > $@

# The access log leaves the client's address out (no %(h)s): the README promises that
# addresses are never stored.
ACCESS_LOG_FORMAT := '%(t)s "%(r)s" %(s)s %(b)s %(M)sms'

# The app on the embedded SQLite database in instance/, with the District 1 demo.
run: install instance/secret_key
	@export SECRET_KEY="$$(cat instance/secret_key)" BASE_URL="$${BASE_URL:-http://127.0.0.1:$(PORT)}"; \
	$(BIN)/flask db upgrade && \
	$(BIN)/flask seed demo && \
	$(BIN)/flask seed responses --if-empty --count 12000 --from 2024-01-01 && \
	echo "Serving on http://127.0.0.1:$(PORT)  (Ctrl+C to stop)" && \
	exec $(BIN)/gunicorn --workers $(WORKERS) --bind 127.0.0.1:$(PORT) --access-logfile - \
	  --access-logformat $(ACCESS_LOG_FORMAT) wsgi:app

# The test suite: SQLite by default, PostgreSQL when TEST_DATABASE_URL is set.
test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Style (ruff) and the rules of the house (import-linter, contracts in pyproject.toml).
lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) .pytest_cache
