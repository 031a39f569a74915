"""Headless Chromium (Debian's chromium + chromium-driver) driven by Selenium, and the real
server started in a subprocess on a free port."""

from __future__ import annotations

import shutil
import tempfile

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait

from dashboard import changes, ids

from .helpers import ServerProcess, app_server


def Server(env: dict, port: int | None = None) -> ServerProcess:
    """The real server (`python app.py --port P`) on a free port: tests.helpers.app_server."""
    return app_server(env, port)


def chrome(width=1366, height=900, download_dir: str | None = None) -> webdriver.Chrome:
    binary = shutil.which("chromium") or "/usr/bin/chromium"
    driver_path = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    opts = webdriver.ChromeOptions()
    opts.binary_location = binary
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync",
              "--disable-dev-shm-usage", f"--window-size={width},{height}", "--lang=pl-PL",
              f"--user-data-dir={tempfile.mkdtemp(prefix='kmzb-chrome-')}"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    if download_dir:
        opts.add_experimental_option("prefs", {"download.default_directory": download_dir,
                                               "download.prompt_for_download": False})
    drv = webdriver.Chrome(service=Service(driver_path), options=opts)
    if download_dir:
        drv.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": download_dir})
    return drv


_kept: dict[tuple, webdriver.Chrome] = {}


def kept_chrome(width=1366, height=900, download_dir: str | None = None, *,
                phone: tuple[int, int] | None = None) -> webdriver.Chrome:
    """A Chromium of this window size (with `phone`, emulating that viewport on a phone) kept open
    for the test process's next test of the same window size, since a start and a quit cost seconds
    each. Every test gets it as a fresh one: on a blank page, without the cookies, permissions,
    console log, extra windows, download directory or phone emulation of the test before.
    `quit_kept()` ends them all."""
    key = (width, height)
    d = _kept.get(key)
    try:
        handles = d.window_handles if d is not None else []
    except Exception:  # quit by a test, or crashed: start another
        handles = []
    if not handles:
        d = _kept[key] = chrome(width, height)
    else:
        for h in handles[1:]:
            d.switch_to.window(h)
            d.close()
        d.switch_to.window(handles[0])
        d.get("about:blank")
        d.execute_cdp_cmd("Network.clearBrowserCookies", {})
        d.execute_cdp_cmd("Browser.resetPermissions", {})
        d.get_log("browser")  # read, so emptied
    d.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": download_dir}
                      if download_dir else {"behavior": "default"})
    if phone:  # a desktop window cannot be 390 px wide: emulate the phone's viewport
        d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                          {"width": phone[0], "height": phone[1], "deviceScaleFactor": 1, "mobile": True})
    else:
        d.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    return d


def quit_kept() -> None:
    while _kept:
        _, d = _kept.popitem()
        try:
            d.quit()
        except Exception:
            pass


def wait(d, cond, timeout=30, msg=""):
    """Wait until cond(driver) is truthy; returns its value."""
    return WebDriverWait(d, timeout, poll_frequency=0.1).until(lambda drv: cond(drv), message=msg)


def callbacks_idle(d) -> bool:
    """No Dash callback requested, running or waiting for its outputs (the renderer's redux store,
    as dash.testing checks it); a chain of callbacks keeps the next one queued, so idle means done."""
    return d.execute_script("""
        if (!window.store) return false;
        const cbs = Object.assign({}, window.store.getState().callbacks);
        delete cbs.stored; delete cbs.completed;
        return Object.values(cbs).every(list => list.length === 0);
    """)


GRIDS = (ids.TABLE, changes.GRID, ids.SENSITIVE_TABLE)  # created lazily (dashboard/lazy.py)


def grids_created(d) -> bool:
    """The dashboard's three grids exist: they are created in the page once it is quiet after the charts
    (dashboard/lazy.py), so a page can be idle for a moment before they come."""
    return d.execute_script("return arguments[0].every(id => document.querySelector('#' + id + ' .ag-root-wrapper'))",
                            list(GRIDS))
