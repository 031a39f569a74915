"""What one callback request may ask of the server (plain checks web.security calls):

- sizes: a callback body, the dashboard's query string (`url.search`) and every other text a
  callback sends have upper bounds (kmzb.query.bounds), checked before anything parses them;
- the cost a request is charged against the per-client rate limit: 1, more for the requests that
  cost the server most (gmina level, a comparison period, a daily series).
"""

from __future__ import annotations

from kmzb.query.bounds import MAX_BODY_BYTES, MAX_SEARCH, MAX_TEXT  # noqa: F401  (MAX_BODY_BYTES: web.security)

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
