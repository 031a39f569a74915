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
from .changes import changes_card, changes_grid
from .figures import png_config
from .grid_locale import locale_text
from .lazy import lazy_grid
from .sheet import default_format
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


CHART_TITLES = {  # the figures' own titles (dashboard.figures): each chart's accessible name
    ids.CHART_TIMELINE: "Reports and confirmation rate over time",
    ids.CHART_CATEGORIES: "Confirmation rate by category",
    ids.CHART_RANKED: "Districts ranked by confirmation rate",
    ids.CHART_SPEED: "Verification speed",
    ids.CHART_HEATMAP: "When threats occur: day of week × time of day",
}


def _chart(id_, height=360, lang="pl") -> dbc.Col:
    """A chart as a figure named by its title: one tab stop (Enter reaches its toolbar,
    assets/kmzb_a11y.js) and, under it, its numbers as a table (filled by callbacks.alternatives)."""
    _ = translator(lang)
    return dbc.Col(dbc.Card(dbc.CardBody([
        html.Figure([
            dcc.Loading(dcc.Graph(id=id_, config=png_config(f"kmzb_{id_}", lang), style={"height": f"{height}px"})),
            html.Span(_("Enter: chart tools (download as PNG)"), id=id_ + "-hint", className="visually-hidden"),
        ], className="kmzb-figure mb-0", tabIndex="0",
            **{"aria-label": _(CHART_TITLES[id_]), "aria-describedby": id_ + "-hint"}),
        html.Details([html.Summary(_("Show as table"), className="small"),
                      html.Div(id=id_ + ids.CHART_TABLE_SUFFIX, className="chart-table-wrap", tabIndex="0",
                               role="region", **{"aria-label": _(CHART_TITLES[id_])})],
                     className="chart-alt px-2 pb-1"),
    ], className="p-1")), xs=12, xl=6, className="mb-3")


