"""Dashboard benchmark at 3M reports: one filter change (every callback it fires), the map's update size,
the naive pandas way, and the first load in headless Chromium.

    python bench/bench_dashboard.py [--changes 50] [--seed 11] [--loads 5] [--parts http,inproc,size,naive,browser]

a. HTTP (the number that counts): the real server (`python app.py`, KMZB_CACHE=off) gets the real Dash
   requests (`POST /_dash-update-component`, payloads built from `/_dash-dependencies`) a filter change
   fires: sync (the control that changed) -> update_views (map, KPIs, charts, table, viewport) with the new
   URL; server time = the sum of the 2 client wall times on loopback. Also: a server with the cache on
   (first pass, then cached pass).
   In-process (the breakdown): create_app(settings) + test_request_context, timing sync_state, overview,
   charts, viewport_for and every gateway query / figure function inside them (monkeypatched timers,
   in this process only).
b. The update_views response size at gmina level for all of Poland (hideout and the other outputs),
   and the GeoJSON files (served once, cached immutable).
c. The naive way: the whole reports table in one pandas DataFrame, pandas filter + groupby per callback.
d. First load in headless Chromium (tests.browser.chrome), fresh profile + cache disabled, until
   #kpi-reports shows a number and the map has .leaflet-interactive paths; screenshot bench/out/first_load.png.

Targets: uncached p50 <= 80 ms, p95 <= 150 ms; cached <= 20 ms; hideout <= 50 KB; first load <= 2.5 s.
Result: bench/out/dashboard.json.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import shutil
import sys
import time
import warnings
from collections import defaultdict
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import requests  # noqa: E402
from _common import (  # noqa: E402
    OUT,
    ROOT,
    check,
    pct,
    proc_mem,
    require_store,
    running_server,
    server_env,
    summary_ms,
    view_callbacks,
    wait_page_ready,
    write_result,
)

from kmzb.timing import WatchedCursor  # noqa: E402
from tests.helpers import dash_outputs  # noqa: E402

TARGETS = {"uncached_p50_ms": 80.0, "uncached_p95_ms": 150.0, "cached_p50_ms": 20.0, "cached_p95_ms": 20.0,
           "hideout_kb": 50.0, "first_load_s": 2.5}
PRESETS = ("7d", "30d", "90d", "ytd", "last_year", "all")
LEVELS = ("voivodeship", "powiat", "gmina")


# ====================================================================== the filter changes

def make_changes(n: int, seed: int):
    """n (before, trigger, after) view-state steps from the default view: categories / preset / level / metric."""
    from dashboard.state import DEFAULT
    from kmzb import reference

    rng = random.Random(seed)
    cats = reference.category_codes()
    s = DEFAULT
    seen = {s}
    out = []
    while len(out) < n:
        r = rng.random()
        if r < 0.5:
            trigger = "f-categories"
            k = rng.choice([0, 1, 1, 2, 3])
            chosen = set(rng.sample(cats, k))
            new = s.with_(categories=tuple(c for c in cats if c in chosen))
        elif r < 0.75:
            trigger = "f-preset"
            new = s.with_(preset=rng.choice(PRESETS), date_from="", date_to="")
        elif r < 0.93:
            trigger = "map-level"
            new = s.with_(level=rng.choice(LEVELS))
        else:
            trigger = "map-metric"
            new = s.with_(metric=rng.choice(("reports", "per10k", "rate", "smoothed", "hotspots")))
        if new in seen:
            continue
        seen.add(new)
        out.append((s, trigger, new))
        s = new
    return out


def new_controls(before, trigger, after, lo, hi) -> list:
    """The control values the browser sends: the old state's controls with the changed one replaced."""
    from callbacks.sync import CONTROLS, controls_of

    controls = controls_of(before, lo, hi)
    wanted = controls_of(after, lo, hi)
    i = [cid for cid, _ in CONTROLS].index(trigger)
    controls[i] = wanted[i]
    return controls


# ====================================================================== Dash over HTTP

class DashClient:
    """Builds /_dash-update-component requests from /_dash-dependencies, like dash-renderer does."""

    def __init__(self, base: str, session: requests.Session):
        from dashboard.layout import GROUP_ORDER

        self.base = base
        self.session = session
        self.groups = GROUP_ORDER
        self.cbs = view_callbacks(session.get(base + "/_dash-dependencies", timeout=60).json())

    def payload(self, name: str, values: dict, changed: str) -> dict:
        cb = self.cbs[name]

        def item(dep):
            key = f"{dep['id']}.{dep['property']}"
            if dep["id"].startswith("{"):  # pattern-matching ALL: one entry per matching component
                pid = json.loads(dep["id"])
                if pid.get("type") == "f-cat-group":
                    return [{"id": {"group": g, "type": "f-cat-group"}, "property": dep["property"], "value": None}
                            for g in self.groups]
                return []  # crumbs: no breadcrumb buttons at the all-of-Poland view
            return {"id": dep["id"], "property": dep["property"], "value": values.get(key)}

        return {"output": cb["output"], "outputs": dash_outputs(cb["output"]), "inputs": [item(d) for d in cb["inputs"]],
                "state": [item(d) for d in cb["state"]], "changedPropIds": [changed]}

    def post(self, payload: dict, session: requests.Session | None = None) -> tuple[float, int, dict | None, bytes]:
        s = session or self.session
        t = time.perf_counter()
        r = s.post(self.base + "/_dash-update-component", json=payload, timeout=120)
        body = r.content
        took = time.perf_counter() - t
        if r.status_code == 204:
            return took, 204, None, body
        if r.status_code != 200:
            raise SystemExit(f"callback {payload['output'][:60]}: HTTP {r.status_code}: {body[:500]!r}")
        return took, 200, json.loads(body), body


