"""Geography: gmina point lookup, district tables and the dashboard's map assets.

All data come from the reference geo folder (``Settings.geo_dir``, env ``KMZB_GEO_DIR``), see
its README: ``gminas.geojson`` (2,477 gminas, EPSG:4326, TERYT codes), ``population.csv``
(powiats) and ``population_gminas.csv`` (gminas). Nothing is read at import time.

* :func:`geo_index` -> :class:`GeoIndex`: vectorised point -> gmina TERYT lookup for points in
  EPSG:2180 (PUWG 1992, metres), plus EPSG:2180 <-> WGS 84 conversion.
  Powiat and voivodeship follow from the code prefix (``teryt[:4]``, ``teryt[:2]``), so the
  three levels always agree.
* :func:`districts`: one row per voivodeship / powiat / gmina with name, label, population and
  parent code.
* :func:`build_map_assets` / :func:`ensure_map_assets`: small, exactly nested GeoJSON files for
  the map (content-hashed names + ``manifest.json``), all derived from the gmina layer: its
  borders are split into shared arcs, each simplified once, so neighbours stay edge-matched and
  powiats / voivodeships are exact dissolves of the gminas (no powiats.geojson /
  voivodeships.geojson geometry is used: those come from other sources and do not nest).

Lookup method: a raster of ``cell_m`` (250 m) cells over the gmina extent, built once with a
scan-line fill. A cell that no gmina border crosses lies entirely inside one gmina (its code
is stored) or entirely outside all of them; only points in cells crossed by a border are
tested exactly (shapely STRtree, prepared polygons), and only points outside every gmina but
in cells within the tolerance of land go to a nearest-gmina search. The result equals the
exact point-in-polygon answer (see tests/test_geo.py) at ~7x the speed (3M points: ~0.8 s).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kmzb.fsutil import PUBLIC_FILE, atomic_write

GMINAS_FILE = "gminas.geojson"
POWIAT_POP_FILE = "population.csv"
GMINA_POP_FILE = "population_gminas.csv"

LEVELS = ("voivodeship", "powiat", "gmina")
_PREFIX = {"voivodeship": 2, "powiat": 4, "gmina": 7}

CRS_METRIC = "EPSG:2180"
CRS_WGS84 = "EPSG:4326"

DEFAULT_TOLERANCE_M = 2000.0
DEFAULT_CELL_M = 250.0

# Voivodeship names as in the TERYT register (stable since 1999).
VOIVODESHIPS: dict[str, str] = {
    "02": "dolnośląskie",
    "04": "kujawsko-pomorskie",
    "06": "lubelskie",
    "08": "lubuskie",
    "10": "łódzkie",
    "12": "małopolskie",
    "14": "mazowieckie",
    "16": "opolskie",
    "18": "podkarpackie",
    "20": "podlaskie",
    "22": "pomorskie",
    "24": "śląskie",
    "26": "świętokrzyskie",
    "28": "warmińsko-mazurskie",
    "30": "wielkopolskie",
    "32": "zachodniopomorskie",
}

GMINA_TYPES = {"1": "gmina miejska", "2": "gmina wiejska", "3": "gmina miejsko-wiejska"}

# Map assets. The gmina coverage is split into arcs (borders between two gminas or a gmina and
# the outside, cut at nodes); each arc is simplified once (Douglas-Peucker, metres, EPSG:2180)
# and shared by every polygon - of every level - that uses it, so neighbours stay edge-matched
# and powiats / voivodeships are exact dissolves of the gmina layer. Arcs on powiat or
# voivodeship borders ("border") and arcs inside a powiat ("inner") get separate tolerances,
# the smallest from these lists that keep every file under its size limit; an arc's tolerance
# is capped at factor * area / perimeter of the narrower gmina it bounds (small and thin units
# such as towns or the Hel peninsula keep their shape).
ASSET_VERSION = 3
ASSET_DECIMALS = 4
ASSET_BORDER_TOLERANCES_M = (0, 250, 500, 750, 1000, 1500, 2000, 3000, 5000)
ASSET_INNER_TOLERANCES_M = (0, 250, 500, 750, 1000, 1500, 2000, 3000, 5000)
ASSET_SMALL_UNIT_FACTORS = (0.4, 0.6, 1.0, 2.0, math.inf)  # relaxed only if the files are too big
ASSET_SIZE_LIMITS = {"voivodeship": 150_000, "powiat": 400_000, "gmina": 1_300_000}
MANIFEST = "manifest.json"

_GRID_BOUNDARY = -1  # cell crossed by a gmina border: exact test
_GRID_OUTSIDE = -2  # cell entirely outside every gmina


# --------------------------------------------------------------------------------------------
# files


def _geo_path(geo_dir: str | Path, name: str | None = None) -> Path:
    base = Path(geo_dir)
    if not base.is_dir():
        raise FileNotFoundError(
            f"Geo data directory not found: {base}. Set KMZB_GEO_DIR to the folder with "
            f"{GMINAS_FILE}, {POWIAT_POP_FILE} and {GMINA_POP_FILE} (see shared/geo/README.md)."
        )
    if name is None:
        return base
    path = base / name
    if not path.is_file():
        raise FileNotFoundError(
            f"Geo data file not found: {path}. Set KMZB_GEO_DIR to the folder with "
            f"{GMINAS_FILE}, {POWIAT_POP_FILE} and {GMINA_POP_FILE} (see shared/geo/README.md)."
        )
    return path


def _resolved(geo_dir: str | Path) -> str:
    return str(Path(geo_dir).expanduser().resolve())


def _read_gminas(geo_dir: str | Path):
    """The gmina layer as a GeoDataFrame (EPSG:4326), sorted by TERYT, index 0..n-1."""
    import geopandas as gpd

    path = _geo_path(geo_dir, GMINAS_FILE)
    gdf = gpd.read_file(path)
    if "teryt" not in gdf.columns:
        raise ValueError(f"{path}: features have no 'teryt' property")
    if gdf.crs is None:
        gdf = gdf.set_crs(CRS_WGS84)
    gdf["teryt"] = gdf["teryt"].astype(str)
    if gdf["teryt"].duplicated().any():
        raise ValueError(f"{path}: duplicate gmina TERYT codes")
    return gdf.sort_values("teryt", kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# coordinate transforms


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
    """EPSG:2180 (x = easting, y = northing, metres) -> (lon, lat) in WGS 84."""
    return _transform(CRS_METRIC, CRS_WGS84, x, y)


def from_wgs84(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """(lon, lat) in WGS 84 -> EPSG:2180 (x, y) in metres."""
    return _transform(CRS_WGS84, CRS_METRIC, lon, lat)


# --------------------------------------------------------------------------------------------
# point lookup


def _edges(geoms: np.ndarray) -> tuple[np.ndarray, ...]:
    """All ring edges of polygonal geoms as (x0, y0, x1, y1, geometry index)."""
    import shapely

    parts, part_of = shapely.get_parts(geoms, return_index=True)
    rings, ring_of = shapely.get_rings(parts, return_index=True)
    coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
    same = coord_ring[1:] == coord_ring[:-1]
    x0 = coords[:-1, 0][same]
    y0 = coords[:-1, 1][same]
    x1 = coords[1:, 0][same]
    y1 = coords[1:, 1][same]
    poly = part_of[ring_of[coord_ring[:-1][same]]]
    return x0, y0, x1, y1, poly


def _ranges(start: np.ndarray, count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For groups i with start[i], count[i]: (group index per item, start[i] + 0..count[i]-1)."""
    count = np.maximum(count, 0)
    group = np.repeat(np.arange(len(count)), count)
    offset = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    return group, np.repeat(start, count) + offset


