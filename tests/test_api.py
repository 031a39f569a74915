"""The read-only API on the app's Flask server, over a store built by the real ingest."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from kmzb.ingest.run import run_ingest

from .conftest import GDANSK, KRAKOW, WROCLAW, row, write_extract

ROWS = [
    # Kraków: speeding 2 confirmed, 1 unconfirmed, 1 pending; one parking confirmed
    row(1, status="Potwierdzone", created="2024-05-01 10:00:00", modified="2024-05-02 10:00:00"),
    row(2, status="Potwierdzone (wyeliminowane)", created="2024-05-02 23:30:00", modified="2024-05-05 10:00:00"),
    row(3, status="Niepotwierdzone", created="2024-05-03 10:00:00", modified="2024-05-04 10:00:00"),
    row(4, status="Nowe", created="2024-06-10 10:00:00"),
    row(5, typ="Nieprawidłowe parkowanie", status="Potwierdzone", created="2024-06-11 10:00:00",
        modified="2024-06-12 10:00:00", source="debata"),
    # Gdańsk: two unconfirmed speeding, one joke
    row(6, place=GDANSK, status="Niepotwierdzone", created="2024-05-01 09:00:00", modified="2024-05-03 09:00:00"),
    row(7, place=GDANSK, status="Żart lub pomyłka", created="2024-07-01 09:00:00", modified="2024-07-01 19:00:00"),
    # Wrocław: burning grass pending
    row(8, place=WROCLAW, typ="Wypalanie traw", status="Weryfikacja", created="2024-03-30 12:00:00",
        modified="2024-03-31 12:00:00", source="kontakt"),
]


@pytest.fixture
def client(settings, tmp_path):
    run_ingest(settings, [write_extract(tmp_path / "kmzb_20240701.csv", ROWS)])
    from app import create_app

    app = create_app(settings)
    return app.server.test_client()


def rows_of(resp):
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["rows"]


def test_districts_all_levels_zeros_included_and_rates(client):
    for level, n in (("voivodeship", 16), ("powiat", 380), ("gmina", 2477)):
        rows = rows_of(client.get(f"/api/v1/districts?level={level}"))
        assert len(rows) == n
        assert sum(r["reports"] for r in rows) == 8
    gm = {r["teryt"]: r for r in rows_of(client.get("/api/v1/districts?level=gmina"))}
    krk = gm["1261011"]
    assert (krk["reports"], krk["confirmed"], krk["unconfirmed"], krk["pending"], krk["resolved"]) == (5, 3, 1, 1, 4)
    assert krk["confirmation_rate"] == 0.75
    assert krk["ci_low"] == pytest.approx(0.3006, abs=1e-4) and krk["ci_high"] == pytest.approx(0.9544, abs=1e-4)
    assert krk["name"] == "Kraków" and krk["population"] > 700_000
    assert krk["reports_per_10k"] == pytest.approx(round(5 / krk["population"] * 1e4, 2))
    empty = gm["0201011"]
    assert empty["reports"] == 0 and empty["confirmation_rate"] is None and empty["ci_low"] is None
    voiv = {r["teryt"]: r for r in rows_of(client.get("/api/v1/districts?level=voivodeship"))}
    assert voiv["22"]["unconfirmed"] == 2 and voiv["02"]["pending"] == 1


def test_date_filter_inclusive_on_local_date(client):
    rows = rows_of(client.get("/api/v1/districts?level=voivodeship&from=2024-05-01&to=2024-05-02"))
    assert sum(r["reports"] for r in rows) == 3  # 1, 2 (23:30 local on 2 May), 6
    rows = rows_of(client.get("/api/v1/districts?level=voivodeship&from=2024-05-03&to=2024-05-03"))
    assert sum(r["reports"] for r in rows) == 1


def test_category_status_source_teryt_filters(client):
    by = lambda url: {r["teryt"]: r["reports"] for r in rows_of(client.get(url)) if r["reports"]}  # noqa: E731
    assert by("/api/v1/districts?level=gmina&category=przekraczanie-dozwolonej-predkosci") == {"1261011": 4, "2261011": 2}
    assert by("/api/v1/districts?level=gmina&category=wypalanie-traw&category=nieprawidlowe-parkowanie") == {
        "0264011": 1, "1261011": 1}
    assert by("/api/v1/districts?level=gmina&status=niepotwierdzone&status=zart-lub-pomylka") == {
        "1261011": 1, "2261011": 2}
    assert by("/api/v1/districts?level=gmina&outcome=pending") == {"1261011": 1, "0264011": 1}
    assert by("/api/v1/districts?level=gmina&source=debata") == {"1261011": 1}
    assert by("/api/v1/districts?level=gmina&source=internet") == {"1261011": 4, "2261011": 2}
    rows = rows_of(client.get("/api/v1/districts?level=gmina&teryt=22"))
    assert {r["teryt"][:2] for r in rows} == {"22"} and sum(r["reports"] for r in rows) == 2
    rows = rows_of(client.get("/api/v1/districts?level=powiat&teryt=1261"))
    assert [(r["teryt"], r["reports"]) for r in rows] == [("1261", 5)]


def test_categories_and_timeseries(client):
    cats = {r["code"]: r for r in rows_of(client.get("/api/v1/categories"))}
    assert len(cats) == 25  # the 27 less the two hidden ones (published only in /api/v1/sensitive)
    assert "uzywanie-srodkow-odurzajacych" not in cats and "znecanie-sie-nad-zwierzetami" not in cats
    sp = cats["przekraczanie-dozwolonej-predkosci"]
    assert (sp["reports"], sp["confirmed"], sp["unconfirmed"], sp["pending"]) == (6, 2, 3, 1)
    assert sp["label_en"] == "Speeding" and sp["confirmation_rate"] == 0.4
    assert cats["akty-wandalizmu"]["reports"] == 0
    ts = rows_of(client.get("/api/v1/timeseries?interval=month"))
    assert [(r["period"], r["reports"]) for r in ts] == [
        ("2024-03-01", 1), ("2024-04-01", 0), ("2024-05-01", 4), ("2024-06-01", 2), ("2024-07-01", 1)]
    wk = rows_of(client.get("/api/v1/timeseries?interval=week&from=2024-05-01&to=2024-05-12"))
    assert [(r["period"], r["reports"]) for r in wk] == [("2024-04-29", 4), ("2024-05-06", 0)]
    day = rows_of(client.get("/api/v1/timeseries?interval=day&from=2024-05-01&to=2024-05-03"))
    assert [r["reports"] for r in day] == [2, 1, 1]


def test_csv_equals_json(client):
    url = "/api/v1/districts?level=powiat&category=przekraczanie-dozwolonej-predkosci"
    j = pd.DataFrame(rows_of(client.get(url)))
    r = client.get(url + "&format=csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    c = pd.read_csv(io.StringIO(r.get_data(as_text=True)), dtype={"teryt": str})
    assert list(c.columns) == ["teryt", "name", "population", "reports", "confirmed", "unconfirmed", "pending",
                               "resolved", "confirmation_rate", "ci_low", "ci_high", "reports_per_10k",
                               "reports_per_10k_smoothed", "unstable", "hotspot", "hotspot_p"]
    pd.testing.assert_frame_equal(c, j.astype(c.dtypes.to_dict()), check_dtype=False)


def test_meta(client):
    m = client.get("/api/v1/meta").get_json()
    assert m["reports"] == 8 and m["date_from"] == "2024-03-30" and m["date_to"] == "2024-07-01"
    assert m["data_version"] and m["last_ingest"]


@pytest.mark.parametrize("url, words", [
    ("/api/v1/districts?level=county", "unknown level 'county'"),
    ("/api/v1/districts?category=kradziez", "unknown category 'kradziez'"),
    ("/api/v1/districts?status=zamkniete", "unknown status"),
    ("/api/v1/districts?from=2024-13-01", "not a valid date"),
    ("/api/v1/districts?from=01.05.2024", "YYYY-MM-DD"),
    ("/api/v1/districts?from=2024-06-01&to=2024-05-01", "is after"),
    ("/api/v1/districts?teryt=12a", "2, 4 or 7 digits"),
    ("/api/v1/districts?teryt=126101", "2, 4 or 7 digits"),
    ("/api/v1/districts?format=xml", "unknown format"),
    ("/api/v1/timeseries?interval=year", "unknown interval"),
    ("/api/v1/districts?category=" + "x" * 5000, "too long"),
    ("/api/v1/districts?level=gmina&level=powiat", "more than once"),
    ("/api/v1/districts?colour=red", "unknown parameter 'colour'"),
    ("/api/v1/categories?source=telegraf", "unknown source"),
    ("/api/v1/nothing", "no such endpoint"),
])
def test_malformed_requests_get_400_with_a_message(client, url, words):
    r = client.get(url)
    assert r.status_code in (400, 404)
    body = r.get_json()
    assert words in body["error"]
    assert "Traceback" not in r.get_data(as_text=True)
    # and the server keeps serving
    assert client.get("/api/v1/meta").status_code == 200


def test_no_data_yet_is_a_clear_503(settings):
    from app import create_app

    c = create_app(settings).server.test_client()
    r = c.get("/api/v1/districts")
    assert r.status_code == 503 and "no data loaded yet" in r.get_json()["error"]


def test_cache_keys_on_data_version_so_new_data_shows_at_once(client, settings, tmp_path):
    url = "/api/v1/districts?level=voivodeship&category=wypalanie-traw"
    first = client.get(url).get_json()
    assert client.get(url).get_json() == first  # served from the cache
    gw = client.application.extensions["kmzb_gateway"]
    assert gw.cache.cache.total_bytes  # the (in-memory) cache holds the memoized data functions
    more = write_extract(tmp_path / "kmzb_20240702.csv", [
        row(50, typ="Wypalanie traw", place=KRAKOW, created="2024-07-02 10:00:00")])
    run_ingest(settings, [more])
    second = client.get(url).get_json()
    assert second["data_version"] != first["data_version"]
    by = {r["teryt"]: r["reports"] for r in second["rows"]}
    assert by["12"] == 1 and sum(by.values()) == 2


@pytest.mark.parametrize("kind, cls", [("memory", "ByteBoundedCache"), ("on", "ByteBoundedCache"),
                                       ("file", "FileSystemCache"), ("off", "NullCache")])
def test_cache_kind_setting(kind, cls, monkeypatch, tmp_path):
    from app import make_cache
    from kmzb.config import get_settings

    monkeypatch.setenv("KMZB_CACHE", kind)
    monkeypatch.setenv("KMZB_CACHE_DIR", str(tmp_path / "c"))
    monkeypatch.setenv("KMZB_CACHE_ENTRIES", "7")
    monkeypatch.delenv("KMZB_CACHE_URL", raising=False)
    s = get_settings(data_dir=tmp_path)
    import flask

    app = flask.Flask("t")
    cache = make_cache(s)
    cache.init_app(app)
    with app.app_context():
        assert type(cache.cache).__name__ == cls
        cache.set("k", {"v": 1})
        assert cache.get("k") == (None if kind == "off" else {"v": 1})
    if kind == "file":
        assert any((tmp_path / "c").iterdir())


def test_bad_cache_settings_are_refused(monkeypatch, tmp_path):
    from kmzb.config import get_settings

    monkeypatch.setenv("KMZB_CACHE", "sometimes")
    with pytest.raises(SystemExit, match="KMZB_CACHE must be"):
        get_settings(data_dir=tmp_path)
    monkeypatch.setenv("KMZB_CACHE", "memory")
    monkeypatch.setenv("KMZB_CACHE_ENTRIES", "-3")
    with pytest.raises(SystemExit, match="KMZB_CACHE_ENTRIES must be at least 1"):
        get_settings(data_dir=tmp_path)


def test_a_full_memory_cache_drops_its_oldest_entries_not_all(monkeypatch, tmp_path):
    import flask

    from app import make_cache
    from kmzb.config import get_settings

    monkeypatch.setenv("KMZB_CACHE", "memory")
    monkeypatch.setenv("KMZB_CACHE_BYTES", "1200")  # about 5 small entries (kmzb.cache.ENTRY_OVERHEAD)
    monkeypatch.delenv("KMZB_CACHE_URL", raising=False)
    app = flask.Flask("t")
    cache = make_cache(get_settings(data_dir=tmp_path))
    cache.init_app(app)
    with app.app_context():
        for i in range(12):
            cache.set(f"k{i}", i)
        kept = [i for i in range(12) if cache.get(f"k{i}") is not None]
    assert kept and kept[-1] == 11 and len(kept) >= 4 and 0 not in kept
