"""EPSG:2180 (PUWG 1992: x = easting, y = northing, metres) <-> WGS 84 (lon, lat), with pyproj."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

CRS_METRIC = "EPSG:2180"
CRS_WGS84 = "EPSG:4326"


@lru_cache(maxsize=4)
def _transformer(src: str, dst: str):
    from pyproj import Transformer

    # pyproj >= 3.1 Transformers are thread-safe.
    return Transformer.from_crs(src, dst, always_xy=True)


def _transform(src: str, dst: str, a, b) -> tuple[Any, Any]:
    scalar = np.ndim(a) == 0 and np.ndim(b) == 0
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"coordinate arrays differ in shape: {a.shape} vs {b.shape}")
    u, v = _transformer(src, dst).transform(a, b)
    if scalar:
        return float(u), float(v)
    return np.asarray(u, dtype=np.float64).reshape(a.shape), np.asarray(v, dtype=np.float64).reshape(a.shape)


def to_wgs84(x, y) -> tuple[np.ndarray, np.ndarray]:
    """EPSG:2180 (x, y) in metres -> (lon, lat) in WGS 84 (floats for scalars)."""
    return _transform(CRS_METRIC, CRS_WGS84, x, y)


def from_wgs84(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """(lon, lat) in WGS 84 -> EPSG:2180 (x, y) in metres (floats for scalars)."""
    return _transform(CRS_WGS84, CRS_METRIC, lon, lat)


def to_metric(geoms: np.ndarray) -> np.ndarray:
    """WGS 84 geometries in EPSG:2180."""
    import shapely

    return shapely.transform(geoms, lambda c: np.column_stack(from_wgs84(c[:, 0], c[:, 1])))
