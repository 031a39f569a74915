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

import pandas as pd

from kmzb.config import Settings
from kmzb.fsutil import atomic_write, private_dir
from kmzb.geo.lookup import geo_index
from kmzb.ingest.contract import ExtractError
from kmzb.ingest.extract import list_extracts, read_extract
from kmzb.ingest.load import apply_extract
from kmzb.ingest.progress import Progress, Silent, Steps
from kmzb.store import Store


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
    steps: dict[str, float] = field(default_factory=dict)  # seconds of each step (read, then the write's)
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds of each step (all threads)
    peak_mb: dict[str, int] = field(default_factory=dict)  # the process's peak memory when each step ended


@dataclass
class RunResult:
    run_id: str
    files: list[FileResult]
    reports: int
    version: str | None
    published: bool
    report_path: Path
    rejects_path: Path | None
    steps: dict[str, float] = field(default_factory=dict)  # seconds outside the files: copy, publish
    cpu: dict[str, float] = field(default_factory=dict)
    peak_mb: dict[str, int] = field(default_factory=dict)

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
            "steps": self.steps,
            "cpu": self.cpu,
            "peak_mb": self.peak_mb,
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


def ingest_file(con, path: Path, geo, *, force: bool, run_id: str, version: str,
                progress: Progress) -> tuple[FileResult, pd.DataFrame | None]:
    """Read, check and apply one file: its result, and its rejects (with the file's name)."""
    t0 = time.perf_counter()
    progress.start(path)
    rejects = None
    steps = Steps()
    try:
        ex = read_extract(path, geo.lookup, progress=progress.update)
        steps.lap("read")
        inserted, updated, removed = apply_extract(con, ex, geo, force=force, run_id=run_id, version=version,
                                                   steps=steps)
        res = FileResult(file=str(path), rows=ex.rows, loaded=ex.rows - len(ex.rejects), rejected=len(ex.rejects),
                         reasons=ex.reasons, kind=ex.kind, encoding=ex.encoding, mismatches=ex.mismatches,
                         duplicates=ex.duplicates, superseded=ex.superseded, warnings=list(ex.warnings),
                         inserted=inserted, updated=updated, removed=removed)
        if len(ex.rejects):
            rejects = ex.rejects.copy()
            rejects.insert(0, "file", path.name)
    except ExtractError as e:
        res = FileResult(file=str(path), error=e.problem, kind="full" if "full_" in path.name else "delta")
    res.seconds = round(time.perf_counter() - t0, 3)
    res.steps, res.cpu, res.peak_mb = steps.seconds, steps.cpu, steps.peak_mb
    progress.finish(res)
    return res, rejects


def _ingest_all(store: Store, settings: Settings, paths: list[Path], run_id: str, force: bool, say,
                progress: Progress, steps: Steps) -> tuple[list[FileResult], list[pd.DataFrame], str | None, bool, int]:
    """Every file into one new snapshot, published if any file loaded: (results, rejects, version,
    published, reports)."""
    geo = geo_index(settings.geo_dir)
    steps.lap("geo")
    results, reject_frames = [], []
    with store.writer_lock():
        version, tmp, con = store.begin()
        steps.lap("copy")
        try:
            for path in paths:
                res, rejects = ingest_file(con, path, geo, force=force, run_id=run_id, version=version,
                                           progress=progress)
                results.append(res)
                if rejects is not None:
                    reject_frames.append(rejects)
                say(_summary_line(res))
            steps.lap("files")
            if not any(r.error is None for r in results):
                store.abandon(tmp, con)
                return results, reject_frames, None, False, 0
            reports = con.execute("SELECT count(*) FROM reports").fetchone()[0]
            write_meta_stats(con)
            steps.lap("meta")
            store.publish(version, tmp, con)
            steps.lap("publish")
            return results, reject_frames, version, True, reports
        except BaseException:
            store.abandon(tmp, con)
            raise


def _current_reports(store: Store) -> int:
    """Reports in the snapshot being served (after a run that published nothing)."""
    if store.current() is None:
        return 0
    try:
        import duckdb

        with duckdb.connect(str(store.current().path), read_only=True) as c:
            return c.execute("SELECT count(*) FROM reports").fetchone()[0]
    except Exception:
        return 0


def run_ingest(settings: Settings, files: list[str | Path], *, force: bool = False, log=None,
               progress: Progress | None = None) -> RunResult:
    """Ingest files in the order given; publish one new snapshot holding every good file."""
    say = log or (lambda msg: None)
    paths = expand_paths(files)
    store = Store(settings.store_dir)
    run_id = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + f"-{os.getpid()}"
    private_dir(settings.runs_dir)
    run_dir = private_dir(settings.runs_dir / run_id)
    results, reject_frames, version, published, reports = [], [], None, False, 0
    steps = Steps()
    if paths:  # (nothing to ingest: do not copy the snapshot for nothing)
        results, reject_frames, version, published, reports = _ingest_all(
            store, settings, paths, run_id, force, say, progress or Silent(), steps)
    if not published:
        version = store.current().version if store.current() else None
        reports = _current_reports(store)
    rejects_path = _write_rejects(run_dir / "rejects.csv", reject_frames)
    result = RunResult(run_id=run_id, files=results, reports=int(reports), version=version,
                       published=published, report_path=run_dir / "report.json", rejects_path=rejects_path,
                       steps=steps.seconds, cpu=steps.cpu, peak_mb=steps.peak_mb)
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
