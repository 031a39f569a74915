"""The reference geo folder: its file names, clear errors when it is missing, the gmina layer."""

from __future__ import annotations

from pathlib import Path

from kmzb.geo.crs import CRS_WGS84

GMINAS_FILE = "gminas.geojson"  # 2,477 gminas, EPSG:4326, property "teryt"
POWIAT_POP_FILE = "population.csv"
GMINA_POP_FILE = "population_gminas.csv"


def geo_path(geo_dir: str | Path, name: str | None = None) -> Path:
    """The folder (or a file in it), or FileNotFoundError naming KMZB_GEO_DIR."""
    base = Path(geo_dir)
    path = base if name is None else base / name
    if not base.is_dir():
        missing = f"directory not found: {base}"
    elif name is not None and not path.is_file():
        missing = f"file not found: {path}"
    else:
        return path
    raise FileNotFoundError(
        f"Geo data {missing}. Set KMZB_GEO_DIR to the folder with {GMINAS_FILE}, {POWIAT_POP_FILE} "
        f"and {GMINA_POP_FILE} (see shared/geo/README.md)."
    )


def resolved(geo_dir: str | Path) -> str:
    """The folder's absolute path: the key of per-folder caches."""
    return str(Path(geo_dir).expanduser().resolve())


def read_gminas(geo_dir: str | Path):
    """The gmina layer as a GeoDataFrame (EPSG:4326), sorted by TERYT, index 0..n-1."""
    import geopandas as gpd

    path = geo_path(geo_dir, GMINAS_FILE)
    gdf = gpd.read_file(path)
    if "teryt" not in gdf.columns:
        raise ValueError(f"{path}: features have no 'teryt' property")
    if gdf.crs is None:
        gdf = gdf.set_crs(CRS_WGS84)
    gdf["teryt"] = gdf["teryt"].astype(str)
    if gdf["teryt"].duplicated().any():
        raise ValueError(f"{path}: duplicate gmina TERYT codes")
    return gdf.sort_values("teryt", kind="stable").reset_index(drop=True)


def valid_geometries(gdf):
    """The layer's geometries as an object array, invalid ones repaired (shapely.make_valid)."""
    import numpy as np
    import shapely

    geoms = np.asarray(gdf.geometry.values, dtype=object)
    bad = ~shapely.is_valid(geoms)
    if bad.any():
        geoms[bad] = shapely.make_valid(geoms[bad])
    return geoms
