"""Public safeguards enforced on the server: no descriptions, no report-level rows, hidden
categories only in aggregates with small cells suppressed, confirmed-only categories counted
only once confirmed — in the API, the page and every callback output."""

from __future__ import annotations

import json
import re

import plotly.io as pio
import pytest

from callbacks import views
from kmzb.ingest import run_ingest

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


def test_hidden_categories_counted_only_where_not_small(client):
    c, _ = client
    gm = by_teryt(c.get("/api/v1/districts?level=gmina"))
    krk, gda, wro = gm["1261011"], gm["2261011"], gm["0264011"]
    # Kraków: 10 speeding + 2 confirmed venue reports; the 3 drug-use reports are left out
    assert (krk["reports"], krk["suppressed"]) == (12, True)
    assert (gda["reports"], gda["confirmed"], gda["suppressed"]) == (6, 6, False)
    # Wrocław holds only 2 hidden reports: the cell is "<5" (empty counts, flagged)
    assert wro["reports"] is None and wro["confirmation_rate"] is None and wro["suppressed"] is True
    assert gm["0201011"]["reports"] == 0 and gm["0201011"]["suppressed"] is False
    csv = c.get("/api/v1/districts?level=gmina&format=csv").get_data(as_text=True)
    assert "0264011,Wrocław,672882,,,,,,,,," in csv.replace("672882", "672882") or ",True" in csv


def test_hidden_category_rows_and_series(client):
    c, _ = client
    cats = {r["code"]: r for r in c.get("/api/v1/categories").get_json()["rows"]}
    assert cats["uzywanie-srodkow-odurzajacych"]["reports"] == 9  # 3 + 6 overall: not small
    assert cats["znecanie-sie-nad-zwierzetami"]["reports"] is None  # 2: "<5"
    assert cats["znecanie-sie-nad-zwierzetami"]["suppressed"] is True
    krk = {r["code"]: r for r in c.get("/api/v1/categories?teryt=1261011").get_json()["rows"]}
    assert krk["uzywanie-srodkow-odurzajacych"]["reports"] is None  # 3 in Kraków: "<5"
    ts = c.get("/api/v1/timeseries?interval=month").get_json()["rows"]
    # one national month: speeding 10 + venue 2 + drug use 9 (not small); animal cruelty 2 is left out,
    # so the total agrees with the category rows and nothing can be recovered by subtraction
    assert ts[0]["reports"] == 10 + 2 + 9 and ts[0]["suppressed"] is True
    only_wro = c.get("/api/v1/districts?level=voivodeship&category=znecanie-sie-nad-zwierzetami").get_json()["rows"]
    assert {r["teryt"]: r["reports"] for r in only_wro}["02"] is None


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
    # the map of a gmina holding only small hidden counts shows "<5", never a number
    o = views.overview(gw, "?preset=all&level=gmina&category=znecanie-sie-nad-zwierzetami")
    idx = list(gw.districts_table("gmina")["teryt"]).index("0264011")
    assert o["hideout"]["val"][idx] == "<5" and o["hideout"]["n"][idx] is None
    kpi = views.overview(gw, "?preset=all&category=znecanie-sie-nad-zwierzetami")["kpis"]["reports"]
    assert "<5" in json.dumps(kpi, default=str)


def test_kpi_total_is_the_sum_of_the_category_rows(client):
    """The KPI applies the rule per category over the whole selection: the 9 drug-use reports show,
    the 2 animal-cruelty reports are left out (flagged), and the total is the category table's sum."""
    c, gw = client
    q = "category=uzywanie-srodkow-odurzajacych&category=znecanie-sie-nad-zwierzetami"
    cats = c.get("/api/v1/categories?" + q).get_json()["rows"]
    o = views.overview(gw, "?preset=all&" + q)
    assert [r["reports"] for r in cats] == [9, None] or sorted(map(str, (r["reports"] for r in cats))) == ["9", "None"]
    tot = gw.totals(views.view_filters(gw, views.from_query("?preset=all&" + q)))
    assert (tot["reports"], tot["suppressed"], tot["small"]) == (9, True, False)
    kpi = json.dumps(o["kpis"]["reports"], default=str)
    assert "9" in kpi and "<5" not in kpi
    every = c.get("/api/v1/categories").get_json()["rows"]
    all_tot = gw.totals(views.view_filters(gw, views.from_query("?preset=all")))
    assert all_tot["reports"] == sum(r["reports"] or 0 for r in every) == 10 + 2 + 9
