"""The in-memory cube (kmzb.query.cube) gives exactly the cells the SQL groupings give, on any filter,
and the gateway's answers are the same whether it reads the cube or SQL."""

from __future__ import annotations

import gc
from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kmzb import reference
from kmzb.query import cells as cells_mod
from kmzb.query import cube as cube_mod
from kmzb.query import queries
from kmzb.query.filters import Filters
from kmzb.query.gateway import DataGateway

from .conftest import DEMO_END, build_demo, demo_on_shared

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def setup(tmp_path_factory, shared_store):
    settings_ = demo_on_shared(tmp_path_factory, shared_store, "cube")
    gw = DataGateway(settings_)
    cur = gw.cursor()[0]
    enum_values = queries.enums(cur)
    cube = cube_mod.build(cur, enum_values, queries.outcome_index(enum_values[1]))
    codes = [r[0] for r in cur.execute("SELECT DISTINCT gmina FROM reports ORDER BY 1").fetchall()]
    return gw, cur, enum_values, cube, codes


def _table(c) -> list[tuple]:
    rows = zip(c.key.tolist(), [c.categories[i] for i in c.cat], c.outcome.tolist(),
               [c.statuses[i] if i >= 0 else None for i in c.status], c.n.astype(int).tolist())
    return sorted(rows)


@st.composite
def filters(draw, codes):
    start = DEMO_END - timedelta(days=draw(st.integers(0, 260)))
    length = draw(st.integers(0, 200))
    cats = reference.category_codes()
    teryt = draw(st.one_of(st.none(), st.sampled_from(codes).flatmap(
        lambda c: st.sampled_from([c[:2], c[:4], c]))))
    return Filters(
        date_from=draw(st.one_of(st.none(), st.just(start))),
        date_to=draw(st.one_of(st.none(), st.just(start + timedelta(days=length)))),
        categories=tuple(sorted(set(draw(st.lists(st.sampled_from(cats), max_size=4))), key=cats.index)),
        statuses=tuple(sorted(set(draw(st.lists(st.sampled_from(reference.status_codes()), max_size=2))),
                              key=reference.status_codes().index)),
        outcomes=tuple(sorted(set(draw(st.lists(st.sampled_from(reference.OUTCOMES), max_size=2))),
                              key=reference.OUTCOMES.index)),
        sources=tuple(sorted(set(draw(st.lists(st.sampled_from(reference.SOURCES), max_size=2))),
                             key=reference.SOURCES.index)),
        teryt=teryt)


def test_cube_cells_equal_sql_cells_on_any_filter(setup):
    gw, cur, enum_values, cube, codes = setup
    assert cube.n.sum() == cur.execute("SELECT count(*) FROM reports").fetchone()[0]
    assert (np.diff(cube.day) >= 0).all()

    @settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(filters(codes))
    def check(f):
        assert _table(cube_mod.gmina_cells(cube, f)) == _table(queries.gmina_cells(cur, f, enum_values)), f
        assert _table(cube_mod.day_cells(cube, f)) == _table(queries.day_cells(cur, f, enum_values)), f
        if f.teryt:  # a region's cells cut from the whole country's (what the gateway does)
            cut = cells_mod.within(cube_mod.gmina_cells(cube, f.replace(teryt=None)), f.teryt)
            assert _table(cut) == _table(queries.gmina_cells(cur, f, enum_values)), f
        for aud in ("public", "police"):  # the heatmap's counts, the public rules applied
            assert queries.week_heatmap(cur, f, aud, cube_mod.week_heatmap_counts(cube, f, aud)).equals(
                queries.week_heatmap(cur, f, aud)), (f, aud)
    check()


