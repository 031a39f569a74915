"""An adversary with only HTTP: no combination of public requests reveals an exact count of 1-4
reports of a hidden category (drug use, animal cruelty) for any area and period, nor the day of
such a report.

Each attack below is what an outsider would script against the real API and the dashboard's
callback endpoint on demo data: it collects every number it can read or work out for a cell
(area, period, hidden categories[, outcome]) and the test compares those numbers with the truth
read from the store. A number that equals a true count of 1-4 is a recovered count.

The same attacks run against a logged-in police client (who is meant to see everything) must
recover many counts: that proves the attacks and their bookkeeping work, so "none recovered" for
the public means something.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, timedelta

import pytest

from dashboard import ids
from kmzb import reference

from .conftest import DEMO_END, app_without_rate_limit, demo_on_shared
from .helpers import dash_outputs, log_in

HIDDEN = tuple(c.code for c in reference.categories() if c.public_visibility == "hidden")
PUBLIC_CATS = tuple(c.code for c in reference.categories() if c.public_visibility != "hidden")
STATUSES = reference.status_codes()
WINDOWS = ((DEMO_END - timedelta(days=89), DEMO_END), (None, None))


@pytest.fixture(scope="module")
def env(tmp_path_factory, shared_store):
    settings = demo_on_shared(tmp_path_factory, shared_store, "disclosure", police=True)
    app = app_without_rate_limit(settings)  # the attack is about numbers, not speed
    gw = app.server.extensions["kmzb_gateway"]
    cur, _ = gw.store.cursor()
    return app, cur


class Truth:
    """True counts of hidden-category reports, straight from the store's report rows. With `targets`,
    each attack aims at no more than that many areas (and parents) of each kind: enough for a control
    that must show the attacks work, not recover every count."""

    def __init__(self, cur, targets: int | None = None):
        self.targets = targets
        self.rows = cur.execute(f"""
            SELECT gmina::VARCHAR AS gmina, category::VARCHAR AS cat, created_date AS d, outcome::VARCHAR AS outcome,
                   status::VARCHAR AS status, source::VARCHAR AS source
            FROM reports WHERE category::VARCHAR IN ({", ".join(repr(c) for c in HIDDEN)})""").fetchall()

    def count(self, area: str, cats, d0, d1, part: tuple[str, str] | None = None) -> int:
        """Reports of `cats` in the area and dates; `part`: ("outcome" | "status" | "source", value)."""
        at = {"outcome": 3, "status": 4, "source": 5}
        return sum(1 for r in self.rows
                   if r[0].startswith(area) and r[1] in cats and (d0 is None or r[2] >= d0)
                   and (d1 is None or r[2] <= d1) and (part is None or r[at[part[0]]] == part[1]))

    def areas(self, digits: int, top: int) -> list[str]:
        n: dict[str, int] = defaultdict(int)
        for g, *_ in self.rows:
            n[g[:digits]] += 1
        return sorted(n, key=lambda a: -n[a])[:top if self.targets is None else min(top, self.targets)]

    def few(self, items: list) -> list:
        return items if self.targets is None else items[:self.targets]


class Adversary:
    """Reads numbers over HTTP; `known` collects (area, cats, from, to, outcome) -> value."""

    def __init__(self, client):
        self.client = client
        self.known: dict[str, dict[tuple, int]] = defaultdict(dict)
        self.requests = 0

    def learn(self, attack: str, area: str, cats, d0, d1, value, part: tuple[str, str] | None = None):
        """What the attack knows of the cell: `value` reports (None: nothing)."""
        if value is not None and set(cats) <= set(HIDDEN):
            self.known[attack][(area, tuple(sorted(cats)), d0, d1, part)] = int(value)

    def rows(self, path: str, params: list[tuple[str, str]]) -> list[dict] | None:
        self.requests += 1
        r = self.client.get(path, query_string=params)
        if r.status_code != 200:
            return None  # refused: nothing learnt
        return r.get_json()["rows"]

    def districts(self, level: str, region: str | None, cats, d0, d1, **extra) -> dict[str, dict]:
        q = [("level", level)] + [("category", c) for c in cats]
        q += [("from", d0.isoformat())] if d0 else []
        q += [("to", d1.isoformat())] if d1 else []
        q += [("teryt", region)] if region else []
        q += [(k, v) for k, v in extra.items()]
        rows = self.rows("/api/v1/districts", q)
        return {r["teryt"]: r for r in rows or []}

    def count(self, area: str, cats, d0, d1, **extra) -> int | None:
        level = {2: "voivodeship", 4: "powiat", 7: "gmina"}[len(area)]
        r = self.districts(level, area, cats, d0, d1, **extra).get(area)
        return None if r is None else r.get("reports")

    def callback_table(self, search: str) -> dict[str, int | None]:
        """The dashboard's views callback over HTTP, as the browser posts it: teryt -> reports of the table."""
        deps = self._views_dep()
        body = {"output": deps["output"], "outputs": dash_outputs(deps["output"]),
                "inputs": [{"id": ids.URL, "property": "search", "value": search}],
                "state": [{"id": ids.MAP_SCOPE, "property": "data", "value": None}],
                "changedPropIds": [f"{ids.URL}.search"]}
        self.requests += 1
        r = self.client.post("/_dash-update-component", json=body)
        if r.status_code != 200:
            return {}
        cols = r.get_json()["response"][ids.TABLE_COLUMNS]["data"]
        return dict(zip(cols["teryt"], cols["reports"]))

    _deps = None

    def _views_dep(self):
        if Adversary._deps is None:
            deps = self.client.get("/_dash-dependencies").get_json()
            Adversary._deps = next(d for d in deps if f"{ids.TABLE_COLUMNS}.data" in d["output"])
        return Adversary._deps


