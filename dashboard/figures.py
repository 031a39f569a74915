"""Figures: pure functions (DataFrame, lang) -> a plotly figure as a plain dict. No Dash, no I/O.

The dicts are what plotly.js reads ({"data": [...], "layout": {...}}), built directly: graph
objects validate every property on construction, which cost ~12 ms a figure (five figures on
every filter change). `go.Figure(d)` accepts each of them, which the tests use to check them
against plotly's schema.

The DataFrames are the ones of kmzb.query.queries. Rates are fractions 0..1 shown as percentages,
always with their 95% Wilson interval. Every text goes through the catalogues (kmzb.i18n).
Empty input (no rows, or all counts zero) gives a figure that says so instead of raising.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from kmzb import reference
from kmzb.i18n import (
    category_label,
    day_label,
    fmt_date,
    fmt_int,
    fmt_month,
    fmt_pct,
    fmt_short_date,
    normalise_lang,
    t,
    time_label,
    translator,
)

# Okabe–Ito, safe for the common colour-vision deficiencies
BLACK, ORANGE, SKY, GREEN, YELLOW, BLUE, VERMILLION, PURPLE = (
    "#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7")
GREY = "#999999"
HEATMAP_SCALE = "Viridis"  # sequential, perceptually uniform, colour-blind safe (reversed: light = few)
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
SEPARATORS = {"pl": ", ", "en": ".,"}  # d3: decimal mark, then thousands separator
LABEL_CHARS = 34  # longer category / district names are shortened on the axis (full name in hover)
EMPTY = "empty"  # name of the "Nothing matches" annotation

PNG_CONFIG = {
    "displaylogo": False,  # no Plotly logo
    "showSendToCloud": False, "showEditInChartStudio": False,  # nothing leaves for Plotly's cloud
    "toImageButtonOptions": {"format": "png", "scale": 2, "filename": "kmzb-chart"},
    "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d", "toggleSpikelines",
                               "hoverClosestCartesian", "hoverCompareCartesian", "zoomIn2d", "zoomOut2d",
                               "sendDataToCloud", "editInChartStudio"],
}


def png_config(filename: str, lang: str = "pl") -> dict:
    """PNG_CONFIG with its own download file name (without extension) and the toolbar's language
    (plotly's "pl" locale is assets/plotly-locale-pl.js)."""
    return {**PNG_CONFIG, "locale": "pl" if normalise_lang(lang) == "pl" else "en",
            "toImageButtonOptions": {**PNG_CONFIG["toImageButtonOptions"], "filename": filename}}


# ---------------------------------------------------------------- shared helpers

# The house style is a template on top of plotly_white, made the process default: setting
# these properties on every figure (or passing template=) re-validates them, ~9 ms a figure;
# a default template is applied once, cheaply, when the figure is created.
pio.templates["kmzb"] = pio.templates.merge_templates("plotly_white", go.layout.Template(layout=dict(
    font=dict(family=FONT, size=12, color="#222"),
    hoverlabel=dict(font=dict(family=FONT)),
    modebar=dict(orientation="v"),  # beside the plot, never over the title
    legend=dict(orientation="h", x=0, xanchor="left", y=1.0, yanchor="bottom", bgcolor="rgba(0,0,0,0)"),
    xaxis=dict(automargin=True), yaxis=dict(automargin=True),
)))
pio.templates.default = "kmzb"


@lru_cache(maxsize=1)
def _template() -> dict:
    return pio.templates["kmzb"].to_plotly_json()


def _plain(v):
    """Trace values as JSON-ready lists, with null (None) for NaN/inf: plotly's JSON encoder re-parses
    and re-writes a whole response in which it finds NaN (3x the cost for the 1 MB gmina view)."""
    if isinstance(v, np.ndarray):
        if v.dtype.kind == "f":
            out = v.astype(object)
            out[~np.isfinite(v)] = None
            return out.tolist()
        if v.dtype.kind in "iub":
            return v.tolist()
        return _plain(v.tolist())
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, (float, np.floating)):
        return float(v) if math.isfinite(v) else None
    if isinstance(v, np.integer):
        return int(v)
    return v


