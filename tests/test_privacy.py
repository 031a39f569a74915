"""Public safeguards enforced on the server: no descriptions, no report-level rows, hidden
categories in no free-form aggregate (only in the fixed table of kmzb.query.sensitive, tested in
tests/test_disclosure.py), confirmed-only categories counted only once confirmed — in the API, the
page and every callback output."""

from __future__ import annotations

import json
import re

import plotly.io as pio
import pytest

from callbacks import views
from kmzb.ingest.run import run_ingest

from .conftest import GDANSK, WROCLAW, row, write_extract

DRUGS = "Używanie środków odurzających"          # hidden
CRUELTY = "Znęcanie się nad zwierzętami"         # hidden
VENUE = "Miejsce niebezpiecznej działalności rozrywkowej"  # confirmed-only
SECRET = "Jan Kowalski, tel. 600 100 200, mieszka pod 5"


def rows():
    out, oid = [], iter(range(1, 1000))
    for _ in range(10):  # Kraków: 10 speeding, 3 drug use, 2 confirmed + 3 pending venue reports
        out.append(row(next(oid), status="Potwierdzone", modified="2024-05-02 10:00:00", opis=SECRET))
    for _ in range(3):
        out.append(row(next(oid), typ=DRUGS, status="Niepotwierdzone", modified="2024-05-02 10:00:00", opis=SECRET))
    for st in ("Potwierdzone", "Potwierdzone", "Nowe", "Weryfikacja", "Nowe"):
        out.append(row(next(oid), typ=VENUE, status=st, modified="2024-05-02 10:00:00" if st != "Nowe" else None))
    for _ in range(6):  # Gdańsk: 6 drug use (not small)
        out.append(row(next(oid), typ=DRUGS, place=GDANSK, status="Potwierdzone", modified="2024-05-02 10:00:00"))
    for _ in range(2):  # Wrocław: only 2 animal cruelty reports (small, nothing else)
        out.append(row(next(oid), typ=CRUELTY, place=WROCLAW, opis=SECRET))
    return out


@pytest.fixture
def client(settings, tmp_path):
    run_ingest(settings, [write_extract(tmp_path / "kmzb_20240502.csv", rows())])
    from app import create_app

    app = create_app(settings)
    with app.server.test_request_context():
        yield app.server.test_client(), app.server.extensions["kmzb_gateway"]


def by_teryt(resp):
    assert resp.status_code == 200
    return {r["teryt"]: r for r in resp.get_json()["rows"]}


def test_hidden_categories_leave_every_free_form_aggregate(client):
    c, _ = client
    gm = by_teryt(c.get("/api/v1/districts?level=gmina"))
    krk, gda, wro = gm["1261011"], gm["2261011"], gm["0264011"]
    # Kraków: 10 speeding + 2 confirmed venue reports; its 3 drug-use reports are not counted
    assert krk["reports"] == 12 and "suppressed" not in krk
    # Gdańsk's 6 drug-use and Wrocław's 2 animal-cruelty reports: not counted, large or small alike
    assert (gda["reports"], gda["confirmed"]) == (0, 0)
    assert (wro["reports"], wro["confirmation_rate"]) == (0, None)
    import csv as csv_mod
    import io

    text = c.get("/api/v1/districts?level=gmina&format=csv").get_data(as_text=True)
    wro_csv = next(r for r in csv_mod.DictReader(io.StringIO(text)) if r["teryt"] == "0264011")
    assert (wro_csv["reports"], wro_csv["confirmed"], wro_csv["pending"], wro_csv["confirmation_rate"]) == \
        ("0", "0", "0", "")
    body = c.get("/api/v1/districts?level=gmina").get_json()
    assert body["excluded_categories"] == ["uzywanie-srodkow-odurzajacych", "znecanie-sie-nad-zwierzetami"]
    assert "/api/v1/sensitive" in body["note"]


