"""Property-based fuzzing (hypothesis) of everything that takes untrusted input:

- the extract reader: arbitrary bytes, and valid extracts with mutated fields, rows, header and
  encoding -> `read_extract` returns or raises ExtractError, nothing else; every data record is
  good, rejected (with its physical line) or an identical duplicate;
- the API: random query strings on every endpoint -> 200/400/404/503, JSON `error` otherwise, never
  a 500 or a traceback;
- the dashboard callbacks as plain functions: random `search` strings and control values of any
  type -> no exception but Dash's PreventUpdate;
- hand-made POSTs to /_dash-update-component: well-formed with garbage values -> 200/204; garbage
  payloads -> never a traceback, and the server keeps serving.

Each test's examples are bounded (the file runs in well under a minute). With CI set the runs
are derandomized, so a CI failure is reproducible; locally each run explores new examples.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import tempfile
from datetime import date
from pathlib import Path

import pytest
from dash import no_update
from dash.exceptions import PreventUpdate
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from kmzb import demo, reference
from kmzb.config import get_settings
from kmzb.ingest.extract import ExtractError, read_extract
from kmzb.ingest.run import run_ingest

from .conftest import (
    DEMO_END,
    GDANSK,
    GEO_DIR,
    HEADER,
    KRAKOW,
    WROCLAW,
    app_without_rate_limit,
    demo_on_shared,
    row,
)
from .helpers import dash_outputs

CI = bool(os.environ.get("CI"))


def bounded(n: int):
    return hsettings(max_examples=n, deadline=None, derandomize=CI, print_blob=True,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                            HealthCheck.filter_too_much])


# ============================================================================ the extract reader

@pytest.fixture(scope="module")
def lookup():
    from kmzb.geo.lookup import geo_index

    return geo_index(GEO_DIR).lookup


@pytest.fixture(scope="module")
def workdir():
    with tempfile.TemporaryDirectory(prefix="kmzb-fuzz-") as d:
        yield Path(d)


def check_extract(path: Path, lookup, expected_records: int | None = None, record_lines: list[int] | None = None,
                  oids: list[str] | None = None):
    """read_extract returns or raises ExtractError; on return, the accounting holds."""
    try:
        ex = read_extract(path, lookup)
    except ExtractError as e:
        assert e.problem and str(path) in str(e)
        return None
    good, rej = ex.good, ex.rejects
    # every data record is either good, rejected, or an identical duplicate of a good one
    assert len(good) + len(rej) + ex.duplicates == ex.rows
    if expected_records is not None:
        assert ex.rows == expected_records
    assert sum(ex.reasons.values()) == len(rej)
    if len(rej):
        assert rej["reason"].notna().all() and rej["line"].notna().all()
        assert (rej["line"] >= 2).all()
    if len(good):
        assert good["objectid"].gt(0).all() and not good[["objectid", "modified_at"]].duplicated().any()
        assert good["category"].isin(reference.category_codes()).all()
        assert good["status"].isin(reference.status_codes()).all()
        assert (good["modified_at"] >= good["created_at"]).all()
        assert good["x"].between(100_000, 950_000).all() and good["y"].between(50_000, 850_000).all()
        assert good["gmina"].str.fullmatch(r"\d{7}").all()
        assert good["source"].isin(reference.SOURCES).all()
    if record_lines is not None:
        # line numbers are the physical lines where each record starts
        starts = dict(zip(record_lines, oids))
        for line, oid in zip(good["line"], good["objectid"]):
            assert int(line) in starts, (line, sorted(starts)[:20])
            assert starts[int(line)].strip() == str(oid)
        for line in rej["line"]:
            assert int(line) in starts, (line, sorted(starts)[:20])
    return ex


@bounded(150)
@given(data=st.binary(max_size=3000), name=st.sampled_from(["kmzb_20240501.csv", "kmzb_full_20240501.csv",
                                                            "kmzb_20240501.csv.gz"]),
       with_header=st.booleans(), gz=st.booleans())
def test_reader_on_arbitrary_bytes(lookup, workdir, data, name, with_header, gz):
    if with_header:  # past the header checks, into the row parser
        data = ";".join(HEADER).encode() + b"\r\n" + data
    if gz:
        data = gzip.compress(data, mtime=0)
    path = workdir / name
    path.write_bytes(data)
    check_extract(path, lookup)


NASTY = [
    "", " ", ";", ",", '"', '""', '"x"', "'", "\n", "\r\n", "\r", "a;b", "a,b", 'a"b', "a\nb", "\t",
    "NaN", "nan", "inf", "-inf", "Infinity", "1e400", "-1e400", "1e-400", "9" * 19, "9" * 40, "0", "-1", "+1",
    "00000000000000000001", "1.5", "1,5", "0x10", "1_000", "١٢٣", "²",
    "2024-02-30", "2024-02-30 10:00:00", "2023-02-29 10:00:00", "2024-13-01 00:00:00", "2024-05-01 24:00:00",
    "2024-05-01 23:59:60", "2024-05-01T10:00:00+25:00", "2024-05-01T10:00:00Z", "2024-03-31 02:30:00",
    "0000-00-00 00:00:00", "9999-12-31 23:59:59", "1677-09-21 00:00:00", "2262-04-12 00:00:00",
    "20240501", "2024-05-01", "01.05.2024 10:00", "\ufeff", "\x00", "\x1a", "ż", "Ł", "😀", "\u202e", "\u00a0",
    "Nowe", "NOWE", " nowe ", "Potwierdzone", "Żart lub pomyłka", "Przekraczanie dozwolonej prędkości",
    "wypalanie-traw", "internet", "Debata", "kontakt", "telegraf", "pon,wt,xx", "rano,noc", "1261011", "12610",
    "567890.12", "567890,12", "244000", "-567890", "1e6", "500000;300000",
]
field_value = st.one_of(st.sampled_from(NASTY), st.text(max_size=25),
                        st.integers(min_value=-(10 ** 25), max_value=10 ** 25).map(str),
                        st.floats(allow_nan=True, allow_infinity=True).map(repr))
PLACES = [KRAKOW, GDANSK, WROCLAW]


@st.composite
def extracts(draw):
    """A valid extract, then mutated: fields, row shapes, header, delimiter, quoting, encoding."""
    n = draw(st.integers(min_value=0, max_value=25))
    header = list(HEADER)
    if draw(st.booleans()):
        header = draw(st.permutations(header))
    if draw(st.integers(0, 4)) == 0:
        header = header + ["Wersja"]
    if draw(st.integers(0, 5)) == 0:  # optional columns left out
        dropped = draw(st.lists(st.sampled_from(HEADER[5:]), max_size=4))
        header = [h for h in header if h not in dropped]
    rows = []
    for i in range(n):
        oid = draw(st.integers(1, 12))  # small range: duplicates, identical or not
        r = row(oid, place=draw(st.sampled_from(PLACES)),
                created=draw(st.sampled_from(["2024-05-01 10:00:00", "2024-05-02T08:00:00+02:00"])),
                opis=draw(st.sampled_from(["", "zwykły opis", 'cytat "x"; i\nnowa linia'])))
        for col in draw(st.lists(st.sampled_from(HEADER), max_size=4, unique=True)):
            r[col] = draw(field_value)
        vals = [r.get(h, "") for h in header]
        shape = draw(st.integers(0, 12))
        if shape == 0:
            vals = vals[:draw(st.integers(0, len(vals) - 1))]  # too few fields
        elif shape == 1:
            vals = vals + draw(st.lists(field_value, min_size=1, max_size=3))  # too many
        rows.append(vals)
    delimiter = draw(st.sampled_from([";", ","]))
    if delimiter == ";" and draw(st.booleans()):  # decimal comma in X/Y
        for vals in rows:
            for col in ("X", "Y"):
                if col in header and header.index(col) < len(vals):
                    vals[header.index(col)] = vals[header.index(col)].replace(".", ",")
    terminator = draw(st.sampled_from(["\r\n", "\n"]))
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-bom", "cp1250", "mixed"]))
    trailing = draw(st.booleans())
    return header, rows, delimiter, terminator, quoting, encoding, trailing


def render(header, rows, delimiter, terminator, quoting, encoding, trailing):
    """Bytes of the file, and for each written record: its start line (header is line 1) and OBJECTID."""
    def line(vals):
        buf = io.StringIO(newline="")
        csv.writer(buf, delimiter=delimiter, quoting=quoting, lineterminator=terminator).writerow(vals)
        return buf.getvalue()

    def enc(text):
        if encoding == "cp1250":
            return text.encode("cp1250", errors="replace")
        return text.encode("utf-8", errors="surrogatepass")

    parts = [enc(line(header))]
    lines, oids, counted = [], [], 0
    physical = 1 + parts[0].count(b"\n")  # the line the next record starts on
    for vals in rows:
        chunk = enc(line(vals))
        blank = (len(vals) == len(header) and all(v == "" for v in vals)) or vals == [] or vals == [""]
        if not blank:
            counted += 1
            lines.append(physical)
            oid_i = header.index("OBJECTID")
            oids.append(vals[oid_i] if oid_i < len(vals) else "")
        physical += chunk.count(b"\n")
        parts.append(chunk)
    data = b"".join(parts)
    if not trailing and data.endswith(terminator.encode()):
        data = data[: -len(terminator)]
    if encoding == "utf-8-bom":
        data = b"\xef\xbb\xbf" + data
    elif encoding == "mixed" and rows:
        data = data + "ąę".encode("cp1250")  # one stray Windows-1250 tail: the whole file is read as cp1250
    return data, counted, lines, oids


@bounded(150)
@given(extracts())
def test_reader_on_mutated_extracts(lookup, workdir, spec):
    header, rows, delimiter, terminator, quoting, encoding, trailing = spec
    data, counted, lines, oids = render(*spec)
    path = workdir / "kmzb_20240601.csv"
    path.write_bytes(data)
    # the csv module leaves a lone CR unquoted when lines end with LF: readers then end the record
    # there (like any CSV reader), so the records are not the ones written
    bare_cr = quoting == csv.QUOTE_MINIMAL and terminator == "\n" and any("\r" in v for r in rows for v in r)
    exact = not bare_cr and encoding != "mixed"  # ("mixed" appends bytes to the last record)
    ex = check_extract(path, lookup, counted if exact else None, lines if exact else None, oids if exact else None)
    if all(h in header for h in ("OBJECTID", "Typ", "Status", "Data_utworzenia", "Data_modyfikacji", "X", "Y")) \
            and encoding in ("utf-8", "utf-8-bom"):
        assert ex is not None, "a file with every required column and valid UTF-8 must be read"


# ============================================================================ the API and the callbacks

END = DEMO_END


@pytest.fixture(scope="module")
def app_ctx(tmp_path_factory, shared_store):
    app = app_without_rate_limit(demo_on_shared(tmp_path_factory, shared_store, "fuzz"))
    with app.server.test_request_context():
        yield app, app.server.extensions["kmzb_gateway"], app.server.test_client()


CODES = list(reference.category_codes())
PARAM_NAMES = ["level", "compare", "from", "to", "category", "status", "outcome", "source", "teryt", "format",
               "interval", "lang", "", "x", "level[]", "LEVEL", "from ", "\x00", "ę"]
GOOD_VALUES = ["voivodeship", "powiat", "gmina", "previous", "year", "json", "csv", "day", "week", "month",
               "2026-10-01", "2026-11-24", "2016-01-01", "12", "1261", "1261011", "22", "02", "9999999",
               "pending", "confirmed", "unconfirmed", "internet", "debata", "kontakt", "nowe", "potwierdzone",
               *CODES[:6], ",".join(CODES[:3])]
BAD_VALUES = ["", " ", "%00", "\x00", "a\x00b", "%ff%fe", "%", "%%", "%2", "&", "=", "==", "?", "#", "+", "%2B",
              "2024-02-30", "2024-13-01", "0001-01-01", "9999-12-31", "-1", "1e9", "NaN", "null", "None",
              "[]", "{}", "' OR 1=1 --", "\"; DROP TABLE reports; --", "<script>alert(1)</script>", "../../etc/passwd",
              "😀", "ł" * 50, "x" * 300, "x" * 5000, ",,,", "gmina,powiat", "12,22", "☃"]
param_value = st.one_of(st.sampled_from(GOOD_VALUES), st.sampled_from(BAD_VALUES), st.text(max_size=40))


def quote(v: str) -> str:
    from urllib.parse import quote as q

    # raw percent sequences are passed through as given sometimes (malformed escapes on purpose)
    return v if v.startswith("%") else q(v, safe="")


query_string = st.lists(st.tuples(st.one_of(st.sampled_from(PARAM_NAMES), st.text(max_size=10)), param_value),
                        max_size=8).map(lambda ps: "&".join(f"{quote(k)}={quote(v)}" for k, v in ps))
# (a path starting with a second slash, /api/v1//x, is not an API path: the dashboard's page answers)
endpoint = st.one_of(st.sampled_from(["districts", "categories", "timeseries", "meta", "", "districts/", "meta/x"]),
                     st.text(alphabet="abcdefghijklmnopqrstuvwxyz/._-%0123456789", max_size=20).filter(
                         lambda e: not e.startswith(("/", "%2F", "%2f"))))


def assert_clean(resp, allowed=(200, 400, 404, 503)):
    body = resp.get_data(as_text=True)
    assert resp.status_code in allowed, (resp.status_code, body[:500])
    assert "Traceback" not in body and 'File "' not in body
    if resp.status_code != 200:
        payload = json.loads(body)
        assert isinstance(payload.get("error"), str) and payload["error"]


@bounded(300)
@given(ep=endpoint, qs=query_string, extra=st.sampled_from(["", "&", "&&", "?", "&=", "=&", "%00", "&%00=1",
                                                              "&level", "&category=%ff"]))
def test_api_random_query_strings(app_ctx, ep, qs, extra):
    _, _, client = app_ctx
    r = client.get(f"/api/v1/{ep}?{qs}{extra}")
    assert_clean(r)
    if r.status_code == 200 and "format=csv" not in qs:
        assert isinstance(r.get_json(), dict)


KNOWN = {"districts": ["level", "compare", "from", "to", "category", "status", "outcome", "source", "teryt", "format"],
         "categories": ["from", "to", "category", "status", "outcome", "source", "teryt", "format"],
         "timeseries": ["interval", "from", "to", "category", "status", "outcome", "source", "teryt", "format"]}


@st.composite
def plausible_queries(draw):
    """Known parameters with mostly valid values: the queries themselves run (200) or are refused (400)."""
    ep = draw(st.sampled_from(sorted(KNOWN)))
    names = draw(st.lists(st.sampled_from(KNOWN[ep]), max_size=6))
    values = st.one_of(st.sampled_from(GOOD_VALUES), st.sampled_from(BAD_VALUES[:20]))
    return ep, "&".join(f"{quote(n)}={quote(draw(values))}" for n in names)


@bounded(150)
@given(q=plausible_queries())
def test_api_plausible_queries(app_ctx, q):
    _, _, client = app_ctx
    ep, qs = q
    r = client.get(f"/api/v1/{ep}?{qs}")
    assert_clean(r, allowed=(200, 400))


@bounded(40)
@given(method=st.sampled_from(["POST", "PUT", "DELETE", "PATCH"]),
       ep=st.sampled_from(["districts", "categories", "timeseries", "meta", "nope"]), body=st.binary(max_size=200))
def test_api_other_methods_are_json_errors(app_ctx, method, ep, body):
    _, _, client = app_ctx
    r = client.open(f"/api/v1/{ep}", method=method, data=body)
    assert_clean(r, allowed=(404, 405))


# ---------------------------------------------------------------------------- callbacks as plain functions

garbage = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=20),
              st.sampled_from(["custom", "7d", "all", "12", "1261011", "2026-10-01", "gmina", "rate", "en",
                               "wypalanie-traw", "", "\x00", "2024-02-30"])),
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(st.text(max_size=8), children,
                                                                              max_size=3)),
    max_leaves=8,
)
search_string = st.one_of(
    st.text(max_size=200),
    query_string.map(lambda q: "?" + q),
    st.lists(st.tuples(st.sampled_from(["lang", "level", "metric", "teryt", "preset", "from", "to", "compare",
                                        "category", "status", "outcome", "source"]), param_value),
             max_size=8).map(lambda ps: "?" + "&".join(f"{quote(k)}={quote(v)}" for k, v in ps)),
)


def fuzz_data_range():
    return date(2026, 9, 26), END


@bounded(40)
@given(search=st.one_of(search_string, garbage))
def test_overview_and_charts_never_raise(app_ctx, search):
    from callbacks import views

    _, gw, _ = app_ctx
    o = views.overview(gw, search)
    assert set(o) >= {"hideout", "kpis", "rows"}
    c = views.charts(gw, search)
    assert set(c) == {"timeline", "categories", "ranked", "speed", "heatmap"}
    views.viewport_for(gw, search, None)


def _trigger():
    from dashboard import ids

    plain = st.sampled_from([ids.URL, ids.PRESET, ids.DATES, ids.COMPARE, ids.CATEGORIES, ids.OUTCOMES,
                             ids.STATUSES, ids.SOURCES, ids.REGION, ids.LEVEL, ids.METRIC, ids.GEOJSON, ids.CAT_ALL,
                             ids.CAT_NONE, ids.RESET, None, "nope"])
    group = st.fixed_dictionaries({"type": st.just(ids.CAT_GROUP)}, optional={"group": garbage})
    crumb = st.fixed_dictionaries({"type": st.just(ids.CRUMB)}, optional={"teryt": garbage})
    return st.one_of(plain, group, crumb, garbage)


@bounded(400)
@given(trigger=_trigger(), search=st.one_of(search_string, garbage),
       controls=st.one_of(st.lists(garbage, min_size=11, max_size=11), garbage),
       click=st.one_of(garbage, st.fixed_dictionaries({"properties": garbage})),
       lang=garbage, crumbs=garbage)
def test_sync_state_never_raises(trigger, search, controls, click, lang, crumbs):
    from callbacks import sync

    try:
        out = sync.sync_state(trigger, search, controls, click, lang, fuzz_data_range, crumb_clicks=crumbs)
    except PreventUpdate:
        return
    assert isinstance(out, list) and len(out) == len(sync.CONTROLS) + 1
    if out[0] is not no_update:
        assert isinstance(out[0], str) and (out[0] == "" or out[0].startswith("?"))
    json.dumps([v for v in out if v is not no_update])


@bounded(20)
@given(search=st.one_of(search_string, garbage), shown=garbage)
def test_table_download_never_raises(app_ctx, search, shown):
    from callbacks import download

    _, gw, _ = app_ctx
    text = download.table_csv(gw, search, shown)
    assert text.startswith("teryt,")


# ---------------------------------------------------------------------------- /_dash-update-component

@pytest.fixture(scope="module")
def dash_callbacks(app_ctx):
    _, _, client = app_ctx
    assert client.get("/").status_code == 200
    deps = client.get("/_dash-dependencies").get_json()
    return [d for d in deps if not d.get("clientside_function")]


def _item(dep, value, pattern_values):
    if dep["id"].startswith("{"):
        pid = json.loads(dep["id"])
        key = next(k for k, v in pid.items() if v == ["ALL"])
        return [{"id": {**pid, key: pv}, "property": dep["property"], "value": value} for pv in pattern_values]
    return {"id": dep["id"], "property": dep["property"], "value": value}


@bounded(200)
@given(data=st.data())
def test_dash_well_formed_posts_with_garbage_values(app_ctx, dash_callbacks, data):
    """Any value a hand-made request can put into a callback's inputs: never a 500."""
    _, _, client = app_ctx
    cb = data.draw(st.sampled_from(dash_callbacks))
    value = st.one_of(search_string, garbage)
    pattern_values = data.draw(st.lists(st.one_of(st.text(max_size=5), st.sampled_from(["road-safety", "12"])),
                                        max_size=3))
    inputs = [_item(d, data.draw(value), pattern_values) for d in cb["inputs"]]
    state = [_item(d, data.draw(value), pattern_values) for d in cb["state"]]
    changed = data.draw(st.lists(st.sampled_from([f"{d['id']}.{d['property']}" for d in cb["inputs"]]),
                                 max_size=2))
    payload = {"output": cb["output"], "outputs": dash_outputs(cb["output"]), "inputs": inputs, "state": state,
               "changedPropIds": changed}
    r = client.post("/_dash-update-component", json=payload)
    body = r.get_data(as_text=True)
    if r.status_code == 400:  # a text value over its length limit (web.limits), refused with a message
        assert "is too long" in r.get_json()["error"], body[:300]
    else:
        assert r.status_code in (200, 204), (cb["output"][:80], r.status_code, body[:300])
    assert "Traceback" not in body


