"""Server-Timing (kmzb.timing, web.timing): where a request's time goes, for the benchmarks.

Stages are exclusive (a figure that runs a query is not charged the query), off by default, and when
on they name the stages a views benchmark reads (sql, data.<function>, figure, view, callback)."""

from __future__ import annotations

import dataclasses
import time

import pytest

from kmzb import timing
from kmzb.ingest.run import run_ingest

from .conftest import GDANSK, KRAKOW, row, write_extract

pytestmark = pytest.mark.integration


def test_nested_stages_are_charged_once():
    rec, token = timing.start()
    try:
        with timing.stage("figure"):
            time.sleep(0.02)
            with timing.stage("sql"):
                time.sleep(0.05)
    finally:
        timing.stop(token)
    assert 0.045 <= rec.seconds["sql"] < 0.2
    assert 0.015 <= rec.seconds["figure"] < 0.045  # its own 20 ms, not the query's 50
    assert not timing.active()
    with timing.stage("ignored"):  # no recorder: nothing recorded, nothing raised
        pass
    assert "ignored" not in rec.seconds


def test_a_garbage_collection_inside_a_request_is_its_own_stage():
    """A full collection that interrupts a stage is charged to `gc`, not to the stage it interrupted."""
    import gc

    junk = [[i] for i in range(300_000)]  # containers for the collector to walk
    gc.disable()  # only the collections this test asks for (not an automatic one on an allocation)
    try:
        rec, token = timing.start()
        try:
            with timing.stage("figure"):
                gc.collect()
        finally:
            timing.stop(token)
    finally:
        gc.enable()
    del junk
    assert rec.calls["gc"] >= 1 and rec.seconds["gc"] > 0
    assert rec.seconds["figure"] < rec.seconds["gc"]  # the figure's own time is only the call around it
    gc.collect()  # no recorder: nothing recorded, nothing raised
    assert rec.calls["gc"] == 1


def _parse(header: str) -> dict[str, float]:
    return {p.split(";dur=")[0].strip(): float(p.split(";dur=")[1]) for p in header.split(",") if ";dur=" in p}


@pytest.fixture
def make_client(settings, tmp_path):
    run_ingest(settings, [write_extract(tmp_path / "kmzb_20240701.csv", [
        row(1, created="2024-06-01 10:00:00", modified="2024-06-02 10:00:00"),
        row(2, place=GDANSK, status="Niepotwierdzone", created="2024-06-03 10:00:00",
            modified="2024-06-04 10:00:00"),
        row(3, place=KRAKOW, status="Potwierdzone", created="2024-06-05 10:00:00",
            modified="2024-06-06 10:00:00")])])

    def make(mode: str):
        from app import create_app

        return create_app(dataclasses.replace(settings, server_timing=mode, cache_kind="off")).server.test_client()
    return make


def test_server_timing_header_off_by_default_and_stages_when_on(make_client):
    r = make_client("").get("/api/v1/districts?level=powiat")
    assert r.status_code == 200 and "Server-Timing" not in r.headers
    for mode in ("wall", "cpu"):
        r = make_client(mode).get("/api/v1/districts?level=powiat")
        assert r.status_code == 200
        stages = _parse(r.headers["Server-Timing"])
        assert {"sql", "data.districts", "data.cells", "total", "other"} <= set(stages), stages
        assert stages["total"] >= stages["sql"] > 0
        assert abs(sum(v for k, v in stages.items() if k != "total") - stages["total"]) < 1.0  # ms, rounding


def test_settings_read_the_timing_mode(monkeypatch, tmp_path):
    from kmzb.config import get_settings

    monkeypatch.setenv("KMZB_SERVER_TIMING", "cpu")
    assert get_settings(data_dir=tmp_path).server_timing == "cpu"
    monkeypatch.setenv("KMZB_SERVER_TIMING", "off")
    assert get_settings(data_dir=tmp_path).server_timing == ""
    monkeypatch.setenv("KMZB_SERVER_TIMING", "sometimes")
    with pytest.raises(SystemExit, match="KMZB_SERVER_TIMING"):
        get_settings(data_dir=tmp_path)
