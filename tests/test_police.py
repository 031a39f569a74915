"""The police view: report-level queries on a real store, the callbacks' audience check, and
hand-made requests to Dash's callback endpoint as an anonymous and as a police user."""

from __future__ import annotations

import io
import json
import re
from datetime import datetime

import pandas as pd
import pytest
from flask_login import login_user

from callbacks import police as cb
from dashboard import ids
from kmzb.query import columns, police
from kmzb.query.filters import Filters, make_filters
from web.auth import AuthUser

from .conftest import DEMO_END as END
from .conftest import police_demo_store
from .helpers import log_in


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    # its own store: the report it details has a one-line description
    settings = police_demo_store(tmp_path_factory, "police")
    from app import create_app

    app = create_app(settings)
    gw = app.server.extensions["kmzb_gateway"]
    cur, _ = gw.store.cursor()
    return app, gw, cur


@pytest.fixture
def cur(env):
    return env[2]


def sql(cur, q, params=()):
    return cur.execute(q, list(params)).fetchall()


def described_report(cur) -> int:
    """A report with a description and at least three statuses in its history."""
    return sql(cur, """SELECT objectid FROM descriptions JOIN status_history USING (objectid)
                       GROUP BY 1 HAVING count(*) >= 3 ORDER BY 1 LIMIT 1""")[0][0]


# ---------------------------------------------------------------- queries

def test_points_are_every_report_of_the_filters(cur):
    everything = police.points(cur, Filters())
    n = sql(cur, "SELECT count(*) FROM reports")[0][0]
    assert everything["type"] == "FeatureCollection" and len(everything["features"]) == n == everything["total"]
    assert not everything["truncated"]
    f0 = everything["features"][0]
    assert f0["geometry"]["type"] == "Point" and len(f0["geometry"]["coordinates"]) == 2
    assert set(f0["properties"]) == {"objectid", "category", "status", "outcome", "created"}
    lon, lat = f0["geometry"]["coordinates"]
    assert 14 < lon < 24.2 and 49 < lat < 55
    # hidden and confirmed-only categories too: the police see every report
    f = make_filters(date_from="2026-11-01", date_to=END.isoformat(), teryt="14", outcomes=["pending", "confirmed"])
    got = police.points(cur, f)
    want = sql(cur, """SELECT objectid FROM reports WHERE created_date BETWEEN '2026-11-01' AND ?
                       AND voivodeship = '14' AND outcome IN ('pending', 'confirmed')""", [END])
    assert sorted(x["properties"]["objectid"] for x in got["features"]) == sorted(r[0] for r in want)
    assert all(x["properties"]["outcome"] in ("pending", "confirmed") for x in got["features"])


def test_points_limit(cur):
    got = police.points(cur, Filters(), limit=10)
    assert len(got["features"]) == 10 and got["truncated"]
    assert got["total"] == sql(cur, "SELECT count(*) FROM reports")[0][0]
    created = [x["properties"]["created"] for x in got["features"]]
    assert created == sorted(created, reverse=True)  # the newest first


def test_report_detail(cur):
    oid = described_report(cur)
    d = police.report_detail(cur, oid)
    opis = sql(cur, "SELECT opis FROM descriptions WHERE objectid = ?", [oid])[0][0]
    assert d["objectid"] == oid and d["opis"] == opis
    row = sql(cur, """SELECT category::VARCHAR, status::VARCHAR, unit, source::VARCHAR, gmina FROM reports
                      WHERE objectid = ?""", [oid])[0]
    assert (d["category"], d["status"], d["unit"], d["source"], d["gmina"]) == row
    hist = sql(cur, "SELECT status::VARCHAR, modified_at FROM status_history WHERE objectid = ? ORDER BY 2", [oid])
    assert [h["status"] for h in d["history"]] == [h[0] for h in hist]
    times = [datetime.fromisoformat(h["modified_at"]) for h in d["history"]]
    assert times == sorted(times) and len(times) >= 3
    assert d["history"][-1]["status"] == d["status"]
    assert datetime.fromisoformat(d["created_at"]) <= times[0]
    assert police.report_detail(cur, 987654321) is None
    assert police.report_detail(cur, "1 OR 1=1") is None


