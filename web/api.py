"""Read-only HTTP API (/api/v1): the source for downloads and for re-checking any number."""

from __future__ import annotations

import json
import logging

import pandas as pd
from flask import Blueprint, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from kmzb.query import columns, sensitive
from kmzb.query.bounds import bounded_timeseries
from kmzb.query.filters import (
    FORMATS,
    INTERVALS,
    LEVELS,
    BadInput,
    parse_choice,
    parse_filters,
)
from kmzb.query.queries import PUBLIC
from kmzb.store import NoDataError, StoreError
from web.context import audience as request_audience
from web.context import gateway

log = logging.getLogger(__name__)

COMPARES = ("previous", "year")

KNOWN_PARAMS = {
    "districts": {"level", "compare", "from", "to", "category", "status", "outcome", "source", "teryt", "format"},
    "categories": {"from", "to", "category", "status", "outcome", "source", "teryt", "format"},
    "timeseries": {"interval", "from", "to", "category", "status", "outcome", "source", "teryt", "format"},
    "changes": {"level", "compare", "from", "to", "category", "status", "outcome", "source", "teryt", "format"},
    "meta": {"format"},
    "sensitive": {"from", "to", "category", "teryt", "format"},
}
SENSITIVE_TABLE_NOTE = ("Fixed table: powiat x complete quarter x sensitive category. Counts of 1-4 are shown as "
                        "null with small=true; outcome parts are withheld (parts_withheld=true) when any of them is "
                        "1-4. No totals over powiats, quarters, categories or outcomes are published.")
SENSITIVE_NOTE = ("Counts leave out the sensitive categories ({codes}): for the public they are published only "
                  "per powiat and complete quarter, with counts of 1-4 shown as '<5', at /api/v1/sensitive.")
MAX_QUERY = 4096


def _bad(message: str, status: int = 400):
    resp = jsonify({"error": message})
    resp.status_code = status
    return resp


def _check_params(endpoint: str) -> None:
    if len(request.query_string) > MAX_QUERY:
        raise BadInput(f"query string too long ({len(request.query_string)} bytes; at most {MAX_QUERY})")
    unknown = sorted(set(request.args) - KNOWN_PARAMS[endpoint])
    if unknown:
        raise BadInput(f"unknown parameter '{unknown[0]}'; allowed: {', '.join(sorted(KNOWN_PARAMS[endpoint]))}")
    for name in request.args:
        if name not in ("category", "status", "outcome", "source") and len(request.args.getlist(name)) > 1:
            raise BadInput(f"parameter '{name}' given more than once")




def _free_form_filters():
    """The filters of a free-form aggregate; for the public, naming a hidden category is an error
    that says where those counts are published (they would otherwise silently count nothing)."""
    f = parse_filters(request.args)
    if request_audience() == PUBLIC:
        hidden = [c for c in f.categories if c in sensitive.hidden_codes()]
        if hidden:
            raise BadInput(f"category '{hidden[0]}' is published for the public only per powiat and quarter: "
                           f"see /api/v1/sensitive?category={hidden[0]}")
    return f


def _public_note() -> dict:
    if request_audience() != PUBLIC:
        return {}
    codes = list(sensitive.hidden_codes())
    return {"excluded_categories": codes, "note": SENSITIVE_NOTE.format(codes=", ".join(codes))}


