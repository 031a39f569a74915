"""Controls <-> URL. One callback, so the cycle stays inside it (Dash allows that).

A control change (or a map click, a breadcrumb, a button) produces a new view state that is
written to the query string; a query-string change (opening a link, back / forward) writes
the state into the controls. The views read only the query string.
"""

from __future__ import annotations

from dash import ALL, Input, Output, State, ctx, no_update

from dashboard import ids
from dashboard.state import DEFAULT, ViewState, from_query, level_of, preset_range, to_query
from kmzb import reference

CONTROLS = [
    (ids.PRESET, "value"), (ids.DATES, "start_date"), (ids.DATES, "end_date"), (ids.COMPARE, "value"),
    (ids.CATEGORIES, "value"), (ids.OUTCOMES, "value"), (ids.STATUSES, "value"), (ids.SOURCES, "value"),
    (ids.REGION, "value"), (ids.LEVEL, "value"), (ids.METRIC, "value"),
]


def controls_of(s: ViewState, data_start=None, data_end=None) -> list:
    """The control values that show a state (date pickers show the preset's real range)."""
    f, t = preset_range(s.preset, data_end, data_start, s.date_from, s.date_to)
    return [s.preset, f.isoformat() if f else None, t.isoformat() if t else None, s.compare,
            list(s.categories), list(s.outcomes), list(s.statuses), list(s.sources), s.teryt or "",
            s.level, s.metric]


def state_from_controls(lang, preset, start, end, compare, categories, outcomes, statuses, sources, region,
                        level, metric) -> ViewState:
    q = [("lang", lang), ("level", level), ("metric", metric), ("teryt", region or ""),
         ("preset", preset), ("compare", compare)]
    if preset == "custom":
        q += [("from", start or ""), ("to", end or "")]
    q += [("category", ",".join(categories or [])), ("status", ",".join(statuses or [])),
          ("outcome", ",".join(outcomes or [])), ("source", ",".join(sources or []))]
    from urllib.parse import urlencode

    s = from_query("?" + urlencode([(k, v) for k, v in q if v], safe=","))
    if len(s.categories) == len(reference.category_codes()):
        s = s.with_(categories=())  # all selected is no filter
    return s


def apply_action(s: ViewState, trigger, *, click_feature: dict | None = None, data_start=None,
                 data_end=None, start=None, end=None) -> ViewState:
    """The state after a user action. `trigger` is the id of what fired (string or dict)."""
    if trigger == ids.RESET:
        return DEFAULT.with_(lang=s.lang)
    if trigger == ids.CAT_ALL or trigger == ids.CAT_NONE:
        return s.with_(categories=())
    if isinstance(trigger, dict) and trigger.get("type") == ids.CAT_GROUP:
        group = [c.code for c in reference.categories() if c.group == trigger["group"]]
        chosen = set(s.categories)
        chosen = chosen - set(group) if set(group) <= chosen else chosen | set(group)
        cats = tuple(c for c in reference.category_codes() if c in chosen)
        return s.with_(categories=() if len(cats) == len(reference.category_codes()) else cats)
    if isinstance(trigger, dict) and trigger.get("type") == ids.CRUMB:
        return s.with_(teryt=trigger["teryt"])
    if trigger == ids.GEOJSON and click_feature:
        teryt = str((click_feature.get("properties") or {}).get("teryt") or "")
        if level_of(teryt):
            return s.with_(teryt=teryt)
        return s
    if trigger == ids.DATES:
        f, t = preset_range(s.preset, data_end, data_start)
        if s.preset != "custom" and start == (f.isoformat() if f else None) and end == (t.isoformat() if t else None):
            return s
        return s.with_(preset="custom", date_from=start or "", date_to=end or "")
    if trigger == ids.PRESET and s.preset != "custom":
        return s.with_(date_from="", date_to="")
    return s


def register(app, data_range) -> None:
    """`data_range()` -> (first, last) date in the data, for presets."""

    @app.callback(
        Output(ids.URL, "search"),
        *[Output(i, p) for i, p in CONTROLS],
        Input(ids.URL, "search"),
        *[Input(i, p) for i, p in CONTROLS],
        Input(ids.GEOJSON, "clickData"),
        Input(ids.CAT_ALL, "n_clicks"), Input(ids.CAT_NONE, "n_clicks"),
        Input({"type": ids.CAT_GROUP, "group": ALL}, "n_clicks"),
        Input({"type": ids.CRUMB, "teryt": ALL}, "n_clicks"),
        Input(ids.RESET, "n_clicks"),
        State(ids.LANG, "data"),
        prevent_initial_call=True,
    )
    def sync(search, preset, start, end, compare, categories, outcomes, statuses, sources, region, level, metric,
             click, _all, _none, _groups, crumbs, _reset, lang):
        return sync_state(ctx.triggered_id, search, [preset, start, end, compare, categories, outcomes, statuses,
                                                     sources, region, level, metric], click, lang, data_range,
                          crumb_clicks=crumbs)


def sync_state(trigger, search, controls, click, lang, data_range, crumb_clicks=None):
    """The sync callback as a plain function: returns [search, *controls] with no_update where unchanged."""
    data_start, data_end = data_range()
    n = len(CONTROLS)
    if trigger is None:
        return [no_update] * (n + 1)
    if isinstance(trigger, dict) and trigger.get("type") == ids.CRUMB and not any(crumb_clicks or []):
        return [no_update] * (n + 1)  # breadcrumbs re-rendered, nobody clicked
    if trigger == ids.URL:
        s = from_query(search)
        wanted = controls_of(s, data_start, data_end)
        return [no_update] + [w if w != c else no_update for w, c in zip(wanted, controls)]
    current = state_from_controls(lang, *controls)
    s = apply_action(current, trigger, click_feature=click, data_start=data_start, data_end=data_end,
                     start=controls[1], end=controls[2])
    wanted = controls_of(s, data_start, data_end)
    new_search = to_query(s)
    return [new_search if new_search != (search or "") else no_update] + [
        w if w != c else no_update for w, c in zip(wanted, controls)]
