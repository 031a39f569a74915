"""The language switch re-renders the page in place (callbacks/language.py): no reload, every filter and the
selected district kept, and everything in the new language — texts, numbers (decimal comma or point), the
grid's own texts and numbers, the charts' toolbar, the date picker, <title> and <html lang> — and it passes
axe at desktop and phone width. Back and forward across a switch re-render the page in the URL's language
too."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.browser import kept_chrome, wait
from tests.e2e.test_a11y import PHONE, axe, browser_at
from tests.e2e.test_a11y import ready as a11y_ready
from tests.e2e.test_dashboard import (
    js_click,
    kpi_reports,
    ready,
    search_of,
    severe_logs,
)

pytestmark = pytest.mark.e2e

VIEW = "/?level=gmina&teryt=1261&preset=all&compare=year"
NOT_RELOADED = "return window.__kmzbMarker === 1"


@pytest.fixture
def browser():
    return kept_chrome(1366, 900)


def text(d, css: str) -> str:
    return d.execute_script("const e = document.querySelector(arguments[0]); return e ? e.textContent : ''", css)


def cells(d, col: str) -> list[str]:
    return d.execute_script(
        "return Array.from(document.querySelectorAll(`#district-table .ag-center-cols-container [col-id='${arguments[0]}']`))"
        ".map(e => e.textContent)", col)


def switch(d, heading: str) -> None:
    js_click(d, d.find_element(By.ID, "lang-link"))
    wait(d, lambda x: heading in text(x, "h1"), msg=f"the page never said {heading!r}")
    ready(d)


def toolbar_titles(d) -> list[str]:
    wait(d, lambda x: x.find_elements(By.CSS_SELECTOR, "#chart-timeline .modebar-btn"), msg="no chart toolbar")
    return d.execute_script("return Array.from(document.querySelectorAll('#chart-timeline .modebar-btn'))"
                            ".map(b => b.getAttribute('data-title'))")


def calendar_text(d) -> str:
    js_click(d, d.find_element(By.ID, "f-dates"))
    cal = wait(d, lambda x: next((e for e in x.find_elements(By.CSS_SELECTOR, ".dash-datepicker-content")
                                  if e.is_displayed()), None), msg="the calendar did not open")
    out = cal.get_attribute("textContent")
    ActionChains(d).send_keys(Keys.ESCAPE).perform()  # close it
    return out


def assert_polish(d) -> None:
    assert d.title == "KMZB — analiza zagrożeń"
    assert d.execute_script("return document.documentElement.lang") == "pl"
    assert "Krajowa Mapa Zagrożeń" in text(d, "h1") and "Filtry" in text(d, "#filters-heading")
    assert re.search(r"\d,\d%", text(d, "#kpi-rate")), text(d, "#kpi-rate")  # decimal comma
    wait(d, lambda x: len(cells(x, "population")) > 0, msg="grid not filled")
    assert all(re.fullmatch(r"\d{1,3}(\u00a0\d{3})*", p) for p in cells(d, "population")), cells(d, "population")
    assert all(re.fullmatch(r"–|\d{1,3},\d%", r) for r in cells(d, "confirmation_rate")), cells(d, "confirmation_rate")
    paging = text(d, "#district-table .ag-paging-panel")
    assert "Rozmiar strony" in paging and "Page Size" not in paging, paging
    assert "Pobierz wykres jako PNG" in toolbar_titles(d)
    assert d.find_element(By.ID, "lang-link").text == "EN"


def assert_english(d) -> None:
    assert d.title == "KMZB — threat analytics"
    assert d.execute_script("return document.documentElement.lang") == "en"
    assert "National Map of Security Threats" in text(d, "h1") and "Filters" in text(d, "#filters-heading")
    assert re.search(r"\d\.\d%", text(d, "#kpi-rate")) and not re.search(r"\d,\d%", text(d, "#kpi-rate"))
    wait(d, lambda x: len(cells(x, "population")) > 0 and "," in "".join(cells(x, "population")),
         msg="grid not filled in English")
    assert all(re.fullmatch(r"\d{1,3}(,\d{3})*", p) for p in cells(d, "population")), cells(d, "population")
    assert all(re.fullmatch(r"–|\d{1,3}\.\d%", r) for r in cells(d, "confirmation_rate")), cells(d, "confirmation_rate")
    paging = text(d, "#district-table .ag-paging-panel")
    assert "Page Size" in paging and "Rozmiar strony" not in paging, paging
    assert "Download plot as a PNG" in toolbar_titles(d)
    assert d.find_element(By.ID, "lang-link").text == "PL"


def test_language_switch_rerenders_in_place_keeping_the_view(server, browser):
    d = browser
    d.get(server.url + VIEW)
    ready(d)
    # a filter changed on the page, after it loaded: the switch keeps it too
    js_click(d, d.find_element(By.CSS_SELECTOR, "#f-outcomes input[value='confirmed']"))
    wait(d, lambda x: search_of(x).get("outcome") == ["confirmed"])
    ready(d)
    assert_polish(d)
    view = search_of(d)
    reports = kpi_reports(d)
    cal = calendar_text(d)  # Polish weekdays and month names
    assert "pn" in cal and "śr" in cal and "Mo" not in cal and "We" not in cal, cal[:300]
    assert re.search(r"(stycze|luty|marzec|kwiecie|maj|czerwiec|lipiec|sierpie|wrzesie|październik|listopad|grudzie)",
                     cal), cal[:300]
    d.execute_script("window.__kmzbMarker = 1")

    switch(d, "National Map of Security Threats")
    assert d.execute_script(NOT_RELOADED), "the page was reloaded"
    a11y_ready(d)  # (each grid brought into view once, as AG Grid renders its rows on screen)
    found = axe(d)  # the page re-rendered in English passes axe (WCAG 2.1 AA) at desktop width
    assert found == [], found
    assert d.switch_to.active_element.get_attribute("id") == "lang-link"  # focus stays on the (new) switch
    assert search_of(d) == {**view, "lang": ["en"]}  # every filter and the district, and the language
    assert_english(d)
    assert kpi_reports(d) == reports
    assert d.find_element(By.CSS_SELECTOR, "#f-outcomes input[value='confirmed']").is_selected()
    assert d.find_element(By.CSS_SELECTOR, "#map-level input[value='gmina']").is_selected()
    assert "Kraków" in d.find_element(By.ID, "f-region").text and "Kraków" in text(d, "#breadcrumb")
    cal = calendar_text(d)
    assert "Mo" in cal and "pn" not in cal, cal[:200]
    assert re.search(r"January|February|March|April|May|June|July|August|September|October|November|December",
                     cal), cal[:300]
    # the switch's link is this view in the other language (to share, or open in a new tab)
    assert search_of_href(d) == view

    # back: the Polish URL, the page re-rendered in Polish, still without a reload; forward: English again
    d.back()
    wait(d, lambda x: "Krajowa Mapa" in text(x, "h1"), msg="back did not bring Polish back")
    ready(d)
    assert d.execute_script(NOT_RELOADED) and search_of(d) == view
    assert_polish(d)
    d.forward()
    wait(d, lambda x: "National Map" in text(x, "h1"), msg="forward did not bring English back")
    ready(d)
    assert_english(d)

    switch(d, "Krajowa Mapa")  # and the switch itself, back to Polish
    assert d.execute_script(NOT_RELOADED) and search_of(d) == view
    assert_polish(d)
    assert kpi_reports(d) == reports
    assert severe_logs(d) == []


def search_of_href(d) -> dict:
    return parse_qs(urlparse(d.find_element(By.ID, "lang-link").get_attribute("href")).query)


def pinned(d) -> list:
    """The district grid's pinned columns; None while the grid is not created yet."""
    return d.execute_script("let api = null; try { api = dash_ag_grid.getApi('district-table'); } catch (e) {}"
                            "return api ? api.getColumns().filter(c => c.getPinned()).map(c => c.getColId()) : null")


def test_phone_switch_in_place_stays_accessible(server):
    """At 390 px: the switch re-renders in place, the new page passes axe (WCAG 2.1 AA: no serious or
    critical violation) and its new district table is unpinned for the phone like the first one."""
    d = browser_at(PHONE)
    d.get(server.url + VIEW)
    a11y_ready(d)
    wait(d, lambda x: pinned(x) == [], msg="pinned columns on a phone")
    d.execute_script("window.__kmzbMarker = 1")
    js_click(d, d.find_element(By.ID, "lang-link"))
    wait(d, lambda x: "National Map" in text(x, "h1"), msg="no English page")
    a11y_ready(d)
    assert d.execute_script(NOT_RELOADED), "the page was reloaded"
    assert d.execute_script("return document.documentElement.lang") == "en"
    wait(d, lambda x: pinned(x) == [], msg="the new grid kept its pinned columns on a phone")
    assert axe(d) == []
