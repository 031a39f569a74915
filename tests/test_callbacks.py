"""Dashboard callbacks as plain functions, over a real store built from demo extracts."""

from __future__ import annotations

import io
from datetime import date

import numpy as np
import pandas as pd
import pytest
from dash import no_update
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from callbacks import download, sync, views
from dashboard import ids
from dashboard.state import DEFAULT, ViewState, from_query, map_scope, to_query
from kmzb import reference

from .conftest import DEMO_END as END
from .conftest import demo_on_shared


@pytest.fixture(scope="module")
def app_ctx(tmp_path_factory, shared_store):
    settings = demo_on_shared(tmp_path_factory, shared_store, "cb")
    from app import create_app

    app = create_app(settings)
    with app.server.test_request_context():
        yield app, app.server.extensions["kmzb_gateway"], app.server.test_client()


def api_csv(client, **params) -> pd.DataFrame:
    r = client.get("/api/v1/districts", query_string={**params, "format": "csv"})
    assert r.status_code == 200, r.get_json()
    return pd.read_csv(io.StringIO(r.get_data(as_text=True)), dtype={"teryt": str})


def data_range():
    return date(2026, 7, 28), END


CONTROLS0 = sync.controls_of(DEFAULT, *data_range())


def test_url_trigger_sets_controls_only():
    out = sync.sync_state(ids.URL, "?level=powiat&metric=rate&category=wypalanie-traw&preset=30d",
                          CONTROLS0, None, "pl", data_range)
    assert out[0] is no_update
    names = [f"{i}.{p}" for i, p in sync.CONTROLS]
    got = dict(zip(names, out[1:]))
    assert got["f-preset.value"] == "30d"
    assert got["f-dates.start_date"] == "2026-10-26" and got["f-dates.end_date"] is no_update
    assert got["f-categories.value"] == ["wypalanie-traw"]
    assert got["map-level.value"] == "powiat" and got["map-metric.value"] == "rate"
    assert got["f-compare.value"] is no_update  # unchanged controls are left alone


def test_control_change_writes_the_url():
    controls = list(CONTROLS0)
    controls[4] = ["przekraczanie-dozwolonej-predkosci"]
    out = sync.sync_state(ids.CATEGORIES, "", controls, None, "pl", data_range)
    assert out[0] == "?category=przekraczanie-dozwolonej-predkosci"
    assert all(v is no_update for v in out[1:])


def test_map_click_drills_down_and_crumb_goes_back():
    out = sync.sync_state(ids.GEOJSON, "", CONTROLS0, {"properties": {"teryt": "12"}}, "en", data_range)
    assert out[0] == "?lang=en&teryt=12"
    s = from_query(out[0])
    assert map_scope(s) == ("powiat", "12")
    controls = sync.controls_of(s, *data_range())
    back = sync.sync_state({"type": ids.CRUMB, "teryt": ""}, out[0], controls, None, "en", data_range,
                           crumb_clicks=[1])
    assert back[0] == "?lang=en"
    # re-rendered breadcrumbs (no click) change nothing
    assert sync.sync_state({"type": ids.CRUMB, "teryt": ""}, out[0], controls, None, "en", data_range,
                           crumb_clicks=[None]) == [no_update] * (len(sync.CONTROLS) + 1)


def test_group_button_toggles_whole_theme_and_reset():
    road = [c.code for c in reference.categories() if c.group == "road-safety"]
    out = sync.sync_state({"type": ids.CAT_GROUP, "group": "road-safety"}, "", CONTROLS0, None, "pl", data_range)
    assert sorted(from_query(out[0]).categories) == sorted(road)
    controls = sync.controls_of(from_query(out[0]), *data_range())
    again = sync.sync_state({"type": ids.CAT_GROUP, "group": "road-safety"}, out[0], controls, None, "pl", data_range)
    assert again[0] == ""
    reset = sync.sync_state(ids.RESET, "?lang=en&level=gmina", controls, None, "en", data_range)
    assert reset[0] == "?lang=en"