def test_unit_workload(cur):
    f = make_filters(date_from="2026-10-01", date_to=END.isoformat())
    w = police.unit_workload(cur, f)
    assert list(w.columns) == columns.POLICE_WORKLOAD
    raw = cur.execute("""SELECT unit, outcome::VARCHAR AS outcome, created_at, read_at, resolved_at, observed_new,
                                observed_pending FROM reports WHERE created_date >= '2026-10-01'""").df()
    assert w["reports"].sum() == len(raw) and w["unit"].is_unique
    assert w["pending"].sum() == (raw["outcome"] == "pending").sum()
    edge = sql(cur, "SELECT max(modified_at) FROM reports")[0][0]
    # the unit with the largest backlog, recomputed by hand
    top = w.iloc[0]
    assert top["pending"] == w["pending"].max()
    mine = raw[(raw["unit"] == top["unit"]) & (raw["outcome"] == "pending")]
    ages = (pd.Timestamp(edge) - mine["created_at"]).dt.total_seconds() / 86400
    assert top["pending_median_days"] == pytest.approx(ages.median(), abs=0.051)
    assert top["pending_max_days"] == pytest.approx(ages.max(), abs=0.051)
    # shares over the reports that can be judged only
    for _, r in w.iterrows():
        assert 0 <= r["read_2d_n"] <= r["reports"] and 0 <= r["verified_5d_n"] <= r["reports"]
        for share, n in (("read_2d_share", "read_2d_n"), ("verified_5d_share", "verified_5d_n")):
            assert (pd.isna(r[share]) and r[n] == 0) or 0 <= r[share] <= 1
    # watched from the date of the first extract ingested: reports created before it are not judged
    first = min(re.search(r"kmzb_(?:full_)?(\d{8})", f).group(1) for (f,) in sql(cur, "SELECT file FROM ingest_files"))
    watched = raw["created_at"] >= pd.Timestamp(first)
    assert (~watched).any() and raw.loc[~watched, "observed_new"].fillna(False).astype(bool).any()  # it matters
    judged = raw[raw["observed_new"].fillna(False).astype(bool) & watched
                 & (raw["created_at"] <= pd.Timestamp(edge) - pd.Timedelta(days=2))]
    assert w["read_2d_n"].sum() == len(judged)
    fast = judged["read_at"].notna() & (judged["read_at"] <= judged["created_at"] + pd.Timedelta(days=2))
    got = (w["read_2d_share"].fillna(0) * w["read_2d_n"]).sum()
    assert got == pytest.approx(fast.sum(), abs=0.01 * len(w))
    # units without pending reports have no backlog age
    assert w.loc[w["pending"] == 0, "pending_median_days"].isna().all()


