"""Shared helpers for the benchmark scripts (paths, result files, percentiles, memory, the server)."""

from __future__ import annotations

import json
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BENCH = ROOT / "bench"
OUT = BENCH / "out"
DATA = OUT / "data"
STORE = OUT / "store3m"          # KMZB_DATA_DIR of the 3M benchmark store
PY = sys.executable

# the generated data set (bench/gen_big.py arguments); changing these regenerates it
GEN = {"reports": 3_000_000, "years": 9.0, "end": "2026-11-24", "seed": 2016, "delta_rows": 5000}
FULL_FILE = DATA / "kmzb_full_20261124.csv.gz"
DELTA_FILE = DATA / "kmzb_20261125.csv"


def geo_dir() -> str:
    from kmzb.config import get_settings

    return str(get_settings().geo_dir)


def store_ready() -> bool:
    return (STORE / "store" / "CURRENT").is_file()


def require_store() -> None:
    if not store_ready():
        sys.exit(f"no 3M store in {STORE}: run `{PY} bench/bench_ingest.py` first")


def server_env(cache: bool, cache_dir: Path | None = None) -> dict:
    env = {"KMZB_DATA_DIR": str(STORE), "KMZB_GEO_DIR": geo_dir(), "KMZB_TILES_URL": "",
           "KMZB_CACHE": "memory" if cache else "off", "PYTHONUNBUFFERED": "1",
           "KMZB_API_RATE": "1000000 per minute"}  # one client sends every request: measure speed, not the limiter
    if cache_dir is not None:
        env["KMZB_CACHE_DIR"] = str(cache_dir)
    return env


@contextmanager
def running_server(cache: bool, cache_dir: Path | None = None):
    """The real server (`python app.py --port FREE`) on the 3M store, as tests.browser.Server."""
    from tests.browser import Server

    if cache_dir is not None:
        import shutil

        shutil.rmtree(cache_dir, ignore_errors=True)
        cache_dir.mkdir(parents=True)
    srv = Server(server_env(cache, cache_dir))
    ok = False
    try:
        yield srv
        ok = True
    finally:
        srv.stop()
        if ok:  # keep the server log only when something went wrong
            Path(srv.log.name).unlink(missing_ok=True)
        else:
            print(f"server log: {srv.log.name}", file=sys.stderr)


def proc_mem(pid: int) -> dict:
    """Resident memory of a process from /proc (MB): VmRSS now and VmHWM (peak)."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, val = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = round(int(val.split()[0]) / 1024, 1)
    return out


def pct(values, q: float) -> float:
    import numpy as np

    return float(np.percentile(np.asarray(values, dtype=float), q)) if len(values) else float("nan")


def summary_ms(values_s) -> dict:
    ms = [v * 1000 for v in values_s]
    return {"n": len(ms), "p50_ms": round(pct(ms, 50), 2), "p95_ms": round(pct(ms, 95), 2),
            "max_ms": round(max(ms), 2) if ms else None, "mean_ms": round(sum(ms) / len(ms), 2) if ms else None}


def write_result(name: str, result: dict) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    result = {"benchmark": name, "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
              "machine": {"cpus": os.cpu_count(), "loadavg_at_end": [round(x, 2) for x in os.getloadavg()]}, **result}
    path = OUT / f"{name}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(result, ensure_ascii=False, indent=2, default=str))
    os.replace(tmp, path)
    return path


def check(value, target, op="<=") -> bool | None:
    if value is None:
        return None
    return value <= target if op == "<=" else value >= target


def cpu_busy(seconds: float = 2.0) -> float:
    """Share of all CPUs busy over `seconds` (from /proc/stat): other work running on the machine."""
    def snap():
        vals = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        idle = vals[3] + vals[4]
        return idle, sum(vals)
    i0, t0 = snap()
    time.sleep(seconds)
    i1, t1 = snap()
    return round(1 - (i1 - i0) / max(1, t1 - t0), 3)


def wait_quiet(max_wait: float, threshold: float = 0.15) -> dict:
    """Wait (at most max_wait s) until the machine is nearly idle; returns what was seen."""
    t = time.time()
    busy = cpu_busy()
    while busy > threshold and time.time() - t < max_wait:
        busy = cpu_busy(3.0)
    return {"cpu_busy_before": busy, "waited_s": round(time.time() - t, 1)}


def view_callbacks(deps: list[dict]) -> dict:
    """The dashboard's two filter-change callbacks, found in /_dash-dependencies by their outputs:
    `sync` (controls -> URL) and `views` (URL -> map, KPIs, charts, table, viewport)."""
    cbs = {}
    for cb in deps:
        out = cb["output"]
        if out.startswith("..url.search."):
            cbs["sync"] = cb
        elif "map-geojson.hideout" in out and "chart-timeline.figure" in out and "map.viewport" in out:
            cbs["views"] = cb
    missing = {"sync", "views"} - set(cbs)
    if missing:
        raise SystemExit(f"callbacks not found in /_dash-dependencies: {sorted(missing)}")
    return cbs


def wait_warm(base: str, timeout: float = 120) -> float:
    """Wait until the server's workers have counted their cube (/healthz says "ready" several times
    in a row: each answer comes from one worker), as a server that has been up a while; the seconds waited."""
    import requests

    t0 = time.time()
    streak = 0
    while streak < 6 and time.time() - t0 < timeout:
        try:
            ready = requests.get(base + "/healthz", timeout=10).json().get("cube") in ("ready", "n/a", None)
        except (requests.RequestException, ValueError):
            ready = False
        streak = streak + 1 if ready else 0
        time.sleep(0.1)
    return round(time.time() - t0, 1)


def parse_server_timing(header: str) -> dict[str, float]:
    """{stage: ms} of a Server-Timing header (KMZB_SERVER_TIMING, kmzb.timing)."""
    out = {}
    for part in header.split(","):
        name, _, ms = part.strip().partition(";dur=")
        if name and ms:
            out[name] = float(ms)
    return out


def wait_page_ready(drv, fields: str, timeout: float = 60) -> dict | None:
    """Poll the page's `window.__kmzb` probe (installed by a bench script) until it says ready;
    returns the named fields (e.g. "ready: __kmzb.ready, kpi: __kmzb.kpi"), None-ready on timeout."""
    deadline = time.time() + timeout
    st = None
    while time.time() < deadline:
        st = drv.execute_script("return window.__kmzb && {" + fields + "}")
        if st and st.get("ready") is not None:
            break
        time.sleep(0.05)
    return st
