"""Helpers shared by the tests and the benchmarks (no selenium here): a free loopback port, waiting
for a server started in a subprocess to answer, and the real server itself (`python app.py` or
gunicorn) in a subprocess."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import requests

T = TypeVar("T")


def dash_outputs(output: str) -> list[dict] | dict:
    """The `outputs` of a /_dash-update-component body, as dash-renderer sends them, from a callback's
    `output` in /_dash-dependencies: "..a.x...b.y.." -> [{id: a, property: x}, ...], "a.x" -> {id, property}
    (an allow_duplicate suffix "@..." is not part of the property)."""
    def one(part: str) -> dict:
        cid, prop = part.rsplit(".", 1)
        return {"id": cid, "property": prop.split("@")[0]}
    if not output.startswith(".."):
        return one(output)
    return [one(p) for p in output[2:-2].split("...")]


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


def start_python(args: list[str], env: dict, cwd: Path | str, *, input: str | None = None,
                 umask: int | None = None) -> subprocess.Popen:
    """`python ARGS` (`-m module ...` or `script.py ...`) in `cwd` with exactly the environment `env`:
    text stdout and stderr pipes, `input` written to its stdin (then closed)."""
    proc = subprocess.Popen([sys.executable, *map(str, args)], cwd=cwd, env=env,
                            stdin=subprocess.PIPE if input is not None else None, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, umask=-1 if umask is None else umask)
    if input is not None:
        proc.stdin.write(input)
        proc.stdin.close()
        proc.stdin = None
    return proc


def run_python(args: list[str], env: dict, cwd: Path | str, *, input: str | None = None,
               timeout: float | None = None, check: bool = False) -> subprocess.CompletedProcess:
    """subprocess.run([sys.executable, *args], capture_output=True, text=True, ...)."""
    proc = start_python(args, env, cwd, input=input)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise
    done = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    if check:
        done.check_returncode()
    return done


class ServerProcess:
    """The real server in a subprocess on a free loopback port, its output in a log file; ready
    once `ready_path` answers with a response `up` accepts (stopped again if it never does)."""

    def __init__(self, args: list[str], env: dict, *, port: int | None = None, ready_path: str = "/api/v1/meta",
                 up: Callable[[requests.Response], bool] = lambda r: r.status_code in (200, 503),
                 timeout: float = 60, name: str = "server", cwd: Path | None = None):
        from kmzb.config import PROJECT_ROOT

        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [a.format(port=self.port) for a in args]
        self.log = tempfile.NamedTemporaryFile(prefix=f"kmzb-{name}-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(args, cwd=cwd or PROJECT_ROOT, env={**os.environ, **env}, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        try:
            self.ready = wait_until_up(self.url + ready_path, self.proc, self.log.name, timeout=timeout, up=up)
        except RuntimeError:
            self.stop()
            raise

    def logs(self) -> str:
        return Path(self.log.name).read_text()

    def stop(self, timeout: float = 20) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def app_server(env: dict, port: int | None = None) -> ServerProcess:
    """`python app.py --port P` (Werkzeug's server, as in development), up once
    /api/v1/meta answers (200, or 503 without data)."""
    return ServerProcess([sys.executable, "app.py", "--port", "{port}"], env, port=port)


def gunicorn_server(env: dict, workers: int = 2, port: int | None = None, **kwargs) -> ServerProcess:
    """`gunicorn -c gunicorn.conf.py app:server` (as `make run` serves) with `workers` workers."""
    port = port or free_port()
    return ServerProcess([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "app:server"],
                         {**env, "KMZB_BIND": f"127.0.0.1:{port}", "KMZB_WORKERS": str(workers)},
                         port=port, name="gunicorn", **kwargs)


def log_in(client, username: str = "anna", password: str | None = None) -> None:
    """Log a Flask test client in through the real login form (CSRF token included)."""
    import re

    from .conftest import POLICE_PASSWORD

    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    r = client.post("/login", data={"csrf_token": token, "username": username,
                                    "password": POLICE_PASSWORD if password is None else password})
    assert r.status_code == 302