# ------------------------------------------------------------------------------------------ attacks

def parent_minus_children(adv: Adversary, truth: Truth):
    """A parent's count minus its children's shown counts gives the one child shown as '<5'."""
    for d0, d1 in WINDOWS:
        for cats in [(h,) for h in HIDDEN] + [HIDDEN]:
            for parent_level, child_level, digits in (("voivodeship", "powiat", 2), ("powiat", "gmina", 4)):
                parents = adv.districts(parent_level, None, cats, d0, d1)
                for p, pr in truth.few(list(parents.items())):
                    if not pr["reports"]:  # shown and not zero: worth a look at its children
                        continue
                    adv.learn("parent-children", p, cats, d0, d1, pr["reports"])
                    kids = adv.districts(child_level, p, cats, d0, d1)
                    unknown = [k for k, r in kids.items() if r["reports"] is None]
                    for k, r in kids.items():
                        adv.learn("parent-children", k, cats, d0, d1, r["reports"])
                    if pr["reports"] is not None and len(unknown) == 1:
                        shown = sum(r["reports"] for r in kids.values() if r["reports"] is not None)
                        adv.learn("parent-children", unknown[0], cats, d0, d1, pr["reports"] - shown)


def complement(adv: Adversary, truth: Truth):
    """All categories minus all-but-one, and all categories minus the sum of the public category rows."""
    for d0, d1 in WINDOWS:
        for area in truth.areas(7, 5) + truth.areas(4, 5):
            total = adv.count(area, (), d0, d1)
            if total is None:
                continue
            for h in HIDDEN:
                rest = adv.count(area, tuple(c for c in reference.category_codes() if c != h), d0, d1)
                if rest is not None:
                    adv.learn("complement", area, (h,), d0, d1, total - rest)
            q = [("teryt", area)] + ([("from", d0.isoformat()), ("to", d1.isoformat())] if d0 else [])
            cats = adv.rows("/api/v1/categories", q) or []
            shown = sum(r["reports"] or 0 for r in cats if r["code"] in PUBLIC_CATS)
            adv.learn("complement", area, HIDDEN, d0, d1, total - shown)


def sliding_dates(adv: Adversary, truth: Truth):
    """[start, d] is either shown or the whole range minus [d+1, end]: bisect to the day."""
    start, end = DEMO_END - timedelta(days=59), DEMO_END
    for area in truth.areas(7, 3) + truth.areas(4, 2):
        for h in HIDDEN:
            whole = adv.count(area, (h,), start, end)
            adv.learn("sliding-dates", area, (h,), start, end, whole)
            prefix = {}
            for i in range(0, 60, 3):
                d = start + timedelta(days=i)
                a = adv.count(area, (h,), start, d)
                b = adv.count(area, (h,), d + timedelta(days=1), end)
                if a is None and b is not None and whole is not None:
                    a = whole - b
                prefix[d] = a
                adv.learn("sliding-dates", area, (h,), start, d, a)
            days = sorted(prefix)
            for x, y in zip(days, days[1:]):  # reports created in (x, y]: their days
                if prefix[x] is not None and prefix[y] is not None:
                    adv.learn("sliding-dates", area, (h,), x + timedelta(days=1), y, prefix[y] - prefix[x])


