"""One real server (`python app.py`) for every browser module of the run, shared by the test processes
(pytest-xdist workers): the shared demo store in a data directory of its own, with the police user
`anna` (POLICE_PASSWORD). The first process that needs it starts it, under a lock; the others use it;
the last one to finish stops it. A module that needs a server of its own (other settings) defines
its own `server` fixture."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from kmzb.store import Store
from tests.browser import Server, quit_kept
from tests.conftest import GEO_DIR, demo_on_shared


@dataclass
class SharedServer:
    url: str
    store: Store


def _run_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.getbasetemp()
    return root.parent if os.environ.get("PYTEST_XDIST_WORKER") else root


@contextmanager
def _locked(path: Path):
    with open(path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        yield


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


@pytest.fixture(scope="session")
def server(tmp_path_factory, shared_store):
    root = _run_root(tmp_path_factory)
    info, users = root / "e2e-server.json", root / "e2e-server.users"
    me = os.environ.get("PYTEST_XDIST_WORKER", "main")
    started = None
    with _locked(root / "e2e-server.lock"):
        users.mkdir(exist_ok=True)
        known = json.loads(info.read_text()) if info.exists() else None
        if known is None or not _alive(known["pid"]) or requests.get(known["url"] + "/healthz", timeout=10).status_code != 200:
            settings = demo_on_shared(tmp_path_factory, shared_store, "e2e", police=True)
            # the browser modules load the page hundreds of times from one address: they test the pages,
            # not the per-client rate limit (tests/test_limits.py does)
            started = Server({"KMZB_DATA_DIR": str(settings.data_dir), "KMZB_GEO_DIR": str(GEO_DIR),
                              "KMZB_TILES_URL": "", "KMZB_API_RATE": "100000 per minute"})
            known = {"url": started.url, "pid": started.proc.pid, "store": str(settings.store_dir)}
            info.write_text(json.dumps(known))
        (users / me).touch()
    yield SharedServer(known["url"], Store(Path(known["store"])))
    with _locked(root / "e2e-server.lock"):
        (users / me).unlink(missing_ok=True)
        if any(users.iterdir()):
            return  # another test process still uses it (it stops it)
        info.unlink(missing_ok=True)
        if started is not None:  # its parent: stop and reap it
            started.stop()
            return
        os.kill(known["pid"], signal.SIGTERM)  # its parent has ended: init reaps it
        deadline = time.monotonic() + 20
        while _alive(known["pid"]) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _alive(known["pid"]):
            os.kill(known["pid"], signal.SIGKILL)


@pytest.fixture(scope="session", autouse=True)
def _quit_kept_browsers():
    """The browsers tests.browser.kept_chrome keeps between tests end with the session."""
    yield
    quit_kept()
