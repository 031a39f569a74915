"""Simulated reports as the extract's text fields, in one file's format style."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kmzb import reference
from kmzb.demo import calibration as cal
from kmzb.demo.geography import Geo
from kmzb.demo.simulate import Sim, state

COLUMNS = (
    "OBJECTID", "Typ", "Status", "Data_utworzenia", "Data_modyfikacji", "Data_zdarzenia",
    "Dni_tygodnia", "Pora_dnia", "X", "Y", "TERYT", "Jednostka", "Zrodlo", "Opis",
)
TZ = "Europe/Warsaw"


@dataclass(frozen=True)
class Style:
    encoding: str = "utf-8"  # utf-8 | utf-8-sig | cp1250
    delimiter: str = ";"
    decimal: str = ","
    gz: bool = False
    columns: tuple[str, ...] = COLUMNS
    extra: str | None = None  # name of an unknown extra column
    iso: bool = False  # ISO 8601 datetimes with offset
    lineterminator: str = "\n"
    quote_opis: bool = False  # always quote Opis


def fmt_dt(sec: np.ndarray, iso: bool) -> np.ndarray:
    """Datetimes as 'YYYY-MM-DD HH:MM:SS', or ISO 8601 with Warsaw's offset."""
    a = np.asarray(sec, dtype=np.int64).astype("datetime64[s]")
    if not iso:
        return np.strings.replace(np.datetime_as_string(a, unit="s"), "T", " ").astype(object)
    idx = pd.DatetimeIndex(a).tz_localize(TZ, ambiguous=np.ones(len(a), dtype=bool), nonexistent="shift_forward")
    return np.array([ts.isoformat() for ts in idx], dtype=object)


def fmt_num(v: np.ndarray, decimal: str) -> list[str]:
    """Coordinates with 2 decimals and the file's decimal mark."""
    if decimal == ",":
        return [f"{f:.2f}".replace(".", ",") for f in v.tolist()]
    return [f"{f:.2f}" for f in v.tolist()]


def columns(sim: Sim, geo: Geo, pool: np.ndarray, idx: np.ndarray, as_of: int, style: Style) -> dict[str, list]:
    """Every COLUMNS field of reports idx as of `as_of`, as lists of str."""
    cats = reference.categories()
    typ_tab = np.array([[c.label_pl, c.label_pl.upper(), f"  {c.label_pl} ", c.label_pl.lower(), c.code] for c in cats],
                       dtype=object)
    st_lab = np.array([s.label_pl for s in reference.statuses()], dtype=object)
    st, mod = state(sim, idx, as_of)
    g = sim.gmina[idx]
    teryt = np.where(sim.teryt_empty[idx], "", geo.teryt[g])
    return {
        "OBJECTID": [str(v) for v in sim.oid[idx].tolist()],
        "Typ": typ_tab[sim.cat[idx], sim.typ_var[idx]].tolist(),
        "Status": st_lab[st].tolist(),
        "Data_utworzenia": fmt_dt(sim.t0[idx], style.iso).tolist(),
        "Data_modyfikacji": fmt_dt(mod, style.iso).tolist(),
        "Data_zdarzenia": _event_dates(sim, idx, style.iso).tolist(),
        "Dni_tygodnia": np.array(cal.DNI, dtype=object)[sim.dni[idx]].tolist(),
        "Pora_dnia": np.array(cal.PORA, dtype=object)[sim.pora[idx]].tolist(),
        "X": fmt_num(sim.x[idx], style.decimal),
        "Y": fmt_num(sim.y[idx], style.decimal),
        "TERYT": teryt.tolist(),
        "Jednostka": geo.units[geo.powiat[g]].tolist(),
        "Zrodlo": np.array(cal.SRC, dtype=object)[sim.src[idx]].tolist(),
        "Opis": pool[sim.opis[idx]].tolist(),
    }


def _event_dates(sim: Sim, idx: np.ndarray, iso: bool) -> np.ndarray:
    """Data_zdarzenia: empty, a date, or a datetime."""
    ev_kind = sim.ev_kind[idx]
    ev = np.full(len(idx), "", dtype=object)
    m1 = ev_kind == 1
    ev[m1] = np.datetime_as_string(sim.ev_t[idx][m1].astype("datetime64[s]"), unit="D").astype(object)
    m2 = ev_kind == 2
    if m2.any():
        ev[m2] = fmt_dt(sim.ev_t[idx][m2], iso)
    return ev
