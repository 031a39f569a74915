"""The dashboard in Polish through and through (issue 12 A): the spreadsheet CSV and its file name, the
page's title and language, the charts' toolbar config, the grids' Polish texts and number formatters,
compressed and long-cached responses."""

from __future__ import annotations

import gzip
import io
import json
import re

import brotli
import numpy as np
import pandas as pd
import pytest

from callbacks import views
from dashboard import ids
from dashboard.figures import png_config
from dashboard.grid_locale import locale_text
from dashboard.sheet import ascii_slug, file_name, headers
from dashboard.state import from_query
from kmzb.query import columns
from tests.conftest import demo_on_shared
from web.compression import versioned

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def app_ctx(tmp_path_factory, shared_store):
    settings = demo_on_shared(tmp_path_factory, shared_store, "locale")
    from app import create_app

    app = create_app(settings)
    with app.server.test_request_context():
        yield app, app.server.extensions["kmzb_gateway"], app.server.test_client()


def api_rows(client, **params) -> pd.DataFrame:
    r = client.get("/api/v1/districts", query_string=params)
    assert r.status_code == 200, r.get_json()
    return pd.DataFrame(r.get_json()["rows"])


def download(client, search: str, fmt: str | None) -> dict:
    """The table's CSV download as the browser asks for it (the Dash callback over HTTP)."""
    body = {"output": f"{ids.TABLE_DOWNLOAD}.data", "outputs": {"id": ids.TABLE_DOWNLOAD, "property": "data"},
            "inputs": [{"id": ids.TABLE_DOWNLOAD_BTN, "property": "n_clicks", "value": 1}],
            "state": [{"id": ids.URL, "property": "search", "value": search},
                      {"id": ids.TABLE, "property": "virtualRowData", "value": None},
                      {"id": ids.TABLE_CSV_FORMAT, "property": "value", "value": fmt}],
            "changedPropIds": [f"{ids.TABLE_DOWNLOAD_BTN}.n_clicks"]}
    r = client.post("/_dash-update-component", json=body)
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    return r.get_json()["response"][ids.TABLE_DOWNLOAD]["data"]


def test_polish_csv_reads_in_a_polish_spreadsheet_and_equals_the_api(app_ctx):
    _, gw, client = app_ctx
    search = "?level=powiat&teryt=12&preset=90d&compare=previous"
    d = download(client, search, "sheet")
    f = views.view_filters(gw, from_query(search))
    lo, hi = f.date_from.isoformat(), f.date_to.isoformat()
    assert d["filename"] == f"kmzb_powiaty_malopolskie_{lo}_{hi}.csv"
    raw = d["content"].encode("utf-8")  # what the browser writes to disk
    assert raw.startswith(b"\xef\xbb\xbf")
    got = pd.read_csv(io.BytesIO(raw), sep=";", decimal=",", encoding="utf-8-sig", dtype={"TERYT": str})
    h = headers("pl")
    known = [c for c in got.columns if c in set(h.values())]  # (a column added later keeps its code name)
    assert known == [h[c] for c in columns.DISTRICT_TABLE if c in h] and len(known) == len(h)
    assert "Odsetek potwierdzonych (%)" in got.columns and "Najczęstsza kategoria" in got.columns
    want = api_rows(client, level="powiat", teryt="12", compare="previous", **{"from": lo, "to": hi})
    assert len(want) == 22
    got = got.set_index(h["teryt"]).loc[want["teryt"]]
    for col in ("population", "reports", "confirmed", "pending", "resolved", "reports_previous", "change"):
        assert (got[h[col]].to_numpy() == want[col].to_numpy()).all(), col
    for col in ("confirmation_rate", "ci_low", "ci_high", "change_pct"):  # fractions -> % to 1 decimal
        w = pd.to_numeric(want[col]).to_numpy(dtype=float) * 100
        g = got[h[col]].to_numpy(dtype=float)
        assert np.allclose(g, w, atol=0.05 + 1e-9, equal_nan=True), col
    assert np.allclose(got[h["reports_per_10k"]].to_numpy(dtype=float),
                       pd.to_numeric(want["reports_per_10k"]).to_numpy(dtype=float), atol=0.05 + 1e-9)
    labels = set(got[h["top_category"]].dropna())
    assert labels and not any(re.fullmatch(r"[a-z-]+", x) for x in labels)  # names, not codes
    assert "Nieprawidłowe parkowanie" in labels or "Przekraczanie dozwolonej prędkości" in labels


