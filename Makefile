# KMZB analytics — two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8050
export KMZB_DATA_DIR ?= $(CURDIR)/data
export KMZB_GEO_DIR  ?= $(abspath $(CURDIR)/../shared/geo)

.PHONY: setup setup-test run demo test test-unit test-integration test-browser bench browser redis test-debs pdf-debs clean

setup: $(VENV)/.installed

# Python writes the .pyc of what it imports, here even where PYTHONDONTWRITEBYTECODE is set (as on CI
# machines): uv, unlike pip, installs no .pyc, and without them every process compiled pandas, plotly
# and Dash from source on every start (~1-2 s each; the test suite starts ~100 processes: its pytest
# took 379 s instead of 280 s on a fresh clone). Compiling all of site-packages at install instead
# (uv --compile-bytecode) took 20 s; this way only what is imported is compiled, once.
export PYTHONDONTWRITEBYTECODE =

# the venv with requirements file $(1) installed by uv (from PyPI into the venv: it resolves and
# installs in parallel, several times faster than pip), or by pip when uv cannot be installed
# The venv is made without pip (installing pip into it took 3.5 s): uv goes in with the system's pip
# (`pip --python`), or with the venv's own pip, added by ensurepip, where the system has none.
define venv_install
	test -x $(BIN)/python || $(PYTHON) -m venv --without-pip $(VENV)
	@if [ -x $(BIN)/uv ] || $(PYTHON) -m pip --python $(BIN)/python install -q uv 2>/dev/null \
			|| { $(BIN)/python -m ensurepip >/dev/null && $(BIN)/python -m pip install -q uv; }; then \
		echo "$(BIN)/uv pip install -r $(1)"; $(BIN)/uv pip install -q --python $(BIN)/python -r $(1); \
	else \
		echo "no uv: pip install -r $(1)"; $(BIN)/python -m ensurepip >/dev/null 2>/dev/null; \
		$(BIN)/python -m pip install -q --upgrade pip && $(BIN)/python -m pip install -q -r $(1); \
	fi
endef

$(VENV)/.installed: requirements.txt
	$(call venv_install,requirements.txt)
	touch $@

setup-test: $(VENV)/.installed-test

# one install of both files (requirements-test.txt includes requirements.txt), so `make run`'s
# set-up is done too
$(VENV)/.installed-test: requirements.txt requirements-test.txt
	$(call venv_install,requirements-test.txt)
	touch $(VENV)/.installed $@

# Debian packages the tests need, each installed only when its command is missing, with one
# apt-get update for all of them: $(call debs,command:package ...)
define debs
	@missing=""; for pair in $(1); do command -v $${pair%%:*} >/dev/null 2>&1 || missing="$$missing $${pair#*:}"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian$$missing for the tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi
endef
BROWSER_DEBS := chromium:chromium chromedriver:chromium-driver
REDIS_DEBS   := redis-server:redis-server

# chromium + chromium-driver for the browser tests, redis-server for tests/test_redis.py
browser:
	$(call debs,$(BROWSER_DEBS))
redis:
	$(call debs,$(REDIS_DEBS))
test-debs:
	$(call debs,$(BROWSER_DEBS) $(REDIS_DEBS))

# the libraries and fonts WeasyPrint needs for /profile/<teryt>.pdf (Pango, DejaVu: every Polish letter),
# each installed only when dpkg does not have it
PDF_DEBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
pdf-debs:
	@missing=""; for p in $(PDF_DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing Debian$$missing for the PDF"; SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; fi

demo: setup
	@if [ ! -s "$(KMZB_DATA_DIR)/store/CURRENT" ]; then $(BIN)/python -m kmzb demo; else echo "data present: $$($(BIN)/python -m kmzb info | sed -n 2p)"; fi

# gunicorn (gunicorn.conf.py: KMZB_WORKERS workers, threads, timeouts); `python app.py` is Werkzeug's
# development server, for development only
run: demo pdf-debs
	$(BIN)/python -m kmzb geo >/dev/null
	$(BIN)/gunicorn -c gunicorn.conf.py --bind $(HOST):$(PORT) app:server

# the tiers (pytest.ini markers) on 2 processes; a module's tests stay on one process, so its
# module fixtures (a store, a server) are built once; modules in collection order, the costliest
# first (tests/conftest.py COSTLY)
PYTEST := $(BIN)/python -m pytest -q -n 2 --dist loadscope --no-loadscope-reorder

test: setup-test test-debs pdf-debs
	$(PYTEST)

test-unit: setup-test
	$(PYTEST) -m unit

test-integration: setup-test redis pdf-debs
	$(PYTEST) -m integration

test-browser: setup-test browser
	$(PYTEST) -m e2e

bench: setup-test
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) data/store data/runs data/demo data/cache assets/geo
