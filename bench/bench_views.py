"""Random-view benchmark: the views callback (map, KPIs, charts, table) on views people make, over HTTP.

    python bench/bench_views.py [--views 200] [--seed 13] [--cache]

A seeded generator makes realistic view states: any level, any metric, a preset or a custom range from a
week to the whole history, 0-5 categories, sometimes a region, an outcome or a source, either comparison,
either language. Each is posted once to `/_dash-update-component` of the real server (`python app.py`, one
process, on the 3M store of bench_ingest.py) with the cache off (--cache: on, and every view is posted
twice, the second pass timed). The server runs with KMZB_SERVER_TIMING=1: each answer's Server-Timing
header says where its time went (sql = DuckDB, data = numpy/pandas on query results, figure = Plotly
figures, view = map classes and legend, callback = the callback's own code, gc = garbage collections
that interrupted the request, other = Dash's dispatch and
the JSON serialisation, compression). Prints p50 / p95 / max of the round trip and of each stage, and the
slowest views with their breakdown. Targets (issue 13): uncached p95 <= 150 ms, max <= 400 ms;
cached p95 <= 20 ms. Result: bench/out/views[-cached].json.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import (  # noqa: E402
    parse_server_timing,
    pct,
    require_store,
    running_server,
    wait_warm,
    write_result,
)

from tests.helpers import ServerProcess, dash_outputs  # noqa: E402

TARGETS = {"uncached": {"p95_ms": 150.0, "max_ms": 400.0}, "cached": {"p95_ms": 20.0}}
PRESETS = ("7d", "30d", "90d", "quarter", "ytd", "last_year", "all")


def random_views(n: int, seed: int, lo: date, hi: date, regions: dict[str, list[str]]) -> list[str]:
    """n URL query strings of realistic views (dashboard.state.to_query form)."""
    from dashboard.state import METRICS, ViewState, to_query
    from kmzb import reference

    rnd = random.Random(seed)
    public = [c.code for c in reference.categories() if c.public_visibility != "hidden"]
    out = []
    span = (hi - lo).days
    for _ in range(n):
        level = rnd.choice(("voivodeship", "powiat", "gmina"))
        kw = dict(lang=rnd.choice(("pl", "pl", "en")), level=level, metric=rnd.choice(METRICS),
                  compare=rnd.choice(("previous", "year")))
        if rnd.random() < 0.5:
            kw["preset"] = rnd.choice(PRESETS)
        else:  # a custom range, a week to the whole history (log-uniform length)
            days = int(round(7 * (span / 7) ** rnd.random()))
            start = lo + timedelta(days=rnd.randint(0, max(span - days, 0)))
            kw.update(preset="custom", date_from=start.isoformat(),
                      date_to=min(start + timedelta(days=days), hi).isoformat())
        k = rnd.choice((0, 0, 1, 1, 2, 3, 4, 5))
        kw["categories"] = tuple(sorted(rnd.sample(public, k), key=public.index))
        if rnd.random() < 0.3:  # a region: a voivodeship, a powiat or a gmina
            kind = rnd.choice(("voivodeship", "powiat", "gmina"))
            kw["teryt"] = rnd.choice(regions[kind])
        if rnd.random() < 0.2:
            kw["outcomes"] = (rnd.choice(("confirmed", "unconfirmed", "pending")),)
        if rnd.random() < 0.1:
            kw["sources"] = (rnd.choice(reference.SOURCES),)
        out.append(to_query(ViewState().with_(**kw)))
    return out


def post_view(session: requests.Session, base: str, cb: dict, search: str) -> tuple[float, dict, int]:
    payload = {"output": cb["output"], "outputs": dash_outputs(cb["output"]),
               "inputs": [{"id": "url", "property": "search", "value": search}],
               "state": [{"id": "map-scope", "property": "data", "value": None}],
               "changedPropIds": ["url.search"]}
    t = time.perf_counter()
    r = session.post(base + "/_dash-update-component", json=payload, timeout=120,
                     headers={"Accept-Encoding": "br, gzip"})
    took = (time.perf_counter() - t) * 1000
    if r.status_code != 200:
        raise SystemExit(f"views callback for {search!r}: HTTP {r.status_code}: {r.text[:400]}")
    return took, parse_server_timing(r.headers.get("Server-Timing", "")), len(r.content)


def grouped(timing: dict[str, float]) -> dict[str, float]:
    """Stages with the data functions (data.<name>) added up as `data`."""
    out: dict[str, float] = {}
    for k, v in timing.items():
        key = k.split(".", 1)[0]
        out[key] = out.get(key, 0.0) + v
    return out


def summarise(rows: list[dict]) -> dict:
    stages = sorted({k for r in rows for k in r["timing"]})
    res = {"n": len(rows)}
    for key, values in [("round_trip", [r["ms"] for r in rows])] + [
            (s, [r["timing"].get(s, 0.0) for r in rows]) for s in stages]:
        res[key] = {"p50_ms": round(pct(values, 50), 1), "p95_ms": round(pct(values, 95), 1),
                    "max_ms": round(max(values), 1)}
    return res


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--views", type=int, default=200)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--cache", action="store_true", help="cache on; every view twice, the second timed")
    ap.add_argument("--slowest", type=int, default=8)
    ap.add_argument("--label", default="", help="suffix of the result file (bench/out/views[-cached][-LABEL].json)")
    ap.add_argument("--root", type=Path, default=None,
                    help="serve another checkout's app.py (e.g. a git worktree of an older commit: 'before')")
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                    help="the server's stage clock: wall time, or the request thread's CPU time (a busy machine)")
    args = ap.parse_args(argv)
    require_store()
    os.environ["KMZB_SERVER_TIMING"] = args.clock
    from _common import view_callbacks

    with (running_server(cache=args.cache) if args.root is None else other_server(args.root, args.cache)) as srv:
        s = requests.Session()
        meta = s.get(srv.url + "/api/v1/meta", timeout=60).json()
        lo, hi = date.fromisoformat(meta["date_from"]), date.fromisoformat(meta["date_to"])
        regions = _regions(srv.url, s)
        cb = view_callbacks(s.get(srv.url + "/_dash-dependencies", timeout=60).json())["views"]
        views = random_views(args.views, args.seed, lo, hi, regions)
        wait_warm(srv.url)
        for search in random_views(3, args.seed + 1000, lo, hi, regions):  # warm: imports, geometry, catalogues
            post_view(s, srv.url, cb, search)
        rows = []
        for search in views:
            if args.cache:
                post_view(s, srv.url, cb, search)
            ms, timing, size = post_view(s, srv.url, cb, search)
            rows.append({"search": search, "ms": round(ms, 1), "timing": grouped(timing), "detail": timing,
                         "bytes": size})
    res = summarise(rows)
    kind = "cached" if args.cache else "uncached"
    targets = TARGETS[kind]
    res["targets"] = targets
    res["met"] = all(res["round_trip"][k] <= v for k, v in targets.items())
    res["slowest"] = sorted(rows, key=lambda r: -r["ms"])[:args.slowest]
    res["seed"], res["store"] = args.seed, str(meta.get("reports"))
    path = write_result(("views-cached" if args.cache else "views") + (f"-{args.label}" if args.label else ""), res)
    print(f"{len(rows)} random views, {kind}, seed {args.seed}, stages in {args.clock} time "
          f"(load average {os.getloadavg()[0]:.2f})")
    for key in ["round_trip"] + [k for k in res if k not in ("n", "round_trip", "targets", "met", "slowest",
                                                                   "seed", "store")]:
        v = res[key]
        print(f"  {key:<11} p50 {v['p50_ms']:>7.1f}  p95 {v['p95_ms']:>7.1f}  max {v['max_ms']:>7.1f} ms")
    print(f"  targets {targets}: {'met' if res['met'] else 'NOT met'}")
    print("slowest:")
    for r in res["slowest"]:
        br = " ".join(f"{k}={v:.0f}" for k, v in sorted(r["detail"].items(), key=lambda kv: -kv[1]) if v >= 1)
        print(f"  {r['ms']:7.1f} ms  {r['bytes'] / 1000:6.1f} kB  {r['search']}\n             {br}")
    print(f"-> {path}")
    return 0


@contextmanager
def other_server(root: Path, cache: bool):
    """`python app.py` of another checkout (its own code) on the 3M store."""
    from _common import server_env

    srv = ServerProcess([sys.executable, "app.py", "--port", "{port}"], server_env(cache), cwd=root,
                        up=lambda r: r.status_code == 200, timeout=180, name="views")
    try:
        yield srv
    finally:
        srv.stop()


def _regions(base: str, s: requests.Session) -> dict[str, list[str]]:
    rows = s.get(base + "/api/v1/districts?level=gmina&format=json", timeout=120).json()
    rows = rows.get("rows", rows) if isinstance(rows, dict) else rows
    return _split([r["teryt"] for r in rows])


def _split(codes: list[str]) -> dict[str, list[str]]:
    gm = sorted({c for c in codes if len(c) == 7})
    return {"voivodeship": sorted({c[:2] for c in gm}), "powiat": sorted({c[:4] for c in gm}), "gmina": gm}


if __name__ == "__main__":
    sys.exit(main())
