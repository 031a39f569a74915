"""Deliberately broken rows for the deltas: copies of good rows of the same file with a ghost
OBJECTID, broken in one way each, put at random places, and where they ended up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from kmzb import reference
from kmzb.demo.fields import Style, fmt_dt, fmt_num

#: kinds of deliberately broken rows put into each delta (2-6 per delta, all kinds over >= 2 deltas).
#: "duplicate_objectid" adds two rows sharing one OBJECTID with different content.
BAD_ROW_KINDS = (
    "missing_objectid",
    "nonnumeric_objectid",
    "unknown_typ",
    "unknown_status",
    "unparseable_date",
    "modified_before_created",
    "outside_poland",
    "empty_x",
    "duplicate_objectid",
)
GHOST_OBJECTID = 99_000_000  # bad rows use ids from here on: never those of real reports

_UNKNOWN_TYP = ("Hałas", "Nielegalne graffiti", "Inne zagrożenie", "Nietrzeźwi kierowcy")
_UNKNOWN_STATUS = ("Zamknięte", "W toku", "Archiwalne", "Odrzucone")
_OUTSIDE = ((100000.0, 950000.0), (480000.0, 800000.0), (150000.0, 480000.0), (560000.0, 815000.0))


@dataclass(frozen=True)
class BadRow:
    kind: str  # one of BAD_ROW_KINDS
    row: int  # 0-based data record index in the file
    line: int  # 1-based physical line where the record starts (the header is line 1)
    objectid: str  # the OBJECTID field as written


def make(kinds: list[str], rows: list[list[str]], header: list[str], t0: np.ndarray, d: date, style: Style,
         rng, ghost_base: int) -> list[tuple[str, list[str]]]:
    """(kind, row) for each kind: a random good row of `rows` broken that way. t0: the creation
    seconds of the file's reports; d: the day the file covers."""
    out: list[tuple[str, list[str]]] = []
    for j, kind in enumerate(kinds):
        if not rows:
            break
        tpl = dict(zip(header, rows[int(rng.integers(len(rows)))]))
        tpl["OBJECTID"] = str(ghost_base + j * 2)
        created = int(t0[int(rng.integers(len(t0)))])
        if kind == "duplicate_objectid":
            out.extend((kind, [r[h] for h in header]) for r in _duplicates(tpl, rng))
        else:
            _break(kind, tpl, created, d, style, rng)
            out.append((kind, [tpl[h] for h in header]))
    return out


def _break(kind: str, tpl: dict[str, str], created: int, d: date, style: Style, rng) -> None:
    if kind == "missing_objectid":
        tpl["OBJECTID"] = ""
    elif kind == "nonnumeric_objectid":
        tpl["OBJECTID"] = ("ID-" + tpl["OBJECTID"]) if rng.random() < 0.5 else tpl["OBJECTID"] + "a"
    elif kind == "unknown_typ":
        tpl["Typ"] = _UNKNOWN_TYP[rng.integers(len(_UNKNOWN_TYP))]
    elif kind == "unknown_status":
        tpl["Status"] = _UNKNOWN_STATUS[rng.integers(len(_UNKNOWN_STATUS))]
    elif kind == "unparseable_date":
        col = "Data_utworzenia" if rng.random() < 0.6 else "Data_modyfikacji"
        tpl[col] = (f"{d.year}-02-30 10:15:00", "wczoraj", "24/13/2026 08:00", "")[rng.integers(4)]
    elif kind == "modified_before_created":
        tpl["Data_utworzenia"] = fmt_dt(np.array([created]), style.iso)[0]
        tpl["Data_modyfikacji"] = fmt_dt(np.array([created - int(rng.integers(3600, 3 * 86400))]), style.iso)[0]
    elif kind == "outside_poland":
        ox, oy = _OUTSIDE[rng.integers(len(_OUTSIDE))]
        tpl["X"], tpl["Y"] = fmt_num(np.array([ox, oy]), style.decimal)
    elif kind == "empty_x":
        tpl["X"] = ""
    else:
        raise ValueError(f"unknown bad row kind {kind!r}")


def _duplicates(tpl: dict[str, str], rng) -> tuple[dict[str, str], dict[str, str]]:
    """Two rows sharing tpl's OBJECTID with a different status and Opis."""
    sts = [s.label_pl for s in reference.statuses() if s.label_pl != tpl["Status"]]
    other = dict(tpl)
    other["Status"] = sts[rng.integers(len(sts))]
    other["Opis"] = tpl["Opis"] + " (uzupełnienie)" if tpl["Opis"] else "Zgłoszenie uzupełnione."
    return tpl, other


def insert(rows: list[list[str]], bad: list[tuple[str, list[str]]], rng) -> list[str | None]:
    """Put the bad rows into `rows` at random places, keeping the order of the good rows; return
    each row's kind (None for a good one)."""
    kinds_at: list[str | None] = [None] * len(rows)
    for kind, r in bad:
        pos = int(rng.integers(len(rows) + 1))
        rows.insert(pos, r)
        kinds_at.insert(pos, kind)
    return kinds_at


def locate(rows: list[list[str]], kinds_at: list[str | None], header: list[str]) -> list[BadRow]:
    """Where the bad rows are: record index and the physical line it starts on (Opis may hold newlines)."""
    opis_at, oid_at = header.index("Opis"), header.index("OBJECTID")
    out = []
    line = 2
    for i, (r, kind) in enumerate(zip(rows, kinds_at)):
        if kind is not None:
            out.append(BadRow(kind=kind, row=i, line=line, objectid=r[oid_at]))
        line += 1 + r[opis_at].count("\n")
    return out
