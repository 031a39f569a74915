"""Reading and validating one nightly extract file (see shared/spec/nightly-extract.md).

`read_extract(path, lookup)` returns the file's good rows, normalised, and its rejected
rows with line number and reason. A file that cannot be used at all raises ExtractError
(the caller then changes nothing).
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from kmzb import reference

REQUIRED = ("OBJECTID", "Typ", "Status", "Data_utworzenia", "Data_modyfikacji", "X", "Y")
OPTIONAL = ("Data_zdarzenia", "Dni_tygodnia", "Pora_dnia", "TERYT", "Jednostka", "Zrodlo", "Opis")
COLUMNS = REQUIRED + OPTIONAL
NAME_RE = re.compile(r"^kmzb_(full_)?(\d{8})\.csv(\.gz)?$")
TZ = "Europe/Warsaw"

# plausible EPSG:2180 extent of Poland (contract: about 140 000 – 900 000 / 100 000 – 800 000)
X_RANGE = (100_000.0, 950_000.0)
Y_RANGE = (50_000.0, 850_000.0)

# reason keys, in the order they are checked (a row gets the first that applies)
R_OBJECTID_MISSING = "missing OBJECTID"
R_OBJECTID_BAD = "invalid OBJECTID"
R_TYP_MISSING = "missing Typ"
R_TYP_UNKNOWN = "unknown category"
R_STATUS_MISSING = "missing Status"
R_STATUS_UNKNOWN = "unknown status"
R_CREATED = "missing or unparseable Data_utworzenia"
R_MODIFIED = "missing or unparseable Data_modyfikacji"
R_ORDER = "Data_modyfikacji before Data_utworzenia"
R_XY = "missing or unparseable X/Y"
R_OUTSIDE = "point outside Poland"
R_SOURCE = "unknown Zrodlo"
R_FIELDS = "wrong number of fields"
R_EMPTY = "empty row (every field empty)"
R_CONFLICT = "same OBJECTID and Data_modyfikacji with different content"


class ExtractError(Exception):
    """The file as a whole cannot be used; nothing of it may load."""

    def __init__(self, path: Path | str, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


@dataclass
class Extract:
    path: Path
    kind: str  # "full" | "delta"
    encoding: str
    delimiter: str
    rows: int
    good: pd.DataFrame
    rejects: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    mismatches: int = 0
    duplicates: int = 0  # rows repeating another row exactly (dropped)
    superseded: int = 0  # good rows older than another row of their report in this file (history only)

    @property
    def reasons(self) -> dict[str, int]:
        if self.rejects.empty:
            return {}
        return {str(k): int(v) for k, v in self.rejects["reason"].value_counts().sort_index().items()}


def file_kind(path: Path) -> str:
    m = NAME_RE.match(path.name)
    if not m:
        raise ExtractError(path, "file name must be kmzb_YYYYMMDD.csv or kmzb_full_YYYYMMDD.csv (optionally .gz)")
    return "full" if m.group(1) else "delta"


def list_extracts(directory: Path) -> list[Path]:
    """The extract files in a directory, sorted by name."""
    return sorted(p for p in directory.iterdir() if p.is_file() and NAME_RE.match(p.name))


# --------------------------------------------------------------------------- bytes -> text

def _read_bytes(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise ExtractError(path, f"cannot read the file: {e.strerror or e}") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as e:
            raise ExtractError(path, f"corrupt gzip data: {e}") from None
    elif path.name.endswith(".gz"):
        raise ExtractError(path, "named .gz but not gzip data")
    return raw


def _decode(path: Path, raw: bytes, warnings: list[str]) -> tuple[bytes, str]:
    """Return UTF-8 bytes (without BOM) and the encoding the file was read as."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw, enc = raw[3:], "utf-8-sig"
    else:
        enc = "utf-8"
    try:
        raw.decode("utf-8")
        return raw, enc
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("cp1250")
    except UnicodeDecodeError as e:
        raise ExtractError(path, f"neither valid UTF-8 nor Windows-1250 (byte {e.start})") from None
    warnings.append("not valid UTF-8: read as Windows-1250")
    return text.encode("utf-8"), "cp1250"


