"""The "What changed" card's rows: the gateway's significant changes of the view (issue 11)."""

from __future__ import annotations

import math

from dash import Input, Output

from dashboard import changes as card
from dashboard import ids
from dashboard.state import from_query, map_scope, to_query
from kmzb.i18n import category_label, fmt_dec, fmt_int, translator

from .views import view_filters

MAX_ROWS = 500


def _ratio(v: float, lang: str) -> str:
    return "∞" if not math.isfinite(v) else fmt_dec(v, lang, 2)


def changes_view(gw, search: str | None, aud: str = "public") -> tuple[list[dict], str]:
    s = from_query(search)
    _ = translator(lang := s.lang)
    f = view_filters(gw, s)
    if not (f.date_from and f.date_to):
        return [], _("Choose a period to compare.")
    level, scope = map_scope(s)
    df = gw.changes(f.replace(teryt=scope or None), level, s.compare, aud)
    labels = gw.labels()
    rows = []
    for r in df.head(MAX_ROWS).itertuples():
        link = to_query(s.with_(teryt=r.teryt, categories=(r.category,)))
        rows.append({
            "district": f"[{labels.get(r.teryt, r.name)}]({link})", "category": category_label(r.category, lang),
            "change": f"{fmt_int(r.reports_before, lang)} → {fmt_int(r.reports_after, lang)}",
            "rate_ratio": f"{_ratio(r.rate_ratio, lang)} ({_ratio(r.rr_low, lang)}–{_ratio(r.rr_high, lang)})",
            "rr": r.rate_ratio if math.isfinite(r.rate_ratio) else 1e9,
            "direction": _("rise") if r.direction == "rise" else _("fall"),
        })
    note = _("{n} significant changes").format(n=fmt_int(len(df), lang)) if len(df) else _("No significant change.")
    return rows, note


def register(app, gateway_of, audience_of) -> None:
    @app.callback(Output(card.ROWS, "data"), Output(card.NOTE, "children"), Input(ids.URL, "search"))
    def update_changes(search):
        return changes_view(gateway_of(), search, audience_of())
