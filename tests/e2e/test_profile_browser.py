"""From the dashboard to a gmina's profile / debate pack and back, in headless Chromium on the real
server: the breadcrumb's button when a district is selected, the table's link column, the profile
page itself (header, charts, table) and the way back to the same district on the dashboard; on the same
English page, the grid's English numbers."""

from __future__ import annotations

import re

import pytest
from selenium.webdriver.common.by import By

from tests.browser import callbacks_idle, kept_chrome, wait
from tests.e2e.test_locale_browser import cells

pytestmark = pytest.mark.e2e

KRAKOW = "1261011"


@pytest.fixture
def browser():
    return kept_chrome(1400, 900)


def present(d, css: str) -> list:
    return d.find_elements(By.CSS_SELECTOR, css)


def test_dashboard_to_a_gminas_profile_and_back(server, browser):
    d = browser
    d.get(server.url + f"/?level=gmina&teryt={KRAKOW}&preset=all")
    wait(d, lambda x: present(x, "#profile-link"), msg="no profile button for the selected district")
    wait(d, callbacks_idle, msg="callbacks still running")
    link = d.find_element(By.ID, "profile-link")
    assert link.text == "Profil / pakiet na debatę"
    link.click()
    wait(d, lambda x: present(x, "#profile-name"), msg="the profile page did not open")
    assert d.current_url.startswith(server.url + f"/profile/{KRAKOW}")
    assert d.find_element(By.ID, "profile-name").text == "Kraków (gmina miejska)"
    assert len(present(d, "svg")) >= 4 and present(d, "#units tbody tr.focus")
    d.find_element(By.ID, "profile-back").click()
    wait(d, lambda x: present(x, "#profile-link"), msg="not back on the dashboard's district")
    assert f"teryt={KRAKOW}" in d.current_url and "level=gmina" in d.current_url
    assert not [e for e in d.get_log("browser") if e["level"] == "SEVERE"]


def test_english_district_table_keeps_english_numbers_and_links_each_row_to_its_profile(server, browser):
    d = browser
    d.get(server.url + "/?level=voivodeship&preset=all&lang=en")
    wait(d, lambda x: present(x, '.ag-row [col-id="profile"] a'), msg="no profile links in the table")
    # in English the grid keeps English numbers and texts (tests/e2e/test_locale_browser.py: Polish)
    assert d.title == "KMZB — threat analytics"
    wait(d, lambda x: len(cells(x, "district-table", "population")) == 16, msg="grid not filled")
    population = cells(d, "district-table", "population")
    assert all(re.fullmatch(r"\d{1,3}(,\d{3})+", p) for p in population), population
    assert "Page Size" in d.find_element(By.CSS_SELECTOR, "#district-table .ag-paging-panel").text
    a = d.find_element(By.CSS_SELECTOR, '.ag-row [col-id="profile"] a')
    href = a.get_attribute("href")
    assert "/profile/" in href and href.endswith("?lang=en")
    d.get(href)
    wait(d, lambda x: present(x, "#profile-name"), msg="the row's profile did not open")
    assert d.find_element(By.ID, "profile-name").text.startswith("województwo ")
    assert "Headline figures" in d.page_source
