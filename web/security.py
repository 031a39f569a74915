"""Hardening of the Flask server: security headers, one per-client rate limit shared by the API
and the dashboard's callbacks, bounded request bodies, /healthz."""

from __future__ import annotations

import os
from datetime import datetime, timezone

from flask import Flask, jsonify, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_talisman import Talisman

from kmzb.config import Settings
from web import limits

CALLBACK_ENDPOINT = "/_dash-update-component"  # Dash's one callback view (its endpoint is its path)


def csp(settings: Settings) -> dict:
    """A CSP that Dash works with: its renderer starts from an inline script, dash-ag-grid
    evaluates its column formatters, plotly draws inline styles; nothing loads from elsewhere
    except the configured map tiles; no framing."""
    tiles = ""
    if settings.tiles_url.startswith(("http://", "https://")):
        host = settings.tiles_url.split("/")[2].replace("{s}.", "*.")
        tiles = f"{settings.tiles_url.split('/')[0]}//{host}"
    return {
        "default-src": "'self'",
        "script-src": "'self' 'unsafe-inline' 'unsafe-eval'",
        "style-src": "'self' 'unsafe-inline'",
        "img-src": " ".join(x for x in ("'self'", "data:", "blob:", tiles) if x),
        "font-src": "'self' data:",
        "connect-src": "'self'",
        "worker-src": "'self' blob:",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }


def _json_error(message: str, status: int):
    resp = jsonify({"error": message})
    resp.status_code = status
    return resp


def request_cost() -> int:
    """Units of the per-client budget this request costs (web.limits: costly requests count more)."""
    if request.endpoint == CALLBACK_ENDPOINT:
        return limits.callback_cost(request.get_json(silent=True))
    if request.endpoint and request.endpoint.startswith("api_v1."):
        return limits.api_cost(request.endpoint.split(".", 1)[1], request.args)
    return 1


def bound_callbacks(server: Flask) -> None:
    """Callback bodies over MAX_BODY_BYTES get 413 before they are read, any text value over its
    limit (url.search, a search box) 400 before anything parses it; both with a JSON message."""
    server.config["MAX_CONTENT_LENGTH"] = limits.MAX_BODY_BYTES

    @server.errorhandler(413)
    def too_large(e):
        return _json_error(f"request too large: at most {limits.MAX_BODY_BYTES} bytes "
                           f"({limits.MAX_BODY_BYTES // (1024 * 1024)} MB)", 413)

    @server.before_request
    def check_callback():
        if request.endpoint != CALLBACK_ENDPOINT:
            return None
        if (request.content_length or 0) > limits.MAX_BODY_BYTES:
            return too_large(None)
        problem = limits.callback_problem(request.get_json(silent=True))
        return _json_error(problem, 400) if problem else None


def harden(server: Flask, settings: Settings, data_meta, cube_ready=lambda: None) -> Limiter:
    """Headers on every response, bounded callback bodies, a rate limit on /api/v1 and the
    dashboard's callbacks, and /healthz.

    `data_meta()` returns the served snapshot's meta (queries.meta) or raises when there is none;
    `cube_ready()` says whether this process has counted the served snapshot's cube (kmzb.query.cube).
    """
    Talisman(
        server,
        force_https=os.environ.get("KMZB_FORCE_HTTPS") == "1",
        strict_transport_security=os.environ.get("KMZB_FORCE_HTTPS") == "1",
        content_security_policy=csp(settings),
        frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",
        session_cookie_secure=os.environ.get("KMZB_COOKIE_SECURE") == "1",
        session_cookie_http_only=True,
        permissions_policy={"geolocation": "()", "camera": "()", "microphone": "()"},
    )
    bound_callbacks(server)  # before the limiter: an oversized body is refused unread, uncounted
    limiter = Limiter(
        get_remote_address, app=server, default_limits=[],
        storage_uri=settings.cache_url or "memory://",
        headers_enabled=True,
    )
    rate = os.environ.get("KMZB_API_RATE", "600 per minute")

    @server.errorhandler(429)
    def too_many(e):
        return _json_error(f"too many requests: {rate} per client for the API and the dashboard's updates "
                           "together (the costliest requests count more); try again shortly", 429)

    # one budget per client for everything that queries the data; pages and static files are free
    shared = limiter.shared_limit(rate, scope="public", cost=request_cost)
    for name, view in list(server.view_functions.items()):
        if name.startswith("api_v1.") or name == CALLBACK_ENDPOINT:
            server.view_functions[name] = shared(view)

    @server.get("/healthz")
    def healthz():
        try:
            meta = data_meta()
        except Exception as e:  # no data or an unreadable store: unhealthy, with the reason
            resp = jsonify({"status": "unavailable", "error": str(e)})
            resp.status_code = 503
            return resp
        age = None
        if meta.get("published_at"):
            published = datetime.fromisoformat(meta["published_at"])
            age = round((datetime.now(timezone.utc) - published).total_seconds())
        return jsonify({"status": "ok", "data_version": meta.get("data_version"),
                        "published_at": meta.get("published_at"), "data_age_seconds": age,
                        "reports": meta.get("reports"), "date_to": meta.get("date_to"),
                        # this worker's in-memory counts of the snapshot: until ready, views come from SQL
                        "cube": {True: "ready", False: "counting"}.get(cube_ready(), "n/a")})

    limiter.exempt(healthz)
    return limiter
