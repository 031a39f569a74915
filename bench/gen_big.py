"""Write a big full snapshot (and optionally a delta) for ingest / query benchmarks.

    python bench/gen_big.py bench/out/kmzb_full_20261124.csv.gz --reports 3000000 \
        --delta bench/out/kmzb_20261125.csv

The snapshot holds exactly --reports reports created over --years (default 9: as KMZB, about 900 a day) up to --end,
each with its status as of --end; the delta holds the next --delta-rows (default 5,000) reports
created or changed after it. Same arguments, same bytes (see kmzb.demo).
Name the files kmzb_full_YYYYMMDD.csv[.gz] / kmzb_YYYYMMDD.csv[.gz] if the ingest is to read them.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kmzb import demo  # noqa: E402
from kmzb.config import get_settings  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path, help="the full snapshot to write (.csv or .csv.gz)")
    ap.add_argument("--reports", type=int, default=3_000_000, help="reports in the snapshot (default 3,000,000)")
    ap.add_argument("--end", default="2026-11-24", help="snapshot date, YYYY-MM-DD (default 2026-11-24)")
    ap.add_argument("--years", type=float, default=9.0,
                    help="years of reports before --end (default 9: about 900 reports a day, as KMZB since 2016)")
    ap.add_argument("--seed", type=int, default=2016)
    ap.add_argument("--delta", type=Path, help="also write a delta following the snapshot here")
    ap.add_argument("--delta-rows", type=int, default=5000, help="rows in the delta (default 5,000)")
    ap.add_argument("--geo-dir", type=Path, default=None, help="reference geo folder (default $KMZB_GEO_DIR)")
    args = ap.parse_args(argv)
    if args.reports < 1:
        ap.error("--reports must be at least 1")
    geo_dir = args.geo_dir or get_settings().geo_dir
    t = time.perf_counter()
    paths = demo.write_full_snapshot(
        args.out, geo_dir=geo_dir, n_reports=args.reports, end=date.fromisoformat(args.end), seed=args.seed,
        years=args.years, delta_path=args.delta, delta_rows=args.delta_rows,
    )
    took = time.perf_counter() - t
    for p in paths:
        print(f"{p}\t{p.stat().st_size / 1e6:.1f} MB")
    if args.delta:
        import pandas as pd

        d = pd.read_csv(args.delta, sep=";", dtype=str, keep_default_na=False, usecols=["Data_modyfikacji"])
        print(f"the delta covers changes up to {d['Data_modyfikacji'].max()}", file=sys.stderr)
    print(f"{args.reports:,} reports in {took:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
