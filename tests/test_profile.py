"""The district profile / debate pack (/profile/<teryt>, .pdf, .xlsx) on a real demo store: its
headline figures equal /api/v1/districts with the same filters, the spreadsheet's numbers the API's,
the PDF's text holds the names with their diacritics and the same figures, the public never sees the
hidden categories or the units' workload, bad input is a clear 404 / 400 page."""

from __future__ import annotations

import io
import re
from datetime import date

import numpy as np
import pandas as pd
import pytest

from kmzb import stats
from kmzb.i18n import fmt_dec, fmt_int
from kmzb.query import profile, sensitive

from .conftest import POLICE_PASSWORD, app_without_rate_limit, demo_on_shared

pytestmark = pytest.mark.integration

VIEW = {"from": "2026-06-01", "to": "2026-08-31"}
Q = "from=2026-06-01&to=2026-08-31"
KRAKOW, LODZ, POWIAT, VOIV = "1261011", "1061011", "1206", "12"
LEVEL = {7: "gmina", 4: "powiat", 2: "voivodeship"}


@pytest.fixture(scope="module")
def app(tmp_path_factory, shared_store):
    settings = demo_on_shared(tmp_path_factory, shared_store, "profile", police=True)
    return app_without_rate_limit(settings)


@pytest.fixture(scope="module")
def client(app):
    return app.server.test_client()


@pytest.fixture(scope="module")
def police(app):
    c = app.server.test_client()
    html = c.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    r = c.post("/login", data={"csrf_token": token, "username": "anna", "password": POLICE_PASSWORD})
    assert r.status_code == 302
    return c


def api_row(client, code: str) -> dict:
    r = client.get(f"/api/v1/districts?level={LEVEL[len(code)]}&teryt={code}&compare=previous&{Q}")
    assert r.status_code == 200, r.get_data(as_text=True)
    (row,) = r.get_json()["rows"]
    return row


def flat(text: str) -> str:
    return re.sub(r"[\s\u00a0\u202f]+", " ", text)


def workbook(client, code: str, lang: str = "pl"):
    from openpyxl import load_workbook

    r = client.get(f"/profile/{code}.xlsx?{Q}&lang={lang}")
    assert r.status_code == 200, r.get_data(as_text=True)[:500]
    assert r.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return load_workbook(io.BytesIO(r.data))


def sheet(wb, name: str) -> pd.DataFrame:
    rows = list(wb[name].iter_rows(min_row=2, values_only=True))
    return pd.DataFrame(rows[1:], columns=rows[0])


# ---------------------------------------------------------------- the page

@pytest.mark.parametrize("code, name", [(KRAKOW, "Kraków (gmina miejska)"), (POWIAT, "powiat krakowski"),
                                        (VOIV, "województwo małopolskie")])
def test_page_shows_the_district_with_the_apis_headline(client, code, name):
    r = client.get(f"/profile/{code}?{Q}")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert f'<h1 id="profile-name">{name}</h1>' in html
    assert '<html lang="pl">' in html and "Najważniejsze liczby" in html
    row = api_row(client, code)
    head = flat(re.search(r'<section class="keep" id="headline">(.*?)</section>', html, re.S).group(1))
    # the district's own column is the first: reports and per 10,000 exactly as the API has them
    reports = re.search(r"<td>Zgłoszenia</td><td>([^<]+)</td>", head).group(1)
    per10k = re.search(r"<td>Zgłoszenia na 10 tys. mieszkańców</td><td>([^<]+)</td>", head).group(1)
    assert reports == flat(fmt_int(row["reports"], "pl"))
    assert per10k == flat(fmt_dec(row["reports_per_10k"], "pl", 1))
    assert row["reports"] > 0
    for part in ('id="threats"', 'id="trend"', 'id="map"', 'id="changes"', 'id="methods"', "<svg"):
        assert part in html
    assert 'id="workload"' not in html  # the public never sees the units' workload


