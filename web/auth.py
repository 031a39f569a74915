"""Login for the police view (flask-login): `GET/POST /login`, `POST /logout`, `audience()`.

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
import math
import os
import secrets
import threading
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote, urlsplit

from flask import (
    Blueprint,
    current_app,
    has_request_context,
    redirect,
    render_template_string,
    request,
    session,
)
from flask.sessions import SecureCookieSessionInterface
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from kmzb.accounts.authstate import LoginThrottle, Sessions, auth_state_path
from kmzb.accounts.users import ROLES, UserStore, users_path
from kmzb.fsutil import PRIVATE_FILE, atomic_write

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5  # password checks per user name and per address ...
WINDOW = 15 * 60  # ... in any 15 minutes
SESSION_HOURS = 12
CSRF_KEY = "_csrf"


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

LOGIN_PAGE = """<!doctype html>
<html lang="{{ lang }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{ t_heading }} · KMZB</title>
<link rel="stylesheet" href="/vendor/bootstrap.min.css">
</head>
<body class="bg-light">
<nav class="navbar navbar-dark bg-dark mb-4">
  <div class="container-fluid">
    <a class="navbar-brand h4 mb-0" href="{{ home }}">{{ t_app }}</a>
    <a class="btn btn-outline-light btn-sm" id="login-lang" href="{{ other_url }}" lang="{{ other }}">{{ other|upper }}</a>
  </div>
</nav>
<main class="container" style="max-width: 440px">
  <div class="card shadow-sm">
    <div class="card-body p-4">
      <h1 class="h4 mb-3">{{ t_heading }}</h1>
      {% if error %}<div class="alert alert-danger" role="alert" id="login-error">{{ error }}</div>{% endif %}
      <form method="post" action="{{ action }}" id="login-form">
        <input type="hidden" name="csrf_token" value="{{ csrf }}">
        <input type="hidden" name="next" value="{{ next }}">
        <div class="mb-3">
          <label class="form-label" for="username">{{ t_user }}</label>
          <input class="form-control" id="username" name="username" value="{{ username }}" maxlength="64"
                 autocomplete="username" autocapitalize="none" spellcheck="false" required{% if not username %} autofocus{% endif %}>
        </div>
        <div class="mb-3">
          <label class="form-label" for="password">{{ t_password }}</label>
          <input class="form-control" id="password" name="password" type="password" maxlength="1024"
                 autocomplete="current-password" required{% if username %} autofocus{% endif %}>
        </div>
        <button class="btn btn-primary w-100" id="login-submit" type="submit">{{ t_login }}</button>
      </form>
      <p class="small text-muted mt-3 mb-0">{{ t_note }}</p>
    </div>
  </div>
  <p class="mt-3"><a href="{{ home }}">&larr; {{ t_back }}</a></p>
