"""The small-area columns of /api/v1/districts and the /api/v1/changes endpoint, on a real demo store:
the counts they use are the public ones for the public (no hidden category, confirmed-only once
confirmed), the police see every category."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from kmzb.query import columns, sensitive

from .conftest import app_without_rate_limit, demo_on_shared
from .helpers import log_in

pytestmark = pytest.mark.integration

VIEW = "from=2026-09-01&to=2026-11-24"


@pytest.fixture(scope="module")
def app(tmp_path_factory, shared_store):
    settings = demo_on_shared(tmp_path_factory, shared_store, "smallarea", police=True)
    return app_without_rate_limit(settings)


def rows(client, url):
    r = client.get(url)
    assert r.status_code == 200, r.get_data(as_text=True)
    return pd.DataFrame(r.get_json()["rows"])


def test_districts_carry_smoothed_rate_unstable_and_hotspot(app):
    c = app.server.test_client()
    df = rows(c, f"/api/v1/districts?level=gmina&{VIEW}")
    assert list(df.columns) == columns.DISTRICT
    assert len(df) == 2477
    assert (df["unstable"] == (df["reports"] < 20)).all()
    assert df["reports_per_10k_smoothed"].notna().all()
    # smoothing pulls towards the national rate: less spread than the raw rates
    assert df["reports_per_10k_smoothed"].std() < df["reports_per_10k"].std()
    assert set(df["hotspot"]) <= {"hot_99", "hot_95", "hot_90", "cold_99", "cold_95", "cold_90", "ns", "island"}
    # at 5 % of the national volume the gminas' rates vary no more than chance: all get the national
    # rate, nothing to test (hotspot_p null); the powiats do vary
    assert df["hotspot_p"].dropna().between(0, 1).all()
    powiats = rows(c, f"/api/v1/districts?level=powiat&{VIEW}")
    assert powiats["hotspot_p"].notna().all() and powiats["hotspot_p"].between(0, 1).all()
    # a region picks rows; the statistics are those of the whole level (national prior, neighbours over borders)
    sub = rows(c, f"/api/v1/districts?level=gmina&{VIEW}&teryt=12")
    whole = df.set_index("teryt").loc[sub["teryt"]]
    assert sub["reports_per_10k_smoothed"].tolist() == whole["reports_per_10k_smoothed"].tolist()
    assert sub["hotspot"].tolist() == whole["hotspot"].tolist()
    # the table's CSV (compare) has the same columns
    csv = c.get(f"/api/v1/districts?level=powiat&{VIEW}&compare=previous&format=csv").get_data(as_text=True)
    assert pd.read_csv(io.StringIO(csv)).columns.tolist() == columns.DISTRICT_TABLE


def counts_of(client, level, teryt, category, date_from, date_to):
    df = rows(client, f"/api/v1/districts?level={level}&from={date_from}&to={date_to}&category={category}"
                      f"&teryt={teryt}")
    return int(df.loc[df["teryt"] == teryt, "reports"].iloc[0])


def test_changes_public_counts_match_the_districts_endpoint(app):
    c = app.server.test_client()
    r = c.get(f"/api/v1/changes?level=voivodeship&{VIEW}&compare=previous")
    assert r.status_code == 200
    body = r.get_json()
    df = pd.DataFrame(body["rows"], columns=columns.CHANGES)
    assert len(df) > 0 and (df["p_adjusted"] < 0.05).all()
    assert not set(df["category"]) & set(sensitive.hidden_codes())
    assert body["excluded_categories"]
    for row in df.head(3).itertuples():
        assert row.reports_after == counts_of(c, "voivodeship", row.teryt, row.category, "2026-09-01", "2026-11-24")
        assert row.reports_before == counts_of(c, "voivodeship", row.teryt, row.category, "2026-06-09", "2026-08-31")
        assert (row.rate_ratio > 1) == (row.direction == "rise")
    csv = c.get(f"/api/v1/changes?level=powiat&{VIEW}&format=csv").get_data(as_text=True)
    assert pd.read_csv(io.StringIO(csv), dtype={"teryt": str}).columns.tolist() == columns.CHANGES


def test_changes_for_police_may_name_hidden_categories_and_public_never(app):
    police = app.server.test_client()
    log_in(police)
    hidden = sensitive.hidden_codes()[0]
    url = f"/api/v1/changes?level=voivodeship&from=2026-05-01&to=2026-11-24&compare=previous&category={hidden}"
    assert police.get(url).status_code == 200
    assert app.server.test_client().get(url).status_code == 400


@pytest.mark.parametrize("query", ["level=gmina", "level=gmina&from=2026-09-01", "level=x&" + VIEW,
                                   "compare=month&" + VIEW, "nope=1&" + VIEW])
def test_changes_bad_input_is_400(app, query):
    r = app.server.test_client().get(f"/api/v1/changes?{query}")
    assert r.status_code == 400 and "error" in r.get_json()
