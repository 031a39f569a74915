"""Aggregate queries on a store snapshot. Plain functions: (cursor, filters, ...) -> DataFrame.

Nothing here touches descriptions: the public aggregates never read them.
"""

from __future__ import annotations

import re
import threading
import weakref
from datetime import timedelta
from functools import lru_cache

import numpy as np
import pandas as pd

from kmzb import reference, timing
from kmzb.query import cells as cells_mod
from kmzb.query import columns
from kmzb.query.cells import Cells
from kmzb.query.filters import BadInput, Filters
from kmzb.stats import wilson
from kmzb.teryt import DIGITS, DIVISOR, level_of


def _literal(v: str) -> str:
    return "'" + v.replace("'", "''") + "'"


PUBLIC, POLICE = "public", "police"
AUDIENCES = (PUBLIC, POLICE)


def _codes(visibility: str) -> list[str]:
    return [c.code for c in reference.categories() if c.public_visibility == visibility]


def _in(col: str, values: list[str]) -> str:
    return f"{col} IN ({', '.join(_literal(v) for v in values)})" if values else "FALSE"


def hidden_sql() -> str:
    return _in("category", _codes("hidden"))


def where(f: Filters, audience: str = PUBLIC) -> tuple[str, list]:
    """SQL filter for the filters; for the public, no hidden category (they are published only in
    the fixed table of kmzb.query.sensitive) and `confirmed-only` categories only once confirmed."""
    if audience not in AUDIENCES:
        raise ValueError(f"unknown audience {audience!r}")
    w, params = filter_where(f)
    if audience == PUBLIC:
        w += f" AND NOT ({hidden_sql()})"
        if _codes("confirmed-only"):
            w += f" AND NOT ({_in('category', _codes('confirmed-only'))} AND outcome <> 'confirmed')"
    return w, params


def filter_where(f: Filters) -> tuple[str, list]:
    """SQL filter for the filters alone (the audience's rules are applied by the caller)."""
    parts, params = ["TRUE"], []
    if f.date_from:
        parts.append("created_date >= ?")
        params.append(f.date_from)
    if f.date_to:
        parts.append("created_date <= ?")
        params.append(f.date_to)
    for col, values in (("category", f.categories), ("status", f.statuses), ("outcome", f.outcomes),
                        ("source", f.sources)):
        if values:
            # values are validated against the reference lists; literals let DuckDB compare enums directly
            parts.append(f"{col} IN ({', '.join(_literal(v) for v in values)})")
    if f.teryt:
        col = level_of(f.teryt)  # the store has one column per level, named as the level
        parts.append(f"{col} = ?")
        params.append(f.teryt)
    return " AND ".join(parts), params


def enums(cur) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """The snapshot's ENUM values (category, status, outcome), in their stored order."""
    cats, sts, outs = cur.execute(
        "SELECT enum_range(NULL::category_t), enum_range(NULL::status_t), enum_range(NULL::outcome_t)").fetchone()
    return tuple(cats), tuple(sts), tuple(outs)


def outcome_index(statuses: tuple[str, ...]) -> np.ndarray:
    of = reference.status_outcome()
    return np.array([cells_mod.OUTCOMES.index(of[s]) for s in statuses], dtype=np.int8)


def gmina_cells(cur, f: Filters, enum_values: tuple | None = None) -> Cells:
    """The filtered reports grouped by (gmina, category, status): one scan serves the district
    counts of every level, the category counts, the totals and each district's top category.
    The group keys go out as numbers (the TERYT code, the ENUM index): far cheaper to move and
    to add up than their text."""
    w, params = filter_where(f)
    cats, sts, _ = enum_values or enums(cur)
    r = cur.execute(f"""
        SELECT gmina::BIGINT AS key, enum_code(category) AS cat, enum_code(status) AS status, n
        FROM (SELECT gmina, category, status, count(*) AS n FROM reports WHERE {w} GROUP BY ALL)""",
                    params).fetchnumpy()
    status = np.asarray(r["status"], dtype=np.int64)
    return Cells(np.asarray(r["key"], dtype=np.int64), np.asarray(r["cat"], dtype=np.int64),
                 outcome_index(sts)[status] if len(status) else status, status,
                 np.asarray(r["n"], dtype=np.float64), cats, sts)


