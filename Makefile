# The two pinned entry points: `make run` and `make test`. Both build .venv themselves.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint fmt bench clean system-deps docs

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/otwa-bridge dev

# php-cli runs the WHMCS module in tests/whmcs: installed when missing (as root, with apt),
# otherwise say what to install; those tests then skip with that reason.
system-deps:
	@command -v php >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing php-cli (and php-curl) for tests/whmcs"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq php-cli php-curl >/dev/null) \
	      || echo "could not install php-cli: tests/whmcs will be skipped"; \
	  else \
	    echo "php-cli not found: install it (apt-get install php-cli) to run tests/whmcs; they are skipped"; \
	  fi; }

test: $(STAMP) system-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

fmt: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Regenerate docs/settings.md's table from the declarations in bridge/settings.py.
docs: $(STAMP)
	UPDATE_DOCS=1 $(BIN)/python -m pytest -q -p no:cacheprovider tests/test_docs.py -k generated

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
