"""What one request may ask of the core: sizes of what a client sends, and the range of a series.

- a callback body, the dashboard's query string (`url.search`) and every other text a callback
  sends have upper bounds, checked before anything parses them (web.limits, dashboard.state);
- a daily series covers at most MAX_DAY_SPAN days, and every series stops at the data's own
  first and last day (a request for 2000–2100 does not build a century of empty periods).
"""

from __future__ import annotations

from datetime import date

from kmzb.query.filters import BadInput, Filters

# The largest real callback request is the table's CSV download, which sends the grid's
# virtualRowData: at gmina level for all of Poland (2,477 rows) 0.9 MB of JSON. 4 MiB leaves margin.
MAX_BODY_BYTES = 4 * 1024 * 1024
MAX_SEARCH = 4096      # characters of the dashboard's query string (the API's own limit is the same)
MAX_TEXT = 4096        # characters of any other text a callback sends (a real one sends < 200)
MAX_DAY_SPAN = 731     # days of a daily series (two years; a real dashboard uses days for <= 21)


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
