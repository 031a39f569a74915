"""Text alternatives of the charts: each chart's numbers as a small table (no I/O).

Built from the same frames as dashboard.figures (the callbacks pass the gateway's frames to both),
formatted per language. `as_data` functions return plain data (caption, header, rows of strings:
cacheable and testable); `render` makes the HTML table a "show as table" disclosure holds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from dash import html

from dashboard.figures import week_grid
from kmzb import reference
from kmzb.i18n import (
    category_label,
    day_label,
    fmt_date,
    fmt_int,
    fmt_month,
    fmt_pct,
    time_label,
    translator,
)

Table = dict  # {"caption": str, "header": [str], "rows": [[str]]}


def _num(v) -> float | None:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return x if np.isfinite(x) else None


def _int(v, lang) -> str:
    x = _num(v)
    return "–" if x is None else fmt_int(int(x), lang)


def _pct(v, lang) -> str:
    x = _num(v)
    return "–" if x is None else fmt_pct(x, lang)


def _ci(lo, hi, lang) -> str:
    a, b = _num(lo), _num(hi)
    return "–" if a is None or b is None else f"{fmt_pct(a, lang)} – {fmt_pct(b, lang)}"


def _period(p, lang, interval: str) -> str:
    p = str(p)[:10]
    if interval == "month":
        return fmt_month(p, lang)
    return fmt_date(p, lang)


def _table(caption: str, header: list[str], rows: list[list[str]]) -> Table:
    return {"caption": caption, "header": header, "rows": rows}


def timeline(df: pd.DataFrame | None, lang: str, interval: str) -> Table:
    _ = translator(lang)
    header = [_("Period"), _("Reports"), _("Confirmed"), _("Resolved"), _("Confirmation rate"), _("95% interval")]
    rows = []
    if df is not None and len(df):
        for r in df.assign(period=df["period"].astype(str)).sort_values("period").itertuples(index=False):
            has_rate = (_num(r.resolved) or 0) > 0
            rows.append([_period(r.period, lang, interval), _int(r.reports, lang), _int(r.confirmed, lang),
                         _int(r.resolved, lang), _pct(r.confirmation_rate if has_rate else None, lang),
                         _ci(r.ci_low, r.ci_high, lang) if has_rate else "–"])
    return _table(_("Reports and confirmation rate over time"), header, rows)


def categories(df: pd.DataFrame | None, lang: str) -> Table:
    _ = translator(lang)
    header = [_("Category"), _("Reports"), _("Resolved"), _("Confirmation rate"), _("95% interval")]
    rows = []
    if df is not None and len(df):
        d = df.assign(rate_=pd.to_numeric(df["confirmation_rate"], errors="coerce"))
        d = d.assign(lbl=[category_label(c, lang) for c in d["code"]]).sort_values(
            ["rate_", "lbl"], ascending=[False, True], na_position="last")
        for r in d.itertuples(index=False):
            rows.append([r.lbl, _int(getattr(r, "reports", None), lang), _int(r.resolved, lang),
                         _pct(r.confirmation_rate, lang), _ci(r.ci_low, r.ci_high, lang)])
    return _table(_("Confirmation rate by category"), header, rows)


def ranked(df: pd.DataFrame | None, lang: str, min_resolved: int, top: int = 15) -> Table:
    """The districts the ranked chart shows: with at least `min_resolved` resolved reports, the
    `top` lowest and highest rates (all of them when there are at most 2 x top)."""
    _ = translator(lang)
    header = [_("District"), _("TERYT"), _("Resolved"), _("Confirmation rate"), _("95% interval")]
    rows = []
    if df is not None and len(df) and "resolved" in df:
        d = df[pd.to_numeric(df["resolved"], errors="coerce").fillna(0) >= max(min_resolved, 1)]
        d = d[np.isfinite(pd.to_numeric(d["confirmation_rate"], errors="coerce"))]
        names = d["label"] if "label" in d else d["name"]
        d = d.assign(lbl=names.where(names.notna(), d["name"]).astype(str)).sort_values(
            ["confirmation_rate", "lbl"])
        if len(d) > 2 * top:
            d = pd.concat([d.head(top), d.tail(top)])
        for r in d.itertuples(index=False):
            rows.append([r.lbl, str(r.teryt), _int(r.resolved, lang), _pct(r.confirmation_rate, lang),
                         _ci(r.ci_low, r.ci_high, lang)])
    return _table(_("Districts ranked by confirmation rate"), header, rows)


def speed(df: pd.DataFrame | None, lang: str, interval: str) -> Table:
    _ = translator(lang)
    header = [_("Period"), _("Read within 2 days"), _("Verified within 5 days")]
    rows = []
    if df is not None and len(df):
        for r in df.assign(period=df["period"].astype(str)).sort_values("period").itertuples(index=False):
            def share(key, k, n):
                nn = _num(getattr(r, n, None)) or 0
                if nn <= 0:
                    return "–"
                return f"{_pct(getattr(r, key), lang)} ({_int(getattr(r, k), lang)} / {_int(nn, lang)})"
            rows.append([_period(r.period, lang, interval), share("read_2d_share", "read_2d", "eligible_read"),
                         share("verified_5d_share", "verified_5d", "eligible_verify")])
    return _table(_("Verification speed"), header, rows)


def heatmap(df: pd.DataFrame | None, lang: str) -> Table:
    _ = translator(lang)
    header = [_("Time of day")] + [day_label(d, lang) for d in reference.DAYS]
    rows = []
    if df is not None and len(df) and {"day", "time_of_day", "reports"} <= set(df.columns):
        for tod, vals in zip(reference.TIMES_OF_DAY, week_grid(df)):
            rows.append([time_label(tod, lang)] + [_int(v, lang) for v in vals])
    return _table(_("When threats occur: day of week × time of day"), header, rows)


def _el(tag: str, children, **props) -> dict:
    """An html.<tag> as Dash sends it ({"props", "type", "namespace"}): a view's five tables are ~1,600
    cells, and building them as Dash components and serialising those cost ~25% of a gmina view's
    server time; the browser renders the same JSON either way (tests/test_text_alternatives.py holds
    it equal to the components' own serialisation)."""
    return {"props": {"children": children, **props}, "type": tag, "namespace": "dash_html_components"}


def render(t: Table, lang: str) -> list:
    """The table as HTML (a caption, column headers, a row header per row), in Dash's JSON form."""
    _ = translator(lang)
    if not t or not t.get("rows"):
        return [html.P(_("Nothing matches these filters"), className="small text-muted mb-0")]
    head = _el("Thead", _el("Tr", [_el("Th", h, scope="col") for h in t["header"]]))
    body = _el("Tbody", [_el("Tr", [_el("Th", r[0], scope="row", className="fw-normal")]
                                    + [_el("Td", c) for c in r[1:]]) for r in t["rows"]])
    return [_el("Table", [_el("Caption", t["caption"], className="visually-hidden"), head, body],
                className="table table-sm small mb-0 chart-table")]