def test_editing_dates_switches_to_custom():
    controls = list(CONTROLS0)
    controls[1], controls[2] = "2026-09-01", "2026-09-30"
    out = sync.sync_state(ids.DATES, "", controls, None, "pl", data_range)
    assert out[0] == "?preset=custom&from=2026-09-01&to=2026-09-30"
    assert out[1] == "custom"


state_strategy = st.builds(
    ViewState,
    lang=st.sampled_from(["pl", "en"]), level=st.sampled_from(["voivodeship", "powiat", "gmina"]),
    metric=st.sampled_from(["reports", "per10k", "rate"]), teryt=st.sampled_from(["", "12", "1261", "1261011"]),
    preset=st.sampled_from(["7d", "90d", "all", "ytd"]),
    compare=st.sampled_from(["previous", "year"]),
    categories=st.lists(st.sampled_from(reference.category_codes()[:26]), unique=True, max_size=5).map(
        lambda xs: tuple(c for c in reference.category_codes() if c in xs)),
    outcomes=st.lists(st.sampled_from(reference.OUTCOMES), unique=True).map(
        lambda xs: tuple(o for o in reference.OUTCOMES if o in xs)),
)


@given(state_strategy)
@hsettings(max_examples=200, deadline=None)
def test_view_state_survives_the_url(s):
    assert from_query(to_query(s)) == s


@given(st.text(max_size=300))
@hsettings(max_examples=300, deadline=None)
def test_any_query_string_parses_to_a_valid_state(q):
    s = from_query(q)
    assert s.level in ("voivodeship", "powiat", "gmina") and s.lang in ("pl", "en")
    assert set(s.categories) <= set(reference.category_codes())


def test_overview_matches_the_api(app_ctx):
    app, gw, client = app_ctx
    o = views.overview(gw, "?level=gmina&teryt=12&category=przekraczanie-dozwolonej-predkosci&preset=all")
    h = o["hideout"]
    table = gw.districts_table("gmina")
    assert len(h["cls"]) == len(h["val"]) == len(h["n"]) == len(table) == 2477
    inside = table["teryt"].str.startswith("12").to_numpy()
    chars = np.array(list(h["cls"]))
    assert (chars[~inside] == "-").all() and set(chars[inside]) <= set("01234-")
    meta = gw.meta()
    api = api_csv(client, level="gmina", teryt="12", category="przekraczanie-dozwolonej-predkosci",
                  **{"from": meta["date_from"], "to": meta["date_to"]})
    rows = pd.DataFrame(o["rows"])
    assert sorted(rows["teryt"]) == sorted(api["teryt"])
    assert rows["reports"].sum() == api["reports"].sum()
    n = dict(zip(table["teryt"], h["n"]))
    assert all(n[t] == r for t, r in zip(api["teryt"], api["reports"]))
    assert o["geojson_url"].startswith("/geo/gmina.")
    assert "małopolskie" in str(o["breadcrumb"])


def test_rate_metric_flags_districts_with_too_few_resolved(app_ctx):
    _, gw, _ = app_ctx
    o = views.overview(gw, "?level=gmina&metric=rate&preset=7d")
    h = o["hideout"]
    resolved = gw.districts(views.view_filters(gw, from_query("?preset=7d")), "gmina")["resolved"].to_numpy()
    chars = np.array(list(h["cls"]))
    assert (chars[resolved < views.MIN_RESOLVED_MAP] == "x").all()
    assert (chars[resolved >= views.MIN_RESOLVED_MAP] != "x").all()
    assert any("too few" in str(row) or "za mało" in str(row) for row in o["legend"])


def test_kpis_follow_filters_and_language(app_ctx):
    _, gw, _ = app_ctx
    pl = views.overview(gw, "?preset=all")
    en = views.overview(gw, "?preset=all&lang=en&category=wypalanie-traw")
    total = gw.totals(views.view_filters(gw, from_query("?preset=all")))
    assert pl["kpis"]["reports"][0].replace("\u00a0", " ").replace(" ", "") == str(total["reports"])
    assert "Data as of" in en["freshness"] and "Dane na dzień" in pl["freshness"]
    assert en["kpis"]["reports"] != pl["kpis"]["reports"]