# --------------------------------------------------------------------------- parsing

def _header(path: Path, data: bytes) -> tuple[list[str], str]:
    end = data.find(b"\n")
    first = (data if end < 0 else data[:end]).decode("utf-8").rstrip("\r")
    if not first.strip():
        raise ExtractError(path, "empty file or empty header row")
    delim = ";" if ";" in first else ("," if "," in first else ";")
    if "\r" in first:
        raise ExtractError(path, "the header row holds a bare carriage return (old Mac line endings?); "
                                 "lines must end with LF or CRLF")
    try:
        names = next(csv.reader([first], delimiter=delim, strict=True))
    except csv.Error as e:
        raise ExtractError(path, f"malformed header row: {e}") from None
    return [n.strip() for n in names], delim


def _record_layout(data: bytes, n_records: int) -> tuple[np.ndarray, np.ndarray] | None:
    """(physical line where each data record starts (header = line 1), whether the record's line is
    blank), or None when the record count disagrees with the parser (then the slow path is used).

    A newline ends a record only outside double quotes; doubled quotes keep the parity."""
    buf = np.frombuffer(data, dtype=np.uint8)
    nl = np.flatnonzero(buf == 10)
    quotes = np.flatnonzero(buf == 34)
    parity = np.searchsorted(quotes, nl) % 2
    ends = np.flatnonzero(parity == 0)  # indexes into nl of record-ending newlines
    starts = ends + 2  # line number of the record that follows each ending newline
    first_byte = nl[ends] + 1  # where each of those records starts
    last_byte = np.append(nl[ends[1:]], len(buf))  # and where it ends (its newline, or the end of data)
    # drop a trailing newline at the very end of the file
    if len(nl) and nl[-1] == len(buf) - 1 and len(ends) and ends[-1] == len(nl) - 1:
        starts, first_byte, last_byte = starts[:-1], first_byte[:-1], last_byte[:-1]
    if len(starts) != n_records:
        return None
    size = last_byte - first_byte
    cr_only = (size == 1) & (buf[np.minimum(first_byte, len(buf) - 1)] == 13) if len(buf) else size == 1
    return starts.astype(np.int64), (size == 0) | cr_only


def _parse_fast(data: bytes, names: list[str], delim: str) -> pd.DataFrame | None:
    bad = []

    def on_invalid(row):
        bad.append(row)
        return "skip"

    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(
                delimiter=delim, quote_char='"', double_quote=True, newlines_in_values=True,
                ignore_empty_lines=False, invalid_row_handler=on_invalid,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names}, strings_can_be_null=False,
                quoted_strings_can_be_null=False, null_values=[],
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowException):
        return None
    if bad:
        return None
    return table.to_pandas()


def _parse_slow(path: Path, data: bytes, names: list[str], delim: str) -> tuple[pd.DataFrame, np.ndarray, list[dict]]:
    """Python csv reader: exact line numbers, rows with a wrong field count rejected."""
    text = data.decode("utf-8")
    seen = [0]  # LF characters handed to the reader: physical lines count LF only, as in _record_layout

    def source():
        for part in io.StringIO(text, newline=""):  # (the csv module also ends records at a bare CR)
            seen[0] += part.count("\n")
            yield part

    reader = csv.reader(source(), delimiter=delim, quotechar='"', doublequote=True, strict=True)
    rows, lines, bad = [], [], []
    n = len(names)
    try:
        next(reader)
        start = seen[0] + 1
        for rec in reader:
            if len(rec) == n:
                rows.append(rec)
                lines.append(start)
            elif rec == [] or rec == [""]:
                pass  # blank line
            else:
                bad.append({"line": start, "reason": R_FIELDS, "detail": f"expected {n} fields, found {len(rec)}",
                            "raw": delim.join(rec)[:2000]})
            start = seen[0] + 1
    except csv.Error as e:
        raise ExtractError(path, f"malformed CSV near line {seen[0] + 1}: {e}") from None
    frame = pd.DataFrame(rows, columns=names, dtype=object) if rows else pd.DataFrame({k: pd.Series([], dtype=object) for k in names})
    return frame, np.asarray(lines, dtype=np.int64), bad