class _Resp:
    def __init__(self, r):
        self.status_code = r.status_code
        self.content = r.data
        self.headers = r.headers

    def json(self):
        return json.loads(self.content)


class FlaskSession:
    """requests.Session look-alike over a Flask test client (in-process, no socket)."""

    def __init__(self, client):
        self.client = client

    def get(self, url, timeout=None, headers=None):
        return _Resp(self.client.get(url, headers=headers))

    def post(self, url, json=None, timeout=None):
        return _Resp(self.client.post(url, json=json))


def sync_values(before, controls, search) -> dict:
    from callbacks.sync import CONTROLS

    v = {"url.search": search, "lang-store.data": before.lang, "map-geojson.clickData": None}
    for (cid, prop), val in zip(CONTROLS, controls):
        v[f"{cid}.{prop}"] = val
    return v


def run_http_change(dc: DashClient, step, lo, hi, last_scope) -> dict:
    """One filter change over HTTP: sync, then the views callback."""
    from callbacks.sync import CONTROLS
    from dashboard.state import to_query

    before, trigger, after = step
    search = to_query(before)
    controls = new_controls(before, trigger, after, lo, hi)
    prop = dict(CONTROLS)[trigger]
    t_all = time.perf_counter()
    t_sync, code, resp, _ = dc.post(dc.payload("sync", sync_values(before, controls, search), f"{trigger}.{prop}"))
    new_search = (resp or {}).get("response", {}).get("url", {}).get("search", search)
    if new_search != to_query(after):
        raise SystemExit(f"sync returned {new_search!r}, expected {to_query(after)!r}")
    v = {"url.search": new_search, "map-scope.data": last_scope}
    rec = {"search": new_search, "trigger": trigger, "sync_ms": t_sync * 1000}
    took, code, resp, body = dc.post(dc.payload("views", v, "url.search"))
    rec["views_ms"] = took * 1000
    rec["views_bytes"] = len(body)
    rec["_overview"] = resp
    rec["sum_ms"] = rec["sync_ms"] + rec["views_ms"]
    rec["wall_ms"] = (time.perf_counter() - t_all) * 1000
    return rec


def part_http(steps, n_warm: int) -> dict:
    from dashboard.state import map_scope

    out: dict = {}
    with running_server(cache=False) as srv:
        s = requests.Session()
        meta = s.get(srv.url + "/api/v1/meta", timeout=120).json()
        lo, hi = date.fromisoformat(meta["date_from"]), date.fromisoformat(meta["date_to"])
        dc = DashClient(srv.url, s)
        warm = make_changes(n_warm, 999)  # other states: warm-up only
        for st in warm:
            run_http_change(dc, st, lo, hi, "")
        recs = []
        for st in steps:
            recs.append(run_http_change(dc, st, lo, hi, map_scope(st[0])[1]))
        mem = proc_mem(srv.proc.pid)
        # b. the map update at gmina level for all of Poland: explicit requests
        sizes = {}
        for label, search in (("gmina_90d", "?level=gmina"), ("gmina_all", "?level=gmina&preset=all"),
                              ("gmina_all_rate", "?level=gmina&metric=rate&preset=all"),
                              ("voivodeship_90d", "")):
            _, _, resp, body = dc.post(dc.payload("views", {"url.search": search}, "url.search"))
            sizes[label] = overview_sizes(resp, body)
        geo = geojson_sizes(s, srv.url)
    seq = {"sync": summary_ms([r["sync_ms"] / 1000 for r in recs]),
           "update_views": summary_ms([r["views_ms"] / 1000 for r in recs]),
           "sum": summary_ms([r["sum_ms"] / 1000 for r in recs])}
    by_level = defaultdict(list)
    for st, r in zip(steps, recs):
        by_level[st[2].level].append(r["sum_ms"] / 1000)
    by_trigger = defaultdict(list)
    for r in recs:
        by_trigger[r["trigger"]].append(r["sum_ms"] / 1000)
    out["uncached"] = {"per_callback": seq, "by_level": {k: summary_ms(v) for k, v in by_level.items()},
                       "by_trigger": {k: summary_ms(v) for k, v in by_trigger.items()},
                       "server_rss_mb": mem.get("VmRSS"), "server_hwm_mb": mem.get("VmHWM"),
                       "slowest": sorted(((round(r["sum_ms"], 1), r["search"]) for r in recs), reverse=True)[:5],
                       "changes": [{k: (round(v, 2) if isinstance(v, float) else v) for k, v in r.items()
                                    if not k.startswith("_")} for r in recs]}
    gm = [overview_sizes(r["_overview"], None) for st, r in zip(steps, recs) if st[2].level == "gmina"
          and not st[2].teryt]
    out["sizes"] = {"explicit": sizes, "gmina_changes_hideout_bytes_max": max((g["hideout"] for g in gm), default=None),
                    "geojson": geo}

    # cache on: a fresh cache, then the identical 50 again (cached)
    with running_server(cache=True, cache_dir=OUT / "cache-dash") as srv:
        s = requests.Session()
        dc = DashClient(srv.url, s)
        for st in warm:
            run_http_change(dc, st, lo, hi, "")
        first = [run_http_change(dc, st, lo, hi, map_scope(st[0])[1]) for st in steps]
        second = [run_http_change(dc, st, lo, hi, map_scope(st[0])[1]) for st in steps]
        mem_c = proc_mem(srv.proc.pid)
    out["cache_on_first_pass"] = {"sum": summary_ms([r["sum_ms"] / 1000 for r in first])}
    out["cache_on_cached_pass"] = {
        "sum": summary_ms([r["sum_ms"] / 1000 for r in second]),
        "per_callback": {k: summary_ms([r[f"{k}_ms"] / 1000 for r in second])
                         for k in ("sync", "views")},
        "server_rss_mb": mem_c.get("VmRSS"), "server_hwm_mb": mem_c.get("VmHWM")}
    return out