def outcome_split(adv: Adversary, truth: Truth):
    """A shown cell's outcome parts, and each outcome asked for on its own."""
    for d0, d1 in WINDOWS:
        for area in truth.areas(7, 5) + truth.areas(4, 5) + truth.areas(2, 4):
            for h in HIDDEN:
                level = {2: "voivodeship", 4: "powiat", 7: "gmina"}[len(area)]
                r = adv.districts(level, area, (h,), d0, d1).get(area)
                if r is None or r["reports"] is None:
                    continue
                for o in ("confirmed", "unconfirmed", "pending"):
                    adv.learn("outcome-split", area, (h,), d0, d1, r[o], part=("outcome", o))
                    alone = adv.count(area, (h,), d0, d1, outcome=o)
                    if alone is None:  # "<5" alone: the total minus the other two parts
                        others = [r[x] for x in ("confirmed", "unconfirmed", "pending") if x != o]
                        alone = None if None in others else r["reports"] - sum(others)
                    adv.learn("outcome-split", area, (h,), d0, d1, alone, part=("outcome", o))


def status_and_channel_split(adv: Adversary, truth: Truth):
    """The total minus the shown status (or channel) parts gives the one part shown as '<5'."""
    for d0, d1 in WINDOWS:
        for area in truth.areas(4, 4) + truth.areas(2, 3):
            for h in HIDDEN:
                total = adv.count(area, (h,), d0, d1)
                for param, values in (("status", STATUSES), ("source", reference.SOURCES)):
                    parts = {v: adv.count(area, (h,), d0, d1, **{param: v}) for v in values}
                    for v, n in parts.items():
                        adv.learn("status-channel-split", area, (h,), d0, d1, n, part=(param, v))
                    unknown = [v for v, n in parts.items() if n is None]
                    if total is not None and len(unknown) == 1:
                        adv.learn("status-channel-split", area, (h,), d0, d1,
                                  total - sum(n for n in parts.values() if n is not None), part=(param, unknown[0]))


def weeks_and_days(adv: Adversary, truth: Truth):
    """A week's count minus its shown days gives the one day shown as '<5' (and so its day)."""
    start = DEMO_END - timedelta(days=DEMO_END.weekday() + 7 * 8)
    for area in truth.areas(2, 3):
        for h in HIDDEN:
            q = [("teryt", area), ("category", h), ("from", start.isoformat()), ("to", DEMO_END.isoformat())]
            weeks = adv.rows("/api/v1/timeseries", q + [("interval", "week")]) or []
            days = {r["period"]: r["reports"] for r in adv.rows("/api/v1/timeseries", q + [("interval", "day")]) or []}
            for w in weeks:
                w0 = date.fromisoformat(w["period"])
                dd = [(w0 + timedelta(days=i)).isoformat() for i in range(7)]
                for x in dd:
                    adv.learn("weeks-days", area, (h,), date.fromisoformat(x), date.fromisoformat(x), days.get(x))
                unknown = [x for x in dd if days.get(x) is None]
                if w["reports"] is not None and len(unknown) == 1:
                    d = date.fromisoformat(unknown[0])
                    adv.learn("weeks-days", area, (h,), d, d,
                              w["reports"] - sum(days[x] for x in dd if days.get(x) is not None))


def callbacks(adv: Adversary, truth: Truth):
    """Parent minus children through the dashboard's own callback endpoint."""
    d0, d1 = WINDOWS[0]
    for h in HIDDEN:
        for p in truth.areas(4, 5):
            base = f"?preset=custom&from={d0}&to={d1}&category={h}"
            parent = adv.callback_table(base + f"&level=powiat&teryt={p[:2]}").get(p)
            kids = adv.callback_table(base + f"&level=gmina&teryt={p}")
            adv.learn("callbacks", p, (h,), d0, d1, parent)
            for k, n in kids.items():
                adv.learn("callbacks", k, (h,), d0, d1, n)
            unknown = [k for k, n in kids.items() if n is None]
            if parent is not None and len(unknown) == 1:
                adv.learn("callbacks", unknown[0], (h,), d0, d1, parent - sum(n for n in kids.values() if n))


