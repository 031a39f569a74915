"""Extract files: the rows of one file in its format (encoding, BOM, delimiter, gzip, column order,
an extra column, ISO datetimes), with a few deliberate TERYT mismatches and bad rows, and what
went into it."""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np

from kmzb.demo import badrows
from kmzb.demo.fields import COLUMNS, Style, columns
from kmzb.demo.geography import Geo
from kmzb.demo.simulate import Sim

EXTRA_VALUE = "2.3.1"  # the unknown extra column's value
CHUNK = 50_000  # rows rendered at a time where no bad rows go in (a progress step)


@dataclass
class ExtractInfo:
    path: Path
    kind: str  # "full" | "delta"
    date: date  # the day the extract covers (modifications up to 23:59:59 of it)
    encoding: str  # utf-8 | utf-8-sig | cp1250
    delimiter: str
    decimal: str
    gzip: bool
    columns: tuple[str, ...]
    iso_datetimes: bool
    rows: int  # data records, bad ones included
    bad_rows: list[badrows.BadRow] = field(default_factory=list)
    teryt_mismatches: tuple[int, ...] = ()  # OBJECTIDs of good rows whose TERYT is deliberately wrong


def delta_styles(deltas: int, rng) -> list[Style]:
    """Format variants spread over the deltas (combined when there are few)."""
    feats: list[set[str]] = [set() for _ in range(deltas)]
    order = ["bom", "cp1250", "comma", "gzip", "shuffled", "extra", "iso"]
    if deltas >= len(order) + 1:
        pos = np.linspace(1, deltas - 1, len(order)).round().astype(int)
        for f, p in zip(order, pos):
            feats[p].add(f)
    elif deltas:
        for i, f in enumerate(order):
            feats[i % deltas].add(f)
    return [_style(fs, rng) for fs in feats]


def _style(fs: set[str], rng) -> Style:
    if "bom" in fs and "cp1250" in fs:
        fs.discard("bom")
    cols = list(COLUMNS)
    if "shuffled" in fs:
        cols = [COLUMNS[i] for i in rng.permutation(len(COLUMNS))]
    comma = "comma" in fs
    return Style(
        encoding="cp1250" if "cp1250" in fs else ("utf-8-sig" if "bom" in fs else "utf-8"),
        delimiter="," if comma else ";",
        decimal="." if comma else ",",
        gz="gzip" in fs,
        columns=tuple(cols),
        extra="Wersja" if "extra" in fs else None,
        iso="iso" in fs,
        lineterminator="\r\n" if ("cp1250" in fs or comma) else "\n",
        quote_opis=comma,
    )


def write_extract(path: Path, kind: str, d: date, sim: Sim, geo: Geo, pool: np.ndarray, idx: np.ndarray,
                  as_of: int, style: Style, rng, *, n_mismatch: int, bad: list[str],
                  ghost_base: int = badrows.GHOST_OBJECTID,
                  advance: Callable[[int], None] | None = None) -> ExtractInfo:
    """Write reports idx as of `as_of` into `path`, n_mismatch of them with a wrong TERYT, plus a
    bad row of each kind in `bad`. `advance(n)` is called as n more rows are written."""
    header = list(style.columns) + ([style.extra] if style.extra else [])
    info = ExtractInfo(path=path, kind=kind, date=d, encoding=style.encoding, delimiter=style.delimiter,
                       decimal=style.decimal, gzip=style.gz, columns=tuple(header), iso_datetimes=style.iso, rows=0)
    mismatch = _mismatches(sim, geo, idx, n_mismatch, rng)
    info.teryt_mismatches = tuple(int(sim.oid[idx[p]]) for p in mismatch)
    if not bad:
        _write_rows(path, style, header, _chunked_rows(sim, geo, pool, idx, as_of, style, header, mismatch, advance))
        info.rows = len(idx)
        return info
    rows = [list(r) for r in _rows(sim, geo, pool, idx, as_of, style, header, mismatch)]
    inserted = badrows.make(bad, rows, header, sim.t0[idx], d, style, rng, ghost_base)
    kinds_at = badrows.insert(rows, inserted, rng)
    _write_rows(path, style, header, rows)
    if advance:
        advance(len(idx))
    info.rows = len(rows)
    info.bad_rows = badrows.locate(rows, kinds_at, header)
    return info


def _mismatches(sim: Sim, geo: Geo, idx: np.ndarray, n: int, rng) -> dict[int, str]:
    """Deliberate TERYT mismatches among rows that carry a TERYT: {position in idx: wrong code}."""
    has_teryt = np.flatnonzero(~sim.teryt_empty[idx])
    if not len(has_teryt):
        return {}
    pos = np.sort(rng.choice(has_teryt, min(n, len(has_teryt)), replace=False))
    return {int(p): _wrong_teryt(geo, int(sim.gmina[idx[p]]), rng) for p in pos}


def _wrong_teryt(geo: Geo, g: int, rng) -> str:
    """A valid gmina code other than g's: a gmina of the same powiat if there is one."""
    same = np.flatnonzero((geo.powiat == geo.powiat[g]) & (np.arange(len(geo.teryt)) != g))
    if not len(same):
        same = np.flatnonzero(np.arange(len(geo.teryt)) != g)
    return geo.teryt[same[rng.integers(len(same))]]


def _rows(sim, geo, pool, part, as_of, style, header, mismatch: dict[int, str], offset: int = 0) -> Iterator[tuple]:
    """The rows of reports `part` (idx[offset:offset + len(part)]) in header order."""
    cols = columns(sim, geo, pool, part, as_of, style)
    for p, code in mismatch.items():
        if offset <= p < offset + len(part):
            cols["TERYT"][p - offset] = code
    if style.extra:
        cols[style.extra] = [EXTRA_VALUE] * len(part)
    return zip(*(cols[h] for h in header))


def _chunked_rows(sim, geo, pool, idx, as_of, style, header, mismatch: dict[int, str], advance) -> Iterator[tuple]:
    for s in range(0, len(idx), CHUNK):
        part = idx[s:s + CHUNK]
        yield from _rows(sim, geo, pool, part, as_of, style, header, mismatch, offset=s)
        if advance:
            advance(len(part))


def _quote(v: str, delim: str, force: bool) -> str:
    if force or delim in v or '"' in v or "\n" in v or "\r" in v:
        return '"' + v.replace('"', '""') + '"'
    return v


def _write_rows(path: Path, style: Style, header: list[str], rows) -> None:
    """rows: an iterable of sequences of str in header order."""
    with open(path, "wb") as raw:
        out = gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6) if style.gz else raw
        with io.TextIOWrapper(out, encoding=style.encoding, newline="") as text:  # closing it closes out
            _write_text(text, style, header, rows)


def _write_text(text, style: Style, header: list[str], rows) -> None:
    if style.quote_opis:
        opis_at = header.index("Opis")
        d = style.delimiter
        text.write(d.join(_quote(h, d, False) for h in header) + style.lineterminator)
        for r in rows:
            text.write(d.join(_quote(v, d, i == opis_at) for i, v in enumerate(r)) + style.lineterminator)
    else:
        w = csv.writer(text, delimiter=style.delimiter, quotechar='"', doublequote=True,
                       lineterminator=style.lineterminator, quoting=csv.QUOTE_MINIMAL)
        w.writerow(header)
        w.writerows(rows)
