"""Validating one chunk of records: each field rule of the contract, the first reason (with a detail
naming the value) that rejects a row, the normalised columns of the good rows, and their gmina.

Columns are Arrow arrays; vocabularies (category, status, channel, days, times of day, event dates) are
matched once per distinct value. Details are written only for the rows they reject.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kmzb import reference
from kmzb.ingest import contract as C

GeoLookup = Callable[[np.ndarray, np.ndarray], np.ndarray]
DT_FORMAT = "%Y-%m-%d %H:%M:%S"
PLAIN_DT_RE = r"^(?:19|20|21)\d\d-\d\d-\d\d \d\d:\d\d:\d\d$"
NUMBER_RE = r"^[+-]?\d+(?:\.\d*)?(?:[eE][+-]?\d+)?$"


@dataclass
class Checked:
    good: pa.Table  # normalised columns of the rows no rule rejects
    rejects: pd.DataFrame  # line, objectid, reason, detail, then the row's own fields
    bad_days: int = 0
    bad_times: int = 0
    bad_event: int = 0


class Verdicts:
    """The first reason (and its detail) each row is rejected for."""

    def __init__(self, n: int):
        self.open = np.ones(n, dtype=bool)
        self.reason = np.full(n, None, dtype=object)
        self.detail = np.full(n, None, dtype=object)

    def flag(self, mask, key: str, detail: Callable[[np.ndarray], list[str]] | None = None) -> None:
        idx = np.flatnonzero(np.asarray(mask, dtype=bool) & self.open)
        if not len(idx):
            return
        self.open[idx] = False
        self.reason[idx] = key
        self.detail[idx] = [key] * len(idx) if detail is None else detail(idx)


# --------------------------------------------------------------------------- arrow helpers

def _col(table: pa.Table, name: str) -> pa.Array:
    if name not in table.column_names:
        return pa.array([""] * table.num_rows, pa.string())
    return table.column(name).combine_chunks()


def _np(mask) -> np.ndarray:
    return pc.fill_null(mask, False).to_numpy(zero_copy_only=False)


def _empty(a: pa.Array) -> np.ndarray:
    return _np(pc.equal(pc.utf8_length(a), 0))


def _texts(template: str, *cols: pa.Array) -> Callable[[np.ndarray], list[str]]:
    """A detail writer: `template` filled with the given columns' values of the flagged rows."""
    def write(idx: np.ndarray) -> list[str]:
        vals = [c.take(pa.array(idx)).to_pylist() for c in cols]
        return [template.format(*v) for v in zip(*vals)]
    return write


def _per_value(a: pa.Array, fn: Callable[[str], object], dtype=object) -> np.ndarray:
    """fn applied once per distinct value of `a`, spread to every row."""
    if not len(a):
        return np.zeros(0, dtype=dtype)
    enc = pc.dictionary_encode(a)
    table = np.array([fn(v) for v in enc.dictionary.to_pylist()], dtype=dtype)
    return table[enc.indices.to_numpy(zero_copy_only=False)]


def _codes(a: pa.Array, lookup: dict[str, str], vocab: tuple[str, ...]) -> np.ndarray:
    """Index into `vocab` of each value (matched by its casefold), -1 when unknown."""
    index = {v: i for i, v in enumerate(vocab)}
    return _per_value(a, lambda v: index.get(lookup.get(v.casefold()), -1), np.int16)


def _dictionary(codes: np.ndarray, vocab: tuple[str, ...]) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int8)), pa.array(vocab, pa.string()))


# --------------------------------------------------------------------------- field parsers

def _pandas_datetimes(s: pd.Series) -> pd.Series:
    """Local naive timestamps (Europe/Warsaw) from 'YYYY-MM-DD HH:MM:SS' or ISO 8601 with offset."""
    out = pd.to_datetime(s, format=DT_FORMAT, errors="coerce")
    rest = out.isna() & (s != "")
    if rest.any():
        sub = s[rest]
        has_offset = sub.str.contains(r"(?:[+-]\d{2}:?\d{2}|Z)$", regex=True)
        if has_offset.any():
            aware = pd.to_datetime(sub[has_offset], format="ISO8601", utc=True, errors="coerce")
            out.loc[aware.index] = aware.dt.tz_convert(C.TZ).dt.tz_localize(None)
        naive = sub[~has_offset]
        if len(naive):
            out.loc[naive.index] = pd.to_datetime(naive, format="ISO8601", errors="coerce")
    return out.astype("datetime64[us]")


