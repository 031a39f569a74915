"""Point (EPSG:2180) -> gmina TERYT: :func:`geo_index` -> :class:`GeoIndex`.

Powiat and voivodeship follow from the code's prefix (kmzb.teryt), so the three levels always
agree. The exact answer is shapely's: ``STRtree.query(points, predicate="intersects")`` on the
gminas, and ``STRtree.query_nearest`` within the tolerance for points outside every gmina
(:meth:`GeoIndex.lookup_exact`). :meth:`GeoIndex.lookup` gives the same answer faster by asking
shapely only about points near a border: a raster of ``cell_m`` cells marks the cells a border
may pass through (the gmina borders densified with ``shapely.segmentize``); every connected
group of the other cells (``scipy.ndimage.label``) lies inside one gmina or outside all of them,
which one point of the group tells. The raster costs ~0.6 s to build and repays it only on large
batches (shapely alone answers ~2 µs a point): it is built on the first batch of at least
``raster_from`` points, and smaller batches before that ask shapely (a nightly file's ingest,
a test's CLI run). Figures: bench/bench_geo.py, bench/HISTORY.md.
"""

from __future__ import annotations

import math
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np

from kmzb.geo import crs
from kmzb.geo.crs import CRS_METRIC
from kmzb.geo.source import (
    GMINAS_FILE,
    geo_path,
    read_gminas,
    resolved,
    valid_geometries,
)

DEFAULT_TOLERANCE_M = 2000.0
DEFAULT_CELL_M = 250.0
RASTER_FROM = 200_000  # points in one batch from which the raster is built (see the docstring)

_BORDER = -1  # a cell a gmina border may cross: ask shapely
_OUTSIDE = -2  # a cell outside every gmina


