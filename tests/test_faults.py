"""Faults with real processes on a real store in tmp_path: an ingest killed halfway, two ingests at
once, damaged snapshot files (under a running server and for a fresh one), bad input files. (A
gunicorn worker killed under load: tests/test_login_race.py, on that module's gunicorn.)

What must hold (shared/spec/nightly-extract.md, "Atomic" and "Bad files"): the served data never
changes because something failed, every failure is a clear message with a non-zero exit (no
traceback), and the dashboard keeps serving the newest snapshot it can read.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from datetime import date
from pathlib import Path

import pytest
import requests

from kmzb import demo
from kmzb.config import PROJECT_ROOT
from kmzb.ingest.run import run_ingest
from kmzb.store import Store, StoreError

from .conftest import GDANSK, GEO_DIR, row, write_extract
from .helpers import run_python, start_python

BIG_ROWS = 300_000
HELD_ROWS = 30_000


# ----------------------------------------------------------------------------- helpers

def env_for(settings, **extra) -> dict:
    return {**os.environ, "KMZB_DATA_DIR": str(settings.data_dir), "KMZB_GEO_DIR": str(GEO_DIR),
            "KMZB_CACHE": "off", "KMZB_TILES_URL": "", "PYTHONUNBUFFERED": "1", **extra}


def cli(settings, *args, timeout=300):
    """`python -m kmzb ARGS` (tests.helpers.run_python)."""
    return run_python(["-m", "kmzb", *map(str, args)], env_for(settings), PROJECT_ROOT, timeout=timeout)


def start_ingest(settings, *files) -> subprocess.Popen:
    return start_python(["-m", "kmzb", "ingest", *map(str, files)], env_for(settings), PROJECT_ROOT)


def temp_snapshots(settings) -> list[Path]:
    return sorted(settings.store_dir.glob(".snap-*.duckdb.tmp*"))


def wait_for_temp_snapshot(settings, proc, *, grown_by: int = 0, timeout: float = 120) -> Path:
    """Wait until the ingest's temporary snapshot exists (and has grown by `grown_by` bytes)."""
    deadline = time.time() + timeout
    first_size = None
    while time.time() < deadline:
        if proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f"the ingest ended (rc {proc.returncode}) before it could be caught: {err[-2000:]}")
        tmps = [p for p in temp_snapshots(settings) if p.name.endswith(".duckdb.tmp")]
        if tmps:
            try:
                size = tmps[0].stat().st_size
            except FileNotFoundError:
                continue
            first_size = size if first_size is None else first_size
            if size - first_size >= grown_by:
                return tmps[0]
        time.sleep(0.005)
    raise AssertionError("no temporary snapshot appeared in time")


def served(settings) -> tuple[str, int]:
    """(data version, reports) as a fresh reader sees them through Store.cursor()."""
    cur, version = Store(settings.store_dir).cursor()
    return version, cur.execute("SELECT count(*) FROM reports").fetchone()[0]


def snapshots(settings) -> list[Path]:
    return sorted(settings.store_dir.glob("snap-*.duckdb"))


def current_name(settings) -> str:
    return (settings.store_dir / "CURRENT").read_text().strip()


def no_traceback(text: str) -> None:
    assert "Traceback" not in text, text[-3000:]


def base_store(settings, tmp_path, versions: int = 1) -> list[tuple[str, int]]:
    """Publish `versions` snapshots: 40 reports, then 10 more each time. Returns (version, reports)."""
    out = []
    rows = [row(i, created=f"2024-05-01 10:{i % 60:02d}:00") for i in range(1, 41)]
    res = run_ingest(settings, [write_extract(tmp_path / "in" / "kmzb_20240501.csv", rows)])
    out.append((res.version, res.reports))
    for k in range(1, versions):
        more = [row(1000 * k + i, place=GDANSK, created=f"2024-05-{1 + k:02d} 09:00:00") for i in range(10)]
        res = run_ingest(settings, [write_extract(tmp_path / "in" / f"kmzb_202405{1 + k:02d}.csv", more)])
        assert res.published
        out.append((res.version, res.reports))
    return out


class Server:
    """`python app.py --port P` (tests/browser.py) with the log kept; the cache off so each request
    reads the store."""

    def __init__(self, settings):
        from .browser import Server as _Server

        self._srv = _Server({k: v for k, v in env_for(settings).items() if k.startswith(("KMZB_", "PYTHON"))})
        self.url = self._srv.url

    def get(self, path: str):
        return requests.get(self.url + path, timeout=60)

    def meta(self) -> tuple[int, dict]:
        r = self.get("/api/v1/meta")
        no_traceback(r.text)
        return r.status_code, r.json()

    def logs(self) -> str:
        return self._srv.logs()

    def stop(self):
        self._srv.stop()


