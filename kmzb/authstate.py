"""Login state shared by every worker and instance on one data directory: failed-login counters
and the open police sessions, in `$KMZB_DATA_DIR/auth.sqlite3` (SQLite, 0600).

- Failed logins count across all workers (an attacker does not get 5 tries per worker).
- A session is valid only while its id is registered here: logout (or removing the user)
  deletes it, so a copied session cookie stops working at once, on every worker.
Only a hash of each session id is stored.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import sqlite3
import threading
import time
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS failures (key TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS failures_key ON failures (key, at);
CREATE INDEX IF NOT EXISTS failures_at ON failures (at);
CREATE TABLE IF NOT EXISTS blocked (key TEXT PRIMARY KEY, until REAL NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, user TEXT NOT NULL, expires REAL NOT NULL);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions (user);
"""


def auth_state_path(data_dir: Path | str) -> Path:
    return Path(data_dir) / "auth.sqlite3"


class _DB:
    """One SQLite connection (file, or memory when path is None) used under a lock."""

    def __init__(self, path: Path | str | None):
        self.path = None if path is None else Path(path)
        self._lock = threading.Lock()
        self._con: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection:
        if self._con is None:
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)  # never readable by others
                os.close(fd)
            con = sqlite3.connect(":memory:" if self.path is None else str(self.path), timeout=10,
                                  isolation_level=None, check_same_thread=False)
            con.execute("PRAGMA busy_timeout = 10000")
            con.executescript(SCHEMA)
            self._con = con
        return self._con

    def read(self, fn):
        """fn(connection) for a read: no write lock, so readers on other workers never wait."""
        with self._lock:
            return fn(self._connect())

    def run(self, fn):
        """fn(connection) in one write transaction (BEGIN IMMEDIATE: serialised across processes)."""
        with self._lock:
            con = self._connect()
            con.execute("BEGIN IMMEDIATE")
            try:
                out = fn(con)
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
            return out


class LoginThrottle:
    """Failures per key (user name, IP) in a sliding window; a key with `max_failures` in the
    window is refused for `lockout` seconds. Shared by the processes using the same file."""

    def __init__(self, path: Path | str | None = None, max_failures=5, window=15 * 60, lockout=15 * 60,
                 clock=time.time):
        self.max_failures, self.window, self.lockout, self.clock = max_failures, window, lockout, clock
        self._db = _DB(path)

    def blocked_for(self, *keys: str) -> float:
        """Seconds until all the keys may try again (0 = now)."""
        now = self.clock()

        def go(con):
            con.execute("DELETE FROM blocked WHERE until <= ?", (now,))
            rows = con.execute(f"SELECT max(until) FROM blocked WHERE key IN ({','.join('?' * len(keys))})",
                               keys).fetchone()
            return max(0.0, (rows[0] or now) - now)
        return self._db.run(go) if keys else 0.0

    def failure(self, *keys: str) -> None:
        now = self.clock()

        def go(con):
            con.execute("DELETE FROM failures WHERE at <= ?", (now - self.window,))
            for k in keys:
                con.execute("INSERT INTO failures VALUES (?, ?)", (k, now))
                (n,) = con.execute("SELECT count(*) FROM failures WHERE key = ?", (k,)).fetchone()
                if n >= self.max_failures:
                    con.execute("INSERT OR REPLACE INTO blocked VALUES (?, ?)", (k, now + self.lockout))
                    con.execute("DELETE FROM failures WHERE key = ?", (k,))
        self._db.run(go)

    def success(self, key: str) -> None:
        self._db.run(lambda con: con.execute("DELETE FROM failures WHERE key = ?", (key,)))

    def reset(self) -> None:
        self._db.run(lambda con: (con.execute("DELETE FROM failures"), con.execute("DELETE FROM blocked")))


def _hash(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


class Sessions:
    """The open police sessions: a random id per login, kept in the signed session cookie."""

    def __init__(self, path: Path | str | None = None, clock=time.time):
        self.clock = clock
        self._db = _DB(path)

    def open(self, user: str, seconds: float) -> str:
        sid = secrets.token_urlsafe(32)
        now = self.clock()

        def go(con):
            con.execute("DELETE FROM sessions WHERE expires <= ?", (now,))
            con.execute("INSERT INTO sessions VALUES (?, ?, ?)", (_hash(sid), user, now + seconds))
        self._db.run(go)
        return sid

    def user_of(self, sid) -> str | None:
        """The user of a live session id, else None."""
        if not isinstance(sid, str) or not sid:
            return None
        now = self.clock()
        row = self._db.read(lambda con: con.execute("SELECT user FROM sessions WHERE id = ? AND expires > ?",
                                                    (_hash(sid), now)).fetchone())
        return row[0] if row else None

    def close(self, sid) -> None:
        if isinstance(sid, str) and sid:
            self._db.run(lambda con: con.execute("DELETE FROM sessions WHERE id = ?", (_hash(sid),)))

    def close_user(self, user: str) -> int:
        """End every session of a user (e.g. when the user is removed); returns how many."""
        return self._db.run(lambda con: con.execute("DELETE FROM sessions WHERE user = ?", (user,)).rowcount)
