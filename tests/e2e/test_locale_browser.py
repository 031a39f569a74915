"""Polish through and through in headless Chromium (issue 12 A): the grid's numbers and its own texts,
the charts' toolbar (no cloud button, Polish tooltips), the page title, the Polish spreadsheet CSV,
compressed responses. The date picker's calendar in both languages: tests/e2e/test_language_switch.py;
the English grid: tests/e2e/test_profile_browser.py."""

from __future__ import annotations

import re

import pandas as pd
import pytest
import requests
from selenium.webdriver.common.by import By

from tests.browser import kept_chrome, wait
from tests.e2e.test_dashboard import js_click, ready

pytestmark = pytest.mark.e2e
NBSP = "\u00a0"


@pytest.fixture
def browser(tmp_path):
    d = kept_chrome(1400, 900, download_dir=str(tmp_path))
    d.download_dir = tmp_path
    return d


def cells(d, table: str, col: str) -> list[str]:
    return [e.get_attribute("textContent") for e in
            d.find_elements(By.CSS_SELECTOR, f"#{table} .ag-center-cols-container [col-id='{col}']")]


def test_polish_grid_numbers_texts_chart_toolbar_and_spreadsheet_csv(server, browser):
    browser.get(server.url + "/?level=voivodeship&preset=all")
    ready(browser)
    assert browser.title == "KMZB — analiza zagrożeń"
    wait(browser, lambda d: len(cells(d, "district-table", "population")) == 16, msg="grid not filled")
    pop = cells(browser, "district-table", "population")
    assert all(re.fullmatch(r"\d{1,3}(\u00a0\d{3})+", p) for p in pop), pop  # "5 425 830": grouped, no commas
    reports = cells(browser, "district-table", "reports")
    assert any(NBSP in r for r in reports) and not any("," in r for r in reports), reports
    rate = cells(browser, "district-table", "confirmation_rate")
    assert all(re.fullmatch(r"\d{1,3},\d%", r) for r in rate), rate  # "56,4%"
    per10k = cells(browser, "district-table", "reports_per_10k")
    assert all(re.fullmatch(r"[\d\u00a0]+,\d", p) for p in per10k), per10k  # always 1 decimal
    paging = browser.find_element(By.CSS_SELECTOR, "#district-table .ag-paging-panel").text
    assert "Rozmiar strony" in paging and "Strona" in paging and " z " in paging, paging
    assert "Page Size" not in paging and " of " not in paging
    # the charts' toolbar on the same page: no cloud, in Polish
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#chart-timeline .modebar-btn"), msg="no modebar")
    titles = browser.execute_script(
        "return Array.from(document.querySelectorAll('.js-plotly-plot .modebar-btn'))"
        ".map(b => [b.getAttribute('data-title'), b.getAttribute('data-attr') || '', b.getAttribute('href') || ''])")
    flat = " ".join(" ".join(t) for t in titles)
    assert "cloud" not in flat.lower() and "Chart Studio" not in flat and "plotly.com" not in flat.lower()
    assert not browser.find_elements(By.CSS_SELECTOR, ".modebar-btn--logo")
    assert "Pobierz wykres jako PNG" in [t[0] for t in titles], titles

    # and the table's CSV, for a Polish spreadsheet by default (";" and decimal commas), equals the API
    assert browser.find_element(By.ID, "table-csv-format").get_attribute("value") == "sheet"
    js_click(browser, browser.find_element(By.ID, "table-download-btn"))
    meta = requests.get(server.url + "/api/v1/meta", timeout=10).json()
    rng = {"from": meta["date_from"], "to": meta["date_to"]}  # preset=all: the data's whole range
    target = browser.download_dir / f"kmzb_wojewodztwa_polska_{rng['from']}_{rng['to']}.csv"
    wait(browser, lambda d: target.exists() and target.stat().st_size > 0, msg=f"no {target.name}")
    got = pd.read_csv(target, sep=";", decimal=",", encoding="utf-8-sig", dtype={"TERYT": str}).set_index("TERYT")
    want = requests.get(server.url + "/api/v1/districts", timeout=30, params={
        "level": "voivodeship", "compare": "previous", **rng}).json()["rows"]
    assert len(got) == len(want) == 16
    for w in want:
        row = got.loc[w["teryt"]]
        assert row["Zgłoszenia"] == w["reports"] and row["Ludność"] == w["population"]
        if w["confirmation_rate"] is not None:
            assert abs(row["Odsetek potwierdzonych (%)"] - 100 * w["confirmation_rate"]) <= 0.05 + 1e-9


def test_responses_are_compressed(server):
    page = requests.get(server.url + "/", headers={"Accept-Encoding": "br, gzip"}, timeout=30)
    assert page.headers["Content-Encoding"] == "br"
    js = re.search(r'src="(/_dash-component-suites/[^"]+dash_renderer[^"]+)"', page.text).group(1)
    r = requests.get(server.url + js, headers={"Accept-Encoding": "gzip"}, timeout=30)
    assert r.headers["Content-Encoding"] == "gzip" and "immutable" in r.headers["Cache-Control"]
    assert int(r.headers["Content-Length"]) < len(r.content) / 2  # sent compressed, decoded here
