"""Hardening of the Flask server: security headers, an API rate limit, /healthz."""

from __future__ import annotations

import os
from datetime import datetime, timezone

from flask import Flask, jsonify
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_talisman import Talisman

from .config import Settings


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


def harden(server: Flask, settings: Settings, data_meta) -> Limiter:
    """Headers on every response, a rate limit on /api/v1, and /healthz.

    `data_meta()` returns the served snapshot's meta (queries.meta) or raises when there is none.
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
    limiter = Limiter(
        get_remote_address, app=server, default_limits=[],
        storage_uri=settings.cache_url or "memory://",
        headers_enabled=True,
    )
    rate = os.environ.get("KMZB_API_RATE", "600 per minute")

    @server.errorhandler(429)
    def too_many(e):
        resp = jsonify({"error": f"too many requests: the API allows {rate} per client; try again shortly"})
        resp.status_code = 429
        return resp

    for name, view in list(server.view_functions.items()):
        if name.startswith("api_v1."):
            server.view_functions[name] = limiter.shared_limit(rate, scope="api")(view)

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
                        "reports": meta.get("reports"), "date_to": meta.get("date_to")})

    limiter.exempt(healthz)
    return limiter
