"""Controls <-> URL. One callback, so the cycle stays inside it (Dash allows that).

A control change (or a map click, a breadcrumb, a button) produces a new view state that is
written to the query string; a query-string change (opening a link, back / forward) writes
the state into the controls. The views read only the query string.
"""

from __future__ import annotations

from dash import ALL, Input, Output, State, ctx, no_update

from dashboard import ids
from dashboard.state import (
    DEFAULT,
    ViewState,
    from_query,
    map_scope,
    preset_range,
    to_query,
)
from kmzb import reference
from kmzb.i18n import translator
from kmzb.query.filters import LEVELS, BadInput, parse_date
from kmzb.teryt import level_of
from web.context import audience

CONTROLS = [
    (ids.PRESET, "value"), (ids.DATES, "start_date"), (ids.DATES, "end_date"), (ids.COMPARE, "value"),
    (ids.CATEGORIES, "value"), (ids.OUTCOMES, "value"), (ids.STATUSES, "value"), (ids.SOURCES, "value"),
    (ids.REGION, "value"), (ids.LEVEL, "value"), (ids.METRIC, "value"),
]


def choosable() -> tuple[str, ...]:
    """The category codes the viewer can pick: the public never a hidden one (those are published
    only in the fixed table of kmzb.query.sensitive)."""
    police = audience() == "police"
    return tuple(c.code for c in reference.categories() if police or c.public_visibility != "hidden")


def controls_of(s: ViewState, data_start=None, data_end=None) -> list:
    """The control values that show a state (date pickers show the preset's real range)."""
    f, t = preset_range(s.preset, data_end, data_start, s.date_from, s.date_to)
    return [s.preset, f.isoformat() if f else None, t.isoformat() if t else None, s.compare,
            list(s.categories), list(s.outcomes), list(s.statuses), list(s.sources), s.teryt or "",
            map_scope(s)[0], s.metric]  # the level radio shows the level the map draws


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
    if set(choosable()) <= set(s.categories):
        s = s.with_(categories=())  # all selected is no filter
    return s


def apply_action(s: ViewState, trigger, *, click_feature: dict | None = None, data_start=None,
                 data_end=None, start=None, end=None) -> ViewState:
    """The state after a user action. `trigger` is the id of what fired (string or dict)."""
    if trigger == ids.RESET:
        return DEFAULT.with_(lang=s.lang)
    if trigger == ids.CAT_ALL:
        return s.with_(categories=(), no_categories=False)
    if trigger == ids.CAT_NONE:
        return s.with_(categories=(), no_categories=True)
    if trigger == ids.LEVEL and s.teryt:
        return level_chosen(s)
    if isinstance(trigger, dict) and trigger.get("type") == ids.CAT_GROUP:
        codes = choosable()
        group = [c.code for c in reference.categories() if c.group == trigger.get("group") and c.code in codes]
        chosen = set(s.categories)
        chosen = chosen - set(group) if set(group) <= chosen else chosen | set(group)
        cats = tuple(c for c in reference.category_codes() if c in chosen)
        return s.with_(categories=() if set(codes) <= set(cats) else cats, no_categories=False)
    if isinstance(trigger, dict) and trigger.get("type") == ids.CRUMB:
        teryt = trigger.get("teryt")
        return s.with_(teryt=teryt) if teryt == "" or _is_teryt(teryt) else s
    if trigger == ids.GEOJSON and isinstance(click_feature, dict):
        props = click_feature.get("properties")
        teryt = str((props if isinstance(props, dict) else {}).get("teryt") or "")
        if _is_teryt(teryt):
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


def level_chosen(s: ViewState) -> ViewState:
    """The level radio always means "draw this level": a level not finer than the selected region's
    moves the selection up to the region's ancestor one level above it (gminas of a gmina's powiat,
    powiats of a powiat's voivodeship, Poland for voivodeships), so the map draws what is ticked."""
    region = level_of(s.teryt)
    if region == "gmina" and s.level == "gmina":
        return s
    if LEVELS.index(s.level) > LEVELS.index(region):
        return s
    return s.with_(teryt={"voivodeship": "", "powiat": s.teryt[:2], "gmina": s.teryt[:4]}[s.level])


def bad_dates(start, end) -> str | None:
    """Why typed dates cannot be used: "invalid" (not a date), "reversed" (start after end), or None."""
    parsed = []
    for v in (start, end):
        if v in (None, ""):
            parsed.append(None)
            continue
        d = _date_or_none(v)
        if d is None:
            return "invalid"
        parsed.append(d)
    if parsed[0] and parsed[1] and parsed[0] > parsed[1]:
        return "reversed"
    return None


def dates_message(trigger, start, end, lang) -> str:
    """The message under the date inputs (empty when the dates are fine)."""
    why = bad_dates(start, end) if trigger == ids.DATES else None
    if why is None:
        return ""
    _ = translator(lang if lang in ("pl", "en") else "pl")
    return (_("The start date is after the end date; the dates were set back.") if why == "reversed"
            else _("That is not a valid date (YYYY-MM-DD); the dates were set back."))


