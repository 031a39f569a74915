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
    for c in s.categories:
        out.append((f"{_('Category')}: {category_label(c, lang)}",
                    to_query(s.with_(categories=tuple(x for x in s.categories if x != c)))))
    for o in s.outcomes:
        out.append((f"{_('Outcome')}: {outcome_label(o, lang)}",
                    to_query(s.with_(outcomes=tuple(x for x in s.outcomes if x != o)))))
    for st in s.statuses:
        out.append((f"{_('Status')}: {status_label(st, lang)}",
                    to_query(s.with_(statuses=tuple(x for x in s.statuses if x != st)))))
    for src in s.sources:
        out.append((f"{_('Channel')}: {source_label(src, lang)}",
                    to_query(s.with_(sources=tuple(x for x in s.sources if x != src)))))
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
