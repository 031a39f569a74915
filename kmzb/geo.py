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
  the map (content-hashed names + ``manifest.json``).

Lookup method: a raster of ``cell_m`` (250 m) cells over the gmina extent, built once with a
scan-line fill. A cell that no gmina border crosses lies entirely inside one gmina (its code
is stored) or entirely outside all of them; only points in cells crossed by a border are
tested exactly (shapely STRtree, prepared polygons), and only points outside every gmina but
in cells within the tolerance of land go to a nearest-gmina search. The result equals the
exact point-in-polygon answer (see tests/test_geo.py) at ~20x the speed.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import tempfile
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

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

# Map assets: coverage simplification tolerance candidates (metres, Visvalingam-Whyatt
# "square root of removed triangle area"), tried in order until every file is under its limit.
ASSET_VERSION = 1
ASSET_DECIMALS = 4
ASSET_TOLERANCES_M = (1000.0, 1200.0, 1400.0, 1600.0, 1800.0, 2000.0, 2500.0, 3000.0, 4000.0)
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
        cs = self.cell_m
        minx, miny, maxx, maxy = np.asarray(
            __import__("shapely").total_bounds(self.geometries), dtype=np.float64
        )
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
    parts: list[Any] = [ASSET_VERSION, ASSET_DECIMALS, list(ASSET_TOLERANCES_M), ASSET_SIZE_LIMITS]
    for name in (GMINAS_FILE, POWIAT_POP_FILE, GMINA_POP_FILE):
        st = _geo_path(geo_dir, name).stat()
        parts.append([name, st.st_size, st.st_mtime_ns])
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _read_manifest(out_dir: Path) -> dict | None:
    try:
        return json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _round_coords(geom, decimals: int):
    import shapely

    return shapely.remove_repeated_points(shapely.transform(geom, lambda c: np.round(c, decimals)))


def _feature_collection(geoms: np.ndarray, table: pd.DataFrame, decimals: int) -> bytes:
    import shapely

    features = []
    bounds = shapely.bounds(geoms)
    for geom, row, bb in zip(geoms, table.itertuples(index=False), bounds):
        features.append(
            {
                "type": "Feature",
                "properties": {
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


def _asset_layers(geo_dir: Path) -> tuple[dict[str, bytes], list[list[float]], float]:
    """Serialised GeoJSON per level, the bounds [[minlat, minlon], [maxlat, maxlon]], tolerance."""
    import shapely

    gdf = _read_gminas(geo_dir)
    tables = {level: districts(geo_dir, level) for level in LEVELS}
    teryt = gdf["teryt"].to_numpy(dtype=str)
    if set(teryt) != set(tables["gmina"]["teryt"]):
        raise ValueError(f"{GMINAS_FILE} and {GMINA_POP_FILE} have different gmina codes")
    base = np.asarray(gdf.to_crs(CRS_METRIC).geometry.values, dtype=object)
    bad = ~shapely.is_valid(base)
    if bad.any():
        base[bad] = shapely.make_valid(base[bad])

    fwd = _transformer(CRS_METRIC, CRS_WGS84)
    result: dict[str, bytes] = {}
    for tol in ASSET_TOLERANCES_M:
        # one topology-preserving simplification of the gmina coverage; powiats and
        # voivodeships are its exact dissolves, so the three levels nest exactly.
        simple = shapely.coverage_simplify(base, tol)
        layers: dict[str, np.ndarray] = {"gmina": simple}
        for level in ("powiat", "voivodeship"):
            keys = np.array([t[: _PREFIX[level]] for t in teryt])
            codes = tables[level]["teryt"].to_numpy(dtype=str)
            layers[level] = np.array(
                [shapely.coverage_union_all(simple[keys == code]) for code in codes], dtype=object
            )
        result = {}
        for level in LEVELS:
            geoms = shapely.transform(layers[level], lambda c: np.column_stack(fwd.transform(c[:, 0], c[:, 1])))
            geoms = _round_coords(geoms, ASSET_DECIMALS)
            bad = ~shapely.is_valid(geoms)
            if bad.any():
                geoms[bad] = shapely.make_valid(geoms[bad], method="structure", keep_collapsed=False)
            geoms = shapely.orient_polygons(geoms, exterior_cw=False)
            table = tables[level]
            if level == "gmina":  # align table order with geometry order (both sorted)
                table = table.set_index("teryt").loc[teryt].reset_index()
            result[level] = _feature_collection(geoms, table, ASSET_DECIMALS)
            if level == "voivodeship":
                b = shapely.total_bounds(geoms)
                bounds = [[round(float(b[1]), ASSET_DECIMALS), round(float(b[0]), ASSET_DECIMALS)],
                          [round(float(b[3]), ASSET_DECIMALS), round(float(b[2]), ASSET_DECIMALS)]]
        if all(len(result[lv]) <= ASSET_SIZE_LIMITS[lv] for lv in LEVELS):
            break
    return result, bounds, tol


_ASSET_RE = re.compile(r"^(voivodeship|powiat|gmina)\.[0-9a-f]{8}\.geojson$")
_build_lock = threading.Lock()


def build_map_assets(geo_dir: str | Path, out_dir: str | Path) -> dict:
    """Write the map's GeoJSON layers and manifest.json into out_dir; return the manifest.

    Files: ``<level>.<sha256[:8]>.geojson`` for voivodeship, powiat and gmina (features with
    teryt, name, label, parent, bbox [minlon, minlat, maxlon, maxlat]) and ``manifest.json``
    ``{"voivodeship": file, "powiat": file, "gmina": file, "bounds": [[minlat, minlon],
    [maxlat, maxlon]], "fingerprint": ..., "tolerance_m": ...}``. Powiats and voivodeships are
    dissolves of the simplified gmina coverage, so the levels nest exactly. Does nothing when
    the manifest's source fingerprint matches and its files exist. Writes are atomic.
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
                _write_atomic(path, data)
            manifest[level] = name
        manifest["bounds"] = bounds
        manifest["fingerprint"] = fingerprint
        manifest["tolerance_m"] = tol
        _write_atomic(out_dir / MANIFEST, json.dumps(manifest, indent=1).encode("utf-8"))
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
