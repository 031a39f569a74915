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


def where(f: Filters) -> tuple[str, list]:
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
        col = {2: "voivodeship", 4: "powiat", 7: "gmina"}[len(f.teryt)]
        parts.append(f"{col} = ?")
        params.append(f.teryt)
    return " AND ".join(parts), params


def with_rates(df: pd.DataFrame) -> pd.DataFrame:
    for c in ("reports", "confirmed", "unconfirmed", "pending"):
        df[c] = df[c].fillna(0).astype("int64")
    df["resolved"] = df["confirmed"] + df["unconfirmed"]
    rate, low, high = wilson(df["confirmed"].to_numpy(), df["resolved"].to_numpy())
    df["confirmation_rate"] = np.round(rate, 4)
    df["ci_low"] = np.round(low, 4)
    df["ci_high"] = np.round(high, 4)
    return df


def district_counts(cur, f: Filters, level: str, districts: pd.DataFrame) -> pd.DataFrame:
    """One row per district of the level (zeros included), restricted to the teryt filter."""
    col = LEVEL_COLUMN[level]
    w, params = where(f)
    counts = cur.execute(f"SELECT {col} AS teryt, {COUNT_SQL} FROM reports WHERE {w} GROUP BY 1", params).df()
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
    cols = ["teryt", "name", "population", *COUNTS, "confirmation_rate", "ci_low", "ci_high", "reports_per_10k"]
    return out[cols].reset_index(drop=True)


def category_counts(cur, f: Filters) -> pd.DataFrame:
    w, params = where(f)
    counts = cur.execute(f"SELECT category::VARCHAR AS code, {COUNT_SQL} FROM reports WHERE {w} GROUP BY 1",
                         params).df()
    base = pd.DataFrame([(c.code, c.label_pl, c.label_en, c.group) for c in reference.categories()],
                        columns=["code", "label_pl", "label_en", "group"])
    if f.categories:
        base = base[base["code"].isin(f.categories)]
    out = with_rates(base.merge(counts, on="code", how="left"))
    cols = ["code", "label_pl", "label_en", "group", *COUNTS, "confirmation_rate", "ci_low", "ci_high"]
    return out[cols].reset_index(drop=True)


def timeseries(cur, f: Filters, interval: str) -> pd.DataFrame:
    w, params = where(f)
    counts = cur.execute(
        f"SELECT date_trunc('{interval}', created_date)::DATE AS period, {COUNT_SQL} "
        f"FROM reports WHERE {w} GROUP BY 1 ORDER BY 1", params).df()
    lo, hi = date_range(cur)
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
    return out[["period", *COUNTS, "confirmation_rate", "ci_low", "ci_high"]]


def date_range(cur):
    lo, hi = cur.execute("SELECT min(created_date), max(created_date) FROM reports").fetchone()
    return lo, hi


def meta(cur) -> dict:
    m = dict(cur.execute("SELECT key, value FROM meta").fetchall())
    n, lo, hi, last_mod = cur.execute(
        "SELECT count(*), min(created_date), max(created_date), max(modified_at) FROM reports").fetchone()
    last = cur.execute("SELECT max(finished_at) FROM ingest_files").fetchone()[0]
    return {
        "data_version": m.get("version"),
        "published_at": m.get("published_at"),
        "last_ingest": last.isoformat(timespec="seconds") if last else None,
        "reports": int(n),
        "date_from": lo.isoformat() if lo else None,
        "date_to": hi.isoformat() if hi else None,
        "last_modified": last_mod.isoformat(sep=" ") if last_mod else None,
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
