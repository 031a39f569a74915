"""The language switch: in place (a click, callbacks/language.py) against a full reload in the other
language (what the switch did before: follow its link), in headless Chromium with a warm HTTP cache.

    python bench/bench_language_switch.py [--runs 5] [--data-dir DIR]

The server (`python app.py`, its cache on) serves the 3M store (bench/bench_ingest.py) or `--data-dir`.
Each run opens the Polish view, then switches to English one way or the other, interleaved (reload,
in place, reload, ...), and times: the new language on screen (the heading), and the page fully drawn
in it (the KPI filled, the map's districts, no callback pending). Bytes: the performance entries'
transferSize after the switch (a reload's cached scripts count 0 here, but are parsed and run again).
Writes bench/out/language_switch.json.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import geo_dir, require_store, server_env, write_result  # noqa: E402

VIEW = "?level=powiat&teryt=12&preset=90d&outcome=confirmed"
HEADING = "return (document.querySelector('h1') || {}).textContent || ''"
BYTES = "return performance.getEntries().reduce((s, e) => s + (e.transferSize || 0), 0)"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--data-dir", help="KMZB_DATA_DIR to serve (default: the 3M benchmark store)")
    a = p.parse_args(argv)
    from tests.browser import Server, chrome, wait
    from tests.e2e.test_dashboard import ready

    env = server_env(cache=True)
    if a.data_dir:
        env.update(KMZB_DATA_DIR=a.data_dir, KMZB_GEO_DIR=geo_dir())
    else:
        require_store()
    srv = Server(env)
    d = chrome(1366, 900)
    got = {"reload": [], "in_place": []}
    try:
        d.get(srv.url + "/" + VIEW)
        ready(d)  # fills the browser's and the server's caches
        for _ in range(a.runs):
            for how in got:
                d.get(srv.url + "/" + VIEW)
                ready(d)
                d.execute_script("performance.clearResourceTimings(); window.__kmzbMarker = 1")
                t0 = time.perf_counter()
                if how == "reload":
                    d.get(srv.url + "/?lang=en&" + VIEW[1:])
                else:
                    d.execute_script("document.getElementById('lang-link').click()")
                wait(d, lambda x: "National Map" in x.execute_script(HEADING), timeout=120)
                text_s = time.perf_counter() - t0
                ready(d)
                got[how].append({"text_s": text_s, "drawn_s": time.perf_counter() - t0,
                                 "bytes": d.execute_script(BYTES),
                                 "reloaded": not d.execute_script("return window.__kmzbMarker === 1")})
    finally:
        d.quit()
        srv.stop()
    result = {"runs": a.runs, "data_dir": env["KMZB_DATA_DIR"]}
    for how, rows in got.items():
        result[how] = {k: round(statistics.median(r[k] for r in rows), 3) for k in ("text_s", "drawn_s", "bytes")}
        result[how]["all_drawn_s"] = [round(r["drawn_s"], 2) for r in rows]
        result[how]["reloaded"] = all(r["reloaded"] for r in rows)
        print(f"{how:9} text {result[how]['text_s']:.2f} s  drawn {result[how]['drawn_s']:.2f} s  "
              f"bytes {result[how]['bytes']:,.0f}  (drawn: {result[how]['all_drawn_s']})")
    print("loadavg", os.getloadavg(), "->", write_result("language_switch", result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