def day_cells(cur, f: Filters, enum_values: tuple | None = None) -> Cells:
    """The filtered reports grouped by (day of creation, category, outcome); key = days since 1970-01-01."""
    w, params = filter_where(f)
    cats, sts, outcome_enum = enum_values or enums(cur)
    r = cur.execute(f"""
        SELECT (d - DATE '1970-01-01')::BIGINT AS key, enum_code(category) AS cat, enum_code(outcome) AS o, n
        FROM (SELECT created_date AS d, category, outcome, count(*) AS n FROM reports WHERE {w} GROUP BY ALL)""",
                    params).fetchnumpy()
    remap = np.array([cells_mod.OUTCOMES.index(o) for o in outcome_enum], dtype=np.int64)
    o = np.asarray(r["o"], dtype=np.int64)
    return Cells(np.asarray(r["key"], dtype=np.int64), np.asarray(r["cat"], dtype=np.int64),
                 remap[o] if len(o) else o, np.full(len(o), -1, dtype=np.int64),
                 np.asarray(r["n"], dtype=np.float64), cats, sts)


def _district_rows(districts: pd.DataFrame, f: Filters, level: str) -> pd.DataFrame:
    """The districts of the level within the region filter. A region finer than the level (a gmina
    for level=powiat) would give its parent's row holding only the region's counts beside the
    parent's population: refused."""
    if f.teryt:
        n = DIGITS[level]
        if len(f.teryt) > n:
            finer = level_of(f.teryt)
            raise BadInput(f"'teryt' {f.teryt} is a {finer}, finer than level={level}: use level={finer} "
                           f"or a coarser region")
        return districts[districts["teryt"].str.startswith(f.teryt)]
    return districts


def _codes_of(base: pd.DataFrame) -> np.ndarray:
    """The districts' TERYT codes as numbers (the cell keys' form)."""
    if "code" in base:
        return base["code"].to_numpy(dtype=np.int64)
    return base["teryt"].astype("int64").to_numpy()