@pytest.fixture
def server_factory():
    started = []

    def start(settings) -> Server:
        s = Server(settings)
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()


@pytest.fixture(scope="module")
def big_delta(tmp_path_factory) -> Path:
    """A 300k-row delta (the demo generator's full-snapshot writer, named as a delta): an ingest long
    enough to be killed while it writes."""
    path = tmp_path_factory.mktemp("big") / "kmzb_20261125.csv"
    demo.write_full_snapshot(path, geo_dir=GEO_DIR, n_reports=BIG_ROWS, end=date(2026, 11, 24))
    return path


@pytest.fixture(scope="module")
def held_delta(tmp_path_factory) -> Path:
    """A 30k-row delta for an ingest that is held (SIGSTOP) while another tries: its length does not
    matter, and the held one finishes its rows after (300k took ~6 s)."""
    path = tmp_path_factory.mktemp("held") / "kmzb_20261125.csv"
    demo.write_full_snapshot(path, geo_dir=GEO_DIR, n_reports=HELD_ROWS, end=date(2026, 11, 24))
    return path


def corrupt(path: Path, how: str) -> None:
    size = path.stat().st_size
    if how == "truncate":
        os.truncate(path, size // 2)
    elif how == "header":
        with open(path, "r+b") as f:
            f.write(b"\0" * 16384)
    elif how == "blocks":  # scribble over the start of every block (DuckDB checks each block's checksum)
        with open(path, "r+b") as f:
            for off in range(12288 + 8, size, 262144):
                f.seek(off)
                f.write(b"\xff" * 64)
    else:
        raise ValueError(how)


CORRUPTIONS = ("truncate", "header", "blocks")


# ----------------------------------------------------------------------------- an ingest killed halfway

def test_ingest_killed_halfway_leaves_served_data_unchanged_and_next_ingest_cleans_up(
        settings, tmp_path, big_delta, server_factory):
    (v1, n1), = base_store(settings, tmp_path)
    srv = server_factory(settings)
    status, meta = srv.meta()
    assert status == 200 and (meta["data_version"], meta["reports"]) == (v1, n1)
    current_before = current_name(settings)

    proc = start_ingest(settings, big_delta)
    # wait until it is writing into its temporary snapshot (the copy plus at least 1 MB), then kill it
    tmp = wait_for_temp_snapshot(settings, proc, grown_by=1 << 20)
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL
    proc.communicate()
    assert tmp.exists(), "the killed run's temporary snapshot should be left behind (and cleaned later)"

    # nothing it did is visible: same CURRENT, version and counts, in a new reader and in the server
    assert current_name(settings) == current_before
    assert served(settings) == (v1, n1)
    status, meta = srv.meta()
    assert status == 200 and (meta["data_version"], meta["reports"]) == (v1, n1)
    r = srv.get("/api/v1/districts?level=voivodeship")
    assert r.status_code == 200, r.text
    assert sum(x["reports"] for x in r.json()["rows"]) == n1
    assert len(snapshots(settings)) == 1

    # the next ingest takes the lock the dead process held, removes its leftovers and publishes
    nxt = write_extract(tmp_path / "in" / "kmzb_20240510.csv",
                        [row(5000 + i, created="2024-05-10 08:00:00") for i in range(7)])
    r = cli(settings, "ingest", nxt)
    assert r.returncode == 0, r.stderr
    no_traceback(r.stderr)
    assert temp_snapshots(settings) == []
    v2, n2 = served(settings)
    assert v2 != v1 and n2 == n1 + 7
    status, meta = srv.meta()
    assert status == 200 and (meta["data_version"], meta["reports"]) == (v2, n2)


# ----------------------------------------------------------------------------- two ingests at once

def test_second_ingest_refuses_while_the_first_completes(settings, tmp_path, held_delta):
    (v1, n1), = base_store(settings, tmp_path)
    first = start_ingest(settings, held_delta)
    wait_for_temp_snapshot(settings, first)  # it holds the lock from before begin() until publish
    # held still while the second one tries: the first ingest can finish its rows in less
    # time than a second Python process takes to start (the test raced, and once found no one running)
    os.kill(first.pid, signal.SIGSTOP)
    try:
        assert temp_snapshots(settings), "the first ingest finished before it could be held"
        small = write_extract(tmp_path / "in" / "kmzb_20240511.csv", [row(9001, created="2024-05-11 08:00:00")])
        second = cli(settings, "ingest", small)
    finally:
        os.kill(first.pid, signal.SIGCONT)
    assert second.returncode == 3
    assert "another ingest is running" in second.stderr and f"pid {first.pid}" in second.stderr
    no_traceback(second.stderr)
    out, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    v2, n2 = served(settings)
    assert v2 != v1 and n2 >= HELD_ROWS
    # the refused run changed nothing: report 9001 is not there, and it can simply be run again
    cur, _ = Store(settings.store_dir).cursor()
    assert cur.execute("SELECT count(*) FROM reports WHERE objectid = 9001").fetchone()[0] == 0
    again = cli(settings, "ingest", small)
    assert again.returncode == 0, again.stderr
    assert served(settings)[1] == n2 + 1


# ----------------------------------------------------------------------------- damaged snapshot files

@pytest.mark.parametrize("how", CORRUPTIONS)
def test_reader_falls_back_to_the_newest_readable_snapshot(settings, tmp_path, how, caplog):
    (v1, n1), (v2, n2), (v3, n3) = base_store(settings, tmp_path, versions=3)
    snaps = snapshots(settings)
    assert [p.name for p in snaps][-1] == current_name(settings) == f"snap-{v3}.duckdb"
    backup = tmp_path / "backup"
    backup.mkdir()
    for p in snaps:
        (backup / p.name).write_bytes(p.read_bytes())
    long_lived = Store(settings.store_dir)  # like a server process's store
    assert long_lived.version() == v3
    corrupt(snaps[-1], how)
    # (the reader that has the file open goes first: DuckDB shares one database instance, and its
    # cached blocks, between connections to the same file in a process; a fresh process has none)
    with caplog.at_level("ERROR", logger="kmzb.store"):
        cur, version = long_lived.cursor()  # it notices the file changed, checks it again, falls back
        assert version == v2 and cur.execute("SELECT count(*) FROM reports").fetchone()[0] == n2
        assert served(settings) == (v2, n2)  # a fresh reader
    assert any("changed on disk" in r.getMessage() for r in caplog.records), caplog.text
    assert any("cannot open snapshot" in r.getMessage() and f"snap-{v2}.duckdb" in r.getMessage()
               for r in caplog.records), caplog.text
    # two damaged: the one before them
    corrupt(snaps[-2], how)
    assert long_lived.version() == v1 and served(settings) == (v1, n1)
    # none readable: a clear error, never a half-written temporary file
    (settings.store_dir / ".snap-999999-deadbeef.duckdb.tmp").write_bytes((backup / snaps[-1].name).read_bytes())
    corrupt(snaps[0], how)
    for store in (long_lived, Store(settings.store_dir)):
        with pytest.raises(StoreError, match="cannot open snapshot .* nor an older one"):
            store.cursor()
    # a restored file is served again, without a restart
    snaps[-1].write_bytes((backup / snaps[-1].name).read_bytes())
    assert served(settings) == (v3, n3) and long_lived.version() == v3


@pytest.mark.parametrize("how", CORRUPTIONS)
def test_fresh_server_on_damaged_store_answers_503_or_serves_older(settings, tmp_path, how, server_factory):
    (v1, n1), (v2, n2) = base_store(settings, tmp_path, versions=2)
    corrupt(snapshots(settings)[-1], how)
    srv = server_factory(settings)
    status, meta = srv.meta()
    assert status == 200 and (meta["data_version"], meta["reports"]) == (v1, n1)
    r = srv.get("/api/v1/districts?level=powiat")
    assert r.status_code == 200 and sum(x["reports"] for x in r.json()["rows"]) == n1
    assert "cannot open snapshot" in srv.logs() and f"snap-{v1}.duckdb" in srv.logs()
    no_traceback(srv.get("/").text)

    # nothing readable at all: a clear 503 on every endpoint, the page still loads. Checked for one
    # kind of damage: which kind made the older snapshot unreadable too is the reader's business (each
    # kind: test_reader_falls_back_to_the_newest_readable_snapshot); a server start costs seconds
    if how != "blocks":
        return
    corrupt(snapshots(settings)[0], how)
    srv2 = server_factory(settings)
    for path in ("/api/v1/meta", "/api/v1/districts", "/api/v1/categories", "/api/v1/timeseries"):
        r = srv2.get(path)
        no_traceback(r.text)
        assert r.status_code == 503, (path, r.status_code, r.text[:500])
        assert "unavailable" in r.json()["error"]
    assert srv2.get("/").status_code == 200


@pytest.mark.parametrize("how", CORRUPTIONS)
def test_snapshot_damaged_under_a_running_server(settings, tmp_path, how, server_factory):
    (v1, n1), (v2, n2) = base_store(settings, tmp_path, versions=2)
    srv = server_factory(settings)
    status, meta = srv.meta()
    assert status == 200 and meta["data_version"] == v2
    for level in ("voivodeship", "powiat", "gmina"):  # warm: the server has the file open and cached
        assert srv.get(f"/api/v1/districts?level={level}").status_code == 200
    corrupt(snapshots(settings)[-1], how)
    # the server notices the served file changed, re-checks it and falls back to the older one
    for path in ("/api/v1/meta", "/api/v1/districts?level=gmina", "/api/v1/categories",
                 "/api/v1/timeseries?interval=week"):
        r = srv.get(path)
        no_traceback(r.text)
        assert r.status_code == 200, (path, r.text[:500])
    status, meta = srv.meta()
    assert (meta["data_version"], meta["reports"]) == (v1, n1)
    assert "changed on disk" in srv.logs()
    # the older one damaged too: a clear 503, and it keeps answering
    corrupt(snapshots(settings)[0], how)
    for _ in range(3):
        r = srv.get("/api/v1/districts?level=voivodeship")
        no_traceback(r.text)
        assert r.status_code == 503 and "unavailable" in r.json()["error"]


@pytest.mark.parametrize("how", CORRUPTIONS)
def test_ingest_refuses_to_build_on_a_damaged_current_snapshot(settings, tmp_path, how):
    (v1, n1), (v2, n2) = base_store(settings, tmp_path, versions=2)
    corrupt(snapshots(settings)[-1], how)
    names = [p.name for p in snapshots(settings)]
    new = write_extract(tmp_path / "in" / "kmzb_20240520.csv", [row(7001, created="2024-05-20 08:00:00")])
    r = cli(settings, "ingest", new)
    assert r.returncode == 4, (r.returncode, r.stderr)
    no_traceback(r.stderr)
    assert "error: the current snapshot" in r.stderr and "unreadable" in r.stderr and "nothing was ingested" in r.stderr
    assert current_name(settings) == f"snap-{v2}.duckdb"
    assert [p.name for p in snapshots(settings)] == names and temp_snapshots(settings) == []
    assert served(settings) == (v1, n1)  # still the fallback


@pytest.mark.parametrize("how", CORRUPTIONS)
def test_info_and_demo_on_a_damaged_store_give_a_clear_message(settings, tmp_path, how):
    (v1, n1), (v2, n2) = base_store(settings, tmp_path, versions=2)
    corrupt(snapshots(settings)[-1], how)
    r = cli(settings, "info", "--json")
    assert r.returncode == 0, r.stderr
    no_traceback(r.stderr)
    info = json.loads(r.stdout)
    assert info["data_version"] == v1 and info["reports"] == n1 and info["snapshot"].endswith(f"snap-{v1}.duckdb")
    assert f"snap-{v2}.duckdb" in info["warning"] and "cannot be read" in info["warning"]
    if how != "blocks":  # nothing readable: for one kind of damage, as in the server's test above
        return
    corrupt(snapshots(settings)[0], how)  # nothing readable any more
    r = cli(settings, "info")
    assert r.returncode == 4 and "error: cannot open snapshot" in r.stderr, (r.returncode, r.stderr)
    no_traceback(r.stderr)
    r = cli(settings, "demo", "--days", "3", "--scale", "0.002", "--deltas", "0", "--end", "2024-06-01")
    assert r.returncode == 4 and "error:" in r.stderr, (r.returncode, r.stderr[-2000:])
    no_traceback(r.stderr)


def test_current_naming_a_missing_snapshot(settings, tmp_path):
    (v1, n1), (v2, n2) = base_store(settings, tmp_path, versions=2)
    snapshots(settings)[-1].unlink()
    assert served(settings) == (v1, n1)  # readers fall back
    new = write_extract(tmp_path / "in" / "kmzb_20240520.csv", [row(7001, created="2024-05-20 08:00:00")])
    r = cli(settings, "ingest", new)
    # an ingest must not start from an empty database and publish it (that would drop every report)
    assert r.returncode == 4 and "does not exist" in r.stderr, r.stderr
    no_traceback(r.stderr)
    assert current_name(settings) == f"snap-{v2}.duckdb" and served(settings) == (v1, n1)
    # pointing CURRENT at the older snapshot by hand lets ingests go on from there
    (settings.store_dir / "CURRENT").write_text(f"snap-{v1}.duckdb\n")
    r = cli(settings, "ingest", new)
    assert r.returncode == 0, r.stderr
    assert served(settings)[1] == n1 + 1


# ----------------------------------------------------------------------------- bad input files

def _not_extracts(tmp_path: Path) -> dict[str, tuple[Path, str, int]]:
    d = tmp_path / "bad"
    d.mkdir()
    notes = d / "notes.txt"
    notes.write_text("OBJECTID;Typ\n1;x\n", encoding="utf-8")
    png = d / "kmzb_20240601.csv"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    nul = d / "kmzb_20240606.csv"
    nul.write_bytes(bytes(range(32)) * 64)
    empty = d / "kmzb_20240602.csv"
    empty.write_bytes(b"")
    header_only_wrong = d / "kmzb_20240603.csv"
    header_only_wrong.write_text("id,name,value\n1,a,2\n", encoding="utf-8")
    gz = d / "kmzb_20240604.csv.gz"
    gz.write_bytes(b"\x1f\x8b\x08\x00 truncated gzip")
    nothing = tmp_path / "no_extracts"
    nothing.mkdir()
    (nothing / "README.txt").write_text("nothing here")
    (nothing / "kmzb_2024.csv").write_text("OBJECTID;Typ\n")  # a name that is not an extract's
    emptydir = tmp_path / "empty_dir"
    emptydir.mkdir()
    return {
        # what, (argument, words the message must hold, exit code)
        "not an extract name": (notes, "file name must be kmzb_YYYYMMDD.csv", 1),
        "binary file": (png, "neither valid UTF-8 nor Windows-1250", 1),
        "NUL bytes": (nul, "missing required column(s): OBJECTID", 1),
        "empty file": (empty, "empty file", 1),
        "another CSV": (header_only_wrong, "missing required column(s): OBJECTID", 1),
        "corrupt gzip": (gz, "gzip", 1),
        "directory without extracts": (nothing, "no extract files found", 2),
        "empty directory": (emptydir, "no extract files found", 2),
        "missing path": (tmp_path / "nope" / "kmzb_20240605.csv", "no such file or directory", 2),
    }


def check_bad_inputs(settings, tmp_path, *, arguments: bool = True) -> None:
    """The bad files in one run; with `arguments`, the bad arguments (no file, a missing path) one by one."""
    cases = _not_extracts(tmp_path)
    files = {what: c for what, c in cases.items() if c[2] == 1}
    # the bad files in one run (each is reported on its own line; none loads anything) ...
    r = cli(settings, "ingest", *[arg for arg, _, _ in files.values()])
    assert r.returncode == 1, r.stderr
    no_traceback(r.stderr)
    assert "nothing published" in r.stderr
    failed = {line.split(":")[0].removeprefix("FAILED "): line for line in r.stderr.splitlines()
              if line.startswith("FAILED ")}
    for what, (arg, words, _) in files.items():
        assert arg.name in failed and words in failed[arg.name], (what, r.stderr)
    # ... and the bad arguments one by one
    for what, (arg, words, code) in cases.items() if arguments else ():
        if code != 1:
            r = cli(settings, "ingest", arg)
            assert r.returncode == code and words in r.stderr, (what, r.returncode, r.stderr)
            no_traceback(r.stderr)


def test_bad_inputs_give_a_clear_message_and_leave_data_untouched(settings, tmp_path):
    (v1, n1), = base_store(settings, tmp_path)
    names = [p.name for p in snapshots(settings)]
    check_bad_inputs(settings, tmp_path)
    assert served(settings) == (v1, n1)
    assert [p.name for p in snapshots(settings)] == names and temp_snapshots(settings) == []


def test_bad_inputs_on_an_empty_data_directory(settings, tmp_path):
    # the bad files on an empty store; the bad arguments (no extract to read at all) are the test above's:
    # a run without an extract file never starts a snapshot, whatever the store holds
    check_bad_inputs(settings, tmp_path, arguments=False)
    assert not (settings.store_dir / "CURRENT").exists()
    assert snapshots(settings) == [] and temp_snapshots(settings) == []