def overview_sizes(resp: dict | None, body: bytes | None) -> dict:
    def size(x):
        return len(json.dumps(x, separators=(",", ":"), ensure_ascii=False).encode())

    r = (resp or {}).get("response", {})
    hideout = r.get("map-geojson", {}).get("hideout")
    out = {"hideout": size(hideout), "hideout_gzip": len(gzip.compress(json.dumps(
        hideout, separators=(",", ":"), ensure_ascii=False).encode(), 6)),
        "rowData": size(r.get("district-table-columns", {}).get("data")),
        "rows": len(next(iter((r.get("district-table-columns", {}).get("data") or {"": []}).values()), [])),
        "features": len((hideout or {}).get("cls", ""))}
    if body is not None:
        out["response"] = len(body)
        out["response_gzip"] = len(gzip.compress(body, 6))
    return out


def geojson_sizes(s: requests.Session, base: str) -> dict:
    manifest = json.loads((ROOT / "assets" / "geo" / "manifest.json").read_text())
    out = {}
    for level in LEVELS:
        name = manifest[level]
        r = s.get(f"{base}/geo/{name}", timeout=60, headers={"Accept-Encoding": "gzip"})
        raw = (ROOT / "assets" / "geo" / name).read_bytes()
        out[level] = {"file": name, "bytes": len(raw), "gzip_bytes": len(gzip.compress(raw, 6)),
                      "served_bytes": len(r.content), "content_encoding": r.headers.get("Content-Encoding"),
                      "cache_control": r.headers.get("Cache-Control")}
    return out


# ====================================================================== in-process breakdown

class Timers:
    """Time per (callback, what); `callback` is the callback being run (set by the driver loop)."""

    def __init__(self):
        self.t = defaultdict(float)
        self.n = defaultdict(int)
        self.stack: list[str] = []
        self.callback = "-"

    def add(self, key, dt, count=True):
        key = (self.callback, key)
        self.t[key] += dt
        if count:
            self.n[key] += 1
        else:
            self.n.setdefault(key, 0)

    def clear(self):
        self.t.clear()
        self.n.clear()


class TimedCursor(WatchedCursor):
    """Wraps a DuckDB cursor: every execute + fetch is charged to the query function that runs it."""

    def __init__(self, cur, timers: Timers):
        super().__init__(cur)
        self._timers = timers

    def _charge(self, dt, count):
        label = self._timers.stack[0] if self._timers.stack else "?"
        self._timers.add(f"sql:{label}", dt, count)

    def executed(self, sql, params, seconds):
        self._charge(seconds, True)

    def fetched(self, seconds):
        self._charge(seconds, False)