def _figure(data: list, lang: str, title: str, subtitle: str | None = None, **layout) -> dict:
    """A figure dict with the house layout (template, title, separators, margins)."""
    data = [_plain(tr) for tr in data]
    title_d = dict(text=title, x=0.01, xanchor="left", y=0.97, yanchor="top", font=dict(size=15))
    if subtitle:
        title_d["subtitle"] = dict(text=subtitle, font=dict(size=12, color="#555"))
    return {"data": data, "layout": {
        "template": _template(), "title": title_d, "separators": SEPARATORS[lang],
        "margin": dict(l=10, r=34, t=124 + 16 * subtitle.count("<br>") if subtitle else 80, b=10), **layout}}


def _empty(lang: str, title: str, subtitle: str | None = None) -> dict:
    return _figure([], lang, title, subtitle, xaxis=dict(visible=False), yaxis=dict(visible=False),
                   annotations=[dict(name=EMPTY, text=t(lang, "Nothing matches these filters"), x=0.5, y=0.5,
                                     xref="paper", yref="paper", showarrow=False, font=dict(size=14, color="#666"))])


def _is_empty(df, *counts: str) -> bool:
    """No frame, no rows, a missing column, or all the given counts zero."""
    if df is None or len(df) == 0 or any(c not in df.columns for c in counts):
        return True
    return float(np.nansum(df[list(counts)].to_numpy(dtype=float))) == 0


def _pct_axis(title: str, **kw) -> dict:
    # explicit ticks: an overlaying axis would otherwise sync its ticks to the other one (59%, 79%, ...)
    return dict(title=dict(text=title), tickformat=".0%", range=[0, 1], tickmode="linear", tick0=0, dtick=0.2,
                automargin=True, **kw)


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _runs(mask: np.ndarray) -> list[np.ndarray]:
    """Index arrays of the consecutive True stretches of mask."""
    idx = np.flatnonzero(mask)
    return np.split(idx, np.flatnonzero(np.diff(idx) > 1) + 1) if len(idx) else []


def _band(x, low, high, colour: str, name: str, yaxis: str = "y", group: str | None = None) -> dict:
    """The interval as a shaded area; one closed polygon per stretch without gaps (NaN bounds)."""
    x, low, high = np.asarray(x, dtype=object), np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    xs, ys = [], []
    for run in _runs(np.isfinite(low) & np.isfinite(high)):
        xs += [*x[run], *x[run][::-1], None]
        ys += [*high[run], *low[run][::-1], None]
    tr = dict(type="scatter", x=xs, y=ys, fill="toself", fillcolor=_rgba(colour, 0.2), mode="lines",
              line=dict(width=0), hoverinfo="skip", name=name, yaxis=yaxis, showlegend=group is None)
    if group is not None:
        tr["legendgroup"] = group
    return tr


def _hover(*lines: str) -> str:
    return "<br>".join(lines) + "<extra></extra>"


def _ci(lang: str, low: str, high: str) -> str:
    return t(lang, "95% interval {low}–{high}", low=low, high=high)


def _short(label: str, n: int = LABEL_CHARS) -> str:
    return label if len(label) <= n else label[:n - 1].rstrip() + "…"


def _resolved_rows(df, required=("resolved", "confirmed", "confirmation_rate", "ci_low", "ci_high")) -> pd.DataFrame:
    """Rows with a rate to show: resolved > 0 and finite rate and bounds."""
    if df is None or len(df) == 0 or any(c not in df.columns for c in required):
        return pd.DataFrame(columns=list(required))
    ok = df["resolved"].fillna(0) > 0
    for c in ("confirmation_rate", "ci_low", "ci_high"):
        ok &= np.isfinite(pd.to_numeric(df[c], errors="coerce"))
    return df[ok]


