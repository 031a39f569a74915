"""The counts built from pre-grouped cells (kmzb.query.cells via kmzb.query.queries) equal a report-level
SQL oracle, written independently here, that applies the filters and the public rules row by row,
on a real demo store, for many filters."""

from __future__ import annotations

import csv
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kmzb import reference
from kmzb.config import PROJECT_ROOT
from kmzb.query import queries
from kmzb.query.filters import BadInput, Filters
from kmzb.query.gateway import DataGateway

from .conftest import DEMO_END, demo_on_shared

SPEC = PROJECT_ROOT / "kmzb" / "spec" / "categories.csv"


def _visibility_from_spec() -> dict[str, str]:
    """Read straight from the reference file (not through kmzb.reference): the oracle shares no code
    with what it checks."""
    with open(SPEC, encoding="utf-8") as fh:
        return {r["code"]: r["public_visibility"] for r in csv.DictReader(fh)}


VIS = _visibility_from_spec()
HIDDEN = sorted(c for c, v in VIS.items() if v == "hidden")
ONLY = sorted(c for c, v in VIS.items() if v == "confirmed-only")


@pytest.fixture(scope="module")
def gw(tmp_path_factory, shared_store):
    settings_ = demo_on_shared(tmp_path_factory, shared_store, "cells")
    return DataGateway(settings_)


def _quoted(values) -> str:
    return ", ".join("'" + v + "'" for v in values)


def oracle_where(f: Filters, audience: str) -> str:
    """The filters and the public rules as SQL, written here row by row from the Filters fields."""
    w = ["TRUE"]
    if f.date_from:
        w.append(f"created_date >= DATE '{f.date_from}'")
    if f.date_to:
        w.append(f"created_date <= DATE '{f.date_to}'")
    for col, values in (("category", f.categories), ("status", f.statuses), ("outcome", f.outcomes),
                        ("source", f.sources)):
        if values:
            w.append(f"{col}::VARCHAR IN ({_quoted(values)})")
    if f.teryt:
        w.append(f"left(gmina::VARCHAR, {len(f.teryt)}) = '{f.teryt}'")
    if audience == "public":
        w.append(f"category::VARCHAR NOT IN ({_quoted(HIDDEN)})")
        w.append(f"NOT (category::VARCHAR IN ({_quoted(ONLY)}) AND outcome::VARCHAR <> 'confirmed')")
    return " AND ".join(w)


def oracle(cur, f: Filters, key_sql: str, audience: str) -> pd.DataFrame:
    """Report-level reference: the counts per key of the rows the audience may count."""
    return cur.execute(f"""
        SELECT ({key_sql})::VARCHAR AS k, count(*) AS reports,
               count(*) FILTER (WHERE outcome::VARCHAR = 'confirmed') AS confirmed,
               count(*) FILTER (WHERE outcome::VARCHAR = 'pending') AS pending
        FROM reports WHERE {oracle_where(f, audience)} GROUP BY 1""").df().set_index("k")


def check(ours: pd.DataFrame, key: str, ref: pd.DataFrame) -> None:
    assert "suppressed" not in ours.columns
    ours = ours.set_index(key)
    for k, r in ours.iterrows():
        exp = ref.loc[k] if k in ref.index else None
        assert int(r["reports"]) == (0 if exp is None else int(exp["reports"])), (k, r.to_dict(), exp)
        if exp is not None:
            assert int(r["confirmed"]) == int(exp["confirmed"]) and int(r["pending"]) == int(exp["pending"])
    # nothing counted outside the rows shown
    missing = set(ref.index[ref["reports"] > 0]) - set(ours.index)
    assert not missing, missing


categories = st.lists(st.sampled_from(reference.category_codes()), max_size=4, unique=True)
FILTERS = st.builds(
    lambda days, span, cats, hidden_only, outcome, teryt: Filters(
        date_from=DEMO_END - timedelta(days=days + span), date_to=DEMO_END - timedelta(days=days),
        categories=tuple(sorted(HIDDEN if hidden_only else cats)), outcomes=outcome, teryt=teryt),
    st.integers(0, 60), st.integers(0, 120), categories, st.booleans(),
    st.sampled_from([(), ("pending",), ("confirmed", "unconfirmed")]),
    st.sampled_from([None, "12", "1261", "1261011", "02", "2261011"]))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(f=FILTERS, audience=st.sampled_from(["public", "police"]), level=st.sampled_from(["voivodeship", "powiat",
                                                                                            "gmina"]))
