"""Server time of the district profile: the page, its PDF and its spreadsheet, uncached
(KMZB_CACHE=off, a new request each time), on the store in KMZB_DATA_DIR (e.g. bench/gen_big.py's
3M reports). Prints p50 / p95 per kind over N requests for a gmina, a powiat and a voivodeship
(and the median CPU time: on a shared machine it moves less than the wall time).

    KMZB_DATA_DIR=... python bench/bench_profile.py [--n 10] [--breakdown]

--breakdown also times each step of every request (the gateway's data functions, the profile's
own queries, each chart, the template, WeasyPrint, the workbook) by wrapping them in this process
only, and prints the median per step and kind (a step inside another counts in both).
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("KMZB_CACHE", "off")
os.environ["KMZB_API_RATE"] = "1000000 per minute"

CODES = ("1261011", "1206", "12", "1061011")
STEPS: dict[str, float] = defaultdict(float)


def _timed(owner, attr: str, label: str) -> None:
    fn = getattr(owner, attr)

    @functools.wraps(fn)
    def wrapper(*a, **k):
        t = time.perf_counter()
        try:
            return fn(*a, **k)
        finally:
            STEPS[label] += (time.perf_counter() - t) * 1000
    setattr(owner, attr, wrapper)


def instrument() -> None:
    """Wrap each step of a profile request in a timer (this process only)."""
    import weasyprint

    from dashboard import profile_charts, profile_sheet
    from kmzb.query import gateway, profile
    from web import profile as web_profile

    for name in ("meta", "district_table", "district_rows", "small_area", "districts", "cells", "categories",
                 "totals", "total_reports", "timeseries", "week_heatmap", "level_weights", "police_units"):
        if hasattr(gateway.DataGateway, name):
            _timed(gateway.DataGateway, name, f"gw.{name}")
    for name in dir(profile):
        if name.startswith("q_") or name in ("build", "poisson_change", "_neighbours"):
            _timed(profile, name, f"profile.{name}")
    for name in ("comparison_bars", "trend", "week_heatmap", "district_map"):
        _timed(profile_charts, name, f"chart.{name}")
    _timed(web_profile, "render_template", "render_template")
    _timed(web_profile, "context", "web.context")
    _timed(web_profile, "workbook", "workbook")
    _timed(profile_sheet, "workbook", "workbook(inner)")
    _timed(weasyprint.HTML, "write_pdf", "weasyprint.write_pdf")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=10)
    p.add_argument("--breakdown", action="store_true", help="time each step (median per kind)")
    p.add_argument("--kinds", default="page,xlsx,pdf")
    args = p.parse_args()
    from app import create_app

    if args.breakdown:
        instrument()
    app = create_app()
    client = app.server.test_client()
    for code in ("12", "1206", "1261011"):  # warm: geometry of each level's map, catalogues, imports
        client.get(f"/profile/{code}")
    gw = app.server.extensions["kmzb_gateway"]
    if hasattr(gw, "cube"):  # a warmed server answers from the in-memory cube (kmzb.query.cube): wait for it
        t = time.perf_counter()
        print(f"cube ready: {gw.cube(wait=True) is not None} ({time.perf_counter() - t:.1f} s)")
    for kind in args.kinds.split(","):
        ext = "" if kind == "page" else "." + kind
        times, cpu, steps = [], [], defaultdict(list)
        for i in range(args.n):
            code = CODES[i % len(CODES)]
            STEPS.clear()
            t, c = time.perf_counter(), time.process_time()
            r = client.get(f"/profile/{code}{ext}")
            times.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)  # this process's CPU (DuckDB's threads included)
            assert r.status_code == 200, r.status_code
            for k, v in STEPS.items():
                steps[k].append(v)
        times.sort()
        p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
        print(f"profile{ext or ' page'}: n={len(times)} p50 {statistics.median(times):.0f} ms, p95 {p95:.0f} ms, "
              f"max {times[-1]:.0f} ms, CPU p50 {statistics.median(cpu):.0f} ms, last size {len(r.data) / 1024:.0f} KB")
        for k, v in sorted(steps.items(), key=lambda kv: -statistics.median(kv[1])):
            print(f"    {k:28s} median {statistics.median(v):7.1f} ms  max {max(v):7.1f} ms  (calls in {len(v)})")
    print("loadavg", open("/proc/loadavg").read().strip())


if __name__ == "__main__":
    main()
