"""The counts built from pre-grouped cells (kmzb.cells via kmzb.queries) equal a report-level
SQL oracle that applies the public rules row by row, on a real demo store, for many filters."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kmzb import queries, reference
from kmzb.filters import Filters
from kmzb.gateway import DataGateway

from .conftest import DEMO_END, demo_store

HIDDEN = [c.code for c in reference.categories() if c.public_visibility == "hidden"]
ONLY = [c.code for c in reference.categories() if c.public_visibility == "confirmed-only"]


@pytest.fixture(scope="module")
def gw(tmp_path_factory):
    settings_ = demo_store(tmp_path_factory, "cells", days=90, scale=0.03, deltas=4)
    return DataGateway(settings_)


def oracle(cur, f: Filters, key_sql: str, audience: str) -> pd.DataFrame:
    """Report-level reference: cells (key, hidden category) counted from the rows, the hidden
    ones kept only with >= 5 reports for the public; confirmed-only rows dropped unless confirmed."""
    w, params = queries.filter_where(f)
    if audience == "public":
        only = ", ".join(f"'{c}'" for c in ONLY)
        w += f" AND NOT (category::VARCHAR IN ({only}) AND outcome <> 'confirmed')"
    hidden = ", ".join(f"'{c}'" for c in HIDDEN)
    threshold = 5 if audience == "public" else 0
    return cur.execute(f"""
        WITH rows AS (SELECT ({key_sql})::VARCHAR AS k,
                             CASE WHEN category::VARCHAR IN ({hidden}) THEN category::VARCHAR END AS hc, outcome
                      FROM reports WHERE {w}),
             cells AS (SELECT k, hc, count(*) AS reports,
                              count(*) FILTER (WHERE outcome = 'confirmed') AS confirmed,
                              count(*) FILTER (WHERE outcome = 'unconfirmed') AS unconfirmed,
                              count(*) FILTER (WHERE outcome = 'pending') AS pending
                       FROM rows GROUP BY 1, 2)
        SELECT k, sum(reports) FILTER (WHERE hc IS NULL OR reports >= {threshold})::BIGINT AS reports,
                  sum(confirmed) FILTER (WHERE hc IS NULL OR reports >= {threshold})::BIGINT AS confirmed,
                  sum(pending) FILTER (WHERE hc IS NULL OR reports >= {threshold})::BIGINT AS pending,
                  bool_or(hc IS NOT NULL AND reports < {threshold}) AS suppressed
        FROM cells GROUP BY 1""", params).df().set_index("k")


def check(ours: pd.DataFrame, key: str, ref: pd.DataFrame) -> None:
    ours = ours.set_index(key)
    for k, r in ours.iterrows():
        exp = ref.loc[k] if k in ref.index else None
        exp_reports = 0 if exp is None or pd.isna(exp["reports"]) else int(exp["reports"])
        exp_sup = False if exp is None else bool(exp["suppressed"])
        assert bool(r["suppressed"]) == exp_sup, (k, r.to_dict(), exp)
        if exp_sup and exp_reports == 0:  # "<5": nothing shown
            assert pd.isna(r["reports"]) and pd.isna(r["confirmation_rate"]), (k, r.to_dict())
            continue
        assert int(r["reports"]) == exp_reports, (k, r.to_dict(), exp)
        if exp is not None:
            assert int(r["confirmed"]) == int(exp["confirmed"] or 0) and int(r["pending"]) == int(exp["pending"] or 0)
    # nothing counted outside the rows shown
    missing = set(ref.index[ref["reports"].fillna(0) > 0]) - set(ours.index)
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
    check(queries.district_counts(cur, f, level, gw.districts_table(level), audience), "teryt",
          oracle(cur, f, queries.LEVEL_COLUMN[level], audience))
    check(queries.category_counts(cur, f, audience), "code", oracle(cur, f, "category", audience))
    check(queries.timeseries(cur, f, "week", audience), "period",
          oracle(cur, f, "strftime(date_trunc('week', created_date), '%Y-%m-%d')", audience))
    tot = queries.totals(cur, f, audience)
    cats = queries.category_counts(cur, f, audience)
    assert tot["reports"] in (None, int(pd.to_numeric(cats["reports"]).fillna(0).sum()))


def test_the_rules_are_exercised(gw):
    """The demo data holds hidden-category cells on both sides of the threshold and confirmed-only
    reports that are not confirmed, so the oracle comparison above tests the rules, not zeros."""
    cur, _ = gw.store.cursor()
    f = Filters(categories=tuple(HIDDEN))
    ref = oracle(cur, f, "gmina", "public")
    assert ref["suppressed"].any() and (ref["reports"].fillna(0) >= 5).any()
    n_only = cur.execute(f"SELECT count(*) FROM reports WHERE category::VARCHAR IN ({', '.join(repr(c) for c in ONLY)})"
                         " AND outcome <> 'confirmed'").fetchone()[0]
    assert n_only > 0


def test_top_category_is_the_most_reported_visible_one(gw):
    cur, _ = gw.store.cursor()
    f = Filters(date_from=DEMO_END - timedelta(days=60), date_to=DEMO_END)
    top = queries.top_categories(cur, f, "powiat", gw.districts_table("powiat"), "public").set_index("teryt")
    w, params = queries.where(f, "public")
    hidden = ", ".join(f"'{c}'" for c in HIDDEN)
    counts = cur.execute(f"""SELECT powiat, category::VARCHAR AS c, count(*) AS n FROM reports
        WHERE {w} AND category::VARCHAR NOT IN ({hidden}) GROUP BY 1, 2""", params).df()
    rank = {c: i for i, c in enumerate(reference.category_codes())}
    checked = 0
    for powiat, grp in counts.groupby("powiat"):
        best = grp.assign(r=grp["c"].map(rank)).sort_values(["n", "r"], ascending=[False, True]).iloc[0]["c"]
        assert top.loc[powiat, "top_category"] == best
        assert top.loc[powiat, "top_category"] not in HIDDEN
        checked += 1
    assert checked > 100
    assert np.all(top.loc[~top.index.isin(counts["powiat"]), "top_category"].isna())
