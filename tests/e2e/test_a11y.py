"""Accessibility (WCAG 2.1 AA) measured in headless Chromium against the real server: axe-core
(tests/vendor/axe.min.js, MPL-2.0) on the dashboard in both languages at desktop and phone width,
on the login page and on the sensitive table; and the keyboard paths: the skip link, radio groups,
Enter on a district, the phone's filter panel with its "show results (N)" button, the filter chips
and each chart's "show as table"."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.browser import callbacks_idle, grids_created, kept_chrome, wait

pytestmark = pytest.mark.e2e

AXE = (Path(__file__).parent.parent / "vendor" / "axe.min.js").read_text()
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PHONE, DESKTOP = (390, 844), (1400, 900)


def browser_at(size):
    """A desktop window; for the phone, emulating the phone's viewport in it (a desktop window
    cannot be 390 px wide)."""
    return kept_chrome(*DESKTOP, phone=size if size == PHONE else None)


@pytest.fixture
def phone():
    return browser_at(PHONE)


@pytest.fixture
def desktop():
    return browser_at(DESKTOP)


def ready(d) -> None:
    wait(d, lambda x: re.search(r"\d", x.find_element(By.ID, "kpi-reports").text), msg="KPI never filled")
    wait(d, lambda x: len(x.find_elements(By.CSS_SELECTOR, "path.leaflet-interactive")) > 0, msg="map not drawn")
    wait(d, lambda x: callbacks_idle(x) and x.execute_script(
        "return !document.querySelector('[data-dash-is-loading=\"true\"]')"), msg="still loading")
    wait(d, grids_created, msg="the grids were not created")
    wait(d, callbacks_idle, msg="still loading")
    # AG Grid renders a grid's rows once it is on screen: bring each into view once
    for grid in d.find_elements(By.CSS_SELECTOR, ".ag-root-wrapper"):
        d.execute_script("arguments[0].scrollIntoView({behavior: 'instant'})", grid)
        wait(d, lambda x: not grid.find_elements(By.CSS_SELECTOR, ".ag-delay-render"), msg="grid not rendered")
    d.execute_script("window.scrollTo({top: 0, behavior: 'instant'})")


def click(d, el) -> None:
    """Scroll without Bootstrap's smooth scrolling (a click mid-scroll misses), then click."""
    d.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", el)
    el.click()


def axe(d, context="document") -> list[dict]:
    """Serious and critical WCAG 2.1 A/AA violations (id, impact, the first nodes)."""
    if not d.execute_script("return !!window.axe"):
        d.execute_script(AXE)
    found = d.execute_async_script(f"""
        const done = arguments[arguments.length - 1];
        axe.run({context}, {{runOnly: {{type: 'tag', values: {WCAG!r}}}, resultTypes: ['violations']}})
           .then(r => done(r.violations.map(v => ({{id: v.id, impact: v.impact,
                 nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' :: ' + n.failureSummary)}}))))
           .catch(e => done([{{id: 'axe-error', impact: 'critical', nodes: [String(e)]}}]));
    """)
    return [v for v in found if v["impact"] in ("serious", "critical")]


def kpi_number(d) -> str:
    return d.find_element(By.ID, "kpi-reports").text.splitlines()[0].strip()


def search_of(d) -> dict:
    return parse_qs(urlparse(d.current_url).query)


# ---------------------------------------------------------------- axe

# English, desktop and phone, is tests/e2e/test_language_switch.py's: axe on the page switched to English
@pytest.mark.parametrize("size,lang", [(DESKTOP, "pl"), (PHONE, "pl")], ids=["desktop-pl", "phone-pl"])
def test_dashboard_has_no_serious_violations(server, size, lang):
    browser = browser_at(size)
    browser.get(f"{server.url}/?lang={lang}")
    ready(browser)
    assert browser.execute_script("return document.documentElement.lang") == lang
    # the whole page, the three grids with their rows (the sensitive categories' table too)
    wait(browser, lambda x: x.find_elements(By.CSS_SELECTOR, "#sensitive-table .ag-row"), msg="no sensitive rows")
    found = axe(browser)
    assert found == [], found
    # the "show as table"s, opened (closed, axe does not see their tables)
    n = browser.execute_script("const ds = document.querySelectorAll('details.chart-alt');"
                               "ds.forEach(d => d.open = true); return ds.length")
    assert n >= 5
    found = axe(browser, "{include: Array.from(document.querySelectorAll('details.chart-alt'))}")
    assert found == [], found


@pytest.mark.parametrize("lang", ["pl", "en"])
def test_login_page_has_no_serious_violations(server, desktop, lang):
    desktop.get(f"{server.url}/login?lang={lang}")
    wait(desktop, lambda x: x.find_element(By.ID, "login-form"))
    assert axe(desktop) == []


# ---------------------------------------------------------------- keyboard

