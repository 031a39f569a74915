"""Parsing: the header row, then each chunk of records into string columns with the physical line
where each record starts. Rows with a wrong number of fields are bad rows, not a bad file."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from kmzb.ingest import source
from kmzb.ingest.contract import COLUMNS, R_FIELDS, REQUIRED, ExtractError


class SplitSuspect(Exception):
    """A chunk did not parse as whole records: parse the file again as one chunk."""


@dataclass
class Records:
    table: pa.Table  # every field a string, header order; blank lines dropped
    lines: np.ndarray  # physical line where each record starts
    bad: list[dict] = field(default_factory=list)  # records with a wrong number of fields


def header(path: Path, first: str, warnings: list[str]) -> tuple[list[str], str]:
    """Column names and delimiter from the header row; a header that cannot be used raises ExtractError."""
    if not first.strip():
        raise ExtractError(path, "empty file or empty header row")
    delim = ";" if ";" in first else ("," if "," in first else ";")
    if "\r" in first:
        raise ExtractError(path, "the header row holds a bare carriage return (old Mac line endings?); "
                                 "lines must end with LF or CRLF")
    try:
        names = [n.strip() for n in next(csv.reader([first], delimiter=delim, strict=True))]
    except csv.Error as e:
        raise ExtractError(path, f"malformed header row: {e}") from None
    dup_names = sorted({n for n in names if names.count(n) > 1})
    if dup_names:
        raise ExtractError(path, f"duplicate column(s) in header: {', '.join(dup_names)}")
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise ExtractError(path, f"missing required column(s): {', '.join(missing)}")
    extra = [n for n in names if n not in COLUMNS]
    if extra:
        warnings.append(f"unknown column(s) ignored: {', '.join(extra)}")
    return names, delim


def _layout(data: bytes, n_records: int, first_line: int, record_ends: source.RecordEnds | None) -> \
        tuple[np.ndarray, np.ndarray] | None:
    """(physical line where each record starts, whether the record's line is blank), or None when the
    record count disagrees with the parser. A line feed ends a record only outside double quotes
    (`record_ends`: those line feeds, when the reader found them already)."""
    buf = np.frombuffer(data, dtype=np.uint8)
    ends = source.record_ends(data) if record_ends is None else record_ends
    starts = np.concatenate([[first_line], first_line + ends.lines + 1])
    first_byte = np.concatenate([[0], ends.offsets + 1])
    last_byte = np.append(ends.offsets, len(buf))
    if first_byte[-1] == len(buf):  # the data ends with a record-ending line feed
        starts, first_byte, last_byte = starts[:-1], first_byte[:-1], last_byte[:-1]
    if len(starts) != n_records:
        return None
    size = last_byte - first_byte
    cr_only = (size == 1) & (buf[np.minimum(first_byte, len(buf) - 1)] == 13) if len(buf) else size == 1
    return starts.astype(np.int64), (size == 0) | cr_only


def _parse_fast(data: bytes, names: list[str], delim: str) -> pa.Table | None:
    bad = []

    def on_invalid(row):
        bad.append(row)
        return "skip"

    try:
        table = pacsv.read_csv(
            pa.BufferReader(data),
            read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(
                delimiter=delim, quote_char='"', double_quote=True, newlines_in_values=True,
                ignore_empty_lines=False, invalid_row_handler=on_invalid,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names}, strings_can_be_null=False,
                quoted_strings_can_be_null=False, null_values=[], check_utf8=False,  # the source checked it
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowException):
        return None
    return None if bad else table


def _parse_slow(path: Path, data: bytes, names: list[str], delim: str, first_line: int,
                whole_file: bool) -> Records:
    """Python csv reader: exact line numbers, rows with a wrong field count rejected."""
    seen = [0]  # LF characters handed to the reader: physical lines count LF only, as in _layout

    def source():
        for part in io.StringIO(data.decode("utf-8"), newline=""):  # (csv also ends records at a bare CR)
            seen[0] += part.count("\n")
            yield part

    reader = csv.reader(source(), delimiter=delim, quotechar='"', doublequote=True, strict=True)
    rows, lines, bad = [], [], []
    n = len(names)
    start = first_line
    try:
        for rec in reader:
            if len(rec) == n:
                rows.append(rec)
                lines.append(start)
            elif rec not in ([], [""]):  # (a blank line is no record)
                bad.append({"line": start, "reason": R_FIELDS, "detail": f"expected {n} fields, found {len(rec)}",
                            "raw": delim.join(rec)[:2000]})
            start = first_line + seen[0]
    except csv.Error as e:
        if not whole_file:
            raise SplitSuspect() from None
        raise ExtractError(path, f"malformed CSV near line {first_line + seen[0]}: {e}") from None
    columns = list(zip(*rows)) if rows else [[] for _ in names]
    table = pa.table({n: pa.array(c, pa.string()) for n, c in zip(names, columns)})
    return Records(table, np.asarray(lines, dtype=np.int64), bad)


def parse(path: Path, data: bytes, first_line: int, names: list[str], delim: str, *,
          whole_file: bool, record_ends: source.RecordEnds | None = None) -> Records:
    """The records of one chunk (whole records; `first_line` is the physical line it starts on;
    `record_ends`, when known: the offsets of the line feeds that end its records)."""
    if not data:
        return Records(pa.table({n: pa.array([], pa.string()) for n in names}), np.zeros(0, np.int64))
    table = _parse_fast(data, names, delim)
    layout = _layout(data, table.num_rows, first_line, record_ends) if table is not None else None
    if layout is None:
        return _parse_slow(path, data, names, delim, first_line, whole_file)
    lines, blank = layout
    if blank.any():  # blank lines are not records
        keep = ~blank
        return Records(table.filter(pa.array(keep)), lines[keep])
    return Records(table, lines)


def rejects_frame(bad: list[dict]) -> pd.DataFrame:
    out = pd.DataFrame(bad)
    out["objectid"] = ""
    return out
