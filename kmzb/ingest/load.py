"""Writing one validated extract into the snapshot being built, inside its own transaction: the
full-snapshot guard, status history, the upsert by OBJECTID (latest Data_modyfikacji wins),
descriptions kept apart, and each touched report's first read/resolved times.

What changes is worked out in numpy from the file's Arrow table and the few stored columns it needs
(objectid and modified_at of the reports, the stored history of the file's reports); DuckDB then only
deletes what is replaced or gone and appends rows straight from Arrow: new reports in order of
creation, a slice at a time (so that a full snapshot needs no sort nor join in DuckDB, and its memory
limit holds).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from kmzb import reference
from kmzb.ingest.contract import ExtractError
from kmzb.ingest.extract import Extract
from kmzb.ingest.firsts import NAT, Firsts, History, history
from kmzb.ingest.progress import Steps

GUARD_SHARE = 0.05
# reports appended per statement (each a sorted copy of that many rows): one DuckDB row group, which it
# compresses and writes out at once; larger slices left part-filled row groups (one per thread) for the
# checkpoint to rewrite (3M reports in slices of 250,000: +1.3 s CPU at the checkpoint, +200 MB memory,
# and a third of the file's blocks left free)
SLICE_ROWS = 122_880

REPORT_COLS = """objectid, category, status, outcome, created_at, created_date, modified_at, event_date,
    days_mask, times_mask, x, y, lon, lat, gmina, powiat, voivodeship, teryt_reported, teryt_mismatch,
    unit, source, read_at, resolved_at, observed_new, observed_pending"""
REPORT_SELECT = """objectid, category::VARCHAR::category_t, status::VARCHAR::status_t,
    outcome::VARCHAR::outcome_t, created_at, created_at::DATE, modified_at, event_date, days_mask, times_mask,
    x, y, lon, lat, gmina, gmina[1:4], gmina[1:2], teryt_reported, mismatch, unit, source::VARCHAR::source_t,
    read_at, resolved_at, observed_new, observed_pending"""
FILE_COLS = ["objectid", "category", "status", "created_at", "modified_at", "event_date", "days_mask", "times_mask",
             "x", "y", "gmina", "teryt_reported", "mismatch", "unit", "source"]


class SnapshotGuard(ExtractError):
    pass


def _codes(col: pa.ChunkedArray, vocab: tuple[str, ...]) -> np.ndarray:
    """Index into `vocab` of each value of a dictionary column."""
    parts = []
    for chunk in col.chunks:
        idx = chunk.indices.to_numpy(zero_copy_only=False).astype(np.int16)
        names = chunk.dictionary.to_pylist()
        if names != list(vocab):
            idx = np.array([vocab.index(v) for v in names], np.int16)[idx]
        parts.append(idx)
    return np.concatenate(parts) if parts else np.zeros(0, np.int16)


def _micros(col: pa.ChunkedArray) -> np.ndarray:
    return col.cast(pa.int64()).to_numpy()


def _gather(batches: list[pa.RecordBatch], ends: np.ndarray, idx: np.ndarray) -> pa.Table:
    """The rows `idx` of the table split into `batches` (ending at the row numbers `ends`), in that order.
    (pyarrow's take on a chunked table first concatenates each whole column: a copy of the file per call.)"""
    if len(idx) and idx[-1] - idx[0] == len(idx) - 1 and (np.diff(idx) == 1).all():  # a run of rows: no copy
        return pa.Table.from_batches(batches).slice(int(idx[0]), len(idx))
    which = np.searchsorted(ends, idx, side="right")
    order = np.argsort(which, kind="stable")
    grouped, which = idx[order], which[order]
    cuts = np.flatnonzero(np.r_[True, which[1:] != which[:-1]]) if len(idx) else np.zeros(0, np.int64)
    parts = []
    for start, stop in zip(cuts, np.r_[cuts[1:], len(idx)]):
        b = which[start]
        parts.append(batches[b].take(pa.array(grouped[start:stop] - (ends[b] - batches[b].num_rows))))
    table = pa.Table.from_batches(parts, schema=batches[0].schema).combine_chunks()
    return table if (order == np.arange(len(order))).all() else table.take(pa.array(np.argsort(order)))


def _dictionary(codes: np.ndarray, vocab: tuple[str, ...]) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int8)), pa.array(vocab, pa.string()))


def _timestamps(us: np.ndarray) -> pa.Array:
    return pa.array(us, pa.int64(), mask=us == NAT).cast(pa.timestamp("us"))


class _Arrow:
    """Arrow tables made visible to DuckDB by name for the statements of a `with` block."""

    def __init__(self, con, **tables):
        self.con, self.tables = con, tables

    def __enter__(self):
        for name, table in self.tables.items():
            self.con.register(name, table)
        return self

    def __exit__(self, *exc):
        for name in self.tables:
            self.con.unregister(name)


