"""First load of the dashboard in headless Chromium: bytes transferred and time to a fully drawn page.

    python bench/bench_first_load.py [--runs 5] [--root DIR] [--label NAME] [--url-query "?lang=en"]

Starts the server (`python app.py`, the 3M store, server cache on and filled by one load first, so the
figures show what the browser fetches and draws) from `--root` (default: this checkout; point it at a
`git worktree` of an older commit to measure "before"). Each run opens a new browser with its HTTP cache
off and waits until the page is fully drawn: the KPI holds a number, the map has district paths and all
five charts are drawn by plotly. Bytes are the performance entries' transferSize (what went over the
wire, headers included: compressed when the server compresses) and decodedBodySize (after decoding),
for the page and every resource. A second navigation in the same browser with its cache on shows a
repeat visit (what long-lived caching saves). Median of `--runs`.
Writes bench/out/first_load_<label>.json.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import OUT, ROOT, require_store, server_env, wait_warm, write_result  # noqa: E402

from tests.helpers import ServerProcess  # noqa: E402

CHARTS = ("chart-timeline", "chart-categories", "chart-ranked", "chart-speed", "chart-heatmap")

DRAWN_JS = r"""
var k = document.getElementById('kpi-reports');
var kpi = !!(k && /\d/.test(k.textContent));
var paths = document.querySelectorAll('.leaflet-interactive').length;
var charts = %s.filter(function (id) {
  var el = document.getElementById(id);
  var gd = el && (el.classList.contains('js-plotly-plot') ? el : el.querySelector('.js-plotly-plot'));
  return !!(gd && gd._fullLayout && gd.data && gd.querySelector('.main-svg'));
}).length;
return {kpi: kpi, paths: paths, charts: charts, now: performance.now()};
""" % (list(CHARTS),)

BYTES_JS = r"""
var n = performance.getEntriesByType('navigation')[0];
var r = performance.getEntriesByType('resource');
var all = [n].concat(r);
function sum(f) { return all.reduce(function (a, e) { return a + (e[f] || 0); }, 0); }
var big = r.filter(function (e) { return e.name.indexOf('plotly') >= 0 && e.name.indexOf('.js') >= 0; })[0];
var cbs = r.filter(function (e) { return e.name.indexOf('_dash-update-component') >= 0; });
var cbEnd = cbs.reduce(function (a, e) { return Math.max(a, e.responseEnd); }, 0);
var scripts = r.filter(function (e) { return e.initiatorType === 'script' || /\.js(\?|$)/.test(e.name); });
return {transfer: sum('transferSize'), decoded: sum('decodedBodySize'), requests: all.length,
        plotly_transfer: big ? big.transferSize : null, plotly_decoded: big ? big.decodedBodySize : null,
        callbacks: cbs.length, callbacks_end_ms: Math.round(cbEnd),
        slowest_callback_ms: Math.round(cbs.reduce(function (a, e) { return Math.max(a, e.duration); }, 0)),
        scripts_end_ms: Math.round(scripts.reduce(function (a, e) { return Math.max(a, e.responseEnd); }, 0)),
        dom_content_loaded_ms: Math.round(n.domContentLoadedEventEnd)};
