"""The reports counted by (day, gmina, category, status, source), held in memory as numpy arrays sorted
by day: any view's cells without a scan of the reports.

A filter change needs the reports grouped by (gmina, category, status) and by (day, category, outcome)
for its date range (kmzb.query.cells). Grouping 3 million reports in DuckDB costs ~100-170 ms for a
nine-year range, however few rows the answer has. The cube holds the same reports already counted per
day and cell (2.7 M rows for 3 M reports, ~25 MB): a date range is a contiguous slice (the rows are
sorted by day), the other filters are lookups on small integer codes, and the grouping is one
`np.bincount` — a few ms for a quarter, ~20 ms for the whole history.

It is built once per data version (kmzb.query.gateway builds it in the background and answers from
SQL until it is ready) and gives exactly the cells of queries.gmina_cells / queries.day_cells (a test
compares them on random filters). The public rules are applied on the cells as before (cells.visible).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kmzb.query import cells as cells_mod
from kmzb.query.cells import Cells
from kmzb.query.filters import Filters

EPOCH = np.datetime64("1970-01-01", "D")


@dataclass(frozen=True)
class Cube:
    day: np.ndarray  # int32 days since 1970-01-01, sorted
    gmina: np.ndarray  # int32 index into `gminas`
    cat: np.ndarray  # int8 index into `categories`
    status: np.ndarray  # int8 index into `statuses`
    source: np.ndarray  # int8 index into `sources`
    n: np.ndarray  # int32 reports
    gminas: np.ndarray  # int64 TERYT codes (as numbers), sorted
    categories: tuple[str, ...]
    statuses: tuple[str, ...]
    sources: tuple[str, ...]
    outcome_of_status: np.ndarray  # int8: status index -> index into cells.OUTCOMES

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in (self.day, self.gmina, self.cat, self.status, self.source, self.n,
                                      self.gminas))


def build(cur, enum_values: tuple, outcome_of_status: np.ndarray) -> Cube:
    """The cube of the cursor's snapshot (one GROUP BY over the reports)."""
    cats, sts, _ = enum_values
    sources = tuple(cur.execute("SELECT enum_range(NULL::source_t)").fetchone()[0])
    lo, hi = cur.execute("SELECT min(created_date), max(created_date) FROM reports").fetchone()
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("day", "g", "cat", "st", "src", "n")}
    for year in range(lo.year, hi.year + 1) if lo is not None else ():
        # a year at a time: the grouping's hash table (and the process's peak memory) stays small
        r = cur.execute("""
            SELECT (created_date - DATE '1970-01-01')::INTEGER AS day, gmina::INTEGER AS g,
                   enum_code(category)::TINYINT AS cat, enum_code(status)::TINYINT AS st,
                   enum_code(source)::TINYINT AS src, count(*)::INTEGER AS n
            FROM reports WHERE created_date >= make_date(?, 1, 1) AND created_date < make_date(?, 1, 1)
            GROUP BY ALL ORDER BY day""", [year, year + 1]).fetchnumpy()
        for k in parts:
            parts[k].append(np.asarray(r[k]))
    col = {k: np.concatenate(v) if v else np.zeros(0, dtype=np.int32) for k, v in parts.items()}
    gminas, gidx = np.unique(col["g"].astype(np.int64), return_inverse=True)
    return Cube(col["day"].astype(np.int32), gidx.astype(np.int32), col["cat"].astype(np.int8),
                col["st"].astype(np.int8), col["src"].astype(np.int8), col["n"].astype(np.int32), gminas,
                tuple(cats), tuple(sts), sources, np.asarray(outcome_of_status, dtype=np.int8))


def _day(d) -> int:
    return int((np.datetime64(d, "D") - EPOCH).astype(np.int64))


def _lut(values: tuple[str, ...], chosen: tuple[str, ...]) -> np.ndarray:
    return np.array([v in chosen for v in values], dtype=bool)


def _rows(cube: Cube, f: Filters) -> tuple[slice, np.ndarray | None]:
    """The day slice of the filter's range and, within it, the mask of the other filters (None: all)."""
    lo = 0 if f.date_from is None else int(np.searchsorted(cube.day, _day(f.date_from), "left"))
    hi = len(cube.day) if f.date_to is None else int(np.searchsorted(cube.day, _day(f.date_to), "right"))
    sl = slice(lo, max(lo, hi))
    mask = None

    def both(m):
        return m if mask is None else mask & m
    if f.categories:
        mask = both(_lut(cube.categories, f.categories)[cube.cat[sl]])
    if f.statuses:
        mask = both(_lut(cube.statuses, f.statuses)[cube.status[sl]])
    if f.outcomes:
        ok = np.array([cells_mod.OUTCOMES[o] in f.outcomes for o in cube.outcome_of_status], dtype=bool)
        mask = both(ok[cube.status[sl]])
    if f.sources:
        mask = both(_lut(cube.sources, f.sources)[cube.source[sl]])
    if f.teryt:
        scale = 10 ** (7 - len(f.teryt))
        first = int(np.searchsorted(cube.gminas, int(f.teryt) * scale, "left"))
        last = int(np.searchsorted(cube.gminas, (int(f.teryt) + 1) * scale, "left"))
        g = cube.gmina[sl]
        mask = both((g >= first) & (g < last))
    return sl, mask


def _pick(a: np.ndarray, sl: slice, mask: np.ndarray | None) -> np.ndarray:
    return a[sl] if mask is None else a[sl][mask]


def gmina_cells(cube: Cube, f: Filters) -> Cells:
    """queries.gmina_cells from the cube: the filtered reports by (gmina, category, status)."""
    sl, mask = _rows(cube, f)
    n_cat, n_st = len(cube.categories), len(cube.statuses)
    packed = (_pick(cube.gmina, sl, mask).astype(np.int64) * n_cat + _pick(cube.cat, sl, mask)) * n_st \
        + _pick(cube.status, sl, mask)
    counts = np.bincount(packed, weights=_pick(cube.n, sl, mask), minlength=len(cube.gminas) * n_cat * n_st)
    at = np.flatnonzero(counts)
    status = at % n_st
    cat = (at // n_st) % n_cat
    g = at // (n_st * n_cat)
    return Cells(cube.gminas[g], cat.astype(np.int64), cube.outcome_of_status[status].astype(np.int64),
                 status.astype(np.int64), counts[at], cube.categories, cube.statuses)


def day_cells(cube: Cube, f: Filters) -> Cells:
    """queries.day_cells from the cube: the filtered reports by (day of creation, category, outcome)."""
    sl, mask = _rows(cube, f)
    days = _pick(cube.day, sl, mask)
    if len(days) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Cells(empty, empty, empty, empty, np.zeros(0), cube.categories, cube.statuses)
    first = int(days[0])  # sorted
    n_cat, n_out = len(cube.categories), len(cells_mod.OUTCOMES)
    outcome = cube.outcome_of_status[_pick(cube.status, sl, mask)]
    packed = ((days - first).astype(np.int64) * n_cat + _pick(cube.cat, sl, mask)) * n_out + outcome
    counts = np.bincount(packed, weights=_pick(cube.n, sl, mask),
                         minlength=(int(days[-1]) - first + 1) * n_cat * n_out)
    at = np.flatnonzero(counts)
    return Cells(at // (n_cat * n_out) + first, ((at // n_out) % n_cat).astype(np.int64), (at % n_out).astype(np.int64),
                 np.full(len(at), -1, dtype=np.int64), counts[at], cube.categories, cube.statuses)
