"""The dashboard's map files: small GeoJSON layers that nest exactly, with content-hashed names
and a ``manifest.json``.

All three levels come from the gmina layer: ``shapely.coverage_simplify`` (Visvalingam-Whyatt,
metres, EPSG:2180) simplifies the gmina coverage as a whole, so neighbours stay edge-matched, and
powiats / voivodeships are ``shapely.coverage_union_all`` of their gminas (the reference folder's
powiats.geojson / voivodeships.geojson come from other sources and do not nest). The tolerance is
the smallest of ASSET_TOLERANCES_M that keeps every file under ASSET_SIZE_LIMITS (and the gminas,
rounded to ASSET_DECIMALS, a valid coverage); gminas it would deform keep their source borders.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kmzb import teryt
from kmzb.fsutil import PUBLIC_FILE, atomic_write
from kmzb.geo import crs
from kmzb.geo.districts import districts
from kmzb.geo.source import (
    GMINA_POP_FILE,
    GMINAS_FILE,
    POWIAT_POP_FILE,
    geo_path,
    read_gminas,
    valid_geometries,
)

ASSET_VERSION = 4
ASSET_DECIMALS = 4
ASSET_TOLERANCES_M = (0, 250, 500, 750, 1000, 1250, 1500, 2000, 2500, 3000, 4000, 5000)
ASSET_SIZE_LIMITS = {"voivodeship": 150_000, "powiat": 400_000, "gmina": 1_300_000}
ASSET_MIN_SHAPE_IOU = 0.8  # small and thin gminas (towns, the Hel peninsula) keep their shape
MANIFEST = "manifest.json"

_ASSET_RE = re.compile(r"^(voivodeship|powiat|gmina)\.[0-9a-f]{8}\.geojson$")
_build_lock = threading.Lock()


def _fingerprint(geo_dir: Path) -> str:
    parts: list[Any] = [ASSET_VERSION, ASSET_DECIMALS, ASSET_TOLERANCES_M, ASSET_SIZE_LIMITS, ASSET_MIN_SHAPE_IOU]
    for name in (GMINAS_FILE, POWIAT_POP_FILE, GMINA_POP_FILE):
        st = geo_path(geo_dir, name).stat()
        parts.append([name, st.st_size, st.st_mtime_ns])
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def _read_manifest(out_dir: Path) -> dict | None:
    try:
        return json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _feature_collection(geoms: np.ndarray, table: pd.DataFrame) -> bytes:
    import shapely
    import shapely.geometry

    features = []
    for i, (geom, row, bb) in enumerate(zip(geoms, table.itertuples(index=False), shapely.bounds(geoms))):
        features.append({
            "type": "Feature",
            "properties": {
                # "i": position in districts(level) (sorted by teryt); the map's style
                # function reads per-district values from arrays in this order
                "i": i,
                "teryt": row.teryt,
                "name": row.name,
                "label": row.label,
                "parent": row.parent,
                "bbox": [round(float(v), ASSET_DECIMALS) for v in bb],
            },
            "geometry": shapely.geometry.mapping(geom),
        })
    fc = {"type": "FeatureCollection", "features": features}
    return json.dumps(fc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _dissolve(geoms: np.ndarray, keys: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """The union of the gminas of each code (in the order of codes)."""
    import shapely

    missing = np.setdiff1d(codes, keys)
    if len(missing):
        raise ValueError(f"no gminas for district codes {missing[:5].tolist()}")
    return np.array([shapely.coverage_union_all(geoms[keys == code]) for code in codes], dtype=object)


def _simplified_gminas(metric: np.ndarray, tolerance: float) -> np.ndarray:
    """The gmina coverage (EPSG:2180) simplified, in lon/lat rounded to ASSET_DECIMALS (shared
    vertices round alike, so neighbours stay edge-matched). Gminas that the simplification
    would leave under ASSET_MIN_SHAPE_IOU of their source keep their source borders: the others
    are simplified again as a coverage with Poland's outside, holding the kept borders fixed."""
    import shapely

    simple = metric.copy()
    if tolerance:
        first = shapely.coverage_simplify(metric, tolerance)
        iou = shapely.area(shapely.intersection(metric, first)) / shapely.area(shapely.union(metric, first))
        free = np.flatnonzero(iou >= ASSET_MIN_SHAPE_IOU)
        minx, miny, maxx, maxy = shapely.total_bounds(metric)
        outside = shapely.difference(shapely.box(minx - 1e4, miny - 1e4, maxx + 1e4, maxy + 1e4),
                                     shapely.coverage_union_all(metric))
        coverage = np.append(metric[free], outside)
        simple[free] = shapely.coverage_simplify(coverage, tolerance, simplify_boundary=False)[:-1]

    def wgs84(c: np.ndarray) -> np.ndarray:
        return np.round(np.column_stack(crs.to_wgs84(c[:, 0], c[:, 1])), ASSET_DECIMALS)

    return shapely.remove_repeated_points(shapely.transform(simple, wgs84))


