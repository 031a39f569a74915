"""Shared fixtures: settings on a temporary data directory, the real geography, extract writers."""

from __future__ import annotations

import csv
import gzip
import io
import os
from datetime import date
from pathlib import Path

import pytest
from pyproj import Transformer

from kmzb.config import PROJECT_ROOT, get_settings

GEO_DIR = Path(os.environ.get("KMZB_GEO_DIR") or PROJECT_ROOT.parent / "shared" / "geo").resolve()
HEADER = ["OBJECTID", "Typ", "Status", "Data_utworzenia", "Data_modyfikacji", "Data_zdarzenia", "Dni_tygodnia",
          "Pora_dnia", "X", "Y", "TERYT", "Jednostka", "Zrodlo", "Opis"]

_to2180 = Transformer.from_crs("EPSG:4326", "EPSG:2180", always_xy=True)

# landmark points (lon, lat) and the gmina they lie in
KRAKOW = (19.9373, 50.0614, "1261011")
GDANSK = (18.6466, 54.3520, "2261011")
WROCLAW = (17.0320, 51.1100, "0264011")
BERLIN = (13.40, 52.52, None)


# each module's tier (pytest.ini's markers); tests/e2e/ and modules with their own pytestmark mark themselves
TIERS = {
    "unit": {"test_architecture", "test_demo", "test_extract", "test_figures", "test_geo", "test_i18n", "test_stats"},
    "integration": {"test_api", "test_auth", "test_callbacks", "test_cells", "test_changelog", "test_disclosure",
                    "test_faults", "test_fuzz", "test_ingest", "test_limits", "test_login_race", "test_police",
                    "test_privacy", "test_routes", "test_security"},
}
TIER_MARKS = ("unit", "integration", "e2e")

# the costliest modules, costliest first (`pytest --durations`, summed per module): `make test` hands
# whole modules to its 2 processes in collection order (--dist loadscope --no-loadscope-reorder), so
# these go first and the short ones fill the gaps at the end instead of a long one running alone
COSTLY = ("test_faults", "test_a11y", "test_dashboard", "test_disclosure", "test_locale_browser", "test_fuzz",
          "test_view_controls", "test_ingest", "test_geo", "test_login_race", "test_language_switch",
          "test_region_search", "test_changelog", "test_profile_browser", "test_police_browser", "test_limits",
          "test_profile")


def _cost_rank(item) -> int:
    module = item.module.__name__.rsplit(".", 1)[-1]
    return COSTLY.index(module) if module in COSTLY else len(COSTLY)


def pytest_collection_modifyitems(config, items):
    items.sort(key=_cost_rank)  # stable: each module's tests keep their order
    for item in items:
        if any(item.get_closest_marker(m) for m in TIER_MARKS):
            continue
        module = item.module.__name__.rsplit(".", 1)[-1]
        tier = next((t for t, modules in TIERS.items() if module in modules), None)
        if tier is None:
            raise pytest.UsageError(f"{item.nodeid} has no tier: add its module to TIERS in tests/conftest.py "
                                    "or give it a pytestmark (unit, integration or e2e)")
        item.add_marker(tier)


def xy(lon: float, lat: float) -> tuple[float, float]:
    return _to2180.transform(lon, lat)


def row(oid, typ="Przekraczanie dozwolonej prędkości", status="Nowe", created="2024-05-01 10:00:00",
        modified=None, place=KRAKOW, teryt=None, opis="", source="", unit="KMP w Krakowie", **extra):
    x, y = xy(place[0], place[1])
    r = {"OBJECTID": str(oid), "Typ": typ, "Status": status, "Data_utworzenia": created,
         "Data_modyfikacji": created if modified is None else modified, "Data_zdarzenia": "", "Dni_tygodnia": "pon,wt",
         "Pora_dnia": "rano", "X": f"{x:.2f}", "Y": f"{y:.2f}",
         "TERYT": place[2] if teryt is None and place[2] else (teryt or ""), "Jednostka": unit,
         "Zrodlo": source, "Opis": opis}
    r.update(extra)
    return r


