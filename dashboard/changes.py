"""The "What changed" card: the significant rises and falls per district and category (issue 11).
Layout only; the rows come from callbacks.changes (kmzb.query.changes through the gateway)."""

from __future__ import annotations

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import dcc, html

from kmzb.i18n import translator

from .lazy import lazy_grid

GRID = "changes-grid"
ROWS = "changes-rows"  # the grid's rows, handed to it in the browser (callbacks.register_callbacks)
NOTE = "changes-note"


def changes_grid(lang: str) -> dag.AgGrid:
    """The grid (created in the browser when idle: dashboard.lazy)."""
    _ = translator(lang)
    cols = [
        {"field": "district", "headerName": _("District"), "cellRenderer": "markdown", "minWidth": 180, "flex": 2},
        {"field": "category", "headerName": _("Category"), "minWidth": 160, "flex": 2},
        {"field": "change", "headerName": _("Before → after"), "minWidth": 120, "flex": 1},
        {"field": "rate_ratio", "headerName": _("Rate ratio (95% interval)"), "minWidth": 160, "flex": 1,
         "comparator": {"function": "(a, b, na, nb) => na.data.rr - nb.data.rr"}},
        {"field": "direction", "headerName": _("Direction"), "minWidth": 90, "flex": 1},
    ]
    return dag.AgGrid(id=GRID, columnDefs=cols, rowData=[], defaultColDef={"sortable": True, "resizable": True},
                      dashGridOptions={"domLayout": "normal"}, style={"height": "320px"}, className="ag-theme-alpine")


def changes_card(lang: str) -> dbc.Card:
    _ = translator(lang)
    return dbc.Card([
        dbc.CardHeader(html.H2(_("What changed"), className="h5 mb-0")),
        dbc.CardBody([
            html.P(_("Significant rises and falls against the comparison period, per district and category: "
                     "two Poisson counts compared exactly, with the false discovery rate held at 5% across "
                     "every district and category shown."), className="small text-muted mb-1"),
            html.Div(id=NOTE, className="small mb-1"),
            *lazy_grid(changes_grid(lang)),
            dcc.Store(id=ROWS),
        ], className="p-2"),
    ], className="mb-3", id="changes-card")
