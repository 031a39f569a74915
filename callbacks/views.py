"""Views: URL state -> query (through the data gateway) -> map values, KPIs, charts, table.

The functions `overview` and `charts` are plain functions of (gateway, search); the Dash
callbacks only adapt them.
"""

from __future__ import annotations

from datetime import date

import dash_bootstrap_components as dbc
import numpy as np
import pandas as pd
from dash import Input, Output, State, html, no_update

from dashboard import figures, ids, summary
from dashboard import smallarea as smallarea_view
from dashboard.state import ViewState, filters_for, from_query, map_scope
from kmzb import timing
from kmzb.i18n import (
    category_label,
    fmt_date,
    fmt_dec,
    fmt_int,
    fmt_pct,
    fmt_signed_pct,
    translator,
)
from kmzb.query import queries
from kmzb.query.bounds import series_range
from kmzb.query.filters import Filters
from kmzb.query.queries import previous_period
from kmzb.stats import quantile_classes
from kmzb.teryt import level_of

from . import alternatives

# viridis, 5 classes, light = low (colour-blind safe)
COLORS = ["#fde725", "#5ec962", "#21918c", "#3b528b", "#440154"]
NODATA = "#d9d9d9"
ZERO = "#fbf6d9"  # no reports: paler than the palette's lightest class
FEW = "#f4f4f4"
MIN_RESOLVED_MAP = 20
MIN_RESOLVED_RANK = 30
FOCUSABLE_DISTRICTS = 60  # more than this on the map: the district table is the keyboard's way in


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

def classify(values: np.ndarray, k: int = 5, zero_class: bool = False) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """Quantile classes (kmzb.stats.quantile_classes, mapclassify's) of the finite values: (class per
    value or -1, [(lowest, highest) value actually in each class]). Classes never overlap and none is empty; with k or fewer distinct
    values each is its own class. With `zero_class`, zeros (no reports) are class 0 of their own."""
    ok = np.isfinite(values)
    cls = np.full(len(values), -1, dtype=int)
    ranges: list[tuple[float, float]] = []
    if zero_class and (ok & (values == 0)).any():
        cls[ok & (values == 0)] = 0
        ranges.append((0.0, 0.0))
        ok = ok & (values != 0)
    v = values[ok]
    if len(v) == 0:
        return cls, ranges
    uniq = np.unique(v)
    raw = np.searchsorted(uniq, v) if len(uniq) <= k else quantile_classes(v, k)
    present, dense = np.unique(raw, return_inverse=True)  # ties can leave a quantile class empty
    cls[ok] = dense + len(ranges)
    for i in range(len(present)):
        member = v[dense == i]
        ranges.append((float(member.min()), float(member.max())))
    return cls, ranges


def class_colors(n: int, zero: bool) -> list[str]:
    """Colours for n classes, spread over the palette (light = low); a zero class gets ZERO."""
    m = n - int(zero)
    spread = [COLORS[2]] if m == 1 else [COLORS[round(i * (len(COLORS) - 1) / (m - 1))] for i in range(m)]
    return ([ZERO] if zero else []) + (spread if m > 0 else [])


