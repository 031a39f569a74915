"""Where reports happen: gminas from shared/geo (shrunk polygons, population, type, police unit),
each gmina's share of reports and its hot spots, and uniform points inside a polygon."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from kmzb import teryt as tr
from kmzb.demo import calibration as cal
from kmzb.demo.units import unit_name


@dataclass
class Geo:
    teryt: np.ndarray  # object, 7-digit codes, sorted
    powiat: np.ndarray  # int index into units
    voiv: np.ndarray  # object, 2-digit
    gtype: np.ndarray  # int 0 urban, 1 rural, 2 urban-rural
    pop: np.ndarray  # float
    polys: np.ndarray  # shapely polygons in EPSG:2180, shrunk by cal.INNER, prepared
    bounds: np.ndarray  # (G, 4)
    fill: np.ndarray  # polygon area / bbox area
    units: np.ndarray  # object, police unit per powiat index


@lru_cache(maxsize=4)
def load_geo(geo_dir: str) -> Geo:
    """The gminas of `geo_dir` (an absolute path: the cache key), sorted by TERYT."""
    import geopandas as gpd

    geo_dir_p = Path(geo_dir)
    gdf = gpd.read_file(geo_dir_p / "gminas.geojson")
    gdf["teryt"] = gdf["teryt"].astype(str)
    gdf = gdf.sort_values("teryt", kind="stable").reset_index(drop=True).to_crs(2180)
    pop = pd.read_csv(geo_dir_p / "population_gminas.csv", dtype={"teryt": str})
    pop = pop.set_index("teryt")["population"]
    missing = sorted(set(gdf["teryt"]) - set(pop.index))
    if missing:
        raise ValueError(f"no population for gmina(s) {', '.join(missing[:5])}")
    teryt = gdf["teryt"].to_numpy(dtype=object)
    powiats = pd.read_csv(geo_dir_p / "population.csv", dtype={"teryt": str}).sort_values("teryt")
    units = np.array([unit_name(c, n) for c, n in zip(powiats["teryt"], powiats["name"])], dtype=object)
    pidx = {c: i for i, c in enumerate(powiats["teryt"])}
    polys = shapely.make_valid(shapely.buffer(gdf.geometry.to_numpy(), -cal.INNER))
    shapely.prepare(polys)
    bounds = shapely.bounds(polys)
    bbox_area = (bounds[:, 2] - bounds[:, 0]) * (bounds[:, 3] - bounds[:, 1])
    return Geo(
        teryt=teryt,
        powiat=np.array([pidx[tr.prefix(t, "powiat")] for t in teryt], dtype=np.int64),
        voiv=np.array([tr.prefix(t, "voivodeship") for t in teryt], dtype=object),
        gtype=np.array([{"1": 0, "2": 1, "3": 2}[t[6]] for t in teryt], dtype=np.int64),
        pop=pop.reindex(teryt).to_numpy(dtype=float),
        polys=polys,
        bounds=bounds,
        fill=np.clip(shapely.area(polys) / bbox_area, 0.02, 1.0),
        units=units,
    )


@dataclass
class Places:
    weight: np.ndarray  # report weight per gmina (sums to 1)
    hot_share: np.ndarray  # share of a gmina's reports at its hot spots
    hot_start: np.ndarray  # CSR offsets into hot_x / hot_y / hot_w, len G+1
    hot_x: np.ndarray
    hot_y: np.ndarray
    hot_w: np.ndarray  # cumulative weights within each gmina
    rate_offset: np.ndarray  # confirmation-rate offset per powiat


@lru_cache(maxsize=8)
def places(geo_dir: str, seed: int) -> Places:
    """Each gmina's share of reports, each powiat's confirmation-rate offset, the hot spots."""
    geo = load_geo(geo_dir)
    rng = np.random.default_rng([seed, 1])
    weight = _gmina_weights(geo, rng)
    offset = _rate_offsets(geo, weight, rng)
    hot_share, hot_start, hx, hy, hw = _hot_spots(geo, weight, rng)
    return Places(weight=weight, hot_share=hot_share, hot_start=hot_start, hot_x=hx, hot_y=hy, hot_w=hw,
                  rate_offset=offset)


def _gmina_weights(geo: Geo, rng) -> np.ndarray:
    """Reports per gmina: population x voivodeship factor x gmina type x a powiat's own propensity."""
    noise = rng.lognormal(0.0, cal.POWIAT_SPREAD, len(geo.units))
    w = geo.pop * np.array([cal.GMINA_TYPE_FACTOR[str(t)] for t in geo.gtype + 1]) * noise[geo.powiat]
    for v in np.unique(geo.voiv):
        m = geo.voiv == v
        w[m] *= cal.VOIVODESHIP_FACTOR[v] * geo.pop[m].sum() / w[m].sum()
    return w / w.sum()