def test_page_in_english_and_its_links(client):
    html = client.get(f"/profile/{KRAKOW}?{Q}&lang=en").get_data(as_text=True)
    assert '<html lang="en">' in html and "Headline figures" in html and "Top threats" in html
    assert "Najważniejsze liczby" not in html
    assert f'href="/profile/{KRAKOW}.pdf?from=2026-06-01&amp;to=2026-08-31&amp;lang=en"' in html
    assert f'href="/profile/{KRAKOW}.xlsx?from=2026-06-01&amp;to=2026-08-31&amp;lang=en"' in html
    assert "/?lang=en&amp;level=gmina&amp;teryt=1261011" in html  # back to the dashboard, on the district


def test_default_period_is_the_last_twelve_complete_months():
    assert profile.default_period(date(2026, 11, 24)) == (date(2025, 11, 1), date(2026, 10, 31))
    assert profile.default_period(date(2026, 10, 31)) == (date(2025, 11, 1), date(2026, 10, 31))
    assert profile.default_period(date(2026, 1, 5)) == (date(2025, 1, 1), date(2025, 12, 31))


def test_default_page_states_its_period(client):
    html = client.get(f"/profile/{KRAKOW}?lang=en").get_data(as_text=True)
    assert "1 Nov 2025 – 31 Oct 2026" in html  # data to 24 Nov 2026: Nov 2025 - Oct 2026
    assert "1 Nov 2024 – 31 Oct 2025" in html  # compared with the 12 months before


def test_poisson_change_is_the_exact_conditional_test():
    from scipy.stats import binomtest

    ratio, p, adj = profile.poisson_change([30, 10, 0, 4], [10, 9, 0, 0], 30, 30)
    assert p[0] == pytest.approx(binomtest(30, 40, 0.5).pvalue) and p[0] < 0.01
    assert p[1] > 0.5 and np.isnan(p[2]) and np.isnan(adj[2])
    assert ratio[0] == pytest.approx(3.0) and np.isinf(ratio[3])
    assert (adj[[0, 1, 3]] >= p[[0, 1, 3]]).all()  # Benjamini-Hochberg never lowers a p-value


@pytest.mark.parametrize("share", [0.5, 366 / 731, 92 / 184, 30 / 61, 0.3])
def test_vectorised_binomial_test_is_scipys_to_the_bit(share):
    from scipy.stats import binomtest

    rng = np.random.default_rng(7)
    pairs = [(0, 1), (1, 0), (0, 0), (3, 3), (13484, 13299), (0, 1000), (1000, 0), (2, 7)]
    for top in (20, 300, 30_000):
        for n in rng.integers(0, top, 60):
            a = int(rng.integers(0, n + 1))
            pairs.append((a, int(n) - a))
    a, b = np.array(pairs).T
    got = stats.binom_two_sided(a, a + b, share)
    want = [binomtest(int(x), int(x + y), share).pvalue if x + y else np.nan for x, y in pairs]
    assert np.array_equal(got, np.array(want), equal_nan=True)


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("path", ["/profile/99", "/profile/1261999", "/profile/abc", "/profile/12345",
                                  "/profile/99.pdf", "/profile/abc.xlsx"])
def test_unknown_district_is_a_clear_404_page(client, path):
    r = client.get(path)
    assert r.status_code == 404 and r.mimetype == "text/html"
    assert "kod" in r.get_data(as_text=True)  # says the code names no district, in Polish


@pytest.mark.parametrize("query", ["from=2026-13-01&to=2026-12-01", "from=2026-06-01&to=yesterday",
                                   "from=2026-08-31&to=2026-06-01", "from=2026-06-01", "level=gmina"])
def test_bad_dates_are_a_clear_400_page(client, query):
    r = client.get(f"/profile/{KRAKOW}?{query}&lang=en")
    assert r.status_code == 400 and r.mimetype == "text/html"
    text = r.get_data(as_text=True)
    assert any(w in text for w in ("date", "after its end", "both", "Unknown parameter"))


# ---------------------------------------------------------------- spreadsheet