def _dots(d: pd.DataFrame, y, lang: str, name: str, colour: str, hollow: bool = False,
          note: str | None = None) -> dict:
    """Confirmation rate per row as a dot with its asymmetric 95% interval."""
    rate = d["confirmation_rate"].to_numpy(dtype=float)
    _ = translator(lang)
    custom = np.column_stack([d["label"].to_numpy(dtype=object), d["ci_low"], d["ci_high"], d["confirmed"],
                              d["resolved"], d["reports"] if "reports" in d else d["resolved"]])
    lines = ["<b>%{customdata[0]}</b>", _("Confirmation rate") + ": %{x:.1%}",
             _ci(lang, "%{customdata[1]:.1%}", "%{customdata[2]:.1%}"),
             _("Confirmed") + ": %{customdata[3]:,d}", _("Resolved") + ": %{customdata[4]:,d}",
             _("Reports") + ": %{customdata[5]:,d}"]
    return dict(
        type="scatter", x=rate, y=y, mode="markers", name=name, customdata=custom, cliponaxis=False,
        marker=dict(color=colour, size=9, symbol="circle-open" if hollow else "circle", line=dict(width=1.5)),
        error_x=dict(type="data", symmetric=False, array=d["ci_high"].to_numpy(dtype=float) - rate,
                     arrayminus=rate - d["ci_low"].to_numpy(dtype=float), color=colour, thickness=1.5, width=0),
        hovertemplate=_hover(*lines, *([f"<i>{note}</i>"] if note else [])))


def _overall_line(layout: dict, lang: str, df: pd.DataFrame) -> dict:
    """Dashed vertical line at the pooled rate (sum confirmed / sum resolved), with its label."""
    resolved = float(df["resolved"].sum())
    if resolved <= 0:
        return layout
    overall = float(df["confirmed"].sum()) / resolved
    layout.setdefault("shapes", []).append(dict(type="line", x0=overall, x1=overall, xref="x", y0=0, y1=1,
                                                yref="y domain", line=dict(dash="dash", color="#444", width=1)))
    layout.setdefault("annotations", []).append(dict(
        text=t(lang, "Overall {rate}", rate=fmt_pct(overall, lang)), font=dict(size=11, color="#444"),
        showarrow=False, x=overall, xref="x", xanchor="left", y=1, yref="y domain", yanchor="top"))
    return layout


def _interval(periods) -> str:
    """day / week / month, guessed from the spacing of ISO period starts."""
    ds = pd.to_datetime(pd.Series(list(periods)), errors="coerce").dropna().sort_values()
    if len(ds) < 2:
        return "day"
    step = ds.diff().dropna().dt.days.median()
    if step >= 28 and (ds.dt.day == 1).all():
        return "month"
    return "week" if step >= 7 else "day"


def _period_label(p: str, lang: str, interval: str) -> str:
    if interval == "month":
        return fmt_month(p, lang)
    if interval == "week":
        return t(lang, "Week from {date}", date=fmt_date(p, lang))
    return fmt_date(p, lang)


def _date_axis(periods, lang: str, interval: str, title: str, ticks: int = 6) -> dict:
    """A date axis with localised tick labels (plotly's own month names are English only)."""
    periods = list(periods)
    step = max(1, math.ceil(len(periods) / ticks))
    vals = periods[::step]
    text, year = [], None
    for p in vals:
        label = fmt_short_date(p, lang, interval)
        if interval != "month" and p[:4] != year:
            label += f"<br>{p[:4]}"
        year = p[:4]
        text.append(label)
    return dict(title=dict(text=title), type="date", tickmode="array", tickvals=vals, ticktext=text,
                showgrid=False, automargin=True)


