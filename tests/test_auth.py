"""Users (CLI and store), login / logout, CSRF, the failed-login limit, cookies, audience()."""

from __future__ import annotations

import json
import logging
import os
import re
import stat
import subprocess
import sys

import pytest
from argon2 import PasswordHasher

from kmzb.accounts.users import UserError, UserStore, users_path
from kmzb.config import PROJECT_ROOT
from web.auth import LoginThrottle, audience, load_secret_key
from web.login import safe_next

PASSWORD = "correct horse battery"


def cli(data_dir, *args, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "KMZB_DATA_DIR": str(data_dir)}
    return subprocess.run([sys.executable, "-m", "kmzb", "users", *args], cwd=PROJECT_ROOT, env=env,
                          input=stdin, capture_output=True, text=True, timeout=60)


# ---------------------------------------------------------------- users

def test_cli_add_list_remove(tmp_path):
    data = tmp_path / "data"
    r = cli(data, "add", "anna.kowalska", "--role", "police", "--password-stdin", stdin=PASSWORD + "\n")
    assert r.returncode == 0, r.stderr
    assert PASSWORD not in r.stdout + r.stderr
    path = users_path(data)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    raw = path.read_text()
    assert PASSWORD not in raw
    (user,) = json.loads(raw)["users"]
    assert user["name"] == "anna.kowalska" and user["role"] == "police" and user["created"]
    assert user["password_hash"].startswith("$argon2id$")
    assert PasswordHasher().verify(user["password_hash"], PASSWORD)

    # existing names and short passwords are refused with a clear message
    r = cli(data, "add", "anna.kowalska", "--role", "police", "--password-stdin", stdin="another long one\n")
    assert r.returncode == 2 and "already exists" in r.stderr
    r = cli(data, "add", "jan", "--role", "police", "--password-stdin", stdin="short123\n")
    assert r.returncode == 2 and "too short" in r.stderr and "at least 10" in r.stderr
    r = cli(data, "add", "jan", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n")
    assert r.returncode == 2  # argparse: not a role
    assert cli(data, "add", "jan", "--role", "police", "--password-stdin", stdin="0123456789\n").returncode == 0

    r = cli(data, "list")
    assert r.returncode == 0
    assert "anna.kowalska" in r.stdout and "jan" in r.stdout and "police" in r.stdout
    assert "argon2" not in r.stdout and "hash" not in r.stdout
    listed = json.loads(cli(data, "list", "--json").stdout)
    assert [u["name"] for u in listed] == ["anna.kowalska", "jan"]
    assert all(set(u) == {"name", "role", "created"} for u in listed)

    from kmzb.accounts.authstate import Sessions, auth_state_path

    sid = Sessions(auth_state_path(data)).open("jan", 3600)  # jan is logged in somewhere
    r = cli(data, "remove", "jan")
    assert r.returncode == 0 and "ended 1 open session" in r.stderr
    assert Sessions(auth_state_path(data)).user_of(sid) is None
    assert [u["name"] for u in json.loads(cli(data, "list", "--json").stdout)] == ["anna.kowalska"]
    r = cli(data, "remove", "jan")
    assert r.returncode == 2 and "no such user" in r.stderr
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not list(data.glob(".users.json.*.tmp"))  # nothing left behind


def test_store_rules(tmp_path):
    store = UserStore(tmp_path / "users.json")
    with pytest.raises(UserError, match="too short"):
        store.add("anna", "123456789", "police")
    with pytest.raises(UserError, match="user names"):
        store.add("../etc", PASSWORD, "police")
    with pytest.raises(UserError, match="unknown role"):
        store.add("anna", PASSWORD, "admin")
    store.add("anna", PASSWORD, "police")
    assert store.verify("anna", PASSWORD).name == "anna"
    assert store.verify("anna", PASSWORD + "x") is None
    assert store.verify("nobody", PASSWORD) is None
    assert store.verify("anna", "") is None
    # another process's change is seen without a restart
    UserStore(tmp_path / "users.json").remove("anna")
    assert store.get("anna") is None


def test_an_unknown_name_costs_one_full_password_check(tmp_path, monkeypatch):
    """A wrong name is checked against a real argon2 hash (made once, on first use), as a wrong password
    is: the time does not tell whether a name exists."""
    from kmzb.accounts import users

    checked = []

    class Spy(PasswordHasher):
        def verify(self, hash, password):
            checked.append(hash)
            return super().verify(hash, password)

    monkeypatch.setattr(users, "_hasher", Spy())
    store = UserStore(tmp_path / "users.json")
    store.add("anna", PASSWORD, "police")
    assert store.verify("nobody", PASSWORD) is None and store.verify("someone", "x" * 12) is None
    assert store.verify("anna", PASSWORD + "x") is None
    dummy, again, anna = checked
    assert dummy == again and dummy.startswith("$argon2") and PasswordHasher().check_needs_rehash(dummy) is False
    assert anna == store.get("anna").password_hash


# ---------------------------------------------------------------- the web app

@pytest.fixture
def app(settings):
    UserStore(users_path(settings.data_dir)).add("anna", PASSWORD, "police")
    from app import create_app

    return create_app(settings)


@pytest.fixture
def client(app):
    return app.server.test_client()


def token_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def get_token(client, url="/login?lang=en") -> str:
    r = client.get(url)
    assert r.status_code == 200
    return token_of(r.get_data(as_text=True))


def login(client, name="anna", password=PASSWORD, token=None, **extra):
    token = get_token(client) if token is None else token
    return client.post("/login?lang=en", data={"csrf_token": token, "username": name, "password": password,
                                               **extra})


def error_of(resp) -> str:
    m = re.search(r'id="login-error">([^<]*)<', resp.get_data(as_text=True))
    return m.group(1) if m else ""


def layout_token(client) -> str:
    """The CSRF token of the logout form in the dashboard's header."""
    def walk(node):
        if isinstance(node, dict):
            props = node.get("props", {})
            if props.get("name") == "csrf_token":
                return props["value"]
            node = list(node.values())
        if isinstance(node, list):
            for x in node:
                found = walk(x)
                if found:
                    return found
        return None

    return walk(client.get("/_dash-layout").get_json())


def is_police(client) -> bool:
    layout = client.get("/_dash-layout").get_data(as_text=True)
    return "police-points" in layout


def test_login_page_in_both_languages(client):
    pl = client.get("/login")
    assert pl.status_code == 200
    html = pl.get_data(as_text=True)
    assert 'lang="pl"' in html and "Zaloguj się" in html and "Hasło" in html
    assert 'type="hidden" name="csrf_token"' in html and 'type="password"' in html
    assert "/vendor/bootstrap.min.css" in html
    assert pl.headers["Cache-Control"] == "no-store"
    en = client.get("/login?lang=en").get_data(as_text=True)
    assert 'lang="en"' in en and "Police login" in en and "Password" in en


def test_login_success_then_logout(client):
    assert not is_police(client)
    r = login(client, next="/?level=powiat")
    assert r.status_code == 302 and r.headers["Location"] == "/?level=powiat"
    cookie = next(c for c in r.headers.get_all("Set-Cookie") if c.startswith("kmzb_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert is_police(client)
    layout = client.get("/_dash-layout").get_data(as_text=True)
    assert "Logged in as anna" in layout or "Zalogowano jako anna" in layout
    # logging out needs the session's CSRF token too
    assert client.post("/logout").status_code == 400
    assert is_police(client)
    r = client.post("/logout?lang=en", data={"csrf_token": layout_token(client)})
    assert r.status_code == 302 and r.headers["Location"] == "/?lang=en"
    assert not is_police(client)
    # a GET (a link, an <img src>) never logs anybody out: POST with the token only
    assert login(client).status_code == 302
    client.get("/logout")
    assert is_police(client)


def test_wrong_password_and_unknown_user(client, caplog):
    caplog.set_level(logging.INFO)
    for name, password in (("anna", "not the password"), ("nobody", PASSWORD)):
        r = login(client, name, password)
        assert r.status_code == 401
        assert error_of(r) == "Wrong user name or password."
        assert not is_police(client)
    assert PASSWORD not in caplog.text and "not the password" not in caplog.text
    r = login(client, '"><script>alert(1)</script>', "whatever1234")
    assert "<script>alert(1)" not in r.get_data(as_text=True)  # the name is echoed escaped
    assert "&lt;script&gt;" in r.get_data(as_text=True)
    assert "failed login for 'anna'" in caplog.text


def test_csrf_token_required(client):
    client.get("/login")  # a session with a token exists, but the form does not carry it
    r = client.post("/login?lang=en", data={"username": "anna", "password": PASSWORD})
    assert r.status_code == 400 and "expired" in error_of(r)
    r = client.post("/login?lang=en", data={"username": "anna", "password": PASSWORD, "csrf_token": "forged"})
    assert r.status_code == 400
    assert not is_police(client)
    # another browser's token is no good either
    other = client.application.test_client()
    r = login(client, token=get_token(other))
    assert r.status_code == 400 and not is_police(client)


def test_rate_limit_after_five_failures(app):
    client = app.server.test_client()
    token = get_token(client)
    for _ in range(5):
        assert login(client, password="wrong password", token=token).status_code == 401
    r = login(client, token=token)  # even the right password is refused now
    assert r.status_code == 429
    assert error_of(r) == "Too many failed attempts; try again in 15 minutes."
    assert 840 < int(r.headers["Retry-After"]) <= 900
    assert not is_police(client)
    # Polish message, with the Polish plural
    r = client.post("/login?lang=pl", data={"csrf_token": token, "username": "anna", "password": PASSWORD})
    assert r.status_code == 429 and "spróbuj ponownie za 15 minut" in error_of(r)
    # the user name stays blocked from another address; the address for another name
    other_ip = app.server.test_client()
    r = other_ip.post("/login?lang=en", environ_base={"REMOTE_ADDR": "10.1.2.3"},
                      data={"csrf_token": get_token(other_ip), "username": "anna", "password": PASSWORD})
    assert r.status_code == 429
    r = login(client, name="jan", password="whatever12345", token=token)
    assert r.status_code == 429
    # a fresh address and another name: not blocked
    UserStore(app.server.extensions["kmzb_users"].path).add("jan", PASSWORD, "police")
    fresh = app.server.test_client()
    r = fresh.post("/login?lang=en", environ_base={"REMOTE_ADDR": "10.9.9.9"},
                   data={"csrf_token": get_token(fresh), "username": "jan", "password": PASSWORD})
    assert r.status_code == 302


def test_throttle_window_slides():
    now = [1000.0]
    t = LoginThrottle(max_attempts=5, window=900, clock=lambda: now[0])

    def fail(*keys):
        token, wait = t.reserve(*keys)
        assert token and wait == 0
        t.failed(token)

    for _ in range(4):
        fail("user:a", "ip:1")
    now[0] += 901  # those fall out of the 15-minute window
    for _ in range(4):
        fail("user:a", "ip:1")
        now[0] += 10
    assert t.blocked_for("user:a") == 0
    fail("user:a", "ip:1")  # the 5th in the window, at 1941; the first of them was at 1901
    assert t.blocked_for("user:a") == 860 and t.blocked_for("ip:1") == 860 and t.blocked_for("ip:2") == 0
    assert t.reserve("user:b", "ip:1") == (None, 860)  # one full key refuses, and nothing is reserved
    assert t.blocked_for("user:b") == 0
    now[0] += 859
    assert t.blocked_for("ip:1", "user:b") == 1
    now[0] += 1  # the oldest left the window: one place, not five
    token, wait = t.reserve("user:a", "ip:1")
    assert token and wait == 0
    assert t.reserve("user:a")[0] is None and 0 < t.blocked_for("user:a") <= 10
    t.failed(token)


def test_throttle_running_checks_count_and_a_success_gives_its_place_back():
    now = [1000.0]
    t = LoginThrottle(max_attempts=5, window=900, clock=lambda: now[0])
    for _ in range(3):
        t.failed(t.reserve("user:a", "ip:1")[0])
    pending = [t.reserve("user:a", "ip:1")[0] for _ in range(2)]  # being checked right now
    assert all(pending) and t.reserve("user:a", "ip:2") == (None, 900)  # they count already
    t.succeeded(pending[0])  # a right password gives its place back; the failures stay
    assert t.reserve("user:a", "ip:3")[0]
    assert t.reserve("user:a", "ip:3") == (None, 900)
    # the address counts the same way: 3 failures and the running check, one place left
    assert t.reserve("user:z", "ip:1")[0] and t.reserve("user:y", "ip:1") == (None, 900)
    t.failed(pending[1])
    assert t.reserve("user:a", "ip:4")[0] is None


def test_address_keys():
    from web.auth import address_key

    assert address_key("192.0.2.7") == "ip:192.0.2.7"
    assert address_key("::ffff:192.0.2.7") == "ip:192.0.2.7"
    # one IPv6 subscriber (a /64) is one address for the limit
    assert address_key("2001:db8:1:2::1") == address_key("2001:db8:1:2:ffff::9") == "ip:2001:db8:1:2::/64"
    assert address_key("2001:db8:1:3::1") != address_key("2001:db8:1:2::1")
    assert address_key(None) == "ip:unknown" and address_key("fe80::1%eth0") == "ip:fe80::/64"


def test_address_limit_across_names(app):
    """One address spraying many names gets 5 checks in all, not 5 per name."""
    client = app.server.test_client()
    token = get_token(client)
    codes = [login(client, name=f"user{i}", password="wrong password", token=token).status_code for i in range(8)]
    assert codes == [401] * 5 + [429] * 3
    other = app.server.test_client()  # another address may still try anna
    r = other.post("/login?lang=en", environ_base={"REMOTE_ADDR": "10.1.2.3"},
                   data={"csrf_token": get_token(other), "username": "anna", "password": PASSWORD})
    assert r.status_code == 302


def test_removed_user_loses_access_at_once(app):
    client = app.server.test_client()
    assert login(client).status_code == 302 and is_police(client)
    app.server.extensions["kmzb_users"].remove("anna")
    assert not is_police(client)


def test_next_must_stay_on_the_site(client):
    for bad in ("//evil.example/x", "https://evil.example/", "javascript:alert(1)", "/\\evil.example", "",
                "/x\r\nSet-Cookie: a=b"):
        assert safe_next(bad, "pl") == "/"
    assert safe_next("/?teryt=12", "en") == "/?teryt=12"
    r = login(client, next="https://evil.example/")
    assert r.headers["Location"] == "/?lang=en"  # the dashboard, in the login page's language


def test_cookie_secure_when_configured(settings, monkeypatch):
    monkeypatch.setenv("KMZB_COOKIE_SECURE", "1")
    from app import create_app

    c = create_app(settings).server.test_client()
    r = c.get("/login")
    cookie = next(c for c in r.headers.get_all("Set-Cookie") if c.startswith("kmzb_session="))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_secret_key_generated_once_or_taken_from_env(settings, monkeypatch, tmp_path):
    from app import create_app

    monkeypatch.delenv("KMZB_SECRET_KEY", raising=False)
    path = settings.data_dir / "secret_key"
    app1 = create_app(settings)
    assert not path.exists()  # nothing written before a session is needed
    app1.server.test_client().get("/login")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = path.read_text().strip()
    assert len(key) >= 64 and app1.server.secret_key == key
    app2 = create_app(settings)
    app2.server.test_client().get("/login")
    assert app2.server.secret_key == key  # shared by workers and restarts
    assert load_secret_key(settings.data_dir) == key
    monkeypatch.setenv("KMZB_SECRET_KEY", "k" * 40)
    assert create_app(settings).server.secret_key == "k" * 40


def test_audience(app):
    assert audience() == "public"  # no request
    from flask_login import login_user

    from web.auth import AuthUser

    with app.server.test_request_context("/"):
        assert audience() == "public"
        login_user(AuthUser("anna", "police"))
        assert audience() == "police"
    with app.server.test_request_context("/"):
        login_user(AuthUser("x", "visitor"))
        assert audience() == "public"


def test_logout_ends_the_session_even_for_a_copied_cookie(app):
    client = app.server.test_client()
    assert login(client).status_code == 302 and is_police(client)
    stolen = client.get_cookie("kmzb_session").value
    thief = app.server.test_client()
    thief.set_cookie("kmzb_session", stolen)
    assert is_police(thief)  # the copy works while the session is open...
    r = client.post("/logout?lang=en", data={"csrf_token": layout_token(client)})
    assert r.status_code == 302 and not is_police(client)
    assert not is_police(thief)  # ...and not after logout, on any worker


def test_sessions_and_failed_logins_are_shared_by_workers(settings):
    """Two app instances on one data directory (as two gunicorn workers): a session opened on one
    is known to the other, logout on one ends it on both, and failures add up across them."""
    from app import create_app

    UserStore(users_path(settings.data_dir)).add("anna", PASSWORD, "police")
    w1, w2 = create_app(settings).server, create_app(settings).server
    c1 = w1.test_client()
    assert login(c1).status_code == 302
    c2 = w2.test_client()
    c2.set_cookie("kmzb_session", c1.get_cookie("kmzb_session").value)
    assert is_police(c2)
    assert c2.post("/logout?lang=en", data={"csrf_token": layout_token(c2)}).status_code == 302
    assert not is_police(c1)
    a, b = w1.test_client(), w2.test_client()
    for i in range(5):  # 5 failures spread over both workers
        c = (a, b)[i % 2]
        assert login(c, password="wrong password").status_code == 401
    assert login(a).status_code == 429 and login(b).status_code == 429
    state = settings.data_dir / "auth.sqlite3"
    assert stat.S_IMODE(state.stat().st_mode) == 0o600
    assert PASSWORD not in state.read_bytes().decode("latin-1")


def test_sessions_expire():
    from kmzb.accounts.authstate import Sessions

    now = [1000.0]
    s = Sessions(None, clock=lambda: now[0])
    sid = s.open("anna", 60)
    assert s.user_of(sid) == "anna" and s.user_of("forged") is None and s.user_of(None) is None
    now[0] += 61
    assert s.user_of(sid) is None


# ---------------------------------------------------------------- caching of personal responses

def cache_control(resp) -> str:
    return resp.headers.get("Cache-Control", "")


def test_responses_for_a_logged_in_user_are_not_stored(app):
    """Whatever a logged-in user gets that can depend on the login (the layout with the name and
    the logout token, callback and API answers that may show police-only numbers) carries
    `Cache-Control: no-store` and `Vary: Cookie`; files that are the same for everybody stay
    cacheable and carry no cookie; an anonymous visitor's pages are unchanged."""
    server = app.server
    client = server.test_client()
    search = {"output": "f-region.options", "outputs": {"id": "f-region", "property": "options"},
              "inputs": [{"id": "f-region", "property": "search_value", "value": "Krak"}],
              "state": [{"id": "f-region", "property": "value", "value": ""},
                        {"id": "lang-store", "property": "data", "value": "en"}],
              "changedPropIds": ["f-region.search_value"]}
    anon_layout = client.get("/_dash-layout")
    assert anon_layout.status_code == 200 and "no-store" not in cache_control(anon_layout)
    assert "no-store" not in cache_control(client.post("/_dash-update-component", json=search))

    r = login(client)
    assert r.status_code == 302 and cache_control(r) == "no-store"
    personal = {
        "layout": client.get("/_dash-layout"),
        "callback": client.post("/_dash-update-component", json=search),
        "page": client.get("/?lang=en"),
        "api": client.get("/api/v1/meta"),
        "login page": client.get("/login?lang=en&next=/x"),  # logged in: a redirect
    }
    assert "anna" in personal["layout"].get_data(as_text=True)
    assert layout_token(client) in personal["layout"].get_data(as_text=True)
    assert personal["callback"].status_code == 200
    for what, resp in personal.items():
        assert "no-store" in cache_control(resp), (what, resp.status_code, cache_control(resp))
        assert "Cookie" in resp.headers.get("Vary", ""), (what, resp.headers.get("Vary"))

    # the same for everybody: the stylesheet and Dash's scripts stay cacheable, without the cookie
    script = re.search(r'src="(/_dash-component-suites/[^"]+)"', personal["page"].get_data(as_text=True)).group(1)
    for url, max_age in (("/vendor/bootstrap.min.css", "max-age=86400"), (script, "max-age=")):
        r = client.get(url)
        assert r.status_code == 200 and max_age in cache_control(r), url
        assert "no-store" not in cache_control(r) and not r.headers.get_all("Set-Cookie"), url

    r = client.post("/logout?lang=en", data={"csrf_token": layout_token(client)})
    assert r.status_code == 302 and "no-store" in cache_control(r)
    assert "no-store" not in cache_control(client.get("/_dash-layout"))  # anonymous again
