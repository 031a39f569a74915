"""Load test: simulated dashboard users against gunicorn (gunicorn.conf.py), on loopback only.

    python bench/bench_load.py                       # 50 users, 60 s, 2 workers, the 3M store
    python bench/bench_load.py --demo                # no 3M store: a demo data set in a temp dir
    python bench/bench_load.py --data-dir DIR --users 20 --duration 30

Each user (a thread, with its own keep-alive connections) opens the page like a browser
(GET /, /_dash-layout, /_dash-dependencies, then the initial view callbacks in parallel), then
loops until the time is up, with a think time between actions (users arrive evenly over --ramp
seconds, which count in the measured time), over a mix of:

- filter changes: POST /_dash-update-component for the sync callback (the control that changed,
  payload built from /_dash-dependencies and the control values of /_dash-layout), then the views
  callback (map, KPIs, charts, table, viewport) with the new URL, as dash-renderer does;
- drill-downs: a map click on a district of the next level (sync with map-geojson.clickData),
  the views, and back to Poland through the breadcrumb (the pattern-matching crumb input);
- API calls: /api/v1/districts at every level with random filters (and compare), /categories,
  /timeseries, /meta;
- page reloads.

Every request's latency is timed on the client (send to last byte). Errors are non-2xx answers
(Dash's 204 for "nothing to update" is a success) and failed connections. Result:
bench/out/load.json and a table on stdout. Targets: no errors, p95 <= 500 ms.

The server runs with KMZB_CACHE=on and a fresh cache directory of its own (bench/out/cache-load),
so the store directory is only read.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import requests

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
STORE3M = OUT / "store3m"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _common import parse_server_timing, view_callbacks, wait_warm  # noqa: E402

from tests.helpers import dash_outputs, free_port, wait_until_up  # noqa: E402

TARGET_P95_MS = 500.0
THREADS = int(os.environ.get("KMZB_THREADS", "4"))  # gunicorn.conf.py reads the same variable
LEVELS = ("voivodeship", "powiat", "gmina")
PRESETS = ("7d", "30d", "90d", "ytd", "last_year", "all")
OUTCOMES = ("pending", "confirmed", "unconfirmed")
SOURCES = ("internet", "debata", "kontakt")
METRICS = ("reports", "per10k", "rate")


# ----------------------------------------------------------------------------- the server

class Gunicorn:
    def __init__(self, data_dir: Path, workers: int, cache_dir: Path, log_path: Path, geo_dir: str,
                 root: Path = ROOT):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        shutil.rmtree(cache_dir, ignore_errors=True)
        cache_dir.mkdir(parents=True)
        env = {**os.environ, "KMZB_DATA_DIR": str(data_dir), "KMZB_GEO_DIR": geo_dir, "KMZB_CACHE": "memory",
               "KMZB_CACHE_DIR": str(cache_dir), "KMZB_TILES_URL": "", "KMZB_WORKERS": str(workers),
               "KMZB_BIND": f"127.0.0.1:{self.port}", "PYTHONUNBUFFERED": "1",
               "KMZB_API_RATE": "1000000 per minute",  # every simulated user comes from 127.0.0.1: one client
               "KMZB_SERVER_TIMING": "cpu"}  # each answer says the CPU time its request took (what saturates)
        env.pop("KMZB_CACHE_URL", None)
        self.log_path = log_path
        self.log = open(log_path, "w")
        self.proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "app:server"],
                                     cwd=root, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        try:
            r = wait_until_up(self.url + "/api/v1/meta", self.proc, log_path, timeout=120, request_timeout=60)
        except RuntimeError as e:
            self.stop()
            raise SystemExit(f"gunicorn did not start: {e}") from None
        if r.status_code != 200:
            raise SystemExit(f"the server answers /api/v1/meta with {r.status_code}: {r.text[:500]}")
        self.meta = r.json()

    def workers(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]

    def rss_mb(self) -> dict:
        res = {}
        for pid in [self.proc.pid, *self.workers()]:
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        res[pid] = round(int(line.split()[1]) / 1024, 1)
            except OSError:
                pass
        return res

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.log.close()


# ----------------------------------------------------------------------------- the app's shape

def walk_layout(node, found: dict) -> None:
    """id -> props of every component in a /_dash-layout tree."""
    if isinstance(node, list):
        for x in node:
            walk_layout(x, found)
    elif isinstance(node, dict):
        props = node.get("props")
        if isinstance(props, dict) and "namespace" in node:
            cid = props.get("id")
            if cid is not None:
                key = json.dumps(cid, sort_keys=True, separators=(",", ":")) if isinstance(cid, dict) else cid
                found[key] = props
            for v in props.values():
                walk_layout(v, found)


def stringify_id(cid) -> str:
    return json.dumps(cid, sort_keys=True, separators=(",", ":")) if isinstance(cid, dict) else cid


class App:
    """What the client needs to know, read once from the running server."""

    def __init__(self, base: str):
        s = requests.Session()
        self.deps = s.get(base + "/_dash-dependencies", timeout=60).json()
        self.cbs = view_callbacks(self.deps)
        layout = s.get(base + "/_dash-layout", timeout=60).json()
        self.components: dict = {}
        walk_layout(layout, self.components)
        self.groups = [json.loads(k)["group"] for k in self.components
                       if k.startswith("{") and json.loads(k).get("type") == "f-cat-group"]
        meta = s.get(base + "/api/v1/meta", timeout=60).json()
        self.date_from = date.fromisoformat(meta["date_from"])
        self.date_to = date.fromisoformat(meta["date_to"])
        self.categories = [r["code"] for r in s.get(base + "/api/v1/categories", timeout=120).json()["rows"]]
        self.teryt = {lvl: [r["teryt"] for r in s.get(base + f"/api/v1/districts?level={lvl}&from={self.date_to}"
                                                      f"&to={self.date_to}", timeout=120).json()["rows"]]
                      for lvl in LEVELS}

    def initial_controls(self) -> dict:
        """'id.property' -> value, as the page starts."""
        out = {}
        for dep in self.cbs["sync"]["inputs"] + self.cbs["sync"]["state"]:
            if dep["id"].startswith("{"):
                continue
            props = self.components.get(dep["id"], {})
            out[f"{dep['id']}.{dep['property']}"] = props.get(dep["property"])
        return out


# ----------------------------------------------------------------------------- one user

class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.lat = defaultdict(list)   # kind -> seconds
        self.started = defaultdict(list)  # kind -> time.time() each request started
        self.errors = defaultdict(int)
        self.samples: list[str] = []
        self.status = defaultdict(lambda: defaultdict(int))
        self.bytes = defaultdict(int)
        self.retries = defaultdict(int)  # requests sent again after a reset kept-alive connection
        self.cpu = defaultdict(list)  # kind -> the server's CPU ms for the request (Server-Timing total)
        self.stages = defaultdict(lambda: defaultdict(float))  # kind -> stage -> CPU ms summed

    def add(self, kind: str, seconds: float, status: int, size: int, ok: bool, note: str = "") -> None:
        with self.lock:
            self.lat[kind].append(seconds)
            self.started[kind].append(time.time() - seconds)
            self.status[kind][status] += 1
            self.bytes[kind] += size
            if not ok:
                self.errors[kind] += 1
                if len(self.samples) < 20:
                    self.samples.append(f"{kind}: {status} {note[:300]}")


class User(threading.Thread):
    def __init__(self, n: int, base: str, app: App, rec: Recorder, stop_at: float, seed: int, think: tuple):
        super().__init__(name=f"user-{n}", daemon=True)
        self.base, self.app, self.rec, self.stop_at = base, app, rec, stop_at
        self.rnd = random.Random(seed)
        self.think = think
        self.sessions = [requests.Session() for _ in range(3)]
        self.pool = ThreadPoolExecutor(3, thread_name_prefix=f"u{n}")
        self.controls: dict = {}
        self.search = ""
        self.scope = None
        self.teryt = ""

    # -- HTTP
    def _req(self, kind: str, method: str, path: str, session=None, **kw):
        s = session or self.sessions[0]
        t = time.perf_counter()
        for attempt in (1, 2):
            try:
                r = s.request(method, self.base + path, timeout=60, **kw)
                body = r.content
                took = time.perf_counter() - t
                break
            except requests.ConnectionError as e:
                # a kept-alive connection the server closed (keepalive 5 s) just as it was reused:
                # browsers send the request again on a new connection, so do we (once; counted)
                if attempt == 1:
                    with self.rec.lock:
                        self.rec.retries[kind] += 1
                    continue
                self.rec.add(kind, time.perf_counter() - t, 0, 0, False, repr(e))
                return None
            except requests.RequestException as e:
                self.rec.add(kind, time.perf_counter() - t, 0, 0, False, repr(e))
                return None
        ok = 200 <= r.status_code < 300
        self.rec.add(kind, took, r.status_code, len(body), ok, body[:300].decode("utf-8", "replace"))
        timing = parse_server_timing(r.headers.get("Server-Timing", ""))
        if "total" in timing:
            with self.rec.lock:
                self.rec.cpu[kind].append(timing.pop("total"))
                for stage, ms in timing.items():
                    self.rec.stages[kind][stage.split(".", 1)[0]] += ms
        return r if ok else None

    def _callback(self, kind: str, payload: dict, session=None):
        return self._req(kind, "POST", "/_dash-update-component", session=session, json=payload)

    # -- Dash payloads
    def _item(self, dep, values: dict, crumbs: list[str], clicked_crumb: str | None):
        if dep["id"].startswith("{"):
            pid = json.loads(dep["id"])
            if pid.get("type") == "f-cat-group":
                return [{"id": {"group": g, "type": "f-cat-group"}, "property": dep["property"], "value": None}
                        for g in self.app.groups]
            if pid.get("type") == "crumb":
                return [{"id": {"teryt": t, "type": "crumb"}, "property": dep["property"],
                         "value": 1 if t == clicked_crumb else None} for t in crumbs]
            return []
        return {"id": dep["id"], "property": dep["property"], "value": values.get(f"{dep['id']}.{dep['property']}")}

    def _payload(self, name: str, values: dict, changed: list[str], crumbs=(), clicked_crumb=None) -> dict:
        cb = self.app.cbs[name]
        return {"output": cb["output"], "outputs": dash_outputs(cb["output"]),
                "inputs": [self._item(d, values, list(crumbs), clicked_crumb) for d in cb["inputs"]],
                "state": [self._item(d, values, list(crumbs), clicked_crumb) for d in cb["state"]],
                "changedPropIds": changed}

    def _views(self):
        """The views callback with the current URL (map, KPIs, charts, table, viewport)."""
        v = {"url.search": self.search, "map-scope.data": self.scope}
        r = self._callback("views", self._payload("views", v, ["url.search"]))
        if r is not None:
            try:
                scope = r.json()["response"].get("map-scope", {})
                if "data" in scope:
                    self.scope = scope["data"]
            except (ValueError, KeyError, TypeError, AttributeError):
                pass

    def _sync(self, changed_key: str, values: dict, crumbs=(), clicked_crumb=None) -> bool:
        payload = self._payload("sync", values, [changed_key], crumbs, clicked_crumb)
        r = self._callback("sync", payload)
        if r is None:
            return False
        if r.status_code == 204:
            return True
        resp = r.json().get("response", {})
        for cid, props in resp.items():
            for prop, val in props.items():
                if cid == "url" and prop == "search":
                    self.search = val
                else:
                    self.controls[f"{cid}.{prop}"] = val
        return True

    # -- actions
    def page_load(self):
        self._req("page /", "GET", "/")
        self._req("page /_dash-layout", "GET", "/_dash-layout")
        self._req("page /_dash-dependencies", "GET", "/_dash-dependencies")
        self.controls = self.app.initial_controls()
        self.search, self.scope, self.teryt = "", None, ""
        self._views()

    def filter_change(self):
        c = dict(self.controls)
        r = self.rnd
        which = r.choice(["f-preset.value", "f-categories.value", "f-outcomes.value", "f-sources.value",
                          "map-level.value", "map-metric.value", "f-compare.value", "f-dates", "f-region.value"])
        if which == "f-preset.value":
            c[which] = r.choice([p for p in PRESETS if p != c.get(which)])
        elif which == "f-categories.value":
            c[which] = r.sample(self.app.categories, r.randint(0, 3))
        elif which == "f-outcomes.value":
            c[which] = r.sample(OUTCOMES, r.randint(0, 2))
        elif which == "f-sources.value":
            c[which] = r.sample(SOURCES, r.randint(0, 2))
        elif which == "map-level.value":
            c[which] = r.choice(LEVELS)
        elif which == "map-metric.value":
            c[which] = r.choice(METRICS)
        elif which == "f-compare.value":
            c[which] = "year" if c.get(which) == "previous" else "previous"
        elif which == "f-region.value":
            lvl = r.choice(("voivodeship", "voivodeship", "powiat", ""))
            c[which] = r.choice(self.app.teryt[lvl]) if lvl else ""
        else:
            span = (self.app.date_to - self.app.date_from).days
            a = self.app.date_from + timedelta(days=r.randint(0, max(0, span - 1)))
            b = min(self.app.date_to, a + timedelta(days=r.randint(1, 400)))
            c["f-dates.start_date"], c["f-dates.end_date"] = a.isoformat(), b.isoformat()
            which = "f-dates.end_date"
        self.controls = c
        if self._sync(which, c):
            self._views()

    def drill_down(self):
        """Click a district of the next level in the shown scope; at a gmina, back to Poland."""
        r = self.rnd
        if len(self.teryt) == 7:
            crumbs = ["", self.teryt[:2], self.teryt[:4]]
            key = stringify_id({"teryt": "", "type": "crumb"}) + ".n_clicks"
            if self._sync(key, self.controls, crumbs, ""):
                self.teryt = ""
                self._views()
            return
        nxt = {0: "voivodeship", 2: "powiat", 4: "gmina"}[len(self.teryt)]
        options = [t for t in self.app.teryt[nxt] if t.startswith(self.teryt)] or self.app.teryt["voivodeship"]
        target = r.choice(options)
        values = dict(self.controls)
        values["map-geojson.clickData"] = {"type": "Feature", "properties": {"teryt": target}}
        if self._sync("map-geojson.clickData", values):
            self.teryt = target
            self._views()

    def api_call(self):
        r = self.rnd
        kind = r.choices(["districts", "categories", "timeseries", "meta"], weights=[5, 2, 2, 1])[0]
        q = []
        if kind != "meta":
            if r.random() < 0.8:
                span = (self.app.date_to - self.app.date_from).days
                a = self.app.date_from + timedelta(days=r.randint(0, max(0, span - 1)))
                b = min(self.app.date_to, a + timedelta(days=r.randint(0, 500)))
                q += [("from", a.isoformat()), ("to", b.isoformat())]
            q += [("category", c) for c in r.sample(self.app.categories, r.choice([0, 0, 1, 2]))]
            if r.random() < 0.3:
                q.append(("outcome", r.choice(OUTCOMES)))
            if r.random() < 0.2:
                q.append(("source", r.choice(SOURCES)))
            if r.random() < 0.3:
                q.append(("teryt", r.choice(self.app.teryt[r.choice(("voivodeship", "powiat"))])))
            if r.random() < 0.1:
                q.append(("format", "csv"))
        if kind == "districts":
            level = r.choice(LEVELS)
            region = next((v for k, v in q if k == "teryt"), "")
            if len(region) > {"voivodeship": 2, "powiat": 4, "gmina": 7}[level]:
                level = "powiat" if len(region) == 4 else "gmina"  # a region finer than the level is refused (400)
            q.append(("level", level))
            if r.random() < 0.3 and any(k == "from" for k, _ in q):
                q.append(("compare", r.choice(("previous", "year"))))
            name = f"api districts/{level}"
        elif kind == "timeseries":
            dates = dict((k, v) for k, v in q if k in ("from", "to"))
            short = len(dates) == 2 and (date.fromisoformat(dates["to"]) - date.fromisoformat(dates["from"])).days <= 731
            # a daily series is refused over more than 731 days (the API says so): a client asks for weeks then
            q.append(("interval", r.choice(("day", "week", "month") if short else ("week", "month"))))
            name = "api timeseries"
        else:
            name = f"api {kind}"
        self._req(name, "GET", f"/api/v1/{kind}", params=q)

    def run(self):
        try:
            self.page_load()
            while time.time() < self.stop_at:
                time.sleep(self.rnd.uniform(*self.think))
                if time.time() >= self.stop_at:
                    break
                action = self.rnd.choices(["filter", "drill", "api", "reload"], weights=[40, 20, 30, 10])[0]
                t = time.perf_counter()
                {"filter": self.filter_change, "drill": self.drill_down, "api": self.api_call,
                 "reload": self.page_load}[action]()
                with self.rec.lock:
                    self.rec.lat[f"action: {action}"].append(time.perf_counter() - t)
        finally:
            self.pool.shutdown(wait=True)
            for s in self.sessions:
                s.close()


# ----------------------------------------------------------------------------- report

def cpu_table(rec: Recorder, wall: float) -> tuple[list[dict], float]:
    """Per request kind: the server's CPU ms (mean, p95), the CPU seconds it used per second of the test
    (2 cores give at most 2.0), and where that CPU went."""
    rows = []
    for kind, ms in sorted(rec.cpu.items(), key=lambda kv: -sum(kv[1])):
        a = np.asarray(ms)
        total = float(a.sum())
        rows.append({"kind": kind, "n": len(a), "cpu_mean_ms": round(float(a.mean()), 1),
                     "cpu_p95_ms": round(float(np.percentile(a, 95)), 1),
                     "cpu_s_per_s": round(total / 1000 / wall, 3),
                     "stages_ms_mean": {k: round(v / len(a), 1) for k, v in
                                        sorted(rec.stages[kind].items(), key=lambda kv: -kv[1]) if v / len(a) >= 0.5}})
    return rows, round(sum(r["cpu_s_per_s"] for r in rows), 3)


def stats(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    ms = np.asarray(values) * 1000
    return {"n": int(len(ms)), "p50_ms": round(float(np.percentile(ms, 50)), 1),
            "p95_ms": round(float(np.percentile(ms, 95)), 1), "p99_ms": round(float(np.percentile(ms, 99)), 1),
            "mean_ms": round(float(ms.mean()), 1), "max_ms": round(float(ms.max()), 1)}


def table(rows: list[tuple]) -> str:
    head = ("kind", "requests", "errors", "p50 ms", "p95 ms", "p99 ms", "max ms", "req/s")
    body = [head] + [tuple(str(x) for x in r) for r in rows]
    widths = [max(len(r[i]) for r in body) for i in range(len(head))]
    lines = []
    for j, r in enumerate(body):
        lines.append("  ".join(c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(r)))
        if j == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def cpu_busy(seconds: float) -> float:
    """Share of all CPUs busy over `seconds` (/proc/stat): other work on the machine."""
    def snap():
        vals = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        return vals[3] + vals[4], sum(vals)
    i0, t0 = snap()
    time.sleep(seconds)
    i1, t1 = snap()
    return round(1 - (i1 - i0) / max(1, t1 - t0), 3)


def make_demo(tmp: Path, geo_dir: str) -> Path:
    data = tmp / "data"
    env = {**os.environ, "KMZB_DATA_DIR": str(data), "KMZB_GEO_DIR": geo_dir}
    print(f"building a demo data set in {data} ...", file=sys.stderr, flush=True)
    subprocess.run([sys.executable, "-m", "kmzb", "demo", "--scale", "0.3", "--days", "730", "--deltas", "10"],
                   cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    return data


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", type=Path, help=f"KMZB_DATA_DIR to serve (default {STORE3M} when it has a store)")
    ap.add_argument("--demo", action="store_true", help="serve a demo data set built in a temporary directory")
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--duration", type=float, default=60.0, help="seconds of load (default 60)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--think", type=float, nargs=2, default=(0.5, 2.0), metavar=("MIN", "MAX"),
                    help="seconds a user waits between actions (default 0.5 2.0)")
    ap.add_argument("--ramp", type=float, default=10.0,
                    help="seconds over which the users arrive (default 10; part of the measured time)")
    ap.add_argument("--seed", type=int, default=2016)
    ap.add_argument("--root", type=Path, default=ROOT,
                    help="serve another checkout (e.g. a git worktree of an older commit: 'before')")
    ap.add_argument("--out", type=Path, default=OUT / "load.json")
    args = ap.parse_args(argv)
    if args.users < 1 or args.duration <= 0 or args.workers < 1:
        ap.error("--users, --duration and --workers must be positive")

    from kmzb.config import get_settings

    geo_dir = str(get_settings().geo_dir)
    tmp = None
    if args.demo:
        tmp = Path(tempfile.mkdtemp(prefix="kmzb-load-"))
        data_dir = make_demo(tmp, geo_dir)
        scale = "demo"
    else:
        data_dir = args.data_dir or STORE3M
        if not (data_dir / "store" / "CURRENT").is_file():
            print(f"no store in {data_dir} (no store/CURRENT): build the 3M store first (bench/bench_ingest.py), "
                  f"or run with --demo", file=sys.stderr)
            return 2
        scale = "3M" if data_dir.resolve() == STORE3M.resolve() else str(data_dir)
    OUT.mkdir(parents=True, exist_ok=True)
    others = subprocess.run(["pgrep", "-af", "bench_"], capture_output=True, text=True).stdout.splitlines()
    others = [o for o in others if str(os.getpid()) != o.split()[0] and "bench_load" not in o]
    if others:
        print("warning: other benchmarks are running (results will be disturbed):\n  " + "\n  ".join(others),
              file=sys.stderr)

    busy_before = cpu_busy(2.0)
    if busy_before > 0.2:
        print(f"warning: the CPUs are {busy_before:.0%} busy with other work before the start", file=sys.stderr)
    srv = Gunicorn(data_dir, args.workers, OUT / "cache-load", OUT / "load-gunicorn.log", geo_dir, args.root.resolve())
    wait_warm(srv.url)  # the workers' cubes counted, as on a server that has been up a while
    try:
        print(f"gunicorn on {srv.url}: {args.workers} workers x {THREADS} threads; data version "
              f"{srv.meta['data_version']}, {srv.meta['reports']:,} reports; {args.users} users for "
              f"{args.duration:.0f} s", file=sys.stderr, flush=True)
        app = App(srv.url)
        rec = Recorder()
        t0 = time.time()
        gen_cpu0 = time.process_time()  # this process: the load generator's own CPU on the same cores
        stop_at = t0 + args.duration
        users = [User(i, srv.url, app, rec, stop_at, args.seed * 1000 + i, tuple(args.think))
                 for i in range(args.users)]
        for i, u in enumerate(users):  # users arrive evenly over --ramp seconds
            u.start()
            time.sleep(args.ramp / args.users)
        ramp_end = time.time()
        for u in users:
            u.join(timeout=max(1.0, stop_at - time.time()) + 90)
        wall = time.time() - t0
        gen_cpu = round((time.process_time() - gen_cpu0) / wall, 3)
        stuck = sum(u.is_alive() for u in users)
        rss = srv.rss_mb()
        alive_workers = len(srv.workers())
    finally:
        srv.stop()
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)

    kinds = sorted(k for k in rec.lat if not k.startswith("action: "))
    all_lat = [x for k in kinds for x in rec.lat[k]]
    total = len(all_lat)
    errors = sum(rec.errors.values())
    per_kind = {k: {**stats(rec.lat[k]), "errors": rec.errors.get(k, 0),
                    "status": {str(s): n for s, n in sorted(rec.status[k].items())},
                    "kb_per_response": round(rec.bytes[k] / max(1, len(rec.lat[k])) / 1024, 1)} for k in kinds}
    overall = {**stats(all_lat), "errors": errors, "throughput_rps": round(total / wall, 1)}
    steady_lat = [x for k in kinds for x, t in zip(rec.lat[k], rec.started[k]) if t >= ramp_end]
    steady = {**stats(steady_lat), "from_s": round(ramp_end - t0, 1),
              "throughput_rps": round(len(steady_lat) / max(1e-9, t0 + wall - ramp_end), 1)}
    actions = {k.removeprefix("action: "): stats(v) for k, v in sorted(rec.lat.items()) if k.startswith("action: ")}
    result = {
        "benchmark": "load", "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "machine": {"cpus": os.cpu_count(), "loadavg_at_end": [round(x, 2) for x in os.getloadavg()],
                    "load_generator_cpu_s_per_s": gen_cpu},
        "config": {"users": args.users, "duration_s": args.duration, "workers": args.workers, "threads": THREADS,
                   "think_s": list(args.think), "ramp_s": args.ramp, "cache": "on", "scale": scale, "data_dir": str(data_dir),
                   "data_version": srv.meta["data_version"], "reports": srv.meta["reports"], "seed": args.seed,
                   "other_benchmarks_running": others, "cpu_busy_before": busy_before},
        "wall_s": round(wall, 1), "users_stuck": stuck, "server_rss_mb_at_end": rss,
        "workers_alive_at_end": alive_workers,
        "overall": overall, "steady_state_after_ramp": steady, "per_kind": per_kind, "actions_wall": actions,
        "retried_after_connection_reset": dict(rec.retries),
        "server_cpu": dict(zip(("per_kind", "cpu_s_per_s"), cpu_table(rec, wall))),
        "error_samples": rec.samples,
        "targets": {"no_errors": errors == 0, "p95_ms": TARGET_P95_MS,
                    "p95_ok": bool(total) and overall.get("p95_ms", 1e9) <= TARGET_P95_MS},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp_out = args.out.with_suffix(".json.tmp")
    tmp_out.write_text(json.dumps(result, ensure_ascii=False, indent=2))
    os.replace(tmp_out, args.out)

    rows = [(k, v["n"], v["errors"], v.get("p50_ms"), v.get("p95_ms"), v.get("p99_ms"), v.get("max_ms"),
             round(v["n"] / wall, 1)) for k, v in per_kind.items()]
    rows.append(("ALL", total, errors, overall.get("p50_ms"), overall.get("p95_ms"), overall.get("p99_ms"),
                 overall.get("max_ms"), overall["throughput_rps"]))
    rows.append((f"ALL after the {args.ramp:.0f} s ramp", steady["n"], "", steady.get("p50_ms"), steady.get("p95_ms"),
                 steady.get("p99_ms"), steady.get("max_ms"), steady["throughput_rps"]))
    print(table(rows))
    print("\nuser actions (wall time of the requests one action makes; views in parallel):")
    print(table([(k, v["n"], "", v.get("p50_ms"), v.get("p95_ms"), v.get("p99_ms"), v.get("max_ms"),
                  round(v["n"] / wall, 1)) for k, v in actions.items()]))
    cpu_rows, cpu_total = cpu_table(rec, wall)
    print(f"\nserver CPU (request threads; Server-Timing): {cpu_total} CPU-s per s of {os.cpu_count()} cores; "
          f"the load generator itself: {gen_cpu} CPU-s per s")
    for r in cpu_rows:
        print(f"  {r['kind']:<28} n={r['n']:<6} mean {r['cpu_mean_ms']:>6} ms  p95 {r['cpu_p95_ms']:>6} ms  "
              f"{r['cpu_s_per_s']:.3f} CPU-s/s  {r['stages_ms_mean']}")
    verdict = "OK" if result["targets"]["no_errors"] and result["targets"]["p95_ok"] else "MISSED"
    print(f"\n{scale}: {args.users} users, {wall:.0f} s, {total:,} requests ({overall['throughput_rps']} req/s), "
          f"{errors} errors, p95 {overall.get('p95_ms')} ms (target <= {TARGET_P95_MS:.0f} ms, no errors): {verdict}")
    if rec.retries:
        print(f"  requests sent again after a connection reset (not errors): {dict(rec.retries)}")
    for s in rec.samples[:5]:
        print("  error:", s)
    print(f"written {args.out}")
    return 0 if verdict == "OK" else 1


if __name__ == "__main__":
    sys.exit(main())