def partial_periods(periods, interval: str, date_from=None, date_to=None) -> np.ndarray:
    """Which periods (ISO starts of weeks / months) the range [date_from, date_to] covers only in
    part: the first may start before it, the last end after it. Days are never partial."""
    starts = pd.to_datetime(pd.Series(list(periods), dtype=object), errors="coerce")
    if interval not in ("week", "month") or not len(starts):
        return np.zeros(len(starts), bool)
    ends = starts + (pd.Timedelta(days=6) if interval == "week" else pd.offsets.MonthEnd(0))
    out = np.zeros(len(starts), bool)
    if date_from is not None:
        out |= (starts < pd.Timestamp(date_from)).to_numpy()
    if date_to is not None:
        out |= (ends > pd.Timestamp(date_to)).to_numpy()
    return out


def _partial_note(lang: str, bars: bool = True) -> str:
    return t(lang, "Partial period: lighter hatched bar, hollow point" if bars else "Partial period: hollow point")


def _partial_hover(lang: str, partial: np.ndarray) -> list[str]:
    text = "<i>" + t(lang, "partial period") + "</i>"
    return [text if p else "" for p in partial]


# ---------------------------------------------------------------- figures

def confirmation_by_category(df: pd.DataFrame, lang, min_resolved: int = 20) -> dict:
    """Dots with 95% intervals per category, sorted by rate (highest on top); small-n in hollow grey."""
    lang = normalise_lang(lang)
    _ = translator(lang)
    title = _("Confirmation rate by category")
    note = _("With 95% Wilson intervals")
    d = _resolved_rows(df)
    if d.empty:
        return _empty(lang, title, note)
    col = f"label_{lang}"
    labels = [lab if isinstance(lab, str) and lab else category_label(code, lang)
              for code, lab in zip(d["code"], d[col] if col in d else [None] * len(d))]
    d = d.assign(label=labels).sort_values(["confirmation_rate", "label"], ascending=[True, False])
    small = (d["resolved"] < min_resolved).to_numpy()
    too_few = _("too few resolved reports for a stable rate")
    traces = [_dots(d[~small], list(d["label"][~small]), lang, _("Confirmation rate"), BLUE),
              _dots(d[small], list(d["label"][small]), lang, too_few, GREY, hollow=True, note=too_few)]
    order = list(d["label"])
    fig = _figure([tr for tr, n in zip(traces, (int((~small).sum()), int(small.sum()))) if n], lang, title, note,
                  xaxis=_pct_axis(_("Confirmation rate")),
                  yaxis=dict(title=dict(text=_("Category")), type="category", categoryorder="array",
                             categoryarray=order, tickmode="array", tickvals=order,
                             ticktext=[_short(s) for s in order], tickfont=dict(size=10), showgrid=True,
                             automargin=True))
    _overall_line(fig["layout"], lang, df)
    return fig


