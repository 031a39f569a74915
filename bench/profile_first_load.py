"""Where the first load's time goes in the browser: a V8 CPU profile (CDP Profiler) of one page load.

    python bench/profile_first_load.py [--url-query "?level=gmina"]

Starts the server on the 3M store with the cache on and already filled (so the server answers fast and the
profile shows the browser side), opens a blank same-origin page, starts the profiler, navigates, waits for
the KPI number and the map paths, and sums the self time per script and per function.
Writes bench/out/profile_first_load.json.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import OUT, require_store, running_server, wait_page_ready, write_result  # noqa: E402
from bench_dashboard import WATCH_JS, one_load  # noqa: E402
from bench_first_load import wait_drawn  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url-query", default="")
    args = ap.parse_args(argv)
    require_store()
    from tests.browser import chrome

    with running_server(cache=True, cache_dir=OUT / "cache-profile") as srv:
        one_load(srv.url + "/" + args.url_query, None)  # fill the server cache
        drv = chrome()
        profile_dir = (drv.capabilities.get("chrome") or {}).get("userDataDir")
        try:
            drv.get(srv.url + "/_favicon.ico")
            drv.execute_cdp_cmd("Network.enable", {})
            drv.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
            drv.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": WATCH_JS})
            drv.execute_cdp_cmd("Profiler.enable", {})
            drv.execute_cdp_cmd("Profiler.setSamplingInterval", {"interval": 200})
            drv.execute_cdp_cmd("Profiler.start", {})
            drv.get(srv.url + "/" + args.url_query)
            st = wait_page_ready(drv, "ready: __kmzb.ready, kpi: __kmzb.kpi, paths: __kmzb.paths")
            drawn = wait_drawn(drv)["now"]  # the five charts too (bench_first_load's "drawn")
            prof = drv.execute_cdp_cmd("Profiler.stop", {})["profile"]
            cbs = drv.execute_script("return performance.getEntriesByType('resource').filter(e => "
                                     "e.name.includes('_dash-update-component')).map(e => Math.round(e.responseEnd))")
        finally:
            drv.quit()
            if profile_dir and Path(profile_dir).name.startswith("kmzb-chrome-"):
                shutil.rmtree(profile_dir, ignore_errors=True)

    nodes = {n["id"]: n for n in prof["nodes"]}
    dt = defaultdict(float)
    samples, deltas = prof.get("samples", []), prof.get("timeDeltas", [])
    timeline = defaultdict(lambda: defaultdict(float))  # 250 ms bucket since the profiler started -> script -> ms
    at = 0.0
    for i, sid in enumerate(samples):  # time of a sample = the delta to the next one
        at += deltas[i] / 1000.0
        ms = (deltas[i + 1] if i + 1 < len(deltas) else 0) / 1000.0
        dt[sid] += ms
        url = nodes[sid]["callFrame"].get("url") or ""
        if nodes[sid]["callFrame"]["functionName"] not in ("(idle)", "(program)"):
            timeline[int(at // 250)][url.split("/")[-1].split("?")[0] or nodes[sid]["callFrame"]["functionName"]] += ms
    by_script, by_fn = defaultdict(float), defaultdict(float)
    for sid, ms in dt.items():
        cf = nodes[sid]["callFrame"]
        url = cf.get("url") or ""
        script = url.split("/")[-1].split("?")[0] or ("(" + cf["functionName"] + ")" if cf["functionName"].startswith(
            "(") else "(native/other)")
        by_script[script] += ms
        by_fn[f"{cf['functionName'] or '(anonymous)'} @ {script}:{cf.get('lineNumber', 0) + 1}"] += ms
    total = sum(dt.values())
    top_scripts = sorted(by_script.items(), key=lambda x: -x[1])[:15]
    top_fns = sorted(by_fn.items(), key=lambda x: -x[1])[:25]
    print(f"ready at {st and st.get('ready'):.0f} ms (KPI {st and st.get('kpi'):.0f}, paths {st and st.get('paths'):.0f}); "
          f"sampled CPU {total:.0f} ms")
    print("self time by script:")
    for k, v in top_scripts:
        print(f"  {v:7.0f} ms  {k}")
    print("top functions (self time):")
    for k, v in top_fns[:15]:
        print(f"  {v:7.0f} ms  {k[:110]}")
    print(f"drawn (five charts too) at {drawn:.0f} ms; callbacks answered at {sorted(cbs)} ms")
    print("busy main thread per 250 ms since the profiler started (top three scripts):")
    for b in sorted(timeline):
        top = sorted(timeline[b].items(), key=lambda x: -x[1])[:3]
        print(f"  {b * 250:5d} ms {sum(timeline[b].values()):4.0f} ms busy: " + ", ".join(f"{k} {v:.0f}" for k, v in top))
    path = write_result("profile_first_load", {"ready": st, "sampled_ms": round(total), "by_script_ms": [
        (k, round(v)) for k, v in top_scripts], "top_functions_ms": [(k, round(v)) for k, v in top_fns]})
    print(f"result: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
