"""The language switch, in place: the page's content is rebuilt in the other language and swapped in
without reloading the page (its scripts, the map's boundaries and the browser's caches stay), the URL
keeps every filter and gains the language (pushed to the history, so the link stays shareable).

- A plain click on the switch (assets/kmzb_lang.js keeps the browser from following its link) -> one
  response: the new URL and the new content; the callbacks that read the URL then fill the new content
  (the views compute once, in the new language).
- Back / forward to a URL in the other language -> the browser notices (`ids.LANG_WANTED`) and the
  content is rebuilt for that URL (the views compute twice: for the URL, then for the new content).
The page's <title> and <html lang> follow `ids.TITLE` / `ids.LANG` in the browser.
"""

from __future__ import annotations

from collections.abc import Callable

from dash import ClientsideFunction, Input, Output, State, ctx, no_update

from dashboard import ids
from dashboard.layout import page_title
from dashboard.state import ViewState, from_query, to_query

OUTPUTS = 5  # search, page content, page lang, language, title


def switch(trigger, search, page_of: Callable[[ViewState], list]) -> list:
    """[search, page content, page lang, language, title] after `trigger` (the switch, or the browser
    landing on a URL whose language the page does not have). The search is always sent: the callbacks that
    read it (the views, the controls) run on it and fill the new content (Dash runs a callback whose input
    a response sets, changed or not; it did not run them for the new content alone after back / forward)."""
    s = from_query(search)
    if trigger == ids.LANG_LINK:
        s = s.with_(lang="en" if s.lang == "pl" else "pl")
        return [to_query(s), page_of(s), s.lang, s.lang, page_title(s.lang)]
    if trigger == ids.LANG_WANTED:
        return [search or "", page_of(s), s.lang, s.lang, page_title(s.lang)]
    return [no_update] * OUTPUTS


def register(app, page_of: Callable[[ViewState], list]) -> None:
    """`page_of(state)` -> the page's content for that view (web.pages.page_for: the request's viewer)."""

    @app.callback(
        Output(ids.URL, "search", allow_duplicate=True),
        Output(ids.PAGE, "children"), Output(ids.PAGE, "lang"), Output(ids.LANG, "data"), Output(ids.TITLE, "data"),
        Input(ids.LANG_LINK, "n_clicks"), Input(ids.LANG_WANTED, "data"),
        State(ids.URL, "search"),
        prevent_initial_call=True,
    )
    def language(_clicks, _wanted, search):
        return switch(ctx.triggered_id, search, page_of)

    # in the browser (assets/kmzb_lang.js): the switch's link follows the URL's filters; a URL in
    # another language than the page's (back / forward) asks for the page in it; <title> and <html lang>
    app.clientside_callback(ClientsideFunction("kmzbLang", "href"), Output(ids.LANG_LINK, "href"),
                            Input(ids.URL, "search"))
    app.clientside_callback(ClientsideFunction("kmzbLang", "wanted"), Output(ids.LANG_WANTED, "data"),
                            Input(ids.URL, "search"), State(ids.LANG, "data"), prevent_initial_call=True)
    app.clientside_callback(ClientsideFunction("kmzbLang", "document"), Input(ids.TITLE, "data"),
                            State(ids.LANG, "data"), prevent_initial_call=True)
