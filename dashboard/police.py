"""Layout pieces of the police view (no I/O).

`dashboard.layout.build_layout` puts these in the page only when the viewer is a
logged-in police user; the public page holds none of them. The callbacks that fill them
(callbacks.police) check the audience again on the server.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import dash_leaflet as dl
from dash import dcc, html

from kmzb import reference
from kmzb.i18n import category_label, fmt_int, source_label, status_label, translator

from . import ids

# points coloured by outcome (colour-blind safe: orange / blue / grey)
OUTCOME_COLORS = {"pending": "#e66101", "confirmed": "#2c7bb6", "unconfirmed": "#7f7f7f"}


# ---------------------------------------------------------------- header

def account_nav(user: dict | None, lang: str, next_url: str = "/") -> html.Div:
    """'Log in' for the public; 'Logged in as NAME · Log out' (a POST form with the CSRF token) for police."""
    _ = translator(lang)
    if not user:
        return html.A(_("Log in"), id=ids.ACCOUNT, href=f"/login?lang={lang}&next={quote(next_url, safe='')}",
                      className="btn btn-link btn-sm text-white-50 ms-1")
    return html.Div([
        html.Span([_("Logged in as {name}").format(name=user["name"]), " · "], className="text-white-50 small me-1",
                  id="account-name"),
        html.Form([
            dcc.Input(type="hidden", name="csrf_token", value=user["csrf_token"]),
            dcc.Input(type="hidden", name="next", value=next_url),
            html.Button(_("Log out"), type="submit", id="logout-btn", className="btn btn-outline-light btn-sm"),
        ], method="POST", action=f"/logout?lang={lang}", className="d-inline m-0"),
    ], id=ids.ACCOUNT, className="d-inline-flex align-items-center ms-2")


# ---------------------------------------------------------------- map and detail

def points_layer(lang: str) -> dl.GeoJSON:
    """Individual reports, clustered; filled by callbacks.police from the URL's filters."""
    return dl.GeoJSON(
        id=ids.POLICE_POINTS, data=None, cluster=True, zoomToBoundsOnClick=True,
        superClusterOptions={"radius": 60},
        pointToLayer={"variable": "kmzbPolice.point"}, onEachFeature={"variable": "kmzbPolice.onEach"},
        hideout={"colors": OUTCOME_COLORS,
                 "cat": {c.code: category_label(c.code, lang) for c in reference.categories()}},
    )


def detail_card(lang: str) -> dbc.Card:
    _ = translator(lang)
    return dbc.Card([
        dbc.CardHeader([
            html.H2(_("Report details"), className="h5 mb-0"),
            html.Small(_("Internal: contains personal data"), className="text-danger"),
        ]),
        dbc.CardBody([
            html.Div(id=ids.POLICE_POINTS_NOTE, className="small text-muted mb-2"),
            dcc.Loading(html.Div(html.P(_("Click a point on the map to see the report."), className="text-muted"),
                                 id=ids.POLICE_DETAIL), delay_show=300),
        ], className="police-detail-body"),
    ], className="mb-3 police-detail-card")


def map_with_detail(map_card, lang: str) -> dbc.Row:
    """The map and, beside it, the card that shows a clicked report."""
    return dbc.Row([
        dbc.Col(map_card, xs=12, xl=8),
        dbc.Col(detail_card(lang), xs=12, xl=4),
    ], className="g-3")


def _when(ts: str | None) -> str:
    return ts[:16] if ts else "–"  # 'YYYY-MM-DD HH:MM'


def detail_view(d: dict | None, lang: str, gmina_label: str | None = None) -> list:
    """A report's details (from kmzb.query.police.report_detail) as components."""
    _ = translator(lang)
    if d is None:
        return [html.P(_("Report not found."), className="text-muted")]
    rows = [
        (_("Status"), status_label(d["status"], lang)),
        (_("Created"), _when(d["created_at"])),
        (_("Last modified"), _when(d["modified_at"])),
        (_("Police unit"), d.get("unit") or "–"),
        (_("Channel"), source_label(d["source"], lang)),
        (_("Gmina"), f"{gmina_label} · {d['gmina']}" if gmina_label else d["gmina"]),
        (_("Location"), f"{d['lat']:.5f}, {d['lon']:.5f}"),
    ]
    history = html.Table([
        html.Thead(html.Tr([html.Th(_("Time")), html.Th(_("Status"))])),
        html.Tbody([html.Tr([html.Td(_when(h["modified_at"]), className="text-nowrap"),
                             html.Td(status_label(h["status"], lang))]) for h in d["history"]]),
    ], className="table table-sm small mb-0", id="police-history")
    return [
        html.H3(category_label(d["category"], lang), className="h6 mb-1"),
        html.Div(_("Report {id}").format(id=d["objectid"]), className="small text-muted mb-2"),
        html.Dl(sum(([html.Dt(k, className="col-5"), html.Dd(v, className="col-7 mb-1")] for k, v in rows), []),
                className="row small mb-2"),
        html.H4(_("Description"), className="h6"),
        html.Blockquote(d["opis"], className="police-opis border-start ps-2 small", id="police-opis",
                        style={"whiteSpace": "pre-wrap"})
        if d.get("opis") else html.P(_("No description."), className="text-muted small"),
        html.H4(_("Status history"), className="h6 mt-3"),
        history,
    ]


