"""kmzb.geo on the real reference geodata (shared/geo): lookup, districts, map assets."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import shapely
from shapely.geometry import shape

from kmzb import teryt
from kmzb.config import get_settings
from kmzb.geo import assets as kassets
from kmzb.geo import crs
from kmzb.geo.districts import districts
from kmzb.geo.lookup import RASTER_FROM, GeoIndex, geo_index
from kmzb.geo.source import read_gminas

GEO_DIR = get_settings().geo_dir
TOTAL_POPULATION = 37_489_087
COUNTS = {"voivodeship": 16, "powiat": 380, "gmina": 2477}

LANDMARKS = [  # (lon, lat, expected gmina or None)
    (19.9373, 50.0614, "1261011"),  # Kraków, Rynek Główny
    (18.6466, 54.3520, "2261011"),  # Gdańsk
    (18.0, 55.5, None),  # Baltic Sea, far off the coast
    (13.40, 52.52, None),  # Berlin
]


@pytest.fixture(scope="module")
def index() -> GeoIndex:
    return geo_index(GEO_DIR)


@pytest.fixture(scope="module", params=["raster", "shapely"])
def any_index(request, index) -> GeoIndex:
    """Both ways a lookup answers: through the raster (a batch of RASTER_FROM points or more, or any
    batch once it is built) and shapely alone (smaller batches, before the raster is built)."""
    if request.param == "raster":
        index.ensure_raster()
        return index
    return GeoIndex(GEO_DIR, raster_from=2**62)


@pytest.fixture(scope="module")
def assets(tmp_path_factory):
    out = tmp_path_factory.mktemp("geo_assets")
    manifest = kassets.build_map_assets(GEO_DIR, out)
    return out, manifest


def _xy(lon, lat):
    return crs.from_wgs84(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))


def _random_points(index, n, seed, pad=5000.0):
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = shapely.total_bounds(index.geometries)
    return rng.uniform(minx - pad, maxx + pad, n), rng.uniform(miny - pad, maxy + pad, n)


# ---------------------------------------------------------------------------------- lookup


def test_landmarks(any_index):
    lon = [p[0] for p in LANDMARKS]
    lat = [p[1] for p in LANDMARKS]
    got = any_index.lookup(*_xy(lon, lat))
    assert got.shape == (len(LANDMARKS),)
    assert list(got) == [p[2] for p in LANDMARKS]


def test_warsaw_palace_of_culture(any_index):
    (code,) = any_index.lookup(*_xy([21.0067], [52.2319]))
    assert isinstance(code, str) and code.startswith("1465") and len(code) == 7


def test_lookup_nan_empty_and_shape(any_index):
    x, y = _xy([19.9373, np.nan, 19.9373], [50.0614, 50.0, np.nan])
    assert list(any_index.lookup(x, y)) == ["1261011", None, None]
    assert any_index.lookup(np.array([]), np.array([])).shape == (0,)
    x2, y2 = _xy([[19.9373, 18.6466]], [[50.0614, 54.3520]])
    assert any_index.lookup(x2, y2).tolist() == [["1261011", "2261011"]]
    with pytest.raises(ValueError):
        any_index.lookup(np.zeros(2), np.zeros(3))


def test_lookup_equals_plain_strtree_lookup(index):
    x, y = _random_points(index, 200_000, seed=7)
    fast = index.lookup(x, y)
    exact = index.lookup_exact(x, y)
    assert (fast == exact).all()
    found = np.array([v is not None for v in fast])
    assert 0.5 < found.mean() < 0.85  # Poland fills about 2/3 of its bounding box
    assert all(len(v) == 7 for v in fast[found])


def test_a_small_batch_asks_shapely_and_a_large_one_builds_the_raster(index):
    assert index.raster_from == RASTER_FROM == 200_000
    fresh = GeoIndex(GEO_DIR, raster_from=5000)  # the same rule, on fewer points
    x, y = _random_points(fresh, 4999, seed=5)
    small = fresh.lookup(x[:100], y[:100])
    below = fresh.lookup(x, y)
    assert "raster=not built" in repr(fresh)
    xl, yl = np.append(x, x[0]), np.append(y, y[0])  # raster_from points
    large = fresh.lookup(xl, yl)
    assert "raster=not built" not in repr(fresh)
    assert (large[:-1] == below).all() and (large[:100] == small).all() and (fresh.lookup(x[:100], y[:100]) == small).all()


def test_points_near_borders_equal_plain_strtree_lookup(index):
    """The raster only short-cuts cells no border crosses: points on and within metres of every
    gmina border (vertices, densified borders, jittered) get shapely's answer. Each of the four sets
    is an independent random third of the 1.4 M points every 100 m along every border (all 5.5 M
    took ~30 s of a 2-core suite; a third of each still puts points every ~300 m on every border)."""
    on = shapely.get_coordinates(shapely.segmentize(shapely.boundary(index.geometries), 100.0))
    rng = np.random.default_rng(11)

    def third():
        return on[rng.random(len(on)) < 1 / 3]
    exact = third()
    pts = np.concatenate([exact] + [p + rng.normal(0, s, p.shape) for s, p in ((0.01, third()), (1.0, third()),
                                                                           (30.0, third()))])
    got = index.lookup(pts[:, 0], pts[:, 1])
    assert (got == index.lookup_exact(pts[:, 0], pts[:, 1])).all()
    assert all(c is not None for c in got[: len(exact)])  # a border point belongs to a gmina


def test_border_vertices_get_exactly_one_gmina_the_lowest(index):
    """Every vertex of every border (exactly on it) gets one of the gminas it touches: the lowest TERYT."""
    on = np.unique(shapely.get_coordinates(index.geometries), axis=0)
    got = index.lookup_index(on[:, 0], on[:, 1], tolerance_m=0)
    inp, hit = shapely.STRtree(index.geometries).query(shapely.points(on), predicate="intersects")
    lowest = np.full(len(on), len(index))
    np.minimum.at(lowest, inp, hit)
    assert (got == lowest).all() and (got >= 0).all()
    assert (np.bincount(inp, minlength=len(on)) >= 2).sum() > 10_000  # shared by two or more gminas


def test_points_inside_a_gmina_get_it(any_index):
    pts = shapely.point_on_surface(any_index.geometries)
    got = any_index.lookup(shapely.get_x(pts), shapely.get_y(pts))
    assert list(got) == list(any_index.teryt)


def test_tolerance_band_independent_check(any_index):
    """Points outside every gmina: nearest gmina within 2 km, None beyond (brute force)."""
    land = shapely.union_all(any_index.geometries)
    band = shapely.difference(shapely.buffer(land, 3000), land)
    minx, miny, maxx, maxy = band.bounds
    rng = np.random.default_rng(3)
    x = rng.uniform(minx, maxx, 60_000)
    y = rng.uniform(miny, maxy, 60_000)
    keep = shapely.contains_xy(band, x, y)
    x, y = x[keep][:400], y[keep][:400]
    assert len(x) == 400
    got = any_index.lookup(x, y)
    for xi, yi, code in zip(x, y, got):
        d = shapely.distance(any_index.geometries, shapely.Point(xi, yi))
        if d.min() <= 1999.0:
            assert code == any_index.teryt[int(np.argmin(d))]
        elif d.min() >= 2001.0:
            assert code is None
    assert any(c is not None for c in got) and any(c is None for c in got)
    # tolerance 0: nothing outside the polygons is assigned
    assert all(c is None for c in any_index.lookup(x, y, tolerance_m=0))
    # a bigger tolerance reaches further
    assert all(c is not None for c in any_index.lookup(x, y, tolerance_m=3500))


def test_shared_border_resolves_to_lowest_teryt(any_index):
    # a vertex shared by several gminas: every one of them touches it
    coords, which = shapely.get_coordinates(any_index.geometries[:50], return_index=True)
    checked = 0
    for (px, py), _ in zip(coords, which):
        touching = np.flatnonzero(shapely.intersects_xy(any_index.geometries, px, py))
        if len(touching) >= 2:
            assert any_index.lookup(np.array([px]), np.array([py]))[0] == any_index.teryt[touching.min()]
            checked += 1
        if checked >= 20:
            break
    assert checked >= 20


def test_transforms_round_trip():
    lon = np.array([14.2, 19.9373, 24.1])
    lat = np.array([49.1, 50.0614, 54.8])
    x, y = crs.from_wgs84(lon, lat)
    assert np.all((x > 100_000) & (x < 900_000) & (y > 100_000) & (y < 800_000))
    lon2, lat2 = crs.to_wgs84(x, y)
    np.testing.assert_allclose(lon2, lon, atol=1e-9)
    np.testing.assert_allclose(lat2, lat, atol=1e-9)
    # PUWG 1992: central meridian 19°E maps to x = 500,000 m
    x0, _ = crs.from_wgs84(19.0, 52.0)
    assert abs(x0 - 500_000) < 1e-6
    assert isinstance(x0, float)


def test_geo_index_is_cached_per_resolved_path(index):
    assert geo_index(GEO_DIR) is index
    assert geo_index(str(GEO_DIR) + "/.") is index
    assert len(index) == COUNTS["gmina"]
    assert list(index.teryt) == sorted(index.teryt)


# ---------------------------------------------------------------------------------- districts


@pytest.mark.parametrize("level", teryt.LEVELS)
def test_districts_counts_and_population(level):
    df = districts(GEO_DIR, level)
    assert list(df.columns) == ["teryt", "name", "label", "population", "parent"]
    assert len(df) == COUNTS[level] == df["teryt"].nunique()
    assert list(df["teryt"]) == sorted(df["teryt"])
    assert df["teryt"].str.len().eq(teryt.DIGITS[level]).all()
    assert df["teryt"].str.isdigit().all()
    assert int(df["population"].sum()) == TOTAL_POPULATION
    assert df["population"].dtype.kind == "i" and (df["population"] > 0).all()
    assert all(isinstance(v, str) for v in df["name"]) and all(isinstance(v, str) for v in df["label"])


def test_districts_parents_and_labels():
    v = districts(GEO_DIR, "voivodeship")
    p = districts(GEO_DIR, "powiat")
    g = districts(GEO_DIR, "gmina")
    assert (v["parent"] == "").all()
    assert set(p["parent"]) == set(v["teryt"])
    assert set(g["parent"]) <= set(p["teryt"]) and set(g["parent"]) == set(p["teryt"])
    assert (g["parent"] == g["teryt"].str[:4]).all()
    # populations add up level by level
    assert (g.groupby("parent")["population"].sum().reindex(p["teryt"]).to_numpy() == p["population"].to_numpy()).all()
    assert (p.groupby("parent")["population"].sum().reindex(v["teryt"]).to_numpy() == v["population"].to_numpy()).all()

    vi = v.set_index("teryt")
    assert vi.loc["14", "name"] == "mazowieckie"
    assert vi.loc["14", "label"] == "województwo mazowieckie"
    assert vi.loc["14", "population"] == 5_508_322
    pi = p.set_index("teryt")
    assert pi.loc["1410", "label"] == "powiat łosicki"
    assert pi.loc["1465", "label"] == "Warszawa" and pi.loc["1465", "population"] == 1_863_845
    assert pi.loc["1261", "label"] == "Kraków" and pi.loc["1206", "label"] == "powiat krakowski"
    gi = g.set_index("teryt")
    assert gi.loc["0201011", "name"] == "Bolesławiec"
    assert gi.loc["0201011", "label"] == "Bolesławiec (gmina miejska)"
    assert gi.loc["0201022", "label"] == "Bolesławiec (gmina wiejska)"
    assert gi.loc["0201043", "label"] == "Nowogrodziec (gmina miejsko-wiejska)"
    assert gi["label"].str.contains(r" \(gmina (?:miejska|wiejska|miejsko-wiejska)\)$").all()


def test_districts_returns_a_copy_and_rejects_unknown_level():
    df = districts(GEO_DIR, "powiat")
    df.loc[0, "population"] = -1
    df.drop(columns=["label"], inplace=True)
    again = districts(GEO_DIR, "powiat")
    assert "label" in again.columns and again.loc[0, "population"] > 0
    with pytest.raises(ValueError):
        districts(GEO_DIR, "county")


def test_lookup_codes_are_district_codes(index):
    assert set(index.teryt) == set(districts(GEO_DIR, "gmina")["teryt"])


# ---------------------------------------------------------------------------------- errors


def test_missing_geo_dir_is_a_clear_error(tmp_path):
    missing = tmp_path / "nope"
    for call in (
        lambda: geo_index(missing),
        lambda: districts(missing, "gmina"),
        lambda: kassets.build_map_assets(missing, tmp_path / "out"),
    ):
        with pytest.raises(FileNotFoundError) as exc:
            call()
        assert str(missing) in str(exc.value) and "KMZB_GEO_DIR" in str(exc.value)


def test_missing_geo_file_is_a_clear_error(tmp_path):
    partial = tmp_path / "geo"
    partial.mkdir()
    shutil.copy(GEO_DIR / "population.csv", partial / "population.csv")
    with pytest.raises(FileNotFoundError) as exc:
        districts(partial, "gmina")
    assert "population_gminas.csv" in str(exc.value) and "KMZB_GEO_DIR" in str(exc.value)
    with pytest.raises(FileNotFoundError) as exc:
        geo_index(partial)
    assert "gminas.geojson" in str(exc.value) and "KMZB_GEO_DIR" in str(exc.value)
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------------------------- map assets


def _load(out: Path, manifest: dict, level: str) -> list[dict]:
    return json.loads((out / manifest[level]).read_text(encoding="utf-8"))["features"]


def test_assets_files_sizes_and_manifest(assets):
    out, manifest = assets
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8")) == manifest
    limits = {"voivodeship": 150_000, "powiat": 400_000, "gmina": 1_300_000}
    for level in teryt.LEVELS:
        name = manifest[level]
        data = (out / name).read_bytes()
        assert name == f"{level}.{hashlib.sha256(data).hexdigest()[:8]}.geojson"
        assert len(data) <= limits[level], (level, len(data))
    assert manifest["tolerance_m"] in kassets.ASSET_TOLERANCES_M
    (minlat, minlon), (maxlat, maxlon) = manifest["bounds"]
    assert 48.9 < minlat < 49.1 and 54.7 < maxlat < 54.95 and 14.0 < minlon < 14.2 and 24.0 < maxlon < 24.2
    assert sorted(p.name for p in out.iterdir()) == sorted([manifest[lv] for lv in teryt.LEVELS] + ["manifest.json"])


@pytest.mark.parametrize("level", teryt.LEVELS)
def test_assets_features_match_districts(assets, level):
    out, manifest = assets
    features = _load(out, manifest, level)
    assert len(features) == COUNTS[level]
    table = districts(GEO_DIR, level).set_index("teryt")
    assert {f["properties"]["teryt"] for f in features} == set(table.index)
    order = list(table.index)
    for f in features:
        props = f["properties"]
        assert set(props) == {"i", "teryt", "name", "label", "parent", "bbox"}
        assert order[props["i"]] == props["teryt"]  # the map's value arrays are aligned on "i"
        row = table.loc[props["teryt"]]
        assert (props["name"], props["label"], props["parent"]) == (row["name"], row["label"], row["parent"])
        geom = shape(f["geometry"])
        assert geom.geom_type in ("Polygon", "MultiPolygon") and geom.is_valid and not geom.is_empty
        np.testing.assert_allclose(props["bbox"], geom.bounds, atol=1e-9)
    text = (out / manifest[level]).read_text(encoding="utf-8")
    assert "ł" in text or level == "voivodeship"  # UTF-8, diacritics not escaped


def test_assets_levels_nest_exactly(assets):
    out, manifest = assets
    geoms = {lv: {f["properties"]["teryt"]: shape(f["geometry"]) for f in _load(out, manifest, lv)} for lv in teryt.LEVELS}
    for level in teryt.LEVELS:
        assert shapely.coverage_is_valid(np.array(list(geoms[level].values())))
    for child, parent in (("gmina", "powiat"), ("powiat", "voivodeship")):
        n = teryt.DIGITS[parent]
        for code, g in geoms[parent].items():
            parts = np.array([c for t, c in geoms[child].items() if t[:n] == code])
            union = shapely.coverage_union_all(parts)
            assert shapely.symmetric_difference(union, g).area < 1e-12, (parent, code)
    # the landmarks lie in their gmina on the map too
    for lon, lat, code in LANDMARKS:
        if code:
            assert geoms["gmina"][code].contains(shapely.Point(lon, lat))
    # coordinates rounded to 4 decimals
    coords = shapely.get_coordinates(np.array(list(geoms["gmina"].values())))
    np.testing.assert_allclose(coords, np.round(coords, 4), atol=1e-12)


def test_assets_shapes_stay_close_to_the_source(assets):
    out, manifest = assets
    features = _load(out, manifest, "gmina")
    simple = np.array([shape(f["geometry"]) for f in features])
    index = geo_index(GEO_DIR)
    source = read_gminas(GEO_DIR)
    assert [f["properties"]["teryt"] for f in features] == list(source["teryt"]) == list(index.teryt)
    original = np.asarray(source.geometry.values)
    iou = shapely.area(shapely.intersection(original, simple)) / shapely.area(shapely.union(original, simple))
    assert np.median(iou) > 0.9 and iou.min() > 0.7


def test_assets_are_idempotent(assets, monkeypatch):
    out, manifest = assets
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    time.sleep(0.01)
    monkeypatch.setattr(kassets, "_asset_layers", lambda *a: pytest.fail("current assets were rebuilt"))
    again = kassets.build_map_assets(GEO_DIR, out)
    assert again == manifest
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before


def test_ensure_map_assets_rebuilds_missing_files_identically(assets, tmp_path):
    out, manifest = assets
    target = tmp_path / "assets" / "geo"
    shutil.copytree(out, target)
    os.remove(target / manifest["powiat"])
    got = kassets.ensure_map_assets(SimpleNamespace(geo_dir=GEO_DIR, assets_geo_dir=target))
    assert got == manifest  # rebuilt deterministically: same content, same hashed names
    for level in teryt.LEVELS:
        assert (target / got[level]).read_bytes() == (out / manifest[level]).read_bytes()
