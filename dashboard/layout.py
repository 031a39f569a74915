"""Page layout (no I/O): built from the view state that the URL carries.

`build_layout` is a pure function of the view state (and the viewer, passed in); the web layer
(web.pages) reads the request and calls it for each page load.
"""

from __future__ import annotations

from collections import defaultdict

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import dash_leaflet as dl
from dash import dcc, html

from kmzb import reference
from kmzb.i18n import (
    category_label,
    group_label,
    outcome_label,
    source_label,
    status_label,
    translator,
)
from kmzb.query.filters import LEVELS

from . import ids, police
from .figures import png_config
from .state import ViewState, from_query, to_query

POLAND_BOUNDS = [[49.0, 14.1], [54.9, 24.2]]
GROUP_ORDER = ("road-safety", "public-order", "environment", "water-safety", "social", "animals")


def category_options(lang: str, police: bool = False) -> list[dict]:
    """Options grouped by theme (the group's name leads each label, so search finds both); for the
    public without the hidden categories (published only in the fixed table, `sensitive_card`)."""
    by_group = defaultdict(list)
    for c in reference.categories():
        if police or c.public_visibility != "hidden":
            by_group[c.group].append(c)
    out = []
    for g in GROUP_ORDER:
        for c in sorted(by_group.get(g, []), key=lambda c: category_label(c.code, lang)):
            label = f"{group_label(g, lang)} › {category_label(c.code, lang)}"
            if c.active_to:
                label += f" (≤ {c.active_to[:4]})"
            out.append({"label": label, "value": c.code})
    return out


def region_options(districts: dict[str, list[tuple[str, str]]], lang: str, search: str = "",
                   selected: str = "", limit: int = 60) -> list[dict]:
    """Region choices: without a search the voivodeships (and the selected region); with one, the
    first `limit` districts of any level whose name or TERYT holds it. Searching on the server
    keeps the page light (2,873 districts would cost the browser ~0.2 s to index at load)."""
    _ = translator(lang)
    names = {"voivodeship": _("Voivodeship"), "powiat": _("Powiat"), "gmina": _("Gmina")}
    needle = (search or "").strip().casefold()
    opts = [{"label": _("All of Poland"), "value": ""}]
    for level in LEVELS:
        for teryt, label in districts.get(level, []):
            text = f"{label} · {names[level]} {teryt}"
            if (needle and (needle in text.casefold())) or (not needle and level == "voivodeship") or teryt == selected:
                opts.append({"label": text, "value": teryt})
    return opts[: limit + 1] if needle else opts


def dropdown_labels(lang: str) -> dict:
    _ = translator(lang)
    return {"select_all": _("Select all"), "deselect_all": _("Deselect all"),
            "selected_count": _("{num_selected} selected"), "search": _("Search")}


def _kpi(id_, title: str) -> dbc.Col:
    return dbc.Col(dbc.Card(dbc.CardBody([
        html.Div(title, className="kpi-title"),
        html.Div("…", id=id_, className="kpi-value"),
    ]), className="kpi h-100"), xs=6, md=4, xl=True, className="mb-2")


def _chart(id_, height=360) -> dbc.Col:
    return dbc.Col(dbc.Card(dbc.CardBody(dcc.Loading(dcc.Graph(
        id=id_, config=png_config(f"kmzb_{id_}"),
        style={"height": f"{height}px"})), className="p-1")), xs=12, xl=6, className="mb-3")


