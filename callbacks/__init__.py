"""Dash callbacks: parse -> query (through the data gateway) -> figure."""

from __future__ import annotations

from datetime import date

from dash import Input, Output
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
    app.clientside_callback(
        "function(cols){ return window.kmzb.rows(cols); }",
        Output(ids.TABLE, "rowData"),
        Input(ids.TABLE_COLUMNS, "data"),
    )
    # the filters' off-canvas panel on a phone opens and closes in assets/kmzb_a11y.js
