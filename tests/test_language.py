"""The language switch's callback (callbacks/language.py) through the real callback endpoint: the page's
content rebuilt in the other language for the URL's view, for the viewer who asks (the police parts only
for a police login). The browser side (no reload, numbers, grid, calendar, back / forward):
tests/e2e/test_language_switch.py."""

from __future__ import annotations

import json

import pytest

from dashboard import ids

from .conftest import demo_on_shared
from .helpers import dash_outputs, log_in

pytestmark = pytest.mark.integration

VIEW = "?level=gmina&teryt=1261&preset=30d&outcome=confirmed"


@pytest.fixture(scope="module")
def app(tmp_path_factory, shared_store):
    from app import create_app

    return create_app(demo_on_shared(tmp_path_factory, shared_store, "language", police=True))


def language_callback(client) -> dict:
    deps = client.get("/_dash-dependencies").get_json()
    return next(d for d in deps if any(i["id"] == ids.LANG_LINK for i in d["inputs"]))


def switch(client, search: str, trigger: str = ids.LANG_LINK) -> dict:
    cb = language_callback(client)
    body = {"output": cb["output"],
            "outputs": dash_outputs(cb["output"]),
            "inputs": [{"id": ids.LANG_LINK, "property": "n_clicks", "value": 1},
                       {"id": ids.LANG_WANTED, "property": "data", "value": {"lang": "x"}}],
            "state": [{"id": ids.URL, "property": "search", "value": search}],
            "changedPropIds": [f"{trigger}.n_clicks" if trigger == ids.LANG_LINK else f"{trigger}.data"]}
    r = client.post("/_dash-update-component", json=body)
    assert r.status_code == 200, r.get_data(as_text=True)[:500]
    return r.get_json()["response"]


def test_the_switch_rebuilds_the_page_in_the_other_language_for_the_same_view(app):
    client = app.server.test_client()
    out = switch(client, VIEW)
    assert out[ids.URL]["search"] == "?lang=en&level=gmina&teryt=1261&preset=30d&outcome=confirmed"
    assert out[ids.LANG]["data"] == "en" and out[ids.PAGE]["lang"] == "en"
    assert out[ids.TITLE]["data"] == "KMZB — threat analytics"
    page = json.dumps(out[ids.PAGE]["children"], ensure_ascii=False)
    assert "National Map of Security Threats" in page and "Krajowa Mapa" not in page
    assert "kmzbNum(params.value, 'en', 0)" in page and "'pl'" not in page  # the grid's numbers in English
    assert '"locale": "en"' in page  # the charts' toolbar
    assert "Page Size" not in page and "Rozmiar strony" not in page  # AG Grid's English is its default
    assert "Kraków" in page  # the chosen region is among the region picker's options
    assert ids.POLICE_POINTS not in page and "/login?lang=en" in page  # the public page, logging in in English

    back = switch(client, out[ids.URL]["search"])  # and back to Polish: the default, left out of the URL
    assert back[ids.URL]["search"] == VIEW and back[ids.TITLE]["data"] == "KMZB — analiza zagrożeń"
    pl = json.dumps(back[ids.PAGE]["children"], ensure_ascii=False)
    assert "Krajowa Mapa Zagrożeń" in pl and "Rozmiar strony" in pl and "National Map" not in pl


def test_back_or_forward_to_the_other_language_rebuilds_the_page_for_that_url(app):
    client = app.server.test_client()
    out = switch(client, "?lang=en&teryt=12", trigger=ids.LANG_WANTED)
    assert out[ids.URL]["search"] == "?lang=en&teryt=12"  # the same URL: no new history entry
    assert out[ids.LANG]["data"] == "en"
    assert "National Map of Security Threats" in json.dumps(out[ids.PAGE]["children"])


def test_a_police_login_gets_its_page_in_the_other_language(app):
    client = app.server.test_client()
    log_in(client)
    r_page = json.dumps(switch(client, VIEW)[ids.PAGE]["children"], ensure_ascii=False)
    assert all(i in r_page for i in (ids.POLICE_POINTS, ids.POLICE_UNITS, ids.POLICE_DOWNLOAD_BTN))
    assert "Logged in as anna" in r_page