def filter_panel(s: ViewState, lang: str, regions: list[dict], police: bool = False) -> dbc.Card:
    _ = translator(lang)
    presets = [("7d", _("Last 7 days")), ("30d", _("Last 30 days")), ("90d", _("Last 90 days")),
               ("quarter", _("Last full quarter")), ("ytd", _("This year")), ("last_year", _("Last year")), ("all", _("Everything")),
               ("custom", _("Date range"))]
    groups = [g for g in GROUP_ORDER]
    return dbc.Card(dbc.CardBody([
        html.H2(_("Filters"), className="h5", id="filters-heading"),
        dbc.Label(_("Date range"), html_for=ids.PRESET),
        dcc.Dropdown(id=ids.PRESET, labels=dropdown_labels(lang), options=[{"label": l, "value": v} for v, l in presets], value=s.preset,
                     clearable=False, searchable=False),
        dcc.DatePickerRange(id=ids.DATES, start_date=s.date_from or None, end_date=s.date_to or None,
                            display_format="YYYY-MM-DD", first_day_of_week=1, className="mt-1 w-100",
                            minimum_nights=0, clearable=True, start_date_placeholder_text=_("From"),
                            end_date_placeholder_text=_("To")),  # month and day names: assets/kmzb_locale.js
        html.Div(id=ids.DATES_MSG, role="alert", className="small text-danger"),
        dbc.Label(_("Compare with"), className="mt-2", id=ids.COMPARE + "-label"),
        html.Div(dbc.RadioItems(id=ids.COMPARE, name=ids.COMPARE, value=s.compare, options=[
            {"label": _("Previous period"), "value": "previous"},
            {"label": _("Same period a year earlier"), "value": "year"}]),
            role="radiogroup", **{"aria-labelledby": ids.COMPARE + "-label"}),
        html.Hr(),
        dbc.Label(_("Categories"), html_for=ids.CATEGORIES),
        html.Div([
            dbc.Button(_("All"), id=ids.CAT_ALL, size="sm", color="secondary", outline=True, className="me-1 mb-1"),
            dbc.Button(_("None"), id=ids.CAT_NONE, size="sm", color="secondary", outline=True, className="me-1 mb-1"),
            *[dbc.Button(group_label(g, lang), id={"type": ids.CAT_GROUP, "group": g}, size="sm", color="info",
                         outline=True, className="me-1 mb-1 cat-group") for g in groups],
        ]),
        dcc.Dropdown(id=ids.CATEGORIES, labels=dropdown_labels(lang), options=category_options(lang, police), value=list(s.categories), multi=True,
                     placeholder=_("Search categories…") + " (" + _("All").lower() + ")", searchable=True),
        dbc.Label(_("Outcome"), className="mt-2", id=ids.OUTCOMES + "-label"),
        html.Div(dbc.Checklist(id=ids.OUTCOMES, value=list(s.outcomes), inline=True, options=[
            {"label": outcome_label(o, lang), "value": o} for o in reference.OUTCOMES]),
            role="group", **{"aria-labelledby": ids.OUTCOMES + "-label"}),
        dbc.Label(_("Status"), className="mt-2", html_for=ids.STATUSES),
        dcc.Dropdown(id=ids.STATUSES, labels=dropdown_labels(lang), value=list(s.statuses), multi=True, placeholder=_("All"), options=[
            {"label": status_label(st.code, lang), "value": st.code} for st in reference.statuses()]),
        dbc.Label(_("Channel"), className="mt-2", id=ids.SOURCES + "-label"),
        html.Div(dbc.Checklist(id=ids.SOURCES, value=list(s.sources), options=[
            {"label": source_label(src, lang), "value": src} for src in reference.SOURCES]),
            role="group", **{"aria-labelledby": ids.SOURCES + "-label"}),
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
            dbc.Col(html.Div(dbc.RadioItems(id=ids.LEVEL, name=ids.LEVEL, value=s.level, inline=True, options=[
                {"label": _("Voivodeships"), "value": "voivodeship"},
                {"label": _("Powiats"), "value": "powiat"},
                {"label": _("Gminas"), "value": "gmina"}]), role="radiogroup", **{"aria-label": _("Map level")}),
                width="auto"),
            dbc.Col(html.Div(dbc.RadioItems(id=ids.METRIC, name=ids.METRIC, value=s.metric, inline=True, options=[
                {"label": _("Reports"), "value": "reports"},
                {"label": _("Per 10,000"), "value": "per10k"},
                {"label": _("Per 10,000 (smoothed)"), "value": "smoothed"},
                {"label": _("Hot spots"), "value": "hotspots"},
                {"label": _("Confirmation rate"), "value": "rate"}]), role="radiogroup",
                **{"aria-label": _("Map metric")}), width="auto"),
        ], className="g-2 align-items-center justify-content-between")),
        dbc.CardBody([
            html.Div(id=ids.BREADCRUMB, className="crumbs mb-1"),
            html.Div(dl.Map(layers, id=ids.MAP, center=[52.0, 19.4], zoom=6, bounds=POLAND_BOUNDS, trackViewport=False,
                            style={"height": "520px"}, zoomSnap=0.25,
                            className="threat-map", attributionControl=bool(tiles_url)),
                     role="region", **{"aria-label": _("Threat map") + ". " + _(
                         "A district: Tab to it, Enter drills down; the district table below holds the same numbers")}),
            html.Small(_("Click a district to drill down"), className="text-muted"),
        ], className="p-2"),
    ], className="mb-3")


