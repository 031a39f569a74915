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

For long ranges it also keeps sums: per day and (category x outcome) (a time series without filters on
the rows is a slice of them), per cell before 1 January of each year (whole years are one subtraction,
~20 MB at 3M reports), and the rows grouped by voivodeship (a region's series reads its own rows).

Beside it, `Heat`: the reports that name days of the week and times of day, counted also by which ones
(1.2 M rows, ~17 MB for 3 M reports): the week heatmap of any view in ~5 ms instead of a ~30 ms scan.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from kmzb.query import cells as cells_mod
from kmzb.query.cells import Cells
from kmzb.query.filters import Filters
from kmzb.teryt import DIVISOR, level_of

EPOCH = np.datetime64("1970-01-01", "D")


@dataclass(frozen=True)
class Cube:
    day: np.ndarray  # days since 1970-01-01 (uint16 while they fit), sorted
    gcs: np.ndarray  # int32 (gmina x category x status) cell of each row: the gmina grouping's key
    co: np.ndarray  # int16 (category x outcome) of each row: the day grouping's key without the day
    source: np.ndarray  # int8 index into `sources`
    n: np.ndarray  # reports (uint16 while they fit)
    gminas: np.ndarray  # int64 TERYT codes (as numbers), sorted
    categories: tuple[str, ...]
    statuses: tuple[str, ...]
    sources: tuple[str, ...]
    outcome_of_status: np.ndarray  # int8: status index -> index into cells.OUTCOMES
    heat: "Heat | None" = None  # the week heatmap's counts
    # Sums that long ranges read instead of millions of rows (None: not built; the rows serve):
    daily: np.ndarray | None = None  # (days from the first day) x (category x outcome) reports, int32
    year_days: np.ndarray | None = None  # the day number of 1 January of each year and of the year after
    year_cum: np.ndarray | None = None  # (len(year_days)) x cells: reports before each of year_days, int32
    by_voivodeship: np.ndarray | None = None  # int32 row numbers grouped by voivodeship, by day within each
    voivodeship_rows: dict | None = None  # voivodeship code -> (start, stop) in by_voivodeship

    @property
    def nbytes(self) -> int:
        own = sum(a.nbytes for a in (self.day, self.gcs, self.co, self.source, self.n, self.gminas))
        sums = sum(a.nbytes for a in (self.daily, self.year_days, self.year_cum, self.by_voivodeship)
                   if a is not None)
        return own + sums + (self.heat.nbytes if self.heat is not None else 0)

    @property
    def shape(self) -> tuple[int, int, int]:
        return len(self.gminas), len(self.categories), len(self.statuses)


@dataclass(frozen=True)
class Heat:
    """The reports that name a day of the week and a time of day, counted by (day, gmina x category x
    status cell, source, which days and times they name): the week heatmap of any view (queries.
    week_heatmap: a scan of the reports, ~30 ms for nine years) from ~1.2 M rows for 3 M reports.
    `combo` indexes `masks`, the distinct (days_mask, times_mask) pairs (~150)."""
    day: np.ndarray  # as Cube.day, sorted
    gcs: np.ndarray  # as Cube.gcs
    cs: np.ndarray  # int16 (category x status) of each row (gcs without the gmina: a small lookup table)
    public: np.ndarray  # bool: the row counts for the public (cells.visible's rule)
    source: np.ndarray
    combo: np.ndarray  # int16 index into masks
    n: np.ndarray
    masks: np.ndarray  # (k, 2) int64: days_mask, times_mask

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in (self.day, self.gcs, self.cs, self.public, self.source, self.combo, self.n,
                                      self.masks))