class GeoIndex:
    """Gmina lookup for EPSG:2180 points; build with :func:`geo_index` (cached)."""

    def __init__(self, geo_dir: str | Path, *, tolerance_m: float = DEFAULT_TOLERANCE_M,
                 cell_m: float = DEFAULT_CELL_M, raster_from: int = RASTER_FROM) -> None:
        import shapely

        gdf = read_gminas(geo_dir).to_crs(CRS_METRIC)
        self.geo_dir = Path(geo_dir)
        self.tolerance_m = float(tolerance_m)
        self.cell_m = float(cell_m)
        self.raster_from = int(raster_from)
        self.teryt: np.ndarray = gdf["teryt"].to_numpy(dtype=object)  # sorted ascending
        self.names: np.ndarray = gdf["name"].to_numpy(dtype=object) if "name" in gdf else self.teryt.copy()
        self.geometries: np.ndarray = valid_geometries(gdf)
        shapely.prepare(self.geometries)
        self._tree = shapely.STRtree(self.geometries)
        self._codes = np.append(self.teryt, None).astype(object)  # position -1 -> None
        self._lock = threading.Lock()
        self._near: dict[int, np.ndarray] = {}
        self._grid: np.ndarray | None = None  # the raster, once a batch needs it (ensure_raster)

    def ensure_raster(self) -> np.ndarray:
        """The raster, built now if it is not yet (bench/bench_geo.py times it on its own)."""
        with self._lock:
            if self._grid is None:
                self._build_raster()
            return self._grid

    def _build_raster(self) -> None:
        import shapely
        from scipy import ndimage

        cs = self.cell_m
        minx, miny, maxx, maxy = shapely.total_bounds(self.geometries)
        margin = self.tolerance_m + 2 * cs
        self._x0 = math.floor((minx - margin) / cs) * cs
        self._y0 = math.floor((miny - margin) / cs) * cs
        nc = math.ceil((maxx + margin - self._x0) / cs)
        nr = math.ceil((maxy + margin - self._y0) / cs)
        self.grid_margin_m = margin - cs  # a point off the raster is at least this far from land

        # Every point of a border lies within step/2 (each axis) of a vertex of the border
        # densified to segments <= step; the cells of the four corners of that square around
        # each vertex hold every cell the border passes through.
        step = cs / 4
        xy = shapely.get_coordinates(shapely.segmentize(shapely.boundary(self.geometries), step))
        border = np.zeros((nr, nc), dtype=bool)
        for dx in (-step / 2, step / 2):
            for dy in (-step / 2, step / 2):
                border[self._cell(xy[:, 1] + dy, self._y0), self._cell(xy[:, 0] + dx, self._x0)] = True

        # No border crosses a group of edge-connected free cells: one point tells its gmina.
        groups, n = ndimage.label(~border)
        _, first = np.unique(groups, return_index=True)  # label 0 (the border cells) first
        r, c = np.divmod(first[1:], nc)
        inside = self._exact((c + 0.5) * cs + self._x0, (r + 0.5) * cs + self._y0)
        code = np.concatenate([[_BORDER], np.where(inside >= 0, inside, _OUTSIDE)])
        self._grid = code.astype(np.int16 if len(self.teryt) < 2**15 else np.int32)[groups]

    def _cell(self, v: np.ndarray, v0: float) -> np.ndarray:
        return np.floor((v - v0) / self.cell_m).astype(np.int64)

    def _near_mask(self, tolerance_m: float) -> np.ndarray:
        """Cells that may hold a point within tolerance_m of a gmina (conservative)."""
        from scipy import ndimage

        k = math.ceil(tolerance_m / self.cell_m)
        grid = self.ensure_raster()
        with self._lock:
            if k not in self._near:
                self._near[k] = ndimage.maximum_filter(grid != _OUTSIDE, size=2 * k + 1, mode="constant")
            return self._near[k]

    def _lowest(self, n: int, inp: np.ndarray, hit: np.ndarray) -> np.ndarray:
        """Lowest gmina position (= lowest TERYT) per input, -1 where none."""
        out = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(out, inp, hit)
        out[out == np.iinfo(np.int64).max] = -1
        return out

    def _exact(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        import shapely

        inp, hit = self._tree.query(shapely.points(x, y), predicate="intersects")
        return self._lowest(len(x), inp, hit)

    def _nearest(self, x: np.ndarray, y: np.ndarray, tolerance_m: float) -> np.ndarray:
        import shapely

        if len(x) == 0 or tolerance_m <= 0:
            return np.full(len(x), -1, dtype=np.int64)
        inp, hit = self._tree.query_nearest(shapely.points(x, y), max_distance=tolerance_m, all_matches=True)
        return self._lowest(len(x), inp, hit)

    @staticmethod
    def _flat(x, y) -> tuple[np.ndarray, np.ndarray, tuple]:
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        if x.shape != y.shape:
            raise ValueError(f"x and y differ in shape: {x.shape} vs {y.shape}")
        return x.ravel(), y.ravel(), x.shape

    def lookup_index(self, x, y, tolerance_m: float | None = None) -> np.ndarray:
        """Like :meth:`lookup` but returns positions into ``self.teryt`` (int64, -1 = none)."""
        tol = self.tolerance_m if tolerance_m is None else float(tolerance_m)
        x, y, shape = self._flat(x, y)
        if self._grid is None and len(x) < self.raster_from:
            return self._exact_index(x, y, tol).reshape(shape)
        grid = self.ensure_raster()
        out = np.full(len(x), -1, dtype=np.int64)
        nr, nc = grid.shape
        with np.errstate(invalid="ignore"):
            r = np.floor((y - self._y0) / self.cell_m)
            c = np.floor((x - self._x0) / self.cell_m)
            inr = (r >= 0) & (r < nr) & (c >= 0) & (c < nc)  # NaN -> False
        on = np.flatnonzero(inr)
        cell = r[on].astype(np.int64) * nc + c[on].astype(np.int64)
        code = grid.ravel()[cell]
        out[on] = np.maximum(code, -1)

        outside = code == _OUTSIDE
        near = [on[outside][self._near_mask(tol).ravel()[cell[outside]]]] if tol > 0 else []
        if tol > self.grid_margin_m:  # points off the raster might still be within tolerance
            near.append(np.flatnonzero(~inr & np.isfinite(x) & np.isfinite(y)))
        b = on[code == _BORDER]
        if len(b):
            out[b] = self._exact(x[b], y[b])
            near.append(b[out[b] < 0])
        q = np.concatenate(near) if near else np.empty(0, dtype=np.int64)
        out[q] = self._nearest(x[q], y[q], tol)
        return out.reshape(shape)

    def lookup(self, x, y, tolerance_m: float | None = None) -> np.ndarray:
        """Gmina TERYT (7-digit str) of each EPSG:2180 point, None outside Poland / for NaN.

        A point inside no gmina but within ``tolerance_m`` (default: the index's, 2000 m) of
        one gets the nearest gmina. A point on a border shared by several gminas gets the
        lowest TERYT. Returns an object array of the inputs' shape.
        """
        return self._codes[self.lookup_index(x, y, tolerance_m)]

    def lookup_exact(self, x, y, tolerance_m: float | None = None) -> np.ndarray:
        """:meth:`lookup` asking shapely about every point (no raster)."""
        tol = self.tolerance_m if tolerance_m is None else float(tolerance_m)
        x, y, shape = self._flat(x, y)
        return self._codes[self._exact_index(x, y, tol)].reshape(shape)

    def _exact_index(self, x: np.ndarray, y: np.ndarray, tol: float) -> np.ndarray:
        out = np.full(len(x), -1, dtype=np.int64)
        ok = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
        out[ok] = self._exact(x[ok], y[ok])
        miss = ok[out[ok] < 0]
        out[miss] = self._nearest(x[miss], y[miss], tol)
        return out

    def to_wgs84(self, x, y):
        """EPSG:2180 (x, y) -> (lon, lat)."""
        return crs.to_wgs84(x, y)

    def from_wgs84(self, lon, lat):
        """(lon, lat) -> EPSG:2180 (x, y)."""
        return crs.from_wgs84(lon, lat)

    def __len__(self) -> int:
        return len(self.teryt)

    def __repr__(self) -> str:
        raster = "not built" if self._grid is None else "{}x{}@{:g}m".format(*self._grid.shape, self.cell_m)
        return (f"GeoIndex({str(self.geo_dir)!r}, gminas={len(self.teryt)}, "
                f"raster={raster}, tolerance_m={self.tolerance_m:g})")


@lru_cache(maxsize=4)
def _geo_index_cached(resolved_dir: str) -> GeoIndex:
    return GeoIndex(resolved_dir)


def geo_index(geo_dir: str | Path) -> GeoIndex:
    """The (cached, per resolved path) gmina lookup index for geo_dir."""
    geo_path(geo_dir, GMINAS_FILE)
    return _geo_index_cached(resolved(geo_dir))