def _layers(tolerance: float, metric: np.ndarray, tables: dict[str, pd.DataFrame]) -> dict:
    import shapely

    gminas = _simplified_gminas(metric, tolerance)
    codes = tables["gmina"]["teryt"].to_numpy(dtype=str)
    geoms = {"gmina": gminas}
    for level in ("powiat", "voivodeship"):
        keys = np.array([teryt.prefix(c, level) for c in codes])
        geoms[level] = _dissolve(gminas, keys, tables[level]["teryt"].to_numpy(dtype=str))
    return {lv: shapely.orient_polygons(g, exterior_cw=False) for lv, g in geoms.items()}


def _asset_layers(geo_dir: Path) -> tuple[dict[str, bytes], list[list[float]], float]:
    """Serialised GeoJSON per level, bounds [[minlat, minlon], [maxlat, maxlon]], tolerance."""
    import shapely

    gdf = read_gminas(geo_dir)
    tables = {level: districts(geo_dir, level) for level in teryt.LEVELS}
    if not np.array_equal(gdf["teryt"].to_numpy(dtype=str), tables["gmina"]["teryt"].to_numpy(dtype=str)):
        raise ValueError(f"{GMINAS_FILE} and {GMINA_POP_FILE} have different gmina codes")
    geoms = valid_geometries(gdf)
    if not shapely.coverage_is_valid(geoms):
        geoms = shapely.coverage_clean(geoms)
    metric = crs.to_metric(geoms)

    @lru_cache(maxsize=None)
    def build(tolerance: float) -> tuple[dict, dict, bool]:
        layers = _layers(tolerance, metric, tables)
        data = {lv: _feature_collection(layers[lv], tables[lv]) for lv in teryt.LEVELS}
        valid = shapely.is_valid(layers["gmina"]).all() and shapely.coverage_is_valid(layers["gmina"])
        return layers, data, valid and all(len(data[lv]) <= ASSET_SIZE_LIMITS[lv] for lv in teryt.LEVELS)

    lo, hi = 0, len(ASSET_TOLERANCES_M) - 1
    while lo < hi:  # the first tolerance that fits (sizes fall as the tolerance grows)
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if build(ASSET_TOLERANCES_M[mid])[2] else (mid + 1, hi)
    tolerance = ASSET_TOLERANCES_M[lo]
    layers, data, _ = build(tolerance)
    b = shapely.total_bounds(layers["voivodeship"])
    return data, [[float(b[1]), float(b[0])], [float(b[3]), float(b[2])]], float(tolerance)


def build_map_assets(geo_dir: str | Path, out_dir: str | Path) -> dict:
    """Write the map's GeoJSON layers and manifest.json into out_dir; return the manifest.

    Files: ``<level>.<sha256[:8]>.geojson`` for voivodeship, powiat and gmina (features with
    i, teryt, name, label, parent, bbox [minlon, minlat, maxlon, maxlat]) and ``manifest.json``
    ``{"voivodeship": file, "powiat": file, "gmina": file, "bounds": [[minlat, minlon],
    [maxlat, maxlon]], "fingerprint": ..., "tolerance_m": ...}``. Coordinates: WGS 84, 4
    decimals, exterior rings counter-clockwise. Does nothing when the manifest's source
    fingerprint (sizes and mtimes of the source files, plus the build parameters) matches and
    its files exist. Writes are atomic; older layer files are removed.
    """
    geo_dir = geo_path(geo_dir)
    out_dir = Path(out_dir)
    fingerprint = _fingerprint(geo_dir)

    def current() -> dict | None:
        m = _read_manifest(out_dir)
        if (m and m.get("fingerprint") == fingerprint
                and all(isinstance(m.get(lv), str) and (out_dir / m[lv]).is_file() for lv in teryt.LEVELS)):
            return m
        return None

    manifest = current()
    if manifest is not None:
        return manifest
    with _build_lock:
        manifest = current()
        if manifest is not None:
            return manifest
        layers, bounds, tolerance = _asset_layers(geo_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        manifest = {}
        for level in teryt.LEVELS:
            data = layers[level]
            name = f"{level}.{hashlib.sha256(data).hexdigest()[:8]}.geojson"
            path = out_dir / name
            if not (path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data):
                atomic_write(path, data, PUBLIC_FILE)
            manifest[level] = name
        manifest["bounds"] = bounds
        manifest["fingerprint"] = fingerprint
        manifest["tolerance_m"] = tolerance
        atomic_write(out_dir / MANIFEST, json.dumps(manifest, indent=1).encode("utf-8"), PUBLIC_FILE)
        keep = {manifest[lv] for lv in teryt.LEVELS}
        for old in out_dir.iterdir():  # layer files of earlier builds
            if _ASSET_RE.match(old.name) and old.name not in keep:
                try:
                    old.unlink()
                except OSError:
                    pass
        return manifest


def ensure_map_assets(settings) -> dict:
    """build_map_assets(settings.geo_dir, settings.assets_geo_dir)."""
    return build_map_assets(settings.geo_dir, settings.assets_geo_dir)