@pytest.fixture(scope="module")
def years(tmp_path_factory):
    """A small store over three calendar years and a bit: ranges with whole years in them, which the
    cube answers from its yearly sums (plus the rows of the partial years at either end)."""
    settings_ = build_demo(tmp_path_factory.mktemp("cube-years") / "data", days=1100, scale=0.004, deltas=0)
    cur = DataGateway(settings_).cursor()[0]
    enum_values = queries.enums(cur)
    return cur, enum_values, cube_mod.build(cur, enum_values, queries.outcome_index(enum_values[1]))


def test_long_ranges_from_the_yearly_and_daily_sums_equal_sql(years):
    cur, enum_values, cube = years
    assert cube.year_cum is not None and len(cube.year_days) >= 4 and cube.daily is not None
    lo = DEMO_END - timedelta(days=1099)
    cats = reference.category_codes()

    codes = [r[0] for r in cur.execute("SELECT DISTINCT gmina FROM reports ORDER BY 1").fetchall()]

    @settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.integers(0, 1099), st.integers(0, 1099), st.lists(st.sampled_from(cats), max_size=3),
           st.sampled_from([(), ("confirmed",), ("pending", "unconfirmed")]), st.booleans(),
           st.one_of(st.none(), st.sampled_from(codes).flatmap(lambda c: st.sampled_from([c[:2], c[:4], c]))))
    def check(a, b, chosen, outcomes, open_ended, teryt):
        a, b = sorted((a, b))
        f = Filters(date_from=None if open_ended else lo + timedelta(days=a), date_to=lo + timedelta(days=b),
                    categories=tuple(sorted(set(chosen), key=cats.index)), outcomes=outcomes, teryt=teryt)
        assert _table(cube_mod.gmina_cells(cube, f)) == _table(queries.gmina_cells(cur, f, enum_values)), f
        assert _table(cube_mod.day_cells(cube, f)) == _table(queries.day_cells(cur, f, enum_values)), f
    check()
    whole = Filters(date_from=date(2025, 1, 1), date_to=date(2025, 12, 31))  # exactly one year: sums only
    assert _table(cube_mod.gmina_cells(cube, whole)) == _table(queries.gmina_cells(cur, whole, enum_values))


def test_gateway_answers_the_same_from_the_cube_and_from_sql(setup, tmp_path_factory, shared_store):
    gw_sql, _, _, _, codes = setup
    gw_sql.cube = lambda wait=False: None  # this one never reads a cube
    gw_cube = DataGateway(demo_on_shared(tmp_path_factory, shared_store, "cube2"))
    assert gw_cube.cube(wait=True) is not None
    cases = [Filters(date_from=DEMO_END - timedelta(days=90), date_to=DEMO_END),
             Filters(date_from=DEMO_END - timedelta(days=30), date_to=DEMO_END, teryt=codes[0][:4],
                     categories=("nieprawidlowe-parkowanie", "przekraczanie-dopuszczalnej-predkosci")),
             Filters(outcomes=("confirmed",), sources=("internet",))]
    for f in cases:
        for aud in ("public", "police"):
            for level in ("voivodeship", "powiat", "gmina"):
                if f.teryt and len(f.teryt) > {"voivodeship": 2, "powiat": 4, "gmina": 7}[level]:
                    continue
                a, b = gw_sql.scoped({}).districts(f, level, aud), gw_cube.scoped({}).districts(f, level, aud)
                assert a.equals(b), (f, level, aud)
            assert gw_sql.scoped({}).categories(f, aud).equals(gw_cube.scoped({}).categories(f, aud))
            assert gw_sql.scoped({}).week_heatmap(f, aud).equals(gw_cube.scoped({}).week_heatmap(f, aud))
            for interval in ("day", "week", "month"):
                assert gw_sql.scoped({}).timeseries(f, interval, aud).equals(
                    gw_cube.scoped({}).timeseries(f, interval, aud)), (f, interval)


