"""Where one request's time goes: named stages added up per request, exclusive of the stages nested
in them (a figure that runs a query is charged the figure's own time; the query is charged to `sql`).

Off unless a recorder is started for the current context (web.timing starts one per request when
KMZB_SERVER_TIMING is on and sends the sums as a Server-Timing header; bench/bench_views.py reads it).
When off, `stage` costs one ContextVar lookup and `cursor` returns the cursor itself.
"""

from __future__ import annotations

import gc
import time
from collections import defaultdict
from contextlib import contextmanager
from contextvars import ContextVar

_current: ContextVar["Recorder | None"] = ContextVar("kmzb_timing", default=None)


class Recorder:
    """Exclusive seconds and calls per stage name."""

    def __init__(self, clock=time.perf_counter):
        self.clock = clock  # time.perf_counter (wall) or time.thread_time (this thread's CPU: robust to a busy machine)
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._stack: list[list] = []  # [name, seconds spent in nested stages]

    def enter(self, name: str) -> None:
        self._stack.append([name, 0.0, self.clock()])

    def leave(self) -> None:
        name, nested, t0 = self._stack.pop()
        dt = self.clock() - t0
        self.seconds[name] += dt - nested
        self.calls[name] += 1
        if self._stack:
            self._stack[-1][1] += dt

    def header(self, total: float | None = None) -> str:
        """A Server-Timing header value: `name;dur=ms` per stage (and `total`, `other` = total minus the
        stages: the glue and the response's serialisation)."""
        parts = [f"{k};dur={v * 1000:.1f}" for k, v in sorted(self.seconds.items())]
        if total is not None:
            parts.append(f"other;dur={max(total - sum(self.seconds.values()), 0) * 1000:.1f}")
            parts.append(f"total;dur={total * 1000:.1f}")
        return ", ".join(parts)


def _gc_stage(phase: str, info: dict) -> None:
    """gc.callbacks hook: a collection that runs inside a timed request is charged to the `gc` stage
    (a full collection walks every live container object, so it shows as a pause in whatever stage it
    interrupted)."""
    rec = _current.get()
    if rec is None:
        return
    if phase == "start":
        rec.enter("gc")
    elif rec._stack and rec._stack[-1][0] == "gc":
        rec.leave()


def start(clock=time.perf_counter) -> tuple[Recorder, object]:
    if _gc_stage not in gc.callbacks:
        gc.callbacks.append(_gc_stage)
    rec = Recorder(clock)
    return rec, _current.set(rec)


def stop(token) -> None:
    _current.reset(token)


def active() -> bool:
    return _current.get() is not None


@contextmanager
def stage(name: str):
    rec = _current.get()
    if rec is None:
        yield
        return
    rec.enter(name)
    try:
        yield
    finally:
        rec.leave()


class WatchedCursor:
    """A DuckDB cursor whose every execute and fetch is timed and reported to `executed` / `fetched`
    (subclasses say what to do with the seconds; the benchmarks use it too); anything else passes through."""

    def __init__(self, cur):
        self._cur = cur

    @property
    def raw(self):
        """The DuckDB cursor underneath (a wrapper is made per call; the cursor is what lasts)."""
        return self._cur

    def executed(self, sql, params, seconds: float) -> None:
        pass

    def fetched(self, seconds: float) -> None:
        pass

    def execute(self, sql, params=None):
        t = time.perf_counter()
        self._cur.execute(sql, params) if params is not None else self._cur.execute(sql)
        self.executed(sql, params, time.perf_counter() - t)
        return self

    def _fetch(self, name):
        t = time.perf_counter()
        v = getattr(self._cur, name)()
        self.fetched(time.perf_counter() - t)
        return v

    def fetchone(self):
        return self._fetch("fetchone")

    def fetchall(self):
        return self._fetch("fetchall")

    def fetchnumpy(self):
        return self._fetch("fetchnumpy")

    def df(self):
        return self._fetch("df")

    def fetchdf(self):
        return self._fetch("fetchdf")

    def arrow(self):
        return self._fetch("arrow")

    def __getattr__(self, name):
        return getattr(self._cur, name)


class _StagedCursor(WatchedCursor):
    """Its executes and fetches charged to the `sql` stage (in the recorder's own clock)."""

    def execute(self, sql, params=None):
        with stage("sql"):
            self._cur.execute(sql, params) if params is not None else self._cur.execute(sql)
        return self

    def _fetch(self, name):
        with stage("sql"):
            return getattr(self._cur, name)()


def cursor(cur):
    """The cursor, timed when a recorder is active."""
    return _StagedCursor(cur) if _current.get() is not None else cur
