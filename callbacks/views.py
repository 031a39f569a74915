"""Views: URL state -> query (through the data gateway) -> map values, KPIs, charts, table.

The functions `overview` and `charts` are plain functions of (gateway, search); the Dash
callbacks only adapt them.
"""

from __future__ import annotations

from datetime import date

import dash_bootstrap_components as dbc
import mapclassify
import numpy as np
import pandas as pd
from dash import Input, Output, State, html, no_update

from dashboard import figures, ids
from dashboard.state import ViewState, filters_for, from_query, map_scope
from kmzb.i18n import (
    category_label,
    fmt_date,
    fmt_dec,
    fmt_int,
    fmt_pct,
    fmt_signed_pct,
    translator,
)
from kmzb.query.bounds import series_range
from kmzb.query.filters import Filters
from kmzb.query.queries import previous_period

# viridis, 5 classes, light = low (colour-blind safe)
COLORS = ["#fde725", "#5ec962", "#21918c", "#3b528b", "#440154"]
NODATA = "#d9d9d9"
FEW = "#f4f4f4"
MIN_RESOLVED_MAP = 20
MIN_RESOLVED_RANK = 30


def _dates(gw) -> tuple[date | None, date | None]:
    m = gw.meta()
    lo = date.fromisoformat(m["date_from"]) if m.get("date_from") else None
    hi = date.fromisoformat(m["date_to"]) if m.get("date_to") else None
    return lo, hi


def view_filters(gw, s: ViewState) -> Filters:
    lo, hi = _dates(gw)
    return filters_for(s, lo, hi)


def interval_for(f: Filters) -> str:
    if f.date_from and f.date_to and (f.date_to - f.date_from).days <= 120:
        return "week" if (f.date_to - f.date_from).days > 21 else "day"
    return "month"


# ---------------------------------------------------------------- map values

def classify(values: np.ndarray, k: int = 5) -> tuple[np.ndarray, list[float]]:
    """Quantile classes (mapclassify) of the finite values; returns (class per value or -1, upper bounds)."""
    ok = np.isfinite(values)
    cls = np.full(len(values), -1, dtype=int)
    v = values[ok]
    if len(v) == 0:
        return cls, []
    uniq = np.unique(v)
    if len(uniq) <= k:
        bins = list(uniq)
        cls[ok] = np.searchsorted(uniq, v)
        return cls, [float(b) for b in bins]
    q = mapclassify.Quantiles(v, k=k)
    cls[ok] = q.yb
    return cls, [float(b) for b in q.bins]


