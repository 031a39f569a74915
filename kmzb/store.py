"""The embedded analytical store: immutable DuckDB snapshots swapped in atomically.

Layout under `$KMZB_DATA_DIR/store/`:
- `snap-<version>.duckdb`: one complete, checkpointed database per published version;
- `CURRENT`: the file name of the snapshot being served (replaced with os.replace);
- `ingest.lock`: held (flock) by the one ingest that may run at a time.

A writer copies the current snapshot to a temporary file, applies its changes there,
checkpoints and closes it, renames it into place and only then swaps `CURRENT`.
Readers open snapshots read-only and notice a new `CURRENT` on their next query, so they
never see a half-written state and never need a restart.

Snapshots hold the reporters' descriptions (personal data): the store directory is 0700 and
every file in it 0600 from the moment it is created (explicit modes for the files written here,
umask 077 while the writer lock is held for those DuckDB creates: a snapshot, its WAL).
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import threading
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from kmzb import reference
from kmzb.fsutil import PRIVATE_FILE, atomic_write, private_dir

log = logging.getLogger(__name__)

KEEP_SNAPSHOTS = 3
SCHEMA_VERSION = "1"


# the ingest's writer: every core, and a memory limit on DuckDB's buffers (the reports are appended in
# order from Arrow a row group at a time: a 3M snapshot keeps well within it, the process peaks at 1.43 GB)
WRITER_CONFIG = {"threads": os.cpu_count() or 2, "memory_limit": os.environ.get("KMZB_INGEST_MEMORY", "500MB")}


class StoreError(Exception):
    pass


class NoDataError(StoreError):
    pass


class IngestLocked(StoreError):
    pass


@contextmanager
def private_umask():
    """Files and directories created meanwhile, by anyone in this process, are the owner's only."""
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)


def _enum(values) -> str:
    return "ENUM (" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + ")"


def schema_sql() -> str:
    cats = reference.category_codes()
    sts = reference.status_codes()
    status_rows = ", ".join(f"('{s.code}', '{s.outcome}')" for s in reference.statuses())
    return f"""
    CREATE TYPE category_t AS {_enum(cats)};
    CREATE TYPE status_t AS {_enum(sts)};
    CREATE TYPE outcome_t AS {_enum(reference.OUTCOMES)};
    CREATE TYPE source_t AS {_enum(reference.SOURCES)};
    CREATE TABLE status_outcome (status status_t PRIMARY KEY, outcome outcome_t NOT NULL);
    INSERT INTO status_outcome VALUES {status_rows};
    CREATE TABLE reports (
        objectid BIGINT NOT NULL,
        category category_t NOT NULL,
        status status_t NOT NULL,
        outcome outcome_t NOT NULL,
        created_at TIMESTAMP NOT NULL,
        created_date DATE NOT NULL,
        modified_at TIMESTAMP NOT NULL,
        event_date DATE,
        days_mask UTINYINT,
        times_mask UTINYINT,
        x DOUBLE NOT NULL,
        y DOUBLE NOT NULL,
        lon DOUBLE NOT NULL,
        lat DOUBLE NOT NULL,
        gmina VARCHAR NOT NULL,
        powiat VARCHAR NOT NULL,
        voivodeship VARCHAR NOT NULL,
        teryt_reported VARCHAR,
        teryt_mismatch BOOLEAN NOT NULL,
        unit VARCHAR,
        source source_t NOT NULL,
        read_at TIMESTAMP,        -- first time seen out of 'nowe' (an upper bound unless observed_new)
        resolved_at TIMESTAMP,    -- first time seen resolved (an upper bound unless observed_pending)
        observed_new BOOLEAN,     -- first status seen was 'nowe': read_at is exact
        observed_pending BOOLEAN  -- first status seen was pending: resolved_at is exact
    );
    -- reporters' own words: internal only, kept apart from everything the public reads
    CREATE TABLE descriptions (objectid BIGINT NOT NULL, opis VARCHAR NOT NULL);
    CREATE TABLE status_history (objectid BIGINT NOT NULL, status status_t NOT NULL, modified_at TIMESTAMP NOT NULL);
    CREATE TABLE ingest_files (
        run_id VARCHAR, version VARCHAR, file VARCHAR, kind VARCHAR, encoding VARCHAR,
        rows BIGINT, loaded BIGINT, rejected BIGINT, mismatches BIGINT, inserted BIGINT,
        updated BIGINT, removed BIGINT, finished_at TIMESTAMP
    );
    CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR);
    INSERT INTO meta VALUES ('schema', '{SCHEMA_VERSION}');
    """


@dataclass(frozen=True)
class Snapshot:
    version: str
    path: Path


