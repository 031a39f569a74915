"""Ingest runs: extract files -> a new store snapshot, with a report and a rejects file.

One run copies the current snapshot once, applies each file in its own transaction (a bad
file rolls back alone and changes nothing), and publishes the result atomically at the end.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from kmzb import reference
from kmzb.config import Settings
from kmzb.fsutil import atomic_write, private_dir
from kmzb.geo import geo_index
from kmzb.ingest.extract import Extract, ExtractError, list_extracts, read_extract
from kmzb.store import Store

GUARD_SHARE = 0.05


class SnapshotGuard(ExtractError):
    pass


@dataclass
class FileResult:
    file: str
    rows: int = 0
    loaded: int = 0
    rejected: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    kind: str = ""
    encoding: str = ""
    mismatches: int = 0
    duplicates: int = 0
    superseded: int = 0
    inserted: int = 0
    updated: int = 0
    removed: int = 0
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0


@dataclass
class RunResult:
    run_id: str
    files: list[FileResult]
    reports: int
    version: str | None
    published: bool
    report_path: Path
    rejects_path: Path | None

    @property
    def ok(self) -> bool:
        return all(f.error is None for f in self.files)

    def to_json(self) -> dict:
        return {
            "run_id": self.run_id,
            "version": self.version,
            "published": self.published,
            "files": [{k: v for k, v in f.__dict__.items()} for f in self.files],
            "reports": self.reports,
            "report": str(self.report_path),
            "rejects": str(self.rejects_path) if self.rejects_path else None,
        }


def expand_paths(items: list[str | Path]) -> list[Path]:
    out: list[Path] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            out.extend(list_extracts(p))
        else:
            out.append(p)
    return out


def _incoming_table(ex: Extract, geo) -> pa.Table:
    g = ex.good
    lon, lat = geo.to_wgs84(g["x"].to_numpy(), g["y"].to_numpy())
    gmina = g["gmina"].astype(str)
    outcome = g["status"].map(reference.status_outcome())
    frame = pd.DataFrame({
        "objectid": g["objectid"].astype("int64"),
        "category": g["category"].astype(str),
        "status": g["status"].astype(str),
        "outcome": outcome.astype(str),
        "created_at": g["created_at"],
        "created_date": g["created_at"].dt.normalize(),
        "modified_at": g["modified_at"],
        "event_date": pd.to_datetime(g["event_date"]),
        "days_mask": g["days_mask"].astype("uint8"),
        "times_mask": g["times_mask"].astype("uint8"),
        "x": g["x"], "y": g["y"], "lon": np.round(lon, 6), "lat": np.round(lat, 6),
        "gmina": gmina, "powiat": gmina.str.slice(0, 4), "voivodeship": gmina.str.slice(0, 2),
        "teryt_reported": g["teryt_reported"],
        "teryt_mismatch": g["mismatch"].astype(bool),
        "unit": g["unit"], "source": g["source"].astype(str),
        "opis": g["opis"],
    })
    return pa.Table.from_pandas(frame, preserve_index=False)


REPORT_COLS = """objectid, category, status, outcome, created_at, created_date, modified_at, event_date,
    days_mask, times_mask, x, y, lon, lat, gmina, powiat, voivodeship, teryt_reported, teryt_mismatch,
    unit, source"""


def apply_extract(con, ex: Extract, geo, *, force: bool, run_id: str, version: str) -> FileResult:
    """Apply one validated extract inside its own transaction."""
    res = FileResult(file=str(ex.path), rows=ex.rows, loaded=ex.rows - len(ex.rejects), rejected=len(ex.rejects),
                     reasons=ex.reasons, kind=ex.kind, encoding=ex.encoding, mismatches=ex.mismatches,
                     duplicates=ex.duplicates, superseded=ex.superseded, warnings=list(ex.warnings))
    incoming = _incoming_table(ex, geo)
    con.execute("BEGIN TRANSACTION")
    try:
        con.register("incoming_arrow", incoming)
        con.execute("""CREATE OR REPLACE TEMP TABLE incoming AS
            SELECT objectid, category::category_t AS category, status::status_t AS status,
                   outcome::outcome_t AS outcome, created_at::TIMESTAMP AS created_at,
                   created_date::DATE AS created_date, modified_at::TIMESTAMP AS modified_at,
                   event_date::DATE AS event_date, days_mask, times_mask, x, y, lon, lat,
                   gmina, powiat, voivodeship, teryt_reported, teryt_mismatch, unit,
                   source::source_t AS source, opis
            FROM incoming_arrow""")
        con.unregister("incoming_arrow")
        if ex.kind == "full":
            known = con.execute("SELECT count(*) FROM reports").fetchone()[0]
            removed = con.execute(
                "SELECT count(*) FROM reports r ANTI JOIN incoming i USING (objectid)").fetchone()[0]
            if known and removed > GUARD_SHARE * known and not force:
                raise SnapshotGuard(ex.path, (
                    f"full snapshot would remove {removed:,} of {known:,} known reports "
                    f"({removed / known:.1%} > {GUARD_SHARE:.0%}); refused (use --force to override)"))
            if removed:
                for table in ("reports", "descriptions", "status_history"):
                    con.execute(f"DELETE FROM {table} WHERE objectid NOT IN (SELECT objectid FROM incoming)")
            res.removed = int(removed)
        con.execute("""INSERT INTO status_history
            SELECT DISTINCT objectid, status, modified_at FROM incoming
            ANTI JOIN status_history USING (objectid, status, modified_at)""")
        # each report's latest row in the file (a change-log file holds a row per status change; the
        # reader left no two rows of one report with the same Data_modyfikacji) replaces an older state
        latest = ("(SELECT * FROM incoming QUALIFY row_number() OVER (PARTITION BY objectid ORDER BY modified_at DESC) = 1)"
                  if ex.superseded else "incoming")
        con.execute(f"""CREATE OR REPLACE TEMP TABLE win AS
            SELECT i.*, r.objectid IS NULL AS is_new FROM {latest} i
            LEFT JOIN reports r USING (objectid)
            WHERE r.objectid IS NULL OR i.modified_at > r.modified_at""")
        res.inserted, res.updated = (int(v or 0) for v in con.execute(
            "SELECT count(*) FILTER (is_new), count(*) FILTER (NOT is_new) FROM win").fetchone())
        if res.updated:
            con.execute("DELETE FROM reports WHERE objectid IN (SELECT objectid FROM win WHERE NOT is_new)")
            con.execute("DELETE FROM descriptions WHERE objectid IN (SELECT objectid FROM win WHERE NOT is_new)")
        con.execute(f"""INSERT INTO reports ({REPORT_COLS})
            SELECT {REPORT_COLS} FROM win ORDER BY created_at""")
        con.execute("INSERT INTO descriptions SELECT objectid, opis FROM win WHERE opis IS NOT NULL AND opis <> ''")
        # first time each touched report was read (left 'nowe') and resolved (left pending)
        con.execute("""UPDATE reports SET read_at = h.read_at, resolved_at = h.resolved_at,
                observed_new = h.first_status = 'nowe', observed_pending = h.first_outcome = 'pending'
            FROM (SELECT objectid,
                         min(modified_at) FILTER (WHERE h.status <> 'nowe') AS read_at,
                         min(modified_at) FILTER (WHERE o.outcome <> 'pending') AS resolved_at,
                         arg_min(h.status, modified_at) AS first_status,
                         arg_min(o.outcome, modified_at) AS first_outcome
                  FROM status_history h JOIN status_outcome o USING (status)
                  WHERE objectid IN (SELECT objectid FROM incoming)
                  GROUP BY objectid) h
            WHERE reports.objectid = h.objectid""")
        con.execute("INSERT INTO ingest_files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now())",
                    [run_id, version, str(ex.path), ex.kind, ex.encoding, res.rows, res.loaded, res.rejected,
                     res.mismatches, res.inserted, res.updated, res.removed])
        con.execute("DROP TABLE incoming; DROP TABLE win")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return res


def write_meta_stats(con) -> None:
    """Headline facts of the snapshot, stored once so that readers need not scan for them."""
    from kmzb.query.queries import FIRST_FILE_DATE_SQL

    con.execute(f"""INSERT OR REPLACE INTO meta
        SELECT unnest(['reports', 'date_from', 'date_to', 'last_modified', 'last_ingest', 'history_from']),
               unnest([count(*)::VARCHAR, min(created_date)::VARCHAR, max(created_date)::VARCHAR,
                       max(modified_at)::VARCHAR, (SELECT max(finished_at) FROM ingest_files)::VARCHAR,
                       ({FIRST_FILE_DATE_SQL})::VARCHAR])
        FROM reports""")


def _write_rejects(path: Path, frames: list[pd.DataFrame]) -> Path | None:
    frames = [f for f in frames if len(f)]
    if not frames:
        return None
    out = pd.concat(frames, ignore_index=True)
    first = ["file", "line", "objectid", "reason", "detail"]
    out = out[first + [c for c in out.columns if c not in first]]
    atomic_write(path, out.to_csv(index=False, sep=";"))  # it holds Opis: owner only
    return path


def run_ingest(settings: Settings, files: list[str | Path], *, force: bool = False, log=None) -> RunResult:
    """Ingest files in the order given; publish one new snapshot holding every good file."""
    say = log or (lambda msg: None)
    paths = expand_paths(files)
    store = Store(settings.store_dir)
    run_id = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + f"-{os.getpid()}"
    private_dir(settings.runs_dir)
    run_dir = private_dir(settings.runs_dir / run_id)
    results: list[FileResult] = []
    reject_frames: list[pd.DataFrame] = []
    published = False
    version = None
    reports = 0
    if not paths:  # nothing to ingest: do not copy the snapshot for nothing
        version = store.current().version if store.current() else None
    else:
        geo = geo_index(settings.geo_dir)
        with store.writer_lock():
            version, tmp, con = store.begin()
            try:
                for path in paths:
                    t0 = time.perf_counter()
                    try:
                        ex = read_extract(path, geo.lookup)
                        res = apply_extract(con, ex, geo, force=force, run_id=run_id, version=version)
                        if len(ex.rejects):
                            rj = ex.rejects.copy()
                            rj.insert(0, "file", path.name)
                            reject_frames.append(rj)
                    except ExtractError as e:
                        res = FileResult(file=str(path), error=e.problem)
                        try:
                            res.kind = "full" if "full_" in path.name else "delta"
                        except Exception:
                            pass
                    res.seconds = round(time.perf_counter() - t0, 3)
                    results.append(res)
                    say(_summary_line(res))
                if any(r.error is None for r in results):
                    reports = con.execute("SELECT count(*) FROM reports").fetchone()[0]
                    write_meta_stats(con)
                    store.publish(version, tmp, con)
                    published = True
                else:
                    store.abandon(tmp, con)
                    version = store.current().version if store.current() else None
            except BaseException:
                store.abandon(tmp, con)
                raise
    if not published and store.current() is not None:
        try:
            import duckdb

            with duckdb.connect(str(store.current().path), read_only=True) as c:
                reports = c.execute("SELECT count(*) FROM reports").fetchone()[0]
        except Exception:
            reports = 0
    rejects_path = _write_rejects(run_dir / "rejects.csv", reject_frames)
    result = RunResult(run_id=run_id, files=results, reports=int(reports), version=version,
                       published=published, report_path=run_dir / "report.json", rejects_path=rejects_path)
    atomic_write(result.report_path, json.dumps(result.to_json(), ensure_ascii=False, indent=2, default=str))
    return result


def _summary_line(r: FileResult) -> str:
    name = Path(r.file).name
    if r.error:
        return f"FAILED {name}: {r.error} (nothing loaded from this file)"
    reasons = ", ".join(f"{k}: {v}" for k, v in r.reasons.items())
    parts = [f"{name} [{r.kind}, {r.encoding}]: {r.rows:,} rows, {r.loaded:,} loaded "
             f"({r.inserted:,} new, {r.updated:,} updated" + (f", {r.removed:,} removed" if r.removed else "")
             + (f", {r.superseded:,} earlier changes kept as history" if r.superseded else "") + "), "
             f"{r.rejected:,} rejected" + (f" ({reasons})" if reasons else "")]
    if r.mismatches:
        parts.append(f"{r.mismatches:,} TERYT mismatches (point wins)")
    for w in r.warnings:
        parts.append(f"warning: {w}")
    return "; ".join(parts)


def recent_runs(settings: Settings, limit: int = 10) -> list[dict]:
    runs = []
    if not settings.runs_dir.exists():
        return runs
    for d in sorted(settings.runs_dir.iterdir(), reverse=True)[:limit]:
        rp = d / "report.json"
        if rp.exists():
            try:
                runs.append(json.loads(rp.read_text()))
            except (OSError, json.JSONDecodeError):
                continue
    return runs
