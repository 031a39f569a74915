"""API benchmark: GET /api/v1/districts?level=gmina at 3M reports, uncached, then with the cache on.

    python bench/bench_api.py [--requests 200] [--seed 7]

Starts the real server (`python app.py --port FREE`, KMZB_DATA_DIR=bench/out/store3m, KMZB_CACHE=off),
warms up with 5 requests, times --requests requests (categories and date ranges varied, fixed seed) on one
requests.Session (client wall time on loopback), then reads the server's VmRSS / VmHWM. A second server with
the cache on (fresh cache dir) runs the same URLs twice: cold pass, then the cached pass.
Targets: p50 <= 30 ms, p95 <= 60 ms, RSS <= 600 MB. Result: bench/out/api.json.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

import requests  # noqa: E402
from _common import (  # noqa: E402
    OUT,
    check,
    proc_mem,
    require_store,
    running_server,
    summary_ms,
    write_result,
)

from kmzb import reference  # noqa: E402

TARGET_P50, TARGET_P95, TARGET_RSS = 30.0, 60.0, 600.0


def make_urls(n: int, seed: int, lo: date, hi: date) -> list[str]:
    rng = random.Random(seed)
    cats = reference.category_codes()
    urls = []
    for _ in range(n):
        length = rng.choice([7, 30, 90, 90, 180, 365, 730, (hi - lo).days])
        start = lo + timedelta(days=rng.randint(0, max(0, (hi - lo).days - length)))
        end = min(hi, start + timedelta(days=length - 1))
        k = rng.choice([0, 1, 1, 1, 2, 3])
        q = [("level", "gmina")] + [("category", c) for c in rng.sample(cats, k)]
        q += [("from", start.isoformat()), ("to", end.isoformat())]
        urls.append("/api/v1/districts?" + urlencode(q))
    return urls


def run_pass(session: requests.Session, base: str, urls: list[str]) -> tuple[list[float], list[int]]:
    times, sizes = [], []
    for u in urls:
        t = time.perf_counter()
        r = session.get(base + u, timeout=60)
        body = r.content
        times.append(time.perf_counter() - t)
        if r.status_code != 200:
            raise SystemExit(f"{u}: HTTP {r.status_code}: {body[:300]!r}")
        sizes.append(len(body))
    return times, sizes


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    require_store()

    result: dict = {"targets": {"p50_ms": TARGET_P50, "p95_ms": TARGET_P95, "rss_mb": TARGET_RSS}}
    with running_server(cache=False) as srv:
        s = requests.Session()
        meta = s.get(srv.url + "/api/v1/meta", timeout=60).json()
        lo, hi = date.fromisoformat(meta["date_from"]), date.fromisoformat(meta["date_to"])
        urls = make_urls(args.requests, args.seed, lo, hi)
        warm = make_urls(5, args.seed + 1000, lo, hi)
        mem_start = proc_mem(srv.proc.pid)
        run_pass(s, srv.url, warm)
        times, sizes = run_pass(s, srv.url, urls)
        mem = proc_mem(srv.proc.pid)
        rows = len(s.get(srv.url + urls[0], timeout=60).json()["rows"])
        unc = summary_ms(times)
        result["uncached"] = {**unc, "response_bytes_median": sorted(sizes)[len(sizes) // 2], "rows": rows,
                              "server_pid": srv.proc.pid, "rss_mb_after_start": mem_start.get("VmRSS"),
                              "rss_mb": mem.get("VmRSS"), "hwm_mb": mem.get("VmHWM"),
                              "slowest": sorted(zip(times, urls), reverse=True)[:3]}
        result["data"] = {"reports": meta["reports"], "date_from": meta["date_from"], "date_to": meta["date_to"]}
    print(f"uncached (KMZB_CACHE=off), {len(urls)} × {urls[0].split('?')[0]}?level=gmina&…: "
          f"p50 {unc['p50_ms']:.1f} ms, p95 {unc['p95_ms']:.1f} ms, max {unc['max_ms']:.1f} ms; "
          f"server RSS {mem.get('VmRSS')} MB (peak {mem.get('VmHWM')} MB); {rows} rows, "
          f"~{result['uncached']['response_bytes_median'] / 1e3:.0f} kB per response", flush=True)

    with running_server(cache=True, cache_dir=OUT / "cache-api") as srv:
        s = requests.Session()
        run_pass(s, srv.url, warm)
        cold, _ = run_pass(s, srv.url, urls)
        warm_t, _ = run_pass(s, srv.url, urls)
        mem_c = proc_mem(srv.proc.pid)
    c1, c2 = summary_ms(cold), summary_ms(warm_t)
    result["cache_on_first_pass"] = c1
    result["cache_on_cached_pass"] = {**c2, "rss_mb": mem_c.get("VmRSS"), "hwm_mb": mem_c.get("VmHWM")}
    print(f"cache on (in-memory): first pass p50 {c1['p50_ms']:.1f} / p95 {c1['p95_ms']:.1f} ms; "
          f"cached pass p50 {c2['p50_ms']:.1f} / p95 {c2['p95_ms']:.1f} / max {c2['max_ms']:.1f} ms", flush=True)

    result["pass"] = {"p50": check(unc["p50_ms"], TARGET_P50), "p95": check(unc["p95_ms"], TARGET_P95),
                      "rss": check(mem.get("VmRSS"), TARGET_RSS), "rss_peak": check(mem.get("VmHWM"), TARGET_RSS)}
    path = write_result("api", result)
    for k, ok in result["pass"].items():
        print(f"{k}: {'PASS' if ok else 'FAIL'}")
    print(f"result: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
