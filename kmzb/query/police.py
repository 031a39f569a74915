"""Report-level data for the police view: plain functions of (DuckDB cursor, Filters, ...).

INTERNAL ONLY. These read individual reports and the reporters' own words (table
`descriptions`, personal data); nothing here may reach the public pages or the public API.
The callers (callbacks.police) check `web.auth.audience() == "police"` first.
"""

from __future__ import annotations

import math

import pandas as pd

from kmzb.query import columns
from kmzb.query.filters import Filters
from kmzb.query.queries import judged_sql, speed_counts_sql
from kmzb.query.queries import where as _where

# spreadsheet formula prefixes: a free-text cell starting with one is quoted in the CSV (CSV injection)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def where(f: Filters) -> tuple[str, list]:
    """kmzb.query.queries.where for the police: every report, no public visibility rules."""
    try:
        return _where(f, "police")
    except TypeError:  # a where() without audiences: it has no public-only rules either
        return _where(f)


def points(cur, f: Filters, limit: int = 50_000) -> dict:
    """Individual reports as a GeoJSON FeatureCollection (newest first, at most `limit`).

    Properties: objectid, category, status, outcome (codes) and created (YYYY-MM-DD).
    Foreign members `total` and `truncated` tell whether every matching report is there.
    """
    w, params = where(f)
    rows = cur.execute(f"""
        SELECT objectid, round(lon, 5), round(lat, 5), category::VARCHAR, status::VARCHAR, outcome::VARCHAR,
               strftime(created_date, '%Y-%m-%d')
        FROM reports WHERE {w} ORDER BY created_at DESC, objectid DESC LIMIT ?""", params + [int(limit)]).fetchall()
    total = len(rows)
    if total >= limit:
        total = cur.execute(f"SELECT count(*) FROM reports WHERE {w}", params).fetchone()[0]
    features = [{
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {"objectid": int(oid), "category": cat, "status": st, "outcome": out, "created": created},
    } for oid, lon, lat, cat, st, out, created in rows]
    return {"type": "FeatureCollection", "features": features, "total": int(total),
            "truncated": int(total) > len(features)}


def report_detail(cur, objectid: int) -> dict | None:
    """One report with its description (Opis) and status history (oldest first); None if unknown."""
    try:
        objectid = int(objectid)
    except (TypeError, ValueError):
        return None
    row = cur.execute("""
        SELECT objectid, category::VARCHAR, status::VARCHAR, outcome::VARCHAR, created_at, modified_at,
               event_date, unit, source::VARCHAR, gmina, powiat, voivodeship, lon, lat,
               (SELECT string_agg(opis, '\n') FROM descriptions d WHERE d.objectid = r.objectid) AS opis
        FROM reports r WHERE objectid = ?""", [objectid]).fetchone()
    if row is None:
        return None
    keys = ("objectid", "category", "status", "outcome", "created_at", "modified_at", "event_date", "unit",
            "source", "gmina", "powiat", "voivodeship", "lon", "lat", "opis")
    out = dict(zip(keys, row))
    for k in ("created_at", "modified_at"):
        out[k] = out[k].isoformat(sep=" ", timespec="seconds") if out[k] else None
    out["event_date"] = out["event_date"].isoformat() if out["event_date"] else None
    out["history"] = [{"status": s, "modified_at": t.isoformat(sep=" ", timespec="seconds")}
                      for s, t in cur.execute("""SELECT status::VARCHAR, modified_at FROM status_history
                          WHERE objectid = ? ORDER BY modified_at, status""", [objectid]).fetchall()]
    return out


def unit_workload(cur, f: Filters) -> pd.DataFrame:
    """One row per police unit (Jednostka) for the filters.

    reports, pending (backlog), the backlog's age in days (median and max, counted from
    creation to the newest modification in the data), and the shares read within 2 days
    and verified within 5 days over the reports that can be judged (as in
    kmzb.query.queries.verification_speed: old enough and seen from their first status) with
    their counts (read_2d_n, verified_5d_n). Units with the largest backlog first.
    """
    w, params = where(f)
    judged = judged_sql(cur)
    df = cur.execute(f"""
        WITH edge AS (SELECT max(modified_at) AS t FROM reports)
        SELECT unit,
               count(*) AS reports,
               count(*) FILTER (WHERE outcome = 'pending') AS pending,
               round(median(epoch(edge.t - created_at) / 86400.0) FILTER (WHERE outcome = 'pending'), 1)
                   AS pending_median_days,
               round(max(epoch(edge.t - created_at) / 86400.0) FILTER (WHERE outcome = 'pending'), 1)
                   AS pending_max_days,
               {speed_counts_sql("edge.t", judged, ("read_2d_n", "read_2d", "verified_5d_n", "verified_5d"))}
        FROM reports, edge WHERE {w}
        GROUP BY unit ORDER BY pending DESC, reports DESC, unit NULLS LAST""", params).df()
    for c in ("reports", "pending", "read_2d_n", "read_2d", "verified_5d_n", "verified_5d"):
        df[c] = df[c].fillna(0).astype("int64")
    for num, den, name in (("read_2d", "read_2d_n", "read_2d_share"), ("verified_5d", "verified_5d_n",
                                                                        "verified_5d_share")):
        df[name] = [round(a / b, 4) if b else None for a, b in zip(df[num], df[den])]
    for c in ("pending_median_days", "pending_max_days"):
        df[c] = [None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v) for v in df[c]]
    df["unit"] = df["unit"].astype(object).where(df["unit"].notna(), None)
    return df[columns.POLICE_WORKLOAD].reset_index(drop=True)


def report_rows(cur, f: Filters, limit: int = 200_000) -> pd.DataFrame:
    """Report-level rows for the CSV download (oldest first, at most `limit`), with Opis."""
    w, params = where(f)
    df = cur.execute(f"""
        WITH r AS (SELECT * FROM reports WHERE {w} ORDER BY created_at, objectid LIMIT ?)
        SELECT r.objectid, r.created_at, r.modified_at, r.category::VARCHAR AS category,
               r.status::VARCHAR AS status, r.outcome::VARCHAR AS outcome, r.gmina, r.unit,
               r.source::VARCHAR AS source, r.lon, r.lat,
               (SELECT string_agg(opis, '\n') FROM descriptions d WHERE d.objectid = r.objectid) AS opis
        FROM r ORDER BY r.created_at, r.objectid""", params + [int(limit)]).df()
    return df[columns.POLICE_REPORT]


def _defuse(v):
    if isinstance(v, str) and v.startswith(FORMULA_START):
        return "'" + v
    return v


def rows_csv(df: pd.DataFrame) -> str:
    """The rows as CSV (UTF-8, comma, ISO times); free-text cells that a spreadsheet would
    run as a formula are prefixed with an apostrophe."""
    out = df.copy()
    for c in ("opis", "unit"):
        if c in out:
            out[c] = out[c].map(_defuse)
    for c in ("created_at", "modified_at"):
        if c in out:
            out[c] = pd.to_datetime(out[c]).dt.strftime("%Y-%m-%d %H:%M:%S")
    return out.to_csv(index=False, lineterminator="\n")