"""


def start_server(root: Path, port: int, cache: bool = True) -> ServerProcess:
    """`python app.py` of the checkout `root` on the 3M store (its cache on or off)."""
    return ServerProcess([sys.executable, "app.py", "--port", "{port}"], server_env(cache=cache, cache_dir=None),
                         port=port, cwd=root, timeout=180, name="fl")


def wait_drawn(drv, timeout: float = 90) -> dict:
    deadline = time.time() + timeout
    st = {}
    while time.time() < deadline:
        st = drv.execute_script(DRAWN_JS)
        if st["kpi"] and st["paths"] > 0 and st["charts"] == len(CHARTS):
            return st
        time.sleep(0.05)
    raise RuntimeError(f"page not drawn after {timeout} s: {st}")


def one_load(url: str, shot: Path | None = None) -> dict:
    from tests.browser import chrome

    drv = chrome(1400, 900)
    profile = (drv.capabilities.get("chrome") or {}).get("userDataDir")
    try:
        drv.execute_cdp_cmd("Network.enable", {})
        drv.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
        drv.set_page_load_timeout(90)
        drv.get(url)
        first = wait_drawn(drv)
        first.update(drv.execute_script(BYTES_JS))
        if shot is not None:
            drv.save_screenshot(str(shot))
        # a repeat visit: the browser's HTTP cache on, as a person coming back
        drv.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": False})
        drv.get(url.replace("?", "?r=1&") if "?" in url else url + "?r=1")
        again = wait_drawn(drv)
        again.update(drv.execute_script(BYTES_JS))
        return {"drawn_ms": round(first["now"]), "transfer": first["transfer"], "decoded": first["decoded"],
                **{k: first.get(k) for k in ("callbacks", "callbacks_end_ms", "slowest_callback_ms",
                                             "scripts_end_ms", "dom_content_loaded_ms")},
                "requests": first["requests"], "plotly_transfer": first["plotly_transfer"],
                "plotly_decoded": first["plotly_decoded"],
                "repeat_drawn_ms": round(again["now"]), "repeat_transfer": again["transfer"]}
    finally:
        drv.quit()
        if profile and Path(profile).name.startswith("kmzb-chrome-"):
            shutil.rmtree(profile, ignore_errors=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--root", type=Path, default=ROOT, help="the checkout whose app.py to serve")
    ap.add_argument("--label", default="after")
    ap.add_argument("--url-query", default="")
    ap.add_argument("--port", type=int, default=8391)
    ap.add_argument("--random", type=int, metavar="SEED", default=None,
                    help="each run a different random view (bench_views.py's generator) with the server's cache "
                         "off: the uncached first visit (issue 13: <= 3 s)")
    args = ap.parse_args(argv)
    require_store()
    uncached = args.random is not None
    srv = start_server(args.root.resolve(), args.port, cache=not uncached)
    base = srv.url
    try:
        url = base + "/" + args.url_query
        urls = [url] * args.runs
        if uncached:
            import requests
            from bench_views import _regions, random_views

            meta = requests.get(base + "/api/v1/meta", timeout=60).json()
            from datetime import date

            views = random_views(args.runs + 1, args.random, date.fromisoformat(meta["date_from"]),
                                 date.fromisoformat(meta["date_to"]), _regions(base, requests.Session()))
            urls = [base + "/" + v for v in views[1:]]
            url = base + "/" + views[0]
        wait_warm(base)
        one_load(url)  # warms the server (imports, geometry; with the cache on, fills it for the same view)
        runs = []
        for i in range(args.runs):
            r = one_load(urls[i], OUT / f"first_load_{args.label}.png" if i == 0 else None)
            r["view"] = urls[i][len(base):]
            runs.append(r)
            print(f"run {i + 1}: drawn {r['drawn_ms']} ms, {r['transfer'] / 1e6:.2f} MB transferred "
                  f"({r['decoded'] / 1e6:.2f} MB decoded, {r['requests']} requests); repeat visit "
                  f"{r['repeat_drawn_ms']} ms, {r['repeat_transfer'] / 1e3:.0f} KB; {r['callbacks']} callbacks, "
                  f"the last answered at {r['callbacks_end_ms']} ms (slowest {r['slowest_callback_ms']} ms), "
                  f"scripts loaded at {r['scripts_end_ms']} ms", flush=True)
    finally:
        srv.stop()
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]
           if isinstance(runs[0][k], (int, float)) and all(isinstance(r[k], (int, float)) for r in runs)}
    print(f"median of {len(runs)}: drawn {med['drawn_ms']:.0f} ms, {med['transfer'] / 1e6:.2f} MB transferred "
          f"({med['decoded'] / 1e6:.2f} MB decoded); repeat visit {med['repeat_drawn_ms']:.0f} ms, "
          f"{med['repeat_transfer'] / 1e3:.0f} KB; loadavg {os.getloadavg()[0]:.2f}")
    path = write_result(f"first_load_{args.label}", {"root": str(args.root), "url_query": args.url_query,
                                                      "uncached_random_seed": args.random,
                                                      "median": med, "runs": runs})
    print(f"result: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
