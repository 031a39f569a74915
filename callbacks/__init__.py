"""Dash callbacks: parse -> query (through the data gateway) -> figure."""

from __future__ import annotations

from dash import Input, Output
from flask import current_app

from dashboard import ids


def freshness_text(meta: dict) -> str:
    if not meta.get("data_version"):
        return "Brak danych"
    return (f"Dane na dzień {meta['date_to']} · {meta['reports']:,} zgłoszeń · wersja {meta['data_version']}"
            .replace(",", " "))


def register_callbacks(app) -> None:
    @app.callback(Output(ids.FRESHNESS, "children"), Input(ids.URL, "pathname"))
    def update_freshness(_path):
        return freshness_text(current_app.extensions["kmzb_gateway"].meta())
