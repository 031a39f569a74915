"""The one data gateway every view reads through (API routes and dashboard callbacks).

Each data function is memoized in a cache (flask-caching / cachelib backend with get/set)
under a key made of the function, the snapshot's data version and the normalised
arguments: new data invalidates by version, never by time.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Callable

import pandas as pd

from . import queries
from .config import Settings
from .filters import Filters
from .geo import districts as geo_districts
from .store import Store

log = logging.getLogger(__name__)


class DataGateway:
    def __init__(self, settings: Settings, cache=None):
        self.settings = settings
        self.store = Store(settings.store_dir)
        self.cache = cache

    # ------------------------------------------------------------------ plumbing
    def version(self) -> str:
        return self.store.version()

    def _memo(self, name: str, args: tuple, fn: Callable):
        cur, version = self.store.cursor()
        if self.cache is None:
            return fn(cur)
        raw = f"{name}|{version}|" + "|".join(a.key() if isinstance(a, Filters) else str(a) for a in args)
        key = "kmzb:" + hashlib.sha1(raw.encode()).hexdigest()
        try:
            hit = self.cache.get(key)
        except Exception as e:  # a broken cache backend must not break serving
            log.warning("cache get failed: %s", e)
            hit = None
        if hit is not None:
            return hit.copy() if isinstance(hit, pd.DataFrame) else hit
        value = fn(cur)
        try:
            self.cache.set(key, value)
        except Exception as e:
            log.warning("cache set failed: %s", e)
        return value

    def districts_table(self, level: str) -> pd.DataFrame:
        return geo_districts(self.settings.geo_dir, level)

    # ------------------------------------------------------------------ data functions
    def districts(self, f: Filters, level: str) -> pd.DataFrame:
        table = self.districts_table(level)
        return self._memo("districts", (f, level), lambda cur: queries.district_counts(cur, f, level, table))

    def categories(self, f: Filters) -> pd.DataFrame:
        return self._memo("categories", (f,), lambda cur: queries.category_counts(cur, f))

    def timeseries(self, f: Filters, interval: str) -> pd.DataFrame:
        return self._memo("timeseries", (f, interval), lambda cur: queries.timeseries(cur, f, interval))

    def meta(self) -> dict:
        return self._memo("meta", (), queries.meta)
