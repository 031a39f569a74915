"""District tables: one row per voivodeship / powiat / gmina with name, label, population, parent."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from kmzb import teryt
from kmzb.geo.source import GMINA_POP_FILE, POWIAT_POP_FILE, geo_path, resolved

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


def _read_population(path: Path) -> pd.DataFrame:
    df = pd.read_csv(path, dtype={"teryt": str, "name": str})
    missing = {"teryt", "name", "population"} - set(df.columns)
    if missing:
        raise ValueError(f"{path}: missing columns {sorted(missing)}")
    if df["teryt"].duplicated().any():
        raise ValueError(f"{path}: duplicate TERYT codes")
    return df


def _powiat_label(code: str, name: str) -> str:
    return name if int(code[2:4]) > 60 else f"powiat {name}"  # 61-99: cities with powiat rights


def _gmina_label(code: str, name: str) -> str:
    kind = GMINA_TYPES.get(code[-1])
    return f"{name} ({kind})" if kind else name


@lru_cache(maxsize=16)
def _districts_cached(resolved_dir: str, level: str) -> pd.DataFrame:
    powiats = _read_population(geo_path(resolved_dir, POWIAT_POP_FILE))
    if level == "gmina":
        df = _read_population(geo_path(resolved_dir, GMINA_POP_FILE))
        df["label"] = [_gmina_label(t, n) for t, n in zip(df["teryt"], df["name"])]
    elif level == "powiat":
        df = powiats.copy()
        df["label"] = [_powiat_label(t, n) for t, n in zip(df["teryt"], df["name"])]
    else:
        pop = powiats.groupby(powiats["teryt"].map(lambda c: teryt.prefix(c, "voivodeship")))["population"].sum()
        unknown = sorted(set(pop.index) - set(VOIVODESHIPS))
        if unknown:
            raise ValueError(f"unknown voivodeship codes in {POWIAT_POP_FILE}: {unknown}")
        df = pd.DataFrame({"teryt": list(pop.index), "population": pop.to_numpy()})
        df["name"] = df["teryt"].map(VOIVODESHIPS)
        df["label"] = "województwo " + df["name"]
    df["parent"] = df["teryt"].map(teryt.parent)
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
    if level not in teryt.LEVELS:
        raise ValueError(f"unknown level {level!r}; expected one of {teryt.LEVELS}")
    geo_path(geo_dir)
    return _districts_cached(resolved(geo_dir), level).copy()
