"""Login state shared by every worker and instance on one data directory: login attempts
and the open police sessions, in `$KMZB_DATA_DIR/auth.sqlite3` (SQLite, 0600).

- Password checks count across all workers and are reserved before they run (an attacker
  gets neither 5 tries per worker nor more by sending many at once).
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
CREATE TABLE IF NOT EXISTS attempts (key TEXT NOT NULL, at REAL NOT NULL, token TEXT NOT NULL,
                                     failed INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS attempts_key ON attempts (key, at);
CREATE INDEX IF NOT EXISTS attempts_at ON attempts (at);
CREATE INDEX IF NOT EXISTS attempts_token ON attempts (token);
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
    """At most `max_attempts` password checks per key (user name, address) in any `window`
    seconds, shared by every process using the same file.

    `reserve()` counts and records an attempt for all its keys in one short write transaction
    (BEGIN IMMEDIATE serialises it across threads and processes), *before* the password is
    checked: however many requests arrive at once, only `max_attempts` get a reservation, the
    rest are refused without a check. A reservation that ends in a failure (`failed`) keeps
    counting until it leaves the window, as does one whose check never finished (fail closed);
    a successful login (`succeeded`) gives its place back. The slow password check runs outside
    any transaction."""

    def __init__(self, path: Path | str | None = None, max_attempts=5, window=15 * 60, clock=time.time):
        self.max_attempts, self.window, self.clock = max_attempts, window, clock
        self._db = _DB(path)

    def _wait(self, con, keys, now) -> float:
        """Seconds until every key has a free place in the window (0 = now)."""
        wait = 0.0
        for k in keys:
            # the key is full until its max_attempts-th newest attempt leaves the window
            row = con.execute("SELECT at FROM attempts WHERE key = ? AND at > ? ORDER BY at DESC LIMIT 1 OFFSET ?",
                              (k, now - self.window, self.max_attempts - 1)).fetchone()
            if row:
                wait = max(wait, row[0] + self.window - now)
        return wait

    def reserve(self, *keys: str) -> tuple[str | None, float]:
        """(token, 0) with one attempt recorded for each key when none of them is full;
        else (None, seconds until all may try again) and nothing recorded."""
        now = self.clock()
        token = secrets.token_urlsafe(16)

        def go(con):
            con.execute("DELETE FROM attempts WHERE at <= ?", (now - self.window,))
            wait = self._wait(con, keys, now)
            if wait > 0:
                return None, wait
            con.executemany("INSERT INTO attempts (key, at, token, failed) VALUES (?, ?, ?, 0)",
                            [(k, now, token) for k in keys])
            return token, 0.0
        return self._db.run(go)

    def failed(self, token: str) -> None:
        """The reserved check failed: the attempt keeps counting."""
        self._db.run(lambda con: con.execute("UPDATE attempts SET failed = 1 WHERE token = ?", (token,)))

    def succeeded(self, token: str) -> None:
        """The reserved check succeeded: it gives its place back (failures stay counted)."""
        self._db.run(lambda con: con.execute("DELETE FROM attempts WHERE token = ?", (token,)))

    def blocked_for(self, *keys: str) -> float:
        """Seconds until all the keys may try again (0 = now); reserves nothing."""
        now = self.clock()
        return self._db.read(lambda con: self._wait(con, keys, now)) if keys else 0.0


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
