"""The one data gateway every view reads through (API routes and dashboard callbacks).

Each data function is memoized in a cache (flask-caching / cachelib backend with get/set)
under a key made of the function, the snapshot's data version and the normalised
arguments: new data invalidates by version, never by time.
"""

from __future__ import annotations

import copy
import gc
import hashlib
import logging
import threading
from functools import lru_cache
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from kmzb import memtrim, timing
from kmzb.config import PROJECT_ROOT, Settings
from kmzb.geo.districts import districts as geo_districts
from kmzb.query import cells as cells_mod
from kmzb.query import cube as cube_mod
from kmzb.query import queries
from kmzb.query.filters import Filters
from kmzb.query.queries import PUBLIC
from kmzb.store import Store
from kmzb.teryt import LEVELS

log = logging.getLogger(__name__)


def fingerprint(root: Path) -> str:
    """A fingerprint of the code under `root` that computes cached values: every Python file of the
    four packages (a list of chosen files once missed the suppression rules), the reference CSVs
    and the translation catalogues; names count too, so a file added or removed changes it."""
    files = sorted({p for pkg in ("kmzb", "dashboard", "callbacks", "web") for pattern in ("*.py", "*.csv", "*.po", "*.mo")
                    for p in (root / pkg).rglob(pattern) if "__pycache__" not in p.parts})
    h = hashlib.sha1()
    for p in files:
        h.update(p.relative_to(root).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()[:10]


@lru_cache(maxsize=1)
def code_version() -> str:
    """This deploy's fingerprint (cache keys carry it): a deploy with changed queries, disclosure
    rules, statistics, figures, reference tables or catalogues never serves entries computed by the
    old code (with Redis, entries outlive a deploy)."""
    return fingerprint(PROJECT_ROOT)


def _copy(value):
    # callers may add columns to the frames they get; the memoized ones stay as computed
    return value.copy() if isinstance(value, pd.DataFrame) else value


class _Static:
    """What a gateway reads once per process and never changes (geometry, district tables): shared
    by every request's scoped gateway."""

    def __init__(self):
        self.manifest: dict | None = None
        self.bboxes: dict | None = None
        self.labels: dict | None = None
        self.tables: dict[str, pd.DataFrame] = {}
        self.per_version: dict[str, tuple[str, object]] = {}  # name -> (data version, value)
        self.weights: dict[str, dict] = {}  # level -> queen contiguity (kmzb.geo.weights)
        self.cube: tuple[str, object] | None = None  # (data version, kmzb.query.cube.Cube)
        self.cube_building: str | None = None  # the version a background thread is counting
        self.freeze = False  # a server process: gc.freeze() once a version's cube is counted (warm_in_background)
        self.lock = threading.Lock()


def _staged(kind: str, fn: Callable) -> Callable:
    """fn, its time charged to a kmzb.timing stage (data.<name>, figure or view)."""
    def run(*a):
        with timing.stage(kind):
            return fn(*a)
    return run


class DataGateway:
    """The data functions of the served snapshot. A request works on `scoped(memo)`: a view of the
    same gateway whose `memo` dict (owned by the caller, e.g. the web layer's per-request storage)
    pins one snapshot and computes each aggregate once for the request. Outside a scope nothing
    is kept between calls but the shared cache."""

    def __init__(self, settings: Settings, cache=None):
        self.settings = settings
        self.store = Store(settings.store_dir, threads=settings.duckdb_threads)
        self.cache = cache
        self.memo: dict | None = None
        self._static = _Static()

    def scoped(self, memo: dict) -> "DataGateway":
        """This gateway bound to a caller's memo dict (one per request)."""
        view = copy.copy(self)
        view.memo = memo
        return view

    def _per_request(self, key: str, fn: Callable):
        """fn(), computed once per scope under `key` (every time outside one)."""
        if self.memo is None:
            return fn()
        if key not in self.memo:
            self.memo[key] = fn()
        return self.memo[key]

    # ------------------------------------------------------------------ plumbing
    def version(self) -> str:
        return self.cursor()[1]

    def cursor(self):
        """(cursor, data version); within a request, always the same snapshot: every part of one
        response comes from one version even if an ingest publishes meanwhile."""
        cur, version = self._per_request("_cursor", self.store.cursor)
        return timing.cursor(cur), version

    def _per_version(self, name: str, fn: Callable):
        """fn(cursor), computed once per data version in this process (small facts of a snapshot
        that every request needs, such as its ENUM values)."""
        cur, version = self.cursor()
        held = self._static.per_version.get(name)
        if held is None or held[0] != version:
            held = self._static.per_version[name] = (version, fn(cur))
        return held[1]

    def enums(self) -> tuple:
        """The snapshot's (category, status) ENUM values, read once per data version."""
        return self._per_version("enums", queries.enums)

    def _memo(self, name: str, args: tuple, fn: Callable):
        """fn(cursor), memoized per request (one view needs the same rows in several places) and in
        the shared cache (keyed by data version and code fingerprint)."""
        cur, version = self.cursor()
        raw = f"{name}|{version}|{code_version()}|" + "|".join(a.key() if isinstance(a, Filters) else str(a) for a in args)
        kind = name.split(":", 1)[0] if name.startswith(("figure:", "view:")) else "data." + name
        return _copy(self._per_request(raw, lambda: self._shared(raw, _staged(kind, fn), cur)))

    def _shared(self, raw: str, fn: Callable, cur):
        if self.cache is None:
            return fn(cur)
        key = "kmzb:" + hashlib.sha1(raw.encode()).hexdigest()
        try:
            hit = self.cache.get(key)
        except Exception as e:  # a broken cache backend must not break serving
            log.warning("cache get failed: %s", e)
            hit = None
        if hit is not None:
            return hit
        value = fn(cur)
        try:
            self.cache.set(key, value)
        except Exception as e:
            log.warning("cache set failed: %s", e)
        return value

    def cached(self, name: str, args: tuple, fn: Callable[[], object]):
        """Memoize any pure function of the served data (e.g. a figure) by data version."""
        return self._memo(name, args, lambda _cur: fn())

    def districts_table(self, level: str) -> pd.DataFrame:
        """The districts of a level (static geometry: read once per process; callers never change it)."""
        table = self._static.tables.get(level)
        if table is None:
            table = geo_districts(self.settings.geo_dir, level)
            table["code"] = table["teryt"].astype("int64")
            self._static.tables[level] = table
        return table

    # ------------------------------------------------------------------ data functions
    def cube(self, wait: bool = False):
        """The served version's cube (kmzb.query.cube), or None while a background thread counts it
        (once per version and process; until then the cells come from SQL, with the same numbers).
        `wait`: build it now in this thread if it is not there."""
        cur, version = self.cursor()
        held = self._static.cube
        if held is not None and held[0] == version:
            return held[1]
        if wait:
            self._build_cube(version)
            held = self._static.cube
            return held[1] if held is not None and held[0] == version else None
        with self._static.lock:
            if self._static.cube_building != version:
                self._static.cube_building = version
                threading.Thread(target=self._build_cube, args=(version,), name="kmzb-cube", daemon=True).start()
        return None

    def warm(self) -> None:
        """Read now what a process reads once (the district tables, labels, map files, boxes and neighbours
        of every level) and start counting the cube, so that no visitor's request pays for them (a
        worker's first gmina view took ~150 ms more). Raises when there is no data to serve."""
        self.map_manifest()
        for level in LEVELS:
            self.districts_table(level)
            self.level_weights(level)
        self.labels()
        self.regions()
        self._bboxes()
        self.cube()

    def warm_in_background(self) -> threading.Thread:
        """`warm` in a thread of its own: a server starts answering at once (tests start many), and a
        request that comes first reads what it needs itself (loading the same table twice is harmless).
        Marks the process a server's: from then on, once a version's cube is counted, what the process
        holds is frozen out of the garbage collector's walks (see _build_cube)."""
        self._static.freeze = True
        memtrim.limit_arenas(2)  # a server's request threads share two malloc heaps (kmzb.memtrim)

        def run():
            try:
                self.warm()
            except Exception as e:  # no data yet, or a store being replaced: the first request after
                log.info("not warmed: %s", e)  # an ingest starts the cube
        t = threading.Thread(target=run, name="kmzb-warm", daemon=True)
        t.start()
        return t

    def cube_ready(self) -> bool:
        """Whether the served version's cube is counted (starts counting it when not)."""
        return self.cube() is not None

    def _build_cube(self, version: str) -> None:
        try:
            cur, served = self.store.cursor()  # this thread's own cursor
            if served == version:
                enum_values = queries.enums(cur)
                built = cube_mod.build(cur, enum_values, queries.outcome_index(enum_values[1]))
                with self._static.lock:
                    self._static.cube = (version, built)
                if self._static.freeze:
                    # A server's process holds from now on what lives as long as it (app, layout,
                    # catalogues, district tables, this cube): out of the collector's reach, a full
                    # collection no longer walks its ~300k objects (a 130-250 ms pause that hit about
                    # one request in a hundred). Not in-process users (tests): frozen cyclic garbage
                    # is never freed.
                    gc.collect()
                    gc.freeze()
                    memtrim.trim()  # the count's freed temporaries back to the system (kmzb.memtrim)
        except Exception:  # serving goes on from SQL
            log.exception("counting the cube of %s failed", version)
        finally:
            with self._static.lock:
                if self._static.cube_building == version:
                    self._static.cube_building = None

    def cells(self, f: Filters):
        """The filtered reports grouped by (gmina, category, status), shared by every count of one
        request (districts of any level, categories, totals, top categories). Kept for the request
        only: the derived counts are what the shared cache holds."""
        cur, version = self.cursor()
        if f.teryt:  # a region's cells are the whole country's (which its view's map needs anyway) cut
            return self._per_request(f"cells|{version}|{f.key()}",
                                     lambda: cells_mod.within(self.cells(f.replace(teryt=None)), f.teryt))
        return self._per_request(f"cells|{version}|{f.key()}", lambda: _staged("data.cells", self._gmina_cells)(f))

    def _gmina_cells(self, f: Filters):
        c = self.cube()
        return cube_mod.gmina_cells(c, f) if c is not None else queries.gmina_cells(self.cursor()[0], f, self.enums())

    def day_cells(self, f: Filters):
        """The filtered reports grouped by (day, category, outcome): the time series' cells."""
        c = self.cube()
        return cube_mod.day_cells(c, f) if c is not None else queries.day_cells(self.cursor()[0], f, self.enums())

    def districts(self, f: Filters, level: str, audience: str = PUBLIC) -> pd.DataFrame:
        table = self.districts_table(level)
        return self._memo("districts", (f, level, audience),
                          lambda cur: queries.district_counts(cur, f, level, table, audience, self.cells(f)))

    def categories(self, f: Filters, audience: str = PUBLIC) -> pd.DataFrame:
        return self._memo("categories", (f, audience),
                          lambda cur: queries.category_counts(cur, f, audience, self.cells(f)))

    def timeseries(self, f: Filters, interval: str, audience: str = PUBLIC) -> pd.DataFrame:
        return self._memo("timeseries", (f, interval, audience),
                          lambda cur: queries.timeseries(cur, f, interval, audience, self.enums(),
                                                         cells=self.day_cells(f)))

    def meta(self, audience: str = PUBLIC) -> dict:
        """The snapshot's headline facts; for the public, `reports` counts only what the public
        aggregates count (no hidden category, confirmed-only once confirmed), so it is no margin
        from which a hidden count could be subtracted."""
        m = self._memo("meta", (), queries.meta)
        if audience == PUBLIC:
            # a count over every report: once per data version, not per request (the sync callback
            # reads meta on every filter change)
            m = {**m, "reports": self._per_version("public_reports", queries.public_reports)}
        return m

    def sensitive(self, teryt: str | None = None, categories: tuple[str, ...] = (), date_from=None,
                  date_to=None) -> pd.DataFrame:
        """Rows of the one fixed public table of the hidden categories (kmzb.query.sensitive)."""
        from datetime import date

        from kmzb.query import sensitive

        def build(cur):
            lo, hi = queries.date_range(cur)
            lo = date.fromisoformat(str(lo)) if lo else None
            hi = date.fromisoformat(str(hi)) if hi else None
            return sensitive.table(cur, self.districts_table("powiat"), lo, hi)
        return sensitive.select(self._memo("sensitive", (), build), teryt, categories, date_from, date_to)

    def totals(self, f: Filters, audience: str = PUBLIC) -> dict:
        """KPI numbers: the sum of the category rows (shared with the category chart) plus one
        small query for eliminated reports and the median days to verification."""
        extra = self._memo("totals_extra", (f, audience),
                           lambda cur: queries.totals_extra(cur, f, audience, self.cells(f)))
        return queries.totals_of(self.categories(f, audience), extra)

    def total_reports(self, f: Filters, audience: str = PUBLIC) -> int:
        """Reports in the selection: the KPI's comparison."""
        return queries.totals_of(self.categories(f, audience))["reports"]

    def verification_speed(self, f: Filters, interval: str, audience: str = PUBLIC) -> pd.DataFrame:
        return self._memo("verification", (f, interval, audience),
                          lambda cur: queries.verification_speed(cur, f, interval, audience))

    def week_heatmap(self, f: Filters, audience: str = PUBLIC) -> pd.DataFrame:
        def run(cur):
            c = self.cube()
            masks = cube_mod.week_heatmap_counts(c, f, audience) if c is not None and c.heat is not None else None
            return queries.week_heatmap(cur, f, audience, masks)
        return self._memo("heatmap", (f, audience), run)

    # ------------------------------------------------------------------ small-area statistics
    def level_weights(self, level: str) -> dict:
        """Queen contiguity of the level's districts from the map's own boundary files (built once,
        cached on disk beside them; kmzb.geo.weights)."""
        held = self._static.weights.get(level)
        if held is None:
            from kmzb.geo.weights import queen
            from kmzb.query.smallarea import Neighbours

            held = queen(self.settings.assets_geo_dir, self.map_manifest(), level)
            held = self._static.weights[level] = {**held, "neighbors": Neighbours(held["neighbors"])}
        return held

    def small_area(self, f: Filters, level: str, audience: str = PUBLIC) -> pd.DataFrame:
        """Smoothed rate, unstable flag and hot-spot class of every district of the level, computed
        on the whole level (the region filter does not change them) from the public counts for the
        public (`districts`)."""
        from kmzb.query import smallarea

        whole = f.replace(teryt=None)

        def run(cur):
            counts = self.districts(whole, level, audience)
            out = smallarea.small_area(counts["reports"].to_numpy(), counts["population"].to_numpy(),
                                       self.level_weights(level)["neighbors"])
            out.insert(0, "teryt", counts["teryt"].to_numpy())
            return out
        return self._memo("small_area", (whole, level, audience), run)

    def district_rows(self, f: Filters, level: str, audience: str = PUBLIC) -> pd.DataFrame:
        """`districts` plus the small-area columns (/api/v1/districts)."""
        base = self.districts(f, level, audience)
        extra = self.small_area(f, level, audience).set_index("teryt").loc[base["teryt"]]
        for col in extra.columns:
            base[col] = extra[col].to_numpy()
        return base

    def changes(self, f: Filters, level: str, compare: str, audience: str = PUBLIC) -> pd.DataFrame:
        """The significant changes per district x category against the comparison period
        (kmzb.query.changes); needs f.date_from and f.date_to."""
        from kmzb.query import changes

        def run(cur):
            prev = queries.previous_period(f, compare)
            table = self.districts_table(level)
            base, after = changes.district_category(self.cells(f), table, f, level, audience)
            before_cells = self.cells(prev)
            _, before = changes.district_category(before_cells, table, prev, level, audience)
            cats = self.cells(f).categories
            assert before_cells.categories == cats  # one snapshot, one ENUM
            return changes.changes(base, cats, after, before, (f.date_to - f.date_from).days + 1,
                                   (prev.date_to - prev.date_from).days + 1)
        return self._memo("changes", (f, level, compare, audience), run)

    def district_table(self, f: Filters, level: str, compare: str | None, audience: str = PUBLIC) -> pd.DataFrame:
        """The districts rows plus change against the comparison period, the top category and
        the median days to verification (the dashboard's table and its CSV)."""
        def run(cur):
            base = self.district_rows(f, level, audience)
            extras = queries.district_extras(cur, f, level, self.districts_table(level), audience, self.cells(f))
            assert (extras["teryt"].to_numpy() == base["teryt"].to_numpy()).all()  # same rows, same order
            out = base.assign(top_category=extras["top_category"].to_numpy(),
                              median_days_to_verification=extras["median_days_to_verification"].to_numpy())
            if compare and f.date_from and f.date_to:
                prev = self.districts(queries.previous_period(f, compare), level, audience)
                out["reports_previous"] = prev["reports"].to_numpy()
                out["change"] = out["reports"] - out["reports_previous"]
                with np.errstate(divide="ignore", invalid="ignore"):
                    pct = np.where(out["reports_previous"] > 0, out["change"] / out["reports_previous"], np.nan)
                out["change_pct"] = np.round(pct, 4)
            else:
                out["reports_previous"] = pd.NA
                out["change"] = pd.NA
                out["change_pct"] = np.nan
            return out
        return self._memo("district_table", (f, level, compare, audience), run)

    # ------------------------------------------------------------------ map geometry (static files)
    def map_manifest(self) -> dict:
        if self._static.manifest is None:
            from kmzb.geo.assets import ensure_map_assets

            self._static.manifest = ensure_map_assets(self.settings)
        return self._static.manifest

    def map_url(self, level: str) -> str:
        return "/geo/" + self.map_manifest()[level]

    def bounds(self, teryt: str) -> list[list[float]]:
        """[[south, west], [north, east]] of a district ('' = Poland)."""
        manifest = self.map_manifest()
        b = self._bboxes().get(teryt) if teryt else None
        if b is None:
            return manifest["bounds"]
        return [[b[1], b[0]], [b[3], b[2]]]

    def _bboxes(self) -> dict[str, list[float]]:
        """teryt -> [west, south, east, north] of every district, read once per process from the map files
        (~40 ms: warm reads it, not a visitor's first region)."""
        if self._static.bboxes is None:
            import json

            manifest = self.map_manifest()
            boxes = {}
            for level in LEVELS:
                data = json.loads((self.settings.assets_geo_dir / manifest[level]).read_text(encoding="utf-8"))
                for feat in data["features"]:
                    boxes[feat["properties"]["teryt"]] = feat["properties"]["bbox"]
            self._static.bboxes = boxes
        return self._static.bboxes

    def labels(self) -> dict[str, str]:
        """teryt -> label of every district (static geometry: built once per process)."""
        if self._static.labels is None:
            labels = {}
            for lvl in ("voivodeship", "powiat", "gmina"):
                table = self.districts_table(lvl)
                labels.update(zip(table["teryt"], table["label"]))
            self._static.labels = labels
        return self._static.labels

    def regions(self) -> dict[str, list[tuple[str, str]]]:
        """Every district's (teryt, label), for the region picker."""
        return {lvl: list(zip(t["teryt"], t["label"])) for lvl in ("voivodeship", "powiat", "gmina")
                for t in [self.districts_table(lvl)]}

    # ------------------------------------------------------------------ police only (personal data)
    # Individual reports and the reporters' descriptions. Callers check
    # web.auth.audience() == "police" first; never expose these through the public API.
    def police_points(self, f: Filters, limit: int = 50_000) -> dict:
        from kmzb.query import police

        return self._memo("police_points", (f, limit), lambda cur: police.points(cur, f, limit))

    def police_report(self, objectid: int) -> dict | None:
        from kmzb.query import police

        cur, _ = self.cursor()
        return police.report_detail(cur, objectid)  # not memoized: one row, and a description

    def police_units(self, f: Filters) -> pd.DataFrame:
        from kmzb.query import police

        return self._memo("police_units", (f,), lambda cur: police.unit_workload(cur, f))

    def police_rows(self, f: Filters, limit: int = 200_000) -> pd.DataFrame:
        from kmzb.query import police

        # report-level rows hold descriptions: never put them in a (possibly shared) cache
        cur, _ = self.cursor()
        return police.report_rows(cur, f, limit)
