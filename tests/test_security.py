"""Hardening: security headers on every response, /healthz, the API rate limit."""

from __future__ import annotations

import time

from kmzb.ingest.run import run_ingest

from .conftest import row, write_extract


def make(settings):
    from app import create_app

    return create_app(settings).server.test_client()


def test_security_headers_on_pages_and_api(settings):
    c = make(settings)
    for url in ("/", "/api/v1/meta", "/healthz"):
        h = c.get(url).headers
        assert "frame-ancestors 'none'" in h["Content-Security-Policy"], url
        assert "default-src 'self'" in h["Content-Security-Policy"]
        assert h["X-Content-Type-Options"] == "nosniff"
        assert h["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert h["X-Frame-Options"] == "DENY"


def test_healthz_reports_version_and_age(settings, tmp_path):
    c = make(settings)
    r = c.get("/healthz")
    assert r.status_code == 503 and r.get_json()["status"] == "unavailable"
    run_ingest(settings, [write_extract(tmp_path / "kmzb_20240501.csv", [row(1)])])
    body = c.get("/healthz").get_json()
    assert body["status"] == "ok" and body["data_version"] and 0 <= body["data_age_seconds"] < 120
    assert body["reports"] == 1
    assert body["cube"] in ("counting", "ready")  # this worker's in-memory counts: started by the first ask
    deadline = time.monotonic() + 60
    while c.get("/healthz").get_json()["cube"] != "ready" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert c.get("/healthz").get_json()["cube"] == "ready"


def test_api_rate_limit_answers_429_with_a_message(settings, tmp_path, monkeypatch):
    monkeypatch.setenv("KMZB_API_RATE", "3 per minute")
    run_ingest(settings, [write_extract(tmp_path / "kmzb_20240501.csv", [row(1)])])
    c = make(settings)
    codes = [c.get("/api/v1/categories").status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
    r = c.get("/api/v1/meta")
    assert r.status_code == 429 and "too many requests" in r.get_json()["error"]
    assert c.get("/healthz").status_code == 200  # health checks are never limited
    assert c.get("/").status_code == 200
