"""Helpers shared by the tests and the benchmarks (no selenium here): a free loopback port, and
waiting for a server started in a subprocess to answer."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import requests

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(proc: subprocess.Popen, probe: Callable[[], T | None], log: str | Path | None = None, *,
             timeout: float = 60, what: str = "the server") -> T:
    """Call `probe` until it returns something other than None (an exception counts as not yet);
    returns that. Raises RuntimeError with the tail of `log` if `proc` exits or `timeout` seconds
    pass first."""
    def tail() -> str:
        return Path(log).read_text(errors="replace")[-3000:] if log else ""

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args} exited ({proc.returncode}): {tail()}")
        try:
            got = probe()
            if got is not None:
                return got
        except Exception:
            pass
        time.sleep(0.05)  # polling for the port to open, not synchronisation
    raise RuntimeError(f"{what} did not answer within {timeout} s: {tail()}")


def wait_until_up(url: str, proc: subprocess.Popen, log: str | Path | None = None, *, timeout: float = 60,
                  up: Callable[[requests.Response], bool] = lambda r: True, method: str = "GET",
                  request_timeout: float = 5) -> requests.Response:
    """Poll `url` until it answers with a response `up` accepts; returns that response."""
    def probe():
        r = requests.request(method, url, timeout=request_timeout)
        return r if up(r) else None

    return wait_for(proc, probe, log, timeout=timeout, what=url)


def log_in(client, username: str = "anna", password: str | None = None) -> None:
    """Log a Flask test client in through the real login form (CSRF token included)."""
    import re

    from .conftest import POLICE_PASSWORD

    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    r = client.post("/login", data={"csrf_token": token, "username": username,
                                    "password": POLICE_PASSWORD if password is None else password})
    assert r.status_code == 302