def district_grid(lang: str) -> dag.AgGrid:
    """The district table's grid (created in the browser when idle: dashboard.lazy)."""
    _ = translator(lang)
    # one rule per column, in the page's language (assets/kmzb_locale.js): counts whole, per 10,000 and
    # days to 1 decimal, rates to 1 decimal %
    num = {"function": f"kmzbNum(params.value, '{lang}', 0)"}
    dec = {"function": f"kmzbNum(params.value, '{lang}', 1)"}
    pct = {"function": f"kmzbPct(params.value, '{lang}', 1)"}
    bound = {"function": f"kmzbPct(params.value, '{lang}', 1, false, '')"}
    cols = [
        {"field": "teryt", "headerName": _("TERYT"), "pinned": "left", "width": 100},
        {"field": "name", "headerName": _("Name"), "pinned": "left", "width": 170},
        # the district's profile / debate pack (web.profile), one link per row
        {"colId": "profile", "headerName": _("Profile"), "width": 90, "sortable": False, "filter": False,
         "cellRenderer": "markdown", "valueGetter": {
             "function": f"'[{_('Profile')}](/profile/' + params.data.teryt + '?lang={lang})'"}},
        {"field": "population", "headerName": _("Population"), "type": "numericColumn", "valueFormatter": num},
        {"field": "reports", "headerName": _("Reports"), "type": "numericColumn", "valueFormatter": num,
         "sort": "desc"},
        {"field": "reports_per_10k", "headerName": _("Per 10,000"), "type": "numericColumn", "valueFormatter": dec,
         "cellClassRules": {"kmzb-unstable": "params.data.unstable === true"}},
        {"field": "reports_per_10k_smoothed", "headerName": _("Per 10,000 (smoothed)"), "type": "numericColumn",
         "valueFormatter": dec},
        {"field": "confirmed", "headerName": _("Confirmed"), "type": "numericColumn", "valueFormatter": num},
        {"field": "resolved", "headerName": _("Resolved"), "type": "numericColumn", "valueFormatter": num},
        {"field": "pending", "headerName": _("Pending"), "type": "numericColumn", "valueFormatter": num},
        {"field": "confirmation_rate", "headerName": _("Confirmation rate"), "type": "numericColumn",
         "valueFormatter": pct},
        {"field": "ci_low", "headerName": "95% ↓", "type": "numericColumn", "valueFormatter": bound},
        {"field": "ci_high", "headerName": "95% ↑", "type": "numericColumn", "valueFormatter": bound},
        {"field": "change", "headerName": _("Change"), "type": "numericColumn",
         "valueFormatter": {"function": f"kmzbSigned(params.value, '{lang}', 0)"}},
        {"field": "change_pct", "headerName": _("Change %"), "type": "numericColumn",
         "valueFormatter": {"function": f"kmzbPct(params.value, '{lang}', 1, true)"}},
        {"field": "top_category_label", "headerName": _("Top category"), "width": 220},
        {"field": "median_days_to_verification", "headerName": _("Median days to verification"),
         "type": "numericColumn", "valueFormatter": dec},
    ]
    return dag.AgGrid(
        id=ids.TABLE, columnDefs=cols, rowData=[], className="ag-theme-alpine",
        defaultColDef={"sortable": True, "filter": True, "resizable": True, "width": 120},
        dashGridOptions={"animateRows": False, "pagination": True, "paginationPageSize": 50,
                         "enableCellTextSelection": True, "localeText": locale_text(lang)},
        getRowId="params.data.teryt", style={"height": "520px"},
    )


def table_card(lang: str) -> dbc.Card:
    _ = translator(lang)
    return dbc.Card([
        dbc.CardHeader(dbc.Row([
            dbc.Col(html.H2(_("District table"), id=ids.TABLE_TITLE, className="h5 mb-0"), width="auto"),
            dbc.Col([dbc.Label(_("CSV format"), html_for=ids.TABLE_CSV_FORMAT, className="visually-hidden"), dbc.InputGroup([
                dbc.Select(id=ids.TABLE_CSV_FORMAT, value=default_format(lang), options=[
                    {"label": _("Spreadsheet (Excel)"), "value": "sheet"},
                    {"label": _("Data (as the API)"), "value": "data"}], style={"maxWidth": "11rem"}),
                dbc.Button(_("Download CSV"), id=ids.TABLE_DOWNLOAD_BTN, color="primary"),
            ], size="sm")], width="auto"),
        ], className="justify-content-between align-items-center")),
        dbc.CardBody(lazy_grid(district_grid(lang)), className="p-1"),
        dcc.Download(id=ids.TABLE_DOWNLOAD),
        dcc.Store(id=ids.TABLE_COLUMNS),
        dcc.Store(id=ids.TABLE_ROW_RULES),
    ], className="mb-3")