def _rate_offsets(geo: Geo, weight: np.ndarray, rng) -> np.ndarray:
    """Confirmation-rate offsets per powiat, centred on the report-weighted mean."""
    n_pow = len(geo.units)
    off = rng.normal(0.0, cal.RATE_SPREAD, n_pow)
    pw = np.bincount(geo.powiat, weights=weight, minlength=n_pow)
    return off - (off * pw).sum() / pw.sum()


def _hot_spots(geo: Geo, weight: np.ndarray, rng):
    """A few fixed points per populous gmina: (share per gmina, CSR offsets, x, y, cumulative weights)."""
    n_hot = np.where(geo.pop >= cal.HOT_MIN_POP,
                     np.clip(np.round(geo.pop / cal.HOT_SPOT_PER_POP), 1, cal.HOT_SPOT_MAX), 0).astype(np.int64)
    hot_gm = n_hot > 0
    share = np.zeros(len(geo.teryt))
    share[hot_gm] = min(0.6, cal.HOT_SPOT_SHARE / weight[hot_gm].sum())
    hot_start = np.concatenate([[0], np.cumsum(n_hot)])
    hx = np.empty(hot_start[-1])
    hy = np.empty(hot_start[-1])
    hw = np.empty(hot_start[-1])
    inner = shapely.buffer(geo.polys[hot_gm], -(cal.HOT_SPOT_RADIUS + 10.0))
    for g, poly in zip(np.flatnonzero(hot_gm).tolist(), inner):
        k = int(n_hot[g])
        if shapely.is_empty(poly) or shapely.area(poly) < 1.0:
            poly = geo.polys[g]
        else:
            shapely.prepare(poly)
        xs, ys = sample_in(rng, poly, shapely.bounds(poly), max(0.02, shapely.area(poly) / _bbox_area(poly)), k)
        s = hot_start[g]
        hx[s:s + k], hy[s:s + k] = xs, ys
        wj = 1.0 / np.arange(1, k + 1) ** 0.8
        hw[s:s + k] = np.cumsum(wj / wj.sum())
    return share, hot_start, hx, hy, hw


def _bbox_area(poly) -> float:
    b = shapely.bounds(poly)
    return float((b[2] - b[0]) * (b[3] - b[1]))


def sample_in(rng, poly, bounds, fill: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    """n uniform points inside poly (rounded to 1 cm), by vectorised rejection in its bounding box."""
    outx, outy, have = [], [], 0
    while have < n:
        m = int((n - have) / fill * 1.2) + 16
        xs = np.round(rng.uniform(bounds[0], bounds[2], m), 2)
        ys = np.round(rng.uniform(bounds[1], bounds[3], m), 2)
        ok = shapely.contains_xy(poly, xs, ys)
        xs, ys = xs[ok][: n - have], ys[ok][: n - have]
        outx.append(xs)
        outy.append(ys)
        have += len(xs)
    return np.concatenate(outx), np.concatenate(outy)