def map_hideout(table: pd.DataFrame, metric: str, scope: str, selected: str, lang: str) -> tuple[dict, list]:
    """Hideout for the JS style function (values aligned with the features' index) and legend rows."""
    _ = translator(lang)
    in_scope = table["teryt"].str.startswith(scope).to_numpy() if scope else np.ones(len(table), bool)
    if metric == "rate":
        raw = table["confirmation_rate"].to_numpy(dtype=float)
        count = table["resolved"].to_numpy(dtype=float, na_value=np.nan)
        few = np.nan_to_num(count, nan=0) < MIN_RESOLVED_MAP
        shown = [None if (f or not np.isfinite(x)) else round(float(x) * 100, 1) for x, f in zip(raw, few)]
        fmt = lambda x: fmt_pct(x, lang)  # noqa: E731
    elif metric == "per10k":
        raw = table["reports_per_10k"].to_numpy(dtype=float)
        few = np.zeros(len(table), bool)
        count = table["reports"].to_numpy(dtype=float, na_value=np.nan)
        shown = [None if not np.isfinite(x) else round(float(x), 2) for x in raw]
        fmt = lambda x: fmt_dec(x, lang, 2)  # noqa: E731
    else:
        raw = table["reports"].to_numpy(dtype=float, na_value=np.nan)
        few = np.zeros(len(table), bool)
        count = table["reports"].to_numpy(dtype=float, na_value=np.nan)
        shown = [None if not np.isfinite(x) else int(x) for x in raw]
        fmt = lambda x: fmt_int(x, lang)  # noqa: E731
    values = np.where(in_scope & ~few, raw, np.nan)
    cls, bins = classify(values)
    codes = np.where(cls >= 0, cls, -1).astype(int)
    chars = np.where(~in_scope, "-", np.where(few, "x", np.where(codes >= 0, codes.astype(str), "-")))
    colors = COLORS if len(bins) >= len(COLORS) or not bins else COLORS[-len(bins):] if len(bins) > 1 else [COLORS[2]]
    label_of = (lambda v: fmt_pct(v / 100, lang)) if metric == "rate" else fmt  # noqa: E731
    memo: dict = {}  # many districts share a value: format each distinct one once
    label_val = [None if v is None else memo[v] if v in memo else memo.setdefault(v, label_of(v)) for v in shown]
    hideout = {
        "cls": "".join(chars.tolist()), "val": label_val, "n": [None if np.isnan(x) else int(x) for x in count],
        "colors": colors, "nodata": NODATA, "few": FEW, "scope": scope, "selected": selected,
        "t_metric": {"rate": _("Confirmation rate"), "per10k": _("Reports per 10,000 inhabitants"),
                     "reports": _("Reports")}[metric],
        "t_count": _("Resolved") if metric == "rate" else _("Reports"),
        "t_few": _("too few resolved reports for a stable rate"), "t_nodata": _("no data"),
    }
    legend = []
    lo = float(np.nanmin(values)) if np.isfinite(values).any() else None
    prev = lo
    for i, b in enumerate(bins):
        a_txt = fmt(prev) if prev is not None else ""
        legend.append((colors[i] if i < len(colors) else colors[-1], f"{a_txt} – {fmt(b)}"))
        prev = b
    if few.any() and metric == "rate":
        legend.append(("few", _("too few resolved reports for a stable rate") + f" (< {MIN_RESOLVED_MAP})"))
    return hideout, legend


def legend_component(legend: list, title: str) -> list:
    rows = [html.Div(html.B(title))]
    for color, text in legend:
        sw = html.Span(className="sw few") if color == "few" else html.Span(className="sw", style={"background": color})
        rows.append(html.Div([sw, text]))
    return rows


# ---------------------------------------------------------------- KPIs

def kpis(gw, f: Filters, compare: str, lang: str, audience: str = "public") -> dict:
    _ = translator(lang)
    cur = gw.totals(f, audience)
    out = {}
    out["reports"] = [fmt_int(cur["reports"], lang)]
    if audience == "public":
        out["reports"].append(html.Div(html.A(_("without the sensitive categories") + " ¹", href="#sensitive-card"),
                                       className="kpi-sub"))
    if cur["confirmation_rate"] is None:
        out["rate"] = ["–", html.Div(_("no data"), className="kpi-sub")]
    else:
        out["rate"] = [fmt_pct(cur["confirmation_rate"], lang), html.Div(
            _("95% interval {low}–{high}").format(low=fmt_pct(cur["ci_low"], lang), high=fmt_pct(cur["ci_high"], lang))
            + f" · n={fmt_int(cur['resolved'], lang)}", className="kpi-sub")]
    share = cur["pending"] / cur["reports"] if cur["reports"] else None
    out["pending"] = [fmt_int(cur["pending"], lang), html.Div(fmt_pct(share, lang), className="kpi-sub")]
    if f.date_from and f.date_to:
        pf = previous_period(f, compare)
        prev_n = gw.total_reports(pf, audience) or 0
        delta = cur["reports"] - prev_n
        pct = delta / prev_n if prev_n else None
        out["change"] = [fmt_signed_pct(pct, lang) if pct is not None else "–", html.Div(
            f"{'+' if delta >= 0 else ''}{fmt_int(delta, lang)} · " + _("vs {period}").format(
                period=f"{fmt_date(pf.date_from, lang)} – {fmt_date(pf.date_to, lang)}"), className="kpi-sub")]
    else:
        out["change"] = ["–"]
    md = cur["median_days_to_verification"]
    out["speed"] = [fmt_dec(md, lang, 1) if md is not None else "–"]
    return out