def timeline(df: pd.DataFrame, lang, interval: str = "week", date_from=None, date_to=None) -> dict:
    """Bars of reports per period (left axis); line of the confirmation rate with its 95% band (right).
    A first or last period that [date_from, date_to] covers only in part is marked (lighter hatched
    bar, hollow rate point outside the line): a week of one day is not a fall."""
    lang = normalise_lang(lang)
    _ = translator(lang)
    title = _("Reports and confirmation rate over time")
    if _is_empty(df, "reports"):
        return _empty(lang, title)
    d = df.assign(period=df["period"].astype(str)).sort_values("period")
    x = d["period"].to_numpy(dtype=object)
    when = [_period_label(p, lang, interval) for p in x]
    partial = partial_periods(x, interval, date_from, date_to)
    has_rate = d["resolved"].fillna(0).to_numpy() > 0
    rate = np.where(has_rate, d["confirmation_rate"].to_numpy(dtype=float), np.nan)
    low = np.where(has_rate, d["ci_low"].to_numpy(dtype=float), np.nan)
    high = np.where(has_rate, d["ci_high"].to_numpy(dtype=float), np.nan)
    marker = dict(color=SKY, opacity=0.75)
    if partial.any():
        marker = dict(color=[_rgba(SKY, 0.3) if p else SKY for p in partial], opacity=0.75,
                      line=dict(color=SKY, width=[1 if p else 0 for p in partial]),
                      pattern=dict(shape=["/" if p else "" for p in partial], fgcolor=SKY, size=6))
    bars = dict(type="bar", x=x, y=d["reports"].to_numpy(), name=_("Reports"), marker=marker,
                hovertext=when, customdata=np.column_stack([d[["confirmed", "unconfirmed", "pending"]].to_numpy(
                    dtype=object), np.array(_partial_hover(lang, partial), dtype=object)]),
                hovertemplate=_hover("<b>%{hovertext}</b>", _("Reports") + ": %{y:,d}",
                                     _("Confirmed") + ": %{customdata[0]:,d}",
                                     _("Unconfirmed") + ": %{customdata[1]:,d}",
                                     _("Pending") + ": %{customdata[2]:,d}").replace(
                                         "<extra>", "<br>%{customdata[3]}<extra>"))
    full = ~partial
    custom = np.column_stack([low, high, d["confirmed"], d["resolved"]])
    rate_hover = _hover("<b>%{hovertext}</b>", _("Confirmation rate") + ": %{y:.1%}",
                        _ci(lang, "%{customdata[0]:.1%}", "%{customdata[1]:.1%}"),
                        _("Confirmed") + ": %{customdata[2]:,d}", _("Resolved") + ": %{customdata[3]:,d}")
    line = dict(type="scatter", x=x, y=np.where(full, rate, np.nan), yaxis="y2", mode="lines+markers",
                name=_("Confirmation rate"), line=dict(color=BLUE, width=2), marker=dict(size=4), connectgaps=False,
                hovertext=when, customdata=custom, hovertemplate=rate_hover)
    data = [bars, _band(x, np.where(full, low, np.nan), np.where(full, high, np.nan), BLUE, _("95% interval"),
                        yaxis="y2"), line]
    if partial.any():
        data.append(dict(type="scatter", x=x[partial], y=rate[partial], yaxis="y2", mode="markers",
                         name=_("partial period"), marker=dict(color=BLUE, size=8, symbol="circle-open"),
                         showlegend=False,  # the subtitle says what a hollow point is
                         hovertext=[w for w, p in zip(when, partial) if p], customdata=custom[partial],
                         hovertemplate=rate_hover.replace("<extra>", "<br><i>" + _("partial period") + "</i><extra>")))
    return _figure(data, lang, title, _partial_note(lang) if partial.any() else None,
                   hovermode="closest", bargap=0.15, xaxis=_date_axis(x, lang, interval, _("Period")),
                   yaxis=dict(title=dict(text=_("Reports")), rangemode="tozero", tickformat=",d"),
                   yaxis2=_pct_axis(_("Confirmation rate"), overlaying="y", side="right", showgrid=False))


