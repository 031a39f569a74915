"""web.respcache: a public views answer seen before is sent again as the same bytes; never for the
police, never with a Set-Cookie, never across data versions or encodings, never for other callbacks."""

from __future__ import annotations

import dataclasses
import json

import pytest
from flask import Flask, Response, request

from web.respcache import CALLBACK_PATH, init_response_cache

from .conftest import demo_on_shared
from .helpers import dash_outputs, log_in

pytestmark = pytest.mark.integration


class DictCache(dict):
    def set(self, k, v):
        self[k] = v


def tiny_app(state: dict) -> tuple[Flask, DictCache]:
    app = Flask(__name__)
    cache = DictCache()
    init_response_cache(app, cache, lambda: state["version"], lambda: state["public"], {"views-out"})

    @app.post(CALLBACK_PATH)
    def dispatch():
        state["runs"] += 1
        resp = Response(json.dumps({"n": state["runs"], "body": request.get_json()}), mimetype="application/json")
        if state.get("cookie"):
            resp.set_cookie("session", "secret")
        return resp
    return app, cache


def post(client, output="views-out", search="?a=1", enc="br"):
    return client.post(CALLBACK_PATH, json={"output": output, "inputs": [{"value": search}]},
                       headers={"Accept-Encoding": enc})


def test_same_request_same_version_same_bytes_else_computed():
    state = {"version": "v1", "public": True, "runs": 0}
    app, cache = tiny_app(state)
    c = app.test_client()
    first = post(c)
    assert post(c).data == first.data and state["runs"] == 1  # sent again, not dispatched
    post(c, search="?a=2")
    post(c, enc="gzip")
    post(c, output="other-callback")
    post(c, output="other-callback")
    assert state["runs"] == 5  # another body, another encoding, a callback not listed (twice)
    state["version"] = "v2"
    assert json.loads(post(c).data)["n"] == 6  # new data: computed again


def test_never_for_the_police_and_never_with_a_cookie():
    state = {"version": "v1", "public": False, "runs": 0}
    app, cache = tiny_app(state)
    c = app.test_client()
    post(c), post(c)
    assert state["runs"] == 2 and not cache
    state.update(public=True, cookie=True)
    post(c), post(c)
    assert state["runs"] == 4 and not cache  # an answer that sets a cookie is never kept


def test_the_dashboard_sends_a_seen_view_again_without_running_the_callback(tmp_path_factory, shared_store,
                                                                           monkeypatch):
    from app import create_app
    from callbacks import views

    settings = dataclasses.replace(demo_on_shared(tmp_path_factory, shared_store, "respcache", police=True),
                                   cache_kind="memory")
    app = create_app(settings)
    client = app.server.test_client()
    deps = client.get("/_dash-dependencies").get_json()
    cb = next(d for d in deps if "map-geojson.hideout" in d["output"])
    body = {"output": cb["output"], "outputs": dash_outputs(cb["output"]),
            "inputs": [{"id": "url", "property": "search", "value": "?level=powiat&preset=30d"}],
            "state": [{"id": "map-scope", "property": "data", "value": None}], "changedPropIds": ["url.search"]}
    runs = []
    real = views.view_outputs
    monkeypatch.setattr(views, "view_outputs", lambda *a, **kw: runs.append(1) or real(*a, **kw))
    first = client.post(CALLBACK_PATH, json=body, headers={"Accept-Encoding": "br"})
    again = client.post(CALLBACK_PATH, json=body, headers={"Accept-Encoding": "br"})
    assert first.status_code == again.status_code == 200 and len(runs) == 1
    assert again.data == first.data and again.headers.get("Content-Encoding") == "br"
    assert "Content-Security-Policy" in again.headers  # the security headers on a kept answer too
    log_in(client)  # the police get their own numbers, computed for them
    police = client.post(CALLBACK_PATH, json=body, headers={"Accept-Encoding": "br"})
    assert police.status_code == 200 and len(runs) == 2


def test_callback_answers_are_encoded_by_the_json_engine_even_where_orjson_is_installed(tmp_path_factory,
                                                                                          shared_store):
    """plotly's encoder (which Dash uses) would pick orjson if it were installed; with Dash components in
    an answer that path re-walks the whole answer in Python (20 % slower per view): the app fixes the
    engine."""
    import plotly.io.json as plotly_json

    from app import create_app

    plotly_json.config.default_engine = "auto"
    try:
        create_app(demo_on_shared(tmp_path_factory, shared_store, "respcache-engine"))
        assert plotly_json.config.default_engine == "json"
    finally:
        plotly_json.config.default_engine = "json"
