"""A per-process memory cache bounded by bytes (cachelib interface, flask-caching front).

cachelib's SimpleCache is bounded by its number of entries, but one entry may hold a few bytes
(a KPI dict) or megabytes (a long series, a gmina table): 1,000 entries of the large kind are
gigabytes. Here every value is stored pickled, as SimpleCache does; the pickle's length is
what an entry costs, and the least recently used entries go first once the total would pass
`max_bytes`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from time import time
from typing import Any

from cachelib.base import BaseCache
from cachelib.serializers import SimpleSerializer

ENTRY_OVERHEAD = 200  # bytes of bookkeeping per entry (the key string, the tuple, the dict slot)


class ByteBoundedCache(BaseCache):
    serializer = SimpleSerializer()

    def __init__(self, max_bytes: int = 64 * 1024 * 1024, default_timeout: int = 300, **_ignored):
        super().__init__(default_timeout)
        self.max_bytes = int(max_bytes)
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()  # oldest use first
        self._bytes = 0
        self._lock = threading.Lock()

    @staticmethod
    def _cost(key: str, blob: bytes) -> int:
        return len(blob) + len(key) + ENTRY_OVERHEAD

    @property
    def total_bytes(self) -> int:
        return self._bytes

    def measured_bytes(self) -> int:
        """The total recounted from the entries (a check of the running total)."""
        with self._lock:
            return sum(self._cost(k, blob) for k, (_, blob) in self._entries.items())

    def _expiry(self, timeout) -> float:
        t = self._normalize_timeout(timeout)
        return time() + t if t > 0 else 0.0

    def _drop(self, key: str) -> bool:
        item = self._entries.pop(key, None)
        if item is None:
            return False
        self._bytes -= self._cost(key, item[1])
        return True

    def get(self, key: str) -> Any:
        with self._lock:
            item = self._entries.get(key)
            if item is None:
                return None
            if item[0] and item[0] <= time():
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            blob = item[1]
        return self.serializer.loads(blob)  # outside the lock: a large frame takes a while

    def set(self, key: str, value: Any, timeout=None) -> bool:
        blob = self.serializer.dumps(value)
        cost = self._cost(key, blob)
        expires = self._expiry(timeout)
        with self._lock:
            self._drop(key)
            if cost > self.max_bytes:
                return False  # would evict everything and still not fit
            while self._entries and self._bytes + cost > self.max_bytes:
                self._drop(next(iter(self._entries)))
            self._entries[key] = (expires, blob)
            self._bytes += cost
        return True

    def add(self, key: str, value: Any, timeout=None) -> bool:
        if self.has(key):
            return False
        return self.set(key, value, timeout)

    def has(self, key: str) -> bool:
        with self._lock:
            item = self._entries.get(key)
            return item is not None and not (item[0] and item[0] <= time())

    def delete(self, key: str) -> bool:
        with self._lock:
            return self._drop(key)

    def clear(self) -> bool:
        with self._lock:
            self._entries.clear()
            self._bytes = 0
        return True


def byte_bounded_cache(app, config: dict, args: list, kwargs: dict) -> ByteBoundedCache:
    """flask-caching factory: `Cache(config={"CACHE_TYPE": "kmzb.cache.byte_bounded_cache",
    "CACHE_OPTIONS": {"max_bytes": N}})`."""
    return ByteBoundedCache(*args, **kwargs)