# --------------------------------------------------------------------------- field rules

def _parse_datetimes(s: pd.Series) -> pd.Series:
    """Local naive timestamps (Europe/Warsaw) from 'YYYY-MM-DD HH:MM:SS' or ISO 8601 with offset."""
    s = s.str.strip()
    out = pd.to_datetime(s, format="%Y-%m-%d %H:%M:%S", errors="coerce")
    rest = out.isna() & (s != "")
    if rest.any():
        sub = s[rest]
        has_offset = sub.str.contains(r"(?:[+-]\d{2}:?\d{2}|Z)$", regex=True)
        if has_offset.any():
            aware = pd.to_datetime(sub[has_offset], format="ISO8601", utc=True, errors="coerce")
            out.loc[aware.index] = aware.dt.tz_convert(TZ).dt.tz_localize(None)
        naive = sub[~has_offset]
        if len(naive):
            out.loc[naive.index] = pd.to_datetime(naive, format="ISO8601", errors="coerce")
    return out.astype("datetime64[us]")


def _mask(s: pd.Series, vocab: tuple[str, ...]) -> tuple[np.ndarray, int]:
    """Comma-separated tokens -> bitmask; returns (mask, number of rows with unknown tokens)."""
    index = {v: 1 << i for i, v in enumerate(vocab)}
    uniq = pd.unique(s)
    table, unknown = {}, set()
    for u in uniq:
        m = 0
        for tok in str(u).split(","):
            tok = tok.strip().casefold()
            if not tok:
                continue
            bit = index.get(tok)
            if bit is None:
                unknown.add(u)
            else:
                m |= bit
        table[u] = m
    mapped = s.map(table).to_numpy(dtype=np.uint8)
    return mapped, int(s.isin(unknown).sum()) if unknown else 0


def _same_time_rows(good: pd.DataFrame, ok: np.ndarray) -> tuple[tuple[np.ndarray, np.ndarray] | None, np.ndarray]:
    """Among the good rows (`ok`), those sharing OBJECTID and Data_modyfikacji.

    Returns ((mask, detail) of the rows in conflict, i.e. of a key whose rows differ in content,
    or None) and the mask of rows that repeat an earlier row exactly (to be dropped)."""
    n = len(good)
    repeat = np.zeros(n, dtype=bool)
    pos = np.flatnonzero(ok)
    same = good.iloc[pos].duplicated(["objectid", "modified_at"], keep=False).to_numpy()
    if not same.any():
        return None, repeat
    pos = pos[same]
    d = good.iloc[pos]
    content = d.drop(columns=["line"]).astype(str)
    group = content.groupby(["objectid", "modified_at"], sort=False).ngroup().to_numpy()
    first_of_content = ~content.duplicated().to_numpy()
    variants = np.bincount(group, weights=first_of_content)
    in_conflict = variants[group] > 1
    repeat[pos[~in_conflict & ~first_of_content]] = True
    if not in_conflict.any():
        return None, repeat
    lines = pd.Series(d["line"].to_numpy()).groupby(group).agg(lambda s: ", ".join(map(str, s)))
    mask = np.zeros(n, dtype=bool)
    mask[pos[in_conflict]] = True
    detail = np.full(n, None, dtype=object)
    detail[pos[in_conflict]] = [
        f"OBJECTID {o} appears on lines {lines[g]} with the same Data_modyfikacji {m} and different content"
        for o, m, g in zip(d["objectid"].to_numpy()[in_conflict], content["modified_at"].to_numpy()[in_conflict],
                           group[in_conflict])]
    return (mask, detail), repeat


GeoLookup = Callable[[np.ndarray, np.ndarray], np.ndarray]


