"""The table's CSV: exactly the rows shown (after the grid's own filters and sort), with the
same columns and values as /api/v1/districts?...&compare=... for the same filters."""

from __future__ import annotations

from dash import Input, Output, State, dcc, no_update

from dashboard import ids
from dashboard.state import from_query, map_scope
from kmzb.query import columns

from .views import view_filters


def table_csv(gw, search: str | None, shown_rows: list[dict] | None, audience: str = "public") -> str:
    s = from_query(search)
    f = view_filters(gw, s)
    level, scope = map_scope(s)
    df = gw.district_table(f.replace(teryt=scope or None), level, s.compare, audience)[columns.DISTRICT_TABLE]
    if isinstance(shown_rows, list):  # (a hand-made request can send any JSON here)
        order = [r.get("teryt") for r in shown_rows if isinstance(r, dict) and isinstance(r.get("teryt"), str)]
        df = df.set_index("teryt").loc[[t for t in order if t in set(df["teryt"])]].reset_index()
    return df.to_csv(index=False, lineterminator="\n")


def register(app, gateway_of, audience_of) -> None:
    @app.callback(
        Output(ids.TABLE_DOWNLOAD, "data"),
        Input(ids.TABLE_DOWNLOAD_BTN, "n_clicks"),
        State(ids.URL, "search"), State(ids.TABLE, "virtualRowData"),
        prevent_initial_call=True,
    )
    def download(n, search, shown):
        if not n:
            return no_update
        s = from_query(search)
        level, _ = map_scope(s)
        return dcc.send_string(table_csv(gateway_of(), search, shown, audience_of()), f"kmzb_districts_{level}.csv")
