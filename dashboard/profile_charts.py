"""The profile's charts as small inline SVG drawn on the server with matplotlib (no browser, no
kaleido): the same markup serves the page, its print and the PDF (WeasyPrint draws SVG itself).
Text stays text (svg.fonttype none, DejaVu Sans: every Polish letter) so the PDF's text holds it."""

from __future__ import annotations

import io
import json
import math
import re
from functools import lru_cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
from matplotlib import colormaps, rcParams  # noqa: E402
from matplotlib.cm import ScalarMappable  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402
from matplotlib.colors import Normalize  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from kmzb import reference  # noqa: E402
from kmzb.i18n import day_label, fmt_dec, fmt_short_date, time_label, translator  # noqa: E402

rcParams.update({"svg.fonttype": "none", "font.family": "DejaVu Sans", "font.size": 8,
                 "svg.hashsalt": "kmzb", "axes.spines.top": False, "axes.spines.right": False})
INK, MUTED, ACCENT, FOCUS = "#212529", "#6c757d", "#2c7fb8", "#d95f02"


def _svg(fig: Figure, title: str) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None})
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]  # drop the XML prolog and doctype: inline in HTML
    svg = svg.replace("font-family: 'DejaVu Sans'", "font-family: DejaVu Sans")  # WeasyPrint: unquoted
    # scale with its box; keep the drawing's own size as the aspect ratio
    svg = re.sub(r'<svg([^>]*?) width="([\d.]+)pt" height="([\d.]+)pt"',
                 r'<svg\1 width="100%" preserveAspectRatio="xMidYMid meet" role="img"', svg, count=1)
    return svg.replace(">", f"><title>{_esc(title)}</title>", 1)


