"""Smaller responses: brotli or gzip for text (flask-compress), long-lived caching of versioned files.

- Every text response (page, callbacks, API JSON/CSV, scripts, CSS, the map's GeoJSON) is compressed
  with brotli when the browser accepts it, else gzip.
- Static files whose URL names their version (Dash's fingerprinted component suites, /assets/...?m=<mtime>,
  the content-hashed /geo/ files) are compressed once per worker and kept (bounded), and told to the
  browser to keep for a year (`immutable`): a repeat visit fetches none of them.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict

from flask import Flask, request
from flask_compress import Compress

YEAR = 31536000
IMMUTABLE = f"public, max-age={YEAR}, immutable"
NO_CACHE_KEY = "\0dynamic"  # the compressed-body cache ignores this key (callbacks, API, pages)

# Dash's fingerprinted bundles: name.v<version>m<mtime>.js (dash.fingerprint)
FINGERPRINTED = re.compile(r"\.v[\w-]+m[0-9a-f]+\.[^/]+$")

MIMETYPES = [
    "text/html", "text/css", "text/plain", "text/csv", "text/javascript",
    "application/javascript", "application/x-javascript", "application/json", "application/geo+json",
    "image/svg+xml", "image/x-icon", "image/vnd.microsoft.icon",
]


def versioned(path: str, args) -> bool:
    """Whether this URL names one version of a static file (so its body never changes)."""
    if path.startswith("/_dash-component-suites/"):
        return bool(FINGERPRINTED.search(path))
    if path.startswith("/assets/"):
        return "m" in args  # Dash appends ?m=<file mtime> to every asset it links
    return path.startswith("/geo/")  # content-hashed names (kmzb.geo.assets)


class StaticBodies:
    """flask-compress's cache backend: compressed bodies of versioned static files only, at most
    `max_bytes` (least recently used out first); every other key is neither read nor stored."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024):
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: str):
        if key.endswith(NO_CACHE_KEY):
            return None
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def set(self, key: str, value: bytes) -> None:
        if key.endswith(NO_CACHE_KEY) or len(value) > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            self._size -= len(old) if old is not None else 0
            self._items[key] = value
            self._size += len(value)
            while self._size > self.max_bytes:
                _, dropped = self._items.popitem(last=False)
                self._size -= len(dropped)


def _cache_key(req) -> str:
    return req.full_path if versioned(req.path, req.args) else NO_CACHE_KEY


def compress(server: Flask) -> Compress:
    """Register compression and the caching headers of versioned files on `server`."""
    bodies = StaticBodies()
    server.config.update(
        COMPRESS_ALGORITHM=["br", "gzip"],
        COMPRESS_ALGORITHM_STREAMING=["br", "deflate"],
        COMPRESS_MIMETYPES=MIMETYPES,
        COMPRESS_LEVEL=6, COMPRESS_BR_LEVEL=4, COMPRESS_MIN_SIZE=500,  # br 4: half the CPU of 5, 3 % larger
        COMPRESS_CACHE_BACKEND=lambda: bodies,
        COMPRESS_CACHE_KEY=_cache_key,
    )
    comp = Compress(server)  # its after_request runs after the one below (Flask runs them in reverse)

    @server.after_request
    def static_headers(resp):
        if request.method in ("GET", "HEAD") and 200 <= resp.status_code < 300 and versioned(request.path, request.args):
            resp.headers["Cache-Control"] = IMMUTABLE
            if resp.direct_passthrough and resp.mimetype in MIMETYPES:
                # a file response is streamed: read it once, so it is compressed once and kept (StaticBodies)
                resp.direct_passthrough = False
                resp.set_data(resp.get_data())
        return resp

    return comp
