"""Reading one nightly extract file (see shared/spec/nightly-extract.md).

`read_extract(path, lookup)` returns the file's good rows, normalised, and its rejected rows with line
number and reason. A file that cannot be used at all raises ExtractError (the caller then changes
nothing). The file is streamed in chunks of whole records (source), each parsed (csvparse) and checked
(rules) on its own; rows of one report across the file are matched at the end (history).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import pyarrow as pa

from kmzb.ingest.contract import (
    COLUMNS,
    NAME_RE,
    OPTIONAL,
    R_CONFLICT,
    R_CREATED,
    R_EMPTY,
    R_FIELDS,
    R_MODIFIED,
    R_OBJECTID_BAD,
    R_OBJECTID_MISSING,
    R_ORDER,
    R_OUTSIDE,
    R_SOURCE,
    R_STATUS_MISSING,
    R_STATUS_UNKNOWN,
    R_TYP_MISSING,
    R_TYP_UNKNOWN,
    R_XY,
    REQUIRED,
    ExtractError,
    file_kind,
)
from kmzb.ingest.csvparse import SplitSuspect, header, parse
from kmzb.ingest.history import same_time_rows
from kmzb.ingest.rules import Checked, GeoLookup, check
from kmzb.ingest.source import CHUNK_BYTES, ExtractText, NotUtf8, read_ahead

__all__ = [
    "COLUMNS", "NAME_RE", "OPTIONAL", "REQUIRED", "R_CONFLICT", "R_CREATED", "R_EMPTY", "R_FIELDS", "R_MODIFIED",
    "R_OBJECTID_BAD", "R_OBJECTID_MISSING", "R_ORDER", "R_OUTSIDE", "R_SOURCE", "R_STATUS_MISSING",
    "R_STATUS_UNKNOWN", "R_TYP_MISSING", "R_TYP_UNKNOWN", "R_XY", "Extract", "ExtractError", "GeoLookup",
    "file_kind", "list_extracts", "read_extract",
]

WHOLE_FILE = -1  # chunk size: the whole file as one chunk
Progress = Callable[[int, int], None]  # (bytes of the file read, records so far)
REJECT_COLUMNS = ["line", "objectid", "reason", "detail"]


@dataclass
class Extract:
    path: Path
    kind: str  # "full" | "delta"
    encoding: str
    delimiter: str
    rows: int
    table: pa.Table  # the good rows, normalised (Arrow)
    rejects: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    mismatches: int = 0
    duplicates: int = 0  # rows repeating another row exactly (dropped)
    superseded: int = 0  # good rows older than another row of their report in this file (history only)

    @cached_property
    def good(self) -> pd.DataFrame:
        return self.table.to_pandas()

    @property
    def reasons(self) -> dict[str, int]:
        if self.rejects.empty:
            return {}
        return {str(k): int(v) for k, v in self.rejects["reason"].value_counts().sort_index().items()}


def list_extracts(directory: Path) -> list[Path]:
    """The extract files in a directory, sorted by name."""
    return sorted(p for p in directory.iterdir() if p.is_file() and NAME_RE.match(p.name))


def read_extract(path: Path | str, lookup: GeoLookup, *, progress: Progress | None = None,
                 chunk_bytes: int = CHUNK_BYTES) -> Extract:
    """Read, validate and normalise one extract file.

    `lookup(x, y)` maps EPSG:2180 points to 7-digit gmina TERYT codes (None outside Poland).
    """
    path = Path(path)
    kind = file_kind(path)
    cp1250 = False
    while True:
        try:
            return _read(path, kind, lookup, cp1250, chunk_bytes, progress)
        except NotUtf8:
            cp1250 = True
        except SplitSuspect:  # a chunk was not whole records after all: read the file as one
            chunk_bytes = WHOLE_FILE


def _read(path: Path, kind: str, lookup: GeoLookup, cp1250: bool, chunk_bytes: int,
          progress: Progress | None) -> Extract:
    text = ExtractText(path, cp1250=cp1250, chunk_bytes=chunk_bytes)
    warnings = ["not valid UTF-8: read as Windows-1250"] if cp1250 else []
    try:
        names, delim = header(path, text.header, warnings)
    except ExtractError:
        text.drain()  # an unreadable or undecodable file is reported as such first
        raise
    checked: list[Checked] = []
    field_rejects: list[dict] = []
    rows = 0
    for chunk in read_ahead(text.chunks()):
        recs = parse(path, chunk.data, chunk.first_line, names, delim, whole_file=chunk_bytes == WHOLE_FILE,
                     record_ends=chunk.record_ends)
        checked.append(check(recs.table, recs.lines, delim, lookup))
        field_rejects += recs.bad
        rows += recs.table.num_rows + len(recs.bad)
        if progress:
            progress(chunk.done, rows)
    if not checked:  # no records at all
        checked.append(check(pa.table({n: pa.array([], pa.string()) for n in names}), np.zeros(0, np.int64),
                             delim, lookup))
    warnings += _field_warnings(checked)
    good = pa.concat_tables([c.good for c in checked])
    good, conflicts, duplicates = _drop_same_time(good)
    if len(conflicts):
        conflicts = _with_fields(conflicts, ExtractText(path, cp1250=cp1250, chunk_bytes=chunk_bytes), names, delim)
    rejects = _all_rejects([c.rejects for c in checked] + [conflicts, pd.DataFrame(field_rejects)])
    oid = good.column("objectid").to_numpy()
    return Extract(
        path=path, kind=kind, encoding=text.encoding, delimiter=delim, rows=rows, table=good, rejects=rejects,
        warnings=warnings, mismatches=int(good.column("mismatch").to_numpy().sum()), duplicates=duplicates,
        superseded=_repeated(oid),
    )


def _repeated(values: np.ndarray) -> int:
    """How many values repeat an earlier one (by sorting: np.unique is several times slower)."""
    s = np.sort(values)
    return int((s[1:] == s[:-1]).sum()) if len(s) else 0


def _field_warnings(checked: list[Checked]) -> list[str]:
    out = []
    bad_days, bad_times, bad_event = (sum(getattr(c, k) for c in checked) for k in ("bad_days", "bad_times", "bad_event"))
    if bad_days:
        out.append(f"{bad_days} row(s) with unknown Dni_tygodnia tokens (ignored)")
    if bad_times:
        out.append(f"{bad_times} row(s) with unknown Pora_dnia tokens (ignored)")
    if bad_event:
        out.append(f"{bad_event} row(s) with unparseable Data_zdarzenia (kept, field left empty)")
    return out


def _drop_same_time(good: pa.Table) -> tuple[pa.Table, pd.DataFrame, int]:
    """(good rows without conflicts and exact repeats, the conflicts as rejects without their fields,
    the number of exact repeats dropped)."""
    same = same_time_rows(good)
    conflicts = pd.DataFrame({"line": good.column("line").to_numpy()[same.conflict], "reason": R_CONFLICT,
                              "detail": same.detail[same.conflict]})
    keep = ~(same.conflict | same.repeat)
    return (good if keep.all() else good.filter(pa.array(keep))), conflicts, int(same.repeat.sum())


def _with_fields(rejects: pd.DataFrame, text: ExtractText, names: list[str], delim: str) -> pd.DataFrame:
    """Rejects found across the file, given their own fields (and OBJECTID) from a second reading."""
    found = []
    for chunk in text.chunks():
        recs = parse(text.path, chunk.data, chunk.first_line, names, delim, whole_file=True)
        hit = np.flatnonzero(np.isin(recs.lines, rejects["line"].to_numpy()))
        if len(hit):
            raw = recs.table.take(pa.array(hit)).to_pandas()
            raw.insert(0, "line", recs.lines[hit])
            found.append(raw)
    raw = pd.concat(found, ignore_index=True)
    out = rejects.merge(raw, on="line", how="left")
    out.insert(1, "objectid", out["OBJECTID"])
    return out


def _all_rejects(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in REJECT_COLUMNS})
    out = pd.concat(frames, ignore_index=True)
    out["objectid"] = out["objectid"].fillna("") if "objectid" in out else ""
    out = out[REJECT_COLUMNS + [c for c in out.columns if c not in REJECT_COLUMNS]]
    return out.sort_values("line", kind="stable").reset_index(drop=True)
