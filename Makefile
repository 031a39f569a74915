# KMZB analytics — two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8050
export KMZB_DATA_DIR ?= $(CURDIR)/data
export KMZB_GEO_DIR  ?= $(abspath $(CURDIR)/../shared/geo)

.PHONY: setup setup-test run demo test test-unit test-e2e bench browser clean

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.txt
	touch $@

setup-test: $(VENV)/.installed-test

$(VENV)/.installed-test: $(VENV)/.installed requirements-test.txt
	$(BIN)/pip install -q -r requirements-test.txt
	touch $@

# Debian's chromium and chromium-driver for the browser tests (installed only when missing)
browser:
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then \
		echo "installing Debian chromium + chromium-driver for browser tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver >/dev/null; \
	fi

demo: setup
	@if [ ! -s "$(KMZB_DATA_DIR)/store/CURRENT" ]; then $(BIN)/python -m kmzb demo; else echo "data present: $$($(BIN)/python -m kmzb info | sed -n 2p)"; fi

# gunicorn (gunicorn.conf.py: KMZB_WORKERS workers, threads, timeouts); `python app.py` is Werkzeug's
# development server, for development only
run: demo
	$(BIN)/python -m kmzb geo >/dev/null
	$(BIN)/gunicorn -c gunicorn.conf.py --bind $(HOST):$(PORT) app:server

test: setup-test browser
	$(BIN)/python -m pytest -q

test-unit: setup-test
	$(BIN)/python -m pytest -q -m "not e2e"

bench: setup-test
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) data/store data/runs data/demo data/cache assets/geo