def build(cur, enum_values: tuple, outcome_of_status: np.ndarray) -> Cube:
    """The cube of the cursor's snapshot (one GROUP BY over the reports)."""
    cats, sts, _ = enum_values
    sources = tuple(cur.execute("SELECT enum_range(NULL::source_t)").fetchone()[0])
    lo, hi = cur.execute("SELECT min(created_date), max(created_date) FROM reports").fetchone()
    col = _by_year(cur, lo, hi)
    # int32 throughout (cells: gminas x categories x statuses, well under 2**31): a server counts this
    # while it answers its first requests, and int64 temporaries of every row added ~100 MB to its peak
    g = col.pop("g")
    gminas, gidx = np.unique(g, return_inverse=True)
    del g
    gminas = gminas.astype(np.int64)
    outcome_of_status = np.asarray(outcome_of_status, dtype=np.int8)
    cat, st = col.pop("cat").astype(np.int32), col.pop("st").astype(np.int32)
    gcs = gidx.astype(np.int32)
    del gidx
    gcs *= len(cats)
    gcs += cat
    gcs *= len(sts)
    gcs += st
    co = (cat * len(cells_mod.OUTCOMES) + outcome_of_status[st]).astype(np.int16)
    del cat, st
    day, n = _small(col["day"]), _small(col["n"])
    cube = Cube(day, gcs, co, col["src"].astype(np.int8), n, gminas, tuple(cats), tuple(sts), sources,
                outcome_of_status, _heat(cur, lo, hi, gminas, tuple(cats), tuple(sts), outcome_of_status))
    if len(day) == 0:
        return cube
    width = len(cats) * len(cells_mod.OUTCOMES)
    first = int(day[0])
    daily = np.bincount((day.astype(np.int64) - first) * width + co, weights=n,
                        minlength=(int(day[-1]) - first + 1) * width).astype(np.int32).reshape(-1, width)
    # reports before 1 January of each year, per (gmina x category x status) cell: a range of whole
    # years is one subtraction (plus the rows of its partial years at either end)
    year_days = np.array([_day(f"{y}-01-01") for y in range(lo.year, hi.year + 2)], dtype=np.int64)
    at = np.searchsorted(day, year_days, "left")
    ncells = len(gminas) * len(cats) * len(sts)
    year_cum = np.zeros((len(year_days), ncells), dtype=np.int32)
    for k in range(1, len(year_days)):
        year_cum[k] = year_cum[k - 1] + np.bincount(gcs[at[k - 1]:at[k]], weights=n[at[k - 1]:at[k]],
                                                    minlength=ncells).astype(np.int32)
    # a region's rows without a pass over all of them (a region's time series)
    voiv = (gminas // DIVISOR["voivodeship"]).astype(np.int32)[gcs // (len(cats) * len(sts))]
    by_voivodeship = np.argsort(voiv, kind="stable").astype(np.int32)  # stable: by day within each
    codes, starts = np.unique(voiv[by_voivodeship], return_index=True)
    stops = np.append(starts[1:], len(voiv))
    voivodeship_rows = {f"{int(c):02d}": (int(a), int(b)) for c, a, b in zip(codes, starts, stops)}
    return dataclasses.replace(cube, daily=daily, year_days=year_days, year_cum=year_cum,
                               by_voivodeship=by_voivodeship, voivodeship_rows=voivodeship_rows)


def _by_year(cur, lo, hi, more: str = "", where: str = "", more_keys: tuple[str, ...] = ()) -> dict:
    """The reports counted by (day, gmina, category, status, source, `more` columns), a year at a time (the
    grouping's hash table, and the process's peak memory, stay small), sorted by day: numpy columns."""
    keys = ("day", "g", "cat", "st", "src", *more_keys, "n")
    parts: dict[str, list[np.ndarray]] = {k: [] for k in keys}
    for year in range(lo.year, hi.year + 1) if lo is not None else ():
        r = cur.execute(f"""
            SELECT (created_date - DATE '1970-01-01')::INTEGER AS day, gmina::INTEGER AS g,
                   enum_code(category)::TINYINT AS cat, enum_code(status)::TINYINT AS st,
                   enum_code(source)::TINYINT AS src{more}, count(*)::INTEGER AS n
            FROM reports WHERE created_date >= make_date(?, 1, 1) AND created_date < make_date(?, 1, 1) {where}
            GROUP BY ALL ORDER BY day""", [year, year + 1]).fetchnumpy()
        for k in keys:
            parts[k].append(np.asarray(r[k]))
    return {k: np.concatenate(v) if v else np.zeros(0, dtype=np.int32) for k, v in parts.items()}


def _public(categories: tuple[str, ...], statuses: tuple[str, ...], outcome_of_status: np.ndarray) -> np.ndarray:
    """Per (category x status), flat: whether the public counts it (cells.visible, on one cell of each)."""
    n_cat, n_st = len(categories), len(statuses)
    cat = np.repeat(np.arange(n_cat), n_st)
    status = np.tile(np.arange(n_st), n_cat)
    every = Cells(np.zeros(n_cat * n_st, dtype=np.int64), cat, outcome_of_status[status].astype(np.int64), status,
                  np.ones(n_cat * n_st), categories, statuses)
    return cells_mod.visible(every, cells_mod.PUBLIC)


def _heat(cur, lo, hi, gminas: np.ndarray, cats: tuple[str, ...], sts: tuple[str, ...],
          outcome_of_status: np.ndarray) -> Heat:
    n_cat, n_st = len(cats), len(sts)
    col = _by_year(cur, lo, hi, ", days_mask::INTEGER AS dm, times_mask::INTEGER AS tm",
                   "AND days_mask > 0 AND times_mask > 0", ("dm", "tm"))
    # int32 as in build(); the (days, times) mask pairs as one number each (both masks < 2**15), which
    # sorts as the pairs do: np.unique of the rows themselves copied and sorted every row's pair
    gcs = np.searchsorted(gminas, col.pop("g")).astype(np.int32)  # every gmina here is one of the cube's
    cs = col.pop("cat").astype(np.int32) * n_st + col.pop("st").astype(np.int32)
    gcs *= n_cat * n_st
    gcs += cs
    pair = col.pop("dm").astype(np.int32) << 16
    pair |= col.pop("tm").astype(np.int32)
    keys, combo = np.unique(pair, return_inverse=True)
    del pair
    masks = np.stack([keys >> 16, keys & 0xFFFF], axis=1).astype(np.int64)
    return Heat(_small(col["day"]), gcs, cs.astype(np.int16), _public(cats, sts, outcome_of_status)[cs],
                col["src"].astype(np.int8), combo.reshape(-1).astype(np.int16), _small(col["n"]), masks)


def _small(a: np.ndarray) -> np.ndarray:
    return a.astype(np.uint16) if len(a) == 0 or (a.min() >= 0 and a.max() < 65535) else a.astype(np.int32)


def _search(a: np.ndarray, value, side: str = "left") -> int:
    """np.searchsorted(a, value, side) for one value, in a's own dtype: numpy would otherwise convert
    the whole array (2.7 M uint16 days) to the value's int64 on every call, ~1 ms each."""
    value = int(value)
    info = np.iinfo(a.dtype)
    if value < info.min:
        return 0
    if value > info.max:
        return len(a)
    return int(np.searchsorted(a, a.dtype.type(value), side))


def _day(d) -> int:
    return int((np.datetime64(d, "D") - EPOCH).astype(np.int64))


def _lut(values: tuple[str, ...], chosen: tuple[str, ...]) -> np.ndarray:
    return np.array([v in chosen for v in values], dtype=bool)


def _day_slice(days: np.ndarray, f: Filters) -> slice:
    """The rows of the filter's date range in sorted days (the cube's or the heat's)."""
    lo = 0 if f.date_from is None else _search(days, _day(f.date_from), "left")
    hi = len(days) if f.date_to is None else _search(days, _day(f.date_to), "right")
    return slice(lo, max(lo, hi))


def _gmina_range(cube: Cube, teryt: str) -> tuple[int, int]:
    """The gmina indexes [first, last) of a voivodeship, powiat or gmina code (a prefix of sorted codes)."""
    scale = DIVISOR[level_of(teryt)]
    return (int(np.searchsorted(cube.gminas, int(teryt) * scale, "left")),
            int(np.searchsorted(cube.gminas, (int(teryt) + 1) * scale, "left")))


def _cat_status_ok(cube: Cube, f: Filters) -> np.ndarray:
    """Which (category x status) pairs the filter's categories, statuses and outcomes keep (flat)."""
    ng, nc, ns = cube.shape
    c = _lut(cube.categories, f.categories) if f.categories else np.ones(nc, dtype=bool)
    st = _lut(cube.statuses, f.statuses) if f.statuses else np.ones(ns, dtype=bool)
    if f.outcomes:
        st &= np.array([cells_mod.OUTCOMES[o] in f.outcomes for o in cube.outcome_of_status], dtype=bool)
    return (c[:, None] & st[None, :]).ravel()


def _in_region(cube: Cube, gcs: np.ndarray, teryt: str) -> np.ndarray:
    """Which of these (gmina x category x status) cell codes lie in the region (its gminas are a range)."""
    first, last = _gmina_range(cube, teryt)
    per_gmina = len(cube.categories) * len(cube.statuses)
    return (gcs >= first * per_gmina) & (gcs < last * per_gmina)


def _cell_ok(cube: Cube, f: Filters) -> np.ndarray | None:
    """Which (gmina, category, status) cells the filter keeps (flat, as `gcs`), None: all. The gmina
    grouping applies it to its output: no pass over the rows."""
    if not (f.categories or f.statuses or f.outcomes or f.teryt):
        return None
    ng, nc, ns = cube.shape
    g = np.ones(ng, dtype=bool)
    if f.teryt:
        first, last = _gmina_range(cube, f.teryt)
        g[:] = False
        g[first:last] = True
    return (g[:, None] & _cat_status_ok(cube, f)[None, :]).ravel()


def _cell_counts(cube: Cube, sl: slice) -> np.ndarray:
    """Reports per (gmina x category x status) cell in a slice of the rows."""
    ng, n_cat, n_st = cube.shape
    return np.bincount(cube.gcs[sl], weights=cube.n[sl], minlength=ng * n_cat * n_st)


def _range_counts(cube: Cube, f: Filters) -> np.ndarray:
    """Reports per cell in the filter's date range: the years it spans whole from the yearly sums,
    the days before and after them from the rows."""
    sl = _day_slice(cube.day, f)
    if cube.year_cum is None or sl.stop == sl.start:
        return _cell_counts(cube, sl)
    a, b = int(cube.day[sl.start]), int(cube.day[sl.stop - 1])  # the first and last day with rows
    i = int(np.searchsorted(cube.year_days, a, "left"))  # the first 1 January on or after a
    j = int(np.searchsorted(cube.year_days, b + 1, "right")) - 1  # the last 1 January on or before b + 1
    if j <= i:
        return _cell_counts(cube, sl)
    head = slice(sl.start, _search(cube.day, cube.year_days[i], "left"))
    tail = slice(_search(cube.day, cube.year_days[j], "left"), sl.stop)
    whole = cube.year_cum[j].astype(np.float64) - cube.year_cum[i]
    return whole + _cell_counts(cube, head) + _cell_counts(cube, tail)


def gmina_cells(cube: Cube, f: Filters) -> Cells:
    """queries.gmina_cells from the cube: the filtered reports by (gmina, category, status)."""
    ng, n_cat, n_st = cube.shape
    if f.sources:  # the one filter that is not a dimension of the output: on the rows
        sl = _day_slice(cube.day, f)
        keep = _lut(cube.sources, f.sources)[cube.source[sl]]
        counts = np.bincount(cube.gcs[sl][keep], weights=cube.n[sl][keep], minlength=ng * n_cat * n_st)
    else:
        counts = _range_counts(cube, f)
    ok = _cell_ok(cube, f)
    if ok is not None:
        counts[~ok] = 0
    at = np.flatnonzero(counts)
    status = at % n_st
    cat = (at // n_st) % n_cat
    g = at // (n_st * n_cat)
    return Cells(cube.gminas[g], cat.astype(np.int64), cube.outcome_of_status[status].astype(np.int64),
                 status.astype(np.int64), counts[at], cube.categories, cube.statuses, gidx=g, gminas=cube.gminas)


def day_cells(cube: Cube, f: Filters) -> Cells:
    """queries.day_cells from the cube: the filtered reports by (day of creation, category, outcome)."""
    sl = _day_slice(cube.day, f)
    ng, n_cat, n_st = cube.shape
    n_out = len(cells_mod.OUTCOMES)
    width = n_cat * n_out
    if sl.stop == sl.start:
        empty = np.zeros(0, dtype=np.int64)
        return Cells(empty, empty, empty, empty, np.zeros(0), cube.categories, cube.statuses)
    if cube.daily is not None and not (f.statuses or f.teryt or f.sources):
        # every filter is a dimension of the output: the days' sums, no pass over the rows
        first_day, last_day = int(cube.day[sl.start]), int(cube.day[sl.stop - 1])
        d0 = first_day - int(cube.day[0])
        counts = cube.daily[d0:d0 + last_day - first_day + 1].astype(np.float64).ravel()
    else:
        rows = sl
        if f.teryt and cube.by_voivodeship is not None:  # only the region's voivodeship's rows
            start, stop = cube.voivodeship_rows.get(f.teryt[:2], (0, 0))
            rows = cube.by_voivodeship[start:stop]
            d = cube.day[rows]
            rows = rows[_search(d, cube.day[sl.start], "left"):_search(d, cube.day[sl.stop - 1], "right")]
        days, co, n = cube.day[rows], cube.co[rows], cube.n[rows]
        if f.statuses or f.teryt or f.sources:  # not dimensions of the output: on the rows
            keep = np.ones(len(days), dtype=bool)
            if f.statuses or f.teryt:
                gcs = cube.gcs[rows]
                if f.statuses:
                    keep &= _lut(cube.statuses, f.statuses)[gcs % n_st]
                if f.teryt:
                    keep &= _in_region(cube, gcs, f.teryt)
            if f.sources:
                keep &= _lut(cube.sources, f.sources)[cube.source[rows]]
            days, co, n = days[keep], co[keep], n[keep]
        if len(days) == 0:
            empty = np.zeros(0, dtype=np.int64)
            return Cells(empty, empty, empty, empty, np.zeros(0), cube.categories, cube.statuses)
        first_day = int(days[0])  # sorted
        counts = np.bincount((days.astype(np.int32) - first_day) * width + co, weights=n,
                             minlength=(int(days[-1]) - first_day + 1) * width)
    if f.categories or f.outcomes:  # dimensions of the output: applied to it
        c = _lut(cube.categories, f.categories) if f.categories else np.ones(n_cat, dtype=bool)
        o = np.array([not f.outcomes or x in f.outcomes for x in cells_mod.OUTCOMES], dtype=bool)
        ok = (c[:, None] & o[None, :]).ravel()
        counts = counts.reshape(-1, width)
        counts[:, ~ok] = 0
        counts = counts.ravel()
    at = np.flatnonzero(counts)
    return Cells(at // width + first_day, ((at // n_out) % n_cat).astype(np.int64), (at % n_out).astype(np.int64),
                 np.full(len(at), -1, dtype=np.int64), counts[at], cube.categories, cube.statuses)


def week_heatmap_counts(cube: Cube, f: Filters, audience: str) -> list[tuple[int, int, int]]:
    """(days_mask, times_mask, reports) of the filtered reports that name both, for the audience (the
    public: no hidden category, confirmed-only ones once confirmed) — what queries.week_heatmap's
    query returns. Each filter is a slice, a small lookup or a range test on the rows."""
    heat = cube.heat
    sl = _day_slice(heat.day, f)
    keeps = []
    if audience == cells_mod.PUBLIC:
        keeps.append(heat.public[sl])
    if f.categories or f.statuses or f.outcomes:
        keeps.append(_cat_status_ok(cube, f)[heat.cs[sl]])
    if f.teryt:
        keeps.append(_in_region(cube, heat.gcs[sl], f.teryt))
    if f.sources:
        keeps.append(_lut(cube.sources, f.sources)[heat.source[sl]])
    combo, n = heat.combo[sl], heat.n[sl]
    if keeps:
        keep = np.logical_and.reduce(keeps) if len(keeps) > 1 else keeps[0]
        combo, n = combo[keep], n[keep]
    counts = np.bincount(combo, weights=n, minlength=len(heat.masks)).astype(np.int64)
    return [(int(dm), int(tm), int(c)) for (dm, tm), c in zip(heat.masks, counts) if c]
