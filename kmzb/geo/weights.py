"""Queen contiguity of each level's districts, from the same boundary files the map draws.

Built once per map file by libpysal (``Queen.from_dataframe``) and cached on disk beside the map
assets as ``<level>.<content hash>.queen.json`` (the map file's own content-hashed name, so new
boundaries give new weights and an old cache is never read for them). Neighbour lists are
positions in ``districts(level)`` (sorted by TERYT), the order of the features' ``i``.
Islands (districts that touch no other) are listed: they get no hot-spot test.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

from kmzb.fsutil import PUBLIC_FILE, atomic_write

_lock = threading.Lock()


def weights_path(assets_dir: Path, map_file: str) -> Path:
    return Path(assets_dir) / (map_file.removesuffix(".geojson") + ".queen.json")


def build_queen(map_path: Path) -> dict:
    """{"n": districts, "neighbors": [[j, ...] per district], "islands": [i, ...]} of a map file."""
    import geopandas as gpd
    from libpysal.weights import Queen

    gdf = gpd.read_file(map_path).sort_values("i").reset_index(drop=True)
    w = Queen.from_dataframe(gdf, use_index=False, silence_warnings=True)
    neighbors = [sorted(int(j) for j in w.neighbors[i]) for i in range(w.n)]
    return {"n": w.n, "neighbors": neighbors, "islands": sorted(int(i) for i in w.islands)}


def queen(assets_dir: str | Path, manifest: dict, level: str) -> dict:
    """The level's queen contiguity, read from the on-disk cache or built and written there."""
    path = weights_path(Path(assets_dir), manifest[level])
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    with _lock:
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = build_queen(Path(assets_dir) / manifest[level])
            atomic_write(path, json.dumps(data, separators=(",", ":")).encode("utf-8"), PUBLIC_FILE)
            return data