def sensitive_table(adv: Adversary, truth: Truth):
    """The fixed table itself, and the fixed table minus free-form counts of its parts."""
    rows = adv.rows("/api/v1/sensitive", []) or []
    for r in rows:
        q0, q1 = date.fromisoformat(r["quarter_start"]), date.fromisoformat(r["quarter_end"])
        adv.learn("sensitive", r["teryt"], (r["category"],), q0, q1, r["reports"])
        for o in ("confirmed", "unconfirmed", "pending"):
            adv.learn("sensitive", r["teryt"], (r["category"],), q0, q1, r[o], part=("outcome", o))
        if r["reports"] and r["teryt"] in truth.areas(4, 3):
            kids = adv.districts("gmina", r["teryt"], (r["category"],), q0, q1)
            unknown = [k for k, x in kids.items() if x["reports"] is None]
            if len(unknown) == 1:
                adv.learn("sensitive", unknown[0], (r["category"],), q0, q1,
                          r["reports"] - sum(x["reports"] for x in kids.values() if x["reports"] is not None))


ATTACKS = (parent_minus_children, complement, sliding_dates, outcome_split, status_and_channel_split,
           weeks_and_days, callbacks, sensitive_table)


def run_attacks(client, truth: Truth) -> tuple[dict[str, int], Adversary]:
    """{attack: number of true counts of 1-4 it recovered}."""
    adv = Adversary(client)
    for attack in ATTACKS:
        attack(adv, truth)
    recovered = {}
    for name, known in adv.known.items():
        hits = 0
        for (area, cats, d0, d1, part), value in known.items():
            t = truth.count(area, cats, d0, d1, part)
            hits += 1 <= t <= 4 and value == t
        recovered[name] = hits
    return recovered, adv


def test_no_public_request_combination_recovers_a_small_hidden_count(env):
    app, cur = env
    truth = Truth(cur)
    small_cells = sum(1 <= truth.count(a, (h,), *WINDOWS[0]) <= 4 for a in truth.areas(7, 10_000) for h in HIDDEN)
    assert small_cells > 20  # the data holds what the attacks are after
    recovered, adv = run_attacks(app.server.test_client(), truth)
    print("public:", json.dumps(recovered), "requests:", adv.requests)
    assert sum(recovered.values()) == 0, recovered


def test_the_same_attacks_recover_counts_from_the_police_view(env):
    """The police see every count: the attacks must find many there, or they test nothing. Each attack
    aims at its first area only: the police answer every request with a real count over the whole
    country (~20 ms, where the public is refused at once), and one is enough to show each attack works."""
    app, cur = env
    truth = Truth(cur, targets=1)
    client = app.server.test_client()
    log_in(client)
    recovered, _ = run_attacks(client, truth)
    print("police:", json.dumps(recovered))
    working = {name for name, n in recovered.items() if n}
    assert {"parent-children", "sliding-dates", "outcome-split", "weeks-days", "callbacks"} <= working, recovered
    assert sum(recovered.values()) > 50


def test_the_fixed_table_publishes_hidden_counts_without_small_numbers(env):
    """The public still learns the sensitive categories' counts, where they are not small."""
    app, cur = env
    truth = Truth(cur)
    client = app.server.test_client()
    r = client.get("/api/v1/sensitive")
    assert r.status_code == 200
    rows = r.get_json()["rows"]
    assert rows and {x["category"] for x in rows} == set(HIDDEN)
    newest = date.fromisoformat(client.get("/api/v1/meta").get_json()["date_to"])
    shown = 0
    for x in rows:
        q0, q1 = date.fromisoformat(x["quarter_start"]), date.fromisoformat(x["quarter_end"])
        assert q1 < newest  # complete quarters only
        t = truth.count(x["teryt"], (x["category"],), q0, q1)
        if x["small"]:
            assert x["reports"] is None and 1 <= t <= 4
        else:
            assert x["reports"] == t and (t == 0 or t >= 5)
            shown += t >= 5
        parts = [x[o] for o in ("confirmed", "unconfirmed", "pending")]
        if x["parts_withheld"] or x["small"]:
            assert parts == [None, None, None] and x["confirmation_rate"] is None
        else:
            assert sum(parts) == x["reports"] and all(p == 0 or p >= 5 for p in parts)
            for o, p in zip(("confirmed", "unconfirmed", "pending"), parts):
                assert p == truth.count(x["teryt"], (x["category"],), q0, q1, ("outcome", o))
    assert shown > 0
    # rows are selected, never summed: a voivodeship or a gmina is no cell of this table
    one = client.get("/api/v1/sensitive?teryt=12&category=uzywanie-srodkow-odurzajacych").get_json()["rows"]
    assert one and {x["teryt"][:2] for x in one} == {"12"} and {x["category"] for x in one} == {HIDDEN[0]}
    assert all(len(x["teryt"]) == 4 for x in one)
    bad = client.get("/api/v1/sensitive?teryt=1261011")
    assert bad.status_code == 400 and "per powiat" in bad.get_json()["error"]
    assert client.get("/api/v1/sensitive?category=przekraczanie-dozwolonej-predkosci").status_code == 400


