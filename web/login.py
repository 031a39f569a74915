"""The police login pages: `GET/POST /login`, `POST /logout` (templates in web/templates).

A password is checked only after its attempt was reserved (kmzb.accounts.authstate.LoginThrottle),
so requests sent at once cannot pass a limit counted after their checks; a login opens a fresh
session registered on the server (web.auth)."""

from __future__ import annotations

import logging
import math
from urllib.parse import quote, urlsplit

from flask import Blueprint, current_app, redirect, render_template, request, session
from flask_login import current_user, login_user, logout_user

from kmzb.accounts.authstate import LoginThrottle, Sessions
from kmzb.accounts.users import ROLES, UserStore
from kmzb.i18n import normalise_lang, nt, translator
from web.auth import (
    SESSION_HOURS,
    SID_KEY,
    AuthUser,
    address_key,
    audience,
    csrf_ok,
    csrf_token,
)

log = logging.getLogger("web.auth")


def _lang() -> str:
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


def _login_page(lang: str, next_url: str, *, error: str | None = None, username: str = "", status: int = 200,
                headers: dict | None = None):
    _ = translator(lang)
    other = "en" if lang == "pl" else "pl"
    html = render_template(
        "login.html", lang=lang, other=other,
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
    minutes = max(1, math.ceil(wait / 60))
    return nt(lang, "Too many failed attempts; try again in {n} minute.",
              "Too many failed attempts; try again in {n} minutes.", minutes)


def _accounts() -> tuple[UserStore, LoginThrottle, Sessions]:
    x = current_app.extensions
    return x["kmzb_users"], x["kmzb_login_throttle"], x["kmzb_sessions"]


def _open_session(sessions: Sessions, user) -> None:
    """A fresh session registered on the server: nothing carried over from before the login."""
    sessions.close(session.get(SID_KEY))
    session.clear()
    session[SID_KEY] = sessions.open(user.name, SESSION_HOURS * 3600)
    login_user(AuthUser(user.name, user.role))
    session.permanent = True
    csrf_token()


def login():
    lang = _lang()
    _ = translator(lang)
    next_url = safe_next(request.values.get("next"), lang)
    if request.method == "GET":
        return redirect(next_url) if audience() == "police" else _login_page(lang, next_url)
    if not csrf_ok(request.form.get("csrf_token")):
        return _login_page(lang, next_url, status=400,
                           error=_("The form has expired; please reload the page and try again."))
    store, throttle, sessions = _accounts()
    username = (request.form.get("username") or "")[:64].strip()
    password = (request.form.get("password") or "")[:1024]
    ip = request.remote_addr or "unknown"
    # the attempt is reserved before the (slow) password check, so that requests sent at once
    # cannot all pass a limit that is only counted after their checks
    token, wait = throttle.reserve("user:" + username.casefold(), address_key(ip))
    if token is None:
        log.warning("login refused (too many attempts) for %r from %s", username, ip)
        return _login_page(lang, next_url, error=_too_many(lang, wait), username=username, status=429,
                           headers={"Retry-After": str(math.ceil(wait))})
    user = store.verify(username, password) if username and password else None
    if user is None or user.role not in ROLES:
        throttle.failed(token)
        log.warning("failed login for %r from %s", username, ip)
        return _login_page(lang, next_url, error=_("Wrong user name or password."), username=username, status=401)
    throttle.succeeded(token)
    _open_session(sessions, user)
    log.info("login: %r (%s) from %s", user.name, user.role, ip)
    return _secure_headers(redirect(next_url))


def logout():
    lang = _lang()
    next_url = safe_next(request.values.get("next"), lang)
    if not csrf_ok(request.form.get("csrf_token")):
        _ = translator(lang)
        html = render_template("message.html", lang=lang, home=_home(lang), t_back=_("Back to the dashboard"),
                               message=_("The form has expired; please reload the page and try again."))
        return _secure_headers(current_app.response_class(html, status=400, mimetype="text/html"))
    name = getattr(current_user, "name", None)
    _accounts()[2].close(session.get(SID_KEY))  # a copy of the cookie is no good any more
    logout_user()
    session.clear()
    if name:
        log.info("logout: %r", name)
    return _secure_headers(redirect(next_url))


def create_login_blueprint() -> Blueprint:
    bp = Blueprint("kmzb_auth", __name__, template_folder="templates")
    bp.add_url_rule("/login", "login", login, methods=["GET", "POST"])
    bp.add_url_rule("/logout", "logout", logout, methods=["POST"])
    return bp