def _esc(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def comparison_bars(labels: list[str], values: list[float | None], lang: str, title: str) -> str:
    """Reports per 10,000 of the district and its comparisons, as horizontal bars."""
    fig = Figure(figsize=(5.2, 0.32 * len(labels) + 0.5))
    ax = fig.add_subplot()
    vals = [v if v is not None else 0 for v in values]
    ys = list(range(len(labels)))[::-1]
    ax.barh(ys, vals, color=[FOCUS] + [ACCENT] * (len(vals) - 1), height=0.6)
    ax.set_yticks(ys, labels)
    for y, v, raw in zip(ys, vals, values):
        ax.text(v, y, " " + fmt_dec(raw, lang, 1), va="center", color=INK)
    ax.set_xlim(0, max(vals + [1]) * 1.25)
    ax.tick_params(axis="x", labelbottom=False, length=0)
    ax.spines["bottom"].set_visible(False)
    return _svg(fig, title)


def trend(months: list, now: list, before: list, lang: str, title: str, labels: tuple[str, str]) -> str:
    """Monthly reports over 24 months with the same months a year earlier (dashed)."""
    fig = Figure(figsize=(6.8, 2.3))
    ax = fig.add_subplot()
    xs = list(range(len(months)))
    ax.plot(xs, [b if b is not None else float("nan") for b in before], color=MUTED, ls="--", lw=1.2,
            label=labels[1])
    ax.plot(xs, [v if v is not None else float("nan") for v in now], color=ACCENT, lw=2, marker="o", ms=2.5, label=labels[0])
    step = max(1, len(xs) // 8)
    ax.set_xticks(xs[::step], [fmt_short_date(m, lang, "month") for m in months[::step]])
    ax.set_ylim(bottom=0)
    ax.grid(axis="y", color="#e9ecef")
    ax.legend(frameon=False, loc="upper left", ncols=2, fontsize=7)
    return _svg(fig, title)


def week_heatmap(rows: list[tuple[str, str, int]], lang: str, title: str) -> str:
    """Reports by day of week x time of day."""
    days, times = list(reference.DAYS), list(reference.TIMES_OF_DAY)
    grid = [[0] * len(days) for _ in times]
    for d, tod, n in rows:
        grid[times.index(tod)][days.index(d)] = n
    fig = Figure(figsize=(4.6, 1.9))
    ax = fig.add_subplot()
    top = max(max(r) for r in grid) or 1
    ax.imshow(grid, cmap="Blues", aspect="auto", vmin=0, vmax=top)
    for i, r in enumerate(grid):
        for j, n in enumerate(r):
            ax.text(j, i, fmt_dec(n, lang, 0), ha="center", va="center", fontsize=7,
                    color="white" if n > top * 0.6 else INK)
    ax.set_xticks(range(len(days)), [day_label(d, lang) for d in days])
    ax.set_yticks(range(len(times)), [time_label(tod, lang) for tod in times])
    ax.tick_params(length=0)
    for s in ax.spines.values():
        s.set_visible(False)
    return _svg(fig, title)


@lru_cache(maxsize=3)
def _rings(path: str) -> dict[str, list]:
    """teryt -> outer rings [(lon, lat), ...] of a map file (read once per process)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    out = {}
    for feat in data["features"]:
        g = feat["geometry"]
        polys = [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]
        out[feat["properties"]["teryt"]] = [p[0] for p in polys]
    return out


def _centre(rs: list) -> tuple[float, float]:
    big = max(rs, key=len)
    return sum(q[0] for q in big) / len(big), sum(q[1] for q in big) / len(big)


def district_map(coloured_path: str, values: dict[str, float | None], focus: str, focus_path: str,
                 context: list[str], names: dict[str, str], lang: str, title: str, legend: str,
                 label_coloured: bool = False) -> str:
    """Units coloured by reports per 10,000 (viridis; grey: none), the district outlined in orange,
    its same-level neighbours (`context`, from `focus_path`) in light grey with their names."""
    rings, ctx_rings = _rings(coloured_path), _rings(focus_path)
    fig = Figure(figsize=(5.2, 4.6))
    ax = fig.add_subplot()
    ax.set_axis_off()
    ctx = [r for c in context for r in ctx_rings.get(c, [])]
    ax.add_collection(PolyCollection(ctx, facecolor="#f1f3f5", edgecolor="#adb5bd", lw=0.6))
    known = [v for v in values.values() if v is not None and v == v]
    norm = Normalize(min(known, default=0), max(max(known, default=1), min(known, default=0) + 1e-9))
    cmap = colormaps["viridis"]
    polys, colours = [], []
    for code, v in values.items():
        for r in rings.get(code, []):
            polys.append(r)
            colours.append(cmap(norm(v)) if v is not None and v == v else "#dee2e6")
    ax.add_collection(PolyCollection(polys, facecolor=colours, edgecolor="white", lw=0.5))
    focus_rings = ctx_rings.get(focus, [])
    ax.add_collection(PolyCollection(focus_rings, facecolor="none", edgecolor=FOCUS, lw=2))
    for c in context:
        if ctx_rings.get(c):
            x, y = _centre(ctx_rings[c])
            ax.text(x, y, names.get(c, c), fontsize=6, color=MUTED, ha="center", va="center")
    if label_coloured:
        for c in values:
            if rings.get(c):
                x, y = _centre(rings[c])
                ax.text(x, y, names.get(c, c), fontsize=6, color=INK, ha="center", va="center",
                        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.7})
    pts = [q for r in (polys + ctx + focus_rings) for q in r]
    if pts:
        xs, ys = [q[0] for q in pts], [q[1] for q in pts]
        ax.set_xlim(min(xs), max(xs))
        ax.set_ylim(min(ys), max(ys))
        ax.set_aspect(1 / math.cos(math.radians((min(ys) + max(ys)) / 2)))
    bar = fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, orientation="horizontal", fraction=0.04,
                       pad=0.02)
    bar.set_label(legend, fontsize=7)
    bar.ax.tick_params(labelsize=6)
    bar.ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt_dec(v, lang, 0)))
    return _svg(fig, title)


def labels(lang: str) -> dict[str, str]:
    _ = translator(lang)
    return {"now": _("Reports"), "before": _("Same month a year earlier")}
