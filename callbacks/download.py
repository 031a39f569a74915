"""The table's CSV: exactly the rows shown (after the grid's own filters and sort), for the same filters
as /api/v1/districts?...&compare=...; as the API's CSV ("data") or for spreadsheets ("sheet": labels in
the page's language, percentages, in Polish `;` and a decimal comma, UTF-8 with a BOM; dashboard.sheet)."""

from __future__ import annotations

from dash import Input, Output, State, dcc, no_update

from dashboard import ids
from dashboard.sheet import FORMATS, default_format, file_name, sheet_csv
from dashboard.state import from_query, map_scope
from kmzb.query import columns
from kmzb.teryt import level_of

from .views import view_filters


def shown_table(gw, search: str | None, shown_rows: list[dict] | None, audience: str = "public"):
    s = from_query(search)
    f = view_filters(gw, s)
    level, scope = map_scope(s)
    df = gw.district_table(f.replace(teryt=scope or None), level, s.compare, audience)[columns.DISTRICT_TABLE]
    if isinstance(shown_rows, list):  # (a hand-made request can send any JSON here)
        order = [r.get("teryt") for r in shown_rows if isinstance(r, dict) and isinstance(r.get("teryt"), str)]
        df = df.set_index("teryt").loc[[t for t in order if t in set(df["teryt"])]].reset_index()
    return df


def table_csv(gw, search: str | None, shown_rows: list[dict] | None, audience: str = "public",
              fmt: str = "data") -> str:
    df = shown_table(gw, search, shown_rows, audience)
    if fmt == "sheet":
        return sheet_csv(df, from_query(search).lang)
    return df.to_csv(index=False, lineterminator="\n")


def download_name(gw, search: str | None, fmt: str) -> str:
    s = from_query(search)
    f = view_filters(gw, s)
    level, _ = map_scope(s)
    region = None
    if s.teryt:
        table = gw.districts_table(level_of(s.teryt))
        names = table.loc[table["teryt"] == s.teryt, "name"]
        region = names.iloc[0] if len(names) else s.teryt
    return file_name(level, region, f.date_from, f.date_to, s.lang, fmt)


def register(app, gateway_of, audience_of) -> None:
    @app.callback(
        Output(ids.TABLE_DOWNLOAD, "data"),
        Input(ids.TABLE_DOWNLOAD_BTN, "n_clicks"),
        # the grid is created in the browser when idle (dashboard.lazy): a click before that sends no rows
        # (allow_optional), and the CSV is then the whole table in the table's order
        State(ids.URL, "search"), State(ids.TABLE, "virtualRowData", allow_optional=True),
        State(ids.TABLE_CSV_FORMAT, "value"),
        prevent_initial_call=True,
    )
    def download(n, search, shown, fmt):
        if not n:
            return no_update
        if fmt not in FORMATS:
            fmt = default_format(from_query(search).lang)
        gw = gateway_of()
        return dcc.send_string(table_csv(gw, search, shown, audience_of(), fmt), download_name(gw, search, fmt))
