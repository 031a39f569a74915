"""Limits on what one client may ask of the server: a rate limit shared by the API and the
dashboard's callbacks (costly requests cost more), request body and value sizes, the span of a
daily series, a memory cache bounded by bytes, a cache fingerprint over all the code that computes
cached values, and `make run` serving with gunicorn."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import threading
from datetime import date, timedelta

import pytest
import requests

from kmzb.config import PROJECT_ROOT
from kmzb.ingest.run import run_ingest
from kmzb.query import bounds
from kmzb.query.filters import Filters
from web import limits

from .conftest import GDANSK, KRAKOW, row, write_extract
from .helpers import dash_outputs, free_port, wait_until_up

ROWS = [
    row(1, status="Potwierdzone", created="2022-01-10 10:00:00", modified="2022-01-11 10:00:00"),
    row(2, place=GDANSK, status="Niepotwierdzone", created="2024-05-01 09:00:00", modified="2024-05-03 09:00:00"),
    row(3, place=KRAKOW, status="Nowe", created="2024-06-10 10:00:00"),
]


@pytest.fixture
def store(settings, tmp_path):
    run_ingest(settings, [write_extract(tmp_path / "kmzb_20240701.csv", ROWS)])
    return settings


def client_of(settings):
    from app import create_app

    return create_app(settings).server.test_client()


def callback_body(c, output_part: str, values: dict) -> dict:
    """A /_dash-update-component body for the callback whose output names `output_part`, as
    dash-renderer sends it (values: 'id.property' -> value; anything else None)."""
    deps = c.get("/_dash-dependencies").get_json()
    cb = next(d for d in deps if output_part in d["output"])
    out = cb["output"]
    outputs = dash_outputs(out)

    def item(d):
        if d["id"].startswith("{"):
            return []
        return {"id": d["id"], "property": d["property"], "value": values.get(f"{d['id']}.{d['property']}")}
    return {"output": out, "outputs": outputs, "inputs": [item(d) for d in cb["inputs"]],
            "state": [item(d) for d in cb["state"]], "changedPropIds": [f"{cb['inputs'][0]['id']}.{cb['inputs'][0]['property']}"]}


def views_body(c, search: str) -> dict:
    return callback_body(c, limits.VIEWS_OUTPUT, {"url.search": search})


# ----------------------------------------------------------------------------- the shared rate limit

def test_callbacks_share_the_api_rate_limit(store, monkeypatch):
    monkeypatch.setenv("KMZB_API_RATE", "3 per minute")
    c = client_of(store)
    region = callback_body(c, "f-region.options", {"f-region.search_value": "Krak"})
    assert [c.get("/api/v1/categories").status_code for _ in range(3)] == [200, 200, 200]
    r = c.post("/_dash-update-component", json=region)
    assert r.status_code == 429, r.status_code
    msg = r.get_json()["error"]
    assert "too many requests" in msg and "3 per minute" in msg and "dashboard" in msg
    # and the other way round: callbacks use up the budget, the API answers 429
    c = client_of(store)
    assert [c.post("/_dash-update-component", json=region).status_code for _ in range(3)] == [200, 200, 200]
    assert c.get("/api/v1/meta").status_code == 429
    assert c.get("/").status_code == 200 and c.get("/healthz").status_code == 200  # pages are not counted


def test_costly_requests_cost_more(store, monkeypatch):
    monkeypatch.setenv("KMZB_API_RATE", "5 per minute")
    c = client_of(store)
    r = c.get("/api/v1/districts?level=gmina&compare=previous&from=2024-05-01&to=2024-06-30")
    assert r.status_code == 200 and r.headers["X-RateLimit-Remaining"] == "0"  # 1 + gmina 2 + compare 2
    assert c.get("/api/v1/meta").status_code == 429
    c = client_of(store)
    r = c.post("/_dash-update-component", json=views_body(c, "?level=gmina"))
    assert r.status_code == 200 and r.headers["X-RateLimit-Remaining"] == "0"
    c = client_of(store)
    assert c.post("/_dash-update-component", json=views_body(c, "")).headers["X-RateLimit-Remaining"] == "2"
    c = client_of(store)
    assert c.get("/api/v1/timeseries?interval=day&from=2024-05-01&to=2024-05-31").headers[
        "X-RateLimit-Remaining"] == "2"


def test_a_person_never_meets_the_default_limit():
    """600 units a minute: a filter change at gmina level (sync 1 + views 5) leaves room for 100 a minute."""
    body = {"output": "..x." + limits.VIEWS_OUTPUT + "..",
            "inputs": [{"id": "url", "property": "search", "value": "?level=gmina"}]}
    assert 1 + limits.callback_cost(body) <= 6


# ----------------------------------------------------------------------------- sizes

def test_a_body_over_the_limit_gets_413_with_a_message(store):
    c = client_of(store)
    big = views_body(c, "?level=gmina&x=" + "a" * (5 * 1024 * 1024))
    r = c.post("/_dash-update-component", data=json.dumps(big), content_type="application/json")
    assert r.status_code == 413
    assert "too large" in r.get_json()["error"] and str(limits.MAX_BODY_BYTES) in r.get_json()["error"]


def test_the_largest_real_callback_body_fits(store):
    """The table's CSV download sends the grid's virtualRowData: at gmina level, 2,477 rows."""
    c = client_of(store)
    rows = c.get("/api/v1/districts?level=gmina&compare=previous&from=2024-05-01&to=2024-06-30").get_json()["rows"]
    shown = [{**r, "top_category_label": "Przekraczanie dozwolonej prędkości"} for r in rows]
    body = callback_body(c, limits.DOWNLOAD_OUTPUT, {"table-download-btn.n_clicks": 1, "url.search": "?level=gmina",
                                                     "district-table.virtualRowData": shown})
    for item in body["state"]:  # the grid's id, whatever it is called
        if item["property"] == "virtualRowData":
            item["value"] = shown
    size = len(json.dumps(body).encode())
    assert len(rows) == 2477 and size * 3 < limits.MAX_BODY_BYTES, size
    r = c.post("/_dash-update-component", json=body)
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    assert r.get_json()["response"]["table-download"]["data"]["content"].count("\n") == 2478


def test_a_long_url_search_is_refused_before_parsing(store, monkeypatch):
    import dashboard.state as state

    seen = []
    real = state.parse_qs
    monkeypatch.setattr(state, "parse_qs", lambda s, **kw: seen.append(len(s)) or real(s, **kw))
    c = client_of(store)
    search = "?level=gmina&" + "category=x&" * 500_000  # 5.5 MB, the size that cost 2 s of server time
    r = c.post("/_dash-update-component", json=views_body(c, search))
    assert r.status_code in (400, 413)
    assert "too long" in r.get_json()["error"] or "too large" in r.get_json()["error"]
    r = c.post("/_dash-update-component", json=views_body(c, "?level=gmina&" + "x" * 5000))
    assert r.status_code == 400 and r.get_json()["error"] == (
        f"'url.search' is too long (5013 characters; at most {limits.MAX_SEARCH})")
    assert not [n for n in seen if n > limits.MAX_SEARCH]
    # any other text a callback sends is bounded too
    body = callback_body(c, "f-region.options", {"f-region.search_value": "K" * 10_000})
    r = c.post("/_dash-update-component", json=body)
    assert r.status_code == 400 and "'f-region.search_value' is too long" in r.get_json()["error"]
    # the parser itself never reads a long one (the page's own query string, the Referer)
    assert state.from_query("?lang=en&" + "x" * 5000) == state.DEFAULT
    assert not [n for n in seen if n > limits.MAX_SEARCH]


# ----------------------------------------------------------------------------- series bounds

def test_a_long_daily_series_is_refused(store):
    c = client_of(store)
    r = c.get("/api/v1/timeseries?interval=day&from=2000-01-01&to=2100-12-31")
    assert r.status_code == 400
    assert r.get_json()["error"].startswith(f"a daily series covers at most {bounds.MAX_DAY_SPAN} days")
    assert c.get("/api/v1/timeseries?interval=day").status_code == 400  # the data's own 2.5 years
    ok = c.get("/api/v1/timeseries?interval=day&from=2024-01-01&to=2024-12-31")
    assert ok.status_code == 200
    rows = ok.get_json()["rows"]  # cut to the data's last day
    assert rows[0]["period"] == "2024-01-01" and rows[-1]["period"] == "2024-06-10"
    assert "2024-06-10" in ok.get_json()["periods_note"]


def test_series_stop_at_the_data_range(store):
    c = client_of(store)
    body = c.get("/api/v1/timeseries?interval=month&from=2000-01-01&to=2100-12-31").get_json()
    rows = body["rows"]
    assert rows[0]["period"] == "2022-01-01" and rows[-1]["period"] == "2024-06-01" and len(rows) == 30
    assert sum(r["reports"] for r in rows) == 3
    assert "2022-01-10 – 2024-06-10" in body["periods_note"]
    assert len(c.get("/api/v1/timeseries?interval=week&from=2000-01-01&to=2100-12-31").get_json()["rows"]) == 127
    plain = c.get("/api/v1/timeseries?interval=month&from=2024-05-01&to=2024-06-10").get_json()
    assert "periods_note" not in plain and [r["reports"] for r in plain["rows"]] == [1, 1]
    outside = c.get("/api/v1/timeseries?interval=week&from=2090-01-01&to=2100-12-31").get_json()
    assert outside["rows"] == [] and "no periods" in outside["periods_note"]


def test_the_dashboard_never_builds_a_long_daily_series():
    from callbacks.views import interval_for

    start = date(2020, 1, 1)
    for span in range(0, 40_000, 7):
        f = Filters(date_from=start, date_to=start + timedelta(days=span))
        if interval_for(f) == "day":
            assert span + 1 <= bounds.MAX_DAY_SPAN
    assert interval_for(Filters()) != "day"


# ----------------------------------------------------------------------------- the memory cache

def test_the_memory_cache_is_bounded_by_bytes():
    from kmzb.cache import ByteBoundedCache

    rnd = random.Random(7)
    bound = 1_000_000
    cache = ByteBoundedCache(max_bytes=bound, default_timeout=0)
    keys = []
    for i in range(400):
        keys.append(f"k{i}")
        cache.set(keys[-1], rnd.randbytes(rnd.randint(1_000, 60_000)))
        assert cache.total_bytes <= bound
    assert cache.total_bytes > bound * 0.7  # it is used, not emptied
    held = [k for k in keys if cache.has(k)]
    assert held == keys[-len(held):] and 10 < len(held) < 400  # the most recent survive, in order
    # least recently used goes first: reading an old entry keeps it
    oldest = held[0]
    assert cache.get(oldest) is not None
    for i in range(5):
        cache.set(f"new{i}", rnd.randbytes(30_000))
    assert cache.has(oldest) and not cache.has(held[1])
    # a value larger than the whole bound is not kept (and evicts nothing)
    before = cache.total_bytes
    assert cache.set("huge", b"x" * (bound + 1)) is False
    assert not cache.has("huge") and cache.total_bytes == before
    # replacing a key counts its new size only
    cache.set(oldest, b"")
    assert cache.get(oldest) == b"" and cache.total_bytes <= bound
    assert cache.delete(oldest) and not cache.has(oldest)
    cache.clear()
    assert cache.total_bytes == 0


def test_the_memory_cache_stays_bounded_under_threads():
    from kmzb.cache import ByteBoundedCache

    bound = 500_000
    cache = ByteBoundedCache(max_bytes=bound, default_timeout=0)

    def work(seed):
        rnd = random.Random(seed)
        for i in range(300):
            cache.set(f"{seed}-{i % 50}", rnd.randbytes(rnd.randint(100, 20_000)))
            cache.get(f"{seed}-{rnd.randrange(50)}")

    threads = [threading.Thread(target=work, args=(s,)) for s in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert 0 < cache.total_bytes <= bound
    assert cache.total_bytes == cache.measured_bytes()  # the running total agrees with the entries


def test_the_app_uses_the_byte_bounded_cache(settings, monkeypatch):
    from app import make_cache
    from kmzb.cache import ByteBoundedCache
    from kmzb.config import get_settings

    monkeypatch.setenv("KMZB_CACHE_BYTES", "12345678")
    s = get_settings(data_dir=settings.data_dir, geo_dir=settings.geo_dir)
    assert s.cache_bytes == 12345678
    from flask import Flask

    cache = make_cache(s)
    cache.init_app(Flask("x"))
    assert isinstance(cache.cache, ByteBoundedCache) and cache.cache.max_bytes == 12345678
    monkeypatch.setenv("KMZB_CACHE_BYTES", "lots")
    with pytest.raises(SystemExit, match="KMZB_CACHE_BYTES"):
        get_settings()


# ----------------------------------------------------------------------------- the cache fingerprint

def test_the_code_fingerprint_covers_every_file_that_computes_cached_values(tmp_path, monkeypatch):
    from kmzb.query import gateway

    root = tmp_path / "copy"
    for part in ("kmzb", "dashboard", "callbacks", "web"):
        shutil.copytree(PROJECT_ROOT / part, root / part, ignore=shutil.ignore_patterns("__pycache__"))
    (root / "README.md").write_text("readme")
    fingerprint = lambda: gateway.fingerprint(root)  # noqa: E731
    base = fingerprint()
    changed = {}
    for rel in ("kmzb/query/cells.py", "kmzb/stats.py", "kmzb/query/filters.py", "kmzb/spec/categories.csv",
                "kmzb/locales/en/LC_MESSAGES/messages.po", "callbacks/sync.py", "kmzb/i18n.py", "web/api.py"):
        p = root / rel
        old = p.read_bytes()
        p.write_bytes(old + b"\n# changed\n")
        changed[rel] = fingerprint() != base
        p.write_bytes(old)
    assert changed == {rel: True for rel in changed}
    assert fingerprint() == base  # deterministic: same files, same fingerprint
    (root / "README.md").write_text("another readme")
    assert fingerprint() == base  # documentation is not code
    (root / "kmzb" / "newmodule.py").write_text("X = 1\n")
    assert fingerprint() != base  # a new module counts too


# ----------------------------------------------------------------------------- make run

def test_make_run_serves_with_gunicorn(store, tmp_path):
    port = free_port()
    env = {**os.environ, "KMZB_DATA_DIR": str(store.data_dir), "KMZB_GEO_DIR": str(store.geo_dir),
           "KMZB_WORKERS": "1"}
    log = open(tmp_path / "run.log", "w")
    proc = subprocess.Popen(["make", "--no-print-directory", "run", "HOST=127.0.0.1", f"PORT={port}"],
                            cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        # gunicorn listens before its worker has imported the app: wait for an answer
        r = wait_until_up(url + "/", proc, tmp_path / "run.log", timeout=90, method="HEAD", request_timeout=60)
        assert r.status_code == 200
        assert "werkzeug" not in r.headers.get("Server", "").lower()
        assert "gunicorn" in (tmp_path / "run.log").read_text().lower()
        # a body over the limit is refused by the real server too, with the JSON message
        big = requests.post(url + "/_dash-update-component", data=b"x" * (limits.MAX_BODY_BYTES + 1),
                            headers={"Content-Type": "application/json"}, timeout=30)
        assert big.status_code == 413 and "too large" in big.json()["error"]
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        log.close()


def test_dashboard_timeline_stops_at_the_data_range(store):
    """A custom 2000-2100 range draws the data's months, not a century of empty ones."""
    from app import create_app
    from callbacks import views

    app = create_app(store)
    gw = app.server.extensions["kmzb_gateway"]
    with app.server.test_request_context():
        fig = views.charts(gw, "?preset=custom&from=2000-01-01&to=2100-12-31&lang=en")["timeline"]
    xs = [x for tr in fig["data"] for x in (tr.get("x") or []) if x is not None]
    assert xs and min(map(str, xs)) >= "2022-01" and max(map(str, xs)) < "2024-07"
