"""The KMZB analytics dashboard. Serve it with gunicorn (`make run`, or
`gunicorn -c gunicorn.conf.py app:server`); `python app.py [--host H] [--port P]` starts
Werkzeug's development server, for development only.

Nothing is read at import time: the store is opened on the first request.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import dash
import flask_bootstrap
import plotly.io.json as plotly_json
from flask import has_request_context, request, send_from_directory
from flask_caching import Cache

from kmzb.config import Settings, get_settings
from kmzb.i18n import normalise_lang, t
from kmzb.query.gateway import DataGateway, code_version
from web.api import create_api
from web.compression import compress
from web.context import audience
from web.plotlyjs import init_plotlyjs
from web.profile import create_profile_blueprint
from web.respcache import init_response_cache
from web.security import harden
from web.timing import init_timing

BOOTSTRAP_DIR = Path(flask_bootstrap.__file__).parent / "static" / "bootstrap5" / "css"


def make_cache(settings: Settings) -> Cache:
    """Redis when KMZB_CACHE_URL is set (shared by every worker and instance); else in this
    process's memory, bounded to KMZB_CACHE_BYTES bytes of pickled values, least recently used
    first out (the default: no I/O per entry), or files in KMZB_CACHE_DIR (shared by the workers
    of one machine, KMZB_CACHE_ENTRIES files; pruning a full directory reads every file, so keep
    it for few distinct views)."""
    if not settings.cache_enabled:
        config = {"CACHE_TYPE": "NullCache"}
    elif settings.cache_url:
        config = {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": settings.cache_url}
    elif settings.cache_kind == "file":
        config = {"CACHE_TYPE": "FileSystemCache", "CACHE_DIR": str(settings.cache_dir),
                  "CACHE_THRESHOLD": settings.cache_entries}
    else:
        config = {"CACHE_TYPE": "kmzb.cache.byte_bounded_cache", "CACHE_OPTIONS": {"max_bytes": settings.cache_bytes}}
    # entries are keyed by data version and code fingerprint, so never stale; a day's timeout (the
    # data changes nightly) lets Redis and the file cache drop old versions' entries
    config["CACHE_DEFAULT_TIMEOUT"] = 24 * 3600
    return Cache(config=config)


def cacheable_outputs(app: dash.Dash) -> set[str]:
    """The callbacks whose answer is a pure function of the request and the served data: the views
    (map, KPIs, charts, table) and the sensitive-categories table (web.respcache keeps their answers)."""
    from dashboard import ids

    wanted = (f"{ids.GEOJSON}.hideout", f"{ids.SENSITIVE_ROWS}.data")
    return {k for k in app.callback_map if any(w in k for w in wanted)}


def create_app(settings: Settings | None = None) -> dash.Dash:
    settings = settings or get_settings()
    app = dash.Dash(
        __name__,
        title="KMZB — analiza zagrożeń",
        external_stylesheets=["/vendor/bootstrap.min.css"],
        suppress_callback_exceptions=False,
        update_title=None,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    server = app.server
    server.json.sort_keys = False  # API rows keep the column order of the CSV
    # Dash serialises callback answers with plotly's encoder, which picks orjson when it is installed;
    # with Dash components in an answer orjson's path then cleans it in Python first: 20 % slower.
    plotly_json.config.default_engine = "json"
    init_timing(server, settings.server_timing)  # first: its clock spans every other hook
    cache = make_cache(settings)
    cache.init_app(server)
    gateway = DataGateway(settings, cache)
    server.extensions["kmzb_gateway"] = gateway
    server.extensions["kmzb_settings"] = settings
    server.extensions["kmzb_regions"] = gateway.regions
    server.register_blueprint(create_api())
    from web.auth import init_auth
    from web.login import create_login_blueprint

    init_auth(server, settings)  # session cookie, secret key, LoginManager, audience()
    server.register_blueprint(create_login_blueprint())  # /login, /logout
    server.register_blueprint(create_profile_blueprint())  # /profile/<teryt>[.pdf|.xlsx]
    harden(server, settings, gateway.meta, gateway.cube_ready)

    @server.get("/vendor/bootstrap.min.css")
    def bootstrap_css():
        # Bootstrap 5 from the installed bootstrap-flask package: no CDN, works offline
        return send_from_directory(BOOTSTRAP_DIR, "bootstrap.min.css", max_age=86400)

    @server.get("/geo/<path:name>")
    def geo_file(name):
        # content-hashed names: cache forever
        resp = send_from_directory(settings.assets_geo_dir, name, max_age=31536000, mimetype="application/geo+json")
        resp.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return resp

    from callbacks import register_callbacks
    from dashboard.layout import validation_layout
    from web.pages import page_layout

    app.validation_layout = validation_layout()  # public layout + police ids (their callbacks exist)
    app.layout = page_layout
    register_callbacks(app)
    init_plotlyjs(server)  # dcc.Graph gets plotly.js's cartesian bundle
    init_response_cache(server, cache, lambda: gateway.version() + code_version(), lambda: audience() == "public",
                        cacheable_outputs(app))  # after the limits (harden), before compress: sees its bytes
    localise_index(app)
    compress(server)  # last: its hooks see every response (brotli/gzip; versioned files cached a year)
    return app


def localise_index(app: dash.Dash) -> None:
    """The page's <title> and <html lang> in the language of the URL's `lang` (Polish by default)."""
    interpolate = app.interpolate_index

    def interpolate_index(**kw):
        lang = normalise_lang(request.args.get("lang") if has_request_context() else None)
        kw["title"] = t(lang, "KMZB — threat analytics")
        return interpolate(**kw).replace("<html>", f'<html lang="{lang}">', 1)

    app.interpolate_index = interpolate_index


app = create_app()
server = app.server


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description="KMZB analytics dashboard on Werkzeug's development server "
                                "(for development only; serve with `make run` or gunicorn -c gunicorn.conf.py app:server)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8050)
    p.add_argument("--debug", action="store_true", help="development mode (never in production)")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("kmzb").warning("development server (Werkzeug): for development only; serve with `make run` "
                                      "(gunicorn -c gunicorn.conf.py app:server)")
    app.server.extensions["kmzb_gateway"].warm_in_background()  # as gunicorn's workers do (gunicorn.conf.py)
    app.run(host=args.host, port=args.port, debug=args.debug)


if __name__ == "__main__":
    main()
