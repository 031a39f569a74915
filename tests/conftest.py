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
    from kmzb.geo import geo_index

    return geo_index(GEO_DIR)


DEMO_END = date(2026, 11, 24)


def demo_store(tmp_path_factory, name: str, *, days=60, scale=0.02, deltas=5):
    """A real store built in a temporary directory by the demo generator and the real ingest
    (deterministic: fixed seed and end date). Returns its settings."""
    from kmzb import demo
    from kmzb.ingest.run import run_ingest

    data = tmp_path_factory.mktemp(name) / "data"
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