def breadcrumb(gw, s: ViewState, lang: str) -> list:
    _ = translator(lang)
    items = [("", _("Poland"))]
    t = s.teryt
    chain = [x for x in (t[:2] if t else "", t[:4] if len(t) >= 4 else "", t if len(t) == 7 else "") if x]
    labels = gw.labels()
    items += [(x, labels.get(x, x)) for x in chain]
    out = []
    for i, (teryt, label) in enumerate(items):
        if i:
            out.append(html.Span(" › ", className="text-muted"))
        if i == len(items) - 1:
            out.append(html.Strong(label))
        else:
            out.append(dbc.Button(label, id={"type": ids.CRUMB, "teryt": teryt}, color="link", size="sm"))
    return out


# ---------------------------------------------------------------- callbacks as plain functions

def overview(gw, search: str | None, aud: str = "public") -> dict:
    s = from_query(search)
    lang = s.lang
    _ = translator(lang)
    f = view_filters(gw, s)
    level, scope = map_scope(s)

    def map_and_table():
        # one query serves the map (every district of the level) and the table (those in the
        # selection; same numbers as the API with teryt=scope); memoized per data version
        table_all = gw.district_table(f.replace(teryt=None), level, s.compare, aud)
        hideout, legend = map_hideout(table_all, s.metric, scope, s.teryt, lang)
        rows = table_all[table_all["teryt"].str.startswith(scope)] if scope else table_all
        rows = rows.assign(top_category_label=rows["top_category"].map(
            lambda c: category_label(c, lang) if isinstance(c, str) else None))
        return hideout, legend, table_columns(rows)

    hideout, legend, rows = gw.cached("map_table", (f, level, s.compare, aud, s.metric, scope, s.teryt, lang),
                                      map_and_table)
    title = {"rate": _("Confirmation rate"), "per10k": _("Reports per 10,000 inhabitants"),
             "reports": _("Reports")}[s.metric]
    k = kpis(gw, f, s.compare, lang, aud)
    meta = gw.meta(aud)
    period = (f"{fmt_date(f.date_from, lang)} – {fmt_date(f.date_to, lang)}" if f.date_from and f.date_to else "")
    return {
        "geojson_url": gw.map_url(level),
        "hideout": hideout,
        "legend": legend_component(legend, title),
        "breadcrumb": breadcrumb(gw, s, lang),
        "kpis": k,
        "period": period,
        "freshness": _("Data as of {date}").format(date=fmt_date(date.fromisoformat(meta["date_to"]), lang))
        + " · " + _("{n} reports").format(n=fmt_int(meta["reports"], lang)) if meta.get("date_to") else _("no data"),
        "rows": rows,
        "scope": scope,
    }


def viewport_for(gw, search: str | None, last_scope: str | None):
    """Fly to the shown region only when it changes (filter changes keep the person's pan and zoom)."""
    _, scope = map_scope(from_query(search))
    if last_scope is not None and scope == last_scope:
        return no_update, no_update
    return {"bounds": gw.bounds(scope), "transition": "flyToBounds"}, scope


TABLE_FIELDS = ["teryt", "name", "population", "reports", "reports_per_10k", "confirmed", "resolved", "pending",
                "confirmation_rate", "ci_low", "ci_high", "change", "change_pct", "top_category_label",
                "median_days_to_verification"]


def _plain(values: list) -> list:
    """Missing values (NaN, NA, NaT) as None, for JSON."""
    return [None if (v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v)) else v
            for v in values]