def test_report_rows_and_csv(cur):
    f = make_filters(date_from="2026-11-01", date_to=END.isoformat())
    rows = police.report_rows(cur, f)
    assert list(rows.columns) == columns.POLICE_REPORT
    assert len(rows) == sql(cur, "SELECT count(*) FROM reports WHERE created_date >= '2026-11-01'")[0][0]
    oid = int(rows.loc[rows["opis"].notna(), "objectid"].iloc[0])
    assert rows.set_index("objectid").loc[oid, "opis"] == sql(
        cur, "SELECT opis FROM descriptions WHERE objectid = ?", [oid])[0][0]
    assert len(police.report_rows(cur, f, limit=7)) == 7
    text = police.rows_csv(rows)
    back = pd.read_csv(io.StringIO(text))
    assert list(back.columns) == columns.POLICE_REPORT and len(back) == len(rows)
    assert re.match(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$", back["created_at"].iloc[0])
    # a description that a spreadsheet would run as a formula is quoted
    evil = rows.head(1).assign(opis='=HYPERLINK("http://x","y")')
    assert "'=HYPERLINK" in police.rows_csv(evil)


def test_gateway_methods(env):
    _, gw, cur = env
    f = make_filters(teryt="12")
    assert gw.police_points(f) == police.points(cur, f)
    assert gw.police_points(f) == police.points(cur, f)  # from the cache, the same
    pd.testing.assert_frame_equal(gw.police_units(f), police.unit_workload(cur, f))
    pd.testing.assert_frame_equal(gw.police_rows(f, 50), police.report_rows(cur, f, 50))
    oid = described_report(cur)
    assert gw.police_report(oid) == police.report_detail(cur, oid)


# ---------------------------------------------------------------- callbacks as plain functions

def test_callbacks_give_nothing_to_the_public_and_data_to_the_police(env):
    app, gw, cur = env
    oid = described_report(cur)
    click = {"type": "Feature", "properties": {"objectid": oid}}
    search = "?preset=all"
    with app.server.test_request_context("/"):
        assert cb.points_for(gw, search) is None
        assert cb.detail_for(gw, click, search) is None
        assert cb.units_for(gw, search) is None
        assert cb.reports_csv(gw, search) is None
    with app.server.test_request_context("/"):
        login_user(AuthUser("someone", "visitor"))  # logged in, but not police
        assert cb.points_for(gw, search) is None and cb.reports_csv(gw, search) is None
    with app.server.test_request_context("/"):
        login_user(AuthUser("anna", "police"))
        pts = cb.points_for(gw, search)
        assert len(pts["features"]) == sql(cur, "SELECT count(*) FROM reports")[0][0]
        detail = json.dumps(cb.detail_for(gw, click, "?lang=en"), default=lambda c: c.to_plotly_json())
        opis = sql(cur, "SELECT opis FROM descriptions WHERE objectid = ?", [oid])[0][0]
        assert json.dumps(opis)[1:-1] in detail and "Status history" in detail and f"Report {oid}" in detail
        assert cb.detail_for(gw, {"properties": {"cluster": True, "point_count": 5}}, search) is None
        assert "Report not found." in json.dumps(cb.detail_for(gw, {"properties": {"objectid": 1}}, "?lang=en"),
                                                 default=lambda c: c.to_plotly_json())
        units = cb.units_for(gw, search)
        assert sum(u["reports"] for u in units) == len(pts["features"])
        grid_fields = {c["field"] for c in police_unit_columns()}
        assert grid_fields <= set(units[0]), grid_fields - set(units[0])  # every column the grid shows
        assert all(u["unit"] for u in units)
        text, name = cb.reports_csv(gw, "?preset=custom&from=2026-11-01&to=2026-11-24")
        assert name == "kmzb_reports_2026-11-01_2026-11-24.csv"
        assert len(pd.read_csv(io.StringIO(text))) == sql(
            cur, "SELECT count(*) FROM reports WHERE created_date >= '2026-11-01'")[0][0]


def police_unit_columns() -> list[dict]:
    """The columnDefs of the police unit grid, as the police layout builds it."""
    from dashboard import ids as _ids
    from dashboard.police import workload_card

    grid = next(c for c in workload_card("en")._traverse() if getattr(c, "id", None) == _ids.POLICE_UNITS)
    return grid.columnDefs


def test_police_callbacks_take_garbage_calmly(env):
    app, gw, _ = env
    with app.server.test_request_context("/"):
        login_user(AuthUser("anna", "police"))
        for click in (None, [], "x", 3, {"properties": None}, {"properties": []}, {"properties": {"objectid": "x"}},
                      {"properties": {"objectid": None}}, {"properties": {"objectid": 10**30}}):
            out = cb.detail_for(gw, click, "?lang=en")
            assert out is None or "Report not found." in json.dumps(out, default=lambda c: c.to_plotly_json())
        for search in (None, 5, ["?a"], "?teryt=xx&from=2026-99-99&category=nope", "?" + "a" * 5000):
            assert cb.points_for(gw, search)["type"] == "FeatureCollection"
            assert isinstance(cb.units_for(gw, search), list)


# ---------------------------------------------------------------- over HTTP, as Dash would be called

def dash_request(output: str, outputs: list[dict], inputs: list[dict], state=()) -> dict:
    return {"output": output, "outputs": outputs if len(outputs) > 1 else outputs[0], "inputs": inputs,
            "state": list(state), "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"]}