def test_english_default_stays_the_apis_csv_and_english_sheet_uses_commas(app_ctx):
    _, gw, client = app_ctx
    search = "?lang=en&level=voivodeship&preset=30d"
    data = download(client, search, None)  # no choice sent: the language's default (English: the API's)
    f = views.view_filters(gw, from_query(search))
    lo, hi = f.date_from.isoformat(), f.date_to.isoformat()
    assert data["filename"] == f"kmzb_voivodeships_poland_{lo}_{hi}_data.csv"
    api = client.get("/api/v1/districts", query_string={"level": "voivodeship", "compare": "previous",
                                                         "format": "csv", "from": lo, "to": hi})
    assert data["content"] == api.get_data(as_text=True)  # the API's CSV is unchanged and equal
    sheet = download(client, search, "sheet")["content"]
    got = pd.read_csv(io.StringIO(sheet.lstrip("\ufeff")), sep=",", dtype={"TERYT": str})
    assert "Confirmation rate (%)" in got.columns and len(got) == 16
    assert download(client, "?level=voivodeship&preset=30d", None)["content"].startswith("\ufeff")  # pl default


def test_file_names_are_ascii_and_name_the_region_and_period():
    assert ascii_slug("Łódź-Widzew (miasto)") == "lodz-widzew-miasto"
    assert ascii_slug("małopolskie") == "malopolskie"
    assert file_name("gmina", "małopolskie", "2026-08-27", "2026-11-24", "pl", "sheet") == \
        "kmzb_gminy_malopolskie_2026-08-27_2026-11-24.csv"
    assert file_name("powiat", None, "2026-08-27", "2026-11-24", "en", "data") == \
        "kmzb_powiats_poland_2026-08-27_2026-11-24_data.csv"


def test_page_title_and_html_lang_follow_the_language(app_ctx):
    _, _, client = app_ctx
    for q, lang, title in (("/", "pl", "KMZB — analiza zagrożeń"), ("/?lang=en", "en", "KMZB — threat analytics")):
        html = client.get(q).get_data(as_text=True)
        assert f'<html lang="{lang}">' in html and f"<title>{title}</title>" in html


def test_chart_config_has_no_cloud_and_the_toolbar_speaks_the_language():
    for lang in ("pl", "en"):
        c = png_config("x", lang)
        assert c["displaylogo"] is False and c["showSendToCloud"] is False and c["showEditInChartStudio"] is False
        assert "sendDataToCloud" in c["modeBarButtonsToRemove"]
        assert c["locale"] == lang
    assert png_config("kmzb_chart")["toImageButtonOptions"]["filename"] == "kmzb_chart"


def test_grids_get_polish_texts_and_language_formatters():
    from dashboard.layout import sensitive_card, table_card

    pl = json.dumps(table_card("pl").to_plotly_json(), default=lambda o: o.to_plotly_json())
    assert '"pageSizeSelectorLabel": "Rozmiar strony:"' in pl and "kmzbNum(params.value, 'pl', 0)" in pl
    assert "d3.format" not in pl
    en = json.dumps(sensitive_card("en").to_plotly_json(), default=lambda o: o.to_plotly_json())
    assert "kmzbPct(params.value, 'en', 1)" in en and "Rozmiar" not in en
    assert locale_text("pl")["contains"] == "Zawiera" and locale_text("en") == {}


def test_responses_are_compressed_and_versioned_files_cached_for_a_year(app_ctx):
    _, _, client = app_ctx
    page = client.get("/", headers={"Accept-Encoding": "br, gzip"})
    assert page.headers["Content-Encoding"] == "br" and "Accept-Encoding" in page.headers["Vary"]
    html = brotli.decompress(page.data).decode()
    scripts = re.findall(r'src="(/[^"]+)"', html)
    suite = next(s for s in scripts if s.startswith("/_dash-component-suites/") and "dash_renderer" in s)
    asset = next(s for s in scripts if s.startswith("/assets/kmzb_locale.js?m="))
    for url in (suite, asset):
        r = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert r.headers["Content-Encoding"] == "gzip", url
        assert r.headers["Cache-Control"] == "public, max-age=31536000, immutable", url
        assert len(gzip.decompress(r.data)) > len(r.data)
        again = client.get(url, headers={"Accept-Encoding": "gzip"})  # served from the compressed copy
        assert again.data == r.data
    api = client.get("/api/v1/districts?level=powiat", headers={"Accept-Encoding": "br"})
    assert api.headers["Content-Encoding"] == "br" and json.loads(brotli.decompress(api.data))["rows"]
    assert "immutable" not in api.headers.get("Cache-Control", "")
    plain = client.get("/api/v1/districts?level=powiat")  # a client that asks for nothing gets plain JSON
    assert "Content-Encoding" not in plain.headers and plain.get_json()["rows"]
    assert versioned("/geo/gmina.e1d386c3.geojson", {}) and not versioned("/assets/kmzb.css", {})
    assert not versioned("/_dash-component-suites/dash/dcc/dash_core_components.js", {})
