"""Typing a new region while one is chosen (issue 12): Dash 4's searchable dropdown, opened with a value,
focuses that value's option instead of its search box, so the letters went nowhere (and Enter then cleared
the region). assets/kmzb_a11y.js sends a letter typed anywhere in an open dropdown to its search box."""

from __future__ import annotations

import re

import pytest
from selenium.common.exceptions import ElementClickInterceptedException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.browser import callbacks_idle, kept_chrome, wait
from tests.e2e.test_dashboard import (
    kpi_reports,
    last90,
    ready,
    search_of,
    severe_logs,
    total,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def browser():
    return kept_chrome(1366, 900)


def clicked(d, el) -> bool:
    d.execute_script("arguments[0].scrollIntoView({block: 'center'})", el)
    try:
        el.click()
    except ElementClickInterceptedException:
        return False
    return True


def shown_options(d) -> list[str]:
    return d.execute_script("return Array.from(document.querySelectorAll('.dash-dropdown-content [role=option]'))"
                            ".map(o => o.textContent)")


@pytest.mark.parametrize("open_with", ["click", "keyboard"])
def test_typing_a_new_region_with_one_chosen_searches_and_enter_picks_it(server, browser, open_with):
    d = browser
    d.get(server.url + "/?teryt=12&level=powiat")
    ready(d)
    region = d.find_element(By.ID, "f-region")
    assert "małopolskie" in region.text
    if open_with == "click":  # a real click (the mouse's events), once the panel has scrolled it into view
        wait(d, lambda x: clicked(x, region), msg="the region picker could not be clicked")
    else:  # the dropdown's button reached by Tab (focused here), opened with Enter
        d.execute_script("arguments[0].focus()", region)
        ActionChains(d).send_keys(Keys.ENTER).perform()
    wait(d, lambda x: x.find_elements(By.CSS_SELECTOR, ".dash-dropdown-content [role=option]"), msg="did not open")
    ActionChains(d).send_keys("Krak").perform()  # straight away: no click on the search box

    wait(d, lambda x: x.execute_script(
        "const s = document.querySelector('.dash-dropdown-content input.dash-dropdown-search');"
        "return s && s.value") == "Krak", msg="the letters did not reach the search box")
    wait(d, lambda x: callbacks_idle(x) and "Kraków · Powiat 1261" in shown_options(x),
         msg="the options never showed the new matches")
    options = shown_options(d)
    assert options and all("krak" in o.lower() for o in options), options
    first = re.search(r"(\d+)$", options[0]).group(1)

    ActionChains(d).send_keys(Keys.ENTER).perform()
    wait(d, lambda x: search_of(x).get("teryt") == [first], msg=f"Enter did not choose {options[0]!r}")
    wait(d, lambda x: options[0].split(" · ")[0] in x.find_element(By.ID, "f-region").text)
    # the chosen region is the view: its KPI is the API's number for it, the breadcrumb names it
    ready(d)
    assert kpi_reports(d) == total(server, teryt=first, **last90(server))
    assert options[0].split(" · ")[0].lower() in d.find_element(By.ID, "breadcrumb").text.lower()
    assert severe_logs(d) == []