POINTS = dash_request(
    f"..{ids.POLICE_POINTS}.data...{ids.POLICE_POINTS_NOTE}.children..",
    [{"id": ids.POLICE_POINTS, "property": "data"}, {"id": ids.POLICE_POINTS_NOTE, "property": "children"}],
    [{"id": ids.URL, "property": "search", "value": "?preset=all"}])


def detail_request(oid: int) -> dict:
    return dash_request(f"{ids.POLICE_DETAIL}.children", [{"id": ids.POLICE_DETAIL, "property": "children"}],
                        [{"id": ids.POLICE_POINTS, "property": "clickData",
                          "value": {"type": "Feature", "properties": {"objectid": oid}}}],
                        [{"id": ids.URL, "property": "search", "value": "?lang=en"}])


UNITS = dash_request(f"{ids.POLICE_UNITS}.rowData", [{"id": ids.POLICE_UNITS, "property": "rowData"}],
                     [{"id": ids.URL, "property": "search", "value": ""}])
DOWNLOAD = dash_request(f"{ids.POLICE_DOWNLOAD}.data", [{"id": ids.POLICE_DOWNLOAD, "property": "data"}],
                        [{"id": ids.POLICE_DOWNLOAD_BTN, "property": "n_clicks", "value": 1}],
                        [{"id": ids.URL, "property": "search", "value": "?preset=all"}])


def test_anonymous_callback_requests_get_no_police_data(env):
    app, gw, cur = env
    oid = described_report(cur)
    opis = sql(cur, "SELECT opis FROM descriptions WHERE objectid = ?", [oid])[0][0]
    client = app.server.test_client()
    for body in (POINTS, detail_request(oid), UNITS, DOWNLOAD):
        r = client.post("/_dash-update-component", json=body)
        assert r.status_code == 204, (body["output"], r.status_code)
        text = r.get_data(as_text=True)
        assert "FeatureCollection" not in text and opis not in text and "objectid" not in text
    # and the public layout holds none of the police components
    layout = client.get("/_dash-layout").get_data(as_text=True)
    assert all(i not in layout for i in (ids.POLICE_POINTS, ids.POLICE_DETAIL, ids.POLICE_UNITS,
                                         ids.POLICE_DOWNLOAD_BTN))
    assert json.loads(layout) and "\\u002flogin?lang=pl" in layout  # the 'Log in' link instead


def test_police_callback_requests_get_the_data(env):
    app, gw, cur = env
    client = app.server.test_client()
    log_in(client)
    r = client.post("/_dash-update-component", json=POINTS)
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    data = r.get_json()["response"][ids.POLICE_POINTS]["data"]
    assert data["type"] == "FeatureCollection"
    assert len(data["features"]) == sql(cur, "SELECT count(*) FROM reports")[0][0]
    oid = described_report(cur)
    r = client.post("/_dash-update-component", json=detail_request(oid))
    assert r.status_code == 200
    opis = sql(cur, "SELECT opis FROM descriptions WHERE objectid = ?", [oid])[0][0]
    assert opis in json.dumps(r.get_json(), ensure_ascii=False)
    r = client.post("/_dash-update-component", json=UNITS)
    assert r.status_code == 200 and r.get_json()["response"][ids.POLICE_UNITS]["rowData"]
    r = client.post("/_dash-update-component", json=DOWNLOAD)
    assert r.status_code == 200
    assert r.get_json()["response"][ids.POLICE_DOWNLOAD]["data"]["filename"].startswith("kmzb_reports_")
    layout = client.get("/_dash-layout").get_data(as_text=True)
    assert all(i in layout for i in (ids.POLICE_POINTS, ids.POLICE_DETAIL, ids.POLICE_UNITS,
                                     ids.POLICE_DOWNLOAD_BTN))
