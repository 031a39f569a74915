"""Every URL the server answers, in one table: who may call it and what it gives.

Registration stays with the code that serves each route (Dash, the API blueprint, the login
blueprint, app.py's static files, web.security's /healthz); tests/test_routes.py checks that the
server's routes are exactly these, so a new route cannot appear unlisted."""

from __future__ import annotations

from typing import NamedTuple


class Route(NamedTuple):
    rule: str
    methods: str
    access: str   # public | police (checked on the server) | login form
    what: str


ROUTES: tuple[Route, ...] = (
    # the dashboard (Dash)
    Route("/", "GET", "public", "the dashboard page; the view state is the query string"),
    Route("/<path:path>", "GET", "public", "the dashboard page under any path (Dash's catch-all)"),
    Route("/_dash-layout", "GET", "public", "the page's components (police parts only for a police login)"),
    Route("/_dash-dependencies", "GET", "public", "the callback graph"),
    Route("/_dash-update-component", "POST", "public; police callbacks check the login",
          "every callback (rate-limited with the API, body and texts bounded)"),
    Route("/_dash-component-suites/<string:package_name>/<path:fingerprinted_path>", "GET", "public",
          "Dash's JavaScript bundles"),
    Route("/_dash-component-suites/plotly/package_data/plotly.min.js", "GET", "public",
          "plotly.js's cartesian partial bundle (web.plotlyjs: 1.5 MB instead of 4.8)"),
    Route("/_favicon.ico", "GET", "public", "Dash's favicon"),
    Route("/_reload-hash", "GET", "public", "Dash's hot-reload probe (inactive without --debug)"),
    Route("/assets/<path:filename>", "GET", "public", "CSS and the map's JS style functions"),
    Route("/static/<path:filename>", "GET", "public", "Flask's static folder (unused)"),
    Route("/geo/<path:name>", "GET", "public", "the map's boundary files, content-hashed, cached forever"),
    Route("/vendor/bootstrap.min.css", "GET", "public", "Bootstrap 5 from the installed package (no CDN)"),
    # the read-only API (web.api); the police see the sensitive categories in the free-form endpoints
    Route("/api/v1/districts", "GET", "public", "one row per district of a level"),
    Route("/api/v1/categories", "GET", "public", "one row per category"),
    Route("/api/v1/timeseries", "GET", "public", "one row per day, week or month"),
    Route("/api/v1/sensitive", "GET", "public", "the fixed table of the sensitive categories"),
    Route("/api/v1/changes", "GET", "public", "the significant changes per district and category"),
    Route("/api/v1/meta", "GET", "public", "data version, last ingest, reports, date range"),
    Route("/api/v1", "GET", "public", "JSON 404 naming the endpoints"),
    Route("/api/v1/", "GET", "public", "JSON 404 naming the endpoints"),
    Route("/api/v1/<path:anything>", "GET", "public", "JSON 404 naming the endpoints"),
    # the district profile / debate pack (web.profile): the public rules apply, the police see the workload
    Route("/profile/<code>", "GET", "public", "a district's profile page (HTML, prints on A4)"),
    Route("/profile/<code>.pdf", "GET", "public", "the same profile as a PDF made on the server (WeasyPrint)"),
    Route("/profile/<code>.xlsx", "GET", "public", "the profile's tables as a spreadsheet, one sheet each"),
    # police login (web.login)
    Route("/login", "GET, POST", "login form (CSRF, attempts limited)", "police login"),
    Route("/logout", "POST", "police (CSRF)", "ends the session on every worker"),
    # operations (web.security)
    Route("/healthz", "GET", "public", "status, data version and age; 503 without servable data"),
)
