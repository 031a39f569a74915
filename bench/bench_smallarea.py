"""Small-area statistics at 3 million reports (issue 11), uncached, one process:

- smoothed rates (EB) + Gi* hotspots (999 permutations, BH) for all 2,477 gminas, per filter;
- the changes (exact two-Poisson tests, BH) for every gmina x category against the previous period.

Usage: python bench/bench_smallarea.py [--data bench/out/store3m] [--repeat 3]
(the 3M store comes from bench/bench_ingest.py). Prints p50 / max per step over random filters."""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kmzb import reference  # noqa: E402
from kmzb.config import PROJECT_ROOT, get_settings  # noqa: E402
from kmzb.query.filters import Filters  # noqa: E402
from kmzb.query.gateway import DataGateway  # noqa: E402


def filters(rng: random.Random, newest) -> Filters:
    span = rng.choice([7, 30, 90, 365])
    end = newest - timedelta(days=rng.randint(0, 60))
    cats = tuple(sorted(rng.sample([c.code for c in reference.categories() if c.public_visibility != "hidden"],
                                   rng.randint(0, 3))))
    return Filters(date_from=end - timedelta(days=span - 1), date_to=end, categories=cats)


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--data", default=str(PROJECT_ROOT / "bench" / "out" / "store3m"))
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--views", type=int, default=8)
    a = p.parse_args()
    gw = DataGateway(get_settings(data_dir=Path(a.data)))  # no cache: every call computes
    gw.level_weights("gmina")  # built once per process (cached on disk with the map files)
    newest = date.fromisoformat(gw.meta()["date_to"])
    for run in range(a.repeat):
        rng = random.Random(run)
        counts, small, changes = [], [], []
        for _ in range(a.views):
            f = filters(rng, newest)
            counts.append(timed(lambda: gw.districts(f, "gmina")))  # the counts every view needs anyway
            small.append(timed(lambda: gw.small_area(f, "gmina")))  # counts again (no cache) + EB + Gi*
            changes.append(timed(lambda: gw.changes(f, "gmina", "previous")))
        print(f"run {run + 1}: gmina counts p50 {statistics.median(counts) * 1000:.0f} ms; "
              f"counts + smoothed + Gi* (2,477 gminas) p50 {statistics.median(small) * 1000:.0f} ms, "
              f"max {max(small) * 1000:.0f} ms; changes (2,477 x 25) p50 {statistics.median(changes) * 1000:.0f} ms, "
              f"max {max(changes) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
