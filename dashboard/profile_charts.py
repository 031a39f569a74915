"""The profile's charts as small inline SVG written directly (no plotting library at run time, no
browser, no kaleido): the same markup serves the page, its print and the PDF (WeasyPrint draws SVG
itself). A few hundred plain elements per chart, coordinates rounded to 0.1 px, so the page stays
light and WeasyPrint has little to lay out. Text stays text (DejaVu Sans: every Polish letter), so
the PDF's text holds it. Colours: matplotlib's colour maps (data only, nothing drawn with it)."""

from __future__ import annotations

import json
import math
from functools import lru_cache
from html import escape
from pathlib import Path

from matplotlib import colormaps
from matplotlib.colors import to_hex

from kmzb import reference
from kmzb.i18n import day_label, fmt_dec, fmt_short_date, time_label, translator

INK, MUTED, ACCENT, FOCUS, GRID = "#212529", "#6c757d", "#2c7fb8", "#d95f02", "#e9ecef"
FONT = 11        # px in the drawing's own units
CHAR = 0.62      # DejaVu Sans: average advance per character, in font sizes (for label room)


def _esc(s) -> str:
    return escape(str(s), quote=True)


def _n(v: float) -> str:
    """A coordinate, rounded to 0.1 (the drawings are ~500 units wide)."""
    r = round(v, 1)
    return str(int(r)) if r == int(r) else str(r)


def _text_width(s: str, size: float = FONT) -> float:
    return len(s) * size * CHAR


def _text(x, y, s, *, size=FONT, anchor="start", fill=INK) -> str:
    """Text centred vertically on y (by a baseline shift: no dominant-baseline, which not every SVG
    renderer knows)."""
    return (f'<text x="{_n(x)}" y="{_n(y + size * 0.36)}" font-size="{size}" text-anchor="{anchor}" '
            f'fill="{fill}">{_esc(s)}</text>')


def _svg(width: float, height: float, body: list[str], title: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_n(width)} {_n(height)}" width="100%" '
            f'preserveAspectRatio="xMidYMid meet" role="img" font-family="DejaVu Sans">'
            f'<title>{_esc(title)}</title>' + "".join(body) + "</svg>")


def _nice_ticks(top: float, n: int = 4) -> list[float]:
    """0 and round steps up to at least `top`."""
    if top <= 0:
        return [0, 1]
    raw = top / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    return [i * step for i in range(int(math.ceil(top / step - 1e-9)) + 1)]


def comparison_bars(labels: list[str], values: list[float | None], lang: str, title: str) -> str:
    """Reports per 10,000 of the district and its comparisons, as horizontal bars (the district's in
    orange, first)."""
    width, row = 420, 24
    left = min(230, max(_text_width(s) for s in labels) + 10) if labels else 10
    height = row * len(labels) + 8
    vals = [v if v is not None and v == v else 0 for v in values]
    top = max(vals + [1]) * 1.25
    scale = (width - left - 4) / top
    body = []
    for i, (label, v, raw) in enumerate(zip(labels, vals, values)):
        y = 4 + i * row
        body.append(_text(left - 8, y + row / 2, label, anchor="end"))
        body.append(f'<rect x="{_n(left)}" y="{_n(y + row * 0.2)}" width="{_n(max(v * scale, 0))}" '
                    f'height="{_n(row * 0.6)}" fill="{FOCUS if i == 0 else ACCENT}"/>')
        body.append(_text(left + v * scale + 4, y + row / 2, fmt_dec(raw, lang, 1)))
    body.append(f'<line x1="{_n(left)}" y1="4" x2="{_n(left)}" y2="{_n(height - 4)}" stroke="{INK}" '
                f'stroke-width="0.8"/>')
    return _svg(width, height, body, title)


def _polyline(points: list[tuple[float, float] | None]) -> str:
    """Path data through the points; None breaks the line (an unknown month)."""
    out, pen = [], False
    for p in points:
        if p is None:
            pen = False
            continue
        out.append(("L" if pen else "M") + f"{_n(p[0])} {_n(p[1])}")
        pen = True
    return "".join(out)


