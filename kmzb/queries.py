"""Aggregate queries on a store snapshot. Plain functions: (cursor, filters, ...) -> DataFrame.

Nothing here touches descriptions: the public aggregates never read them.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd

from . import reference
from .filters import LEVEL_DIGITS, Filters
from .stats import wilson

COUNTS = ("reports", "confirmed", "unconfirmed", "pending", "resolved")
LEVEL_COLUMN = {"voivodeship": "voivodeship", "powiat": "powiat", "gmina": "gmina"}

COUNT_SQL = """count(*) AS reports,
    count(*) FILTER (WHERE outcome = 'confirmed') AS confirmed,
    count(*) FILTER (WHERE outcome = 'unconfirmed') AS unconfirmed,
    count(*) FILTER (WHERE outcome = 'pending') AS pending"""


def _literal(v: str) -> str:
    return "'" + v.replace("'", "''") + "'"


PUBLIC, POLICE = "public", "police"
AUDIENCES = (PUBLIC, POLICE)
SMALL = 5  # public cells counting 1-4 reports of hidden categories show "<5"


def _codes(visibility: str) -> list[str]:
    return [c.code for c in reference.categories() if c.public_visibility == visibility]


def _in(col: str, values: list[str]) -> str:
    return f"{col} IN ({', '.join(_literal(v) for v in values)})" if values else "FALSE"


def hidden_sql() -> str:
    return _in("category", _codes("hidden"))


def where(f: Filters, audience: str = PUBLIC) -> tuple[str, list]:
    """SQL filter for the filters; for the public, `confirmed-only` categories count only once confirmed."""
    if audience not in AUDIENCES:
        raise ValueError(f"unknown audience {audience!r}")
    parts, params = ["TRUE"], []
    if audience == PUBLIC and _codes("confirmed-only"):
        parts.append(f"NOT ({_in('category', _codes('confirmed-only'))} AND outcome <> 'confirmed')")
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
        col = {2: "voivodeship", 4: "powiat", 7: "gmina"}[len(f.teryt)]
        parts.append(f"{col} = ?")
        params.append(f.teryt)
    return " AND ".join(parts), params


def grouped_counts(cur, f: Filters, key_sql: str, audience: str) -> pd.DataFrame:
    """Counts per group, with the public rule for hidden categories applied per cell and per
    hidden category: a cell's reports of a hidden category are counted only where there are at
    least 5 of them; with 1-4 they are left out and the cell is flagged `suppressed`, and a
    cell holding nothing else is `small` (shown as "<5", counts empty). Deciding per category
    keeps totals consistent with the per-category rows (no recovery by subtraction)."""
    w, params = where(f, audience)
    threshold = SMALL if audience == PUBLIC else 0
    keep = f"(NOT hidden OR reports >= {threshold})"
    return cur.execute(f"""
        WITH cells AS (
            SELECT {key_sql} AS k, {hidden_sql()} AS hidden,
                   CASE WHEN {hidden_sql()} THEN category END AS hidden_category, {COUNT_SQL}
            FROM reports WHERE {w} GROUP BY 1, 2, 3)
        SELECT k,
               sum(reports) FILTER (WHERE {keep}) AS reports,
               sum(confirmed) FILTER (WHERE {keep}) AS confirmed,
               sum(unconfirmed) FILTER (WHERE {keep}) AS unconfirmed,
               sum(pending) FILTER (WHERE {keep}) AS pending,
               bool_or(hidden AND reports < {threshold}) AS suppressed,
               bool_or(hidden AND reports < {threshold}) AND coalesce(sum(reports) FILTER (WHERE NOT hidden), 0) = 0 AS small
        FROM cells GROUP BY 1""", params).df()


def with_rates(df: pd.DataFrame) -> pd.DataFrame:
    for c in ("reports", "confirmed", "unconfirmed", "pending"):
        df[c] = df[c].fillna(0).astype("int64")
    df["resolved"] = df["confirmed"] + df["unconfirmed"]
    rate, low, high = wilson(df["confirmed"].to_numpy(), df["resolved"].to_numpy())
    df["confirmation_rate"] = np.round(rate, 4)
    df["ci_low"] = np.round(low, 4)
    df["ci_high"] = np.round(high, 4)
    if "small" in df:
        small = df["small"].fillna(False).astype(bool)
        df["suppressed"] = df["suppressed"].fillna(False).astype(bool)
        df = df.drop(columns="small")
        if small.any():
            cols = ["reports", "confirmed", "unconfirmed", "pending", "resolved"]
            df[cols] = df[cols].astype("Int64")
            df.loc[small, cols] = pd.NA
            df.loc[small, ["confirmation_rate", "ci_low", "ci_high"]] = np.nan
    return df


def district_counts(cur, f: Filters, level: str, districts: pd.DataFrame, audience: str = PUBLIC) -> pd.DataFrame:
    """One row per district of the level (zeros included), restricted to the teryt filter."""
    counts = grouped_counts(cur, f, LEVEL_COLUMN[level], audience).rename(columns={"k": "teryt"})
    base = districts[["teryt", "name", "population"]]
    if f.teryt:
        n = LEVEL_DIGITS[level]
        if len(f.teryt) <= n:
            base = base[base["teryt"].str.startswith(f.teryt)]
        else:
            base = base[base["teryt"] == f.teryt[:n]]
    out = base.merge(counts, on="teryt", how="left")
    out = with_rates(out)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["reports_per_10k"] = np.round(out["reports"] / out["population"] * 10_000, 2)
    cols = ["teryt", "name", "population", *COUNTS, "confirmation_rate", "ci_low", "ci_high", "reports_per_10k",
            "suppressed"]
    return out[cols].reset_index(drop=True)


def category_counts(cur, f: Filters, audience: str = PUBLIC) -> pd.DataFrame:
    counts = grouped_counts(cur, f, "category::VARCHAR", audience).rename(columns={"k": "code"})
    base = pd.DataFrame([(c.code, c.label_pl, c.label_en, c.group) for c in reference.categories()],
                        columns=["code", "label_pl", "label_en", "group"])
    if f.categories:
        base = base[base["code"].isin(f.categories)]
    out = with_rates(base.merge(counts, on="code", how="left"))
    if audience == PUBLIC:
        # counted only once confirmed, so a public rate would be 100% by construction: none
        only = out["code"].isin(_codes("confirmed-only"))
        out.loc[only, ["confirmation_rate", "ci_low", "ci_high"]] = np.nan
    cols = ["code", "label_pl", "label_en", "group", *COUNTS, "confirmation_rate", "ci_low", "ci_high", "suppressed"]
    return out[cols].reset_index(drop=True)


def timeseries(cur, f: Filters, interval: str, audience: str = PUBLIC) -> pd.DataFrame:
    counts = grouped_counts(cur, f, f"date_trunc('{interval}', created_date)::DATE", audience).rename(
        columns={"k": "period"})
    lo, hi = (None, None) if (f.date_from and f.date_to) else date_range(cur)
    start = f.date_from or lo
    end = f.date_to or hi
    if start is None or end is None:
        periods = pd.DatetimeIndex([])
    else:
        freq = {"day": "D", "week": "W-MON", "month": "MS"}[interval]
        first = pd.Timestamp(start)
        if interval == "week":
            first = first - pd.Timedelta(days=first.weekday())
        elif interval == "month":
            first = first.replace(day=1)
        periods = pd.date_range(first, pd.Timestamp(end), freq=freq)
    base = pd.DataFrame({"period": periods.date})
    counts["period"] = pd.to_datetime(counts["period"]).dt.date
    out = with_rates(base.merge(counts, on="period", how="left"))
    out["period"] = out["period"].map(lambda d: d.isoformat())
    return out[["period", *COUNTS, "confirmation_rate", "ci_low", "ci_high", "suppressed"]]


def date_range(cur):
    m = dict(cur.execute("SELECT key, value FROM meta WHERE key IN ('date_from', 'date_to')").fetchall())
    if m.get("date_from") and m.get("date_to"):  # stored at publish time
        from datetime import date

        return date.fromisoformat(m["date_from"]), date.fromisoformat(m["date_to"])
    lo, hi = cur.execute("SELECT min(created_date), max(created_date) FROM reports").fetchone()
    return lo, hi


def meta(cur) -> dict:
    """The snapshot's headline facts (stored at publish time; computed for older snapshots)."""
    m = dict(cur.execute("SELECT key, value FROM meta").fetchall())
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