def _dilate(mask: np.ndarray, k: int) -> np.ndarray:
    """Binary dilation with a (2k+1) x (2k+1) square (Chebyshev distance <= k cells)."""
    if k <= 0:
        return mask.copy()
    out = mask
    for axis in (0, 1):
        m = np.moveaxis(out, axis, 0).astype(np.int32)
        n = m.shape[0]
        cs = np.zeros((n + 1,) + m.shape[1:], dtype=np.int32)
        np.cumsum(m, axis=0, out=cs[1:])
        lo = np.clip(np.arange(n) - k, 0, n)
        hi = np.clip(np.arange(n) + k + 1, 0, n)
        out = np.moveaxis((cs[hi] - cs[lo]) > 0, 0, axis)
    return np.ascontiguousarray(out)


class GeoIndex:
    """Gmina lookup for EPSG:2180 points; build with :func:`geo_index` (cached)."""

    def __init__(
        self,
        geo_dir: str | Path,
        *,
        tolerance_m: float = DEFAULT_TOLERANCE_M,
        cell_m: float = DEFAULT_CELL_M,
    ) -> None:
        import shapely

        gdf = _read_gminas(geo_dir).to_crs(CRS_METRIC)
        geoms = np.asarray(gdf.geometry.values, dtype=object)
        bad = ~shapely.is_valid(geoms)
        if bad.any():
            geoms[bad] = shapely.make_valid(geoms[bad])
        self.geo_dir = Path(geo_dir)
        self.tolerance_m = float(tolerance_m)
        self.cell_m = float(cell_m)
        self.teryt: np.ndarray = gdf["teryt"].to_numpy(dtype=object)  # sorted ascending
        self.names: np.ndarray = gdf["name"].to_numpy(dtype=object) if "name" in gdf else self.teryt.copy()
        self.geometries: np.ndarray = geoms
        shapely.prepare(self.geometries)
        self._tree = shapely.STRtree(self.geometries)
        # teryt per code, with None for -1 (code lookup via self._codes[idx])
        self._codes = np.append(self.teryt, None).astype(object)
        self._lock = threading.Lock()
        self._near: dict[int, np.ndarray] = {}
        self._build_grid()

    # -- grid -----------------------------------------------------------------------------

    def _build_grid(self) -> None:
        import shapely

        cs = self.cell_m
        minx, miny, maxx, maxy = np.asarray(shapely.total_bounds(self.geometries), dtype=np.float64)
        margin = self.tolerance_m + 2 * cs
        gx0 = math.floor((minx - margin) / cs) * cs
        gy0 = math.floor((miny - margin) / cs) * cs
        nc = int(math.ceil((maxx + margin - gx0) / cs))
        nr = int(math.ceil((maxy + margin - gy0) / cs))
        self._gx0, self._gy0, self._nr, self._nc = gx0, gy0, nr, nc
        self.grid_margin_m = margin - cs  # any point outside the grid is >= this from land

        x0, y0, x1, y1, poly = _edges(self.geometries)
        grid = np.full(nr * nc, _GRID_OUTSIDE, dtype=np.int16 if len(self.teryt) < 32000 else np.int32)

        # 1. scan-line fill: cell centre (gx0 + (c+.5)cs, gy0 + (r+.5)cs), even-odd rule per gmina
        ylo = np.minimum(y0, y1)
        yhi = np.maximum(y0, y1)
        r0 = np.ceil((ylo - gy0) / cs - 0.5).astype(np.int64)
        r1 = np.ceil((yhi - gy0) / cs - 0.5).astype(np.int64)  # rows with ylo <= yc < yhi
        e, r = _ranges(r0, r1 - r0)
        yc = gy0 + (r + 0.5) * cs
        xc = x0[e] + (yc - y0[e]) * (x1[e] - x0[e]) / (y1[e] - y0[e])
        p = poly[e]
        order = np.lexsort((xc, r, p))
        xc, r, p = xc[order], r[order], p[order]
        if len(xc) % 2 or not (np.array_equal(r[0::2], r[1::2]) and np.array_equal(p[0::2], p[1::2])):
            raise ValueError("gmina rings are not closed; cannot build the lookup grid")
        c0 = np.ceil((xc[0::2] - gx0) / cs - 0.5).astype(np.int64)
        c1 = np.ceil((xc[1::2] - gx0) / cs - 0.5).astype(np.int64)
        s, c = _ranges(c0, c1 - c0)
        grid[r[0::2][s] * nc + c] = p[0::2][s]

        # 2. cells touched by any edge (closed cells, with a small epsilon) -> exact test
        touched = np.zeros(nr * nc, dtype=bool)
        eps = 1e-3

        def mark(rows_f: np.ndarray, cols: np.ndarray) -> None:
            # rows_f: fractional row coordinate; mark floor(row +- eps)
            for d in (-eps, eps):
                rr = np.floor(rows_f + d / cs).astype(np.int64)
                touched[rr * nc + cols] = True

        # crossings with vertical grid lines x = gx0 + k cs (cells k-1 and k)
        xlo = np.minimum(x0, x1)
        xhi = np.maximum(x0, x1)
        nonvert = x1 != x0
        k0 = np.ceil((xlo - gx0) / cs).astype(np.int64)
        k1 = np.floor((xhi - gx0) / cs).astype(np.int64) + 1
        e, k = _ranges(k0, np.where(nonvert, k1 - k0, 0))
        xk = gx0 + k * cs
        yk = y0[e] + (xk - x0[e]) * (y1[e] - y0[e]) / (x1[e] - x0[e])
        rf = (yk - gy0) / cs
        mark(rf, k - 1)
        mark(rf, k)
        # crossings with horizontal grid lines y = gy0 + k cs (cells k-1 and k)
        nonhor = y1 != y0
        k0 = np.ceil((ylo - gy0) / cs).astype(np.int64)
        k1 = np.floor((yhi - gy0) / cs).astype(np.int64) + 1
        e, k = _ranges(k0, np.where(nonhor, k1 - k0, 0))
        yk = gy0 + k * cs
        xk = x0[e] + (yk - y0[e]) * (x1[e] - x0[e]) / (y1[e] - y0[e])
        for d in (-eps, eps):
            cc = np.floor((xk - gx0 + d) / cs).astype(np.int64)
            touched[(k - 1) * nc + cc] = True
            touched[k * nc + cc] = True
        # edge end points
        for d in (-eps, eps):
            cc = np.floor((x0 - gx0 + d) / cs).astype(np.int64)
            mark((y0 - gy0) / cs, cc)

        grid[touched] = _GRID_BOUNDARY
        self._grid = grid.reshape(nr, nc)

    def _near_mask(self, tolerance_m: float) -> np.ndarray:
        """Cells that may hold a point within tolerance_m of a gmina (conservative)."""
        k = int(math.ceil(tolerance_m / self.cell_m))
        with self._lock:
            mask = self._near.get(k)
            if mask is None:
                mask = _dilate(self._grid != _GRID_OUTSIDE, k)
                self._near[k] = mask
            return mask

    # -- lookup ---------------------------------------------------------------------------

    def _first_hits(self, n: int, inp: np.ndarray, hit: np.ndarray) -> np.ndarray:
        """Lowest tree index (= lowest TERYT) per input, -1 where none."""
        out = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(out, inp, hit)
        out[out == np.iinfo(np.int64).max] = -1
        return out

    def _exact(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        import shapely

        if len(x) == 0:
            return np.empty(0, dtype=np.int64)
        inp, cand = self._tree.query(shapely.points(x, y))
        ok = shapely.intersects_xy(self.geometries[cand], x[inp], y[inp])
        return self._first_hits(len(x), inp[ok], cand[ok])

    def _nearest(self, x: np.ndarray, y: np.ndarray, tolerance_m: float) -> np.ndarray:
        import shapely

        if len(x) == 0 or tolerance_m <= 0:
            return np.full(len(x), -1, dtype=np.int64)
        inp, cand = self._tree.query_nearest(
            shapely.points(x, y), max_distance=tolerance_m, all_matches=True
        )
        return self._first_hits(len(x), inp, cand)

    def lookup_index(self, x, y, tolerance_m: float | None = None) -> np.ndarray:
        """Like :meth:`lookup` but returns positions into ``self.teryt`` (int64, -1 = none)."""
        tol = self.tolerance_m if tolerance_m is None else float(tolerance_m)
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        if x.shape != y.shape:
            raise ValueError(f"x and y differ in shape: {x.shape} vs {y.shape}")
        shape = x.shape
        x = x.ravel()
        y = y.ravel()
        n = len(x)
        out = np.full(n, -1, dtype=np.int64)
        if n == 0:
            return out.reshape(shape)
        with np.errstate(invalid="ignore"):
            cf = np.floor((x - self._gx0) / self.cell_m)
            rf = np.floor((y - self._gy0) / self.cell_m)
            ingrid = (cf >= 0) & (cf < self._nc) & (rf >= 0) & (rf < self._nr)  # NaN -> False
        gi = np.flatnonzero(ingrid)
        cell = rf[gi].astype(np.int64) * self._nc + cf[gi].astype(np.int64)
        code = self._grid.ravel()[cell]
        inside = code >= 0
        out[gi[inside]] = code[inside]

        near_pts = [gi[code == _GRID_OUTSIDE][self._near_mask(tol).ravel()[cell[code == _GRID_OUTSIDE]]]]
        if tol > self.grid_margin_m:  # points beyond the grid might still be within tolerance
            near_pts.append(np.flatnonzero(~ingrid & np.isfinite(x) & np.isfinite(y)))

        b = gi[code == _GRID_BOUNDARY]
        if len(b):
            hit = self._exact(x[b], y[b])
            out[b] = hit
            near_pts.append(b[hit < 0])
        q = np.concatenate(near_pts)
        if len(q) and tol > 0:
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
        """Reference implementation of :meth:`lookup` without the grid (slower; for tests)."""
        tol = self.tolerance_m if tolerance_m is None else float(tolerance_m)
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        shape = x.shape
        x, y = x.ravel(), y.ravel()
        out = np.full(len(x), -1, dtype=np.int64)
        ok = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
        hit = self._exact(x[ok], y[ok])
        out[ok] = hit
        miss = ok[hit < 0]
        out[miss] = self._nearest(x[miss], y[miss], tol)
        return self._codes[out].reshape(shape)

    def to_wgs84(self, x, y):
        """EPSG:2180 (x, y) -> (lon, lat)."""
        return to_wgs84(x, y)

    def from_wgs84(self, lon, lat):
        """(lon, lat) -> EPSG:2180 (x, y)."""
        return from_wgs84(lon, lat)

    def __len__(self) -> int:
        return len(self.teryt)

    def __repr__(self) -> str:
        return (
            f"GeoIndex({str(self.geo_dir)!r}, gminas={len(self.teryt)}, "
            f"grid={self._nr}x{self._nc}@{self.cell_m:g}m, tolerance_m={self.tolerance_m:g})"
        )


@lru_cache(maxsize=4)
def _geo_index_cached(resolved_dir: str) -> GeoIndex:
    return GeoIndex(resolved_dir)


def geo_index(geo_dir: str | Path) -> GeoIndex:
    """The (cached, per resolved path) gmina lookup index for geo_dir."""
    _geo_path(geo_dir, GMINAS_FILE)
    return _geo_index_cached(_resolved(geo_dir))


# --------------------------------------------------------------------------------------------
# district tables


def _read_population(path: Path) -> pd.DataFrame:
    df = pd.read_csv(path, dtype={"teryt": str, "name": str})
    missing = {"teryt", "name", "population"} - set(df.columns)
    if missing:
        raise ValueError(f"{path}: missing columns {sorted(missing)}")
    if df["teryt"].duplicated().any():
        raise ValueError(f"{path}: duplicate TERYT codes")
    return df


def _powiat_label(teryt: str, name: str) -> str:
    return name if int(teryt[2:4]) > 60 else f"powiat {name}"


def _gmina_label(teryt: str, name: str) -> str:
    kind = GMINA_TYPES.get(teryt[-1])
    return f"{name} ({kind})" if kind else name


@lru_cache(maxsize=16)
def _districts_cached(resolved_dir: str, level: str) -> pd.DataFrame:
    powiats = _read_population(_geo_path(resolved_dir, POWIAT_POP_FILE))
    if level == "gmina":
        df = _read_population(_geo_path(resolved_dir, GMINA_POP_FILE))
        df["label"] = [_gmina_label(t, n) for t, n in zip(df["teryt"], df["name"])]
        df["parent"] = df["teryt"].str[:4]
    elif level == "powiat":
        df = powiats.copy()
        df["label"] = [_powiat_label(t, n) for t, n in zip(df["teryt"], df["name"])]
        df["parent"] = df["teryt"].str[:2]
    else:
        pop = powiats.groupby(powiats["teryt"].str[:2])["population"].sum()
        unknown = sorted(set(pop.index) - set(VOIVODESHIPS))
        if unknown:
            raise ValueError(f"unknown voivodeship codes in {POWIAT_POP_FILE}: {unknown}")
        df = pd.DataFrame({"teryt": list(pop.index), "population": pop.to_numpy()})
        df["name"] = df["teryt"].map(VOIVODESHIPS)
        df["label"] = "województwo " + df["name"]
        df["parent"] = ""
    out = df[["teryt", "name", "label", "population", "parent"]].copy()
    for col in ("teryt", "name", "label", "parent"):
        out[col] = out[col].astype(str)
    out["population"] = out["population"].astype(np.int64)
    return out.sort_values("teryt", kind="stable").reset_index(drop=True)


def districts(geo_dir: str | Path, level: str) -> pd.DataFrame:
    """Districts of a level ("voivodeship", "powiat", "gmina"), sorted by TERYT.

    Columns: teryt, name (as in TERYT), label (display name with the unit type), population
    (GUS, 31 Dec 2024; voivodeships = sum of powiats), parent (TERYT one level up, "" for
    voivodeships). Returns a copy of a cached frame.
    """
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; expected one of {LEVELS}")
    _geo_path(geo_dir)
    return _districts_cached(_resolved(geo_dir), level).copy()


# --------------------------------------------------------------------------------------------
# map assets


def _fingerprint(geo_dir: Path) -> str:
    parts: list[Any] = [
        ASSET_VERSION, ASSET_DECIMALS, ASSET_BORDER_TOLERANCES_M, ASSET_INNER_TOLERANCES_M,
        ASSET_SMALL_UNIT_FACTORS, ASSET_SIZE_LIMITS,
    ]
    for name in (GMINAS_FILE, POWIAT_POP_FILE, GMINA_POP_FILE):
        st = _geo_path(geo_dir, name).stat()
        parts.append([name, st.st_size, st.st_mtime_ns])
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def _read_manifest(out_dir: Path) -> dict | None:
    try:
        return json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _feature_collection(geoms: np.ndarray, table: pd.DataFrame, decimals: int) -> bytes:
    import shapely
    import shapely.geometry

    features = []
    bounds = shapely.bounds(geoms)
    for i, (geom, row, bb) in enumerate(zip(geoms, table.itertuples(index=False), bounds)):
        features.append(
            {
                "type": "Feature",
                "properties": {
                    # "i": position in districts(level) (sorted by teryt); the map's style
                    # function reads per-district values from arrays in this order
                    "i": i,
                    "teryt": row.teryt,
                    "name": row.name,
                    "label": row.label,
                    "parent": row.parent,
                    "bbox": [round(float(v), decimals) for v in bb],
                },
                "geometry": shapely.geometry.mapping(geom),
            }
        )
    fc = {"type": "FeatureCollection", "features": features}
    return json.dumps(fc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class _Topology:
    """The gmina coverage as arcs: maximal border lines between the same two gminas (or a
    gmina and the outside), cut at nodes (vertices where three or more borders meet)."""

    def __init__(self, geoms: np.ndarray, teryt: np.ndarray) -> None:
        import shapely

        self.n = len(geoms)
        parts, part_of = shapely.get_parts(geoms, return_index=True)
        ring_xy: list[np.ndarray] = []
        ring_part: list[int] = []
        ring_shell: list[bool] = []
        for i, part in enumerate(parts):
            for k, ring in enumerate((part.exterior, *part.interiors)):
                ring_xy.append(shapely.get_coordinates(ring)[:-1])
                ring_part.append(i)
                ring_shell.append(k == 0)
        self.part_of = np.asarray(part_of)
        self.ring_part = np.asarray(ring_part)
        self.ring_shell = np.asarray(ring_shell)
        lens = np.array([len(c) for c in ring_xy])
        lonlat, vid = np.unique(np.concatenate(ring_xy), axis=0, return_inverse=True)
        vid = vid.ravel()
        nv = len(lonlat)
        ring_owner = np.repeat(self.part_of[self.ring_part], lens)
        starts = np.concatenate([[0], np.cumsum(lens)[:-1]])
        rings = [vid[s : s + n] for s, n in zip(starts, lens)]

        # neighbour across every ring segment (-1 = outside)
        a = vid
        b = np.concatenate([np.roll(r, -1) for r in rings])
        key = np.minimum(a, b).astype(np.int64) * nv + np.maximum(a, b)
        order = np.argsort(key, kind="stable")
        ukey, first, count = np.unique(key[order], return_index=True, return_counts=True)
        if count.max() > 2:
            raise ValueError("gmina layer is not a coverage: a border segment is used by 3+ gminas")
        grp = np.searchsorted(ukey, key)
        pos = first[grp]
        twin = np.where(order[pos] == np.arange(len(key)), order[np.minimum(pos + 1, len(key) - 1)], order[pos])
        neighbour = np.where(count[grp] == 2, ring_owner[twin], -1)
        degree = np.bincount(np.concatenate([ukey // nv, ukey % nv]), minlength=nv)

        arcs: dict[tuple, int] = {}
        arc_sides: list[tuple[int, int]] = []
        self.ring_arcs: list[tuple[np.ndarray, np.ndarray]] = []
        for r, (ring, s, n) in enumerate(zip(rings, starts, lens)):
            nb = neighbour[s : s + n]
            owner = int(ring_owner[s])
            node = (degree[ring] != 2) | (np.roll(nb, 1) != nb)
            ids: list[int] = []
            rev: list[bool] = []
            if not node.any():  # the whole ring is one closed arc: canonical start and direction
                m = int(np.argmin(ring))
                rr = np.roll(ring, -m)
                pieces = [(np.append(rr, rr[0]), int(nb[0]))]
            else:
                k0 = int(np.flatnonzero(node)[0])
                rr = np.roll(ring, -k0)
                nn = np.roll(nb, -k0)
                cuts = list(np.flatnonzero(np.roll(node, -k0))) + [n]
                pieces = [(np.append(rr[i:j], rr[j % n]), int(nn[i])) for i, j in zip(cuts[:-1], cuts[1:])]
            for piece, other in pieces:
                backwards = bool(piece[0] > piece[-1] or (piece[0] == piece[-1] and piece[1] > piece[-2]))
                canon = tuple(piece[::-1].tolist()) if backwards else tuple(piece.tolist())
                aid = arcs.get(canon)
                if aid is None:
                    aid = arcs[canon] = len(arcs)
                    arc_sides.append((owner, other))
                ids.append(aid)
                rev.append(backwards)
            self.ring_arcs.append((np.array(ids), np.array(rev)))
        self.arcs = [np.array(k) for k in arcs]
        self.sides = np.array(arc_sides, dtype=np.int64).reshape(-1, 2)
        x, y = from_wgs84(lonlat[:, 0], lonlat[:, 1])
        self.xy = np.column_stack([x, y])

        # rank: 0 inside a powiat, 1 powiat border, 2 voivodeship border or outer border
        t = np.append(np.asarray(teryt, dtype=str), "")
        ta, tb = t[self.sides[:, 0]], t[self.sides[:, 1]]
        outer = self.sides[:, 1] < 0
        pa = np.array([s[:4] for s in ta])
        pb = np.array([s[:4] for s in tb])
        va = np.array([s[:2] for s in ta])
        vb = np.array([s[:2] for s in tb])
        self.rank = np.where(outer | (va != vb), 2, np.where(pa != pb, 1, 0))

        # area / perimeter (about half the mean width) of the narrower gmina the arc bounds;
        # tolerances are capped at a multiple of it
        metric = shapely.transform(geoms, lambda c: np.column_stack(from_wgs84(c[:, 0], c[:, 1])))
        width = np.append(shapely.area(metric) / shapely.length(metric), np.inf)
        self.width = width[self.sides].min(axis=1)

        self.arc_index = np.repeat(np.arange(len(self.arcs)), [len(a) for a in self.arcs])
        self.arc_vertices = np.concatenate(self.arcs)

    def simplified_arcs(self, tol: np.ndarray, decimals: int) -> list[np.ndarray]:
        """Every arc simplified with its tolerance (metres), in lon/lat rounded to decimals."""
        import shapely

        lines = shapely.linestrings(self.xy[self.arc_vertices], indices=self.arc_index)
        simple = shapely.simplify(lines, tol, preserve_topology=True)
        xy, idx = shapely.get_coordinates(simple, return_index=True)
        lon, lat = to_wgs84(xy[:, 0], xy[:, 1])
        ll = np.round(np.column_stack([lon, lat]), decimals)
        out = np.split(ll, np.cumsum(np.bincount(idx, minlength=len(self.arcs)))[:-1])
        for i, c in enumerate(out):
            keep = np.ones(len(c), dtype=bool)
            keep[1:] = np.any(c[1:] != c[:-1], axis=1)
            if not keep.all():
                out[i] = c[keep]
        return out

    def assemble(self, arc_ll: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Gmina geometries from arcs; and a mask of gminas with a collapsed ring."""
        import shapely

        part_rings: list[list[np.ndarray]] = [[] for _ in range(len(self.part_of))]
        part_ok = np.ones(len(self.part_of), dtype=bool)
        broken = np.zeros(self.n, dtype=bool)
        for (ids, rev), part, shell in zip(self.ring_arcs, self.ring_part, self.ring_shell):
            ring = np.concatenate([(arc_ll[a][::-1] if r else arc_ll[a])[:-1] for a, r in zip(ids, rev)])
            if len(ring) < 3:  # collapsed ring: drop it (and its part if it is the shell)
                broken[self.part_of[part]] = True
                part_ok[part] &= not shell
                continue
            part_rings[part].append(np.vstack([ring, ring[:1]]))
        polys: list[list] = [[] for _ in range(self.n)]
        for part, rings in enumerate(part_rings):
            if rings and part_ok[part]:
                polys[self.part_of[part]].append(shapely.Polygon(rings[0], rings[1:]))
        geoms = np.empty(self.n, dtype=object)
        for i, ps in enumerate(polys):
            geoms[i] = ps[0] if len(ps) == 1 else shapely.MultiPolygon(ps) if ps else shapely.Polygon()
        return geoms, broken | shapely.is_empty(geoms)

    def gminas(self, tol: np.ndarray, decimals: int, cap_factor: float, max_rounds: int = 12) -> np.ndarray:
        """Valid, edge-matched gmina geometries (lon/lat); arcs of gminas that come out invalid
        (collapsed rings, self-intersections, overlaps with a neighbour) are simplified less."""
        import shapely

        tol = np.minimum(np.asarray(tol, dtype=np.float64), cap_factor * self.width)
        for _ in range(max_rounds):
            geoms, bad = self.assemble(self.simplified_arcs(tol, decimals))
            bad |= ~shapely.is_valid(geoms)
            if not bad.any():
                bad = ~shapely.is_empty(shapely.coverage_invalid_edges(geoms))
            if not bad.any():
                return geoms
            arcs = np.flatnonzero(np.isin(self.sides, np.flatnonzero(bad)).any(axis=1))
            if not (tol[arcs] > 0).any():
                break
            tol[arcs] = np.where(tol[arcs] >= 20, tol[arcs] / 2, 0)
        fixed = shapely.make_valid(geoms[bad], method="structure", keep_collapsed=False)
        geoms[bad] = fixed
        return geoms


def _group_union(geoms: np.ndarray, keys: np.ndarray, codes: np.ndarray) -> np.ndarray:
    import shapely

    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    lo = np.searchsorted(sorted_keys, codes, side="left")
    hi = np.searchsorted(sorted_keys, codes, side="right")
    if (hi <= lo).any():
        missing = codes[hi <= lo]
        raise ValueError(f"no gminas for district codes {missing[:5].tolist()}")
    return np.array([shapely.coverage_union_all(geoms[order[a:b]]) for a, b in zip(lo, hi)], dtype=object)


def _asset_layers(geo_dir: Path) -> tuple[dict[str, bytes], list[list[float]], dict[str, float]]:
    """Serialised GeoJSON per level, bounds [[minlat, minlon], [maxlat, maxlon]], tolerances."""
    import shapely

    gdf = _read_gminas(geo_dir)
    tables = {level: districts(geo_dir, level) for level in LEVELS}
    teryt = gdf["teryt"].to_numpy(dtype=str)
    if not np.array_equal(teryt, tables["gmina"]["teryt"].to_numpy(dtype=str)):
        raise ValueError(f"{GMINAS_FILE} and {GMINA_POP_FILE} have different gmina codes")
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    bad = ~shapely.is_valid(geoms)
    if bad.any():
        geoms[bad] = shapely.make_valid(geoms[bad])
    if not shapely.coverage_is_valid(geoms):
        geoms = shapely.coverage_clean(geoms)
    topo = _Topology(geoms, teryt)
    keys = {lv: np.array([t[: _PREFIX[lv]] for t in teryt]) for lv in ("powiat", "voivodeship")}

    cache: dict[tuple, dict[str, np.ndarray]] = {}

    def layers(key: tuple[float, float, float]) -> dict[str, np.ndarray]:
        if key not in cache:
            border, inner, factor = key
            g = topo.gminas(np.where(topo.rank == 0, inner, border), ASSET_DECIMALS, factor)
            out = {"gmina": g}
            for lv in ("powiat", "voivodeship"):
                out[lv] = _group_union(g, keys[lv], tables[lv]["teryt"].to_numpy(dtype=str))
            cache[key] = {lv: shapely.orient_polygons(v, exterior_cw=False) for lv, v in out.items()}
        return cache[key]

    serialised: dict[tuple, bytes] = {}

    def data(key: tuple[float, float, float], level: str) -> bytes:
        if key + (level,) not in serialised:
            serialised[key + (level,)] = _feature_collection(layers(key)[level], tables[level], ASSET_DECIMALS)
        return serialised[key + (level,)]

    def fits(key: tuple[float, float, float], levels) -> bool:
        return all(len(data(key, lv)) <= ASSET_SIZE_LIMITS[lv] for lv in levels)

    def smallest(candidates, ok) -> float:
        lo, hi = 0, len(candidates) - 1
        if not ok(candidates[hi]):
            return candidates[hi]
        while lo < hi:  # first candidate that fits (sizes fall as the tolerance grows)
            mid = (lo + hi) // 2
            if ok(candidates[mid]):
                hi = mid
            else:
                lo = mid + 1
        return candidates[lo]

    for factor in ASSET_SMALL_UNIT_FACTORS:
        # border arcs decide the powiat and voivodeship files; then the inner arcs the gmina file
        border = smallest(ASSET_BORDER_TOLERANCES_M, lambda t: fits((t, 0, factor), ("powiat", "voivodeship")))
        inner = smallest(ASSET_INNER_TOLERANCES_M, lambda t: fits((border, t, factor), LEVELS))
        key = (border, inner, factor)
        if fits(key, LEVELS):
            break
    result = {lv: data(key, lv) for lv in LEVELS}
    b = shapely.total_bounds(layers(key)["voivodeship"])
    bounds = [[float(b[1]), float(b[0])], [float(b[3]), float(b[2])]]
    return result, bounds, {"border": float(border), "inner": float(inner), "cap_factor": float(factor)}

_ASSET_RE = re.compile(r"^(voivodeship|powiat|gmina)\.[0-9a-f]{8}\.geojson$")
_build_lock = threading.Lock()


def build_map_assets(geo_dir: str | Path, out_dir: str | Path) -> dict:
    """Write the map's GeoJSON layers and manifest.json into out_dir; return the manifest.

    Files: ``<level>.<sha256[:8]>.geojson`` for voivodeship, powiat and gmina (features with
    teryt, name, label, parent, bbox [minlon, minlat, maxlon, maxlat]) and ``manifest.json``
    ``{"voivodeship": file, "powiat": file, "gmina": file, "bounds": [[minlat, minlon],
    [maxlat, maxlon]], "fingerprint": ..., "tolerance_m": {...}}``. Powiats and voivodeships
    are dissolves of the simplified gmina coverage, so the levels nest exactly; simplification
    is the least that keeps the files under ASSET_SIZE_LIMITS. Coordinates: WGS 84, 4 decimals,
    exterior rings counter-clockwise. Does nothing when the manifest's source fingerprint
    (sizes and mtimes of the source files, plus the build parameters) matches and its files
    exist. Writes are atomic (temp file + os.replace); older layer files are removed.
    """
    geo_dir = _geo_path(geo_dir)
    out_dir = Path(out_dir)
    fingerprint = _fingerprint(geo_dir)

    def current() -> dict | None:
        m = _read_manifest(out_dir)
        if (
            m
            and m.get("fingerprint") == fingerprint
            and all(isinstance(m.get(lv), str) and (out_dir / m[lv]).is_file() for lv in LEVELS)
        ):
            return m
        return None

    manifest = current()
    if manifest is not None:
        return manifest
    with _build_lock:
        manifest = current()
        if manifest is not None:
            return manifest
        layers, bounds, tol = _asset_layers(geo_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        manifest = {}
        for level in LEVELS:
            data = layers[level]
            name = f"{level}.{hashlib.sha256(data).hexdigest()[:8]}.geojson"
            path = out_dir / name
            if not (path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data):
                atomic_write(path, data, PUBLIC_FILE)
            manifest[level] = name
        manifest["bounds"] = bounds
        manifest["fingerprint"] = fingerprint
        manifest["tolerance_m"] = tol
        atomic_write(out_dir / MANIFEST, json.dumps(manifest, indent=1).encode("utf-8"), PUBLIC_FILE)
        # drop layer files of earlier builds
        keep = {manifest[lv] for lv in LEVELS}
        for old in out_dir.iterdir():
            if _ASSET_RE.match(old.name) and old.name not in keep:
                try:
                    old.unlink()
                except OSError:
                    pass
        return manifest


def ensure_map_assets(settings) -> dict:
    """build_map_assets(settings.geo_dir, settings.assets_geo_dir)."""
    return build_map_assets(settings.geo_dir, settings.assets_geo_dir)
