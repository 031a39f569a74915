"""Running for many (README): two app instances on one data directory with the same
KMZB_CACHE_URL=redis://… share the memoized data functions and the rate limit, through a real
redis-server started here on a free port; new data invalidates what both serve."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import replace

import pytest

from kmzb.ingest.run import run_ingest
from kmzb.query import queries

from .conftest import GDANSK, row, write_extract
from .helpers import free_port, wait_for

pytestmark = pytest.mark.integration

ROWS = [row(i, created=f"2024-05-{1 + i % 20:02d} 10:00:00") for i in range(1, 31)]
MORE = [row(100 + i, place=GDANSK, typ="Wypalanie traw", created="2024-06-10 09:00:00") for i in range(7)]
QUERY = {"from": "2024-01-01", "to": "2024-12-31"}


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server not found: `make test` installs Debian's redis-server")
        pytest.skip("redis-server not found (`make test` installs Debian's redis-server)")
    import redis

    port = free_port()
    workdir = tmp_path_factory.mktemp("redis")
    log = workdir / "redis.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                 "--appendonly", "no", "--dir", str(workdir)],
                                cwd=workdir, stdout=out, stderr=subprocess.STDOUT)
    client = redis.Redis(host="127.0.0.1", port=port, db=0)
    try:
        wait_for(proc, lambda: client.ping() or None, log, timeout=30, what="redis-server")
        yield f"redis://127.0.0.1:{port}/0", client
    finally:
        client.close()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def redis_url(redis_server):
    url, client = redis_server
    client.flushdb()  # each test starts with an empty cache and fresh rate-limit counters
    return url


@pytest.fixture
def store(settings, tmp_path):
    run_ingest(settings, [write_extract(tmp_path / "in" / "kmzb_20240601.csv", ROWS)])
    return settings


@pytest.fixture
def computations(monkeypatch) -> list:
    """Every call of the query function behind the category counts, in any instance."""
    calls = []
    real = queries.gmina_cells

    def spy(*args, **kwargs):
        calls.append(args[1:2])
        return real(*args, **kwargs)

    monkeypatch.setattr(queries, "gmina_cells", spy)
    return calls


def two_instances(settings, cache_url: str | None):
    """Two apps as two servers would build them from the same settings (one data directory)."""
    from app import create_app

    s = replace(settings, cache_url=cache_url)
    return [create_app(s).server.test_client() for _ in range(2)]


def categories(client) -> dict:
    r = client.get("/api/v1/categories", query_string=QUERY)
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()


def reports(answer: dict) -> int:
    return sum(r["reports"] or 0 for r in answer["rows"])


def test_a_result_computed_by_one_instance_is_served_by_the_other(store, redis_url, computations):
    a, b = two_instances(store, redis_url)
    first = categories(a)
    assert len(computations) == 1
    second = categories(b)
    assert len(computations) == 1, "the second instance computed again instead of reading Redis"
    assert second == first and reports(first) == len(ROWS)


def test_without_redis_each_instance_computes_its_own(store, computations, monkeypatch):
    """The spy sees the difference: in-memory caches are per instance."""
    a, b = two_instances(store, None)
    assert categories(a) == categories(b)
    assert len(computations) == 2


def test_new_data_invalidates_both_instances(store, redis_url, computations, tmp_path):
    a, b = two_instances(store, redis_url)
    old = categories(a)
    assert categories(b) == old and len(computations) == 1
    res = run_ingest(store, [write_extract(tmp_path / "in" / "kmzb_20240611.csv", MORE)])
    assert res.published and res.version != old["data_version"]
    new_b = categories(b)
    assert len(computations) == 2, "new data was not recomputed"
    assert new_b["data_version"] == res.version and reports(new_b) == len(ROWS) + len(MORE)
    new_a = categories(a)
    assert len(computations) == 2 and new_a == new_b  # the other instance reads the new entry


def test_the_rate_limit_counts_across_instances(store, redis_url, monkeypatch):
    # a day's window: a fixed window that cannot roll over between these few requests
    monkeypatch.setenv("KMZB_API_RATE", "5 per day")
    a, b = two_instances(store, redis_url)
    statuses = [c.get("/api/v1/meta").status_code for c in (a, a, a, b, b)]
    assert statuses == [200] * 5
    sixth = b.get("/api/v1/meta")
    assert sixth.status_code == 429 and "too many requests" in sixth.get_json()["error"]
    assert a.get("/api/v1/meta").status_code == 429  # and the first instance knows it too


def test_without_redis_each_instance_counts_alone(store, monkeypatch):
    monkeypatch.setenv("KMZB_API_RATE", "5 per day")
    a, b = two_instances(store, None)
    assert [c.get("/api/v1/meta").status_code for c in (a, a, a, b, b, b)] == [200] * 6