def trend(months: list, now: list, before: list, lang: str, title: str, labels: tuple[str, str]) -> str:
    """Monthly reports over 24 months with the same months a year earlier (dashed)."""
    width, height = 680, 230
    known = [v for v in list(now) + list(before) if v is not None and v == v]
    ticks = _nice_ticks(max(known, default=0))
    left = max(_text_width(fmt_dec(t, lang, 0)) for t in ticks) + 12
    x0, x1, y0, y1 = left, width - 10, height - 26, 26
    ymax = ticks[-1] or 1
    step_x = (x1 - x0) / max(len(months) - 1, 1)
    X = lambda i: x0 + i * step_x  # noqa: E731
    Y = lambda v: y0 - (y0 - y1) * v / ymax  # noqa: E731
    body = []
    for t in ticks:
        body.append(f'<line x1="{_n(x0)}" y1="{_n(Y(t))}" x2="{_n(x1)}" y2="{_n(Y(t))}" stroke="{GRID}"/>')
        body.append(_text(x0 - 6, Y(t), fmt_dec(t, lang, 0), anchor="end", size=10, fill=MUTED))
    every = max(1, len(months) // 8)
    for i in range(0, len(months), every):
        body.append(_text(X(i), y0 + 14, fmt_short_date(months[i], lang, "month"), anchor="middle", size=10,
                          fill=MUTED))
    body.append(f'<line x1="{_n(x0)}" y1="{_n(y0)}" x2="{_n(x1)}" y2="{_n(y0)}" stroke="{INK}" stroke-width="0.8"/>')
    pts = lambda vs: [None if v is None or v != v else (X(i), Y(v)) for i, v in enumerate(vs)]  # noqa: E731
    body.append(f'<path d="{_polyline(pts(before))}" fill="none" stroke="{MUTED}" stroke-width="1.6" '
                f'stroke-dasharray="5 3"/>')
    now_pts = pts(now)
    body.append(f'<path d="{_polyline(now_pts)}" fill="none" stroke="{ACCENT}" stroke-width="2.5"/>')
    body.extend(f'<circle cx="{_n(p[0])}" cy="{_n(p[1])}" r="2.5" fill="{ACCENT}"/>' for p in now_pts if p)
    # legend, top left
    lx = x0 + 4
    body.append(f'<line x1="{_n(lx)}" y1="10" x2="{_n(lx + 22)}" y2="10" stroke="{ACCENT}" stroke-width="2.5"/>')
    body.append(_text(lx + 28, 10, labels[0], size=10))
    lx += 28 + _text_width(labels[0], 10) + 18
    body.append(f'<line x1="{_n(lx)}" y1="10" x2="{_n(lx + 22)}" y2="10" stroke="{MUTED}" stroke-width="1.6" '
                f'stroke-dasharray="5 3"/>')
    body.append(_text(lx + 28, 10, labels[1], size=10))
    return _svg(width, height, body, title)


@lru_cache(maxsize=4)
def _palette(name: str, steps: int = 256) -> tuple[str, ...]:
    cmap = colormaps[name]
    return tuple(to_hex(cmap(i / (steps - 1))) for i in range(steps))


def _colour(name: str, share: float) -> str:
    pal = _palette(name)
    return pal[min(len(pal) - 1, max(0, int(round(share * (len(pal) - 1)))))]


def week_heatmap(rows: list[tuple[str, str, int]], lang: str, title: str) -> str:
    """Reports by day of week x time of day."""
    days, times = list(reference.DAYS), list(reference.TIMES_OF_DAY)
    grid = [[0] * len(days) for _ in times]
    for d, tod, n in rows:
        grid[times.index(tod)][days.index(d)] = n
    top = max(max(r) for r in grid) or 1
    tlabels = [time_label(t, lang) for t in times]
    left = max(_text_width(s, 10) for s in tlabels) + 8
    cw, ch = (360 - left) / len(days), 26
    width, height = 360, ch * len(times) + 20
    body = []
    for i, r in enumerate(grid):
        body.append(_text(left - 6, i * ch + ch / 2, tlabels[i], anchor="end", size=10))
        for j, n in enumerate(r):
            x, y = left + j * cw, i * ch
            body.append(f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(cw)}" height="{ch}" '
                        f'fill="{_colour("Blues", n / top)}"/>')
            body.append(_text(x + cw / 2, y + ch / 2, fmt_dec(n, lang, 0), anchor="middle", size=9.5,
                              fill="white" if n > top * 0.6 else INK))
    for j, d in enumerate(days):
        body.append(_text(left + j * cw + cw / 2, ch * len(times) + 10, day_label(d, lang), anchor="middle", size=10))
    return _svg(width, height, body, title)


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
    ctx = [(c, r) for c in context for r in ctx_rings.get(c, [])]
    units = [(c, r) for c in values for r in rings.get(c, [])]
    focus_rings = ctx_rings.get(focus, [])
    pts = [q for _, r in units + ctx for q in r] + [q for r in focus_rings for q in r]
    width, map_h = 520, 440
    body = []
    if pts:
        lon0, lon1 = min(q[0] for q in pts), max(q[0] for q in pts)
        lat0, lat1 = min(q[1] for q in pts), max(q[1] for q in pts)
        k = math.cos(math.radians((lat0 + lat1) / 2))
        span_x, span_y = max((lon1 - lon0) * k, 1e-9), max(lat1 - lat0, 1e-9)
        scale = min((width - 8) / span_x, (map_h - 8) / span_y)
        ox = (width - span_x * scale) / 2
        oy = (map_h - span_y * scale) / 2
        P = lambda q: (ox + (q[0] - lon0) * k * scale, oy + (lat1 - q[1]) * scale)  # noqa: E731

        def path(ring) -> str:
            out, last = [], None
            for q in ring:
                x, y = P(q)
                s = f"{_n(x)} {_n(y)}"
                if s != last:
                    out.append(s)
                    last = s
            return "M" + "L".join(out) + "Z"
    known = [v for v in values.values() if v is not None and v == v]
    lo, hi = min(known, default=0), max(known, default=1)
    hi = max(hi, lo + 1e-9)
    if pts:
        if ctx:
            body.append(f'<path d="{"".join(path(r) for _, r in ctx)}" fill="#f1f3f5" stroke="#adb5bd" '
                        f'stroke-width="0.6"/>')
        for code in values:
            v = values[code]
            fill = _colour("viridis", (v - lo) / (hi - lo)) if v is not None and v == v else "#dee2e6"
            d = "".join(path(r) for r in rings.get(code, []))
            if d:
                body.append(f'<path d="{d}" fill="{fill}" stroke="white" stroke-width="0.5"/>')
        if focus_rings:
            body.append(f'<path d="{"".join(path(r) for r in focus_rings)}" fill="none" stroke="{FOCUS}" '
                        f'stroke-width="2"/>')
        for c in context:
            if ctx_rings.get(c):
                x, y = P(_centre(ctx_rings[c]))
                body.append(_text(x, y, names.get(c, c), anchor="middle", size=7.5, fill=MUTED))
        if label_coloured:
            for c in values:
                if rings.get(c):
                    x, y = P(_centre(rings[c]))
                    label = names.get(c, c)
                    w = _text_width(label, 7.5) + 4
                    body.append(f'<rect x="{_n(x - w / 2)}" y="{_n(y - 6)}" width="{_n(w)}" height="12" rx="2" '
                                f'fill="white" fill-opacity="0.7"/>')
                    body.append(_text(x, y, label, anchor="middle", size=7.5))
    # the colour scale below the map
    bar_y, bar_x, bar_w, steps = map_h + 6, 40, width - 80, 16
    stops = "".join(f'<stop offset="{i / steps:.4g}" stop-color="{_colour("viridis", i / steps)}"/>'
                    for i in range(steps + 1))
    body.append(f'<defs><linearGradient id="scale-{_esc(focus)}">{stops}</linearGradient></defs>'
                f'<rect x="{_n(bar_x)}" y="{_n(bar_y)}" width="{_n(bar_w)}" height="9" fill="url(#scale-{_esc(focus)})"/>')
    for v in (lo, (lo + hi) / 2, hi) if known else ():
        x = bar_x + (v - lo) / (hi - lo) * bar_w
        body.append(_text(x, bar_y + 17, fmt_dec(v, lang, 0), anchor="middle", size=8, fill=INK))
    body.append(_text(width / 2, bar_y + 30, legend, anchor="middle", size=8.5, fill=INK))
    return _svg(width, bar_y + 38, body, title)


def labels(lang: str) -> dict[str, str]:
    _ = translator(lang)
    return {"now": _("Reports"), "before": _("Same month a year earlier")}
