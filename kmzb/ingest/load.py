"""Writing one validated extract into the snapshot being built, inside its own transaction: the
incoming rows via Arrow, the full-snapshot guard, status history, the upsert by OBJECTID (latest
Data_modyfikacji wins), descriptions kept apart, and each touched report's first read/resolved times."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from kmzb.ingest.contract import ExtractError
from kmzb.ingest.extract import Extract
from kmzb.ingest.progress import Steps

GUARD_SHARE = 0.05

REPORT_COLS = """objectid, category, status, outcome, created_at, created_date, modified_at, event_date,
    days_mask, times_mask, x, y, lon, lat, gmina, powiat, voivodeship, teryt_reported, teryt_mismatch,
    unit, source"""
FIRSTS_COLS = "read_at, resolved_at, observed_new, observed_pending"


class SnapshotGuard(ExtractError):
    pass


def incoming_arrow(ex: Extract, geo) -> pa.Table:
    """The good rows with their WGS84 position, as DuckDB will read them."""
    t = ex.table
    lon, lat = geo.to_wgs84(t.column("x").to_numpy(), t.column("y").to_numpy())
    return t.append_column("lon", pa.array(np.round(lon, 6))).append_column("lat", pa.array(np.round(lat, 6)))


def _stage(con, incoming: pa.Table) -> None:
    con.register("incoming_arrow", incoming)
    con.execute("""CREATE OR REPLACE TEMP TABLE incoming AS
        SELECT objectid, category::VARCHAR::category_t AS category, i.status::VARCHAR::status_t AS status,
               o.outcome, created_at, created_at::DATE AS created_date, modified_at, event_date,
               days_mask, times_mask, x, y, lon, lat, gmina, gmina[1:4] AS powiat, gmina[1:2] AS voivodeship,
               teryt_reported, mismatch AS teryt_mismatch, unit, source::VARCHAR::source_t AS source, opis
        FROM incoming_arrow i JOIN status_outcome o ON o.status = i.status::VARCHAR::status_t""")
    con.unregister("incoming_arrow")


def _replace_state(con, ex: Extract, force: bool) -> int:
    """A full snapshot: the reports it does not hold are removed (refused beyond GUARD_SHARE unless forced)."""
    known = con.execute("SELECT count(*) FROM reports").fetchone()[0]
    removed = con.execute("SELECT count(*) FROM reports r ANTI JOIN incoming i USING (objectid)").fetchone()[0]
    if known and removed > GUARD_SHARE * known and not force:
        raise SnapshotGuard(ex.path, (
            f"full snapshot would remove {removed:,} of {known:,} known reports "
            f"({removed / known:.1%} > {GUARD_SHARE:.0%}); refused (use --force to override)"))
    if removed:
        for table in ("reports", "descriptions", "status_history"):
            con.execute(f"DELETE FROM {table} WHERE objectid NOT IN (SELECT objectid FROM incoming)")
    return int(removed)


def _add_history(con) -> None:
    con.execute("""INSERT INTO status_history
        SELECT DISTINCT objectid, status, modified_at FROM incoming
        ANTI JOIN status_history USING (objectid, status, modified_at)""")
    # first time each touched report was read (left 'nowe') and resolved (left pending)
    con.execute("""CREATE OR REPLACE TEMP TABLE firsts AS
        SELECT objectid,
               min(modified_at) FILTER (WHERE h.status <> 'nowe') AS read_at,
               min(modified_at) FILTER (WHERE o.outcome <> 'pending') AS resolved_at,
               arg_min(h.status, modified_at) = 'nowe' AS observed_new,
               arg_min(o.outcome, modified_at) = 'pending' AS observed_pending
        FROM status_history h JOIN status_outcome o USING (status)
        WHERE objectid IN (SELECT objectid FROM incoming)
        GROUP BY objectid""")


def _upsert(con, superseded: bool) -> tuple[int, int]:
    """Each report's latest row in the file replaces an older state; returns (inserted, updated)."""
    # a change-log file holds a row per status change; the reader left no two rows of one report
    # with the same Data_modyfikacji
    latest = ("(SELECT * FROM incoming QUALIFY row_number() OVER (PARTITION BY objectid ORDER BY modified_at DESC) = 1)"
              if superseded else "incoming")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE win AS
        SELECT i.*, r.objectid IS NULL AS is_new FROM {latest} i
        LEFT JOIN reports r USING (objectid)
        WHERE r.objectid IS NULL OR i.modified_at > r.modified_at""")
    inserted, updated = (int(v or 0) for v in con.execute(
        "SELECT count(*) FILTER (is_new), count(*) FILTER (NOT is_new) FROM win").fetchone())
    if updated:
        con.execute("DELETE FROM reports WHERE objectid IN (SELECT objectid FROM win WHERE NOT is_new)")
        con.execute("DELETE FROM descriptions WHERE objectid IN (SELECT objectid FROM win WHERE NOT is_new)")
    con.execute(f"""INSERT INTO reports ({REPORT_COLS}, {FIRSTS_COLS})
        SELECT {REPORT_COLS}, {FIRSTS_COLS} FROM win LEFT JOIN firsts f USING (objectid) ORDER BY created_at""")
    con.execute("INSERT INTO descriptions SELECT objectid, opis FROM win WHERE opis IS NOT NULL AND opis <> ''")
    return inserted, updated


def _refresh_losers(con) -> None:
    """Reports whose history this file changed but whose state it did not replace."""
    con.execute("""UPDATE reports SET read_at = f.read_at, resolved_at = f.resolved_at,
            observed_new = f.observed_new, observed_pending = f.observed_pending
        FROM firsts f
        WHERE reports.objectid = f.objectid AND f.objectid NOT IN (SELECT objectid FROM win)""")


def _record_file(con, ex: Extract, run_id: str, version: str, counts: tuple[int, int, int]) -> None:
    con.execute("INSERT INTO ingest_files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now())",
                [run_id, version, str(ex.path), ex.kind, ex.encoding, ex.rows, ex.rows - len(ex.rejects),
                 len(ex.rejects), ex.mismatches, *counts])


def apply_extract(con, ex: Extract, geo, *, force: bool, run_id: str, version: str,
                  steps: Steps | None = None) -> tuple[int, int, int]:
    """Apply one validated extract inside its own transaction; returns (inserted, updated, removed)."""
    steps = steps or Steps()
    incoming = incoming_arrow(ex, geo)
    con.execute("BEGIN TRANSACTION")
    try:
        _stage(con, incoming)
        del incoming
        steps.lap("stage")
        removed = _replace_state(con, ex, force) if ex.kind == "full" else 0
        steps.lap("removed")
        _add_history(con)
        steps.lap("history")
        inserted, updated = _upsert(con, bool(ex.superseded))
        steps.lap("upsert")
        _refresh_losers(con)
        steps.lap("losers")
        _record_file(con, ex, run_id, version, (inserted, updated, removed))
        con.execute("DROP TABLE incoming; DROP TABLE win; DROP TABLE firsts")
        con.execute("COMMIT")
        steps.lap("commit")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return inserted, updated, removed