def read_extract(path: Path | str, lookup: GeoLookup) -> Extract:
    """Read, validate and normalise one extract file.

    `lookup(x, y)` maps EPSG:2180 points to 7-digit gmina TERYT codes (None outside Poland).
    """
    path = Path(path)
    kind = file_kind(path)
    warnings: list[str] = []
    raw = _read_bytes(path)
    data, encoding = _decode(path, raw, warnings)
    names, delim = _header(path, data)

    dup_names = sorted({n for n in names if names.count(n) > 1})
    if dup_names:
        raise ExtractError(path, f"duplicate column(s) in header: {', '.join(dup_names)}")
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise ExtractError(path, f"missing required column(s): {', '.join(missing)}")
    extra = [n for n in names if n not in COLUMNS]
    if extra:
        warnings.append(f"unknown column(s) ignored: {', '.join(extra)}")

    frame = _parse_fast(data, names, delim)
    lines = None
    bad_records: list[dict] = []
    if frame is not None:
        layout = _record_layout(data, len(frame))
        if layout is not None:
            lines, blank = layout
            if blank.any():  # blank lines are not records
                frame, lines = frame[~blank].reset_index(drop=True), lines[~blank]
    if frame is None or lines is None:
        frame, lines, bad_records = _parse_slow(path, data, names, delim)  # drops blank lines itself
    del data, raw

    # a line of delimiters only (";;;;") is a record with every field empty: rejected as such,
    # so that the row accounting shows it
    n = len(frame)
    for c in OPTIONAL:
        if c not in frame.columns:
            frame[c] = ""
    reason = np.full(n, None, dtype=object)
    detail = np.full(n, None, dtype=object)

    def flag(mask, key, details=None):
        mask = np.asarray(mask, dtype=bool) & (reason == None)  # noqa: E711
        reason[mask] = key
        if details is not None:
            detail[mask] = np.asarray(details, dtype=object)[mask]
        else:
            detail[mask] = key

    if n:
        flag(frame[names].apply(lambda c: c.str.strip() == "").all(axis=1).to_numpy(), R_EMPTY)
    oid_s = frame["OBJECTID"].str.strip()
    flag(oid_s == "", R_OBJECTID_MISSING)
    oid_ok = oid_s.str.fullmatch(r"\d{1,18}")
    oid = pd.to_numeric(oid_s.where(oid_ok, None), errors="coerce")
    flag(~oid_ok.to_numpy() | (oid.fillna(0) <= 0).to_numpy(), R_OBJECTID_BAD, "OBJECTID '" + oid_s + "' is not an integer > 0")

    typ_s = frame["Typ"].str.strip()
    flag(typ_s == "", R_TYP_MISSING)
    cat = typ_s.str.casefold().map(reference.category_lookup())
    flag(cat.isna(), R_TYP_UNKNOWN, "unknown category '" + typ_s + "'")

    st_s = frame["Status"].str.strip()
    flag(st_s == "", R_STATUS_MISSING)
    status = st_s.str.casefold().map(reference.status_lookup())
    flag(status.isna(), R_STATUS_UNKNOWN, "unknown status '" + st_s + "'")

    created = _parse_datetimes(frame["Data_utworzenia"])
    flag(created.isna(), R_CREATED, "Data_utworzenia '" + frame["Data_utworzenia"].str.strip() + "' is not a datetime")
    modified = _parse_datetimes(frame["Data_modyfikacji"])
    flag(modified.isna(), R_MODIFIED, "Data_modyfikacji '" + frame["Data_modyfikacji"].str.strip() + "' is not a datetime")
    flag((modified < created).fillna(False).to_numpy(), R_ORDER)

    def number(col):
        s = frame[col].str.strip()
        if delim == ";":
            s = s.str.replace(",", ".", regex=False)
        return pd.to_numeric(s.where(s.str.fullmatch(r"[+-]?\d+(?:\.\d*)?(?:[eE][+-]?\d+)?"), None), errors="coerce")

    x, y = number("X"), number("Y")
    flag((x.isna() | y.isna()).to_numpy(), R_XY, "X/Y '" + frame["X"] + "' / '" + frame["Y"] + "' not numbers")
    xy_text = "point (" + frame["X"].str.strip() + ", " + frame["Y"].str.strip() + ") is outside Poland"
    in_box = x.between(*X_RANGE) & y.between(*Y_RANGE)
    flag(~in_box.to_numpy(), R_OUTSIDE, xy_text)

    src_s = frame["Zrodlo"].str.strip().str.casefold()
    src_s = src_s.where(src_s != "", "internet")
    flag(~src_s.isin(reference.SOURCES).to_numpy(), R_SOURCE, "unknown Zrodlo '" + frame["Zrodlo"].str.strip() + "'")

    # point-in-polygon only for rows still good
    gmina = np.full(n, None, dtype=object)
    ok = reason == None  # noqa: E711
    if ok.any():
        gmina[ok] = lookup(x.to_numpy(dtype=float)[ok], y.to_numpy(dtype=float)[ok])
    flag(ok & pd.isna(gmina), R_OUTSIDE, xy_text)

    days_mask, bad_days = _mask(frame["Dni_tygodnia"].fillna(""), reference.DAYS)
    times_mask, bad_times = _mask(frame["Pora_dnia"].fillna(""), reference.TIMES_OF_DAY)
    if bad_days:
        warnings.append(f"{bad_days} row(s) with unknown Dni_tygodnia tokens (ignored)")
    if bad_times:
        warnings.append(f"{bad_times} row(s) with unknown Pora_dnia tokens (ignored)")
    ev_s = frame["Data_zdarzenia"].str.strip()
    event = pd.to_datetime(ev_s.str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
    bad_event = int((event.isna() & (ev_s != "")).sum())
    if bad_event:
        warnings.append(f"{bad_event} row(s) with unparseable Data_zdarzenia (kept, field left empty)")

    teryt_rep = frame["TERYT"].str.strip()
    good = pd.DataFrame({
        "line": lines,
        "objectid": oid.astype("Int64"),
        "category": cat,
        "status": status,
        "created_at": created,
        "modified_at": modified,
        "event_date": event.dt.date,
        "days_mask": days_mask,
        "times_mask": times_mask,
        "x": x.astype(float),
        "y": y.astype(float),
        "gmina": gmina,
        "teryt_reported": teryt_rep.where(teryt_rep != "", None),
        "unit": frame["Jednostka"].str.strip().replace("", None),
        "source": src_s,
        "opis": frame["Opis"].where(frame["Opis"] != "", None),
    })

    # several rows of one OBJECTID: with different Data_modyfikacji they are its history (all kept);
    # with the same Data_modyfikacji, identical content collapses and different content is a conflict
    conflict, dup_mask = _same_time_rows(good, reason == None)  # noqa: E711
    if conflict is not None:
        flag(conflict[0], R_CONFLICT, conflict[1])
    ok = reason == None  # noqa: E711
    keep = ok & ~dup_mask
    dups = int((ok & dup_mask).sum())

    bad = ~ok
    rejects = pd.DataFrame({
        "line": lines[bad],
        "objectid": frame["OBJECTID"].to_numpy()[bad],
        "reason": reason[bad],
        "detail": detail[bad],
    })
    if len(rejects):
        raw_rows = frame.loc[bad, [c for c in names if c in frame.columns]]
        rejects = pd.concat([rejects.reset_index(drop=True), raw_rows.reset_index(drop=True)], axis=1)
    if bad_records:
        extra_rej = pd.DataFrame(bad_records)
        extra_rej["objectid"] = ""
        rejects = pd.concat([rejects, extra_rej], ignore_index=True).sort_values("line", kind="stable")
    rejects = rejects.reset_index(drop=True)

    good = good[keep].reset_index(drop=True)
    good["objectid"] = good["objectid"].astype("int64")
    good["mismatch"] = good["teryt_reported"].notna() & (good["teryt_reported"] != good["gmina"])
    return Extract(
        path=path, kind=kind, encoding=encoding, delimiter=delim,
        rows=n + len(bad_records), good=good, rejects=rejects, warnings=warnings,
        mismatches=int(good["mismatch"].sum()), duplicates=dups,
        superseded=int(good["objectid"].duplicated().sum()),
    )