json_value = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                                    st.text(max_size=20)),
                          lambda c: st.one_of(st.lists(c, max_size=4), st.dictionaries(st.text(max_size=10), c,
                                                                                       max_size=4)),
                          max_leaves=12)


@st.composite
def garbage_payloads(draw, cbs):
    kind = draw(st.integers(0, 4))
    if kind == 0:  # not even JSON
        return draw(st.binary(max_size=300))
    if kind == 1:  # any JSON
        return json.dumps(draw(json_value)).encode()
    cb = draw(st.sampled_from(cbs))
    payload = {"output": cb["output"], "outputs": dash_outputs(cb["output"]),
               "inputs": [_item(d, None, ["road-safety"]) for d in cb["inputs"]],
               "state": [_item(d, None, ["road-safety"]) for d in cb["state"]], "changedPropIds": []}
    if kind == 2:  # fields left out
        for k in draw(st.lists(st.sampled_from(list(payload)), min_size=1, unique=True)):
            payload.pop(k)
    elif kind == 3:  # fields of the wrong type
        for k in draw(st.lists(st.sampled_from(list(payload)), min_size=1, unique=True)):
            payload[k] = draw(json_value)
    else:  # unknown outputs / inputs
        payload["output"] = draw(st.sampled_from(["nope.children", "..a.b...c.d..", "", "....", "url.search",
                                                  cb["output"] + "x"]))
        payload["outputs"] = draw(json_value)
        payload["inputs"] = payload["inputs"] + [{"id": "nope", "property": "value", "value": 1}]
    return json.dumps(payload).encode()


