"""What one request may ask of the server (no Flask here: plain checks the hardening layer calls).

- sizes: a callback body, the dashboard's query string (`url.search`) and every other text a
  callback sends have upper bounds, checked before anything parses them;
- a daily series covers at most MAX_DAY_SPAN days, and every series stops at the data's own
  first and last day (a request for 2000–2100 does not build a century of empty periods);
- the cost a request is charged against the per-client rate limit: 1, more for the requests that
  cost the server most (gmina level, a comparison period, a daily series).
"""

from __future__ import annotations

from datetime import date

from .filters import BadInput, Filters

# The largest real callback request is the table's CSV download, which sends the grid's
# virtualRowData: at gmina level for all of Poland (2,477 rows) 0.9 MB of JSON. 4 MiB leaves margin.
MAX_BODY_BYTES = 4 * 1024 * 1024
MAX_SEARCH = 4096      # characters of the dashboard's query string (the API's own limit is the same)
MAX_TEXT = 4096        # characters of any other text a callback sends (a real one sends < 200)
MAX_DAY_SPAN = 731     # days of a daily series (two years; a real dashboard uses days for <= 21)

SEARCH_INPUT = ("url", "search")

# rate-limit cost of a request (units of the per-client budget, KMZB_API_RATE)
COST_GMINA = 2         # every one of 2,477 gminas, in the map, the table or the API rows
COST_COMPARE = 2       # a second period computed for the comparison
COST_DAY = 2           # a daily series (up to MAX_DAY_SPAN periods)
VIEWS_OUTPUT = "chart-timeline.figure"      # the one callback that redraws map, KPIs, charts, table
DOWNLOAD_OUTPUT = "table-download.data"     # the table's CSV (compare included)


def _items(values) -> list[dict]:
    """The {id, property, value} items of a callback body's inputs or state (pattern-matching
    inputs arrive as lists of items)."""
    out: list[dict] = []
    for v in values if isinstance(values, list) else []:
        if isinstance(v, dict):
            out.append(v)
        elif isinstance(v, list):
            out.extend(x for x in v if isinstance(x, dict))
    return out


def callback_problem(body) -> str | None:
    """Why a /_dash-update-component body is refused (a message for the caller), or None."""
    if not isinstance(body, dict):
        return "the callback request must be a JSON object"
    for item in _items(body.get("inputs")) + _items(body.get("state")):
        value = item.get("value")
        if not isinstance(value, str):
            continue
        key = (item.get("id"), item.get("property"))
        limit = MAX_SEARCH if key == SEARCH_INPUT else MAX_TEXT
        if len(value) > limit:
            name = f"{key[0]}.{key[1]}" if isinstance(key[0], str) else f"{key[1]}"
            return f"'{name}' is too long ({len(value)} characters; at most {limit})"
    return None


def search_of(body) -> str:
    """The url.search a callback body carries ('' when none)."""
    if isinstance(body, dict):
        for item in _items(body.get("inputs")) + _items(body.get("state")):
            if (item.get("id"), item.get("property")) == SEARCH_INPUT and isinstance(item.get("value"), str):
                return item["value"]
    return ""


def callback_cost(body) -> int:
    """Units charged for a dashboard callback: the view redraw and the table's CSV compute a
    comparison period and, at gmina level, every gmina; anything else costs 1."""
    output = body.get("output") if isinstance(body, dict) else None
    if not isinstance(output, str) or not (VIEWS_OUTPUT in output or DOWNLOAD_OUTPUT in output):
        return 1
    from dashboard.state import from_query, map_scope

    level, _ = map_scope(from_query(search_of(body)))
    return 1 + COST_COMPARE + (COST_GMINA if level == "gmina" else 0)


def api_cost(endpoint: str, args) -> int:
    """Units charged for an API request (`args`: the query-string mapping)."""
    cost = 1
    if endpoint == "districts":
        cost += COST_GMINA if args.get("level") == "gmina" else 0
        cost += COST_COMPARE if args.get("compare") else 0
    elif endpoint == "timeseries" and args.get("interval") == "day":
        cost += COST_DAY
    return cost


def series_range(f: Filters, interval: str, data_from: date | None, data_to: date | None
                 ) -> tuple[Filters | None, str | None]:
    """The filters a series is computed for: the requested range cut to the data's own first and
    last day (no reports lie outside it, so only empty periods are left out), with a note saying
    so; None when the range holds no data day. A daily series longer than MAX_DAY_SPAN days is
    refused (BadInput)."""
    want_from, want_to = f.date_from or data_from, f.date_to or data_to
    if want_from is None or want_to is None:  # no data at all
        return f, None
    start = max(want_from, data_from) if data_from else want_from
    end = min(want_to, data_to) if data_to else want_to
    if interval == "day" and (end - start).days + 1 > MAX_DAY_SPAN:
        raise BadInput(f"a daily series covers at most {MAX_DAY_SPAN} days; this one would cover "
                       f"{(end - start).days + 1} ({start} – {end}): ask for interval=week or month, "
                       f"or a shorter range")
    if start > end:
        return None, f"no periods: the data covers {data_from} – {data_to}"
    if (start, end) == (want_from, want_to):
        return f, None
    return (f.replace(date_from=start, date_to=end),
            f"periods cut to the data's range: {start} – {end} (there are no reports outside it)")


def bounded_timeseries(gw, f: Filters, interval: str, audience: str):
    """The API's time series under these bounds: (rows, extra response fields)."""
    m = gw.meta()
    lo, hi = (date.fromisoformat(m[k]) if m.get(k) else None for k in ("date_from", "date_to"))
    bounded, note = series_range(f, interval, lo, hi)
    if bounded is None:  # the range holds no data day: no periods (the columns from a one-day series)
        day = f.date_from or hi
        df = gw.timeseries(f.replace(date_from=day, date_to=day), interval, audience).iloc[:0]
    else:
        df = gw.timeseries(bounded, interval, audience)
    return df, ({"periods_note": note} if note else {})