def test_dashboard_shows_the_fixed_table_and_says_what_totals_leave_out(env):
    """The dashboard's sensitive-categories table holds exactly the API's rows for the view's region
    (a gmina shows its powiat) and dates; the public KPI says the total leaves them out."""
    from callbacks import sensitive, views

    app, cur = env
    gw = app.server.extensions["kmzb_gateway"]
    with app.server.test_request_context():
        v = sensitive.sensitive_view(gw, "?preset=all&teryt=1261011&lang=en")
        api = app.server.test_client().get("/api/v1/sensitive?teryt=1261").get_json()["rows"]
        assert v["rows"] and [(r["quarter"], r["category"], r["reports"]) for r in v["rows"]] == \
            [(r["quarter"], r["category"], r["reports"]) for r in api]
        assert v["href"].startswith("/api/v1/sensitive?teryt=1261&") and v["href"].endswith("format=csv")
        assert {r["category_label"] for r in v["rows"]} == {"Drug use", "Animal cruelty"}
        short = sensitive.sensitive_view(gw, "?preset=7d&lang=pl")  # inside the running quarter
        assert short["rows"] == [] and "pełnego kwartału" in short["note"]
        kpi = json.dumps(views.overview(gw, "?preset=all&lang=pl")["kpis"]["reports"], default=str,
                         ensure_ascii=False)
        assert "bez kategorii wrażliwych" in kpi and "#sensitive-card" in kpi


def test_table_csv_download_follows_the_audience(env):
    """The district table's CSV (a Dash download) holds the public numbers for the public and the
    full numbers, sensitive categories included, for a police login."""
    import csv
    import io

    app, cur = env
    body = {"output": f"{ids.TABLE_DOWNLOAD}.data", "outputs": {"id": ids.TABLE_DOWNLOAD, "property": "data"},
            "inputs": [{"id": ids.TABLE_DOWNLOAD_BTN, "property": "n_clicks", "value": 1}],
            "state": [{"id": ids.URL, "property": "search", "value": "?preset=all&level=voivodeship"},
                      {"id": ids.TABLE, "property": "virtualRowData", "value": None},
                      {"id": ids.TABLE_CSV_FORMAT, "property": "value", "value": "data"}],
            "changedPropIds": [f"{ids.TABLE_DOWNLOAD_BTN}.n_clicks"]}

    def total(client) -> int:
        r = client.post("/_dash-update-component", json=body)
        assert r.status_code == 200
        text = r.get_json()["response"][ids.TABLE_DOWNLOAD]["data"]["content"]
        return sum(int(row["reports"]) for row in csv.DictReader(io.StringIO(text)))

    everything = cur.execute("SELECT count(*) FROM reports").fetchone()[0]
    public = app.server.test_client()
    police = app.server.test_client()
    log_in(police)
    assert total(public) == public.get("/api/v1/meta").get_json()["reports"] < everything
    assert total(police) == everything


def test_dashboard_sensitive_table_shows_at_most_a_year_of_quarters(env):
    """All of Poland over years would be tens of thousands of rows on every URL change: the dashboard's
    table keeps the newest MAX_QUARTERS complete quarters of the dates (each row exactly the API's) and
    says that the CSV holds them all."""
    from callbacks import sensitive

    app, _ = env
    gw = app.server.extensions["kmzb_gateway"]
    with app.server.test_request_context(), pytest.MonkeyPatch.context() as mp:
        mp.setattr(sensitive, "MAX_QUARTERS", 1)
        v = sensitive.sensitive_view(gw, "?preset=all&lang=en")
        api = app.server.test_client().get("/api/v1/sensitive").get_json()["rows"]
        quarters = sorted({r["quarter"] for r in api})
        assert len(quarters) >= 2
        assert {r["quarter"] for r in v["rows"]} == {quarters[-1]}
        assert [(r["teryt"], r["category"], r["reports"]) for r in v["rows"]] == \
            [(r["teryt"], r["category"], r["reports"]) for r in api if r["quarter"] == quarters[-1]]
        assert f"the CSV holds all {len(quarters)}" in v["note"]