def previous_period(f: Filters, mode: str = "previous") -> Filters:
    """The comparison period: the previous equal period, or the same period a year earlier."""
    if not (f.date_from and f.date_to):
        return f
    if mode == "year":
        try:
            return f.replace(date_from=f.date_from.replace(year=f.date_from.year - 1),
                             date_to=f.date_to.replace(year=f.date_to.year - 1))
        except ValueError:  # 29 February
            return f.replace(date_from=f.date_from - timedelta(days=365), date_to=f.date_to - timedelta(days=365))
    length = (f.date_to - f.date_from).days + 1
    return f.replace(date_from=f.date_from - timedelta(days=length), date_to=f.date_to - timedelta(days=length))


def totals(cur, f: Filters, audience: str = PUBLIC) -> dict:
    """Headline numbers for the KPI cards (the public rule for hidden categories applies)."""
    g = with_rates(grouped_counts(cur, f, "1", audience))
    w, params = where(f, audience)
    extra = f" AND NOT ({hidden_sql()})" if audience == PUBLIC else ""
    eliminated, median_days = cur.execute(f"""SELECT
            count(*) FILTER (WHERE status = 'potwierdzone-wyeliminowane'),
            median(epoch(resolved_at - created_at) / 86400.0) FILTER (WHERE observed_pending AND resolved_at IS NOT NULL)
        FROM reports WHERE {w}{extra}""", params).fetchone()
    if g.empty:
        g = with_rates(pd.DataFrame({"reports": [0], "confirmed": [0], "unconfirmed": [0], "pending": [0],
                                     "suppressed": [False], "small": [False]}))
    r = g.iloc[0]
    small = pd.isna(r["reports"])
    num = lambda v: None if pd.isna(v) else int(v)  # noqa: E731
    reports, confirmed, unconfirmed, pending, resolved = (num(r[c]) for c in COUNTS)
    rate, low, high = wilson([confirmed or 0], [resolved or 0])
    resolved_n = resolved or 0
    return {
        "reports": reports, "confirmed": confirmed, "unconfirmed": unconfirmed,
        "pending": pending, "resolved": resolved, "eliminated": int(eliminated),
        "suppressed": bool(r["suppressed"]), "small": bool(small),
        "confirmation_rate": None if resolved_n == 0 else round(float(rate[0]), 4),
        "ci_low": None if resolved_n == 0 else round(float(low[0]), 4),
        "ci_high": None if resolved_n == 0 else round(float(high[0]), 4),
        "median_days_to_verification": None if median_days is None else round(float(median_days), 2),
    }


