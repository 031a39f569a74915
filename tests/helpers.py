"""Helpers shared by the tests and the benchmarks (no selenium here): a free loopback port, waiting
for a server started in a subprocess to answer, and the real server itself (`python app.py` or
gunicorn) in a subprocess."""

from __future__ import annotations

import atexit
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
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


# ------------------------------------------------------------------ warm Python processes

# the third-party libraries `python app.py` imports (about 1.7 s of a server's 2.4 s start-up), and
# those `python -m kmzb ingest` imports (pandas, geopandas, duckdb, ...): a warm process has imported
# them before it is told what to run (no more than its kind of program needs: a process that exits
# with more modules loaded takes longer to finalise them)
WARM_IMPORTS = {
    "server": ("numpy", "pandas", "scipy.stats", "scipy.spatial", "sklearn.cluster", "matplotlib.pyplot",
               "mapclassify", "duckdb", "pyarrow", "shapely", "pyproj", "flask", "flask_limiter", "flask_login",
               "flask_caching", "dash", "dash_leaflet", "dash_bootstrap_components", "dash_ag_grid",
               "plotly.graph_objects", "openpyxl", "argon2", "requests"),
    "cli": ("numpy", "pandas", "duckdb", "pyarrow", "shapely", "pyproj", "geopandas", "argon2"),
}

# Run as `python -c WARM_BOOT`: import WARM_IMPORTS (their output, if any, to /dev/null), read one JSON
# line from stdin ({"args", "env", "cwd"}), take that environment and directory, and run `python ARGS`
# (`-m module ...` or `script.py ...`) as the interpreter would, as __main__: its own exit code, an
# uncaught exception's traceback on stderr. Only third-party libraries are imported before the
# environment is set: the project's modules (which read KMZB_* settings) are imported by the run.
WARM_BOOT = """
import os, sys, json, runpy, warnings
def _warm(names):
    keep = os.dup(1), os.dup(2)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1), os.dup2(null, 2)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for name in names:
                try:
                    __import__(name)
                except Exception:
                    pass
    finally:
        os.dup2(keep[0], 1), os.dup2(keep[1], 2)
        for fd in (*keep, null):
            os.close(fd)
_warm(sys.argv[2:])
os.write(int(sys.argv[1]), b"1")  # ready
os.close(int(sys.argv[1]))
line = b""
while not line.endswith(b"\\n"):
    part = os.read(0, 1)  # byte by byte: what follows the line is the program's own stdin
    if not part:
        sys.exit(0)  # never handed a program
    line += part
req = json.loads(line)
os.environ.clear()
os.environ.update(req["env"])
os.chdir(req["cwd"])
if req.get("umask") is not None:
    os.umask(req["umask"])
if os.environ.get("PYTHONUNBUFFERED"):
    sys.stdout.reconfigure(write_through=True)
    sys.stderr.reconfigure(write_through=True)
args = req["args"]
del _warm, line, part, req
if args[0] == "-m":
    sys.argv = args[1:]
    sys.path[0] = os.getcwd()
    runpy.run_module(args[1], run_name="__main__", alter_sys=True)
else:
    sys.argv = args
    sys.path[0] = os.path.dirname(os.path.abspath(args[0]))
    runpy.run_path(args[0], run_name="__main__")
"""

class _Spare:
    """A warm process of one kind, still importing until `ready()`."""

    def __init__(self, kind: str):
        import select

        self._select = select.select
        self.log = None
        ready_r, ready_w = os.pipe()  # it writes a byte here once its imports are done
        cmd = [sys.executable, "-c", WARM_BOOT, str(ready_w), *WARM_IMPORTS[kind]]
        if kind == "server":  # stdout and stderr to a log file
            log = tempfile.NamedTemporaryFile(prefix="kmzb-server-", suffix=".log", delete=False)
            self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT,
                                         pass_fds=(ready_w,))
            log.close()
            self.log = log.name
        else:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, text=True, pass_fds=(ready_w,))
        os.close(ready_w)
        self._ready_r = ready_r

    def ready(self) -> bool:
        return self.proc.poll() is None and bool(self._select([self._ready_r], [], [], 0)[0])

    def close(self) -> None:
        os.close(self._ready_r)


_spares: dict[str, _Spare] = {}


def _end_spares() -> None:
    for spare in _spares.values():
        spare.proc.kill()
        spare.proc.wait()


atexit.register(_end_spares)


def prewarm(*kinds: str) -> None:
    """Start a warm process of each kind (default: all) now, so the first one asked for is ready."""
    for kind in kinds or tuple(WARM_IMPORTS):
        if kind not in _spares:
            _spares[kind] = _Spare(kind)


def warm_python(args: list[str], env: dict, cwd: Path | str, *, kind: str = "cli",
                input: str | None = None, umask: int | None = None) -> tuple[subprocess.Popen, str | None]:
    """`python ARGS` (args: `-m module ...` or `script.py ...`) in `cwd` with exactly the environment
    `env`, in a process that imported WARM_IMPORTS[kind] before it was needed, if one is ready (one
    is kept per kind and test process, the next one starting as one is handed out), else started as
    usual. Kind "cli": text stdout and stderr pipes, `input` written to its stdin (then closed);
    kind "server": stdout and stderr to a log file, whose path is returned with the process."""
    args = [str(a) for a in args]
    spare = _spares.pop(kind, None)
    if spare is None or not spare.ready():  # none ready yet: the plain command
        if spare is not None:
            _spares[kind] = spare
        else:
            _spares[kind] = _Spare(kind)
        return _cold(args, env, cwd, kind, input, umask)
    spare.close()
    _spares[kind] = _Spare(kind)
    proc = spare.proc
    proc.args = [sys.executable, *args]
    request = json.dumps({"args": args, "env": env, "cwd": str(cwd), "umask": umask}) + "\n"
    proc.stdin.write(request.encode() if kind == "server" else request)
    if input is not None:
        proc.stdin.write(input)
    proc.stdin.close()
    proc.stdin = None  # closed: communicate() and wait() must not flush it
    return proc, spare.log


def _cold(args, env, cwd, kind, input, umask) -> tuple[subprocess.Popen, str | None]:
    cmd = [sys.executable, *args]
    if kind == "server":
        log = tempfile.NamedTemporaryFile(prefix="kmzb-server-", suffix=".log", delete=False)
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        return proc, log.name
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.PIPE if input is not None else None,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            umask=-1 if umask is None else umask)
    if input is not None:
        proc.stdin.write(input)
        proc.stdin.close()
        proc.stdin = None
    return proc, None


def run_python(args: list[str], env: dict, cwd: Path | str, *, input: str | None = None,
               timeout: float | None = None, check: bool = False) -> subprocess.CompletedProcess:
    """subprocess.run([sys.executable, *args], capture_output=True, text=True, ...) in a warm process."""
    proc, _ = warm_python(args, env, cwd, input=input)
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
                 timeout: float = 60, name: str = "server", cwd: Path | None = None, warm: bool = False):
        from kmzb.config import PROJECT_ROOT

        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [a.format(port=self.port) for a in args]
        if warm and args[0] == sys.executable:  # the same command in a warm process (warm_python)
            self.proc, log = warm_python(args[1:], {**os.environ, **env}, cwd or PROJECT_ROOT, kind="server")
            self.log = SimpleNamespace(name=log)
        else:
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
    """`python app.py --port P` (Werkzeug's server, as in development) in a warm process, up once
    /api/v1/meta answers (200, or 503 without data)."""
    return ServerProcess([sys.executable, "app.py", "--port", "{port}"], env, port=port, warm=True)


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