def test_spreadsheet_numbers_equal_the_apis(client):
    wb = workbook(client, KRAKOW)
    assert {"profile", "headline", "categories", "trend", "week", "units", "changes_categories",
            "changes_units"} <= set(wb.sheetnames)
    assert "workload" not in wb.sheetnames
    head = sheet(wb, "headline")
    own = head[head["scope"] == "district"].iloc[0]
    row = api_row(client, KRAKOW)
    for col in ("reports", "confirmed", "resolved", "pending", "reports_previous", "change", "population"):
        assert isinstance(own[col], (int, np.integer)) and own[col] == row[col], col
    for col in ("confirmation_rate", "ci_low", "ci_high", "reports_per_10k", "change_pct"):
        assert isinstance(own[col], (float, np.floating)) and own[col] == pytest.approx(row[col]), col
    # the parent powiat and voivodeship rows are theirs in the API too
    for scope, code in (("powiat", "1261"), ("voivodeship", "12")):
        r = head[head["scope"] == scope].iloc[0]
        assert r["reports"] == api_row(client, code)["reports"]
    # the categories are /api/v1/categories for the district, ranked by confirmed reports
    cats = sheet(wb, "categories")
    api = pd.DataFrame(client.get(f"/api/v1/categories?teryt={KRAKOW}&{Q}").get_json()["rows"]).set_index("code")
    for _, c in cats.iterrows():
        assert (c["reports"], c["confirmed"]) == (api.loc[c["code"], "reports"], api.loc[c["code"], "confirmed"])
    assert list(cats["confirmed"]) == sorted(cats["confirmed"], reverse=True)
    assert int(cats["reports"].sum()) == row["reports"]
    # the units: Kraków and its neighbouring gminas, each its API row
    units = sheet(wb, "units").set_index("teryt")
    assert KRAKOW in units.index and "1206113" in units.index  # Wieliczka (gmina miejsko-wiejska) borders it
    gminas = pd.DataFrame(client.get(f"/api/v1/districts?level=gmina&teryt=12&{Q}").get_json()["rows"])
    gminas = gminas.set_index("teryt")
    for code, u in units.iterrows():
        assert u["reports"] == gminas.loc[code, "reports"]


def test_spreadsheet_of_a_powiat_has_its_gminas(client):
    wb = workbook(client, POWIAT, "en")
    units = sheet(wb, "units")
    assert len(units) > 5 and units["teryt"].str.startswith(POWIAT).all()
    assert wb["headline"]["A1"].value == "Headline figures"


# ---------------------------------------------------------------- PDF

@pytest.mark.parametrize("code, name", [(LODZ, "Łódź"), (KRAKOW, "Kraków")])
def test_pdf_holds_the_name_and_the_apis_figures(client, code, name):
    from pypdf import PdfReader

    r = client.get(f"/profile/{code}.pdf?{Q}")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert len(r.data) <= 1.5 * 1024 * 1024
    pdf = PdfReader(io.BytesIO(r.data))
    text = flat("\n".join(page.extract_text() for page in pdf.pages))
    assert f"{name} (gmina miejska)" in text
    row = api_row(client, code)
    assert flat(fmt_int(row["reports"], "pl")) in text
    assert flat(fmt_dec(row["reports_per_10k"], "pl", 1)) in text
    # every font embedded (a subset of DejaVu: all Polish letters)
    fonts = []
    for page in pdf.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            font = font.get_object()
            desc = (font.get("/DescendantFonts") or [font])[0].get_object().get("/FontDescriptor")
            fonts.append((font["/BaseFont"], desc is not None and any(
                k in desc.get_object() for k in ("/FontFile", "/FontFile2", "/FontFile3"))))
    assert fonts and all(embedded for _, embedded in fonts), fonts
    assert all("DejaVu" in str(f) for f, _ in fonts)


# ---------------------------------------------------------------- public and police

def test_public_profile_never_holds_the_hidden_categories(client):
    hidden = set(sensitive.hidden_codes())
    for code in (VOIV, KRAKOW):
        cats = sheet(workbook(client, code), "categories")
        assert not hidden & set(cats["code"])
        html = client.get(f"/profile/{code}?{Q}").get_data(as_text=True)
        threats = re.search(r'id="threats">(.*?)</section>', html, re.S).group(1)
        from kmzb.i18n import category_label

        assert not any(category_label(c, "pl") in threats for c in hidden)
        # the headline equals the sum of the public categories (no hidden report counted in)
        assert sheet(workbook(client, code), "headline").iloc[0]["reports"] == cats["reports"].sum()


