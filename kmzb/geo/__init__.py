"""Geography, read from the reference geo folder (``Settings.geo_dir``, env ``KMZB_GEO_DIR``; see
its README). Nothing is read at import time. One job per module:

* :mod:`kmzb.geo.source`: the folder's files and the gmina layer.
* :mod:`kmzb.geo.crs`: EPSG:2180 (PUWG 1992, metres) <-> WGS 84.
* :mod:`kmzb.geo.lookup`: point (EPSG:2180) -> gmina TERYT, :func:`~kmzb.geo.lookup.geo_index`.
* :mod:`kmzb.geo.districts`: one row per voivodeship / powiat / gmina (name, label, population, parent).
* :mod:`kmzb.geo.assets`: the map's simplified, exactly nested GeoJSON files and their manifest.
"""