def _in_sorted(sorted_values: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Whether each of `values` is one of `sorted_values`."""
    if not len(sorted_values):
        return np.zeros(len(values), bool)
    pos = np.minimum(np.searchsorted(sorted_values, values), len(sorted_values) - 1)
    return sorted_values[pos] == values


def _ids(oid: np.ndarray) -> pa.Table:
    return pa.table({"objectid": oid})


@dataclass
class Stored:
    """objectid (sorted) and modified_at of every stored report."""

    oid: np.ndarray
    mod: np.ndarray

    @classmethod
    def read(cls, con) -> Stored:
        got = con.execute("SELECT objectid, epoch_us(modified_at) AS m FROM reports").fetchnumpy()
        oid, mod = np.asarray(got["objectid"], np.int64), np.asarray(got["m"], np.int64)
        order = np.argsort(oid)
        return cls(oid[order], mod[order])

    def lookup(self, oid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(whether each report is stored, its stored modified_at where it is)."""
        if not len(self.oid):
            return np.zeros(len(oid), bool), np.zeros(len(oid), np.int64)
        pos = np.minimum(np.searchsorted(self.oid, oid), len(self.oid) - 1)
        return self.oid[pos] == oid, self.mod[pos]


def _remove_absent(con, ex: Extract, stored: Stored, incoming: np.ndarray, force: bool) -> int:
    """A full snapshot: the reports it does not hold (`incoming`: its reports, sorted) are removed
    (refused beyond GUARD_SHARE unless forced)."""
    known = len(stored.oid)
    gone = stored.oid[~_in_sorted(incoming, stored.oid)]
    removed = len(gone)
    if known and removed > GUARD_SHARE * known and not force:
        raise SnapshotGuard(ex.path, (
            f"full snapshot would remove {removed:,} of {known:,} known reports "
            f"({removed / known:.1%} > {GUARD_SHARE:.0%}); refused (use --force to override)"))
    if removed:
        with _Arrow(con, gone=_ids(gone)):
            for table in ("reports", "descriptions", "status_history"):
                con.execute(f"DELETE FROM {table} WHERE objectid IN (SELECT objectid FROM gone)")
    return removed



def _latest(oid: np.ndarray, mod: np.ndarray, superseded: bool) -> np.ndarray:
    """Indexes of each report's latest row in the file (the reader left no two rows of one report with
    the same Data_modyfikacji)."""
    if not superseded:
        return np.arange(len(oid))
    order = np.lexsort((mod, oid))
    last = np.r_[oid[order][1:] != oid[order][:-1], True]
    return order[last]


def _prior_history(con, reports: np.ndarray) -> tuple[np.ndarray, ...] | None:
    """The stored history of these reports (objectid, modified_at, status code), None when none is stored."""
    if not con.execute("SELECT 1 FROM status_history LIMIT 1").fetchall():
        return None
    with _Arrow(con, touched=_ids(reports)):
        got = con.sql("""SELECT objectid, epoch_us(modified_at) AS m, status FROM status_history
            WHERE objectid IN (SELECT objectid FROM touched)""").to_arrow_table()
    return (got.column("objectid").to_numpy(), got.column("m").to_numpy(),
            _codes(got.column("status"), reference.status_codes()))


def _add_history(con, oid: np.ndarray, mod: pa.ChunkedArray, status: np.ndarray, rows: np.ndarray) -> None:
    if not len(rows):
        return
    idx = pa.array(rows)
    new = pa.table({"objectid": oid[rows], "status": _dictionary(status[rows], reference.status_codes()),
                    "modified_at": mod.take(idx)})
    with _Arrow(con, new_history=new):
        con.execute("INSERT INTO status_history SELECT objectid, status::VARCHAR::status_t, modified_at "
                    "FROM new_history")


def _append_reports(con, table: pa.Table, rows: np.ndarray, firsts: Firsts, status: np.ndarray, geo) -> None:
    """The rows `rows` of the file as reports, in order of creation (ties in file order)."""
    created = _micros(table.column("created_at"))[rows]
    if len(created) > 1 and (np.diff(created) < 0).any():
        order = np.argsort(created, kind="stable")
        rows, firsts = rows[order], firsts.take(order)
    outcome_of = np.array([reference.OUTCOMES.index(reference.status_outcome()[c]) for c in reference.status_codes()])
    batches = table.select(FILE_COLS).to_batches()
    ends = np.cumsum([b.num_rows for b in batches])
    for start in range(0, len(rows), SLICE_ROWS):
        sl = slice(start, start + SLICE_ROWS)
        idx = rows[sl]
        batch = _gather(batches, ends, idx)
        lon, lat = geo.to_wgs84(batch.column("x").to_numpy(), batch.column("y").to_numpy())
        batch = (batch.append_column("outcome", _dictionary(outcome_of[status[idx]], reference.OUTCOMES))
                 .append_column("lon", pa.array(np.round(lon, 6))).append_column("lat", pa.array(np.round(lat, 6)))
                 .append_column("read_at", _timestamps(firsts.read_at[sl]))
                 .append_column("resolved_at", _timestamps(firsts.resolved_at[sl]))
                 .append_column("observed_new", pa.array(firsts.observed_new[sl]))
                 .append_column("observed_pending", pa.array(firsts.observed_pending[sl])))
        with _Arrow(con, new_reports=batch):
            con.execute(f"INSERT INTO reports ({REPORT_COLS}) SELECT {REPORT_SELECT} FROM new_reports")
        del batch


def _add_descriptions(con, table: pa.Table, rows: np.ndarray) -> None:
    """The reporters' words of the rows `rows`."""
    table = table.select(["objectid", "opis"])
    if len(rows) < table.num_rows:
        keep = np.zeros(table.num_rows, dtype=bool)
        keep[rows] = True
        table = table.filter(pa.array(keep))  # (chunk by chunk, where take would copy each whole column)
    with _Arrow(con, new_descriptions=table):
        con.execute("""INSERT INTO descriptions SELECT objectid, opis FROM new_descriptions
            WHERE opis IS NOT NULL AND opis <> ''""")


def _refresh(con, firsts: Firsts) -> None:
    """Reports whose history this file changed but whose state it did not replace."""
    if not len(firsts.oid):
        return
    new = pa.table({"objectid": firsts.oid, "read_at": _timestamps(firsts.read_at),
                    "resolved_at": _timestamps(firsts.resolved_at), "observed_new": firsts.observed_new,
                    "observed_pending": firsts.observed_pending})
    with _Arrow(con, refreshed=new):
        con.execute("""UPDATE reports SET read_at = f.read_at, resolved_at = f.resolved_at,
                observed_new = f.observed_new, observed_pending = f.observed_pending
            FROM refreshed f WHERE reports.objectid = f.objectid""")


def _record_file(con, ex: Extract, run_id: str, version: str, counts: tuple[int, int, int]) -> None:
    con.execute("INSERT INTO ingest_files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now())",
                [run_id, version, str(ex.path), ex.kind, ex.encoding, ex.rows, ex.rows - len(ex.rejects),
                 len(ex.rejects), ex.mismatches, *counts])


def apply_extract(con, ex: Extract, geo, *, force: bool, run_id: str, version: str,
                  steps: Steps | None = None) -> tuple[int, int, int]:
    """Apply one validated extract inside its own transaction; returns (inserted, updated, removed)."""
    steps = steps or Steps()
    t = ex.table
    oid = t.column("objectid").to_numpy()
    mod = _micros(t.column("modified_at"))
    status = _codes(t.column("status"), reference.status_codes())
    con.execute("BEGIN TRANSACTION")
    try:
        stored = Stored.read(con)
        latest = _latest(oid, mod, bool(ex.superseded))
        reports = np.sort(oid[latest])
        removed = _remove_absent(con, ex, stored, reports, force) if ex.kind == "full" else 0
        steps.lap("removed")
        hist: History = history(oid, mod, status, _prior_history(con, reports), unique_reports=not ex.superseded)
        _add_history(con, oid, t.column("modified_at"), status, hist.new_rows)
        steps.lap("history")
        known, known_mod = stored.lookup(oid[latest])
        win = ~known | (mod[latest] > known_mod)
        inserted, updated = int((win & ~known).sum()), int((win & known).sum())
        if updated:
            with _Arrow(con, replaced=_ids(oid[latest][win & known])):
                con.execute("DELETE FROM reports WHERE objectid IN (SELECT objectid FROM replaced)")
                con.execute("DELETE FROM descriptions WHERE objectid IN (SELECT objectid FROM replaced)")
        steps.lap("replaced")
        winners = latest[win]
        _append_reports(con, t, winners, hist.firsts.at(oid[winners]), status, geo)
        steps.lap("reports")
        _add_descriptions(con, t, winners)
        steps.lap("descriptions")
        losers = oid[latest][~win]
        _refresh(con, hist.firsts.at(losers[_in_sorted(hist.changed, losers)]))
        _record_file(con, ex, run_id, version, (inserted, updated, removed))
        steps.lap("losers")
        con.execute("COMMIT")
        steps.lap("commit")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return inserted, updated, removed