def legend_rows(ranges: list[tuple[float, float]], colors: list[str], fmt, lang: str, zero: bool) -> list:
    """Legend rows (colour, text): one value where a class holds one ("260"), else "low – high"."""
    _ = translator(lang)
    if not ranges:
        return [(NODATA, _("no data for these filters"))]
    rows = []
    for (lo, hi), color in zip(ranges, colors):
        a, b = fmt(lo), fmt(hi)
        rows.append((color, a if a == b else f"{a} – {b}"))
    if zero and len(ranges) == 1:
        rows[0] = (rows[0][0], rows[0][1] + " · " + _("no reports match these filters"))
    return rows


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
    elif metric == "hotspots":  # issue 11: classes, not values (dashboard.smallarea)
        chars, label_val, colors, legend = smallarea_view.hotspot_hideout(table, in_scope, lang)
        return {"cls": chars, "val": label_val, "n": table["reports"].tolist(), "colors": colors,
                "nodata": NODATA, "few": FEW, "scope": scope, "selected": selected,
                "shown": int(in_scope.sum()), "focusable": FOCUSABLE_DISTRICTS,
                "context": scope[:2] if len(scope) >= 4 else "", "t_metric": _("Hot spots of reports"),
                "t_count": _("Reports"), "t_few": "", "t_nodata": _("no data")}, legend
    elif metric == "smoothed":  # issue 11: empirical Bayes rate per 10,000
        raw = table.get("reports_per_10k_smoothed", table["reports_per_10k"]).to_numpy(dtype=float)
        few = np.zeros(len(table), bool)
        count = table["reports"].to_numpy(dtype=float, na_value=np.nan)
        shown = [None if not np.isfinite(x) else round(float(x), 2) for x in raw]
        fmt = lambda x: fmt_dec(x, lang, 2)  # noqa: E731
    elif metric == "per10k":
        raw = table["reports_per_10k"].to_numpy(dtype=float)
        few = table["unstable"].to_numpy(dtype=bool) if "unstable" in table else np.zeros(len(table), bool)
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
    zero = metric != "rate" and bool((np.isfinite(values) & (values == 0)).any())
    cls, ranges = classify(values, zero_class=metric != "rate")
    codes = np.where(cls >= 0, cls, -1).astype(int)
    chars = np.where(~in_scope, "-", np.where(few, "x", np.where(codes >= 0, codes.astype(str), "-")))
    colors = class_colors(len(ranges), zero)
    label_of = (lambda v: fmt_pct(v / 100, lang)) if metric == "rate" else fmt  # noqa: E731
    memo: dict = {}  # many districts share a value: format each distinct one once
    label_val = [None if v is None else memo[v] if v in memo else memo.setdefault(v, label_of(v)) for v in shown]
    hideout = {
        "cls": "".join(chars.tolist()), "val": label_val, "n": [None if np.isnan(x) else int(x) for x in count],
        "colors": colors, "nodata": NODATA, "few": FEW, "scope": scope, "selected": selected,
        # districts in the shown region; up to FOCUSABLE_DISTRICTS each is a keyboard stop (assets/kmzb_map.js)
        "shown": int(in_scope.sum()), "focusable": FOCUSABLE_DISTRICTS,
        # the neighbours drawn faintly around the shown region (a gmina is never drawn alone)
        "context": scope[:2] if len(scope) >= 4 else "",
        "t_metric": {"rate": _("Confirmation rate"), "per10k": _("Reports per 10,000 inhabitants"),
                     "smoothed": _("Reports per 10,000 (smoothed)"), "reports": _("Reports")}[metric],
        "t_count": _("Resolved") if metric == "rate" else _("Reports"),
        "t_few": _("too few resolved reports for a stable rate") if metric == "rate"
        else _("fewer than 20 reports: unstable rate"), "t_nodata": _("no data"),
    }
    legend = legend_rows(ranges, colors, fmt, lang, zero)
    if few.any() and metric == "rate":
        legend.append(("few", _("too few resolved reports for a stable rate") + f" (< {MIN_RESOLVED_MAP})"))
    if few.any() and metric == "per10k":
        legend.append(("few", _("fewer than 20 reports: unstable rate")))
    return hideout, legend


def legend_component(legend: list, title: str) -> list:
    rows = [html.Div(html.B(title))]
    for color, text in legend:
        if color == "note":  # a metric's one-line explanation (dashboard.smallarea)
            rows.append(html.Div(text, className="legend-note"))
            continue
        sw = html.Span(className="sw few") if color == "few" else html.Span(className="sw", style={"background": color})
        rows.append(html.Div([sw, text]))
    return rows


# ---------------------------------------------------------------- KPIs

def kpis(gw, f: Filters, compare: str, lang: str, audience: str = "public") -> dict:
    _ = translator(lang)
    cur = gw.totals(f, audience)
    history = history_start(gw)
    out = {}
    out["reports"] = [fmt_int(cur["reports"], lang)]
    if audience == "public":
        out["reports"].append(html.Div(html.A(_("without the sensitive categories") + " ¹", href="#sensitive-card"),
                                       className="kpi-sub"))
    if cur["confirmation_rate"] is None:
        out["rate"] = ["–", html.Div(_("no data"), className="kpi-sub")]
    elif cur["resolved"] < MIN_RESOLVED_MAP:  # the map's and charts' rule: no headline rate from a handful
        out["rate"] = ["–", html.Div(_("too few resolved reports for a stable rate")
                                     + f" (n={fmt_int(cur['resolved'], lang)} < {MIN_RESOLVED_MAP})",
                                     className="kpi-sub")]
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
    if md is None:
        out["speed"].append(html.Div(speed_gap_reason(f, history, lang), className="kpi-sub"))
    out["numbers"] = {"reports": cur["reports"], "previous": prev_n if f.date_from and f.date_to else None,
                      "previous_from": pf.date_from if f.date_from and f.date_to else None,
                      "previous_to": pf.date_to if f.date_from and f.date_to else None}
    return out


