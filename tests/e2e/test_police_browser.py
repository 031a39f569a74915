"""The police view in headless Chromium: log in through the form, clustered points, a report's
details with its status history, the per-unit table; log out and it is all gone."""

from __future__ import annotations

import re

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

from tests.browser import kept_chrome, wait
from tests.conftest import POLICE_PASSWORD as PASSWORD

pytestmark = pytest.mark.e2e


@pytest.fixture
def browser():
    return kept_chrome(1366, 900)


def present(d, css: str) -> list:
    return d.find_elements(By.CSS_SELECTOR, css)


def severe(d) -> list:
    """Errors in the console, except the 401 of the deliberately wrong password."""
    return [e for e in d.get_log("browser") if e["level"] == "SEVERE"
            and not ("/login" in e["message"] and "401" in e["message"])]


def redrawn(d, cluster) -> bool:
    """The clicked cluster's zoom is done: dash-leaflet redraws the points on `moveend`, which
    removes the old cluster markers from the page."""
    if present(d, ".leaflet-zoom-anim"):
        return False
    try:
        cluster.is_displayed()
    except StaleElementReferenceException:
        return True
    return False


def history_of(server, oid: int) -> list[str]:
    # through the Store, like every reader of the shared store in this process (DuckDB refuses a
    # second connection to one file with another configuration)
    cur, _ = server.store.cursor()
    return [r[0] for r in cur.execute(
        "SELECT status::VARCHAR FROM status_history WHERE objectid = ? ORDER BY modified_at", [oid]).fetchall()]


def test_login_points_detail_and_logout(server, browser):
    d = browser
    d.get(server.url + "/?preset=all")
    wait(d, lambda x: present(x, "path.leaflet-interactive"), msg="public map not drawn")
    # the public page: a 'log in' link and none of the police components
    account = d.find_element(By.ID, "account-nav")
    assert account.text.strip() == "Zaloguj się"
    assert not present(d, "#police-points-note, #police-detail, #police-units, .marker-cluster, .police-point")

    account.click()
    wait(d, lambda x: present(x, "#login-form"), msg="no login form")
    assert "/login" in d.current_url
    d.find_element(By.ID, "username").send_keys("anna")
    d.find_element(By.ID, "password").send_keys("wrong password!")
    d.find_element(By.ID, "login-submit").click()
    wait(d, lambda x: present(x, "#login-error"), msg="no error for a wrong password")
    assert "Błędna nazwa użytkownika lub hasło" in d.find_element(By.ID, "login-error").text
    d.find_element(By.ID, "password").send_keys(PASSWORD)
    d.find_element(By.ID, "login-submit").click()

    # back on the same view, now with the police components
    wait(d, lambda x: x.current_url.endswith("/?preset=all"), msg="not sent back to the view")
    wait(d, lambda x: "Zalogowano jako anna" in x.find_element(By.ID, "account-nav").text)
    clusters = wait(d, lambda x: present(x, ".marker-cluster"), msg="no clustered points")
    note = wait(d, lambda x: x.find_element(By.ID, "police-points-note").text, msg="no points note")
    assert re.search(r"Punkty na mapie: [\d\s\u00a0]+", note)
    assert sum(int(re.sub(r"\D", "", c.text) or 0) for c in clusters) > 0
    units = wait(d, lambda x: x.execute_script(
        "const a = dash_ag_grid.getApi('police-units'); return a ? a.getDisplayedRowCount() : 0"),
        msg="per-unit table empty")
    assert units > 10

    # click clusters (each zooms in) until single points show, then click one
    for _ in range(12):
        points = [p for p in present(d, "path.police-point") if p.is_displayed()]
        if points:
            break
        cluster = max(present(d, ".marker-cluster"), key=lambda c: int(re.sub(r"\D", "", c.text) or 0))
        ActionChains(d).move_to_element(cluster).click().perform()
        wait(d, lambda x, c=cluster: redrawn(x, c), msg="the map did not zoom into the cluster")
    assert points, "zooming into clusters never showed single points"
    target = points[0]
    oid = int(re.search(r"p-(\d+)", target.get_attribute("class")).group(1))
    ActionChains(d).move_to_element(target).click().perform()
    detail = wait(d, lambda x: x.find_element(By.ID, "police-detail").text
                  if f"Zgłoszenie {oid}" in x.find_element(By.ID, "police-detail").text else None,
                  msg="no detail for the clicked report")
    assert "Historia statusów" in detail and "Jednostka Policji" in detail and "Kanał" in detail
    rows = d.find_elements(By.CSS_SELECTOR, "#police-history tbody tr")
    assert len(rows) == len(history_of(server, oid)) >= 1
    assert all(re.match(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", r.find_elements(By.TAG_NAME, "td")[0].text) for r in rows)
    assert severe(d) == []

    # log out: back to the public page, the police components gone
    d.find_element(By.ID, "logout-btn").click()
    wait(d, lambda x: x.find_element(By.ID, "account-nav").text.strip() == "Zaloguj się", msg="still logged in")
    wait(d, lambda x: present(x, "path.leaflet-interactive"))
    assert not present(d, "#police-points-note, #police-detail, #police-units, .marker-cluster, .police-point")
    assert "preset=all" in d.current_url  # the view is kept