def test_the_cube_is_counted_in_the_background_once_per_version(setup, tmp_path_factory, shared_store):
    import time

    gw = DataGateway(demo_on_shared(tmp_path_factory, shared_store, "cube3"))
    first = gw.cube()  # not there yet: the caller is answered from SQL meanwhile
    assert first is None
    deadline = time.monotonic() + 60
    while gw.cube() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    built = gw.cube()
    assert built is not None and gw.cube() is built  # kept, not counted again
    assert gw._static.cube_building is None
    assert gc.get_freeze_count() == 0  # an in-process gateway (not a server's) leaves the collector alone


def test_a_gunicorn_worker_starts_counting_the_cube_as_it_starts(tmp_path_factory, shared_store, caplog):
    """gunicorn.conf.py's post_worker_init warms the worker in a thread (district tables, the cube), so
    its first filter changes do not wait for SQL groupings; without data it only logs."""
    import runpy
    import time
    import types

    from app import create_app
    from kmzb.config import PROJECT_ROOT, get_settings

    conf = runpy.run_path(str(PROJECT_ROOT / "gunicorn.conf.py"))
    server = create_app(demo_on_shared(tmp_path_factory, shared_store, "cube4")).server
    assert gc.get_freeze_count() == 0
    try:
        conf["post_worker_init"](types.SimpleNamespace(wsgi=server))
        gw = server.extensions["kmzb_gateway"]
        deadline = time.monotonic() + 60
        while gc.get_freeze_count() == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert gw._static.cube is not None and set(gw._static.tables) == {"voivodeship", "powiat", "gmina"}
        assert gw._static.bboxes is not None  # a visitor's first region does not read three map files
        # the worker's long-lived objects (app, catalogues, tables, cube) are frozen out of the collector's
        # walks: a full collection now visits a small part of what the process holds
        frozen, walked = gc.get_freeze_count(), len(gc.get_objects())
        assert frozen > 100_000 and walked < frozen / 10, (frozen, walked)
    finally:
        gc.unfreeze()  # this test process is not a server: give its objects back to the collector
    empty = create_app(get_settings(data_dir=tmp_path_factory.mktemp("nodata"), geo_dir=gw.settings.geo_dir)).server
    with caplog.at_level("INFO", logger="kmzb.query.gateway"):
        empty.extensions["kmzb_gateway"].warm_in_background().join(60)
    assert "not warmed" in caplog.text  # no store: said, not raised


def test_a_snapshots_meta_table_is_read_once_per_cursor(tmp_path_factory, shared_store):
    """The facts every view asks for (history start, last modification, dates) come from one read of the
    snapshot's meta table per cursor, also through the timing wrapper a timed request makes per call."""
    from kmzb import timing

    class Counting(timing.WatchedCursor):
        reads = 0

        def executed(self, sql, params, seconds):
            Counting.reads += "FROM meta" in sql

    gw = DataGateway(demo_on_shared(tmp_path_factory, shared_store, "cube-meta"))
    cur = gw.cursor()[0]
    first = (queries.history_from(Counting(cur)), queries.date_range(Counting(cur)), queries.meta(Counting(cur)))
    again = (queries.history_from(Counting(cur)), queries.date_range(Counting(cur)), queries.meta(Counting(cur)))
    assert first == again and first[0] is not None and first[2]["reports"] > 0
    assert Counting.reads == 1
    other = DataGateway(demo_on_shared(tmp_path_factory, shared_store, "cube-meta2"))
    queries.history_from(Counting(other.store.cursor()[0]))  # another connection: read again
    assert Counting.reads == 2


def test_day_search_in_the_arrays_own_type_gives_numpys_answer():
    """cube._search looks a day up without converting the uint16 days to int64 (~1 ms a call at 3M
    rows); for any value, also one outside uint16 (a date before 1970 or after 2149), the same index."""
    days = np.array([0, 3, 3, 7, 65535], dtype=np.uint16)
    for value in (-10, -1, 0, 1, 3, 4, 7, 8, 65534, 65535, 65536, 10**6):
        for side in ("left", "right"):
            assert cube_mod._search(days, value, side) == np.searchsorted(days.astype(np.int64), value, side)