def _groups_of(keys: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """For each cell key, the index of its row in `codes` (any order), -1 when not there."""
    order = np.argsort(codes, kind="stable")
    at = cells_mod.positions(keys, codes[order])
    return np.where(at >= 0, order[np.maximum(at, 0)], -1)


def _level_groups(cells: Cells, districts: pd.DataFrame, f: Filters,
                  level: str) -> tuple[pd.DataFrame, np.ndarray]:
    """The districts of the level within the teryt filter, and each cell's row among them (-1: none)."""
    base = _district_rows(districts, f, level).reset_index(drop=True)
    if cells.gidx is not None:  # the cube's gmina index: map each gmina once, then look the cells up
        return base, _groups_of(cells.gminas // DIVISOR[level], _codes_of(base))[cells.gidx]
    return base, _groups_of(cells.key // DIVISOR[level], _codes_of(base))


def district_counts(cur, f: Filters, level: str, districts: pd.DataFrame, audience: str = PUBLIC,
                    cells: Cells | None = None) -> pd.DataFrame:
    """One row per district of the level (zeros included), restricted to the teryt filter."""
    cells = gmina_cells(cur, f) if cells is None else cells
    base, group = _level_groups(cells, districts, f, level)
    g = cells_mod.grouped(cells, group, len(base), audience)
    population = base["population"].to_numpy()
    cols = {"teryt": base["teryt"], "name": base["name"], "population": population, **_rated(g)}
    with np.errstate(divide="ignore", invalid="ignore"):
        cols["reports_per_10k"] = np.round(np.asarray(cols["reports"], dtype=float) / population * 10_000, 2)
    return pd.DataFrame({k: cols[k] for k in columns.DISTRICT_COUNTS})


def top_categories(cur, f: Filters, level: str, districts: pd.DataFrame, audience: str = PUBLIC,
                   cells: Cells | None = None) -> pd.DataFrame:
    """Per district of the level: the most reported category (for the public, never a hidden one)."""
    cells = gmina_cells(cur, f) if cells is None else cells
    base, group = _level_groups(cells, districts, f, level)
    return pd.DataFrame({"teryt": base["teryt"],
                         "top_category": cells_mod.top_category(cells, group, len(base), audience)})


def _rated(counts: dict[str, np.ndarray]) -> dict:
    """Columns: the four counts (int64), resolved, the rate and its interval (NaN where nothing is resolved)."""
    c = {k: np.nan_to_num(np.asarray(v, dtype=float), nan=0.0).astype(np.int64) for k, v in counts.items()}
    resolved = c["confirmed"] + c["unconfirmed"]
    rate, low, high = wilson(c["confirmed"], resolved)
    return {"reports": c["reports"], "confirmed": c["confirmed"], "unconfirmed": c["unconfirmed"],
            "pending": c["pending"], "resolved": resolved, "confirmation_rate": np.round(rate, 4),
            "ci_low": np.round(low, 4), "ci_high": np.round(high, 4)}


@lru_cache(maxsize=1)
def _category_base() -> tuple:
    cats = reference.categories()
    return (tuple(c.code for c in cats), tuple(c.label_pl for c in cats), tuple(c.label_en for c in cats),
            tuple(c.group for c in cats), frozenset(_codes("confirmed-only")))


def category_counts(cur, f: Filters, audience: str = PUBLIC, cells: Cells | None = None) -> pd.DataFrame:
    """One row per category of the filter (every category when none is chosen); for the public, no
    row for a hidden category (they are published only in kmzb.query.sensitive's fixed table)."""
    cells = gmina_cells(cur, f) if cells is None else cells
    code, label_pl, label_en, group, only = _category_base()
    hidden = set(_codes("hidden")) if audience == PUBLIC else set()
    keep = np.array([(not f.categories or c in f.categories) and c not in hidden for c in code], dtype=bool)
    codes = np.array(code, dtype=object)[keep]
    where_in = {c: i for i, c in enumerate(codes)}
    cat_group = np.array([where_in.get(c, -1) for c in cells.categories], dtype=np.int64)
    g = cells_mod.grouped(cells, cat_group[cells.cat] if len(cells) else cells.cat, len(codes), audience)
    cols = {"code": codes, "label_pl": np.array(label_pl, dtype=object)[keep],
            "label_en": np.array(label_en, dtype=object)[keep], "group": np.array(group, dtype=object)[keep],
            **_rated(g)}
    if audience == PUBLIC:
        # counted only once confirmed, so a public rate would be 100% by construction: none
        is_only = np.array([c in only for c in codes], dtype=bool)
        for k in ("confirmation_rate", "ci_low", "ci_high"):
            cols[k] = np.where(is_only, np.nan, cols[k])
    return pd.DataFrame({k: cols[k] for k in columns.CATEGORY})


def _period_starts(days: np.ndarray, interval: str) -> np.ndarray:
    """Day numbers (since 1970-01-01) of the period each day falls in."""
    if interval == "day":
        return days
    if interval == "week":
        return days - (days + 3) % 7  # 1970-01-01 was a Thursday; weeks start on Monday
    return days.astype("datetime64[D]").astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def _periods(cur, f: Filters, interval: str) -> np.ndarray:
    """The first day (datetime64[D]) of every period of the interval from the filter's first day (or
    the data's) to its last; weeks start on Monday."""
    lo, hi = (None, None) if (f.date_from and f.date_to) else date_range(cur)
    start = f.date_from or lo
    end = f.date_to or hi
    if start is None or end is None:
        return np.zeros(0, dtype="datetime64[D]")
    first, last = np.datetime64(start, "D"), np.datetime64(end, "D")
    if interval == "month":
        return np.arange(first.astype("datetime64[M]"), last.astype("datetime64[M]") + 1).astype("datetime64[D]")
    if interval == "week":
        first = first - (first.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
    return np.arange(first, last + 1, 7 if interval == "week" else 1)


def _period_groups(cur, f: Filters, interval: str, days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every period of the range as 'YYYY-MM-DD', and the period of each day number (-1: outside)."""
    periods = _periods(cur, f, interval)
    starts = periods.astype(np.int64)
    labels = np.datetime_as_string(periods, unit="D").astype(object)
    if len(days) == 0:
        return labels, np.zeros(0, dtype=np.int64)
    # each distinct day's period once (a few thousand days), then looked up for every cell
    first = int(days.min())
    lut = cells_mod.positions(_period_starts(np.arange(first, int(days.max()) + 1), interval), starts)
    return labels, lut[days - first]


def timeseries(cur, f: Filters, interval: str, audience: str = PUBLIC,
               enum_values: tuple | None = None, cells: Cells | None = None) -> pd.DataFrame:
    cells = day_cells(cur, f, enum_values) if cells is None else cells
    periods, group = _period_groups(cur, f, interval, cells.key)
    g = cells_mod.grouped(cells, group, len(periods), audience)
    cols = {"period": periods, **_rated(g)}
    return pd.DataFrame({k: cols[k] for k in columns.TIMESERIES})


_META: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # a snapshot's cursor -> its meta table
_META_LOCK = threading.Lock()


def meta_table(cur) -> dict[str, str]:
    """The snapshot's `meta` table as a dict, read once per cursor: a snapshot never changes once
    published and a cursor reads one snapshot (kmzb.store), while a view asked for its facts (history
    start, last modification, dates) in ~6 small queries of ~1 ms each."""
    raw = cur.raw if isinstance(cur, timing.WatchedCursor) else cur  # a timed view's wrapper is made per call
    with _META_LOCK:
        held = _META.get(raw)
    if held is None:
        held = dict(cur.execute("SELECT key, value FROM meta").fetchall())
        with _META_LOCK:
            _META[raw] = held
    return held


def date_range(cur):
    m = meta_table(cur)
    if m.get("date_from") and m.get("date_to"):  # stored at publish time
        from datetime import date

        return date.fromisoformat(m["date_from"]), date.fromisoformat(m["date_to"])
    lo, hi = cur.execute("SELECT min(created_date), max(created_date) FROM reports").fetchone()
    return lo, hi


def meta(cur) -> dict:
    """The snapshot's headline facts (stored at publish time; computed for older snapshots)."""
    m = dict(meta_table(cur))
    if "reports" not in m:
        n, lo, hi, last_mod = cur.execute(
            "SELECT count(*), min(created_date), max(created_date), max(modified_at) FROM reports").fetchone()
        last = cur.execute("SELECT max(finished_at) FROM ingest_files").fetchone()[0]
        m.update(reports=str(n), date_from=lo and str(lo), date_to=hi and str(hi),
                 last_modified=last_mod and str(last_mod), last_ingest=last and str(last))
    last = m.get("last_ingest")
    return {
        "data_version": m.get("version"),
        "published_at": m.get("published_at"),
        "last_ingest": last[:19].replace(" ", "T") if last else None,
        "reports": int(m["reports"]),
        "date_from": m.get("date_from") or None,
        "date_to": m.get("date_to") or None,
        "last_modified": (m.get("last_modified") or "")[:19] or None,
    }


def public_reports(cur) -> int:
    """Reports the public aggregates count over all dates and districts."""
    w, params = where(Filters(), PUBLIC)
    return int(cur.execute(f"SELECT count(*) FROM reports WHERE {w}", params).fetchone()[0])


def previous_period(f: Filters, mode: str = "previous") -> Filters:
    """The comparison period: the previous equal period, or the same period a year earlier.

    A range of whole calendar months (a month, a quarter, a year) is compared with the same number
    of whole months just before it (last year with the year before, a leap year or not); any other
    range with the same number of days just before it."""
    if not (f.date_from and f.date_to):
        return f
    if mode == "year":
        try:
            return f.replace(date_from=f.date_from.replace(year=f.date_from.year - 1),
                             date_to=f.date_to.replace(year=f.date_to.year - 1))
        except ValueError:  # 29 February
            return f.replace(date_from=f.date_from - timedelta(days=365), date_to=f.date_to - timedelta(days=365))
    months = whole_months(f.date_from, f.date_to)
    if months:  # whole calendar months (a month, a quarter, a year): the same number of months before
        start = _add_months(f.date_from, -months)
        return f.replace(date_from=start, date_to=f.date_from - timedelta(days=1))
    length = (f.date_to - f.date_from).days + 1
    return f.replace(date_from=f.date_from - timedelta(days=length), date_to=f.date_to - timedelta(days=length))


def _add_months(d, n: int):
    """The first day of the month n months after d's month (d is a first day)."""
    y, m = divmod(d.year * 12 + d.month - 1 + n, 12)
    return d.replace(year=y, month=m + 1, day=1)


def whole_months(date_from, date_to) -> int:
    """How many whole calendar months [date_from, date_to] spans, when it starts on a month's first
    day and ends on a month's last day; else 0."""
    if date_from.day != 1 or (date_to + timedelta(days=1)).day != 1 or date_to < date_from:
        return 0
    end = date_to + timedelta(days=1)
    return (end.year * 12 + end.month) - (date_from.year * 12 + date_from.month)


FIRST_FILE_DATE_SQL = """SELECT min(strptime(regexp_extract(file, 'kmzb_(?:full_)?([0-9]{8})', 1), '%Y%m%d'))
    FROM ingest_files WHERE regexp_extract(file, 'kmzb_(?:full_)?([0-9]{8})', 1) <> ''"""


def history_from(cur) -> str | None:
    """When the store started watching statuses: the date of the earliest extract ingested.

    A report created before then was first seen only in that extract, possibly long after its
    creation: if it was still new, it is certainly slow, and if it had been read quickly it was
    already read. Counting such reports would bias the verification shares and times (towards
    slow), so verification statistics use only reports created from this moment on."""
    m = meta_table(cur).get("history_from")
    if m:
        return m
    v = cur.execute(FIRST_FILE_DATE_SQL).fetchone()[0]  # snapshots published before the key existed
    return None if v is None else str(v)


def judged_sql(cur) -> str:
    """SQL condition: the report was created while statuses were being watched (see history_from)."""
    h = history_from(cur)
    if h is None:
        return "TRUE"
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2}(\.\d+)?)?", h):
        raise ValueError(f"bad history_from in the snapshot: {h!r}")
    return f"created_at >= TIMESTAMP '{h}'"


def totals_extra(cur, f: Filters, audience: str = PUBLIC, cells: Cells | None = None) -> dict:
    """What the category rows cannot give: reports eliminated and the median days to verification
    (for the public without hidden categories)."""
    cells = gmina_cells(cur, f) if cells is None else cells
    w, params = _public_where(f, audience)
    median_days = cur.execute(f"""SELECT median(epoch(resolved_at - created_at) / 86400.0) FROM reports
        WHERE {w} AND observed_pending AND resolved_at IS NOT NULL AND {judged_sql(cur)}""", params).fetchone()[0]
    return {"eliminated": cells_mod.status_count(cells, "potwierdzone-wyeliminowane", audience),
            "median_days_to_verification": None if median_days is None else round(float(median_days), 2)}


def totals_of(categories: pd.DataFrame, extra: dict | None = None) -> dict:
    """Headline numbers for the KPI cards, as the sum of the per-category rows of category_counts
    (the total always equals the sum of the category table)."""
    num = lambda c: int(pd.to_numeric(categories[c], errors="coerce").fillna(0).sum())  # noqa: E731
    confirmed, unconfirmed, pending = num("confirmed"), num("unconfirmed"), num("pending")
    reports, resolved = confirmed + unconfirmed + pending, confirmed + unconfirmed
    rate, low, high = wilson([confirmed], [resolved])
    out = {
        "reports": reports, "confirmed": confirmed, "unconfirmed": unconfirmed, "pending": pending,
        "resolved": resolved,
        "confirmation_rate": None if resolved == 0 else round(float(rate[0]), 4),
        "ci_low": None if resolved == 0 else round(float(low[0]), 4),
        "ci_high": None if resolved == 0 else round(float(high[0]), 4),
        "eliminated": None, "median_days_to_verification": None,
    }
    if extra:
        out.update(extra)
    return out


def totals(cur, f: Filters, audience: str = PUBLIC) -> dict:
    """Headline numbers for the KPI cards (the public rule for hidden categories applies)."""
    return totals_of(category_counts(cur, f, audience), totals_extra(cur, f, audience))


def _public_where(f: Filters, audience: str) -> tuple[str, list]:
    """The filter with the audience's rules (the public: no hidden category)."""
    return where(f, audience)


def district_extras(cur, f: Filters, level: str, districts: pd.DataFrame, audience: str = PUBLIC,
                    cells: Cells | None = None) -> pd.DataFrame:
    """Per district: the most reported category and the median days to verification."""
    col = level
    w, params = _public_where(f, audience)
    # only reports seen pending and then resolved have a time to verification: a small share
    ver = dict(cur.execute(f"""
        SELECT {col}, round(median(epoch(resolved_at - created_at) / 86400.0), 2)
        FROM reports WHERE {w} AND observed_pending AND resolved_at IS NOT NULL AND {judged_sql(cur)}
        GROUP BY 1""", params).fetchall())
    top = top_categories(cur, f, level, districts, audience, cells)
    top["median_days_to_verification"] = np.array([ver.get(t, np.nan) for t in top["teryt"]], dtype=float)
    return top


def speed_counts_sql(edge: str, judged: str = "TRUE",
                     names=("eligible_read", "read_2d", "eligible_verify", "verified_5d")) -> str:
    """SQL aggregates behind "read within 2 days" and "verified within 5 days": the reports that
    can be judged (old enough at `edge`, seen from their first status, `judged`) and those of them
    read / resolved in time. `edge` appears twice per window: read first, then verify."""
    eligible_read, read_2d, eligible_verify, verified_5d = names
    read = f"created_at <= {edge} - INTERVAL 2 DAY AND observed_new AND {judged}"
    verify = f"created_at <= {edge} - INTERVAL 5 DAY AND observed_pending AND {judged}"
    return f"""count(*) FILTER (WHERE {read}) AS {eligible_read},
        count(*) FILTER (WHERE {read} AND read_at IS NOT NULL AND read_at <= created_at + INTERVAL 2 DAY) AS {read_2d},
        count(*) FILTER (WHERE {verify}) AS {eligible_verify},
        count(*) FILTER (WHERE {verify} AND resolved_at IS NOT NULL
                         AND resolved_at <= created_at + INTERVAL 5 DAY) AS {verified_5d}"""


def verification_speed(cur, f: Filters, interval: str, audience: str = PUBLIC) -> pd.DataFrame:
    """Per period of creation: share read within 2 days and verified within 5 days.

    Only reports that can be judged count: old enough (created at least 2 / 5 days before
    the newest modification in the data), seen from their first status, so the time of the
    change is known, and created after the store started watching (history_from), so that
    reports first seen long after their creation do not bias the shares. Periods before the
    history starts show no value rather than a wrong one.
    """
    w, params = _public_where(f, audience)
    edge = meta_table(cur).get("last_modified")
    edge = edge if edge else cur.execute("SELECT max(modified_at)::VARCHAR FROM reports").fetchone()[0]
    params = [edge] * 4 + params  # the four "?" of speed_counts_sql
    # rows that cannot count are filtered out first (observed_*, watched), and the days are grouped
    # before they are put into periods: both far cheaper than per-row work on every report
    r = cur.execute(f"""
        SELECT (created_date - DATE '1970-01-01')::BIGINT AS day, {speed_counts_sql("?::TIMESTAMP")}
        FROM reports WHERE {w} AND (observed_new OR observed_pending) AND {judged_sql(cur)}
        GROUP BY created_date""", params).fetchnumpy()
    periods, group = _period_groups(cur, f, interval, np.asarray(r["day"], dtype=np.int64))
    ok = group >= 0
    cols = {"period": periods}
    for c in ("eligible_read", "read_2d", "eligible_verify", "verified_5d"):
        cols[c] = np.bincount(group[ok], weights=np.asarray(r[c], dtype=float)[ok],
                              minlength=len(periods)).astype(np.int64)
    for num, den, name in (("read_2d", "eligible_read", "read_2d_share"),
                           ("verified_5d", "eligible_verify", "verified_5d_share")):
        rate, low, high = wilson(cols[num], cols[den])
        cols[name], cols[name + "_low"], cols[name + "_high"] = np.round(rate, 4), np.round(low, 4), np.round(high, 4)
    return pd.DataFrame(cols)


def week_heatmap(cur, f: Filters, audience: str = PUBLIC, masks: list | None = None) -> pd.DataFrame:
    """Reports by day of week x time of day (from Dni_tygodnia, Pora_dnia). A report naming
    several days or times counts in each; reports naming none are left out (and, for the
    public, hidden categories). `masks`: the (days_mask, times_mask, reports) counts when the
    caller has them (kmzb.query.cube), else one query."""
    if masks is None:
        w, params = _public_where(f, audience)
        masks = cur.execute(f"""SELECT days_mask, times_mask, count(*) AS n FROM reports
            WHERE {w} AND days_mask > 0 AND times_mask > 0 GROUP BY 1, 2""", params).fetchall()
    grid = np.zeros((len(reference.DAYS), len(reference.TIMES_OF_DAY)), dtype=np.int64)
    for dm, tm, n in masks:
        for i in range(len(reference.DAYS)):
            if dm >> i & 1:
                for j in range(len(reference.TIMES_OF_DAY)):
                    if tm >> j & 1:
                        grid[i, j] += n
    rows = [(d, t, int(grid[i, j])) for i, d in enumerate(reference.DAYS) for j, t in enumerate(reference.TIMES_OF_DAY)]
    return pd.DataFrame(rows, columns=["day", "time_of_day", "reports"])
