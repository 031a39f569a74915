"""Dash callbacks: parse -> query (through the data gateway) -> figure."""

from __future__ import annotations

from datetime import date

from dash import Input, Output, State
from flask import current_app

from dashboard import ids
from web.context import audience, gateway

from . import download, language, sensitive, sync, views


def data_range():
    m = gateway().meta()
    lo = date.fromisoformat(m["date_from"]) if m.get("date_from") else None
    hi = date.fromisoformat(m["date_to"]) if m.get("date_to") else None
    return lo, hi


def register_callbacks(app) -> None:
    sync.register(app, data_range)
    sync.register_region_search(app, lambda: current_app.extensions["kmzb_regions"]())
    from web.pages import page_for

    language.register(app, page_for)  # the language switch re-renders the page in place
    views.register(app, gateway, audience)
    download.register(app, gateway, audience)
    from . import changes

    changes.register(app, gateway, audience)  # issue 11: "What changed"
    sensitive.register(app, gateway)
    from . import police

    police.register(app, gateway)  # checks audience() == "police" on the server
    # the three grids are created in the browser when it is quiet after the views' first answer (the map,
    # the charts and the table's data come in it), or when scrolled near (dashboard.lazy, assets/kmzb_map.js
    # lazyGrid); a grid gets its rows as it appears, and then with each new view
    from dashboard import changes as changes_card
    from dashboard.lazy import holder_id, spec_id

    for grid in (ids.TABLE, changes_card.GRID, ids.SENSITIVE_TABLE):
        app.clientside_callback("function(views, spec){ return window.kmzb.lazyGrid(views, spec); }",
                                Output(holder_id(grid), "children"), Input(ids.TABLE_COLUMNS, "data"),
                                State(spec_id(grid), "data"))
    app.clientside_callback(
        "function(cols, rules){ return [window.kmzb.rows(cols), rules || {}]; }",
        Output(ids.TABLE, "rowData"), Output(ids.TABLE, "rowClassRules"),
        Input(ids.TABLE_COLUMNS, "data"), Input(ids.TABLE_ROW_RULES, "data"),
    )
    for grid, data in ((changes_card.GRID, changes_card.ROWS), (ids.SENSITIVE_TABLE, ids.SENSITIVE_ROWS)):
        app.clientside_callback("function(rows){ return rows || []; }", Output(grid, "rowData"), Input(data, "data"))
    # the filters' off-canvas panel on a phone opens and closes in assets/kmzb_a11y.js