def instrument(gw, timers: Timers) -> None:
    """Monkeypatch (in this process only) timers around queries, view helpers and figures.

    Every function of kmzb.query.queries taking a cursor first is wrapped; time (and SQL) is charged to the
    outermost one running (the one the gateway called), so nested helpers do not count twice."""
    import inspect

    import callbacks.views as views
    from dashboard import figures
    from kmzb.query import queries

    def wrap(mod, name, prefix, push=False):
        fn = getattr(mod, name, None)
        if not callable(fn):
            return

        def timed(*a, **kw):
            if push and timers.stack:  # nested query helper: charged to the outer query function
                return fn(*a, **kw)
            if push:
                timers.stack.append(name)
            t = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                timers.add(f"{prefix}:{name}", time.perf_counter() - t)
                if push:
                    timers.stack.pop()
        setattr(mod, name, timed)

    for name, fn in list(vars(queries).items()):
        if inspect.isfunction(fn) and fn.__module__ == queries.__name__:
            params = list(inspect.signature(fn).parameters)
            if params and params[0] == "cur":
                wrap(queries, name, "query", push=True)
    for name in ("map_hideout", "kpis", "breadcrumb", "records", "view_filters"):
        wrap(views, name, "view")
    for name in ("timeline", "confirmation_by_category", "ranked_districts", "verification_speed", "week_heatmap"):
        wrap(figures, name, "figure")
    store_cursor = gw.store.cursor

    def cursor():
        cur, version = store_cursor()
        return TimedCursor(cur, timers), version
    gw.store.cursor = cursor
    for name in ("districts", "categories", "timeseries", "meta", "totals", "verification_speed", "week_heatmap",
                 "district_table"):
        fn = getattr(gw, name, None)
        if fn is None:
            continue

        def timed(*a, _fn=fn, _name=name, **kw):
            t = time.perf_counter()
            try:
                return _fn(*a, **kw)
            finally:
                timers.add(f"gateway:{_name}", time.perf_counter() - t)
        setattr(gw, name, timed)


