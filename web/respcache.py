"""The public views callback's answers kept as the bytes they were sent as, per data version.

The gateway memoizes the data functions, the figures and the views callback's outputs (callbacks.views
.view_outputs); what a view seen before still cost was Dash's dispatch, the JSON encoding and the
compression of its answer: 7-35 ms for a gmina-level update of 500 KB. Here the finished answer of
the same request is sent again instead (~1 ms).

Only for: POST /_dash-update-component of the callbacks named in `outputs` (their answer is a pure
function of the request body and the served data), from the public (never with a police login), and
only answers 200 without a Set-Cookie. Keyed by the data version, the code fingerprint, the
negotiated Accept-Encoding and the whole request body. Stored in the app's cache (bounded by bytes,
or Redis), so it obeys the same limits; the rate limit and the body checks run before it.
"""

from __future__ import annotations

import hashlib
import logging

from flask import Flask, Response, g, request

log = logging.getLogger(__name__)

CALLBACK_PATH = "/_dash-update-component"


def init_response_cache(server: Flask, cache, version, is_public, outputs: set[str]) -> None:
    """`version()`: the served data version plus the code fingerprint; `is_public()`: whether this
    request is the public's."""

    @server.before_request
    def cached_answer():
        if request.method != "POST" or request.path != CALLBACK_PATH or not is_public():
            return None
        payload = request.get_json(silent=True)  # parsed once: web.security's body checks read it first
        if not isinstance(payload, dict) or payload.get("output") not in outputs:
            return None  # another callback, or a body Dash answers with its own error
        body = request.get_data(cache=True)
        try:
            key = "kmzb:resp:" + hashlib.sha1(b"|".join([
                version().encode(), request.headers.get("Accept-Encoding", "").encode(), body])).hexdigest()
            hit = cache.get(key)
        except Exception as e:  # no data yet, or a broken cache backend: answer normally
            log.debug("response cache not used: %s", e)
            return None
        if hit is None:
            g.kmzb_response_key = key
            return None
        data, mimetype, encoding = hit
        resp = Response(data, status=200, mimetype=mimetype)
        if encoding:
            resp.headers["Content-Encoding"] = encoding
        resp.headers["Vary"] = "Accept-Encoding"
        return resp

    @server.after_request
    def keep_answer(resp):
        key = g.pop("kmzb_response_key", None)
        if key is None or resp.status_code != 200 or resp.direct_passthrough or "Set-Cookie" in resp.headers:
            return resp
        try:
            cache.set(key, (resp.get_data(), resp.mimetype, resp.headers.get("Content-Encoding")))
        except Exception as e:
            log.warning("response cache set failed: %s", e)
        return resp