def test_police_profile_adds_the_workload_and_every_category(client, police):
    html = police.get(f"/profile/{VOIV}?{Q}").get_data(as_text=True)
    assert 'id="workload"' in html
    wb = workbook(police, VOIV)
    assert "workload" in wb.sheetnames
    work = sheet(wb, "workload")
    assert {"unit", "pending", "pending_median_days", "read_2d_share", "verified_5d_share"} <= set(work.columns)
    assert len(work) > 0
    assert set(sensitive.hidden_codes()) & set(sheet(wb, "categories")["code"])  # the police see them
    # the police headline is the police API's
    r = police.get(f"/api/v1/districts?level=voivodeship&teryt={VOIV}&compare=previous&{Q}").get_json()["rows"][0]
    assert sheet(wb, "headline").iloc[0]["reports"] == r["reports"]
    assert r["reports"] > api_row(client, VOIV)["reports"]


# ---------------------------------------------------------------- the profile's own queries

@pytest.mark.parametrize("audience", ["public", "police"])
def test_profiles_few_passes_give_exactly_the_gateways_numbers(app, audience):
    """The profile reads the period's cells once for every table, one query for the medians and one
    for the series and the heatmap: each equals the gateway's public function it replaces (same
    public rules: no hidden category for the public, confirmed-only ones once confirmed)."""
    from kmzb.query.filters import Filters
    from kmzb.query.queries import previous_period
    from kmzb.teryt import LEVELS, level_of, prefix
    from web.context import gateway

    f = Filters(date_from=date(2026, 6, 1), date_to=date(2026, 8, 31))
    prev = previous_period(f)
    with app.server.test_request_context("/"):
        gw = gateway()
        for code in (KRAKOW, POWIAT, VOIV, LODZ):
            pd.testing.assert_frame_equal(profile.q_categories(gw, f, code, audience),
                                          gw.categories(f.replace(teryt=code), audience))
            medians = profile.q_medians(gw, f, code, audience)
            assert medians["poland"] == gw.totals(f, audience)["median_days_to_verification"]
            for lvl in LEVELS[:LEVELS.index(level_of(code)) + 1]:
                full = gw.district_table(f, lvl, "previous", audience)
                mine = profile.level_table(gw, f, prev, lvl, audience)
                for col in mine.columns:
                    assert np.array_equal(mine[col].to_numpy(), full[col].to_numpy(), equal_nan=col not in (
                        "teryt", "name")), col
                # a parent's row alone, the units of a district alone: the same rows of the whole level
                for within, sub in ((prefix(code, lvl), lvl), (code, LEVELS[min(LEVELS.index(lvl) + 1, 2)])):
                    if len(within) > {"voivodeship": 2, "powiat": 4, "gmina": 7}[sub]:
                        continue
                    part = profile.level_table(gw, f, prev, sub, audience, within)
                    whole = profile.level_table(gw, f, prev, sub, audience)
                    whole = whole[whole["teryt"].str.startswith(within)].reset_index(drop=True)
                    assert len(part) > 0
                    pd.testing.assert_frame_equal(part, whole)
                want = full.set_index("teryt").loc[prefix(code, lvl), "median_days_to_verification"]
                assert medians[lvl] == pytest.approx(want, nan_ok=True)
            for period in (f, Filters(date_from=date(2024, 2, 3), date_to=date(2026, 7, 17))):
                series_from = date(2024, 9, 1)  # after the period's start, and before it
                months, monthly, week = profile.q_series_and_week(gw, period, code, series_from, audience)
                ts = gw.timeseries(Filters(date_from=series_from, date_to=period.date_to, teryt=code), "month",
                                   audience)
                assert [m.isoformat() for m in months] == list(ts["period"])
                assert list(monthly["reports"]) == list(ts["reports"]) and sum(monthly["reports"]) > 0
                assert list(monthly["confirmed"]) == list(ts["confirmed"])
                pd.testing.assert_frame_equal(week, gw.week_heatmap(period.replace(teryt=code), audience))
                assert week["reports"].sum() > 0
