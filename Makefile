# regfront: `make run` serves the portal, `make test` runs every check.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
DATA := data
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: run test lint format bench clean

$(VENV)/.installed-%: requirements.txt requirements-dev.txt
	@test -x $(PY) || "$$(scripts/find-python)" -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	@$(PY) -m pip install -q --disable-pip-version-check -r requirements$(if $(filter dev,$*),-dev,).txt
	@touch $@

# Local secrets live in data/ (git-ignored) and are made once.
$(DATA)/secret.key $(DATA)/encryption.key: | $(VENV)/.installed-run
	@mkdir -p $(DATA)
	@test -s $(DATA)/secret.key || $(PY) -c "import secrets; print(secrets.token_urlsafe(50))" > $(DATA)/secret.key
	@test -s $(DATA)/encryption.key || $(PY) -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())" > $(DATA)/encryption.key
	@chmod 600 $(DATA)/*.key

run: $(VENV)/.installed-run $(DATA)/secret.key $(DATA)/encryption.key
	@export SECRET_KEY_FILE=$${SECRET_KEY_FILE:-$(DATA)/secret.key} DEBUG=$${DEBUG:-true}; \
	if [ -z "$${REGFRONT_ENCRYPTION_KEYS:-}$${REGFRONT_ENCRYPTION_KEYS_FILE:-}" ]; then \
	  export REGFRONT_ENCRYPTION_KEYS_FILE=$(DATA)/encryption.key; fi; \
	$(PY) manage.py migrate --no-input -v0 && \
	{ [ -z "$${REGISTRY_NAME:-}" ] || $(PY) manage.py seed_registry; } && \
	scripts/run-dev $(PY)

test: $(VENV)/.installed-dev
	@scripts/test-prereqs
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	@echo "== pytest on SQLite + local-memory cache"
	DATABASE_URL=sqlite:///$(CURDIR)/$(DATA)/test.sqlite3 CACHE_URL=locmemcache://tests $(PY) -m pytest
	@echo "== pytest on PostgreSQL + Redis (browser tests ran above)"
	DATABASE_URL=$(PG_URL) CACHE_URL=$(REDIS_URL) $(PY) -m pytest -m "not browser"

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: $(VENV)/.installed-dev
	@scripts/test-prereqs
	$(PY) bench/run.py
	$(PY) bench/inventory.py
	$(PY) bench/contents.py
	$(PY) bench/compare.py
	$(PY) bench/speed.py
	$(PY) bench/retention.py

clean:
	rm -rf $(VENV) staticfiles artifacts
