"""Identity for the police view (flask-login): `audience()`, `viewer()`, sessions, CSRF, the key (the
login pages are web.login).

- Users and their argon2 hashes: kmzb.accounts.users (`$KMZB_DATA_DIR/users.json`).
- The session is Flask's signed cookie: HttpOnly, SameSite=Lax, Secure when
  KMZB_COOKIE_SECURE=1 (set it whenever the site is served over HTTPS), 12 hours.
- SECRET_KEY: env KMZB_SECRET_KEY, else a random key generated once into
  `$KMZB_DATA_DIR/secret_key` (0600) on the first request that needs it (so every worker
  and every restart shares it). Changing the key logs everybody out.
- CSRF: a random per-session token in a hidden field of the login and logout forms.
- Caching: every response to a logged-in request (the layout holds the name and the logout
  token; callbacks and the API may show police-only numbers), and every response that sets a
  cookie, gets `Cache-Control: no-store` and `Vary: Cookie`, except static files declared
  cacheable (public or max-age: the same for everybody).
- Failed logins: at most 5 password checks for a user name and for an address (IPv6: its /64)
  in any 15 minutes; further attempts get HTTP 429 without a check until the oldest counted
  one is 15 minutes old. Each attempt is reserved (kmzb.accounts.authstate, SQLite shared by every
  worker on the data directory) in one short transaction *before* its password is checked, so
  20 requests sent at once still get only 5 checks. A successful login gives its place back
  (the failures before it still count). Behind a reverse proxy, make `request.remote_addr` the client's
  address (werkzeug ProxyFix), or every client shares the proxy's counter.
- Sessions: each login registers a random session id (kmzb.accounts.authstate); the cookie is valid
  only while it is registered, so logout, or removing the user, ends it everywhere at once,
  including for a copied cookie.

`audience()` is what the police view checks, in the layout and in every police callback:
"police" only for a logged-in user whose role (re-read from users.json on each request) is
police; removing the user from the file ends their access at their next request.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import secrets
import threading
from datetime import timedelta
from pathlib import Path

from flask import (
    has_request_context,
    session,
)
from flask.sessions import SecureCookieSessionInterface
from flask_login import LoginManager, UserMixin, current_user

from kmzb.accounts.authstate import LoginThrottle, Sessions, auth_state_path
from kmzb.accounts.users import ROLES, UserStore, users_path
from kmzb.fsutil import PRIVATE_FILE, atomic_write

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5  # password checks per user name and per address ...
WINDOW = 15 * 60  # ... in any 15 minutes
SESSION_HOURS = 12
CSRF_KEY = "_csrf"
SID_KEY = "_kmzb_sid"  # the session id registered in kmzb.accounts.authstate.Sessions


# ---------------------------------------------------------------- users in the session

class AuthUser(UserMixin):
    def __init__(self, name: str, role: str):
        self.id = name
        self.name = name
        self.role = role


def audience() -> str:
    """"police" for a logged-in police user, else "public" (also outside a request)."""
    if not has_request_context():
        return "public"
    try:
        user = current_user._get_current_object()
    except Exception:  # no LoginManager on this app
        return "public"
    if user is not None and user.is_authenticated and getattr(user, "role", None) == "police":
        return "police"
    return "public"


def viewer() -> dict | None:
    """The logged-in user for the page header: {name, role, csrf_token}, or None."""
    if audience() != "police":
        return None
    return {"name": current_user.name, "role": current_user.role, "csrf_token": csrf_token()}


# ---------------------------------------------------------------- CSRF

def csrf_token() -> str:
    tok = session.get(CSRF_KEY)
    if not tok:
        tok = secrets.token_urlsafe(32)
        session[CSRF_KEY] = tok
    return tok


def csrf_ok(value) -> bool:
    expected = session.get(CSRF_KEY)
    return bool(expected) and isinstance(value, str) and hmac.compare_digest(expected, value)


# ---------------------------------------------------------------- failed-login limit

def address_key(addr: str | None) -> str:
    """The throttle key of a client address: IPv4 as is (also when IPv4-mapped), IPv6 by its /64
    (one subscriber's network holds 2**64 addresses: counting each alone would be no limit)."""
    try:
        ip = ipaddress.ip_address((addr or "").split("%", 1)[0])
    except ValueError:
        return "ip:" + (addr or "unknown")[:100]
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.version == 6:
        return "ip:" + str(ipaddress.IPv6Network((int(ip) >> 64 << 64, 64)))
    return "ip:" + str(ip)


# ---------------------------------------------------------------- secret key

def load_secret_key(data_dir: Path) -> str:
    """The key in `data_dir/secret_key`, created (0600) by whichever process comes first."""
    path = Path(data_dir) / "secret_key"
    try:
        key = path.read_text(encoding="ascii").strip()
        if len(key) >= 32:
            return key
        log.warning("%s is too short; ignoring it and using a temporary key", path)
        return secrets.token_hex(32)
    except FileNotFoundError:
        pass
    key = secrets.token_hex(32)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not atomic_write(path, key + "\n", PRIVATE_FILE, exclusive=True):  # the first process wins
            key = path.read_text(encoding="ascii").strip()
    except OSError as e:
        log.warning("cannot write %s (%s): using a temporary key; sessions end at restart "
                    "and are not shared between workers (set KMZB_SECRET_KEY)", path, e)
    return key


class _LazyKeySessionInterface(SecureCookieSessionInterface):
    """Reads (or creates) the secret key on the first request that opens a session, so that
    importing the app writes nothing."""

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self._lock = threading.Lock()

    def get_signing_serializer(self, app):
        if not app.secret_key:
            with self._lock:
                if not app.secret_key:
                    app.secret_key = load_secret_key(self.data_dir)
        return super().get_signing_serializer(app)


# ---------------------------------------------------------------- pages

def _logged_in() -> bool:
    """Whether this request carries a login (without marking the session as read)."""
    return any(k in session for k in ("_user_id", SID_KEY))


def private_responses(resp):
    """after_request: nothing personal is kept by a browser cache or a proxy.

    `no-store` and `Vary: Cookie` on every response to a request carrying a login (the layout
    holds the user's name and logout token; callbacks and the API may answer police-only
    numbers), unless the route declared the response cacheable (`public` or a `max-age`:
    static files, the same for everybody), and on every response that sets or clears a cookie."""
    cc = resp.cache_control
    declared_cacheable = cc.public or (cc.max_age or 0) > 0
    sets_cookie = session.modified or "Set-Cookie" in resp.headers
    if sets_cookie or (_logged_in() and not declared_cacheable):
        resp.headers["Cache-Control"] = "no-store"
        resp.vary.add("Cookie")
    return resp


def init_auth(server, settings) -> None:
    """Login state on the Flask server: cookie settings, secret key, LoginManager (the pages: web.login)."""
    env_key = os.environ.get("KMZB_SECRET_KEY")
    if env_key:
        server.secret_key = env_key
    server.session_interface = _LazyKeySessionInterface(settings.data_dir)
    server.config.update(
        SESSION_COOKIE_NAME="kmzb_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get("KMZB_COOKIE_SECURE", "0").strip().lower() in ("1", "true", "yes", "on"),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=SESSION_HOURS),
        # the cookie is written when the session changes (login, logout, a new CSRF token), not
        # on every response: a login ends SESSION_HOURS after it began anyway (kmzb.accounts.authstate),
        # and the session cookie never rides on the static files' cacheable responses
        SESSION_REFRESH_EACH_REQUEST=False,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
    )
    store = UserStore(users_path(settings.data_dir))
    throttle = LoginThrottle(auth_state_path(settings.data_dir), max_attempts=MAX_ATTEMPTS, window=WINDOW)
    sessions = Sessions(auth_state_path(settings.data_dir))
    manager = LoginManager()
    manager.session_protection = "basic"
    manager.init_app(server)

    @manager.user_loader
    def load_user(name):
        rec = store.get(name)
        if rec is None or rec.role not in ROLES:
            return None
        if sessions.user_of(session.get(SID_KEY)) != rec.name:  # logged out, expired or never opened
            return None
        return AuthUser(rec.name, rec.role)

    server.extensions["kmzb_users"] = store
    server.extensions["kmzb_login_throttle"] = throttle
    server.extensions["kmzb_sessions"] = sessions
    server.after_request(private_responses)
