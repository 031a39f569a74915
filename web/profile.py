"""The district profile (debate pack): /profile/<teryt> as a server-rendered HTML page (print
stylesheet included), the same page as a PDF made by WeasyPrint, and its tables as a spreadsheet.

Numbers come from kmzb.query.profile with this request's audience (the public rules apply exactly as
in the API); texts through the gettext catalogues, numbers and dates in the page's language."""

from __future__ import annotations

import logging
import re
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, render_template, request

from dashboard import profile_charts as charts
from dashboard.profile_sheet import workbook
from kmzb import i18n, teryt
from kmzb.i18n import (
    fmt_date,
    fmt_dec,
    fmt_int,
    fmt_pct,
    fmt_signed_pct,
    normalise_lang,
    translator,
)
from kmzb.query import profile as core
from kmzb.query import sensitive
from kmzb.query.filters import BadInput, parse_date
from kmzb.query.queries import PUBLIC
from kmzb.store import NoDataError
from web.context import audience as request_audience
from web.context import gateway

log = logging.getLogger(__name__)
CODE = re.compile(r"^(\d{2}|\d{4}|\d{7})$")
KNOWN = {"from", "to", "lang"}
LEVEL_NAMES = {"voivodeship": "Voivodeship", "powiat": "Powiat", "gmina": "Gmina"}


class PageError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def _lang() -> str:
    return normalise_lang(request.args.get("lang"))


def _profile(code: str) -> core.Profile:
    _ = translator(_lang())
    if not CODE.match(code):
        raise PageError(404, _("No district has the code “{code}”: a TERYT code has 2 (voivodeship), "
                               "4 (powiat) or 7 (gmina) digits.").format(code=code[:40]))
    unknown = sorted(set(request.args) - KNOWN)
    if unknown:
        raise PageError(400, _("Unknown parameter “{name}”; allowed: from, to, lang.").format(name=unknown[0][:40]))
    try:
        d_from = parse_date("from", request.args.get("from"))
        d_to = parse_date("to", request.args.get("to"))
    except BadInput as e:
        raise PageError(400, _("Bad date: {problem}. Use YYYY-MM-DD.").format(problem=str(e))) from None
    if d_from and d_to and d_from > d_to:
        raise PageError(400, _("The period's start ({start}) is after its end ({end}).").format(
            start=d_from.isoformat(), end=d_to.isoformat()))
    if (d_from is None) != (d_to is None):
        raise PageError(400, _("Give both “from” and “to”, or neither (the last 12 complete months)."))
    try:
        return core.build(gateway(), code, d_from, d_to, request_audience())
    except core.NotADistrict:
        raise PageError(404, _("No district has the code “{code}”.").format(code=code)) from None
    except NoDataError:
        raise PageError(503, _("No data yet: try again after the first import.")) from None


def _query(**extra) -> str:
    q = {k: request.args[k] for k in ("from", "to", "lang") if request.args.get(k)}
    q.update({k: v for k, v in extra.items() if v})
    return ("?" + urlencode(q)) if q else ""


def _scope_names(p: core.Profile, _) -> dict[str, str]:
    names = {"district": p.label, "poland": _("Poland"), "peer": _("Peer group")}
    for code, label in p.parents:
        names[teryt.level_of(code)] = label
    return names


def _peer_text(p: core.Profile, lang: str) -> str:
    _ = translator(lang)
    kinds = {"urban": _("urban gminas"), "rural": _("rural gminas"), "urban-rural": _("urban-rural gminas"),
             "other": _("gminas"), "city": _("cities with powiat rights"), "land": _("land powiats"),
             "voivodeship": _("voivodeships")}
    pop = (_("{low} to {high} inhabitants").format(low=fmt_int(p.peer["pop_low"], lang),
                                                   high=fmt_int(p.peer["pop_high"], lang))
           if p.peer["pop_high"] else _("{low} inhabitants or more").format(low=fmt_int(p.peer["pop_low"], lang)))
    return _("The peer group: all {kind} in Poland with {pop} ({n}), this one left out; its figures are "
             "their sums.").format(kind=kinds.get(p.peer["kind"], p.peer["kind"]), pop=pop,
                                   n=fmt_int(p.peer["members"], lang))


def _kind_text(p: core.Profile, _) -> str:
    return {"urban": _("urban gmina"), "rural": _("rural gmina"), "urban-rural": _("urban-rural gmina"),
            "other": p.kind, "city": _("city with powiat rights"), "land": _("land powiat"),
            "voivodeship": _("Voivodeship")}.get(p.kind, p.kind)