def records(df: pd.DataFrame) -> list[dict]:
    """Every column of a frame as row objects for a grid (missing values as None)."""
    keys = list(df.columns)
    cols = [_plain(df[c].tolist()) for c in keys]
    return [dict(zip(keys, row)) for row in zip(*cols)]


def table_columns(df: pd.DataFrame) -> dict[str, list]:
    """The grid's rows column by column ({field: values}), only the fields it shows (the CSV comes
    from the server, in full). Field names are not repeated for each of 2,477 gminas: half the JSON
    of row objects; the browser turns them into rows (assets: window.kmzb.rows)."""
    return {c: _plain(df[c].tolist()) for c in TABLE_FIELDS if c in df.columns}


def charts(gw, search: str | None, aud: str = "public") -> dict:
    s = from_query(search)
    lang = s.lang
    f = view_filters(gw, s)
    interval = interval_for(f)
    level, scope = map_scope(s)

    def ranked():
        return gw.districts(f.replace(teryt=scope or None), level, aud).merge(
            gw.districts_table(level)[["teryt", "label"]], on="teryt", how="left")
    lo, hi = _dates(gw)
    sf = series_range(f, interval, lo, hi)[0] or f  # series cut to the data's range (not a century of months)

    def fig(name, build):
        # figures are pure functions of the data: memoized per data version like the queries
        return gw.cached("figure:" + name, (f, interval, level, scope, lang, aud), build)

    return {
        "timeline": fig("timeline", lambda: figures.timeline(gw.timeseries(sf, interval, aud), lang, interval)),
        "categories": fig("categories", lambda: figures.confirmation_by_category(gw.categories(f, aud), lang)),
        "ranked": fig("ranked", lambda: figures.ranked_districts(ranked(), lang, min_resolved=MIN_RESOLVED_RANK)),
        "speed": fig("speed", lambda: figures.verification_speed(gw.verification_speed(sf, interval, aud), lang)),
        "heatmap": fig("heatmap", lambda: figures.week_heatmap(gw.week_heatmap(f, aud), lang)),
    }


def register(app, gateway_of, audience_of) -> None:
    # One callback for everything a view change redraws: the map, KPIs, charts, table and the
    # viewport come from the same aggregates (memoized per request by the gateway), so one request
    # computes each of them once; separate callbacks would each recompute the shared ones.
    @app.callback(
        Output(ids.GEOJSON, "url"), Output(ids.GEOJSON, "hideout"), Output(ids.LEGEND, "children"),
        Output(ids.BREADCRUMB, "children"),
        Output(ids.KPI_REPORTS, "children"), Output(ids.KPI_RATE, "children"), Output(ids.KPI_PENDING, "children"),
        Output(ids.KPI_CHANGE, "children"), Output(ids.KPI_SPEED, "children"),
        Output(ids.PERIOD_NOTE, "children"), Output(ids.FRESHNESS, "children"), Output(ids.TABLE_COLUMNS, "data"),
        Output(ids.CHART_TIMELINE, "figure"), Output(ids.CHART_CATEGORIES, "figure"),
        Output(ids.CHART_RANKED, "figure"), Output(ids.CHART_SPEED, "figure"), Output(ids.CHART_HEATMAP, "figure"),
        Output(ids.MAP, "viewport"), Output(ids.MAP_SCOPE, "data"),
        Input(ids.URL, "search"), State(ids.MAP_SCOPE, "data"),
    )
    def update_views(search, last_scope):
        gw = gateway_of()
        aud = audience_of()
        o = overview(gw, search, aud)
        c = charts(gw, search, aud)
        viewport, scope = viewport_for(gw, search, last_scope)
        k = o["kpis"]
        return (o["geojson_url"], o["hideout"], o["legend"], o["breadcrumb"], k["reports"], k["rate"], k["pending"],
                k["change"], k["speed"], o["period"], o["freshness"], o["rows"],
                c["timeline"], c["categories"], c["ranked"], c["speed"], c["heatmap"], viewport, scope)
