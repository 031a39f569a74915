"""Where the time goes at 3M reports: each gateway data function timed alone for a few filters, DuckDB
EXPLAIN ANALYZE of the exact SQL each one runs, and the /api/v1/districts request split into its steps.

    python bench/profile_queries.py [--repeat 5]

Needs the store of bench_ingest.py. Writes bench/out/profile_queries.json and the plans to
bench/out/explain/<scenario>__<function>__<n>.txt. Read-only; timers and SQL capture wrap calls in this
process only.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import OUT, require_store, server_env, write_result  # noqa: E402

from kmzb.timing import WatchedCursor  # noqa: E402


def best(fn, repeat):
    ts = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    ts.sort()
    return round(ts[0] * 1000, 2), round(ts[len(ts) // 2] * 1000, 2)


class RecordingCursor(WatchedCursor):
    """A DuckDB cursor that remembers the statements run through it (and the time each took)."""

    def __init__(self, cur, log: list):
        super().__init__(cur)
        self._log = log

    def executed(self, sql, params, seconds):
        self._log.append([sql, params, seconds])

    def fetched(self, seconds):
        if self._log:
            self._log[-1][2] += seconds


def explain_summary(text: str) -> dict:
    total = re.search(r"Total Time:\s*([\d.]+)s", text)
    scans = re.findall(r"Row Groups Scanned:\s*(\d+)\s*/\s*(\d+)", text)
    return {"total_ms": round(float(total.group(1)) * 1000, 1) if total else None,
            "row_groups_scanned": [f"{a}/{b}" for a, b in scans]}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    require_store()
    for k, v in server_env(cache=False).items():
        os.environ[k] = v
    import warnings

    warnings.filterwarnings("ignore", category=UserWarning)
    from kmzb.config import get_settings
    from kmzb.query.filters import make_filters
    from kmzb.query.gateway import DataGateway
    from kmzb.query.queries import previous_period

    gw = DataGateway(get_settings())  # no cache: every call runs its SQL
    m = gw.meta()
    hi, lo = date.fromisoformat(m["date_to"]), date.fromisoformat(m["date_from"])
    cats2 = ["akty-wandalizmu", "uzywanie-srodkow-odurzajacych"]
    scenarios = {
        "90d": make_filters(date_from=hi - timedelta(days=89), date_to=hi),
        "90d_2cat": make_filters(date_from=hi - timedelta(days=89), date_to=hi, categories=cats2),
        "all": make_filters(date_from=lo, date_to=hi),
        "all_2cat": make_filters(date_from=lo, date_to=hi, categories=cats2),
    }
    calls = {
        "meta": lambda f: gw.meta(),
        "districts/gmina": lambda f: gw.districts(f, "gmina"),
        "districts/voivodeship": lambda f: gw.districts(f, "voivodeship"),
        "district_table/gmina+previous": lambda f: gw.district_table(f, "gmina", "previous"),
        "totals": lambda f: gw.totals(f),
        "totals(previous period)": lambda f: gw.totals(previous_period(f, "previous")),
        "categories": lambda f: gw.categories(f),
        "timeseries/month": lambda f: gw.timeseries(f, "month"),
        "verification_speed/month": lambda f: gw.verification_speed(f, "month"),
        "week_heatmap": lambda f: gw.week_heatmap(f),
    }
    timing = {}
    print(f"{'gateway call (no cache)':32s} " + " ".join(f"{s:>16s}" for s in scenarios)
          + f"   (best / median ms of {args.repeat})")
    for name, fn in calls.items():
        row = {}
        for sname, f in scenarios.items():
            fn(f)
            row[sname] = best(lambda: fn(f), args.repeat)
        timing[name] = row
        print(f"{name:32s} " + " ".join(f"{b:7.1f} / {md:6.1f}" for b, md in row.values()), flush=True)

    # capture the SQL each call runs; EXPLAIN ANALYZE it; SQL share vs pandas share of the call
    exp_dir = OUT / "explain"
    exp_dir.mkdir(parents=True, exist_ok=True)
    for old in exp_dir.glob("*.txt"):
        old.unlink()
    store_cursor = gw.store.cursor
    plans = {}
    print("\nSQL inside each call (one captured run), EXPLAIN ANALYZE total, row groups scanned:")
    for sname in ("90d", "all_2cat", "all"):
        f = scenarios[sname]
        for name, fn in calls.items():
            log: list = []
            gw.store.cursor = lambda: (RecordingCursor(store_cursor()[0], log), store_cursor()[1])
            try:
                fn(f)
            finally:
                gw.store.cursor = store_cursor
            cur, _ = store_cursor()
            entries = []
            for i, (sql, params, took) in enumerate(log):
                text = "\n".join(str(r[-1]) for r in cur.execute("EXPLAIN ANALYZE " + sql, params or []).fetchall())
                fname = f"{sname}__{re.sub(r'[^a-z0-9]+', '_', name.lower()).strip('_')}__{i}.txt"
                (exp_dir / fname).write_text(sql.strip() + "\n\n" + text)
                entries.append({"ms": round(took * 1000, 2), **explain_summary(text), "plan": fname,
                                "sql": " ".join(sql.split())[:160]})
            sql_ms = sum(e["ms"] for e in entries)
            whole = timing[name][sname][1]
            plans[f"{sname}/{name}"] = {"whole_ms": whole, "sql_ms": round(sql_ms, 2),
                                        "other_ms": round(whole - sql_ms, 2), "statements": entries}
            print(f"  {sname:8s} {name:30s} whole {whole:6.1f}  SQL {sql_ms:6.1f} ({len(entries)} stmt)  "
                  + "; ".join(f"{e['total_ms']} ms {','.join(e['row_groups_scanned'])}" for e in entries), flush=True)

    # the API request, step by step (as web.api.districts does it)
    from app import create_app
    from kmzb.query import columns
    from web import api as kapi

    app = create_app(get_settings())
    agw = app.server.extensions["kmzb_gateway"]
    steps = {}
    client = app.server.test_client()
    with app.server.test_request_context("/api/v1/districts?level=gmina"):
        for sname in ("90d_2cat", "all_2cat"):
            f = scenarios[sname]
            df = agw.districts(f, "gmina")
            cols = [c for c in columns.DISTRICT if c in df.columns]
            df = df[cols]
            url = "/api/v1/districts?level=gmina&" + "&".join(f"{k}={v}" for k, v in f.to_query())
            steps[sname] = {
                "gateway.districts (SQL + merge + rates)": best(lambda: agw.districts(f, "gmina"), args.repeat)[1],
                "df.to_json(orient='records')": best(lambda: df.to_json(orient="records", force_ascii=False),
                                                     args.repeat)[1],
                "whole request via Flask test client": best(lambda: client.get(url).data, args.repeat)[1],
            }
            if hasattr(kapi, "_records"):  # older api.py: rows through dicts + jsonify
                rec = best(lambda: kapi._records(df), args.repeat)[1]
                both = best(lambda: app.server.json.response({"rows": kapi._records(df)}), args.repeat)[1]
                steps[sname]["api._records (dicts)"] = rec
                steps[sname]["Flask JSON encoding of the dicts"] = round(both - rec, 2)
    print("\nAPI /districts?level=gmina (median ms):")
    for sname, d in steps.items():
        print(f"  {sname}: " + "; ".join(f"{k} {v}" for k, v in d.items()))
    path = write_result("profile_queries", {"timing_ms_best_median": timing, "sql": plans, "api_steps_ms": steps,
                                            "scenarios": {k: v.key() for k, v in scenarios.items()}})
    print(f"result: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
