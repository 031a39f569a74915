"""The dashboard's charts get plotly.js's cartesian partial bundle at the URL Dash's renderer asks for."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration


def test_plotly_url_serves_the_cartesian_bundle_of_the_installed_version(settings):
    from plotly.offline import get_plotlyjs_version

    from app import create_app
    from web.plotlyjs import PLOTLY_URL, bundle_version

    assert bundle_version() == get_plotlyjs_version()  # else the full bundle would be served
    client = create_app(settings).server.test_client()
    r = client.get(PLOTLY_URL)
    assert r.status_code == 200 and r.mimetype == "text/javascript"
    assert b"plotly.js (cartesian - minified) v" + get_plotlyjs_version().encode() in r.data[:200]
    assert len(r.data) < 2_000_000  # the full bundle is 4.8 MB


def test_a_bundle_of_another_version_is_not_served(settings, monkeypatch, tmp_path):
    from web import plotlyjs

    fake = tmp_path / plotlyjs.BUNDLE
    fake.write_text("/**\n* plotly.js (cartesian - minified) v0.0.1\n*/\n")
    monkeypatch.setattr(plotlyjs, "VENDOR", tmp_path)
    monkeypatch.setattr(plotlyjs, "bundle_version", lambda path=fake: "0.0.1")
    from flask import Flask

    server = Flask(__name__)
    assert plotlyjs.init_plotlyjs(server) is False
    assert plotlyjs.PLOTLY_URL not in {r.rule for r in server.url_map.iter_rules()}
