"""Time kmzb.geo: the lookup index's build, gmina lookup of random points, the map files' build.

    python bench/bench_geo.py [--points 3000000] [--where poland|bbox] [--seed 42] [--repeat 3]
                              [--exact] [--assets]

--where poland (default): points uniform inside Poland (EPSG:2180, rejection-sampled against
the gmina coverage); bbox: uniform in the gminas' bounding box (about 2/3 inside). --exact also
times the plain shapely lookup (STRtree.query(points, predicate="intersects") for every point,
no raster) and checks both agree. --assets times build_map_assets into a temporary folder and
prints the files' sizes. Results and history: bench/HISTORY.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kmzb import teryt  # noqa: E402
from kmzb.config import get_settings  # noqa: E402
from kmzb.geo.assets import build_map_assets  # noqa: E402
from kmzb.geo.lookup import geo_index  # noqa: E402


def _points(index, n: int, where: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    import shapely

    minx, miny, maxx, maxy = shapely.total_bounds(index.geometries)
    rng = np.random.default_rng(seed)
    if where == "bbox":
        return rng.uniform(minx, maxx, n), rng.uniform(miny, maxy, n)
    land = shapely.coverage_union_all(index.geometries)
    shapely.prepare(land)
    xs, ys, got = [], [], 0
    while got < n:
        x, y = rng.uniform(minx, maxx, n), rng.uniform(miny, maxy, n)
        keep = shapely.contains_xy(land, x, y)
        xs.append(x[keep])
        ys.append(y[keep])
        got += int(keep.sum())
    return np.concatenate(xs)[:n], np.concatenate(ys)[:n]


def _timed(f, repeat: int) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(max(1, repeat)):
        t = time.perf_counter()
        result = f()
        times.append(time.perf_counter() - t)
    return times, result


def _spread(times: list[float]) -> str:
    return f"best {min(times):.2f} s, worst {max(times):.2f} s over {len(times)} runs"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--points", type=int, default=3_000_000)
    ap.add_argument("--where", choices=("poland", "bbox"), default="poland")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--repeat", type=int, default=3, help="timed runs of each step")
    ap.add_argument("--exact", action="store_true", help="also time the plain shapely (STRtree) lookup")
    ap.add_argument("--assets", action="store_true", help="also time the map files' build")
    ap.add_argument("--geo-dir", type=Path, default=None, help="reference geo folder (default $KMZB_GEO_DIR)")
    args = ap.parse_args(argv)
    geo_dir = args.geo_dir or get_settings().geo_dir
    print(f"load average: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")

    t = time.perf_counter()
    index = geo_index(geo_dir)
    print(f"index build: {time.perf_counter() - t:.2f} s  {index!r}")
    x, y = _points(index, args.points, args.where, args.seed)
    n = min(1000, args.points)
    times, _ = _timed(lambda: index.lookup(x[:n], y[:n]), args.repeat)
    print(f"a batch of {n:,} points before the raster (shapely alone): best {min(times) * 1000:.1f} ms")
    t = time.perf_counter()
    index.ensure_raster()
    print(f"raster build (on the first batch of {index.raster_from:,} points or more): "
          f"{time.perf_counter() - t:.2f} s  {index!r}")

    times, codes = _timed(lambda: index.lookup(x, y), args.repeat)
    found = sum(c is not None for c in codes)
    print(f"lookup ({args.where}): {args.points:,} points: {_spread(times)} = {args.points / min(times):,.0f} "
          f"points/s ({found / args.points:.1%} in a gmina)")

    if args.exact:
        times, ref = _timed(lambda: index.lookup_exact(x, y), args.repeat)
        mismatch = int((ref != codes).sum())
        print(f"plain STRtree lookup: {_spread(times)} = {args.points / min(times):,.0f} points/s; "
              f"mismatches: {mismatch}")
        if mismatch:
            return 1

    if args.assets:
        for _ in range(max(1, args.repeat)):
            with tempfile.TemporaryDirectory() as out:
                t = time.perf_counter()
                manifest = build_map_assets(geo_dir, out)
                elapsed = time.perf_counter() - t
                sizes = ", ".join(f"{lv} {os.path.getsize(Path(out) / manifest[lv]):,} B" for lv in teryt.LEVELS)
            print(f"map files: built in {elapsed:.2f} s; {sizes}; tolerance {manifest['tolerance_m']} m")
    print(f"load average: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