def no_kpis(lang: str) -> dict:
    """The KPIs when no category is chosen: nothing counted."""
    _ = translator(lang)
    return {"reports": [fmt_int(0, lang)], "rate": ["–", html.Div(_("no data"), className="kpi-sub")],
            "pending": [fmt_int(0, lang)], "change": ["–"], "speed": ["–"], "numbers": {}}


def summary_of(gw, s: ViewState, f: Filters, k: dict, aud: str) -> str:
    """The plain-language sentence of the view, from the KPIs' numbers (public ones for the public)."""
    n = k.get("numbers") or {}
    lang = s.lang
    if s.no_categories or "reports" not in n:
        return summary.sentence(summary.SummaryNumbers(s.preset, f.date_from, f.date_to, 0, no_categories=True),
                                lang)
    pop_pl = float(gw.districts_table("voivodeship")["population"].sum())
    place, per10k, pl_per10k = "", None, None
    if s.teryt:
        table = gw.districts_table(level_of(s.teryt))
        row = table[table["teryt"] == s.teryt]
        place = gw.labels().get(s.teryt, s.teryt)
        pop = float(row["population"].iloc[0]) if len(row) else 0.0
        per10k = n["reports"] / pop * 10_000 if pop > 0 else None
        pl_reports = gw.totals(f.replace(teryt=None), aud)["reports"]
        pl_per10k = pl_reports / pop_pl * 10_000 if pop_pl > 0 else None
    elif pop_pl > 0:
        per10k = n["reports"] / pop_pl * 10_000
    return summary.sentence(summary.SummaryNumbers(
        preset=s.preset, date_from=f.date_from, date_to=f.date_to, reports=int(n["reports"]), place=place,
        categories=tuple(f.categories), compare=s.compare, previous=n.get("previous"),
        previous_from=n.get("previous_from"), previous_to=n.get("previous_to"), per10k=per10k,
        poland_per10k=pl_per10k), lang)


def speed_gap_reason(f: Filters, history: date | None, lang: str) -> str:
    """Why there is no verification time: the period lies before the store started watching
    statuses (kmzb.query.queries.history_from), or nothing in it was verified yet."""
    if history is not None and (f.date_to is None or f.date_to < history):
        return history_note(history, lang)
    return translator(lang)("no report verified yet in this period")


def history_note(history: date, lang: str) -> str:
    return translator(lang)("verification times are known only for reports created since {date}").format(
        date=fmt_date(history, lang))