def part_inproc(steps, n_warm: int) -> dict:
    for k, v in server_env(cache=False).items():
        os.environ[k] = v
    from dash import no_update

    from app import create_app
    from callbacks import data_range
    from callbacks.sync import sync_state
    from callbacks.views import charts, overview, viewport_for
    from dashboard.state import map_scope, to_query
    from kmzb.config import get_settings

    settings = get_settings()
    app = create_app(settings)
    gw = app.server.extensions["kmzb_gateway"]
    timers = Timers()
    instrument(gw, timers)
    from dash._utils import to_json

    per = defaultdict(list)
    sizes = defaultdict(list)
    with app.server.test_request_context():
        lo, hi = data_range()

        def one(step, record: bool):
            with app.server.test_request_context():  # a request of its own, as on the server
                _one(step, record)

        def _one(step, record: bool):
            before, trigger, after = step
            search = to_query(before)
            controls = new_controls(before, trigger, after, lo, hi)
            last_scope = map_scope(before)[1]
            timers.callback = "sync"
            t0 = time.perf_counter()
            res = sync_state(trigger, search, controls, None, before.lang, data_range)
            t1 = time.perf_counter()
            new_search = search if res[0] is no_update else res[0]
            assert new_search == to_query(after), (new_search, to_query(after))
            timers.callback = "overview"
            o = overview(gw, new_search)
            t2 = time.perf_counter()
            timers.callback = "charts"
            c = charts(gw, new_search)
            t3 = time.perf_counter()
            timers.callback = "viewport"
            viewport_for(gw, new_search, last_scope)
            t4 = time.perf_counter()
            # what Dash does next with the outputs: JSON-encode them (plotly's encoder), outside the callback
            ts = time.perf_counter()
            k = o["kpis"]
            n_over = len(to_json([o["geojson_url"], o["hideout"], o["legend"], o["breadcrumb"], k["reports"], k["rate"],
                                  k["pending"], k["change"], k["speed"], o["period"], o["freshness"], o["rows"]]))
            tj = time.perf_counter()
            n_charts = len(to_json(list(c.values())))
            te = time.perf_counter()
            timers.callback = "-"
            if record:
                for key, v in (("sync_state", t1 - t0), ("overview", t2 - t1), ("charts", t3 - t2),
                               ("viewport_for", t4 - t3), ("views", t4 - t1), ("sum", t4 - t0), ("json:overview", tj - ts),
                               ("json:charts", te - tj), ("sum+json", te - t0)):
                    per[key].append(v)
                sizes["overview"].append(n_over)
                sizes["charts"].append(n_charts)

        for st in make_changes(n_warm, 999):
            one(st, False)
        timers.clear()
        for st in steps:
            one(st, True)
        n = len(steps)
        breakdown = sorted(((cb, k, round(v / n * 1000, 2), round(timers.n[(cb, k)] / n, 2))
                            for (cb, k), v in timers.t.items()), key=lambda x: (x[0], -x[2]))
        # the same aggregates the naive way computes, once per change, for a like-for-like ratio
        same = []
        from callbacks.views import interval_for, view_filters
        from kmzb.query.queries import previous_period

        for st in steps:
            s = st[2]
            f = view_filters(gw, s)
            level, _scope = map_scope(s)
            with app.server.test_request_context():
                t = time.perf_counter()
                gw.districts(f, level)
                gw.totals(f)
                gw.totals(previous_period(f, s.compare))
                gw.categories(f)
                gw.timeseries(f, interval_for(f))
                same.append(time.perf_counter() - t)
    # the same changes through the whole Dash stack in-process (Flask test client: dispatch + JSON, no socket)
    dc = DashClient("", FlaskSession(app.server.test_client()))
    for st in make_changes(n_warm, 999):
        run_http_change(dc, st, lo, hi, "")
    timers.callback = "-"
    recs = [run_http_change(dc, st, lo, hi, map_scope(st[0])[1]) for st in steps]
    dispatch = {k: summary_ms([r[f"{k}_ms"] / 1000 for r in recs]) for k in ("sync", "views",
                                                                          "sum")}
    return {"per_function": {k: summary_ms(v) for k, v in per.items()},
            "dash_test_client": dispatch,
            "breakdown_ms_per_change": [{"callback": cb, "what": k, "mean_ms": v, "calls_per_change": c}
                                        for cb, k, v, c in breakdown],
            "json_bytes_median": {k: sorted(v)[len(v) // 2] for k, v in sizes.items()},
            "same_aggregates_as_naive": summary_ms(same),
            "note": "sql:X = DuckDB execute+fetch inside queries.X; query:X = the whole queries.X (SQL + pandas); "
                    "gateway:X includes the (null) cache; figure:X = plotly figure building. Nested: "
                    "district_table calls district_counts twice + district_extras."}


# ====================================================================== c. naive pandas

def naive_load(gw):
    """SELECT * FROM reports into one DataFrame, as a naive app would at start-up."""
    rss0 = proc_mem(os.getpid())["VmRSS"]
    t = time.perf_counter()
    cur, _ = gw.store.cursor()
    df = cur.execute("SELECT * FROM reports").df()
    took = time.perf_counter() - t
    rss1 = proc_mem(os.getpid())["VmRSS"]
    return df, {"load_seconds": round(took, 2), "rows": len(df), "columns": len(df.columns),
                "memory_usage_deep_mb": round(df.memory_usage(deep=True).sum() / 2**20, 1),
                "process_rss_growth_mb": round(rss1 - rss0, 1)}


def _naive_mask(df, f):
    import pandas as pd

    m = pd.Series(True, index=df.index)
    if f.date_from:
        m &= df["created_date"] >= pd.Timestamp(f.date_from)
    if f.date_to:
        m &= df["created_date"] <= pd.Timestamp(f.date_to)
    for col, vals in (("category", f.categories), ("status", f.statuses), ("outcome", f.outcomes),
                      ("source", f.sources)):
        if vals:
            m &= df[col].isin(vals)
    if f.teryt:
        m &= df[{2: "voivodeship", 4: "powiat", 7: "gmina"}[len(f.teryt)]] == f.teryt
    return m


def _naive_counts(sub, by):
    t = sub.groupby([by, "outcome"], observed=True).size().unstack(fill_value=0)
    for o in ("pending", "confirmed", "unconfirmed"):
        if o not in t.columns:
            t[o] = 0
    t["reports"] = t[["pending", "confirmed", "unconfirmed"]].sum(axis=1)
    return t


def _naive_totals(sub):
    vc = sub["outcome"].value_counts()
    ok = sub["observed_pending"].fillna(False).astype(bool) & sub["resolved_at"].notna()
    days = (sub.loc[ok, "resolved_at"] - sub.loc[ok, "created_at"]).dt.total_seconds() / 86400
    return {"reports": len(sub), **{k: int(vc.get(k, 0)) for k in ("pending", "confirmed", "unconfirmed")},
            "median_days": float(days.median()) if len(days) else None}


def naive_change(df, districts, s, lo, hi) -> dict:
    """The naive callbacks: each filters the whole DataFrame, then groups."""
    from callbacks.views import interval_for
    from dashboard.state import filters_for, map_scope
    from kmzb.query.queries import previous_period

    f = filters_for(s, lo, hi)
    level, scope = map_scope(s)
    # "overview": district counts of the drawn level + KPI totals (current and comparison period)
    sub = df[_naive_mask(df, f)]
    dist = _naive_counts(sub, level).reindex(districts[level], fill_value=0)
    tot = _naive_totals(sub)
    prev = _naive_totals(df[_naive_mask(df, previous_period(f, s.compare))])
    # "charts": per-category counts + the time series
    sub2 = df[_naive_mask(df, f)]
    cats = _naive_counts(sub2, "category")
    freq = {"day": "D", "week": "W", "month": "M"}[interval_for(f)]
    ts = _naive_counts(sub2.assign(period=sub2["created_date"].dt.to_period(freq)), "period")
    return {"dist": dist, "totals": tot, "prev": prev, "cats": cats, "ts": ts}


def part_naive(steps, ours_sum_p50, ours_same_p50) -> dict:
    for k, v in server_env(cache=False).items():
        os.environ[k] = v
    from kmzb.config import get_settings
    from kmzb.query import queries
    from kmzb.query.gateway import DataGateway

    gw = DataGateway(get_settings())
    m = gw.meta()
    lo, hi = date.fromisoformat(m["date_from"]), date.fromisoformat(m["date_to"])
    districts = {lvl: gw.districts_table(lvl)["teryt"].tolist() for lvl in LEVELS}
    df, info = naive_load(gw)
    for st in steps[:2]:  # warm-up
        naive_change(df, districts, st[2], lo, hi)
    times = []
    for st in steps:
        t = time.perf_counter()
        r = naive_change(df, districts, st[2], lo, hi)
        times.append(time.perf_counter() - t)
    # sanity: the naive totals agree with ours
    from callbacks.views import view_filters

    cur, _ = gw.store.cursor()
    f = view_filters(gw, steps[-1][2])
    ours = queries.totals(cur, f)
    agree = ours["reports"] == r["totals"]["reports"] and ours["confirmed"] == r["totals"]["confirmed"]
    summ = summary_ms(times)
    del df
    return {**info, "change": summ, "agrees_with_ours": agree,
            "ratio_naive_over_ours_p50": round(summ["p50_ms"] / ours_sum_p50, 2) if ours_sum_p50 else None,
            "ratio_naive_over_ours_same_aggregates_p50":
                round(summ["p50_ms"] / ours_same_p50, 2) if ours_same_p50 else None,
            "note": "naive = filter the 3M-row DataFrame in each of 2 callbacks, then groupby: districts of the "
                    "drawn level, totals (current + comparison period), per category, time series. It computes "
                    "less than ours (no table extras, comparison per district, speed, heatmap, figures)."}


# ====================================================================== d. first load in Chromium

WATCH_JS = r"""
(function () {
  var s = window.__kmzb = {kpi: null, paths: null, ready: null, npaths: 0, kpiText: null};
  function check() {
    if (s.ready !== null) return;
    var now = performance.now();
    if (s.kpi === null) {
      var k = document.getElementById('kpi-reports');
      if (k && /\d/.test(k.textContent)) { s.kpi = now; s.kpiText = k.textContent; }
    }
    if (s.paths === null) {
      var n = document.querySelectorAll('.leaflet-interactive').length;
      if (n > 0) { s.paths = now; s.npaths = n; }
    }
    if (s.kpi !== null && s.paths !== null) { s.ready = Math.max(s.kpi, s.paths); if (s.mo) s.mo.disconnect(); }
  }
  s.long = [];
  try {
    new PerformanceObserver(function (list) {
      list.getEntries().forEach(function (e) { s.long.push([Math.round(e.startTime), Math.round(e.duration)]); });
    }).observe({type: 'longtask', buffered: true});
  } catch (e) {}
  s.mo = new MutationObserver(check);
  s.mo.observe(document, {childList: true, subtree: true, characterData: true});
  var iv = setInterval(function () { check(); if (s.ready !== null) clearInterval(iv); }, 25);
})();
"""


def one_load(url: str, shot: Path | None) -> dict:
    from tests.browser import chrome

    drv = chrome()
    profile = (drv.capabilities.get("chrome") or {}).get("userDataDir")
    try:
        drv.execute_cdp_cmd("Network.enable", {})
        drv.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
        drv.execute_cdp_cmd("Performance.enable", {"timeDomain": "timeTicks"})
        drv.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": WATCH_JS})
        drv.set_page_load_timeout(60)
        drv.get(url)
        deadline = time.time() + 60
        st = wait_page_ready(drv, "kpi: __kmzb.kpi, paths: __kmzb.paths, ready: __kmzb.ready, "
                                  "npaths: __kmzb.npaths, kpiText: __kmzb.kpiText")
        if not st or st.get("ready") is None:
            raise RuntimeError(f"page not ready after 60 s: {st}")
        metrics = {m["name"]: m["value"] for m in drv.execute_cdp_cmd("Performance.getMetrics", {})["metrics"]}
        main_thread = {k: round(metrics[k] * 1000) for k in ("TaskDuration", "ScriptDuration", "LayoutDuration",
                                                               "RecalcStyleDuration") if k in metrics}
        # wait until the callbacks have settled (no new _dash-update-component for 1 s), for the breakdown
        last_n, stable_since = -1, time.time()
        while time.time() < deadline:
            n = drv.execute_script("return performance.getEntriesByType('resource').filter("
                                   "e => e.name.includes('_dash-update-component') && e.responseEnd > 0).length")
            if n != last_n:
                last_n, stable_since = n, time.time()
            elif time.time() - stable_since > 1.0:
                break
            time.sleep(0.1)
        nav = drv.execute_script("var n = performance.getEntriesByType('navigation')[0]; return {"
                                 "responseStart: n.responseStart, responseEnd: n.responseEnd, "
                                 "domContentLoaded: n.domContentLoadedEventEnd, load: n.loadEventEnd, "
                                 "transfer: n.transferSize}")
        res = drv.execute_script("return performance.getEntriesByType('resource').map(e => ({name: e.name, "
                                 "start: e.startTime, end: e.responseEnd, size: e.transferSize, "
                                 "body: e.decodedBodySize}))")
        if shot is not None:
            drv.save_screenshot(str(shot))
        longtasks = drv.execute_script("return window.__kmzb.long") or []
        fcp = drv.execute_script("var p = performance.getEntriesByName('first-contentful-paint')[0]; "
                                 "return p ? p.startTime : null")
        cbs = [r for r in res if "_dash-update-component" in r["name"]]
        ready = st["ready"]
        before_ready = [(a, d) for a, d in longtasks if a < ready]
        def first(sub):
            return next(({"start": round(r["start"]), "end": round(r["end"]), "bytes": r["body"]}
                         for r in res if sub in r["name"]), None)
        return {"ready_ms": round(st["ready"]), "kpi_ms": round(st["kpi"]), "paths_ms": round(st["paths"]),
                "paths": st["npaths"], "kpi_text": st["kpiText"],
                "navigation": {k: round(v) if isinstance(v, (int, float)) else v for k, v in nav.items()},
                "layout": first("_dash-layout"), "dependencies": first("_dash-dependencies"),
                "geojson": first("/geo/"),
                "callbacks": [{"start": round(r["start"]), "end": round(r["end"]), "bytes": r["body"]} for r in cbs],
                "callbacks_done_ms": round(max((r["end"] for r in cbs), default=0)),
                "resources": len(res), "bytes_decoded": sum(r["body"] or 0 for r in res),
                "js_bytes_decoded": sum(r["body"] or 0 for r in res if r["name"].split("?")[0].endswith(".js")),
                "first_contentful_paint_ms": round(fcp) if fcp else None,
                "main_thread_ms_at_ready": main_thread,
                "long_tasks_before_ready": {"count": len(before_ready), "total_ms": sum(d for _, d in before_ready),
                                            "largest": sorted(before_ready, key=lambda x: -x[1])[:6]},
                "largest_resources": sorted(({"name": r["name"].split("/")[-1].split("?")[0][:60],
                                              "start": round(r["start"]), "end": round(r["end"]),
                                              "bytes": r["body"]} for r in res), key=lambda x: -(x["bytes"] or 0))[:8]}
    finally:
        drv.quit()
        if profile and Path(profile).name.startswith("kmzb-chrome-"):
            shutil.rmtree(profile, ignore_errors=True)


def part_browser(loads: int) -> dict:
    out = {}
    with running_server(cache=False) as srv:
        one_load(srv.url + "/", None)  # warm the server (imports, first queries); not counted
        runs = [one_load(srv.url + "/", OUT / "first_load.png" if i == loads - 1 else None) for i in range(loads)]
        gm = [one_load(srv.url + "/?level=gmina", None) for _ in range(2)]
    with running_server(cache=True, cache_dir=OUT / "cache-browser") as srv:
        one_load(srv.url + "/", None)  # fills the server cache
        warm = [one_load(srv.url + "/", None) for _ in range(2)]
    ready = sorted(r["ready_ms"] for r in runs)
    out["default_view"] = {"url": "/", "ready_ms": [r["ready_ms"] for r in runs],
                           "median_ms": pct(ready, 50), "runs": runs}
    out["gmina_view"] = {"url": "/?level=gmina", "ready_ms": [r["ready_ms"] for r in gm],
                         "median_ms": pct([r["ready_ms"] for r in gm], 50)}
    out["default_view_server_cache_warm"] = {
        "ready_ms": [r["ready_ms"] for r in warm], "median_ms": pct([r["ready_ms"] for r in warm], 50),
        "callbacks_done_ms": [r["callbacks_done_ms"] for r in warm],
        "note": "server cache on and already filled: what remains is browser-side (JS, rendering)"}
    out["screenshot"] = str(OUT / "first_load.png")
    out["server"] = "KMZB_CACHE=off, KMZB_TILES_URL='' (no tiles); fresh Chromium profile per load + CDP cache off"
    return out


# ====================================================================== main

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--changes", type=int, default=50)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--warm", type=int, default=3, help="warm-up changes (other states) before timing")
    ap.add_argument("--loads", type=int, default=5)
    ap.add_argument("--parts", default="http,inproc,naive,browser")
    args = ap.parse_args(argv)
    require_store()
    warnings.filterwarnings("ignore", category=UserWarning)  # NullCache notice, mapclassify k<5
    parts = set(args.parts.split(","))
    steps = make_changes(args.changes, args.seed)
    levels = defaultdict(int)
    for st in steps:
        levels[st[2].level] += 1
    result: dict = {"targets": TARGETS, "changes": len(steps), "seed": args.seed,
                    "changes_by_level": dict(levels),
                    "changes_by_trigger": dict(sorted({t: sum(1 for s in steps if s[1] == t)
                                                       for _, t, _ in steps}.items()))}
    prev = OUT / "dashboard.json"
    if prev.exists() and parts != {"http", "inproc", "naive", "browser"}:  # partial re-run: keep the rest
        old = json.loads(prev.read_text())
        result.update({k: v for k, v in old.items() if k in ("http", "inproc", "naive", "browser")})

    if "http" in parts:
        print(f"a. {len(steps)} filter changes over HTTP (levels {dict(levels)}) ...", flush=True)
        result["http"] = h = part_http(steps, args.warm)
        u, c = h["uncached"]["per_callback"]["sum"], h["cache_on_cached_pass"]["sum"]
        print(f"   uncached (KMZB_CACHE=off), sync + views: p50 {u['p50_ms']:.0f} ms, p95 {u['p95_ms']:.0f} ms, "
              f"max {u['max_ms']:.0f} ms", flush=True)
        for k, v in h["uncached"]["per_callback"].items():
            print(f"     {k:16s} p50 {v['p50_ms']:7.1f}  p95 {v['p95_ms']:7.1f}  mean {v['mean_ms']:7.1f} ms")
        print(f"   cache on: first pass p50 {h['cache_on_first_pass']['sum']['p50_ms']:.0f} ms; cached pass p50 "
              f"{c['p50_ms']:.1f} ms, p95 {c['p95_ms']:.1f} ms", flush=True)
        sz = h["sizes"]["explicit"]["gmina_90d"]
        print(f"b. update_views at gmina level (all Poland): hideout {sz['hideout'] / 1024:.1f} KB "
              f"({sz['hideout_gzip'] / 1024:.1f} KB gzip); whole response {sz['response'] / 1024:.0f} KB "
              f"(table rows, column by column, {sz['rowData'] / 1024:.0f} KB, {sz['rows']} rows); geojson "
              + ", ".join(f"{k} {v['bytes'] / 1024:.0f} KB" for k, v in h["sizes"]["geojson"].items()), flush=True)
    if "inproc" in parts:
        print("a'. in-process breakdown (create_app + test_request_context) ...", flush=True)
        result["inproc"] = ip = part_inproc(steps, args.warm)
        for k, v in ip["per_function"].items():
            print(f"     {k:14s} p50 {v['p50_ms']:7.1f}  p95 {v['p95_ms']:7.1f} ms")
        for k, v in ip["dash_test_client"].items():
            print(f"     dash {k:9s} p50 {v['p50_ms']:7.1f}  p95 {v['p95_ms']:7.1f} ms (Flask test client)")
        for row in ip["breakdown_ms_per_change"]:
            if row["mean_ms"] >= 1.0:
                print(f"     {row['callback']:9s} {row['what']:34s} {row['mean_ms']:7.1f} ms/change  "
                      f"({row['calls_per_change']:.1f} calls)")
    if "naive" in parts:
        print("c. naive pandas ...", flush=True)
        ours = (result.get("http") or {}).get("uncached", {}).get("per_callback", {}).get("sum", {}).get("p50_ms")
        same = (result.get("inproc") or {}).get("same_aggregates_as_naive", {}).get("p50_ms")
        result["naive"] = nv = part_naive(steps, ours, same)
        print(f"   load {nv['load_seconds']} s, DataFrame {nv['memory_usage_deep_mb']} MB (deep), RSS +"
              f"{nv['process_rss_growth_mb']} MB; per change p50 {nv['change']['p50_ms']:.0f} ms, p95 "
              f"{nv['change']['p95_ms']:.0f} ms; naive/ours {nv['ratio_naive_over_ours_p50']}× (whole change), "
              f"{nv['ratio_naive_over_ours_same_aggregates_p50']}× (same aggregates); agrees: {nv['agrees_with_ours']}",
              flush=True)
    if "browser" in parts:
        print(f"d. first load in headless Chromium × {args.loads} ...", flush=True)
        result["browser"] = b = part_browser(args.loads)
        r0 = b["default_view"]["runs"][len(b["default_view"]["runs"]) // 2]
        print(f"   ready (KPI number + map paths): median {b['default_view']['median_ms']:.0f} ms "
              f"{b['default_view']['ready_ms']}; gmina view median {b['gmina_view']['median_ms']:.0f} ms; "
              f"server cache warm: median {b['default_view_server_cache_warm']['median_ms']:.0f} ms", flush=True)
        print(f"   one load: DOMContentLoaded {r0['navigation']['domContentLoaded']} ms, layout "
              f"{r0['layout']}, callbacks done {r0['callbacks_done_ms']} ms, geojson {r0['geojson']}, KPI "
              f"{r0['kpi_ms']} ms, paths {r0['paths_ms']} ms; long tasks before ready "
              f"{r0['long_tasks_before_ready']['total_ms']} ms; main thread at ready {r0['main_thread_ms_at_ready']}; "
              f"JS {r0['js_bytes_decoded'] / 1e6:.1f} MB", flush=True)

    h, b = result.get("http") or {}, result.get("browser") or {}
    u = h.get("uncached", {}).get("per_callback", {}).get("sum", {})
    c = h.get("cache_on_cached_pass", {}).get("sum", {})
    hid = h.get("sizes", {}).get("explicit", {}).get("gmina_90d", {}).get("hideout")
    result["pass"] = {
        "uncached_p50": check(u.get("p50_ms"), TARGETS["uncached_p50_ms"]),
        "uncached_p95": check(u.get("p95_ms"), TARGETS["uncached_p95_ms"]),
        "cached_p50": check(c.get("p50_ms"), TARGETS["cached_p50_ms"]),
        "cached_p95": check(c.get("p95_ms"), TARGETS["cached_p95_ms"]),
        "hideout": check(hid / 1024 if hid else None, TARGETS["hideout_kb"]),
        "first_load": check(b.get("default_view", {}).get("median_ms", 0) / 1000 if b else None,
                            TARGETS["first_load_s"]),
    }
    path = write_result("dashboard", result)
    for k, ok in result["pass"].items():
        print(f"{k}: {'PASS' if ok else ('FAIL' if ok is False else 'n/a')}")
    print(f"result: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