def sensitive_grid(lang: str) -> dag.AgGrid:
    """The sensitive categories' grid (created in the browser when idle: dashboard.lazy)."""
    _ = translator(lang)
    count = {"function": f"params.data.small ? '<5' : kmzbNum(params.value, '{lang}', 0)"}
    part = {"function": f"kmzbNum(params.value, '{lang}', 0)"}
    pct = {"function": f"kmzbPct(params.value, '{lang}', 1)"}
    cols = [
        {"field": "teryt", "headerName": _("TERYT"), "pinned": "left", "width": 105},
        {"field": "name", "headerName": _("Powiat"), "pinned": "left", "width": 160},
        {"field": "quarter", "headerName": _("Quarter"), "width": 125, "sort": "desc"},
        {"field": "category_label", "headerName": _("Category"), "width": 250},
        {"field": "reports", "headerName": _("Reports"), "type": "numericColumn", "valueFormatter": count},
        {"field": "reports_per_10k", "headerName": _("Per 10,000"), "type": "numericColumn",
         "valueFormatter": {"function": f"kmzbNum(params.value, '{lang}', 1)"}},
        {"field": "confirmed", "headerName": _("Confirmed"), "type": "numericColumn", "valueFormatter": part},
        {"field": "unconfirmed", "headerName": _("Unconfirmed"), "type": "numericColumn", "valueFormatter": part},
        {"field": "pending", "headerName": _("Pending"), "type": "numericColumn", "valueFormatter": part},
        {"field": "confirmation_rate", "headerName": _("Confirmation rate"), "type": "numericColumn",
         "valueFormatter": pct},
    ]
    return dag.AgGrid(id=ids.SENSITIVE_TABLE, columnDefs=cols, rowData=[], className="ag-theme-alpine",
                      defaultColDef={"sortable": True, "filter": True, "resizable": True, "width": 110},
                      dashGridOptions={"pagination": True, "paginationPageSize": 20, "animateRows": False,
                                       "localeText": locale_text(lang)},
                      style={"height": "420px"})


def sensitive_card(lang: str, police: bool = False) -> dbc.Card:
    """The footnote behind every public total (¹) and the one table where the sensitive categories
    are published: per powiat and complete quarter, 1-4 as <5 (kmzb.query.sensitive)."""
    _ = translator(lang)
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
            *lazy_grid(sensitive_grid(lang)),
            dcc.Store(id=ids.SENSITIVE_ROWS),
        ], className="p-2"),
    ], className="mb-3", id="sensitive-card")


def page_title(lang: str) -> str:
    return translator(lang)("KMZB — threat analytics")


def build_layout(s: ViewState, *, regions: list[dict], tiles_url: str, tiles_attribution: str,
                 user: dict | None = None) -> html.Div:
    """The page: the URL and the page's language outside, everything in that language inside `ids.PAGE`,
    which a language switch re-renders in place (callbacks.language) with `page_content`."""
    return html.Div([
        dcc.Location(id=ids.URL, refresh=False),
        dcc.Store(id=ids.LANG, data=s.lang),
        dcc.Store(id=ids.TITLE, data=page_title(s.lang)),
        dcc.Store(id=ids.LANG_WANTED),
        html.Div(page_content(s, regions=regions, tiles_url=tiles_url, tiles_attribution=tiles_attribution,
                              user=user), id=ids.PAGE, lang=s.lang),
    ])