def history_start(gw) -> date | None:
    """The first day whose reports have a known verification time (queries.history_from)."""
    def read():
        h = queries.history_from(gw.cursor()[0])
        return date.fromisoformat(str(h)[:10]) if h else None
    return gw.cached("history_from", (), read)


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
            if teryt:  # a district is selected: its profile / debate pack (web.profile)
                out.append(html.A(_("Profile / debate pack"), href=f"/profile/{teryt}?lang={lang}",
                                  id="profile-link", className="btn btn-sm btn-outline-primary ms-2"))
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
        labels = {c: category_label(c, lang) for c in rows["top_category"].dropna().unique()}
        rows = rows.assign(top_category_label=rows["top_category"].map(labels))
        return hideout, legend, table_columns(rows)

    def nothing():  # "None" pressed: every district has no report, the table no row
        zeros = gw.districts_table(level)[["teryt", "name", "population"]].assign(
            reports=0, resolved=0, confirmation_rate=np.nan, reports_per_10k=0.0)
        hideout, legend = map_hideout(zeros, s.metric, scope, s.teryt, lang)
        return hideout, legend, {c: [] for c in TABLE_FIELDS}

    hideout, legend, rows = gw.cached("view:map_table", (f, level, s.compare, aud, s.metric, scope, s.teryt, lang,
                                                    s.no_categories),
                                      nothing if s.no_categories else map_and_table)
    title = {"rate": _("Confirmation rate"), "per10k": _("Reports per 10,000 inhabitants"),
             "smoothed": _("Reports per 10,000 (smoothed)"), "hotspots": _("Hot spots of reports"),
             "reports": _("Reports")}[s.metric]
    note = smallarea_view.explanation(s.metric, lang)
    legend = legend + [("note", note)] if note else legend
    k = no_kpis(lang) if s.no_categories else kpis(gw, f, s.compare, lang, aud)
    meta = gw.meta(aud)
    period = (f"{fmt_date(f.date_from, lang)} – {fmt_date(f.date_to, lang)}" if f.date_from and f.date_to else "")
    return {
        "summary": summary_of(gw, s, f, k, aud),
        "row_rules": {"kmzb-selected-row": f"params.data.teryt === '{s.teryt}'"} if s.teryt else {},
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


TABLE_FIELDS = ["teryt", "name", "population", "reports", "reports_per_10k", "reports_per_10k_smoothed", "unstable",
                "confirmed", "resolved", "pending",
                "confirmation_rate", "ci_low", "ci_high", "change", "change_pct", "top_category_label",
                "median_days_to_verification"]


def _plain(column: pd.Series) -> list:
    """A column's values as Python objects for JSON, missing ones (NaN, NA, NaT) as None."""
    values = column.tolist()
    for i in np.flatnonzero(column.isna().to_numpy()):
        values[i] = None
    return values


def records(df: pd.DataFrame) -> list[dict]:
    """Every column of a frame as row objects for a grid (missing values as None)."""
    keys = list(df.columns)
    cols = [_plain(df[c]) for c in keys]
    return [dict(zip(keys, row)) for row in zip(*cols)]


def table_columns(df: pd.DataFrame) -> dict[str, list]:
    """The grid's rows column by column ({field: values}), only the fields it shows (the CSV comes
    from the server, in full). Field names are not repeated for each of 2,477 gminas: half the JSON
    of row objects; the browser turns them into rows (assets: window.kmzb.rows)."""
    return {c: _plain(df[c]) for c in TABLE_FIELDS if c in df.columns}


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

    if s.no_categories:  # "None" pressed: every chart says nothing matches
        none = pd.DataFrame()
        return {"timeline": figures.timeline(none, lang), "categories": figures.confirmation_by_category(none, lang),
                "ranked": figures.ranked_districts(none, lang, min_resolved=MIN_RESOLVED_RANK),
                "speed": figures.verification_speed(none, lang), "heatmap": figures.week_heatmap(none, lang)}

    history = history_start(gw)
    gap = history_note(history, lang) if history and sf.date_from and sf.date_from < history else None
    return {
        "timeline": fig("timeline", lambda: figures.timeline(gw.timeseries(sf, interval, aud), lang, interval,
                                                             sf.date_from, sf.date_to)),
        "categories": fig("categories", lambda: figures.confirmation_by_category(gw.categories(f, aud), lang)),
        "ranked": fig("ranked", lambda: figures.ranked_districts(ranked(), lang, min_resolved=MIN_RESOLVED_RANK,
                                                                 selected=s.teryt)),
        "speed": fig("speed", lambda: figures.verification_speed(gw.verification_speed(sf, interval, aud), lang,
                                                                 interval, date_from=sf.date_from,
                                                                 date_to=sf.date_to, gap_note=gap)),
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
        Output(ids.SUMMARY, "children"), Output(ids.TABLE_ROW_RULES, "data"),
        *alternatives.OUTPUTS,  # chart tables, "show results (N)", filter chips
        Input(ids.URL, "search"), State(ids.MAP_SCOPE, "data"),
    )
    def update_views(search, last_scope):
        with timing.stage("callback"):
            return _update_views(search, last_scope)

    def _update_views(search, last_scope):
        gw = gateway_of()
        aud = audience_of()
        out = view_outputs(gw, search, aud)
        viewport, scope = viewport_for(gw, search, last_scope)
        return out[:VIEWPORT_AT] + (viewport, scope) + out[VIEWPORT_AT:]


VIEWPORT_AT = 17  # the views callback's outputs: viewport and map scope come after the five charts


def view_outputs(gw, search: str | None, aud: str = "public") -> tuple:
    """Every output of the views callback but the viewport: a pure function of the data version, the URL
    and the audience, memoized as a whole like the figures (a view seen before costs its lookup)."""
    def build():
        o = overview(gw, search, aud)
        c = charts(gw, search, aud)
        k = o["kpis"]
        return (o["geojson_url"], o["hideout"], o["legend"], o["breadcrumb"], k["reports"], k["rate"], k["pending"],
                k["change"], k["speed"], o["period"], o["freshness"], o["rows"],
                c["timeline"], c["categories"], c["ranked"], c["speed"], c["heatmap"],
                o["summary"], o["row_rules"]) + alternatives.values(
                    gw, search, aud, alternatives.ViewHelpers(view_filters, interval_for, _dates, MIN_RESOLVED_RANK))
    return gw.cached("view:outputs", (search or "", aud), build)