def test_cell_counts_equal_the_report_level_oracle(gw, f, audience, level):
    cur, _ = gw.store.cursor()
    if f.teryt and len(f.teryt) > {"voivodeship": 2, "powiat": 4, "gmina": 7}[level]:
        # a region finer than the level would give a parent row of mixed numbers: refused
        with pytest.raises(BadInput, match="finer than level"):
            queries.district_counts(cur, f, level, gw.districts_table(level), audience)
    else:
        check(queries.district_counts(cur, f, level, gw.districts_table(level), audience), "teryt",
              oracle(cur, f, level, audience))  # the store names its level columns as the levels
    check(queries.category_counts(cur, f, audience), "code", oracle(cur, f, "category", audience))
    check(queries.timeseries(cur, f, "week", audience), "period",
          oracle(cur, f, "strftime(date_trunc('week', created_date), '%Y-%m-%d')", audience))
    tot = queries.totals(cur, f, audience)
    grand = cur.execute(f"SELECT count(*), count(*) FILTER (WHERE outcome::VARCHAR = 'confirmed') FROM reports "
                        f"WHERE {oracle_where(f, audience)}").fetchone()
    assert (tot["reports"], tot["confirmed"]) == grand
    if audience == "public":
        assert not set(queries.category_counts(cur, f, audience)["code"]) & set(HIDDEN)


def test_the_rules_are_exercised(gw):
    """The demo data holds hidden-category reports and confirmed-only reports that are not
    confirmed, so the oracle comparison above tests the rules, not zeros."""
    cur, _ = gw.store.cursor()
    n_hidden = cur.execute(f"SELECT count(*) FROM reports WHERE category::VARCHAR IN ({_quoted(HIDDEN)})").fetchone()[0]
    n_only = cur.execute(f"SELECT count(*) FROM reports WHERE category::VARCHAR IN ({_quoted(ONLY)})"
                         " AND outcome::VARCHAR <> 'confirmed'").fetchone()[0]
    assert n_hidden > 20 and n_only > 0
    public = queries.totals(cur, Filters(), "public")["reports"]
    police = queries.totals(cur, Filters(), "police")["reports"]
    assert police - public >= n_hidden + n_only


def test_top_category_is_the_most_reported_visible_one(gw):
    cur, _ = gw.store.cursor()
    f = Filters(date_from=DEMO_END - timedelta(days=60), date_to=DEMO_END)
    top = queries.top_categories(cur, f, "powiat", gw.districts_table("powiat"), "public").set_index("teryt")
    counts = cur.execute(f"""SELECT powiat, category::VARCHAR AS c, count(*) AS n FROM reports
        WHERE {oracle_where(f, "public")} GROUP BY 1, 2""").df()
    rank = {c: i for i, c in enumerate(reference.category_codes())}
    checked = 0
    for powiat, grp in counts.groupby("powiat"):
        best = grp.assign(r=grp["c"].map(rank)).sort_values(["n", "r"], ascending=[False, True]).iloc[0]["c"]
        assert top.loc[powiat, "top_category"] == best
        assert top.loc[powiat, "top_category"] not in HIDDEN
        checked += 1
    assert checked > 100
    assert np.all(top.loc[~top.index.isin(counts["powiat"]), "top_category"].isna())


@settings(max_examples=300, deadline=None)
@given(st.dates(min_value=DEMO_END - timedelta(days=4000), max_value=DEMO_END), st.integers(0, 1500),
       st.sampled_from(["day", "week", "month"]))
def test_the_series_periods_are_the_calendars(start, length, interval):
    """Every day / Monday-started week / month from the first day's period to the last day's, with
    each day's period (what pandas' calendar gives: W-MON weeks, month starts)."""
    from datetime import date

    end = min(start + timedelta(days=length), date(2030, 1, 1))
    first = pd.Timestamp(start)
    first = first - pd.Timedelta(days=first.weekday()) if interval == "week" else (
        first.replace(day=1) if interval == "month" else first)
    expected = pd.date_range(first, pd.Timestamp(end), freq={"day": "D", "week": "W-MON", "month": "MS"}[interval])
    days = np.arange(np.datetime64(start, "D"), np.datetime64(end, "D") + 1).astype(np.int64)
    labels, group = queries._period_groups(None, Filters(date_from=start, date_to=end), interval, days)
    assert list(labels) == list(expected.strftime("%Y-%m-%d"))
    own = pd.to_datetime(days, unit="D")
    own = own.to_period({"day": "D", "week": "W-SUN", "month": "M"}[interval]).start_time.strftime("%Y-%m-%d")
    assert list(labels[group]) == list(own)
