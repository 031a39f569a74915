"""Time kmzb.geo: index build and gmina lookup of random points in Poland's bounding box.

    python bench/bench_geo.py [--points 3000000] [--seed 42] [--repeat 3] [--exact]

Points are uniform in the EPSG:2180 bounding box of the gmina layer (about 2/3 of them fall
inside Poland). --exact also times the grid-free reference lookup and checks both agree.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kmzb import geo  # noqa: E402
from kmzb.config import get_settings  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--points", type=int, default=3_000_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--repeat", type=int, default=3, help="timed lookup runs (best is reported)")
    ap.add_argument("--exact", action="store_true", help="also time the reference (grid-free) lookup")
    ap.add_argument("--geo-dir", type=Path, default=None, help="reference geo folder (default $KMZB_GEO_DIR)")
    args = ap.parse_args(argv)
    geo_dir = args.geo_dir or get_settings().geo_dir

    t = time.perf_counter()
    index = geo.geo_index(geo_dir)
    print(f"index build: {time.perf_counter() - t:.2f} s  {index!r}")

    import shapely

    minx, miny, maxx, maxy = shapely.total_bounds(index.geometries)
    rng = np.random.default_rng(args.seed)
    x = rng.uniform(minx, maxx, args.points)
    y = rng.uniform(miny, maxy, args.points)

    best = float("inf")
    for _ in range(max(1, args.repeat)):
        t = time.perf_counter()
        codes = index.lookup(x, y)
        best = min(best, time.perf_counter() - t)
    found = sum(c is not None for c in codes)
    print(
        f"lookup: {args.points:,} points in {best:.2f} s = {args.points / best:,.0f} points/s "
        f"({found / args.points:.1%} in a gmina)"
    )

    if args.exact:
        t = time.perf_counter()
        ref = index.lookup_exact(x, y)
        elapsed = time.perf_counter() - t
        mismatch = int((ref != codes).sum())
        print(f"exact lookup: {elapsed:.2f} s = {args.points / elapsed:,.0f} points/s; mismatches: {mismatch}")
        if mismatch:
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