def page_content(s: ViewState, *, regions: list[dict], tiles_url: str, tiles_attribution: str,
                 user: dict | None = None) -> list:
    lang = s.lang
    _ = translator(lang)
    other = "en" if lang == "pl" else "pl"
    is_police = bool(user) and user.get("role") == "police"
    return [
        dcc.Store(id=ids.MAP_SCOPE, data=None),  # with the map: a re-rendered map is zoomed again by the views
        html.A(_("Skip to results"), href="#" + ids.RESULTS, id=ids.SKIP_LINK, className="skip-link"),
        dbc.Navbar(dbc.Container([
            html.Div([
                html.H1(_("National Map of Security Threats — analytics"), className="h4 mb-0 text-white"),
                html.Small(id=ids.FRESHNESS, className="text-white-50"),
            ]),
            html.Div([
                html.Button(_("Filters"), id=ids.FILTER_TOGGLE, type="button", className="btn btn-light btn-sm d-lg-none me-2",
                            **{"aria-controls": ids.FILTER_COLLAPSE, "aria-expanded": "false"}),
                # a plain click switches in place (callbacks.language, assets/kmzb_lang.js); the link is
                # the view in the other language, to open in a new tab or share
                html.A(other.upper(), id=ids.LANG_LINK, href=to_query(s.with_(lang=other)) or "?lang=pl",
                       className="btn btn-outline-light btn-sm", title=_("Language"), lang=other),
                html.A("API", href="/api/v1/meta", className="btn btn-link btn-sm text-white-50 ms-1",
                       title=_("Open the API")),
                police.account_nav(user, lang, "/" + to_query(s)),
            ]),
        ], fluid=True), color="dark", dark=True, className="mb-3"),
        dbc.Container(dbc.Row([
            dbc.Col(html.Aside(html.Div([
                html.Div([html.Span(_("Filters"), className="offcanvas-title h5"),
                          html.Button(type="button", id=ids.FILTER_CLOSE, className="btn-close",
                                      **{"aria-label": _("Close")})], className="offcanvas-header"),
                html.Div(filter_panel(s, lang, regions, is_police), className="offcanvas-body"),
                html.Div(html.Button(_("Show results"), id=ids.SHOW_RESULTS, type="button",
                                     className="btn btn-primary w-100"), className="filters-footer d-lg-none"),
            ], id=ids.FILTER_COLLAPSE, className="offcanvas-lg offcanvas-start filters-canvas", tabIndex="-1"),
                **{"aria-labelledby": "filters-heading"}), xs=12, lg=3, className="mb-3"),
            dbc.Col(html.Main([
                html.Div(id=ids.CHIPS, className="chips-bar mb-2", **{"aria-live": "polite"}),
                html.Div(id=ids.PERIOD_NOTE, className="text-muted small mb-2"),
                html.Div([
                    html.P(id=ids.SUMMARY, className="view-summary mb-0 me-2", **{"aria-live": "polite"}),
                    dbc.Button(_("Share this view"), id=ids.SHARE, size="sm", color="primary", outline=True,
                               title=_("Copy a link to this view"), className="flex-shrink-0"),
                    html.Span(id=ids.SHARE_MSG, role="status", className="small text-success ms-2",
                              **{"data-copied": _("Link copied"), "data-failed": _("Copy this link:")}),
                ], className="d-flex align-items-start mb-2"),
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
                    _chart(ids.CHART_TIMELINE, lang=lang), _chart(ids.CHART_CATEGORIES, 520, lang),
                    _chart(ids.CHART_RANKED, 520, lang), _chart(ids.CHART_SPEED, lang=lang),
                    _chart(ids.CHART_HEATMAP, lang=lang),
                ], className="g-3"),
                table_card(lang),
                changes_card(lang),
                sensitive_card(lang, is_police),
            ], id=ids.RESULTS, tabIndex="-1"), xs=12, lg=9),
        ]), fluid=True),
        html.Div(className="offcanvas-backdrop-kmzb"),
        html.Footer(html.Small(_("Data: KMZB nightly extract; population GUS BDL 31.12.2024; boundaries GUGiK PRG")),
                    className="text-muted mb-4 container-fluid"),
    ]


def validation_layout() -> html.Div:
    """Every component id any page may hold, for Dash's validation: the public page plus the police
    placeholders (the public page never renders those, yet their callbacks exist)."""
    page = build_layout(from_query(""), regions=[], tiles_url="", tiles_attribution="", user=None)
    grids = [district_grid("pl"), changes_grid("pl"), sensitive_grid("pl")]  # created in the browser (lazy)
    return html.Div([page, *grids, *police.placeholders()])