def context(p: core.Profile, lang: str, *, for_pdf: bool = False) -> dict:
    """Everything the template shows, formatted in the page's language."""
    _ = translator(lang)
    names = _scope_names(p, _)
    head = p.headline.to_dict("records")
    cat_label = "label_en" if lang == "en" else "label_pl"
    settings = current_app.extensions["kmzb_settings"]
    gw = gateway()
    manifest = gw.map_manifest()
    geo = settings.assets_geo_dir
    values = dict(zip(p.units["teryt"], p.units["reports_per_10k"]))
    if p.level == "gmina":
        focus_path, ctx_codes = geo / manifest["gmina"], []
    else:
        focus_path, ctx_codes = geo / manifest[p.level], p.map_codes["context"]
    ctx_names = dict(zip(gw.districts_table(p.level)["teryt"], gw.districts_table(p.level)["name"]))
    if p.level == "gmina":
        ctx_names = dict(zip(p.units["teryt"], p.units["name"]))
    period = f"{fmt_date(p.f.date_from, lang)} – {fmt_date(p.f.date_to, lang)}"
    previous = f"{fmt_date(p.prev.date_from, lang)} – {fmt_date(p.prev.date_to, lang)}"
    svg = {
        "bars": charts.comparison_bars([names[r["scope"]] for r in head], [r["reports_per_10k"] for r in head],
                                       lang, _("Reports per 10,000 inhabitants")),
        "trend": charts.trend(list(p.trend["month"]), list(p.trend["reports"]),
                              [None if v is None or v != v else v for v in p.trend["reports_year_before"]], lang,
                              _("Reports per month"), (_("Reports"), _("Same month a year earlier"))),
        "week": charts.week_heatmap(list(p.week.itertuples(index=False, name=None)), lang,
                                    _("Reports by day of week and time of day")),
        "map": charts.district_map(str(geo / manifest[p.map_codes["level"]]), values, p.teryt, str(focus_path),
                                   ctx_codes, ctx_names, lang, _("Map"), _("Reports per 10,000 inhabitants"),
                                   label_coloured=p.level == "gmina"),
    }
    home = "/?" + urlencode({"lang": lang, "level": p.level, "teryt": p.teryt,
                             **({"preset": "custom", "from": request.args["from"], "to": request.args["to"]}
                                if request.args.get("from") and request.args.get("to") else {})})
    return {
        "lang": lang, "_": _, "p": p, "names": names, "head": head, "cat_label": cat_label, "svg": svg,
        "period": period, "previous": previous, "kind": _kind_text(p, _), "peer_text": _peer_text(p, lang),
        "fmt_int": lambda v: fmt_int(v, lang), "fmt_dec": lambda v, d=1: fmt_dec(v, lang, d),
        "fmt_pct": lambda v: fmt_pct(v, lang), "fmt_change": lambda v: fmt_signed_pct(v, lang),
        "fmt_date": lambda v: fmt_date(v, lang), "level_name": _(LEVEL_NAMES[p.level]),
        "changes_categories": core.significant(p.categories, "code").to_dict("records"),
        "changes_units": core.significant(p.units, "teryt").to_dict("records"),
        "hidden": [i18n.category_label(c, lang) for c in sensitive.hidden_codes()] if p.audience == PUBLIC else [],
        "home": home, "self_url": f"/profile/{p.teryt}", "query": _query(),
        "other_lang": "en" if lang == "pl" else "pl",
        "other_lang_query": _query(lang="en" if lang == "pl" else "pl"),
        "for_pdf": for_pdf, "api": _api_links(p),
    }


def _api_links(p: core.Profile) -> dict[str, str]:
    q = {"from": p.f.date_from.isoformat(), "to": p.f.date_to.isoformat()}
    return {
        "districts": "/api/v1/districts?" + urlencode({"level": p.level, "teryt": p.teryt, "compare": "previous", **q}),
        "categories": "/api/v1/categories?" + urlencode({"teryt": p.teryt, **q}),
        "timeseries": "/api/v1/timeseries?" + urlencode({"interval": "month", "teryt": p.teryt}),
    }


def _html(code: str, for_pdf: bool = False) -> tuple[core.Profile, str]:
    p = _profile(code)
    return p, render_template("profile.html", **context(p, _lang(), for_pdf=for_pdf))


def _filename(p: core.Profile, ext: str) -> str:
    return f"kmzb_profil_{p.teryt}_{p.f.date_from.isoformat()}_{p.f.date_to.isoformat()}.{ext}"


def page(code: str):
    return _html(code)[1]


def pdf(code: str):
    from weasyprint import HTML

    p, html = _html(code, for_pdf=True)
    body = HTML(string=html, base_url=request.host_url).write_pdf()
    return Response(body, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{_filename(p, "pdf")}"'})


def xlsx(code: str):
    p = _profile(code)
    body = workbook(p, _lang())
    return Response(body, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{_filename(p, "xlsx")}"'})


def _error(e: PageError):
    lang = _lang()
    _ = translator(lang)
    html = render_template("message.html", lang=lang, message=e.message, home="/?lang=" + lang,
                           t_back=_("Back to the dashboard"))
    return Response(html, status=e.status, mimetype="text/html")


# web.routes lists them
ROUTES = (
    ("/profile/<code>", "page", page),
    ("/profile/<code>.pdf", "pdf", pdf),
    ("/profile/<code>.xlsx", "xlsx", xlsx),
)


def create_profile_blueprint() -> Blueprint:
    bp = Blueprint("profile", __name__)
    bp.register_error_handler(PageError, _error)
    for rule, name, view in ROUTES:
        bp.add_url_rule(rule, name, view, methods=["GET"])
    return bp