def _respond(df: pd.DataFrame, fmt: str, name: str, extra: dict | None = None):
    if fmt == "csv":
        body = df.to_csv(index=False, lineterminator="\n")
        return Response(body, mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="kmzb_{name}.csv"'})
    head = json.dumps({"data_version": gateway().version(), **(extra or {})}, ensure_ascii=False)
    # pandas writes the rows in C (NaN/NA -> null), far faster than dicts through jsonify
    rows = df.to_json(orient="records", force_ascii=False, double_precision=10, date_format="iso")
    return Response(head[:-1] + ', "rows": ' + rows + "}", mimetype="application/json")


def districts():
    _check_params("districts")
    level = parse_choice("level", request.args.get("level"), LEVELS, "voivodeship")
    fmt = parse_choice("format", request.args.get("format"), FORMATS, "json")
    compare = request.args.get("compare")
    f = _free_form_filters()
    if compare:
        compare = parse_choice("compare", compare, COMPARES, "previous")
        if not (f.date_from and f.date_to):
            raise BadInput("'compare' needs both 'from' and 'to'")
        df = gateway().district_table(f, level, compare, request_audience())[columns.DISTRICT_TABLE]
    else:
        df = gateway().district_rows(f, level, request_audience())[columns.DISTRICT]
    return _respond(df, fmt, f"districts_{level}", {"level": level, "filters": _fq(f), **_public_note()})


CHANGES_NOTE = ("Per district and category: the selected period against the comparison period, tested as two "
                "Poisson counts (exact conditional binomial test), Benjamini-Hochberg across every cell with a "
                "report in either period; only the significant rows (adjusted p < 0.05). rate_ratio is reports "
                "per day after / before, with its exact 95% interval.")


def changes():
    _check_params("changes")
    level = parse_choice("level", request.args.get("level"), LEVELS, "voivodeship")
    fmt = parse_choice("format", request.args.get("format"), FORMATS, "json")
    compare = parse_choice("compare", request.args.get("compare"), COMPARES, "previous")
    f = _free_form_filters()
    if not (f.date_from and f.date_to):
        raise BadInput("/api/v1/changes needs both 'from' and 'to'")
    df = gateway().changes(f, level, compare, request_audience())[columns.CHANGES]
    return _respond(df, fmt, f"changes_{level}", {"level": level, "compare": compare, "filters": _fq(f),
                                                  "note": CHANGES_NOTE, **_public_note()})


def categories():
    _check_params("categories")
    fmt = parse_choice("format", request.args.get("format"), FORMATS, "json")
    f = _free_form_filters()
    return _respond(gateway().categories(f, request_audience()), fmt, "categories",
                    {"filters": _fq(f), **_public_note()})


def timeseries():
    _check_params("timeseries")
    interval = parse_choice("interval", request.args.get("interval"), INTERVALS, "month")
    fmt = parse_choice("format", request.args.get("format"), FORMATS, "json")
    f = _free_form_filters()
    # cut to the data's own days; a daily series over more than MAX_DAY_SPAN days: 400
    df, bounds = bounded_timeseries(gateway(), f, interval, request_audience())
    return _respond(df, fmt, f"timeseries_{interval}",
                    {"interval": interval, "filters": _fq(f), **bounds, **_public_note()})


def meta():
    _check_params("meta")
    return jsonify(gateway().meta(request_audience()))


def sensitive_table():
    """The one fixed table of the hidden categories: powiat x complete quarter (kmzb.query.sensitive)."""
    _check_params("sensitive")
    fmt = parse_choice("format", request.args.get("format"), FORMATS, "json")
    f = parse_filters(request.args)
    df = gateway().sensitive(f.teryt, f.categories, f.date_from, f.date_to)
    return _respond(df, fmt, "sensitive", {"filters": _fq(f), "note": SENSITIVE_TABLE_NOTE})


def not_found(anything=""):
    return _bad(f"no such endpoint: /api/v1/{anything}; see "
                + ", ".join("/api/v1" + rule for rule, _, _ in ROUTES), 404)


# the API's routes (web.routes lists every route of the app)
ROUTES = (
    ("/districts", "districts", districts),
    ("/categories", "categories", categories),
    ("/timeseries", "timeseries", timeseries),
    ("/sensitive", "sensitive", sensitive_table),
    ("/changes", "changes", changes),
    ("/meta", "meta", meta),
)


def _store_error(e):
    log.error("store error: %s", e)
    return _bad("the data store is unavailable; try again shortly", 503)


def _missing_file(e):
    log.error("missing file: %s", e)
    return _bad(f"the server is missing reference data: {e}", 503)


def _unexpected(e):
    log.exception("unexpected error in API")
    return _bad("internal error; it has been logged", 500)


# every error inside the API answers JSON {"error": ...}: bad input 400, no data 503, ...
ERRORS = (
    (BadInput, lambda e: _bad(str(e))),
    (NoDataError, lambda e: _bad(str(e), 503)),
    (StoreError, _store_error),
    (FileNotFoundError, _missing_file),
    (HTTPException, lambda e: _bad(e.description or e.name, e.code or 500)),
    (Exception, _unexpected),
)


def _method_not_allowed(e):  # routing errors never reach the blueprint's own handlers
    if request.path == "/api/v1" or request.path.startswith("/api/v1/"):
        return _bad("the API is read-only: use GET", 405)
    return e


def create_api() -> Blueprint:
    bp = Blueprint("api_v1", __name__, url_prefix="/api/v1")
    for kind, handler in ERRORS:
        bp.register_error_handler(kind, handler)
    for rule, name, view in ROUTES:
        bp.add_url_rule(rule, name, view, methods=["GET"])
    # anything else under /api/v1 is a JSON 404 (else the dashboard's catch-all page answers)
    bp.add_url_rule("", "not_found", not_found)
    bp.add_url_rule("/", "not_found_slash", not_found)
    bp.add_url_rule("/<path:anything>", "not_found_path", not_found)
    bp.app_errorhandler(405)(_method_not_allowed)
    return bp


def _fq(f) -> dict:
    out: dict = {}
    for k, v in f.to_query():
        out.setdefault(k, []).append(v)
    return {k: (v if k in ("category", "status", "outcome", "source") else v[0]) for k, v in out.items()}
