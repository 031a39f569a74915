"""Memory benchmark: one gunicorn worker's resident memory under many distinct public requests.

    python bench/bench_memory.py [--requests 2000] [--clients 2] [--seed 2016] [--mix public|attack] [--app-dir DIR]

Serves the 3,000,000-report store (bench/out/store3m; built by bench/bench_ingest.py when missing)
with gunicorn (gunicorn.conf.py, KMZB_WORKERS=1, the default memory cache), then sends --requests
distinct random public requests from --clients threads on loopback: API calls (districts at every
level, with and without compare; categories; time series by day, week and month over random ranges,
a tenth of them over most of 2000-2100; meta) and dashboard callbacks (the views callback that redraws map, KPIs,
charts and table for a random view state, and the table's CSV download), each with random filters,
levels and dates. The worker's RSS (/proc/PID/status) is sampled every 0.1 s. Prints the peak and
final RSS; target: peak <= 800 MB. Result: bench/out/memory.json.

The limit on requests per client is raised for this run (one client sends them all, and it measures
memory, not the limiter). --app-dir serves another checkout of the app (e.g. an older commit from
`git archive`) on the same store, for a before/after figure.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import PY, ROOT, STORE, geo_dir, proc_mem, write_result  # noqa: E402

from tests.helpers import free_port, wait_until_up  # noqa: E402

TARGET_MB = 800.0
LEVELS = ("voivodeship", "powiat", "gmina")
PRESETS = ("7d", "30d", "90d", "ytd", "last_year", "all", "custom")
OUTCOMES = ("pending", "confirmed", "unconfirmed")
SOURCES = ("internet", "debata", "kontakt")


class Server:
    """gunicorn with one worker on the 3M store; `worker()` is the worker's pid."""

    def __init__(self, app_dir: Path, log_path: Path, cache_bytes: int | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "KMZB_DATA_DIR": str(STORE), "KMZB_GEO_DIR": geo_dir(), "KMZB_TILES_URL": "",
               "KMZB_WORKERS": "1", "KMZB_BIND": f"127.0.0.1:{self.port}", "KMZB_CACHE": "memory",
               "KMZB_API_RATE": "1000000 per minute", "KMZB_LOG_LEVEL": "warning", "PYTHONUNBUFFERED": "1"}
        env.pop("KMZB_CACHE_URL", None)
        if cache_bytes is not None:
            env.update({"KMZB_CACHE_BYTES": str(cache_bytes)} if cache_bytes else {"KMZB_CACHE": "off"})
        self.log = open(log_path, "w")
        self.proc = subprocess.Popen([PY, "-m", "gunicorn", "-c", "gunicorn.conf.py", "app:server"], cwd=app_dir,
                                     env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_until_up(self.url + "/healthz", self.proc, log_path, timeout=120, request_timeout=60,
                          up=lambda r: r.status_code == 200)
        except RuntimeError as e:
            self.stop()
            raise SystemExit(f"gunicorn did not start: {e}") from None

    def worker(self) -> int | None:
        kids = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
        return int(kids[0]) if kids else None

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self.log.close()


class Sampler(threading.Thread):
    """The worker's RSS every `every` seconds until stopped."""

    def __init__(self, pid: int, every: float = 0.1):
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.samples: list[tuple[float, float]] = []
        self.halt = threading.Event()

    def run(self):
        t0 = time.time()
        while not self.halt.is_set():
            try:
                self.samples.append((time.time() - t0, proc_mem(self.pid)["VmRSS"]))
            except OSError:
                break
            self.halt.wait(self.every)


# ----------------------------------------------------------------------------- the requests

def outputs_of(out: str):
    if not out.startswith(".."):
        i, p = out.rsplit(".", 1)
        return {"id": i, "property": p}
    return [{"id": x.rsplit(".", 1)[0], "property": x.rsplit(".", 1)[1]} for x in out[2:-2].split("...")]


class Requests:
    """Distinct random public requests: ('GET', path, params) or ('POST', callback, body)."""

    def __init__(self, base: str, seed: int):
        s = requests.Session()
        self.rnd = random.Random(seed)
        deps = s.get(base + "/_dash-dependencies", timeout=60).json()
        self.views = next(d for d in deps if "chart-timeline.figure" in d["output"])
        self.download = next(d for d in deps if "table-download.data" in d["output"])
        meta = s.get(base + "/api/v1/meta", timeout=60).json()
        self.lo, self.hi = date.fromisoformat(meta["date_from"]), date.fromisoformat(meta["date_to"])
        self.categories = [r["code"] for r in s.get(base + "/api/v1/categories", timeout=120).json()["rows"]]
        self.teryt = {lvl: [r["teryt"] for r in s.get(base + "/api/v1/districts", params={
            "level": lvl, "from": self.hi.isoformat(), "to": self.hi.isoformat()}, timeout=120).json()["rows"]]
            for lvl in LEVELS}
        self.seen: set[str] = set()

    def _range(self, longest: int) -> tuple[date, date]:
        span = (self.hi - self.lo).days
        a = self.lo + timedelta(days=self.rnd.randint(0, span))
        return a, min(self.hi, a + timedelta(days=self.rnd.randint(0, longest)))

    def _filters(self) -> list[tuple[str, str]]:
        r = self.rnd
        q = [("category", c) for c in r.sample(self.categories, r.choice([0, 0, 1, 2, 3]))]
        if r.random() < 0.3:
            q.append(("outcome", r.choice(OUTCOMES)))
        if r.random() < 0.2:
            q.append(("source", r.choice(SOURCES)))
        if r.random() < 0.3:
            q.append(("teryt", r.choice(self.teryt[r.choice(("voivodeship", "powiat"))])))
        return q

    def api(self):
        r = self.rnd
        kind = r.choices(["districts", "categories", "timeseries", "meta"], weights=[5, 2, 4, 0.05])[0]
        q = self._filters() if kind != "meta" else []
        if kind == "timeseries":
            interval = r.choice(("day", "week", "month"))
            if r.random() < 0.1:  # far beyond the data (day: refused now; before, up to a century of days)
                a = date(2000, 1, 1) + timedelta(days=r.randint(0, 3000))
                b = date(2100, 12, 31) - timedelta(days=r.randint(0, 3000))
            else:
                a, b = self._range(800 if interval == "day" else 1200)
            q += [("interval", interval), ("from", a.isoformat()), ("to", b.isoformat())]
        elif kind != "meta":
            a, b = self._range(500)
            q += [("from", a.isoformat()), ("to", b.isoformat())]
        if kind == "districts":
            q.append(("level", r.choice(LEVELS)))
            if r.random() < 0.4:
                q.append(("compare", r.choice(("previous", "year"))))
        if kind != "meta" and r.random() < 0.1:
            q.append(("format", "csv"))
        return f"api {kind}", ("GET", f"/api/v1/{kind}", q)

    def search(self) -> str:
        from dashboard.state import ViewState, to_query

        r = self.rnd
        preset = r.choice(PRESETS)
        a, b = self._range(700)
        region = r.choice(("", "", self.teryt["voivodeship"][0], r.choice(self.teryt[r.choice(LEVELS)])))
        s = ViewState(lang=r.choice(("pl", "en")), level=r.choice(LEVELS), metric=r.choice(("reports", "per10k", "rate")),
                      teryt=region, preset=preset, date_from=a.isoformat() if preset == "custom" else "",
                      date_to=b.isoformat() if preset == "custom" else "", compare=r.choice(("previous", "year")),
                      categories=tuple(sorted(r.sample(self.categories, r.choice([0, 0, 1, 2])))),
                      outcomes=tuple(r.sample(OUTCOMES, r.choice([0, 0, 1]))),
                      sources=tuple(r.sample(SOURCES, r.choice([0, 0, 1]))))
        return to_query(s)

    def callback(self):
        cb, kind = (self.download, "download") if self.rnd.random() < 0.1 else (self.views, "views")
        search = self.search()
        values = {"url.search": search, "table-download-btn.n_clicks": 1}
        item = lambda d: {"id": d["id"], "property": d["property"],  # noqa: E731
                          "value": values.get(f"{d['id']}.{d['property']}")}
        body = {"output": cb["output"], "outputs": outputs_of(cb["output"]),
                "inputs": [item(d) for d in cb["inputs"]], "state": [item(d) for d in cb["state"]],
                "changedPropIds": [f"{cb['inputs'][0]['id']}.{cb['inputs'][0]['property']}"]}
        return f"callback {kind}", ("POST", "/_dash-update-component", body)

    def attack(self):
        """Only the costliest requests: daily series over decades, gmina tables with comparison."""
        r = self.rnd
        if r.random() < 0.5:
            a = date(2000, 1, 1) + timedelta(days=r.randint(0, 2000))
            b = date(2100, 12, 31) - timedelta(days=r.randint(0, 2000))
            return "api timeseries (decades of days)", ("GET", "/api/v1/timeseries", [
                ("interval", "day"), ("from", a.isoformat()), ("to", b.isoformat())])
        a, b = self._range(700)
        return "api districts (gmina, compare)", ("GET", "/api/v1/districts", self._filters() + [
            ("level", "gmina"), ("compare", r.choice(("previous", "year"))), ("from", a.isoformat()),
            ("to", b.isoformat())])

    def next(self, mix: str = "public"):
        while True:
            if mix == "attack":
                kind, req = self.attack()
            else:
                kind, req = self.api() if self.rnd.random() < 0.5 else self.callback()
            key = json.dumps(req, sort_keys=True)
            if key not in self.seen:
                self.seen.add(key)
                return kind, req


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--clients", type=int, default=2, help="client threads (default 2)")
    ap.add_argument("--max-seconds", type=float, default=1800, help="stop sending after this long (default 1800)")
    ap.add_argument("--seed", type=int, default=2016)
    ap.add_argument("--app-dir", type=Path, default=ROOT, help="the checkout to serve (default this one)")
    ap.add_argument("--mix", choices=("public", "attack"), default="public",
                    help="public: the mix above; attack: only daily series over decades and gmina tables with "
                         "comparison (the costliest requests)")
    ap.add_argument("--cache-bytes", type=int, help="KMZB_CACHE_BYTES for the server (0: no cache; default: its own)")
    ap.add_argument("--out", default="memory", help="result name: bench/out/NAME.json (default memory)")
    args = ap.parse_args(argv)
    if args.requests < 1 or args.clients < 1:
        ap.error("--requests and --clients must be positive")
    if not (STORE / "store" / "CURRENT").is_file():
        print("no 3M store yet: building it with bench/bench_ingest.py (a few minutes)", flush=True)
        subprocess.run([PY, str(ROOT / "bench" / "bench_ingest.py")], cwd=ROOT, check=True)

    log_path = ROOT / "bench" / "out" / f"{args.out}-server.log"
    srv = Server(args.app_dir.resolve(), log_path, args.cache_bytes)
    try:
        gen = Requests(srv.url, args.seed)
        plan = [gen.next(args.mix) for _ in range(args.requests)]
        pid = srv.worker()
        start = proc_mem(pid)
        sampler = Sampler(pid)
        sampler.start()
        status: Counter = Counter()
        kinds: Counter = Counter()
        lock = threading.Lock()
        todo = iter(plan)
        stop_at = time.time() + args.max_seconds
        t0 = time.time()

        def client():
            s = requests.Session()
            while time.time() < stop_at:
                with lock:
                    item = next(todo, None)
                if item is None:
                    return
                kind, (method, path, payload) = item
                try:
                    if method == "GET":
                        code = s.get(srv.url + path, params=payload, timeout=120).status_code
                    else:
                        code = s.post(srv.url + path, json=payload, timeout=120).status_code
                except requests.RequestException as e:
                    code = type(e).__name__
                with lock:
                    status[f"{kind}: {code}"] += 1
                    kinds[kind] += 1

        threads = [threading.Thread(target=client) for _ in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        took = time.time() - t0
        time.sleep(0.3)
        sampler.halt.set()
        sampler.join()
        end = proc_mem(pid)
        peak = max(v for _, v in sampler.samples)
    finally:
        srv.stop()
    sent = sum(kinds.values())
    result = {"app_dir": str(args.app_dir), "mix": args.mix, "cache_bytes": args.cache_bytes, "requests": sent, "distinct": len(gen.seen), "clients": args.clients,
              "seconds": round(took, 1), "worker_rss_mb": {"start": start["VmRSS"], "peak_sampled": peak,
                                                           "peak_vmhwm": end["VmHWM"], "final": end["VmRSS"]},
              "target_peak_mb": TARGET_MB, "pass": end["VmHWM"] <= TARGET_MB,
              "by_kind": dict(kinds), "status": dict(sorted(status.items())),
              "rss_samples": [(round(t, 1), v) for t, v in sampler.samples[:: max(1, len(sampler.samples) // 200)]]}
    path = write_result(args.out, result)
    print(f"{sent} distinct requests in {took:.0f} s ({args.clients} clients), one gunicorn worker on 3M reports")
    for k, v in sorted(status.items()):
        print(f"  {k:32s} {v}")
    print(f"worker RSS: start {start['VmRSS']:.0f} MB, peak {end['VmHWM']:.0f} MB (sampled {peak:.0f}), "
          f"final {end['VmRSS']:.0f} MB; target peak <= {TARGET_MB:.0f} MB: {'PASS' if result['pass'] else 'FAIL'}")
    print(f"result: {path}")
    return 0 if sent == args.requests else 1


if __name__ == "__main__":
    sys.exit(main())
