"""Server time of the district profile: the page, its PDF and its spreadsheet, uncached
(KMZB_CACHE=off, a new request each time), on the store in KMZB_DATA_DIR (e.g. bench/gen_big.py's
3M reports). Prints p50 / p95 per kind over N requests for a gmina, a powiat and a voivodeship.

    KMZB_DATA_DIR=... python bench/bench_profile.py [--n 10]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("KMZB_CACHE", "off")
os.environ["KMZB_API_RATE"] = "1000000 per minute"

CODES = ("1261011", "1206", "12", "1061011")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=10)
    args = p.parse_args()
    from app import create_app

    client = create_app().server.test_client()
    client.get("/profile/12")  # warm: geometry, catalogues, imports
    for kind in ("", ".xlsx", ".pdf"):
        times = []
        for i in range(args.n):
            code = CODES[i % len(CODES)]
            t = time.perf_counter()
            r = client.get(f"/profile/{code}{kind}")
            times.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200, r.status_code
        times.sort()
        p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
        print(f"profile{kind or ' page'}: n={len(times)} p50 {statistics.median(times):.0f} ms, p95 {p95:.0f} ms, "
              f"max {times[-1]:.0f} ms, last size {len(r.data) / 1024:.0f} KB")
    print("loadavg", open("/proc/loadavg").read().strip())


if __name__ == "__main__":
    main()
