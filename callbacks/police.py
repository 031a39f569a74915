"""Police view callbacks: points on the map, a report's details, per-unit workload, report CSV.

Every function here checks `web.auth.audience() == "police"` on the server before it reads
anything: for anyone else the plain functions return None and the Dash callbacks raise
PreventUpdate (Dash answers 204, no data). The public page does not hold these components,
but a hand-made request to /_dash-update-component can still name them, hence the check.
Access to descriptions (the detail card, the CSV) is logged with the user's name.
"""

from __future__ import annotations

import logging

from dash import Input, Output, State, dcc
from dash.exceptions import PreventUpdate
from flask import after_this_request

from dashboard import ids
from dashboard.police import detail_view, points_note
from dashboard.state import from_query
from kmzb.query.police import rows_csv
from web.auth import audience

from .views import records, view_filters

log = logging.getLogger("kmzb.query.police.access")


def _is_police() -> bool:
    return audience() == "police"


def _user() -> str:
    from flask_login import current_user

    return getattr(current_user, "name", "?")


def _served(value):
    """A police callback's answer: nothing (PreventUpdate) when it was refused, else the value,
    marked not to be stored by browsers or proxies."""
    if value is None:
        raise PreventUpdate
    _no_store()
    return value


def _no_store() -> None:
    """Police responses must not be kept by browsers or proxies."""
    try:
        @after_this_request
        def _h(resp):
            resp.headers["Cache-Control"] = "no-store"
            return resp
    except (RuntimeError, AttributeError):  # no request (plain-function use)
        pass


# ---------------------------------------------------------------- plain functions

def points_for(gw, search: str | None) -> dict | None:
    """The view's reports as GeoJSON points; None unless the viewer is police."""
    if not _is_police():
        return None
    return gw.police_points(view_filters(gw, from_query(search)))


def detail_for(gw, click: dict | None, search: str | None) -> list | None:
    """The detail card's content for a clicked point; None unless police (or a cluster was clicked)."""
    if not _is_police():
        return None
    props = click.get("properties") if isinstance(click, dict) else None
    if not isinstance(props, dict) or props.get("cluster") or props.get("objectid") is None:
        return None
    lang = from_query(search).lang
    d = gw.police_report(props["objectid"])
    gmina = None
    if d is not None:
        table = gw.districts_table("gmina")
        match = table.loc[table["teryt"] == d["gmina"], "label"]
        gmina = match.iloc[0] if len(match) else None
        log.info("user %r viewed report %s", _user(), d["objectid"])
    return detail_view(d, lang, gmina)


def units_for(gw, search: str | None) -> list[dict] | None:
    if not _is_police():
        return None
    return records(gw.police_units(view_filters(gw, from_query(search))))


def reports_csv(gw, search: str | None) -> tuple[str, str] | None:
    """(csv text, file name) of the view's reports with descriptions; None unless police."""
    if not _is_police():
        return None
    f = view_filters(gw, from_query(search))
    df = gw.police_rows(f)
    log.info("user %r downloaded %d reports (%s)", _user(), len(df), f.key())
    span = "_".join(d.isoformat() for d in (f.date_from, f.date_to) if d) or "all"
    return rows_csv(df), f"kmzb_reports_{span}.csv"


# ---------------------------------------------------------------- Dash callbacks

def register(app, gateway_of) -> None:
    @app.callback(
        Output(ids.POLICE_POINTS, "data"), Output(ids.POLICE_POINTS_NOTE, "children"),
        Input(ids.URL, "search"),
    )
    def update_points(search):
        data = _served(points_for(gateway_of(), search))
        return data, points_note(data, from_query(search).lang)

    @app.callback(
        Output(ids.POLICE_DETAIL, "children"),
        Input(ids.POLICE_POINTS, "clickData"), State(ids.URL, "search"),
        prevent_initial_call=True,
    )
    def show_detail(click, search):
        return _served(detail_for(gateway_of(), click, search))

    @app.callback(
        Output(ids.POLICE_UNITS, "rowData"),
        Input(ids.URL, "search"),
    )
    def update_units(search):
        return _served(units_for(gateway_of(), search))

    @app.callback(
        Output(ids.POLICE_DOWNLOAD, "data"),
        Input(ids.POLICE_DOWNLOAD_BTN, "n_clicks"), State(ids.URL, "search"),
        prevent_initial_call=True,
    )
    def download_reports(n, search):
        if not n:
            raise PreventUpdate
        text, name = _served(reports_csv(gateway_of(), search))
        return dcc.send_string(text, name)
