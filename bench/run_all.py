"""Run the benchmarks in order (ingest -> API -> dashboard -> random views) and summarise them in one table.

    python bench/run_all.py [--skip-ingest]

Each script runs as its own subprocess (the same Python), writes bench/out/<name>.json, and this script
prints a markdown table (metric, measured, target, pass/fail) and writes it to bench/out/results.md.
--skip-ingest reuses the store from an earlier bench_ingest.py run (and its ingest.json).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import OUT, PY, ROOT, wait_quiet  # noqa: E402

SCRIPTS = [("ingest", "bench/bench_ingest.py"), ("api", "bench/bench_api.py"), ("dashboard", "bench/bench_dashboard.py"),
           ("views", "bench/bench_views.py"), ("views-cached", "bench/bench_views.py --cache")]


def load(name: str) -> dict:
    p = OUT / f"{name}.json"
    return json.loads(p.read_text()) if p.exists() else {}


def g(d: dict, *path, default=None):
    for k in path:
        if not isinstance(d, dict) or k not in d:
            return default
        d = d[k]
    return d


def verdict(value, target, op="<=") -> str:
    if value is None:
        return "n/a"
    ok = value <= target if op == "<=" else value >= target
    if ok:
        return "PASS"
    over = value / target - 1 if target else float("inf")
    return f"**FAIL** (+{over:.0%})"


def table(ing: dict, api: dict, dash: dict) -> list[tuple[str, str, str, str]]:
    rows = []

    def add(metric, value, fmt, target=None, op="<=", unit=""):
        shown = "–" if value is None else (fmt.format(value) + unit)
        tgt = "info" if target is None else f"{op} {target:g}{unit}"
        rows.append((metric, shown, tgt, "" if target is None else verdict(value, target, op)))

    add("ingest: full snapshot 3,000,000 reports (wall)", g(ing, "full", "wall_seconds"), "{:.1f}", 90, unit=" s")
    add("ingest: full snapshot throughput", g(ing, "full", "rows_per_second"), "{:,.0f}", unit=" rows/s")
    add("ingest: full snapshot peak RSS", g(ing, "full", "peak_rss_mb"), "{:,.0f}", unit=" MB")
    add("ingest: delta 5,000 rows on top (wall)", g(ing, "delta", "wall_seconds"), "{:.2f}", 5, unit=" s")
    add("ingest: delta peak RSS", g(ing, "delta", "peak_rss_mb"), "{:,.0f}", unit=" MB")
    snap = g(ing, "delta", "snapshot_bytes")
    add("store: snapshot file size (3M + delta)", snap / 1e6 if snap else None, "{:.1f}", unit=" MB")

    add("API /districts?level=gmina uncached p50", g(api, "uncached", "p50_ms"), "{:.1f}", 30, unit=" ms")
    add("API /districts?level=gmina uncached p95", g(api, "uncached", "p95_ms"), "{:.1f}", 60, unit=" ms")
    add("API uncached max", g(api, "uncached", "max_ms"), "{:.1f}", unit=" ms")
    add("API server RSS after 200 requests (VmRSS)", g(api, "uncached", "rss_mb"), "{:.0f}", 600, unit=" MB")
    add("API server peak RSS (VmHWM)", g(api, "uncached", "hwm_mb"), "{:.0f}", 600, unit=" MB")
    add("API cache on: cached pass p50", g(api, "cache_on_cached_pass", "p50_ms"), "{:.1f}", unit=" ms")
    add("API cache on: cached pass p95", g(api, "cache_on_cached_pass", "p95_ms"), "{:.1f}", unit=" ms")
    add("API response size (gmina, JSON)", (g(api, "uncached", "response_bytes_median") or 0) / 1024 or None,
        "{:.0f}", unit=" KB")

    h = g(dash, "http", default={})
    add("dashboard filter change uncached p50 (sync + views callbacks, HTTP)",
        g(h, "uncached", "per_callback", "sum", "p50_ms"), "{:.0f}", 80, unit=" ms")
    add("dashboard filter change uncached p95", g(h, "uncached", "per_callback", "sum", "p95_ms"), "{:.0f}", 150,
        unit=" ms")
    for cb in ("sync", "update_views"):
        add(f"  · {cb} uncached p50", g(h, "uncached", "per_callback", cb, "p50_ms"), "{:.1f}", unit=" ms")
    add("dashboard filter change cache on, first pass p50", g(h, "cache_on_first_pass", "sum", "p50_ms"), "{:.0f}",
        unit=" ms")
    add("dashboard filter change cached p50", g(h, "cache_on_cached_pass", "sum", "p50_ms"), "{:.0f}", 20, unit=" ms")
    add("dashboard filter change cached p95", g(h, "cache_on_cached_pass", "sum", "p95_ms"), "{:.0f}", 20, unit=" ms")
    add("dashboard in-process callback functions p50 (no Dash/HTTP)", g(dash, "inproc", "per_function", "sum", "p50_ms"),
        "{:.0f}", unit=" ms")
    sz = g(h, "sizes", "explicit", "gmina_90d", default={})
    add("map update: hideout at gmina level, all Poland", sz.get("hideout", 0) / 1024 or None, "{:.1f}", 50,
        unit=" KB")
    add("map update: whole update_views response (gmina)", sz.get("response", 0) / 1024 or None, "{:.0f}",
        unit=" KB")
    add("  · of which district table rows (column by column)", sz.get("rowData", 0) / 1024 or None, "{:.0f}", unit=" KB")
    for lvl, v in (g(h, "sizes", "geojson", default={}) or {}).items():
        add(f"GeoJSON {lvl} (once, immutable cache)", v["bytes"] / 1024, "{:.0f}", unit=" KB")
    nv = g(dash, "naive", default={})
    add("naive pandas: per filter change p50", g(nv, "change", "p50_ms"), "{:.0f}", unit=" ms")
    add("naive pandas: per filter change p95", g(nv, "change", "p95_ms"), "{:.0f}", unit=" ms")
    add("naive / ours (whole change, p50)", nv.get("ratio_naive_over_ours_p50"), "{:.2f}", unit="×")
    add("naive / ours (same aggregates only, p50)", nv.get("ratio_naive_over_ours_same_aggregates_p50"), "{:.2f}",
        unit="×")
    add("naive pandas: DataFrame memory_usage(deep=True)", nv.get("memory_usage_deep_mb"), "{:.0f}", unit=" MB")
    add("naive pandas: table load time", nv.get("load_seconds"), "{:.1f}", unit=" s")
    b = g(dash, "browser", default={})
    fl = g(b, "default_view", "median_ms")
    add("first load in headless Chromium, median of 5 (KPI + map paths)", fl / 1000 if fl else None, "{:.2f}", 2.5,
        unit=" s")
    fg = g(b, "gmina_view", "median_ms")
    add("first load, ?level=gmina (median of 2)", fg / 1000 if fg else None, "{:.2f}", unit=" s")
    fw = g(b, "default_view_server_cache_warm", "median_ms")
    add("first load, server cache warm (browser-side only)", fw / 1000 if fw else None, "{:.2f}", unit=" s")
    for name, label, targets in (("views", "uncached", {"p95_ms": 150, "max_ms": 400}),
                                 ("views-cached", "cached", {"p95_ms": 20})):
        rt = g(load(name), "round_trip", default={})
        for k in ("p50_ms", "p95_ms", "max_ms"):
            add(f"random views (views callback over HTTP), {label} {k[:-3]}", rt.get(k), "{:.0f}", targets.get(k),
                unit=" ms")
    return rows


def breakdown_md(dash: dict) -> list[str]:
    ip = dash.get("inproc") or {}
    if not ip:
        return []
    lines = ["", "### In-process breakdown of one uncached filter change (mean ms per change, 50 changes)", "",
             "| callback | what | ms | calls |", "|---|---|---:|---:|"]
    for r in ip["breakdown_ms_per_change"]:
        if r["mean_ms"] >= 0.5 and not r["what"].startswith("gateway:"):
            lines.append(f"| {r['callback']} | {r['what']} | {r['mean_ms']:.1f} | {r['calls_per_change']:g} |")
    lines += ["", "sql:X = DuckDB execute + fetch inside kmzb.query.queries.X (time of nested query helpers is charged to "
              "the outer one); query:X = all of queries.X (SQL + pandas); figure:X = dashboard.figures.X (plotly); "
              "view:X = callbacks.views.X, inclusive. overview and charts run in the one views callback and share "
              "what the gateway memoized for the request (charts' districts and categories are overview's)."]
    pf = ip.get("per_function", {})
    dt = ip.get("dash_test_client", {})
    if pf:
        lines += ["", "| layer | sync | views | sum |", "|---|---:|---:|---:|",
                  "| plain functions (p50 ms) | " + " | ".join(f"{pf[k]['p50_ms']:.1f}" for k in (
                      "sync_state", "views", "sum")) + " |"]
        if dt:
            lines.append("| Dash stack, Flask test client (p50 ms) | " + " | ".join(
                f"{dt[k]['p50_ms']:.1f}" for k in ("sync", "views", "sum")) + " |")
        h = g(dash, "http", "uncached", "per_callback", default={})
        if h:
            lines.append("| real server over HTTP (p50 ms) | " + " | ".join(
                f"{h[k]['p50_ms']:.1f}" for k in ("sync", "update_views", "sum")) + " |")
    return lines


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--skip-ingest", action="store_true")
    ap.add_argument("--report-only", action="store_true", help="only rebuild results.md from bench/out/*.json")
    ap.add_argument("--wait-quiet", type=float, default=60, metavar="S",
                    help="before each benchmark wait up to S s for the machine to be idle (other work skews timings)")
    args = ap.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    commands, took, quiet = [], {}, {}
    t_all = time.perf_counter()
    for name, script in SCRIPTS:
        if args.report_only:
            break
        if name == "ingest" and args.skip_ingest:
            continue
        cmd = [PY, *script.split()]
        commands.append(" ".join([os.path.relpath(PY, ROOT), script]))
        quiet[name] = wait_quiet(args.wait_quiet) if args.wait_quiet > 0 else {}
        print(f"\n=== {name}: {' '.join(cmd)}   (machine busy before: {quiet[name].get('cpu_busy_before')})",
              flush=True)
        t = time.perf_counter()
        rc = subprocess.run(cmd, cwd=ROOT).returncode
        took[name] = round(time.perf_counter() - t, 1)
        if rc != 0:
            print(f"{script} failed with exit code {rc}", file=sys.stderr)
            return rc
    total = time.perf_counter() - t_all
    run_file = OUT / "run_all.json"
    if args.report_only and run_file.exists():  # the timings of the last full run
        prev = json.loads(run_file.read_text())
        commands, took, quiet, total = prev["commands"], prev["took"], prev["quiet"], prev["total"]
    elif not args.report_only:
        run_file.write_text(json.dumps({"commands": commands, "took": took, "quiet": quiet, "total": total}))

    ing, api, dash = load("ingest"), load("api"), load("dashboard")
    rows = table(ing, api, dash)
    busy_txt = ", ".join(f"{k} {v.get('cpu_busy_before')}" for k, v in quiet.items())
    finished = {k: load(k).get("finished_at") for k in ("ingest", "api", "dashboard")}
    md = ["# KMZB benchmarks (3,000,000 reports)", "",
          "Results finished at: " + ", ".join(f"{k} {v}" for k, v in finished.items()) + ".", "",
          f"Report built {time.strftime('%Y-%m-%d %H:%M')} on {os.cpu_count()} CPUs; load average now "
          f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}; last full run took {total / 60:.1f} min "
          f"({', '.join(f'{k} {v:.0f} s' for k, v in took.items())}). CPU busy with other work just before each "
          f"benchmark (share of all CPUs): {busy_txt}"
          " — the machine is shared, so timings carry noise.", "",
          "| metric | measured | target | result |", "|---|---:|---|---|"]
    md += [f"| {m} | {v} | {t} | {r} |" for m, v, t, r in rows]
    md += breakdown_md(dash)
    md += ["", "Commands (from the project root):", ""] + [f"    {c}" for c in commands]
    md += ["", "Raw results: bench/out/ingest.json, bench/out/api.json, bench/out/dashboard.json, bench/out/views.json, "
           "bench/out/views-cached.json; "
           "screenshot bench/out/first_load.png."]
    text = "\n".join(md) + "\n"
    (OUT / "results.md").write_text(text)
    print("\n" + text)
    print(f"written: {OUT / 'results.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