def datetimes(s: pa.Array) -> np.ndarray:
    """datetime64[us] (NaT where unparseable) of stripped text. 'YYYY-MM-DD HH:MM:SS' of 1900-2199 is
    read by Arrow's strict parser (no 30 February); anything else by pandas, offsets to Warsaw time."""
    plain = _np(pc.match_substring_regex(s, PLAIN_DT_RE))
    out = np.full(len(s), np.datetime64("NaT"), dtype="datetime64[us]")
    try:
        out[plain] = pc.cast(s.filter(pa.array(plain)), pa.timestamp("us")).to_numpy()
    except pa.ArrowInvalid:  # an impossible date among them: pandas reads them all
        plain[:] = False
    rest = np.flatnonzero(~plain & ~_empty(s))
    if len(rest):
        out[rest] = _pandas_datetimes(pd.Series(s.take(pa.array(rest)).to_pylist(), dtype="str")).to_numpy()
    return out


def numbers(s: pa.Array, delim: str) -> np.ndarray:
    """float64 (NaN where not a number) of stripped text; a decimal comma is read when the delimiter is ';'."""
    if delim == ";":
        s = pc.replace_substring(s, ",", ".")
    text = pc.if_else(pc.match_substring_regex(s, NUMBER_RE), s, pa.scalar(None, pa.string()))
    try:
        return pc.cast(text, pa.float64()).to_numpy(zero_copy_only=False)
    except pa.ArrowInvalid:  # what Arrow will not read (a number too long?): as pandas reads it
        return pd.to_numeric(pd.Series(text.to_pylist(), dtype=object), errors="coerce").to_numpy(dtype=float)


def _mask_bits(a: pa.Array, vocab: tuple[str, ...]) -> tuple[np.ndarray, int]:
    """Comma-separated tokens -> bitmask (unknown tokens ignored); returns (mask, rows with unknown tokens)."""
    index = {v: 1 << i for i, v in enumerate(vocab)}

    def bits(text: str) -> int:
        toks = {t for t in (t.strip().casefold() for t in text.split(",")) if t}
        return sum(index[t] for t in toks if t in index) | (256 if toks - index.keys() else 0)

    found = _per_value(a, bits, np.int16)
    return (found & 255).astype(np.uint8), int((found >= 256).sum())


def event_dates(s: pa.Array) -> tuple[pa.Array, int]:
    """Data_zdarzenia (its first 10 characters) as date32, null when empty or unparseable, and the
    number of unparseable ones."""
    enc = pc.dictionary_encode(pc.utf8_slice_codeunits(s, 0, 10))
    parsed = pd.to_datetime(pd.Series(enc.dictionary.to_pylist(), dtype="str"), format="%Y-%m-%d", errors="coerce")
    dates = parsed.to_numpy().astype("datetime64[D]")[enc.indices.to_numpy(zero_copy_only=False)] \
        if len(s) else np.zeros(0, "datetime64[D]")
    bad = int((np.isnat(dates) & ~_empty(s)).sum())
    return pa.array(dates, pa.date32(), mask=np.isnat(dates)), bad


def _or_null(a: pa.Array) -> pa.Array:
    return pc.if_else(pc.equal(pc.utf8_length(a), 0), pa.scalar(None, pa.string()), a)


# --------------------------------------------------------------------------- the rules

def check(table: pa.Table, lines: np.ndarray, delim: str, lookup: GeoLookup) -> Checked:
    """Validate one chunk's records (string columns in header order, with their physical lines)."""
    n = table.num_rows
    v = Verdicts(n)
    strip = {c: pc.utf8_trim_whitespace(_col(table, c)) for c in C.COLUMNS if c != "Opis"}

    oid_empty = _empty(strip["OBJECTID"])
    v.flag(_all_empty(table, oid_empty), C.R_EMPTY)
    v.flag(oid_empty, C.R_OBJECTID_MISSING)
    oid_ok = _np(pc.match_substring_regex(strip["OBJECTID"], r"^\d{1,18}$"))
    oid = pc.cast(pc.if_else(pa.array(oid_ok), strip["OBJECTID"], "0"), pa.int64()).to_numpy()
    v.flag(oid <= 0, C.R_OBJECTID_BAD, _texts("OBJECTID '{}' is not an integer > 0", strip["OBJECTID"]))

    cat = _vocabulary(v, strip["Typ"], reference.category_lookup(), reference.category_codes(),
                      C.R_TYP_MISSING, C.R_TYP_UNKNOWN, "unknown category '{}'")
    status = _vocabulary(v, strip["Status"], reference.status_lookup(), reference.status_codes(),
                         C.R_STATUS_MISSING, C.R_STATUS_UNKNOWN, "unknown status '{}'")
    created = datetimes(strip["Data_utworzenia"])
    v.flag(np.isnat(created), C.R_CREATED, _texts("Data_utworzenia '{}' is not a datetime", strip["Data_utworzenia"]))
    modified = datetimes(strip["Data_modyfikacji"])
    v.flag(np.isnat(modified), C.R_MODIFIED,
           _texts("Data_modyfikacji '{}' is not a datetime", strip["Data_modyfikacji"]))
    v.flag(modified < created, C.R_ORDER)
    x, y = _located_xy(v, table, strip, delim)
    source = _source(v, strip["Zrodlo"])
    gmina = _locate(v, x, y, lookup, strip)

    days, bad_days = _mask_bits(_col(table, "Dni_tygodnia"), reference.DAYS)
    times, bad_times = _mask_bits(_col(table, "Pora_dnia"), reference.TIMES_OF_DAY)
    event, bad_event = event_dates(strip["Data_zdarzenia"])
    keep = pa.array(np.flatnonzero(v.open))
    teryt = _or_null(strip["TERYT"]).take(keep)
    gm = pa.array(gmina[v.open], pa.string())
    good = pa.table({
        "line": lines[v.open],
        "objectid": oid[v.open],
        "category": _dictionary(cat[v.open], reference.category_codes()),
        "status": _dictionary(status[v.open], reference.status_codes()),
        "created_at": pa.array(created[v.open], pa.timestamp("us")),
        "modified_at": pa.array(modified[v.open], pa.timestamp("us")),
        "event_date": event.take(keep),
        "days_mask": days[v.open], "times_mask": times[v.open],
        "x": x[v.open], "y": y[v.open],
        "gmina": gm,
        "teryt_reported": teryt,
        "unit": _or_null(strip["Jednostka"]).take(keep),
        "source": _dictionary(source[v.open], reference.SOURCES),
        "opis": _or_null(_col(table, "Opis")).take(keep),
        "mismatch": _np(pc.and_kleene(pc.is_valid(teryt), pc.not_equal(teryt, gm))),
    })
    return Checked(good, _rejects(v, table, lines), bad_days, bad_times, bad_event)


