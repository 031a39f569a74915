"""Dashboard users: `$KMZB_DATA_DIR/users.json` (mode 0600, replaced atomically).

Passwords are kept only as argon2id hashes (argon2-cffi PasswordHasher); the clear text is
never stored, printed or logged. Roles: `police` (the only one so far).

    python -m kmzb users add NAME --role police [--password-stdin]
    python -m kmzb users remove NAME
    python -m kmzb users list [--json]

The web process only reads the file; it notices changes (mtime) without a restart.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from kmzb.fsutil import PRIVATE_FILE, atomic_write

ROLES = ("police",)
MIN_PASSWORD = 10
MAX_PASSWORD = 1024
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
FILE_NAME = "users.json"

_hasher = PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Verified against when the name is unknown, so a wrong name costs as long as a wrong password.
    Made on first use, not at import: a hash is ~0.1 s of CPU, and every CLI run and server start
    imports this module."""
    return _hasher.hash("not-a-real-password-" + os.urandom(8).hex())


class UserError(ValueError):
    """A refused change; the message is safe to show."""


@dataclass(frozen=True)
class UserRecord:
    name: str
    role: str
    created: str
    password_hash: str

    def public(self) -> dict:
        """Everything but the hash."""
        return {"name": self.name, "role": self.role, "created": self.created}


def users_path(data_dir: Path | str) -> Path:
    return Path(data_dir) / FILE_NAME


def check_name(name: str) -> str:
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise UserError("user names are 1–64 characters: letters, digits and . _ @ - (starting with a letter or digit)")
    return name


def check_password(password: str) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        n = len(password) if isinstance(password, str) else 0
        raise UserError(f"password too short ({n} characters; at least {MIN_PASSWORD})")
    if len(password) > MAX_PASSWORD:
        raise UserError(f"password too long (at most {MAX_PASSWORD} characters)")
    return password


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _read(path: Path) -> dict[str, UserRecord]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    out = {}
    for u in raw.get("users", []):
        out[u["name"]] = UserRecord(name=u["name"], role=u["role"], created=u["created"],
                                    password_hash=u["password_hash"])
    return out


def _write(path: Path, users: dict[str, UserRecord]) -> None:
    """Write to a 0600 temporary file in the same directory, fsync, rename over the old one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"version": 1, "users": [
        {"name": u.name, "role": u.role, "created": u.created, "password_hash": u.password_hash}
        for u in sorted(users.values(), key=lambda u: u.name)]}
    atomic_write(path, json.dumps(data, ensure_ascii=False, indent=2) + "\n", PRIVATE_FILE, sync_dir=True)


@contextmanager
def _locked(path: Path):
    """One writer at a time (two `users add` at once must not lose one of them)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path.with_name(f".{path.name}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


class UserStore:
    """The users of one data directory. Reads are cached until the file changes."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._stamp = None
        self._users: dict[str, UserRecord] = {}

    def _load(self) -> dict[str, UserRecord]:
        try:
            st = self.path.stat()
            stamp = (st.st_mtime_ns, st.st_ino, st.st_size)
        except FileNotFoundError:
            stamp = None
        with self._lock:
            if stamp != self._stamp:
                self._users = _read(self.path) if stamp else {}
                self._stamp = stamp
            return self._users

    def all(self) -> list[UserRecord]:
        return sorted(self._load().values(), key=lambda u: u.name)

    def get(self, name: str) -> UserRecord | None:
        if not isinstance(name, str):
            return None
        return self._load().get(name)

    def verify(self, name: str, password: str) -> UserRecord | None:
        """The user if the password is right, else None (same cost for unknown names)."""
        user = self.get(name)
        try:
            _hasher.verify(user.password_hash if user else _dummy_hash(), password or "")
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        return user

    def add(self, name: str, password: str, role: str = "police") -> UserRecord:
        check_name(name)
        if role not in ROLES:
            raise UserError(f"unknown role '{role}'; allowed: {', '.join(ROLES)}")
        check_password(password)
        with _locked(self.path):
            users = _read(self.path)
            if name in users:
                raise UserError(f"user '{name}' already exists (remove it first to set a new password)")
            rec = UserRecord(name=name, role=role, password_hash=hash_password(password),
                             created=datetime.now(timezone.utc).isoformat(timespec="seconds"))
            users[name] = rec
            _write(self.path, users)
        return rec

    def remove(self, name: str) -> None:
        with _locked(self.path):
            users = _read(self.path)
            if name not in users:
                raise UserError(f"no such user '{name}'")
            del users[name]
            _write(self.path, users)


# ---------------------------------------------------------------- command line

def _read_password(args) -> str:
    if args.password_stdin:
        line = sys.stdin.readline()
        return line[:-1] if line.endswith("\n") else line
    import getpass

    first = getpass.getpass(f"password for {args.name}: ")
    second = getpass.getpass("repeat the password: ")
    if first != second:
        raise UserError("the passwords do not match")
    return first


def cmd_users(args) -> int:
    from kmzb.config import get_settings

    store = UserStore(users_path(get_settings().data_dir))
    try:
        if args.action == "add":
            check_name(args.name)
            if store.get(args.name):
                raise UserError(f"user '{args.name}' already exists (remove it first to set a new password)")
            password = _read_password(args).rstrip("\r")
            rec = store.add(args.name, password, args.role)
            print(f"added user '{rec.name}' (role {rec.role}) to {store.path}", file=sys.stderr)
        elif args.action == "remove":
            store.remove(args.name)
            from kmzb.accounts.authstate import Sessions, auth_state_path

            ended = Sessions(auth_state_path(get_settings().data_dir)).close_user(args.name)
            print(f"removed user '{args.name}'" + (f"; ended {ended} open session(s)" if ended else ""),
                  file=sys.stderr)
        else:
            users = [u.public() for u in store.all()]
            if args.json:
                print(json.dumps(users, ensure_ascii=False, indent=2))
            elif not users:
                print(f"no users in {store.path}", file=sys.stderr)
            else:
                width = max(4, *(len(u["name"]) for u in users))
                print(f"{'name':<{width}}  role    created")
                for u in users:
                    print(f"{u['name']:<{width}}  {u['role']:<6}  {u['created']}")
    except UserError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except (EOFError, KeyboardInterrupt):
        print("error: no password given", file=sys.stderr)
        return 2
    return 0


def add_cli(sub) -> None:
    """Add the `users` command to the `python -m kmzb` parser."""
    pu = sub.add_parser("users", help="dashboard users (police login)")
    us = pu.add_subparsers(dest="action", required=True)
    ua = us.add_parser("add", help="add a user; asks for the password (at least %d characters)" % MIN_PASSWORD)
    ua.add_argument("name")
    ua.add_argument("--role", choices=ROLES, required=True)
    ua.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    ur = us.add_parser("remove", help="remove a user")
    ur.add_argument("name")
    ul = us.add_parser("list", help="names, roles and creation times (never the hashes)")
    ul.add_argument("--json", action="store_true")
    pu.set_defaults(fn=cmd_users)
