"""Issue 12C in headless Chromium: the level radio follows the drawn level, "None" selects none,
the share button copies the link, the selected district is outlined on the map and its row highlighted."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from tests.browser import wait
from tests.e2e.test_dashboard import (  # noqa: F401
    browser,
    js_click,
    kpi_reports,
    ready,
    search_of,
)

pytestmark = pytest.mark.e2e


def radio_value(d, radio_id: str) -> str:
    return d.execute_script(f"return document.querySelector('#{radio_id} input:checked').value")


def drawn_level(d) -> str:
    """The level of the districts the map draws: TERYT digits of a district path (2, 4 or 7)."""
    n = d.execute_script("""
        const p = document.querySelector('path.district:not(.neighbour)');
        const m = p && p.getAttribute('class').match(/d-(\\d+)/);
        return m ? m[1].length : 0;""")
    return {2: "voivodeship", 4: "powiat", 7: "gmina"}.get(n, "")


def test_level_radio_follows_the_drawn_level(server, browser):  # noqa: F811
    browser.get(server.url + "/?teryt=1261011")
    ready(browser)
    assert drawn_level(browser) == "gmina" and radio_value(browser, "map-level") == "gmina"
    # the neighbours are drawn as context, the selection outlined, and its row highlighted in the table
    assert browser.find_elements(By.CSS_SELECTOR, "path.district.neighbour")
    assert browser.find_elements(By.CSS_SELECTOR, "path.district.selected.d-1261011")
    rows = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#district-table .ag-row.kmzb-selected-row"),
                msg="no highlighted row")
    assert {r.get_attribute("row-id") for r in rows} == {"1261011"}
    assert browser.execute_script(
        "return getComputedStyle(arguments[0]).backgroundColor", rows[0]) == "rgb(255, 243, 191)"
    js_click(browser, browser.find_element(By.CSS_SELECTOR, "#map-level input[value=voivodeship]"))
    wait(browser, lambda d: "teryt" not in search_of(d), msg="the region stayed")
    ready(browser)
    wait(browser, lambda d: drawn_level(d) == "voivodeship", msg="the map did not draw voivodeships")
    assert radio_value(browser, "map-level") == "voivodeship"
    # a click on the map drills down: the radio follows what is drawn
    browser.get(server.url + "/?teryt=12")
    ready(browser)
    assert drawn_level(browser) == "powiat" and radio_value(browser, "map-level") == "powiat"


def test_none_selects_none(server, browser):  # noqa: F811
    browser.get(server.url + "/")
    ready(browser)
    assert kpi_reports(browser) > 0
    js_click(browser, browser.find_element(By.ID, "f-cat-none"))
    wait(browser, lambda d: search_of(d).get("category") == ["none"], msg="URL did not say none")
    wait(browser, lambda d: kpi_reports(d) == 0, msg="KPI still counts reports")
    ready(browser)
    assert "Nie wybrano" in browser.find_element(By.ID, "view-summary").text
    js_click(browser, browser.find_element(By.ID, "f-cat-all"))
    wait(browser, lambda d: "category" not in search_of(d), msg="All did not clear")
    wait(browser, lambda d: (kpi_reports(d) or 0) > 0, msg="All did not count again")


def test_share_button_copies_the_link(server, browser):  # noqa: F811
    browser.execute_cdp_cmd("Browser.grantPermissions", {
        "origin": server.url, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]})
    browser.get(server.url + "/?preset=30d&metric=rate")
    ready(browser)
    js_click(browser, browser.find_element(By.ID, "share-btn"))
    wait(browser, lambda d: d.find_element(By.ID, "share-msg").text.strip() != "", msg="no message")
    assert browser.find_element(By.ID, "share-msg").text == "Link skopiowany"
    copied = browser.execute_async_script(
        "const done = arguments[0]; navigator.clipboard.readText().then(done, e => done('ERR ' + e));")
    assert copied == browser.current_url and "metric=rate" in copied