def points_note(data: dict | None, lang: str) -> str:
    _ = translator(lang)
    if not data:
        return ""
    shown, total = len(data.get("features", [])), data.get("total", 0)
    if data.get("truncated"):
        return _("Points on the map: {shown} of {total} (newest first; narrow the filters to see all)").format(
            shown=fmt_int(shown, lang), total=fmt_int(total, lang))
    return _("Points on the map: {n}").format(n=fmt_int(shown, lang))


# ---------------------------------------------------------------- per-unit table

def workload_card(lang: str) -> dbc.Card:
    _ = translator(lang)
    num = {"function": "params.value == null ? '–' : d3.format(',')(params.value)"}
    dec = {"function": "params.value == null ? '–' : d3.format('.1f')(params.value)"}
    pct = {"function": "params.value == null ? '–' : d3.format('.0%')(params.value)"}
    judged = _("Reports that can be judged: old enough and seen from their first status")
    cols = [
        {"field": "unit", "headerName": _("Police unit"), "pinned": "left", "width": 220,
         "valueFormatter": {"function": "params.value == null ? " + json.dumps(_("no unit")) + " : params.value"}},
        {"field": "reports", "headerName": _("Reports"), "type": "numericColumn", "valueFormatter": num},
        {"field": "pending", "headerName": _("Pending"), "type": "numericColumn", "valueFormatter": num,
         "sort": "desc", "width": 155},
        {"field": "pending_median_days", "headerName": _("Median age of pending (days)"),
         "type": "numericColumn", "valueFormatter": dec},
        {"field": "pending_max_days", "headerName": _("Oldest pending (days)"), "type": "numericColumn",
         "valueFormatter": dec},
        {"field": "read_2d_share", "headerName": _("Read within 2 days"), "type": "numericColumn",
         "valueFormatter": pct},
        {"field": "read_2d_n", "headerName": _("n (read)"), "type": "numericColumn", "valueFormatter": num,
         "headerTooltip": judged},
        {"field": "verified_5d_share", "headerName": _("Verified within 5 days"), "type": "numericColumn",
         "valueFormatter": pct},
        {"field": "verified_5d_n", "headerName": _("n (verified)"), "type": "numericColumn",
         "valueFormatter": num, "headerTooltip": judged},
    ]
    return dbc.Card([
        dbc.CardHeader(dbc.Row([
            dbc.Col(html.H2(_("Workload by police unit"), className="h5 mb-0"), width="auto"),
            dbc.Col(dbc.Button(_("Download reports CSV"), id=ids.POLICE_DOWNLOAD_BTN, size="sm", color="danger",
                               title=_("Internal: contains personal data")), width="auto"),
        ], className="justify-content-between align-items-center")),
        dbc.CardBody(dag.AgGrid(
            id=ids.POLICE_UNITS, columnDefs=cols, rowData=[], className="ag-theme-alpine",
            defaultColDef={"sortable": True, "filter": True, "resizable": True, "width": 140,
                           "wrapHeaderText": True, "autoHeaderHeight": True},
            dashGridOptions={"animateRows": False, "pagination": True, "paginationPageSize": 50,
                             "enableCellTextSelection": True, "tooltipShowDelay": 300},
            style={"height": "420px"},
        ), className="p-1"),
        dcc.Download(id=ids.POLICE_DOWNLOAD),
    ], className="mb-3", id="police-workload")


# ---------------------------------------------------------------- callback validation

def placeholders() -> list:
    """The police components with their ids only (no labels, no data), for Dash's
    validation_layout: the public page never renders them, yet their callbacks exist."""
    return [
        dl.Map(dl.GeoJSON(id=ids.POLICE_POINTS)),
        html.Div(id=ids.POLICE_POINTS_NOTE), html.Div(id=ids.POLICE_DETAIL),
        dag.AgGrid(id=ids.POLICE_UNITS), dbc.Button(id=ids.POLICE_DOWNLOAD_BTN),
        dcc.Download(id=ids.POLICE_DOWNLOAD),
    ]
