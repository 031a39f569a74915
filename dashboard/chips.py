"""The chosen filters as chips above the results (no I/O): each says its filter in words and is a
link to the same view without it (the query string is the state: dcc.Link changes it, the sync
callback sets the controls from it, back / forward work)."""

from __future__ import annotations

from dash import dcc, html

from kmzb.i18n import (
    category_label,
    outcome_label,
    source_label,
    status_label,
    translator,
)

from . import ids
from .state import DEFAULT_PRESET, ViewState, to_query


def chip_items(s: ViewState, lang: str, labels: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """(text, query string of the view without this filter) for each chosen filter."""
    _ = translator(lang)
    labels = labels or {}
    out: list[tuple[str, str]] = []
    presets = {"7d": _("Last 7 days"), "30d": _("Last 30 days"), "90d": _("Last 90 days"), "ytd": _("This year"),
               "last_year": _("Last year"), "all": _("Everything")}
    if s.preset == "custom" and (s.date_from or s.date_to):
        out.append((f"{_('Date range')}: {s.date_from or '…'} – {s.date_to or '…'}",
                    to_query(s.with_(preset=DEFAULT_PRESET, date_from="", date_to=""))))
    elif s.preset != DEFAULT_PRESET and s.preset in presets:
        out.append((f"{_('Date range')}: {presets[s.preset]}", to_query(s.with_(preset=DEFAULT_PRESET))))
    if s.teryt:
        out.append((f"{_('Region')}: {labels.get(s.teryt, s.teryt)}", to_query(s.with_(teryt=""))))
    if s.no_categories:
        out.append((f"{_('Categories')}: {_('None')}", to_query(s.with_(no_categories=False))))
    for field, title, label in (("categories", _("Category"), category_label), ("outcomes", _("Outcome"), outcome_label),
                                ("statuses", _("Status"), status_label), ("sources", _("Channel"), source_label)):
        chosen = getattr(s, field)
        for v in chosen:
            out.append((f"{title}: {label(v, lang)}",
                        to_query(s.with_(**{field: tuple(x for x in chosen if x != v)}))))
    return out


def filter_chips(s: ViewState, lang: str, labels: dict[str, str] | None = None) -> list:
    _ = translator(lang)
    items = chip_items(s, lang, labels)
    if not items:
        return []
    return [html.Span(_("Chosen filters:"), className="small text-muted me-1", id=ids.CHIPS + "-label"),
            html.Ul([html.Li(dcc.Link([html.Span(_("Remove filter:") + " ", className="visually-hidden"),
                                       html.Span(text), html.Span(" ×", className="chip-x", **{"aria-hidden": "true"})],
                                      href="/" + (q or "?lang=" + lang), className="chip",
                                      title=_("Remove filter:") + " " + text))
                     for text, q in items], className="chips list-unstyled d-inline",
                    **{"aria-labelledby": ids.CHIPS + "-label"})]
