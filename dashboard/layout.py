"""Page layout (no I/O)."""

from __future__ import annotations

from dash import dcc, html

from . import ids


def serve_layout():
    return html.Div([
        dcc.Location(id=ids.URL),
        html.H1("KMZB — Krajowa Mapa Zagrożeń Bezpieczeństwa"),
        html.P(id=ids.FRESHNESS),
        html.P([html.A("API: /api/v1/meta", href="/api/v1/meta")]),
    ], className="container py-3")