def test_hidden_category_rows_and_series(client):
    c, _ = client
    cats = {r["code"]: r for r in c.get("/api/v1/categories").get_json()["rows"]}
    assert "uzywanie-srodkow-odurzajacych" not in cats and "znecanie-sie-nad-zwierzetami" not in cats
    ts = c.get("/api/v1/timeseries?interval=month").get_json()["rows"]
    assert ts[0]["reports"] == 10 + 2 == sum(r["reports"] for r in cats.values())
    # asking for a hidden category in a free-form aggregate says where it is published
    for url in ("/api/v1/districts?level=voivodeship&category=znecanie-sie-nad-zwierzetami",
                "/api/v1/categories?category=uzywanie-srodkow-odurzajacych&category=przekraczanie-dozwolonej-predkosci",
                "/api/v1/timeseries?category=znecanie-sie-nad-zwierzetami"):
        r = c.get(url)
        assert r.status_code == 400 and "/api/v1/sensitive" in r.get_json()["error"], url


def test_meta_counts_what_the_public_aggregates_count(client):
    c, _ = client
    assert c.get("/api/v1/meta").get_json()["reports"] == 12
    assert c.get("/healthz").get_json()["reports"] == 12


def test_confirmed_only_category_counts_only_confirmed_for_the_public(client):
    c, _ = client
    cats = {r["code"]: r for r in c.get("/api/v1/categories").get_json()["rows"]}
    venue = cats["miejsce-niebezpiecznej-dzialalnosci-rozrywkowej"]
    assert (venue["reports"], venue["confirmed"], venue["pending"]) == (2, 2, 0)
    assert venue["confirmation_rate"] is None  # would be 100% by construction


def test_no_description_or_report_level_data_in_any_public_response(client):
    c, gw = client
    bodies = []
    for url in ("/", "/_dash-layout", "/_dash-dependencies", "/api/v1/meta",
                "/api/v1/districts?level=gmina", "/api/v1/districts?level=gmina&format=csv",
                "/api/v1/categories", "/api/v1/timeseries?interval=day",
                "/api/v1/districts?level=powiat&from=2024-01-01&to=2024-12-31&compare=previous"):
        r = c.get(url)
        assert r.status_code == 200, url
        bodies.append(r.get_data(as_text=True))
    for search in ("?preset=all", "?preset=all&level=gmina&teryt=0264011", "?preset=all&category=znecanie-sie-nad-zwierzetami"):
        o = views.overview(gw, search)
        ch = views.charts(gw, search)
        bodies.append(json.dumps(o, default=str))
        bodies.extend(pio.to_json(fig) for fig in ch.values())  # figure dicts
    text = "\n".join(bodies)
    assert "Kowalski" not in text and "600 100 200" not in text
    assert "objectid" not in text.lower() and not re.search(r"\bopis\b", text, re.I)
    # a hand-made view of a hidden category shows nothing of it
    o = views.overview(gw, "?preset=all&level=gmina&metric=reports&category=znecanie-sie-nad-zwierzetami")
    idx = list(gw.districts_table("gmina")["teryt"]).index("0264011")
    assert o["hideout"]["val"][idx] == "0" and o["hideout"]["n"][idx] == 0
    assert "Gdańsk" not in json.dumps(views.charts(gw, "?preset=all&category=uzywanie-srodkow-odurzajacych"),
                                      default=str)


def test_kpi_total_is_the_sum_of_the_category_rows(client):
    c, gw = client
    every = c.get("/api/v1/categories").get_json()["rows"]
    all_tot = gw.totals(views.view_filters(gw, views.from_query("?preset=all")))
    assert all_tot["reports"] == sum(r["reports"] for r in every) == 10 + 2
    kpi = json.dumps(views.overview(gw, "?preset=all")["kpis"]["reports"], default=str)
    assert "12" in kpi and ("sensitive" in kpi or "wrażliw" in kpi)