def test_keyboard_paths_skip_link_chart_radios_and_enter_on_a_district(server, desktop):
    """The keyboard paths on one page load, in the order a keyboard user meets them (each step only
    reads the page until the last two, which change the view)."""
    d = desktop
    d.get(f"{server.url}/?lang=pl")
    ready(d)
    # the skip link is the first tab stop and moves the focus to the results
    d.execute_script("document.activeElement && document.activeElement.blur(); window.focus();")
    ActionChains(d).send_keys(Keys.TAB).perform()
    first = d.switch_to.active_element
    assert first.get_attribute("id") == "skip-link"
    assert first.is_displayed() and first.text == "Przejdź do wyników"
    first.send_keys(Keys.ENTER)
    wait(d, lambda x: x.switch_to.active_element.get_attribute("id") == "results")
    assert d.switch_to.active_element.tag_name == "main"

    # a chart is one named tab stop; its toolbar is out of the tab order and Enter reaches it
    fig = d.find_element(By.CSS_SELECTOR, ".kmzb-figure")
    assert fig.get_attribute("aria-label") == "Zgłoszenia i odsetek potwierdzonych w czasie"
    buttons = fig.find_elements(By.CSS_SELECTOR, ".modebar-btn")
    assert buttons and all(b.get_attribute("tabindex") == "-1" for b in buttons)
    d.execute_script("arguments[0].focus()", fig)
    ActionChains(d).send_keys(Keys.ENTER).perform()
    wait(d, lambda x: "modebar-btn" in (x.switch_to.active_element.get_attribute("class") or ""))
    # and beneath each chart, "show as table" holds its numbers
    total = int(re.sub(r"\D", "", kpi_number(d)))
    wrap = d.find_element(By.ID, "chart-categories-table")
    summary = wrap.find_element(By.XPATH, "..").find_element(By.TAG_NAME, "summary")
    click(d, summary)
    rows = wrap.find_elements(By.CSS_SELECTOR, "tbody tr")
    assert rows
    per_category = [int(re.sub(r"\D", "", r.find_elements(By.TAG_NAME, "td")[0].text) or 0) for r in rows]
    assert sum(per_category) == total  # the KPI is the sum of the per-category counts
    head = [th.text for th in wrap.find_elements(By.CSS_SELECTOR, "thead th")]
    assert head[:3] == ["Kategoria", "Zgłoszenia", "Rozstrzygnięte"]

    # each radio group is one group (one name): arrows move within it
    for rid in ("f-compare", "map-level", "map-metric"):
        radios = d.find_elements(By.CSS_SELECTOR, f"#{rid} input[type=radio]")
        assert len(radios) >= 2
        assert {r.get_attribute("name") for r in radios} == {rid}

    # Enter on a focused district drills down
    paths = d.find_elements(By.CSS_SELECTOR, "path.leaflet-interactive[role=button][tabindex='0']")
    assert len(paths) == 16  # the voivodeships: each a named keyboard stop
    target = next(p for p in paths if "d-12" in p.get_attribute("class"))  # Małopolskie
    assert "małopolskie" in target.get_attribute("aria-label").casefold(), target.get_attribute("aria-label")
    d.execute_script("arguments[0].focus()", target)
    ActionChains(d).send_keys(Keys.ENTER).perform()
    wait(d, lambda x: search_of(x).get("teryt") == ["12"], msg=f"teryt not set: {d.current_url}")
    ready(d)

    # an arrow key moves the level radio to the next level (and changes the view)
    levels = ["voivodeship", "powiat", "gmina"]
    checked = d.find_element(By.CSS_SELECTOR, "#map-level input[type=radio]:checked")
    now = checked.get_attribute("value")
    assert now != "gmina", now
    checked.send_keys(Keys.ARROW_RIGHT)
    want = levels[levels.index(now) + 1]
    wait(d, lambda x: search_of(x).get("level") == [want], msg=f"level not {want}: {d.current_url}")


# ---------------------------------------------------------------- phone, chips, text alternatives

def test_phone_filters_open_off_canvas_pass_axe_and_show_results_with_the_kpi_number(server, phone):
    phone.get(f"{server.url}/?lang=pl")
    ready(phone)
    panel = phone.find_element(By.ID, "filter-collapse")
    assert not panel.is_displayed() or panel.value_of_css_property("visibility") == "hidden"
    assert phone.find_element(By.ID, "kpi-reports").is_displayed()  # the results come first
    click(phone, phone.find_element(By.ID, "filter-toggle"))
    button = wait(phone, lambda x: x.find_element(By.ID, "show-results") if
                  x.find_element(By.ID, "show-results").is_displayed() else None)
    assert button.text == f"Pokaż wyniki ({kpi_number(phone)})"
    found = axe(phone, "document.getElementById('filter-collapse')")  # the open panel passes axe
    assert found == [], found
    click(phone, phone.find_element(By.CSS_SELECTOR, "#f-outcomes label[for$=_confirmed]"))
    wait(phone, lambda x: search_of(x).get("outcome") == ["confirmed"])
    ready(phone)
    wait(phone, lambda x: x.find_element(By.ID, "show-results").text == f"Pokaż wyniki ({kpi_number(x)})")
    click(phone, button)
    wait(phone, lambda x: x.switch_to.active_element.get_attribute("id") == "results")
    assert phone.find_element(By.ID, "filter-collapse").value_of_css_property("visibility") == "hidden"
    # the table's name column is not pinned on a phone
    wait(phone, lambda x: not x.find_elements(By.CSS_SELECTOR, "#district-table .ag-pinned-left-cols-container .ag-row"))


def test_chips_say_the_filter_and_remove_it(server, desktop):
    desktop.get(f"{server.url}/?lang=en&outcome=confirmed&category=akty-wandalizmu")
    ready(desktop)
    chips = wait(desktop, lambda x: x.find_elements(By.CSS_SELECTOR, "#filter-chips a.chip"))
    assert all(c.text.startswith("Remove filter:") for c in chips)  # for a screen reader; hidden on screen
    texts = [c.text.replace("Remove filter:", "").replace("×", "").strip() for c in chips]
    assert "Outcome: confirmed" in texts and any(t.startswith("Category: ") for t in texts), texts
    click(desktop, next(c for c in chips if "Outcome" in c.text))
    wait(desktop, lambda x: "outcome" not in search_of(x))
    assert search_of(desktop).get("category") == ["akty-wandalizmu"]
    wait(desktop, lambda x: x.find_element(By.CSS_SELECTOR, "#f-outcomes input[value=confirmed]").is_selected() is False)