def filter_panel(s: ViewState, lang: str, regions: list[dict], police: bool = False) -> dbc.Card:
    _ = translator(lang)
    presets = [("7d", _("Last 7 days")), ("30d", _("Last 30 days")), ("90d", _("Last 90 days")),
               ("ytd", _("This year")), ("last_year", _("Last year")), ("all", _("Everything")),
               ("custom", _("Date range"))]
    groups = [g for g in GROUP_ORDER]
    return dbc.Card(dbc.CardBody([
        html.H2(_("Filters"), className="h5"),
        dbc.Label(_("Date range"), html_for=ids.PRESET),
        dcc.Dropdown(id=ids.PRESET, labels=dropdown_labels(lang), options=[{"label": l, "value": v} for v, l in presets], value=s.preset,
                     clearable=False, searchable=False),
        dcc.DatePickerRange(id=ids.DATES, start_date=s.date_from or None, end_date=s.date_to or None,
                            display_format="YYYY-MM-DD", first_day_of_week=1, className="mt-1 w-100",
                            minimum_nights=0, clearable=True),
        dbc.Label(_("Compare with"), className="mt-2"),
        dbc.RadioItems(id=ids.COMPARE, value=s.compare, options=[
            {"label": _("Previous period"), "value": "previous"},
            {"label": _("Same period a year earlier"), "value": "year"}]),
        html.Hr(),
        dbc.Label(_("Categories"), html_for=ids.CATEGORIES),
        html.Div([
            dbc.Button(_("All"), id=ids.CAT_ALL, size="sm", color="secondary", outline=True, className="me-1 mb-1"),
            dbc.Button(_("None"), id=ids.CAT_NONE, size="sm", color="secondary", outline=True, className="me-1 mb-1"),
            *[dbc.Button(group_label(g, lang), id={"type": ids.CAT_GROUP, "group": g}, size="sm", color="info",
                         outline=True, className="me-1 mb-1") for g in groups],
        ]),
        dcc.Dropdown(id=ids.CATEGORIES, labels=dropdown_labels(lang), options=category_options(lang, police), value=list(s.categories), multi=True,
                     placeholder=_("Search categories…") + " (" + _("All").lower() + ")", searchable=True),
        dbc.Label(_("Outcome"), className="mt-2"),
        dbc.Checklist(id=ids.OUTCOMES, value=list(s.outcomes), inline=True, options=[
            {"label": outcome_label(o, lang), "value": o} for o in reference.OUTCOMES]),
        dbc.Label(_("Status"), className="mt-2", html_for=ids.STATUSES),
        dcc.Dropdown(id=ids.STATUSES, labels=dropdown_labels(lang), value=list(s.statuses), multi=True, placeholder=_("All"), options=[
            {"label": status_label(st.code, lang), "value": st.code} for st in reference.statuses()]),
        dbc.Label(_("Channel"), className="mt-2"),
        dbc.Checklist(id=ids.SOURCES, value=list(s.sources), options=[
            {"label": source_label(src, lang), "value": src} for src in reference.SOURCES]),
        dbc.Label(_("Region"), className="mt-2", html_for=ids.REGION),
        dcc.Dropdown(id=ids.REGION, labels=dropdown_labels(lang), options=regions, value=s.teryt, clearable=True, searchable=True,
                     placeholder=_("All of Poland")),
        dbc.Button(_("Reset filters"), id=ids.RESET, color="link", size="sm", className="mt-2 px-0"),
    ]), className="filters")


def map_card(s: ViewState, lang: str, tiles_url: str, tiles_attribution: str, extra_layers=()) -> dbc.Card:
    _ = translator(lang)
    layers = []
    if tiles_url:
        layers.append(dl.TileLayer(url=tiles_url, attribution=tiles_attribution, opacity=0.55))
    layers += [
        dl.GeoJSON(id=ids.GEOJSON, url=None, hideout={},
                   style={"variable": "kmzb.style"}, filter={"variable": "kmzb.filter"},
                   onEachFeature={"variable": "kmzb.onEach"},
                   hoverStyle={"variable": "kmzb.hover"}, zoomToBoundsOnClick=False),
        *extra_layers,  # the police view's points (dashboard.police)
        html.Div(id=ids.LEGEND, className="map-legend leaflet-bottom leaflet-right"),
    ]
    return dbc.Card([
        dbc.CardHeader(dbc.Row([
            dbc.Col(html.H2(_("Threat map"), className="h5 mb-0"), width="auto"),
            dbc.Col(dbc.RadioItems(id=ids.LEVEL, value=s.level, inline=True, options=[
                {"label": _("Voivodeships"), "value": "voivodeship"},
                {"label": _("Powiats"), "value": "powiat"},
                {"label": _("Gminas"), "value": "gmina"}]), width="auto"),
            dbc.Col(dbc.RadioItems(id=ids.METRIC, value=s.metric, inline=True, options=[
                {"label": _("Reports"), "value": "reports"},
                {"label": _("Per 10,000"), "value": "per10k"},
                {"label": _("Confirmation rate"), "value": "rate"}]), width="auto"),
        ], className="g-2 align-items-center justify-content-between")),
        dbc.CardBody([
            html.Div(id=ids.BREADCRUMB, className="crumbs mb-1"),
            dl.Map(layers, id=ids.MAP, center=[52.0, 19.4], zoom=6, bounds=POLAND_BOUNDS, trackViewport=False,
                   style={"height": "520px"}, zoomSnap=0.25,
                   className="threat-map", attributionControl=bool(tiles_url)),
            html.Small(_("Click a district to drill down"), className="text-muted"),
        ], className="p-2"),
    ], className="mb-3")


