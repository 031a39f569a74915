"""The view's state and its query-string form (no Dash, no I/O).

Everything a person can set lives in the URL, so a link restores the view and back /
forward work. Parsing never raises: bad values fall back to defaults.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import date, timedelta
from urllib.parse import parse_qs, urlencode

from kmzb import reference
from kmzb.query.bounds import (
    MAX_SEARCH,  # characters: a real state is far shorter (27 category codes: < 1,000)
)
from kmzb.query.filters import (
    LEVELS,
    BadInput,
    Filters,
    make_filters,
    parse_date,
    parse_teryt,
)
from kmzb.teryt import level_of, next_level

METRICS = ("reports", "per10k", "rate", "smoothed", "hotspots")


def default_metric(level: str) -> str:
    """Gminas are mostly noise as raw rates: their map opens on the smoothed rate (issue 11)."""
    return "smoothed" if level == "gmina" else DEFAULT.metric
PRESETS = ("7d", "30d", "90d", "quarter", "ytd", "last_year", "all", "custom")
COMPARES = ("previous", "year")
DEFAULT_PRESET = "90d"
NO_CATEGORIES = "none"  # the query-string value of an empty category choice


@dataclass(frozen=True)
class ViewState:
    lang: str = "pl"
    level: str = "voivodeship"
    metric: str = "reports"
    teryt: str = ""
    preset: str = DEFAULT_PRESET
    date_from: str = ""
    date_to: str = ""
    compare: str = "previous"
    categories: tuple[str, ...] = field(default_factory=tuple)
    statuses: tuple[str, ...] = field(default_factory=tuple)
    outcomes: tuple[str, ...] = field(default_factory=tuple)
    sources: tuple[str, ...] = field(default_factory=tuple)
    no_categories: bool = False  # "None" pressed: no category chosen, nothing shown (not "all")

    def with_(self, **kw) -> "ViewState":
        return replace(self, **kw)


DEFAULT = ViewState()


def _one(q: dict, key: str, allowed: tuple[str, ...] | None, default: str) -> str:
    v = (q.get(key) or [default])[0]
    if allowed is not None and v not in allowed:
        return default
    return v


def _many(q: dict, key: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
    vals = [p for v in q.get(key, []) for p in v.split(",") if p]
    return tuple(v for v in allowed if v in vals)


MAX_FIELDS = 64  # parameters in a query string (a real one has at most 12)


def from_query(search: str | None) -> ViewState:
    if not isinstance(search, str) or len(search) > MAX_SEARCH:
        # a hand-made callback request can send any JSON value; a huge one is not even parsed
        # (the server refuses such a callback with a message first: web.limits)
        search = ""
    try:
        q = parse_qs(search.lstrip("?"), keep_blank_values=False, max_num_fields=MAX_FIELDS)
    except ValueError:  # too many fields
        q = {}
    try:
        teryt = parse_teryt((q.get("teryt") or [""])[0]) or ""
    except BadInput:
        teryt = ""
    dates = {}
    for key in ("from", "to"):
        try:
            d = parse_date(key, (q.get(key) or [""])[0])
        except BadInput:
            d = None
        dates[key] = d.isoformat() if d else ""
    preset = _one(q, "preset", PRESETS, DEFAULT_PRESET if not (dates["from"] or dates["to"]) else "custom")
    if dates["from"] and dates["to"] and dates["from"] > dates["to"]:
        dates = {"from": "", "to": ""}
        preset = DEFAULT_PRESET
    return ViewState(
        lang=_one(q, "lang", ("pl", "en"), "pl"),
        level=_one(q, "level", LEVELS, "voivodeship"),
        metric=_one(q, "metric", METRICS, default_metric(_one(q, "level", LEVELS, "voivodeship"))),
        teryt=teryt,
        preset=preset,
        date_from=dates["from"] if preset == "custom" else "",
        date_to=dates["to"] if preset == "custom" else "",
        compare=_one(q, "compare", COMPARES, "previous"),
        categories=(cats := _many(q, "category", reference.category_codes())),
        no_categories=not cats and NO_CATEGORIES in _many(q, "category", (NO_CATEGORIES,)),
        statuses=_many(q, "status", reference.status_codes()),
        outcomes=_many(q, "outcome", reference.OUTCOMES),
        sources=_many(q, "source", reference.SOURCES),
    )


def to_query(s: ViewState) -> str:
    """Only what differs from the defaults, in a stable order."""
    d = asdict(s)
    pairs: list[tuple[str, str]] = []
    for key in ("lang", "level", "metric", "teryt", "preset", "compare"):
        if d[key] != (default_metric(s.level) if key == "metric" else getattr(DEFAULT, key)):
            pairs.append((key, d[key]))
    if s.preset == "custom":
        if s.date_from:
            pairs.append(("from", s.date_from))
        if s.date_to:
            pairs.append(("to", s.date_to))
    if s.no_categories and not s.categories:
        pairs.append(("category", NO_CATEGORIES))
    for key, name in (("categories", "category"), ("statuses", "status"), ("outcomes", "outcome"),
                      ("sources", "source")):
        if d[key]:
            pairs.append((name, ",".join(d[key])))
    return ("?" + urlencode(pairs, safe=",")) if pairs else ""


def preset_range(preset: str, data_end: date | None, data_start: date | None,
                 date_from: str = "", date_to: str = "") -> tuple[date | None, date | None]:
    """The date range a preset stands for, relative to the newest data (not the clock)."""
    end = data_end or date.today()
    if preset == "7d":
        return end - timedelta(days=6), end
    if preset == "30d":
        return end - timedelta(days=29), end
    if preset == "90d":
        return end - timedelta(days=89), end
    if preset == "quarter":  # the last complete calendar quarter (the one ending on `end` counts)
        q_start = date(end.year, 3 * ((end.month - 1) // 3) + 1, 1)
        q_end = (date(q_start.year + (q_start.month + 3 > 12), (q_start.month + 2) % 12 + 1, 1)
                 - timedelta(days=1))
        if end < q_end:
            q_end = q_start - timedelta(days=1)
            q_start = date(q_end.year, 3 * ((q_end.month - 1) // 3) + 1, 1)
        return q_start, q_end
    if preset == "ytd":
        return date(end.year, 1, 1), end
    if preset == "last_year":
        return date(end.year - 1, 1, 1), date(end.year - 1, 12, 31)
    if preset == "all":
        return data_start, data_end
    f = date.fromisoformat(date_from) if date_from else data_start
    t = date.fromisoformat(date_to) if date_to else data_end
    if f and t and f > t:  # one end given, beyond the data's other end: that day alone (nothing to show)
        f, t = (t, t) if date_to else (f, f)
    return f, t


def filters_for(s: ViewState, data_start: date | None, data_end: date | None) -> Filters:
    f, t = preset_range(s.preset, data_end, data_start, s.date_from, s.date_to)
    return make_filters(date_from=f, date_to=t, categories=list(s.categories), statuses=list(s.statuses),
                        outcomes=list(s.outcomes), sources=list(s.sources), teryt=s.teryt or None)


def map_scope(s: ViewState) -> tuple[str, str]:
    """(level drawn on the map, teryt prefix the map shows)."""
    if not s.teryt:
        return s.level, ""
    lvl = level_of(s.teryt)
    if lvl == "gmina":
        return "gmina", s.teryt[:4]
    if LEVELS.index(s.level) > LEVELS.index(lvl):
        return s.level, s.teryt
    return next_level(lvl), s.teryt