def test_charts_have_titles_in_the_language(app_ctx):
    _, gw, _ = app_ctx
    c = views.charts(gw, "?lang=en&preset=90d")
    assert set(c) == {"timeline", "categories", "ranked", "speed", "heatmap"}
    assert "confirmation rate" in c["timeline"]["layout"]["title"]["text"].lower()
    cp = views.charts(gw, "?preset=90d")
    assert cp["timeline"]["layout"]["title"]["text"] != c["timeline"]["layout"]["title"]["text"]
    # memoized per data version: a second call returns the same figure
    assert views.charts(gw, "?lang=en&preset=90d")["timeline"]["layout"]["title"]["text"] == \
        c["timeline"]["layout"]["title"]["text"]


def test_table_csv_equals_api_and_keeps_shown_rows(app_ctx):
    _, gw, client = app_ctx
    search = "?level=powiat&category=nieprawidlowe-parkowanie&preset=30d&compare=year"
    full = pd.read_csv(io.StringIO(download.table_csv(gw, search, None)), dtype={"teryt": str})
    f = views.view_filters(gw, from_query(search))
    api = api_csv(client, level="powiat", category="nieprawidlowe-parkowanie", compare="year",
                  **{"from": f.date_from.isoformat(), "to": f.date_to.isoformat()})
    pd.testing.assert_frame_equal(full, api)
    shown = [{"teryt": "1261"}, {"teryt": "0264"}]
    part = pd.read_csv(io.StringIO(download.table_csv(gw, search, shown)), dtype={"teryt": str})
    assert list(part["teryt"]) == ["1261", "0264"]


def test_viewport_moves_only_when_the_region_changes(app_ctx):
    _, gw, _ = app_ctx
    vp, scope = views.viewport_for(gw, "?teryt=12", None)
    assert scope == "12" and vp["bounds"][0][0] < 50.0 < vp["bounds"][1][0]
    assert views.viewport_for(gw, "?teryt=12&metric=rate", "12") == (no_update, no_update)


def test_region_picker_searches_on_the_server(app_ctx):
    from dashboard.layout import region_options

    _, gw, _ = app_ctx
    regions = gw.regions()
    start = region_options(regions, "pl", selected="1261011")
    assert len(start) == 1 + 16 + 1 and start[-1]["value"] == "1261011"
    found = region_options(regions, "pl", search="krak")
    values = {o["value"] for o in found}
    assert {"1261", "1206", "1261011"} <= values and "" in values
    assert all("krak" in o["label"].casefold() for o in found[1:])
    assert len(region_options(regions, "en", search="a")) == 61  # capped


def test_a_view_seen_before_is_served_from_the_cache_without_a_query(app_ctx, monkeypatch):
    """The views callback's outputs are memoized as a whole (per data version, URL and audience): a second
    request for the same URL runs no query and does not even build the components again (the data
    functions alone are memoized too, but KPIs, tables and chips would be rebuilt), and gives the same
    outputs; the other audience is computed on its own."""
    import dataclasses

    from app import create_app
    from kmzb.query import queries

    app, gw, _ = app_ctx
    settings = dataclasses.replace(app.server.extensions["kmzb_settings"], cache_kind="memory")
    server = create_app(settings).server
    fresh = server.extensions["kmzb_gateway"]
    calls = []
    for name in ("gmina_cells", "timeseries", "week_heatmap", "verification_speed", "district_extras"):
        real = getattr(queries, name)
        monkeypatch.setattr(queries, name, lambda *a, _real=real, _n=name, **kw: calls.append(_n) or _real(*a, **kw))
    fresh.cube = lambda wait=False: None  # the cells from SQL, so the spy sees them
    real_overview = views.overview
    monkeypatch.setattr(views, "overview", lambda *a, **kw: calls.append("overview") or real_overview(*a, **kw))
    search = "?level=powiat&preset=30d&category=nieprawidlowe-parkowanie"
    with server.test_request_context():  # the fresh app's cache
        first = views.view_outputs(fresh.scoped({}), search, "public")
        assert calls, "the first request must query"
        calls.clear()
        again = views.view_outputs(fresh.scoped({}), search, "public")
        assert calls == [] and repr(again) == repr(first)
        views.view_outputs(fresh.scoped({}), search, "police")
        assert calls, "the police view is not the public one"