def _all_empty(table: pa.Table, candidates: np.ndarray) -> np.ndarray:
    """Rows (among `candidates`) whose every field is empty: a line of delimiters only."""
    out = np.zeros(table.num_rows, dtype=bool)
    idx = np.flatnonzero(candidates)
    if len(idx):
        sub = table.take(pa.array(idx))
        out[idx] = np.logical_and.reduce(
            [_empty(pc.utf8_trim_whitespace(sub.column(i).combine_chunks())) for i in range(sub.num_columns)])
    return out


def _vocabulary(v: Verdicts, s: pa.Array, lookup: dict[str, str], vocab: tuple[str, ...], r_missing: str,
                r_unknown: str, unknown_text: str) -> np.ndarray:
    v.flag(_empty(s), r_missing)
    codes = _codes(s, lookup, vocab)
    v.flag(codes < 0, r_unknown, _texts(unknown_text, s))
    return codes


def _located_xy(v: Verdicts, table: pa.Table, strip: dict, delim: str) -> tuple[np.ndarray, np.ndarray]:
    x, y = numbers(strip["X"], delim), numbers(strip["Y"], delim)
    v.flag(np.isnan(x) | np.isnan(y), C.R_XY, _texts("X/Y '{}' / '{}' not numbers", _col(table, "X"), _col(table, "Y")))
    in_box = (x >= C.X_RANGE[0]) & (x <= C.X_RANGE[1]) & (y >= C.Y_RANGE[0]) & (y <= C.Y_RANGE[1])
    v.flag(~in_box, C.R_OUTSIDE, _outside(strip))
    return x, y


def _outside(strip: dict) -> Callable[[np.ndarray], list[str]]:
    return _texts("point ({}, {}) is outside Poland", strip["X"], strip["Y"])


def _source(v: Verdicts, s: pa.Array) -> np.ndarray:
    index = {c: i for i, c in enumerate(reference.SOURCES)}
    codes = _per_value(s, lambda t: index.get(t.casefold() or "internet", -1), np.int16)
    v.flag(codes < 0, C.R_SOURCE, _texts("unknown Zrodlo '{}'", s))
    return codes


def _locate(v: Verdicts, x: np.ndarray, y: np.ndarray, lookup: GeoLookup, strip: dict) -> np.ndarray:
    """Gmina TERYT of each row still good (point-in-polygon); a point in no gmina is outside Poland."""
    gmina = np.full(len(x), None, dtype=object)
    ok = v.open.copy()
    if ok.any():
        gmina[ok] = lookup(x[ok], y[ok])
    v.flag(ok & pd.isna(gmina), C.R_OUTSIDE, _outside(strip))
    return gmina


def _rejects(v: Verdicts, table: pa.Table, lines: np.ndarray) -> pd.DataFrame:
    bad = np.flatnonzero(~v.open)
    raw = table.take(pa.array(bad)).to_pandas() if len(bad) else pd.DataFrame(columns=table.column_names)
    out = pd.DataFrame({"line": lines[bad], "objectid": raw["OBJECTID"].to_numpy() if len(bad) else [],
                        "reason": v.reason[bad], "detail": v.detail[bad]})
    return pd.concat([out, raw.reset_index(drop=True)], axis=1) if len(bad) else out
