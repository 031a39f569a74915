"""The fixed public table of the sensitive (hidden) categories: URL state -> rows of
/api/v1/sensitive for the view's region and dates (rows selected, never summed), and a CSV link."""

from __future__ import annotations

from urllib.parse import urlencode

from dash import Input, Output

from dashboard import ids
from dashboard.state import from_query
from kmzb.i18n import category_label, fmt_date, translator

from .views import records, view_filters

MAX_QUARTERS = 4  # the table shows at most a year of quarters; the CSV link gives every one of the dates

FIELDS = ["teryt", "name", "quarter", "category", "reports", "small", "reports_per_10k", "confirmed",
          "unconfirmed", "pending", "parts_withheld", "confirmation_rate", "ci_low", "ci_high"]


def sensitive_view(gw, search: str | None) -> dict:
    """{rows, href, note}: the table's rows for the view's region (a gmina shows its powiat) and the
    complete quarters that overlap the view's dates."""
    s = from_query(search)
    lang = s.lang
    _ = translator(lang)
    f = view_filters(gw, s)
    region = (s.teryt or "")[:4] or None
    df = gw.sensitive(region, (), f.date_from, f.date_to)
    quarters = sorted(set(df["quarter"]))
    if len(quarters) > MAX_QUARTERS:  # all of Poland over years: tens of thousands of rows (MBs) per change
        df = df[df["quarter"].isin(quarters[-MAX_QUARTERS:])]
    rows = records(df[FIELDS].assign(category_label=[category_label(c, lang) for c in df["category"]]))
    q = [("teryt", region or ""), ("from", f.date_from.isoformat() if f.date_from else ""),
         ("to", f.date_to.isoformat() if f.date_to else ""), ("format", "csv")]
    href = "/api/v1/sensitive?" + urlencode([(k, v) for k, v in q if v])
    if rows and len(quarters) > MAX_QUARTERS:
        note = _("{n} rows: the last {k} complete quarters of the chosen dates; the CSV holds all {m}").format(
            n=len(rows), k=MAX_QUARTERS, m=len(quarters))
    elif rows:
        note = _("{n} rows: complete quarters overlapping the chosen dates").format(n=len(rows))
    else:
        newest = gw.meta().get("date_to")
        note = _("No complete quarter overlaps the chosen dates (data as of {date}).").format(
            date=fmt_date(newest, lang) if newest else "–")
    return {"rows": rows, "href": href, "note": note}


def register(app, gateway_of) -> None:
    @app.callback(
        Output(ids.SENSITIVE_ROWS, "data"), Output(ids.SENSITIVE_CSV, "href"), Output(ids.SENSITIVE_NOTE, "children"),
        Input(ids.URL, "search"),
    )
    def update_sensitive(search):
        v = sensitive_view(gateway_of(), search)
        return v["rows"], v["href"], v["note"]
