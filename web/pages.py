"""The dashboard page for a request: the view state from the query string (or, for Dash's
/_dash-layout XHR, from the same-origin Referer), the region choices and the viewer."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, has_request_context, request

from dashboard.layout import build_layout, page_content, region_options
from dashboard.state import ViewState, from_query
from web.auth import viewer


def request_search() -> str:
    """The page's own query string: a direct request carries it; Dash fetches the layout by XHR
    (/_dash-layout), whose same-origin Referer carries it."""
    if request.query_string:
        return "?" + request.query_string.decode("latin-1")
    if request.referrer and urlsplit(request.referrer).netloc == request.host:
        return "?" + urlsplit(request.referrer).query
    return ""


def page_layout():
    """Dash calls this on each page load (and once at start-up, outside a request)."""
    if not has_request_context():
        return build_layout(from_query(""), regions=[], tiles_url="", tiles_attribution="", user=None)
    s = from_query(request_search())
    return build_layout(s, **_page_args(s))


def page_for(s: ViewState) -> list:
    """The page's content for a view state in a request (a language switch in place, callbacks.language)."""
    return page_content(s, **_page_args(s))


def _page_args(s: ViewState) -> dict:
    settings = current_app.extensions["kmzb_settings"]
    return dict(regions=region_options(current_app.extensions["kmzb_regions"](), s.lang, selected=s.teryt),
                tiles_url=settings.tiles_url, tiles_attribution=settings.tiles_attribution,
                user=viewer())  # the police view only for a police login