def write_extract(path: Path, rows: list[dict], *, encoding="utf-8", delimiter=";", decimal_comma=None,
                  gz=None, header=None, bom=False) -> Path:
    header = header or HEADER
    decimal_comma = (delimiter == ";") if decimal_comma is None else decimal_comma
    buf = io.StringIO(newline="")
    w = csv.writer(buf, delimiter=delimiter, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    w.writerow(header)
    for r in rows:
        vals = []
        for h in header:
            v = r.get(h, "")
            if decimal_comma and h in ("X", "Y"):
                v = v.replace(".", ",")
            vals.append(v)
        w.writerow(vals)
    data = buf.getvalue().encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    gz = path.name.endswith(".gz") if gz is None else gz
    if gz:
        data = gzip.compress(data, mtime=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


@pytest.fixture
def settings(tmp_path, monkeypatch):
    data = tmp_path / "data"
    monkeypatch.setenv("KMZB_DATA_DIR", str(data))
    monkeypatch.setenv("KMZB_GEO_DIR", str(GEO_DIR))
    return get_settings(data_dir=data, geo_dir=GEO_DIR)


@pytest.fixture
def geo():
    from kmzb.geo.lookup import geo_index

    return geo_index(GEO_DIR)


DEMO_END = date(2026, 11, 24)


def demo_store(tmp_path_factory, name: str, *, days=60, scale=0.02, deltas=5):
    """A real store built in a temporary directory by the demo generator and the real ingest
    (deterministic: fixed seed and end date). Returns its settings."""
    return build_demo(tmp_path_factory.mktemp(name) / "data", days=days, scale=scale, deltas=deltas)


def build_demo(data: Path, *, days=60, scale=0.02, deltas=5):
    """The demo generator's files and the real ingest of them in the data directory `data`."""
    from kmzb import demo
    from kmzb.ingest.run import run_ingest

    settings = get_settings(data_dir=data, geo_dir=GEO_DIR)
    paths = demo.generate(data / "demo", geo_dir=GEO_DIR, end=DEMO_END, days=days, scale=scale, deltas=deltas)
    run_ingest(settings, paths, force=True)
    return settings


POLICE_PASSWORD = "correct horse battery"


def police_demo_store(tmp_path_factory, name: str):
    """A demo store with one police user, `anna`, whose password is POLICE_PASSWORD."""
    from kmzb.accounts.users import UserStore, users_path

    settings = demo_store(tmp_path_factory, name)
    UserStore(users_path(settings.data_dir)).add("anna", POLICE_PASSWORD, "police")
    return settings


@pytest.fixture(scope="session")
def shared_store(tmp_path_factory) -> Path:
    """One demo store (240 days, 5 % volume, 8 deltas: enough of every category for the disclosure
    attacks) for the modules that only read reports, built once per run: the first test process
    that needs it builds it under a lock, the others (pytest-xdist workers) wait for it and read
    the same files (read-only). Use it through `demo_on_shared`, which gives each module its own
    data directory around it."""
    import fcntl

    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the run's directory, above each worker's own
    data = root / "shared-demo" / "data"
    with open(root / "shared-demo.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, also if the build fails
        done = data.parent / "built"
        if not done.exists():
            if data.parent.exists():  # a build that failed half-way in another process
                import shutil

                shutil.rmtree(data.parent)
            build_demo(data, days=240, scale=0.05, deltas=8)
            done.touch()
    return get_settings(data_dir=data, geo_dir=GEO_DIR).store_dir


def app_without_rate_limit(settings):
    """The app with the per-client rate limit lifted: a module that sends hundreds of requests from
    one client to test the answers, not the limit (tests/test_limits.py tests the limit)."""
    from app import create_app

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KMZB_API_RATE", "1000000 per minute")
        return create_app(settings)


def demo_on_shared(tmp_path_factory, shared_store: Path, name: str, *, police: bool = False):
    """Settings of a fresh data directory whose `store` is the shared demo store (a symlink): the
    reports are shared read-only, while the users, login attempts and caches are the module's own.
    With `police`, one police user, `anna`, whose password is POLICE_PASSWORD."""
    from kmzb.accounts.users import UserStore, users_path

    data = tmp_path_factory.mktemp(name) / "data"
    data.mkdir()
    (data / "store").symlink_to(shared_store, target_is_directory=True)
    settings = get_settings(data_dir=data, geo_dir=GEO_DIR)
    if police:
        UserStore(users_path(settings.data_dir)).add("anna", POLICE_PASSWORD, "police")
    return settings
