"""Server-Timing headers (KMZB_SERVER_TIMING=wall or cpu): where each request's time went, by kmzb.timing stage
(sql, data, figure, view, callback; `other` = the rest: glue code and the response's serialisation).
Off by default: timings are for whoever measures the server (bench/bench_views.py), not for the public."""

from __future__ import annotations

import time

from flask import Flask, g

from kmzb import timing


def init_timing(server: Flask, mode: str) -> None:
    """mode: "" (off), "wall" (elapsed time) or "cpu" (the request thread's CPU time: the same figures on
    a busy machine, without the waiting; DuckDB runs its one thread in the caller's thread)."""
    if not mode:
        return
    clock = time.thread_time if mode == "cpu" else time.perf_counter

    @server.before_request
    def start_timing():
        g.kmzb_timing = (clock(), *timing.start(clock))

    @server.after_request
    def timing_header(resp):
        held = g.pop("kmzb_timing", None)
        if held is not None:
            t0, rec, token = held
            resp.headers["Server-Timing"] = rec.header(clock() - t0)
            timing.stop(token)
        return resp