</main>
</body>
</html>
"""

MESSAGE_PAGE = """<!doctype html>
<html lang="{{ lang }}"><head><meta charset="utf-8"><title>KMZB</title>
<link rel="stylesheet" href="/vendor/bootstrap.min.css"></head>
<body class="bg-light"><main class="container py-5" style="max-width: 520px">
<div class="alert alert-warning" role="alert">{{ message }}</div><a href="{{ home }}">&larr; {{ t_back }}</a>
</main></body></html>
"""


def _lang() -> str:
    from kmzb.i18n import normalise_lang

    return normalise_lang(request.values.get("lang"))


def _home(lang: str) -> str:
    return "/?lang=en" if lang == "en" else "/"


def safe_next(value, lang: str) -> str:
    """A same-site path to go to after logging in or out; anything else -> the dashboard."""
    default = _home(lang)
    if not isinstance(value, str) or not value or len(value) > 2048:
        return default
    if not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    return value


def _secure_headers(resp):
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["X-Frame-Options"] = "DENY"
    resp.headers["Content-Security-Policy"] = "frame-ancestors 'none'"
    resp.headers["Referrer-Policy"] = "same-origin"
    return resp


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


def _login_page(lang: str, next_url: str, *, error: str | None = None, username: str = "", status: int = 200,
                headers: dict | None = None):
    from kmzb.i18n import translator

    _ = translator(lang)
    other = "en" if lang == "pl" else "pl"
    html = render_template_string(
        LOGIN_PAGE, lang=lang, other=other,
        other_url=f"/login?lang={other}&next={quote(next_url, safe='')}",
        action=f"/login?lang={lang}", home=_home(lang), next=next_url, csrf=csrf_token(), error=error,
        username=username, t_app=_("National Map of Security Threats — analytics"), t_heading=_("Police login"),
        t_user=_("User name"), t_password=_("Password"), t_login=_("Log in"),
        t_note=_("For police officers only. Accounts are created by the administrator."),
        t_back=_("Back to the dashboard"))
    resp = current_app.response_class(html, status=status, mimetype="text/html")
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return _secure_headers(resp)


def _too_many(lang: str, wait: float) -> str:
    from kmzb.i18n import nt

    minutes = max(1, math.ceil(wait / 60))
    return nt(lang, "Too many failed attempts; try again in {n} minute.",
              "Too many failed attempts; try again in {n} minutes.", minutes)


SID_KEY = "_kmzb_sid"


def create_auth_blueprint(store: UserStore, throttle: LoginThrottle, sessions: Sessions) -> Blueprint:
    bp = Blueprint("kmzb_auth", __name__)

    @bp.route("/login", methods=["GET", "POST"])
    def login():
        from kmzb.i18n import translator

        lang = _lang()
        _ = translator(lang)
        next_url = safe_next(request.values.get("next"), lang)
        if request.method == "GET":
            if audience() == "police":
                return redirect(next_url)
            return _login_page(lang, next_url)
        if not csrf_ok(request.form.get("csrf_token")):
            return _login_page(lang, next_url, status=400,
                               error=_("The form has expired; please reload the page and try again."))
        username = (request.form.get("username") or "")[:64].strip()
        password = (request.form.get("password") or "")[:1024]
        ip = request.remote_addr or "unknown"
        keys = ("user:" + username.casefold(), address_key(ip))
        # the attempt is reserved before the (slow) password check, so that requests sent at once
        # cannot all pass a limit that is only counted after their checks
        token, wait = throttle.reserve(*keys)
        if token is None:
            log.warning("login refused (too many attempts) for %r from %s", username, ip)
            return _login_page(lang, next_url, error=_too_many(lang, wait), username=username, status=429,
                               headers={"Retry-After": str(math.ceil(wait))})
        user = store.verify(username, password) if username and password else None
        if user is None or user.role not in ROLES:
            throttle.failed(token)
            log.warning("failed login for %r from %s", username, ip)
            return _login_page(lang, next_url, error=_("Wrong user name or password."), username=username,
                               status=401)
        throttle.succeeded(token)
        sessions.close(session.get(SID_KEY))
        session.clear()  # a fresh session: nothing carried over from before the login
        session[SID_KEY] = sessions.open(user.name, SESSION_HOURS * 3600)
        login_user(AuthUser(user.name, user.role))
        session.permanent = True
        csrf_token()
        log.info("login: %r (%s) from %s", user.name, user.role, ip)
        return _secure_headers(redirect(next_url))

    @bp.post("/logout")
    def logout():
        from kmzb.i18n import translator

        lang = _lang()
        next_url = safe_next(request.values.get("next"), lang)
        if not csrf_ok(request.form.get("csrf_token")):
            _ = translator(lang)
            html = render_template_string(
                MESSAGE_PAGE, lang=lang, home=_home(lang), t_back=_("Back to the dashboard"),
                message=_("The form has expired; please reload the page and try again."))
            return _secure_headers(current_app.response_class(html, status=400, mimetype="text/html"))
        name = getattr(current_user, "name", None)
        sessions.close(session.get(SID_KEY))  # a copy of the cookie is no good any more
        logout_user()
        session.clear()
        if name:
            log.info("logout: %r", name)
        return _secure_headers(redirect(next_url))

    return bp


def init_auth(server, settings) -> None:
    """Login on the Flask server: cookie settings, secret key, LoginManager, /login, /logout."""
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
    server.register_blueprint(create_auth_blueprint(store, throttle, sessions))
    server.after_request(private_responses)
