"""What the view callback also fills for keyboard, screen-reader and phone users: each chart's
numbers as a table (from the same gateway frames as the figures), the filter chips, and the
count on the phone's "show results" button (the reports KPI's number)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from dash import Output

from dashboard import chips, ids, tables
from dashboard.state import from_query, map_scope
from kmzb.i18n import fmt_int, translator
from kmzb.query.bounds import series_range

CHARTS = (ids.CHART_TIMELINE, ids.CHART_CATEGORIES, ids.CHART_RANKED, ids.CHART_SPEED, ids.CHART_HEATMAP)
OUTPUTS = [*(Output(c + ids.CHART_TABLE_SUFFIX, "children") for c in CHARTS),
           Output(ids.SHOW_RESULTS, "children"), Output(ids.CHIPS, "children")]


def chart_tables(gw, search: str | None, aud: str, v) -> dict:
    """{chart id: table data} from the frames callbacks.views.charts draws (the same gateway calls,
    memoized per request and data version). `v`: the view helpers of callbacks.views (passed in,
    since views imports this module)."""
    view_filters, interval_for, _dates, MIN_RESOLVED_RANK = v.view_filters, v.interval_for, v.dates, v.min_resolved
    s = from_query(search)
    lang = s.lang
    f = view_filters(gw, s)
    interval = interval_for(f)
    level, scope = map_scope(s)
    if s.no_categories:
        return {c: tables._table("", [], []) for c in CHARTS}
    lo, hi = _dates(gw)
    sf = series_range(f, interval, lo, hi)[0] or f

    def build():
        ranked = gw.districts(f.replace(teryt=scope or None), level, aud).merge(
            gw.districts_table(level)[["teryt", "label"]], on="teryt", how="left")
        return {
            ids.CHART_TIMELINE: tables.timeline(gw.timeseries(sf, interval, aud), lang, interval),
            ids.CHART_CATEGORIES: tables.categories(gw.categories(f, aud), lang),
            ids.CHART_RANKED: tables.ranked(ranked, lang, MIN_RESOLVED_RANK),
            ids.CHART_SPEED: tables.speed(gw.verification_speed(sf, interval, aud), lang, interval),
            ids.CHART_HEATMAP: tables.heatmap(gw.week_heatmap(f, aud), lang),
        }

    return gw.cached("chart_tables", (f, interval, level, scope, lang, aud), build)


@dataclass(frozen=True)
class ViewHelpers:
    view_filters: Callable
    interval_for: Callable
    dates: Callable
    min_resolved: int


def values(gw, search: str | None, aud: str, v: ViewHelpers) -> tuple:
    s = from_query(search)
    lang = s.lang
    _ = translator(lang)
    t = chart_tables(gw, search, aud, v)
    n = 0 if s.no_categories else gw.totals(v.view_filters(gw, s), aud)["reports"]  # the reports KPI's number
    return (*(tables.render(t[c], lang) for c in CHARTS),
            _("Show results ({n})").format(n=fmt_int(n, lang)),
            chips.filter_chips(s, lang, gw.labels()))