def table_card(lang: str) -> dbc.Card:
    _ = translator(lang)
    pct = {"function": "d3.format('.1%')(params.value)"}
    num = {"function": "params.value == null ? '–' : d3.format(',')(params.value)"}
    cols = [
        {"field": "teryt", "headerName": _("TERYT"), "pinned": "left", "width": 100},
        {"field": "name", "headerName": _("Name"), "pinned": "left", "width": 170},
        {"field": "population", "headerName": _("Population"), "type": "numericColumn", "valueFormatter": num},
        {"field": "reports", "headerName": _("Reports"), "type": "numericColumn", "valueFormatter": num,
         "sort": "desc"},
        {"field": "reports_per_10k", "headerName": _("Per 10,000"), "type": "numericColumn"},
        {"field": "confirmed", "headerName": _("Confirmed"), "type": "numericColumn", "valueFormatter": num},
        {"field": "resolved", "headerName": _("Resolved"), "type": "numericColumn", "valueFormatter": num},
        {"field": "pending", "headerName": _("Pending"), "type": "numericColumn", "valueFormatter": num},
        {"field": "confirmation_rate", "headerName": _("Confirmation rate"), "type": "numericColumn",
         "valueFormatter": {"function": "params.value == null ? '–' : d3.format('.1%')(params.value)"}},
        {"field": "ci_low", "headerName": "95% ↓", "type": "numericColumn",
         "valueFormatter": {"function": "params.value == null ? '' : d3.format('.1%')(params.value)"}},
        {"field": "ci_high", "headerName": "95% ↑", "type": "numericColumn",
         "valueFormatter": {"function": "params.value == null ? '' : d3.format('.1%')(params.value)"}},
        {"field": "change", "headerName": _("Change"), "type": "numericColumn"},
        {"field": "change_pct", "headerName": _("Change %"), "type": "numericColumn",
         "valueFormatter": {"function": "params.value == null ? '–' : d3.format('+.1%')(params.value)"}},
        {"field": "top_category_label", "headerName": _("Top category"), "width": 220},
        {"field": "median_days_to_verification", "headerName": _("Median days to verification"),
         "type": "numericColumn"},
    ]
    del pct
    return dbc.Card([
        dbc.CardHeader(dbc.Row([
            dbc.Col(html.H2(_("District table"), id=ids.TABLE_TITLE, className="h5 mb-0"), width="auto"),
            dbc.Col(dbc.Button(_("Download CSV"), id=ids.TABLE_DOWNLOAD_BTN, size="sm", color="primary"),
                    width="auto"),
        ], className="justify-content-between align-items-center")),
        dbc.CardBody(dag.AgGrid(
            id=ids.TABLE, columnDefs=cols, rowData=[], className="ag-theme-alpine",
            defaultColDef={"sortable": True, "filter": True, "resizable": True, "width": 120},
            dashGridOptions={"animateRows": False, "pagination": True, "paginationPageSize": 50,
                             "enableCellTextSelection": True},
            getRowId="params.data.teryt", style={"height": "520px"},
        ), className="p-1"),
        dcc.Download(id=ids.TABLE_DOWNLOAD),
        dcc.Store(id=ids.TABLE_COLUMNS),
    ], className="mb-3")


def sensitive_card(lang: str, police: bool = False) -> dbc.Card:
    """The footnote behind every public total (¹) and the one table where the sensitive categories
    are published: per powiat and complete quarter, 1-4 as <5 (kmzb.query.sensitive)."""
    _ = translator(lang)
    count = {"function": "params.data.small ? '<5' : (params.value == null ? '–' : d3.format(',')(params.value))"}
    part = {"function": "params.value == null ? '–' : d3.format(',')(params.value)"}
    pct = {"function": "params.value == null ? '–' : d3.format('.1%')(params.value)"}
    cols = [
        {"field": "teryt", "headerName": _("TERYT"), "pinned": "left", "width": 105},
        {"field": "name", "headerName": _("Powiat"), "pinned": "left", "width": 160},
        {"field": "quarter", "headerName": _("Quarter"), "width": 125, "sort": "desc"},
        {"field": "category_label", "headerName": _("Category"), "width": 250},
        {"field": "reports", "headerName": _("Reports"), "type": "numericColumn", "valueFormatter": count},
        {"field": "reports_per_10k", "headerName": _("Per 10,000"), "type": "numericColumn"},
        {"field": "confirmed", "headerName": _("Confirmed"), "type": "numericColumn", "valueFormatter": part},
        {"field": "unconfirmed", "headerName": _("Unconfirmed"), "type": "numericColumn", "valueFormatter": part},
        {"field": "pending", "headerName": _("Pending"), "type": "numericColumn", "valueFormatter": part},
        {"field": "confirmation_rate", "headerName": _("Confirmation rate"), "type": "numericColumn",
         "valueFormatter": pct},
    ]
    return dbc.Card([
        dbc.CardHeader(dbc.Row([
            dbc.Col(html.H2(_("Sensitive categories by powiat and quarter"), className="h5 mb-0"), width="auto"),
            dbc.Col(html.A(_("Download CSV"), id=ids.SENSITIVE_CSV, href="/api/v1/sensitive?format=csv",
                           className="btn btn-sm btn-primary"), width="auto"),
        ], className="justify-content-between align-items-center")),
        dbc.CardBody([
            html.P([html.Sup("1"), " ", _(
                "Police view: every count above includes drug use and animal cruelty. The public sees these "
                "two categories only in this table.") if police else _(
                "Drug use and animal cruelty are left out of every count, map, chart and table above. For the "
                "public they are published only here, per powiat and complete quarter: a count of 1–4 is shown "
                "as <5, and the confirmed / unconfirmed / pending parts are withheld (–) when any of them is 1–4. "
                "No totals of these categories over powiats, quarters or outcomes are published, so no single "
                "report can be traced by adding or subtracting published numbers.")],
                id="sensitive-footnote", className="small text-muted mb-2"),
            html.Div(id=ids.SENSITIVE_NOTE, className="small mb-1"),
            dag.AgGrid(id=ids.SENSITIVE_TABLE, columnDefs=cols, rowData=[], className="ag-theme-alpine",
                       defaultColDef={"sortable": True, "filter": True, "resizable": True, "width": 110},
                       dashGridOptions={"pagination": True, "paginationPageSize": 20, "animateRows": False},
                       style={"height": "420px"}),
        ], className="p-2"),
    ], className="mb-3", id="sensitive-card")