@bounded(120)
@given(data=st.data())
def test_dash_garbage_payloads(app_ctx, dash_callbacks, data):
    """Malformed requests: Dash may refuse them (4xx/5xx) but never shows a traceback."""
    _, _, client = app_ctx
    body = data.draw(garbage_payloads(dash_callbacks))
    r = client.post("/_dash-update-component", data=body, content_type="application/json")
    text = r.get_data(as_text=True)
    assert "Traceback" not in text and 'File "' not in text, text[:500]
    assert r.status_code < 600


def test_server_keeps_serving_after_garbage_posts(tmp_path):
    """The real process: a burst of garbage, then normal requests still answer."""
    import random

    import requests

    from .browser import Server

    data = tmp_path / "data"
    settings = get_settings(data_dir=data, geo_dir=GEO_DIR)
    run_ingest(settings, demo.generate(data / "demo", geo_dir=GEO_DIR, end=END, days=30, scale=0.01, deltas=1),
               force=True)
    srv = Server({"KMZB_DATA_DIR": str(data), "KMZB_GEO_DIR": str(GEO_DIR), "KMZB_TILES_URL": ""})
    try:
        s = requests.Session()
        deps = [d for d in s.get(srv.url + "/_dash-dependencies", timeout=30).json()
                if not d.get("clientside_function")]
        rnd = random.Random(7)
        bodies = [b"", b"{", b"[]", b"{}", b"null", b'"x"', b"\xff\xfe", json.dumps({"output": "x.y"}).encode(),
                  json.dumps({"output": deps[0]["output"], "inputs": 5}).encode(),
                  json.dumps({"output": deps[1]["output"], "outputs": [], "inputs": [{"id": "url"}]}).encode()]
        bodies += [bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 400))) for _ in range(20)]
        for b in bodies:
            r = s.post(srv.url + "/_dash-update-component", data=b, headers={"Content-Type": "application/json"},
                       timeout=30)
            assert "Traceback" not in r.text and r.status_code < 600
        views = next(d for d in deps if "map-geojson.hideout" in d["output"])
        ok = s.post(srv.url + "/_dash-update-component", json={
            "output": views["output"], "outputs": dash_outputs(views["output"]),
            "inputs": [{"id": "url", "property": "search", "value": "?level=powiat"}],
            "state": [{"id": "map-scope", "property": "data", "value": None}], "changedPropIds": ["url.search"]},
            timeout=60)
        assert ok.status_code == 200 and "map-geojson" in ok.json()["response"]
        assert s.get(srv.url + "/api/v1/meta", timeout=30).status_code == 200
        assert s.get(srv.url + "/", timeout=30).status_code == 200
    finally:
        srv.stop()
