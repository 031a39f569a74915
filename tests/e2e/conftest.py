"""One real server (`python app.py`) for every browser module on a test process: the shared demo
store in a data directory of its own, with the police user `anna` (POLICE_PASSWORD). A module that
needs a server of its own (other settings) defines its own `server` fixture."""

from __future__ import annotations

import pytest

from kmzb.store import Store
from tests.browser import Server, quit_kept
from tests.conftest import GEO_DIR, demo_on_shared


@pytest.fixture(scope="session")
def server(tmp_path_factory, shared_store):
    settings = demo_on_shared(tmp_path_factory, shared_store, "e2e", police=True)
    # the browser modules load the page hundreds of times from one address: they test the pages,
    # not the per-client rate limit (tests/test_limits.py does)
    srv = Server({"KMZB_DATA_DIR": str(settings.data_dir), "KMZB_GEO_DIR": str(GEO_DIR), "KMZB_TILES_URL": "",
                  "KMZB_API_RATE": "100000 per minute"})
    srv.store = Store(settings.store_dir)
    yield srv
    srv.stop()


@pytest.fixture(scope="session", autouse=True)
def _quit_kept_browsers():
    """The browsers tests.browser.kept_chrome keeps between tests end with the session."""
    yield
    quit_kept()
