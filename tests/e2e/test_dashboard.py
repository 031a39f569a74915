"""The dashboard in headless Chromium against the real server (a subprocess on a free port),
on deterministic demo data built in a temporary directory."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from urllib.parse import parse_qs, urlparse

import pandas as pd
import pytest
import requests
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from dashboard import ids
from tests.browser import GRIDS, callbacks_idle, grids_created, kept_chrome, wait

pytestmark = pytest.mark.e2e


@pytest.fixture
def browser(tmp_path):
    d = kept_chrome(1366, 900, download_dir=str(tmp_path))
    d.download_dir = tmp_path
    return d


def number(text: str) -> int:
    return int(re.sub(r"[^\d-]", "", text.replace("−", "-")))


def kpi_reports(d) -> int | None:
    t = d.find_element(By.ID, "kpi-reports").text
    return number(t) if re.search(r"\d", t) else None


def ready(d) -> None:
    """Page rendered: KPIs filled, map drawn, grid filled, no callback pending."""
    wait(d, lambda x: kpi_reports(x) is not None, msg="KPI never filled")
    wait(d, lambda x: len(x.find_elements(By.CSS_SELECTOR, "path.leaflet-interactive")) > 0, msg="map not drawn")
    wait(d, lambda x: callbacks_idle(x) and x.execute_script(
        "return !document.querySelector('[data-dash-is-loading=\"true\"]')"), msg="still loading")
    wait(d, grids_created, msg="the grids were not created")
    wait(d, callbacks_idle, msg="still loading")


def search_of(d) -> dict:
    return parse_qs(urlparse(d.current_url).query)


def api(server, path, **params) -> pd.DataFrame:
    r = requests.get(server.url + path, params={**params, "format": "csv"}, timeout=30)
    assert r.status_code == 200, r.text
    return pd.read_csv(io.StringIO(r.text), dtype={"teryt": str})


def total(server, **params) -> int:
    """The KPI's number as the API has it: the sum of the per-category rows (for the public,
    a hidden category with 1-4 reports in the selection is left out, in both)."""
    return int(api(server, "/api/v1/categories", **params)["reports"].fillna(0).sum())


def last90(server) -> dict:
    meta = requests.get(server.url + "/api/v1/meta", timeout=10).json()
    end = date.fromisoformat(meta["date_to"])
    return {"from": (end - timedelta(days=89)).isoformat(), "to": end.isoformat()}


def grid(d) -> dict:
    return d.execute_script("""
        const api = dash_ag_grid.getApi('district-table');
        let n = 0, reports = 0, teryt = [];
        api.forEachNodeAfterFilterAndSort(node => { n += 1; reports += node.data.reports; teryt.push(node.data.teryt); });
        return {n: n, reports: reports, teryt: teryt};
    """)


def js_click(d, el) -> None:
    d.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].click();", el)


def choose(d, dropdown_id: str, text: str) -> None:
    """Open a dropdown, search, and pick the option holding `text` (options may be re-rendered
    while the server answers the search, hence the retry on stale elements)."""
    js_click(d, d.find_element(By.ID, dropdown_id))
    box = wait(d, lambda x: x.find_element(By.CSS_SELECTOR, ".dash-dropdown-content input.dash-dropdown-search"))
    box.send_keys(text)

    def pick(x):
        try:
            for o in x.find_elements(By.CSS_SELECTOR, ".dash-dropdown-content [role=option]"):
                if text in o.text:
                    js_click(x, o)
                    return True
        except StaleElementReferenceException:
            return False
        return False

    wait(d, callbacks_idle, msg="the search's options never settled")
    wait(d, pick, msg=f"no option {text!r}")
    try:
        box.send_keys(Keys.ESCAPE)
    except StaleElementReferenceException:
        pass


def fills(d) -> list:
    return d.execute_script(
        "return Array.from(document.querySelectorAll('path.leaflet-interactive')).map(p => p.getAttribute('fill'))")


def severe_logs(d) -> list:
    return [e for e in d.get_log("browser") if e["level"] == "SEVERE"]


CHARTS = (ids.CHART_TIMELINE, ids.CHART_CATEGORIES, ids.CHART_RANKED, ids.CHART_SPEED, ids.CHART_HEATMAP)

# notes, for each grid, how many of the five charts were drawn with their data when the grid appeared
WATCH_GRIDS_JS = """
window.__grids = {};
new MutationObserver(function () {
  %s.forEach(function (id) {
    if (id in window.__grids || !document.getElementById(id)) return;
    window.__grids[id] = %s.filter(function (c) {
      var gd = document.querySelector('#' + c + ' .js-plotly-plot');
      return !!(gd && gd.querySelector('.main-svg') && gd.data && gd.data.length);
    }).length;
  });
}).observe(document, {childList: true, subtree: true});
""" % (list(GRIDS), list(CHARTS))


def test_page_loads_without_console_errors_and_matches_the_api(server, browser):
    watch = browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": WATCH_GRIDS_JS})
    try:
        browser.get(server.url + "/")
        ready(browser)
    finally:
        browser.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": watch["identifier"]})
    assert severe_logs(browser) == []
    # the grids below the charts are created only once the five charts are drawn (issue 13: the first
    # draw), without scrolling to them (dashboard.lazy)
    assert browser.execute_script("return window.__grids") == {g: len(CHARTS) for g in GRIDS}
    assert browser.find_elements(By.CSS_SELECTOR, "#sensitive-table .ag-row")
    rng = last90(server)
    api_rows = api(server, "/api/v1/districts", level="voivodeship", **rng)
    assert kpi_reports(browser) == total(server, **rng)
    g = grid(browser)
    assert g["n"] == 16 and g["reports"] == api_rows["reports"].sum()
    assert len(browser.find_elements(By.CSS_SELECTOR, "path.leaflet-interactive")) == 16
    assert "Krajowa Mapa Zagrożeń" in browser.find_element(By.TAG_NAME, "h1").text
    # the geometry came as a static, cache-forever file; the callbacks never carried it
    geo_url = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name).filter(n => n.includes('/geo/'))")
    assert geo_url and re.search(r"/geo/voivodeship\.[0-9a-f]{8}\.geojson$", geo_url[0])
    head = requests.head(geo_url[0], timeout=10)
    assert "immutable" in head.headers["Cache-Control"]


def test_choosing_a_category_changes_map_kpis_and_table_consistently(server, browser):
    browser.get(server.url + "/?level=powiat")
    ready(browser)
    before_kpi, before_fills = kpi_reports(browser), fills(browser)
    choose(browser, "f-categories", "Wypalanie")
    wait(browser, lambda d: search_of(d).get("category") == ["wypalanie-traw"], msg="URL did not follow")
    wait(browser, lambda d: kpi_reports(d) != before_kpi, msg="KPI did not change")
    ready(browser)
    rng = last90(server)
    rows = api(server, "/api/v1/districts", level="powiat", category="wypalanie-traw", **rng)
    assert kpi_reports(browser) == total(server, category="wypalanie-traw", **rng) < before_kpi
    g = grid(browser)
    assert g["n"] == 380 and g["reports"] == rows["reports"].sum()
    assert fills(browser) != before_fills
    legend = browser.find_element(By.ID, "map-legend").text
    top = number(legend.strip().splitlines()[-1].split("–")[-1])
    assert top == rows["reports"].max()  # the last class ends at the largest district value


def test_drill_down_and_back_up(server, browser):
    browser.get(server.url + "/")
    ready(browser)
    target = browser.find_element(By.CSS_SELECTOR, "path.d-12")  # małopolskie
    ActionChains(browser).move_to_element(target).perform()
    tip = wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, ".leaflet-tooltip"), msg="no hover tooltip")
    assert "małopolskie" in tip.text and re.search(r"\d", tip.text)  # name, value and count on hover
    ActionChains(browser).move_to_element(target).click().perform()
    wait(browser, lambda d: search_of(d).get("teryt") == ["12"], msg="drill-down did not set teryt")
    wait(browser, lambda d: grid(d)["n"] == 22, msg="table did not follow to małopolskie's 22 powiats")
    ready(browser)
    rng = last90(server)
    rows = api(server, "/api/v1/districts", level="powiat", teryt="12", **rng)
    assert sorted(grid(browser)["teryt"]) == sorted(rows["teryt"])
    assert kpi_reports(browser) == total(server, teryt="12", **rng)
    crumbs = browser.find_element(By.ID, "breadcrumb").text
    assert "Polska" in crumbs and "małopolskie" in crumbs
    js_click(browser, browser.find_element(By.XPATH, "//div[@id='breadcrumb']//button[contains(., 'Polska')]"))
    wait(browser, lambda d: "teryt" not in search_of(d), msg="breadcrumb did not go back up")
    wait(browser, lambda d: grid(d)["n"] == 16)


def test_csv_download_equals_the_api(server, browser):
    # English page: the "data" format (the API's CSV) by default; Polish pages default to the spreadsheet
    # format (tests/e2e/test_locale_browser.py)
    browser.get(server.url + "/?lang=en&level=powiat&category=przekraczanie-dozwolonej-predkosci")
    ready(browser)
    js_click(browser, browser.find_element(By.ID, "table-download-btn"))
    rng = last90(server)
    target = browser.download_dir / f"kmzb_powiats_poland_{rng['from']}_{rng['to']}_data.csv"
    wait(browser, lambda d: target.exists() and target.stat().st_size > 0, msg="no download")
    got = target.read_text(encoding="utf-8")
    want = requests.get(server.url + "/api/v1/districts", timeout=30, params={
        "level": "powiat", "category": "przekraczanie-dozwolonej-predkosci", "compare": "previous",
        "format": "csv", **rng}).text
    # the grid sorts by reports (descending); same rows, same values
    g = pd.read_csv(io.StringIO(got), dtype={"teryt": str})
    w = pd.read_csv(io.StringIO(want), dtype={"teryt": str})
    assert list(g.columns) == list(w.columns)
    pd.testing.assert_frame_equal(g.sort_values("teryt").reset_index(drop=True), w.reset_index(drop=True))
    assert list(g["teryt"]) == grid(browser)["teryt"]  # exactly the rows shown, in their order


def test_url_round_trip_and_back_forward(server, browser):
    url = (server.url + "/?lang=en&level=powiat&metric=rate&teryt=24&preset=30d&compare=year"
           "&category=nieprawidlowe-parkowanie,przekraczanie-dozwolonej-predkosci&source=internet")
    browser.get(url)
    ready(browser)
    assert browser.find_element(By.CSS_SELECTOR, "#f-preset").text.strip().startswith("Last 30 days")
    chips = browser.find_element(By.ID, "f-categories").text
    assert "Illegal parking" in chips and "2 selected" in chips
    assert browser.find_element(By.CSS_SELECTOR, "#map-metric input[value='rate']").is_selected()
    assert browser.find_element(By.CSS_SELECTOR, "#f-sources input[value='internet']").is_selected()
    assert "śląskie" in browser.find_element(By.ID, "breadcrumb").text
    g = grid(browser)
    assert g["n"] == 36 and all(t.startswith("24") for t in g["teryt"])
    state = search_of(browser)
    # change the metric: a new history entry; back restores the old view, forward the new one
    browser.find_element(By.CSS_SELECTOR, "#map-metric input[value='reports']").click()
    wait(browser, lambda d: "metric" not in search_of(d))
    browser.back()
    wait(browser, lambda d: search_of(d) == state, msg="back did not restore the URL")
    wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "#map-metric input[value='rate']").is_selected())
    browser.forward()
    wait(browser, lambda d: "metric" not in search_of(d))
    wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "#map-metric input[value='reports']").is_selected())


def test_two_browsers_never_see_each_others_filters(server, browser, tmp_path):
    other = kept_chrome(1400, 900)  # another browser (its own cookies and storage), kept for later tests
    browser.get(server.url + "/?category=wypalanie-traw")
    other.get(server.url + "/?category=nieprawidlowe-parkowanie")
    ready(browser)
    ready(other)
    a, b = kpi_reports(browser), kpi_reports(other)
    rng = last90(server)
    assert a == total(server, category="wypalanie-traw", **rng)
    assert b == total(server, category="nieprawidlowe-parkowanie", **rng)
    # a change in one browser leaves the other alone
    js_click(browser, browser.find_element(By.ID, "f-reset"))
    wait(browser, lambda d: kpi_reports(d) != a)
    other.refresh()
    ready(other)
    assert kpi_reports(other) == b


def test_smoothed_rates_and_hotspots_change_the_fills_and_the_legend(server, browser):
    """Issue 11 on screen: switching the map to smoothed rates and to hotspots redraws the districts
    and the legend says what it shows (PL)."""
    browser.get(server.url + "/?level=powiat&metric=per10k&preset=all")
    ready(browser)
    shown = {"per10k": (fills(browser), browser.find_element(By.ID, "map-legend").text)}
    for metric in ("smoothed", "hotspots"):
        radio = browser.find_element(By.CSS_SELECTOR, f"#map-metric input[value='{metric}']")
        browser.execute_script("arguments[0].click()", radio)
        wait(browser, lambda d, m=metric: search_of(d).get("metric") == [m], msg=f"URL did not follow {metric}")
        wait(browser, lambda d, m=metric: browser.find_element(By.ID, "map-legend").text not in
             [legend for _, legend in shown.values()], msg=f"legend did not change for {metric}")
        ready(browser)
        shown[metric] = (fills(browser), browser.find_element(By.ID, "map-legend").text)
    assert shown["smoothed"][0] != shown["per10k"][0] or shown["smoothed"][1] != shown["per10k"][1]
    assert shown["hotspots"][0] != shown["smoothed"][0]
    legend = shown["hotspots"][1].lower()
    assert "gorąc" in legend or "hot" in legend  # the classes say what they mean
    assert "wygładz" in shown["smoothed"][1].lower() or "smooth" in shown["smoothed"][1].lower()