def build_layout(s: ViewState, *, regions: list[dict], tiles_url: str, tiles_attribution: str,
                 user: dict | None = None) -> html.Div:
    lang = s.lang
    _ = translator(lang)
    other = "en" if lang == "pl" else "pl"
    is_police = bool(user) and user.get("role") == "police"
    return html.Div([
        dcc.Location(id=ids.URL, refresh=False),
        dcc.Store(id=ids.LANG, data=lang),
        dcc.Store(id=ids.MAP_SCOPE, data=None),
        dbc.Navbar(dbc.Container([
            html.Div([
                html.H1(_("National Map of Security Threats — analytics"), className="h4 mb-0 text-white"),
                html.Small(id=ids.FRESHNESS, className="text-white-50"),
            ]),
            html.Div([
                dbc.Button(_("Filters"), id=ids.FILTER_TOGGLE, color="light", size="sm",
                           className="d-lg-none me-2"),
                html.A(other.upper(), id=ids.LANG_LINK, href=to_query(s.with_(lang=other)) or "?lang=pl",
                       className="btn btn-outline-light btn-sm", title=_("Language"), lang=other),
                html.A("API", href="/api/v1/meta", className="btn btn-link btn-sm text-white-50 ms-1",
                       title=_("Open the API")),
                police.account_nav(user, lang, "/" + to_query(s)),
            ]),
        ], fluid=True), color="dark", dark=True, className="mb-3"),
        dbc.Container(dbc.Row([
            dbc.Col(dbc.Collapse(filter_panel(s, lang, regions, is_police), id=ids.FILTER_COLLAPSE, is_open=False,
                                 className="d-lg-block"), xs=12, lg=3, className="mb-3"),
            dbc.Col([
                html.Div(id=ids.PERIOD_NOTE, className="text-muted small mb-2"),
                dbc.Row([
                    _kpi(ids.KPI_REPORTS, _("Reports")),
                    _kpi(ids.KPI_RATE, _("Confirmation rate")),
                    _kpi(ids.KPI_PENDING, _("Pending")),
                    _kpi(ids.KPI_CHANGE, _("Change vs comparison period")),
                    _kpi(ids.KPI_SPEED, _("Median days to verification")),
                ], className="g-2 mb-2"),
                *([police.map_with_detail(map_card(s, lang, tiles_url, tiles_attribution,
                                                   extra_layers=[police.points_layer(lang)]), lang),
                   police.workload_card(lang)] if is_police else
                  [map_card(s, lang, tiles_url, tiles_attribution)]),
                dbc.Row([
                    _chart(ids.CHART_TIMELINE), _chart(ids.CHART_CATEGORIES, 520),
                    _chart(ids.CHART_RANKED, 520), _chart(ids.CHART_SPEED),
                    _chart(ids.CHART_HEATMAP),
                ], className="g-3"),
                table_card(lang),
                sensitive_card(lang, is_police),
                html.Footer(html.Small(_("Data: KMZB nightly extract; population GUS BDL 31.12.2024; boundaries GUGiK PRG")),
                            className="text-muted mb-4"),
            ], xs=12, lg=9),
        ]), fluid=True),
    ], lang=lang)


def validation_layout() -> html.Div:
    """Every component id any page may hold, for Dash's validation: the public page plus the police
    placeholders (the public page never renders those, yet their callbacks exist)."""
    page = build_layout(from_query(""), regions=[], tiles_url="", tiles_attribution="", user=None)
    return html.Div([page, *police.placeholders()])