class Store:
    """Access to the snapshots of one data directory (reading and publishing)."""

    def __init__(self, store_dir: Path | str, *, threads: int = 1, memory_limit: str = "512MB"):
        self.dir = Path(store_dir)
        self.threads = threads
        self.memory_limit = memory_limit
        self._lock = threading.Lock()
        # (snapshot, connection, (inode, size, mtime) of its file when opened)
        self._serving: tuple[Snapshot, duckdb.DuckDBPyConnection, tuple | None] | None = None
        self._current_stat: tuple | None = None
        self._fallback_from: Path | None = None  # CURRENT's snapshot, when it is unreadable
        self._bad: dict[Path, tuple] = {}  # snapshot files found unreadable (by the same key)
        self._local = threading.local()

    # ------------------------------------------------------------------ reading
    @property
    def current_file(self) -> Path:
        return self.dir / "CURRENT"

    def current(self) -> Snapshot | None:
        try:
            name = self.current_file.read_text().strip()
        except FileNotFoundError:
            return None
        if not name:
            return None
        return Snapshot(version=name.removeprefix("snap-").removesuffix(".duckdb"), path=self.dir / name)

    def _refresh(self) -> None:
        """Serve what CURRENT names; if it cannot be read, the newest readable older snapshot."""
        try:
            st = self.current_file.stat()
            key = (st.st_mtime_ns, st.st_ino, st.st_size)
        except FileNotFoundError:
            key = None
        if key == self._current_stat and self._still_good():
            return
        with self._lock:
            if key == self._current_stat and self._still_good():
                return
            served = self._serving if self._served_unchanged() else None
            snap = self.current()
            if snap is None:
                raise NoDataError(f"no data loaded yet in {self.dir}: run `python -m kmzb demo` or `python -m kmzb ingest FILE`")
            if served is not None and snap.path == served[0].path:
                self._current_stat, self._fallback_from = key, None
                return
            if self._serving is not None and served is None:
                old_path = self._serving[0].path
                if old_path.exists() or old_path == snap.path:
                    # snapshots never change once published: this one was damaged (or removed) on disk
                    log.error("the served snapshot %s changed on disk or disappeared; checking it again", old_path)
                    self._drop_served()
                # else: an old snapshot pruned after newer ones were published; nothing wrong
            problems: list[str] = []
            for path in self._candidates(snap):
                if served is not None and path == served[0].path:
                    log.error("cannot open snapshot %s (%s); still serving %s", snap.path, "; ".join(problems),
                              served[0].version)
                    self._current_stat, self._fallback_from = key, snap.path
                    return
                fkey = _file_key(path)
                if fkey is not None and self._bad.get(path) == fkey:
                    problems.append(f"{path.name}: unreadable (found before)")
                    continue
                try:
                    con = duckdb.connect(str(path), read_only=True,
                                         config={"threads": self.threads, "memory_limit": self.memory_limit})
                    try:
                        verify_snapshot(con)
                    except BaseException:
                        con.close()
                        raise
                except (duckdb.Error, OSError, StoreError) as e:
                    if fkey is not None:
                        self._bad[path] = fkey
                    problems.append(f"{path.name}: {e}")
                    continue
                if path != snap.path:
                    log.error("cannot open snapshot %s (%s); serving the newest readable older snapshot %s",
                              snap.path, "; ".join(problems), path.name)
                # one assignment: a reader sees the old pair or the new one, never a mix; the old
                # connection closes when its last cursor is gone (queries running on it finish)
                self._serving = (Snapshot(path.name.removeprefix("snap-").removesuffix(".duckdb"), path), con, fkey)
                self._local = threading.local()
                self._current_stat, self._fallback_from = key, (snap.path if path != snap.path else None)
                return
            self._drop_served()
            raise StoreError(f"cannot open snapshot {snap.path}, nor an older one: " + "; ".join(problems))

    def _served_unchanged(self) -> bool:
        serving = self._serving
        return serving is not None and _file_key(serving[0].path) == serving[2]

    def _still_good(self) -> bool:
        """The served file is as opened, and (when serving a fallback) the snapshot CURRENT names
        is still the unreadable file it was (a restored file is tried again)."""
        if not self._served_unchanged():
            return False
        src = self._fallback_from
        return src is None or self._bad.get(src) == _file_key(src)

    def _drop_served(self) -> None:
        old, self._serving, self._current_stat, self._fallback_from = self._serving, None, None, None
        self._local = threading.local()
        if old is not None:
            # a damaged file: close at once, so that reopening it does not reuse this instance's cache
            _close_quietly(old[1])

    def _candidates(self, snap: Snapshot) -> list[Path]:
        """The snapshot CURRENT names, then the older ones, newest first (never a `.tmp`)."""
        older = sorted((p for p in self.dir.glob("snap-*.duckdb") if p.name < snap.path.name), reverse=True)
        return [snap.path] + older

    def served(self) -> tuple[Snapshot, duckdb.DuckDBPyConnection]:
        """The snapshot being served (CURRENT's, or the newest readable older one) and its connection."""
        self._refresh()
        serving = self._serving
        if serving is None:
            raise StoreError(f"no readable snapshot in {self.dir}")
        return serving[0], serving[1]

    def cursor(self) -> tuple[duckdb.DuckDBPyConnection, str]:
        """A cursor for this thread on the current snapshot, and its data version."""
        snap, con = self.served()
        cached = getattr(self._local, "entry", None)
        if cached is None or cached[0] != snap.version:
            cached = (snap.version, con.cursor())
            self._local.entry = cached
        return cached[1], cached[0]

    def version(self) -> str:
        return self.served()[0].version

    def has_data(self) -> bool:
        return self.current() is not None

    # ------------------------------------------------------------------ writing
    @contextmanager
    def writer_lock(self):
        """Held by the one ingest that may run; everything created meanwhile is private (umask 077)."""
        private_dir(self.dir)
        fd = os.open(self.dir / "ingest.lock", os.O_RDWR | os.O_CREAT, PRIVATE_FILE)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
                raise IngestLocked(f"another ingest is running (pid {holder}); try again when it has finished") from None
            os.fchmod(fd, PRIVATE_FILE)  # (an older version created it 0644)
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
            with private_umask():
                yield
        finally:
            os.close(fd)

    def new_version(self) -> str:
        existing = sorted(self.dir.glob("snap-*.duckdb"))
        seq = 0
        for p in existing:
            try:
                seq = max(seq, int(p.name.split("-")[1]))
            except (IndexError, ValueError):
                pass
        return f"{seq + 1:06d}-{uuid.uuid4().hex[:8]}"

    def begin(self) -> tuple[str, Path, duckdb.DuckDBPyConnection]:
        """Start a new snapshot as a copy of the current one (or empty). Call under writer_lock."""
        for stale in self.dir.glob(".snap-*.duckdb.tmp*"):
            # left by an ingest that was killed; we hold the lock, so nobody is writing it
            stale.unlink(missing_ok=True)
        version = self.new_version()
        tmp = self.dir / f".snap-{version}.duckdb.tmp"
        cur = self.current()
        if cur is not None and not cur.path.exists():
            # never start from empty here: publishing that would drop every report
            raise StoreError(f"{self.current_file} names {cur.path.name}, which does not exist; nothing was ingested. "
                             f"Restore it, or write the name of an older snap-*.duckdb into {self.current_file}")
        if cur is not None:
            con = None
            try:
                os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
                shutil.copyfile(cur.path, tmp)  # into the file just created 0600 (its mode is kept)
                con = duckdb.connect(str(tmp), config=WRITER_CONFIG)
                con.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
                verify_snapshot(con)  # never build on (and so copy) damaged blocks
            except (duckdb.Error, OSError, StoreError) as e:
                if con is not None:
                    _close_quietly(con)
                tmp.unlink(missing_ok=True)
                Path(str(tmp) + ".wal").unlink(missing_ok=True)
                raise StoreError(f"the current snapshot {cur.path} is unreadable ({e}); nothing was ingested. "
                                 f"Restore it, or write the name of an older readable snap-*.duckdb into "
                                 f"{self.current_file}, or start a new data directory") from e
        else:
            con = duckdb.connect(str(tmp), config=WRITER_CONFIG)
            con.execute(schema_sql())
        return version, tmp, con

    def publish(self, version: str, tmp: Path, con: duckdb.DuckDBPyConnection) -> Snapshot:
        con.execute("INSERT OR REPLACE INTO meta VALUES ('version', ?), ('published_at', ?)",
                    [version, datetime.now(timezone.utc).isoformat(timespec="seconds")])
        con.execute("CHECKPOINT")
        con.close()
        final = self.dir / f"snap-{version}.duckdb"
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, final)
        atomic_write(self.current_file, final.name + "\n")
        dfd = os.open(self.dir, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
        self._prune(final.name)
        return Snapshot(version, final)

    def abandon(self, tmp: Path, con: duckdb.DuckDBPyConnection | None) -> None:
        try:
            if con is not None:
                con.close()
        finally:
            tmp.unlink(missing_ok=True)
            Path(str(tmp) + ".wal").unlink(missing_ok=True)

    def _prune(self, keep_name: str) -> None:
        snaps = sorted(self.dir.glob("snap-*.duckdb"))
        for old in snaps[:-KEEP_SNAPSHOTS]:
            if old.name != keep_name:
                old.unlink(missing_ok=True)


def _file_key(path: Path) -> tuple | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def _close_quietly(con: duckdb.DuckDBPyConnection) -> None:
    try:
        con.close()
    except Exception:  # noqa: BLE001 - closing a connection to a damaged file
        pass


def verify_snapshot(con: duckdb.DuckDBPyConnection) -> None:
    """Read every column of every table once, so that DuckDB checks every data block's checksum.

    Raises duckdb.Error (truncated file, checksum mismatch) or StoreError (not a snapshot).
    About 0.1 s for 3M reports; done once per snapshot and process.
    """
    tables = [r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND NOT temporary").fetchall()]
    if "reports" not in tables or "meta" not in tables:
        raise StoreError("not a KMZB snapshot (no reports / meta table)")
    for table in tables:
        cols = [r[0] for r in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() "
            "AND schema_name = 'main' AND table_name = ?", [table]).fetchall()]
        q = lambda name: '"' + name.replace('"', '""') + '"'  # noqa: E731
        exprs = ", ".join(f"bit_xor(hash({q(c)}))" for c in cols) or "count(*)"
        con.execute(f"SELECT count(*), {exprs} FROM {q(table)}").fetchall()