def ranked_districts(df: pd.DataFrame, lang, min_resolved: int = 30, top: int = 15, selected: str = "") -> dict:
    """The `top` lowest and `top` highest confirmation rates among districts with enough resolved reports;
    the `selected` district (TERYT), when shown, ringed and its name in bold."""
    lang = normalise_lang(lang)
    _ = translator(lang)
    title = _("Districts ranked by confirmation rate")
    note = t(lang, "Only districts with at least {n} resolved reports", n=fmt_int(min_resolved, lang))
    d = _resolved_rows(df)
    d = d[d["resolved"] >= min_resolved]
    if d.empty:
        return _empty(lang, title, note)
    names = d["label"] if "label" in d else d["name"]
    names = names.where(names.notna() & (names.astype(str) != ""), d["name"]).astype(str)
    if names.duplicated(keep=False).any() and "teryt" in d:  # e.g. the many gminas of the same name
        dup = names.duplicated(keep=False)
        names = names.where(~dup, names + " (" + d["teryt"].astype(str) + ")")
    d = d.assign(label=names).sort_values(["confirmation_rate", "label"])
    if len(d) > 2 * top:
        groups = [(d.head(top), _("Lowest confirmation rates"), ORANGE),
                  (d.tail(top), _("Highest confirmation rates"), BLUE)]
    else:
        groups = [(d, _("Confirmation rate"), BLUE)]
    data, start = [], 0
    for part, name, colour in groups:
        data.append(_dots(part, list(range(start, start + len(part))), lang, name, colour))
        start += len(part)
    labels = [lab for part, _n, _c in groups for lab in part["label"]]
    teryts = [str(x) for part, _n, _c in groups for x in (part["teryt"] if "teryt" in part else [""] * len(part))]
    rates = [float(x) for part, _n, _c in groups for x in part["confirmation_rate"]]
    mine = [i for i, x in enumerate(teryts) if selected and x == selected]
    if mine:
        data.append(dict(type="scatter", x=[rates[i] for i in mine], y=mine, mode="markers",
                         name=_("Selected district"), hoverinfo="skip", cliponaxis=False,
                         marker=dict(symbol="circle-open", size=18, color=BLACK, line=dict(width=2.5))))
    fig = _figure(data, lang, title, note, showlegend=len(groups) == 2 or bool(mine),
                  xaxis=_pct_axis(_("Confirmation rate")),
                  yaxis=dict(title=dict(text=_("District")), tickmode="array", tickvals=list(range(len(labels))),
                             ticktext=[f"<b>{_short(s)}</b>" if i in mine else _short(s)
                                       for i, s in enumerate(labels)], range=[-0.7, len(labels) - 0.3],
                             tickfont=dict(size=10), automargin=True))
    if len(groups) == 2:
        fig["layout"]["shapes"] = [dict(type="line", x0=0, x1=1, xref="x domain", y0=top - 0.5, y1=top - 0.5,
                                        yref="y", line=dict(dash="dot", color=GREY, width=1))]
    _overall_line(fig["layout"], lang, df)
    return fig


def verification_speed(df: pd.DataFrame, lang, interval: str | None = None, min_n: int = 20,
                       date_from=None, date_to=None, gap_note: str | None = None) -> dict:
    """Share read within 2 days and share verified within 5 days, per period, with 95% bands;
    periods with fewer than `min_n` reports that can be judged show no value (a gap), as the map
    shows no rate for districts with too few resolved reports. A first or last period that
    [date_from, date_to] covers only in part is a hollow point outside the line. `gap_note` says
    why values are missing (e.g. verification times known only since the first extract)."""
    lang = normalise_lang(lang)
    _ = translator(lang)
    title = _("Verification speed")
    note = (_("Read within 2 days, verified within 5 days") + "<br>"
            + t(lang, "Only periods with at least {n} reports that can be judged", n=fmt_int(min_n, lang)))
    if gap_note:
        note += "<br>" + gap_note
    if _is_empty(df, "eligible_read", "eligible_verify"):
        return _empty(lang, title, note)
    d = df.assign(period=df["period"].astype(str)).sort_values("period")
    x = d["period"].to_numpy(dtype=object)
    interval = interval or _interval(x)
    when = [_period_label(p, lang, interval) for p in x]
    partial = partial_periods(x, interval, date_from, date_to)
    data = []
    for key, k, n, name, colour in (("read_2d_share", "read_2d", "eligible_read", _("Read within 2 days"), ORANGE),
                                    ("verified_5d_share", "verified_5d", "eligible_verify",
                                     _("Verified within 5 days"), BLUE)):
        ok = d[n].fillna(0).to_numpy() >= max(min_n, 1)
        share, low, high = (np.where(ok, d[c].to_numpy(dtype=float), np.nan)
                            for c in (key, key + "_low", key + "_high"))
        custom = np.column_stack([low, high, d[k], d[n]])
        hover = _hover("<b>%{hovertext}</b>", name + ": %{y:.1%} (" + t(
            lang, "{k} of {n}", k="%{customdata[2]:,d}", n="%{customdata[3]:,d}") + ")",
            _ci(lang, "%{customdata[0]:.1%}", "%{customdata[1]:.1%}"))
        full = ~partial
        data.append(_band(x, np.where(full, low, np.nan), np.where(full, high, np.nan), colour, name, group=key))
        data.append(dict(
            type="scatter", x=x, y=np.where(full, share, np.nan), mode="lines+markers", name=name, legendgroup=key,
            line=dict(color=colour, width=2), marker=dict(size=4), connectgaps=False, hovertext=when,
            customdata=custom, hovertemplate=hover))
        if (partial & ok).any():
            data.append(dict(
                type="scatter", x=x[partial], y=share[partial], mode="markers", name=name, legendgroup=key,
                showlegend=False, marker=dict(color=colour, size=8, symbol="circle-open"),
                hovertext=[w for w, p in zip(when, partial) if p], customdata=custom[partial],
                hovertemplate=hover.replace("<extra>", "<br><i>" + _("partial period") + "</i><extra>")))
    if partial.any():
        note += "<br>" + _partial_note(lang, bars=False)
    return _figure(data, lang, title, note, hovermode="closest", xaxis=_date_axis(x, lang, interval, _("Period")),
                   yaxis=_pct_axis(_("Share")))