def register(app, data_range) -> None:
    """`data_range()` -> (first, last) date in the data, for presets."""
    register_share(app)

    @app.callback(
        Output(ids.URL, "search"),
        *[Output(i, p) for i, p in CONTROLS],
        Output(ids.DATES_MSG, "children"),
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
        out = sync_state(ctx.triggered_id, search, [preset, start, end, compare, categories, outcomes, statuses,
                                                    sources, region, level, metric], click, lang, data_range,
                         crumb_clicks=crumbs)
        return [*out, dates_message(ctx.triggered_id, start, end, lang)]


SHARE_JS = """
async function (n) {
    if (!n) return window.dash_clientside.no_update;
    const url = window.location.href;
    const el = document.getElementById("%s");
    const copied = (el && el.dataset.copied) || "Link copied";
    const failed = (el && el.dataset.failed) || "Copy this link:";
    const touch = window.matchMedia && window.matchMedia("(pointer: coarse)").matches;
    if (navigator.share && touch) {  // a phone: the system's share sheet
        try { await navigator.share({title: document.title, url: url}); return ""; }
        catch (e) { if (e && e.name === "AbortError") return ""; }
    }
    try { await navigator.clipboard.writeText(url); return copied; }
    catch (e) { return failed + " " + url; }
}
""" % ids.SHARE_MSG


def register_share(app) -> None:
    """The share button: the system's share sheet on a phone, else the link to the clipboard (in the
    browser: the link is the view, see the module docstring)."""
    app.clientside_callback(SHARE_JS, Output(ids.SHARE_MSG, "children"), Input(ids.SHARE, "n_clicks"),
                            prevent_initial_call=True)


def register_region_search(app, regions) -> None:
    """`regions()` -> {level: [(teryt, label)]}: the region picker searches on the server."""
    from dashboard.layout import region_options

    @app.callback(Output(ids.REGION, "options"), Input(ids.REGION, "search_value"),
                  State(ids.REGION, "value"), State(ids.LANG, "data"), prevent_initial_call=True)
    def region_search(search, value, lang):
        return region_options(regions(), lang if lang in ("pl", "en") else "pl",
                              search=search if isinstance(search, str) else "",
                              selected=value if isinstance(value, str) else "")


def _is_teryt(v) -> bool:
    return isinstance(v, str) and v.isascii() and v.isdigit() and level_of(v) is not None


def _date_or_none(v):
    try:
        d = parse_date("date", v[:10]) if isinstance(v, str) else None
    except BadInput:
        return None
    return d.isoformat() if d else None


def clean_controls(controls) -> list:
    """The control values as the components send them; anything else (a hand-made request can
    send any JSON) becomes None, and lists keep only their strings."""
    c = list(controls)[:len(CONTROLS)] if isinstance(controls, (list, tuple)) else []
    c += [None] * (len(CONTROLS) - len(c))
    out = []
    for (cid, prop), v in zip(CONTROLS, c):
        if cid == ids.DATES:
            out.append(_date_or_none(v))
        elif cid in (ids.CATEGORIES, ids.OUTCOMES, ids.STATUSES, ids.SOURCES):
            out.append([x for x in v if isinstance(x, str)] if isinstance(v, list) else None)
        else:
            out.append(v if isinstance(v, str) else None)
    return out


def sync_state(trigger, search, controls, click, lang, data_range, crumb_clicks=None):
    """The sync callback as a plain function: returns [search, *controls] with no_update where unchanged."""
    data_start, data_end = data_range()
    raw = list(controls)[:len(CONTROLS)] if isinstance(controls, (list, tuple)) else []
    raw += [None] * (len(CONTROLS) - len(raw))
    controls = clean_controls(controls)
    lang = lang if isinstance(lang, str) else None
    crumb_clicks = crumb_clicks if isinstance(crumb_clicks, list) else []
    n = len(CONTROLS)
    if trigger is None:
        return [no_update] * (n + 1)
    if isinstance(trigger, dict) and trigger.get("type") == ids.CRUMB and not any(crumb_clicks or []):
        return [no_update] * (n + 1)  # breadcrumbs re-rendered, nobody clicked
    if trigger == ids.URL:
        s = from_query(search)
        wanted = controls_of(s, data_start, data_end)
        return [no_update] + [w if w != c else no_update for w, c in zip(wanted, controls)]
    before = from_query(search)
    if trigger == ids.DATES and bad_dates(raw[1], raw[2]):
        s = before  # a reversed or impossible date changes nothing; the inputs are set back (and told why)
    else:
        current = state_from_controls(lang, *controls)
        if trigger != ids.LEVEL:  # the radio shows the level drawn; the view keeps the level chosen
            current = current.with_(level=before.level)
        if before.no_categories and not current.categories:
            current = current.with_(no_categories=True)
        s = apply_action(current, trigger, click_feature=click, data_start=data_start, data_end=data_end,
                         start=controls[1], end=controls[2])
    wanted = controls_of(s, data_start, data_end)
    new_search = to_query(s)
    return [new_search if new_search != (search or "") else no_update] + [
        w if w != c else no_update for w, c in zip(wanted, controls)]