def _public_where(f: Filters, audience: str) -> tuple[str, list]:
    """The filter, and for the public without hidden categories (for tables that are not counts)."""
    w, params = where(f, audience)
    if audience == PUBLIC:
        w += f" AND NOT ({hidden_sql()})"
    return w, params


def district_extras(cur, f: Filters, level: str, audience: str = PUBLIC) -> pd.DataFrame:
    """Per district: the most reported category and the median days to verification."""
    col = LEVEL_COLUMN[level]
    w, params = _public_where(f, audience)
    return cur.execute(f"""
        WITH c AS (SELECT {col} AS teryt, category::VARCHAR AS category, count(*) AS n
                   FROM reports WHERE {w} GROUP BY 1, 2),
             top AS (SELECT teryt, arg_max(category, n) AS top_category FROM c GROUP BY 1),
             ver AS (SELECT {col} AS teryt,
                            round(median(epoch(resolved_at - created_at) / 86400.0), 2) AS median_days_to_verification
                     FROM reports WHERE {w} AND observed_pending AND resolved_at IS NOT NULL GROUP BY 1)
        SELECT top.teryt, top.top_category, ver.median_days_to_verification
        FROM top LEFT JOIN ver USING (teryt)""", params + params).df()


def verification_speed(cur, f: Filters, interval: str, audience: str = PUBLIC) -> pd.DataFrame:
    """Per period of creation: share read within 2 days and verified within 5 days.

    Only reports that can be judged count: old enough (created at least 2 / 5 days before
    the newest modification in the data) and seen from their first status, so the time of
    the change is known. Reports first seen already read or resolved (e.g. loaded from a full
    snapshot) carry only an upper bound and are left out: periods before the history
    starts show no value rather than a wrong one.
    """
    w, params = _public_where(f, audience)
    edge = cur.execute("SELECT value FROM meta WHERE key = 'last_modified'").fetchone()
    edge = edge[0] if edge else cur.execute("SELECT max(modified_at)::VARCHAR FROM reports").fetchone()[0]
    params = [edge] + params
    df = cur.execute(f"""
        WITH edge AS (SELECT ?::TIMESTAMP AS t)
        SELECT date_trunc('{interval}', created_date)::DATE AS period,
               count(*) FILTER (WHERE created_at <= edge.t - INTERVAL 2 DAY AND observed_new) AS eligible_read,
               count(*) FILTER (WHERE created_at <= edge.t - INTERVAL 2 DAY AND observed_new
                                AND read_at IS NOT NULL AND read_at <= created_at + INTERVAL 2 DAY) AS read_2d,
               count(*) FILTER (WHERE created_at <= edge.t - INTERVAL 5 DAY AND observed_pending) AS eligible_verify,
               count(*) FILTER (WHERE created_at <= edge.t - INTERVAL 5 DAY AND observed_pending
                                AND resolved_at IS NOT NULL AND resolved_at <= created_at + INTERVAL 5 DAY) AS verified_5d
        FROM reports, edge WHERE {w} GROUP BY 1 ORDER BY 1""", params).df()
    for num, den, name in (("read_2d", "eligible_read", "read_2d_share"), ("verified_5d", "eligible_verify", "verified_5d_share")):
        rate, low, high = wilson(df[num].to_numpy(), df[den].to_numpy())
        df[name] = np.round(rate, 4)
        df[name + "_low"] = np.round(low, 4)
        df[name + "_high"] = np.round(high, 4)
    df["period"] = pd.to_datetime(df["period"]).dt.date.map(lambda d: d.isoformat())
    return df


def week_heatmap(cur, f: Filters, audience: str = PUBLIC) -> pd.DataFrame:
    """Reports by day of week x time of day (from Dni_tygodnia, Pora_dnia). A report naming
    several days or times counts in each; reports naming none are left out (and, for the
    public, hidden categories)."""
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