def week_heatmap(df: pd.DataFrame, lang) -> dict:
    """Reports by day of week (x, Mon..Sun) and time of day (y, morning at the top), counts in the cells.

    z is times x days: z[i][j] = reports at TIMES_OF_DAY[i] on DAYS[j].
    """
    lang = normalise_lang(lang)
    _ = translator(lang)
    title = _("When threats occur: day of week × time of day")
    if _is_empty(df, "reports") or not {"day", "time_of_day"} <= set(df.columns):
        return _empty(lang, title)
    grid = week_grid(df)
    if int(grid.sum()) == 0:
        return _empty(lang, title)
    heat = dict(
        type="heatmap", z=grid, x=[day_label(c, lang) for c in reference.DAYS],
        y=[time_label(c, lang) for c in reference.TIMES_OF_DAY],
        colorscale=HEATMAP_SCALE, reversescale=True, xgap=2, ygap=2, texttemplate="%{z:,d}",
        colorbar=dict(title=dict(text=_("Reports")), thickness=12, tickformat=",d"),
        hovertemplate=_hover("<b>%{x}, %{y}</b>", _("Reports") + ": %{z:,d}"))
    return _figure([heat], lang, title,
                   xaxis=dict(title=dict(text=_("Day of week")), showgrid=False, type="category"),
                   yaxis=dict(title=dict(text=_("Time of day")), showgrid=False, type="category",
                              autorange="reversed"))


def week_grid(df: pd.DataFrame) -> np.ndarray:
    """The heatmap's cells: reports per (time of day, day of week) in the reference order, from rows
    (day, time_of_day, reports); a pandas pivot_table cost ~30 ms for these 28 cells."""
    days = {d: i for i, d in enumerate(reference.DAYS)}
    times = {t: i for i, t in enumerate(reference.TIMES_OF_DAY)}
    grid = np.zeros((len(times), len(days)), dtype=np.int64)
    r = df["time_of_day"].map(times).to_numpy(dtype=float)
    c = df["day"].map(days).to_numpy(dtype=float)
    ok = np.isfinite(r) & np.isfinite(c)
    np.add.at(grid, (r[ok].astype(np.int64), c[ok].astype(np.int64)),
              pd.to_numeric(df["reports"], errors="coerce").fillna(0).to_numpy()[ok].astype(np.int64))
    return grid
