# The two pinned entry points: `make run` and `make test`. Both build .venv themselves.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint fmt bench clean system-deps docs

RUN_STAMP := $(VENV)/.run-stamp

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP) $(RUN_STAMP)

# `make run` installs only what running needs (no test tools): a fresh clone reaches the
# banner in about 12 s. Options go through to `otwa-bridge dev`: make run ARGS="--time-scale 60"
$(RUN_STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -e .
	touch $(RUN_STAMP)

run: $(RUN_STAMP)
	$(BIN)/otwa-bridge dev $(ARGS)

# OS packages the tests need: php-cli + php-curl run the WHMCS module, php-cgi satisfies
# smarty4's "php | php-cgi" dependency without pulling in Apache, smarty4 renders its
# client-area template, chromium opens the page headless (tests/whmcs); nginx runs the
# shipped config/nginx/otwa-bridge.conf in front of the bridge and openssl makes its test
# certificate (tests/edge). Installed when missing (as root, with apt-get, no recommends);
# otherwise say what to install, and those tests skip with that reason.
system-deps:
	@missing=""; \
	{ command -v nginx || [ -x /usr/sbin/nginx ]; } >/dev/null 2>&1 || missing="$$missing nginx"; \
	command -v openssl >/dev/null 2>&1 || missing="$$missing openssl"; \
	command -v php >/dev/null 2>&1 || missing="$$missing php-cli"; \
	{ command -v php >/dev/null 2>&1 && php -m 2>/dev/null | grep -qx curl; } || missing="$$missing php-curl"; \
	[ -f /usr/share/php/smarty4/Smarty.class.php ] || [ -f /usr/share/php/smarty3/Smarty.class.php ] \
	  || missing="$$missing php-cgi smarty4"; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium fonts-dejavu-core"; \
	command -v promtool >/dev/null 2>&1 || missing="$$missing prometheus"; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing for tests/whmcs, tests/edge and the metrics check:$$missing"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends $$missing >/dev/null) \
	    || echo "could not install$$missing: the tests that need them are skipped"; \
	else \
	  echo "missing for tests/whmcs, tests/edge and the metrics check:$$missing" \
	    "(apt-get install --no-install-recommends$$missing);" \
	    "the tests that need them are skipped"; \
	fi

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

# Every benchmark, each in its own process, into BENCHMARKS.md (bench/suite.py; ~1 h 45 min,
# of which the edge's runs take ~1 h).
# One step: make bench ONLY=intake. wrk drives the intake benchmark (installed when missing).
bench: $(STAMP)
	@command -v wrk >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get install -y -qq --no-install-recommends wrk >/dev/null; \
	  else echo "wrk not found: install it (apt-get install wrk) for the intake benchmark"; fi; }
	$(BIN)/python -m bench.suite $(if $(ONLY),--only $(ONLY))

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
