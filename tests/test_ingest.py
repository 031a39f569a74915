"""Ingest runs against a real store in tmp_path: upserts, history, snapshots, atomicity, CLI."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

from kmzb.config import PROJECT_ROOT
from kmzb.ingest.run import run_ingest
from kmzb.store import Store

from .conftest import GDANSK, KRAKOW, WROCLAW, row, write_extract
from .helpers import run_python, start_python


def q(settings, sql):
    cur, _ = Store(settings.store_dir).cursor()
    return cur.execute(sql).fetchall()


def cli(*args, env=None, check=False):
    """`python -m kmzb ARGS` (tests.helpers.run_python)."""
    return run_python(["-m", "kmzb", *args], {**os.environ, **(env or {})}, PROJECT_ROOT, check=check, timeout=300)


def test_upsert_latest_modification_wins_and_history_is_kept(settings, tmp_path):
    d1 = write_extract(tmp_path / "kmzb_20240501.csv", [
        row(1, status="Nowe", created="2024-05-01 10:00:00"),
        row(2, status="Nowe", created="2024-05-01 11:00:00", place=GDANSK)])
    d2 = write_extract(tmp_path / "kmzb_20240502.csv", [
        row(1, status="Weryfikacja", created="2024-05-01 10:00:00", modified="2024-05-02 09:00:00")])
    d3 = write_extract(tmp_path / "kmzb_20240504.csv", [
        row(1, status="Potwierdzone (wyeliminowane)", created="2024-05-01 10:00:00", modified="2024-05-04 10:00:00"),
        row(3, status="Nowe", created="2024-05-04 08:00:00", place=WROCLAW)])
    res = run_ingest(settings, [d1, d2, d3])
    assert res.ok and res.published and res.reports == 3
    assert [(f.inserted, f.updated) for f in res.files] == [(2, 0), (0, 1), (1, 1)]
    assert q(settings, "SELECT objectid, status::VARCHAR, outcome::VARCHAR FROM reports ORDER BY 1") == [
        (1, "potwierdzone-wyeliminowane", "confirmed"), (2, "nowe", "pending"), (3, "nowe", "pending")]
    hist = q(settings, "SELECT status::VARCHAR, modified_at::VARCHAR FROM status_history WHERE objectid = 1 ORDER BY 2")
    assert hist == [("nowe", "2024-05-01 10:00:00"), ("weryfikacja", "2024-05-02 09:00:00"),
                    ("potwierdzone-wyeliminowane", "2024-05-04 10:00:00")]
    # read (left 'nowe') after 23 h, verified (left pending) after 3 days
    assert q(settings, "SELECT read_at::VARCHAR, resolved_at::VARCHAR FROM reports WHERE objectid = 1") == [
        ("2024-05-02 09:00:00", "2024-05-04 10:00:00")]


def test_same_file_twice_and_older_file_after_newer_change_nothing(settings, tmp_path):
    old = write_extract(tmp_path / "kmzb_20240501.csv", [row(1, status="Nowe"), row(2, status="Nowe")])
    new = write_extract(tmp_path / "kmzb_20240503.csv", [
        row(1, status="Niepotwierdzone", modified="2024-05-03 10:00:00", opis="nowy opis")])
    run_ingest(settings, [old, new])
    state = q(settings, "SELECT * FROM reports ORDER BY objectid")
    desc = q(settings, "SELECT * FROM descriptions ORDER BY objectid")
    again = run_ingest(settings, [new])
    assert (again.files[0].inserted, again.files[0].updated) == (0, 0)
    replay = run_ingest(settings, [old])
    assert replay.ok and (replay.files[0].inserted, replay.files[0].updated) == (0, 0)
    assert q(settings, "SELECT * FROM reports ORDER BY objectid") == state
    assert q(settings, "SELECT * FROM descriptions ORDER BY objectid") == desc
    assert q(settings, "SELECT status::VARCHAR FROM reports WHERE objectid = 1") == [("niepotwierdzone",)]
    assert q(settings, "SELECT count(*) FROM status_history") == [(3,)]


def test_bad_file_leaves_data_untouched_and_good_files_still_load(settings, tmp_path):
    good = write_extract(tmp_path / "kmzb_20240501.csv", [row(1), row(2)])
    run_ingest(settings, [good])
    store = Store(settings.store_dir)
    v1 = store.version()
    bad = tmp_path / "kmzb_20240502.csv"
    bad.write_text("OBJECTID;Typ;Status\n3;Wypalanie traw;Nowe\n", encoding="utf-8")
    res = run_ingest(settings, [bad])
    assert not res.ok and not res.published
    assert "missing required column(s)" in res.files[0].error
    assert store.version() == v1
    assert q(settings, "SELECT count(*) FROM reports") == [(2,)]
    # a bad file among good ones: the good ones load, the bad one changes nothing
    later = write_extract(tmp_path / "kmzb_20240503.csv", [row(4, created="2024-05-03 10:00:00")])
    res = run_ingest(settings, [bad, later])
    assert res.published and [f.error is None for f in res.files] == [False, True]
    assert q(settings, "SELECT list(objectid ORDER BY objectid) FROM reports") == [([1, 2, 4],)]


def test_full_snapshot_replaces_state_with_5_percent_guard(settings, tmp_path):
    rows = [row(i, created=f"2024-05-01 10:{i % 60:02d}:00") for i in range(1, 101)]
    run_ingest(settings, [write_extract(tmp_path / "kmzb_full_20240501.csv", rows)])
    # removing 5 of 100 (5%) is fine
    ok = run_ingest(settings, [write_extract(tmp_path / "kmzb_full_20240502.csv", rows[:95])])
    assert ok.ok and ok.files[0].removed == 5 and ok.reports == 95
    # removing 6 of 95 (6.3%) is refused and changes nothing
    refused = run_ingest(settings, [write_extract(tmp_path / "kmzb_full_20240503.csv", rows[:89])])
    assert not refused.ok and "refused" in refused.files[0].error and "--force" in refused.files[0].error
    assert q(settings, "SELECT count(*) FROM reports") == [(95,)]
    forced = run_ingest(settings, [tmp_path / "kmzb_full_20240503.csv"], force=True)
    assert forced.ok and forced.reports == 89
    assert q(settings, "SELECT count(*) FROM status_history WHERE objectid > 89") == [(0,)]


def test_rejects_file_and_report_beside_each_other(settings, tmp_path):
    p = write_extract(tmp_path / "kmzb_20240501.csv", [row(1), row(2, typ="???"), row(3, status="")])
    res = run_ingest(settings, [p])
    assert res.report_path.parent == res.rejects_path.parent
    assert res.report_path.parent.parent == settings.runs_dir
    text = res.rejects_path.read_text(encoding="utf-8").splitlines()
    assert text[0].startswith("file;line;objectid;reason;detail")
    assert len(text) == 3 and "kmzb_20240501.csv;3;2;unknown category" in text[1]
    report = json.loads(res.report_path.read_text())
    assert report["files"][0]["reasons"] == {"missing Status": 1, "unknown category": 1}


def test_teryt_mismatches_counted_in_store(settings, tmp_path):
    p = write_extract(tmp_path / "kmzb_20240501.csv", [row(1, teryt="0201011"), row(2), row(3, place=GDANSK, teryt="2261011")])
    res = run_ingest(settings, [p])
    assert res.files[0].mismatches == 1
    assert q(settings, "SELECT objectid, gmina, powiat, voivodeship, teryt_reported FROM reports WHERE teryt_mismatch") == [
        (1, "1261011", "1261", "12", "0201011")]


def test_cli_ingest_json_and_exit_codes(settings, tmp_path):
    good = write_extract(tmp_path / "in" / "kmzb_20240501.csv", [row(1), row(2, typ="x")])
    write_extract(tmp_path / "in" / "kmzb_20240502.csv.gz", [row(3, created="2024-05-02 10:00:00")])
    r = cli("ingest", "--json", str(tmp_path / "in"))
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert [f["file"].rsplit("/", 1)[1] for f in out["files"]] == ["kmzb_20240501.csv", "kmzb_20240502.csv.gz"]
    assert out["files"][0] | {} and {k: out["files"][0][k] for k in ("rows", "loaded", "rejected", "reasons")} == {
        "rows": 2, "loaded": 1, "rejected": 1, "reasons": {"unknown category": 1}}
    assert out["reports"] == 2
    assert "kmzb_20240501.csv" in r.stderr and "1 rejected" in r.stderr
    bad = tmp_path / "kmzb_20240503.csv"
    bad.write_bytes(b"\x1f\x8b broken")
    r = cli("ingest", str(bad))
    assert r.returncode == 1 and "kmzb_20240503.csv" in r.stderr and "FAILED" in r.stderr
    r = cli("ingest", str(tmp_path / "nope.csv"))
    assert r.returncode == 2 and "no such file" in r.stderr
    info = cli("info", "--json")
    assert info.returncode == 0
    meta = json.loads(info.stdout)
    assert meta["reports"] == 2 and meta["recent_runs"][0]["files"][0]["error"]
    del good


def test_second_concurrent_ingest_refuses(settings, tmp_path):
    store = Store(settings.store_dir)
    p = write_extract(tmp_path / "kmzb_20240501.csv", [row(1)])
    with store.writer_lock():
        r = cli("ingest", str(p))
    assert r.returncode == 3 and "another ingest is running" in r.stderr
    assert not store.has_data()


def test_readers_keep_serving_during_ingest_and_see_new_data_without_restart(settings, tmp_path):
    first = write_extract(tmp_path / "kmzb_full_20240501.csv",
                          [row(i, created="2024-05-01 10:00:00") for i in range(1, 2001)])
    run_ingest(settings, [first])
    store = Store(settings.store_dir)
    cur, v1 = store.cursor()
    assert cur.execute("SELECT count(*) FROM reports").fetchone()[0] == 2000
    big = write_extract(tmp_path / "kmzb_20240502.csv",
                        [row(i, created="2024-05-02 10:00:00", place=KRAKOW) for i in range(2001, 60001)])
    proc = start_python(["-m", "kmzb", "ingest", str(big)], os.environ.copy(), PROJECT_ROOT)
    seen = set()
    deadline = time.time() + 120
    while proc.poll() is None and time.time() < deadline:
        cur, v = store.cursor()
        n = cur.execute("SELECT count(*) FROM reports").fetchone()[0]
        seen.add((v, n))
        time.sleep(0.01)
    assert proc.wait(timeout=120) == 0, proc.stderr.read()
    cur, v2 = store.cursor()
    assert v2 != v1 and cur.execute("SELECT count(*) FROM reports").fetchone()[0] == 60000
    # every state seen while the ingest ran was a complete snapshot
    assert {n for _, n in seen} <= {2000, 60000} and (v1, 2000) in seen


def test_verification_statistics_count_only_reports_created_while_watched(settings, tmp_path):
    """A report created before the first extract and still new in it is certainly slow; one read
    quickly before it was already read. Counting the first but not the second biased the share
    read within 2 days towards 0 for the weeks before the history: only reports created from the
    first extract's date on are judged (and the median time to verification likewise)."""
    from datetime import date

    from kmzb.query import queries
    from kmzb.query.filters import Filters

    full = write_extract(tmp_path / "kmzb_full_20240510.csv", [
        row(1, status="Nowe", created="2024-05-01 09:00:00"),                                      # A: slow
        row(2, status="Weryfikacja", created="2024-05-01 09:00:00", modified="2024-05-01 12:00:00"),  # B: read
    ])
    d1 = write_extract(tmp_path / "kmzb_20240511.csv", [
        row(3, status="Nowe", created="2024-05-11 08:00:00"),                                      # C: new
    ])
    d2 = write_extract(tmp_path / "kmzb_20240512.csv", [
        row(3, status="Weryfikacja", created="2024-05-11 08:00:00", modified="2024-05-11 20:00:00"),  # C read
        row(1, status="Potwierdzone", created="2024-05-01 09:00:00", modified="2024-05-12 09:00:00"),  # A late
        row(4, status="Nowe", created="2024-05-20 09:00:00"),                                      # the edge
    ])
    res = run_ingest(settings, [full, d1, d2])
    assert res.published
    cur, _ = Store(settings.store_dir).cursor()
    assert queries.history_from(cur) == "2024-05-10 00:00:00"
    f = Filters(date_from=date(2024, 4, 29), date_to=date(2024, 5, 20))
    v = queries.verification_speed(cur, f, "month")
    assert int(v["eligible_read"].sum()) == 1 and int(v["read_2d"].sum()) == 1  # C only (A was 1 of 2 before)
    assert float(v.loc[v["eligible_read"] > 0, "read_2d_share"].iloc[0]) == 1.0
    assert list(v["period"]) == ["2024-04-01", "2024-05-01"]
    # the median time to verification: A (resolved 11 days after creation) is not judged either
    extra = queries.totals_extra(cur, f, "police")
    assert extra["median_days_to_verification"] is None  # C was read but is still pending


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_rejects_report_and_snapshots_are_private_whatever_the_umask(settings, tmp_path, monkeypatch):
    """rejects.csv holds Opis (personal data) and so do the snapshots: files 0600 in directories
    0700, under a permissive umask too, and already so when a file gets its visible name."""
    renamed: dict[str, int] = {}
    real_replace = os.replace

    def spy(src, dst, *args, **kwargs):
        renamed[Path(dst).name] = mode(src)
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", spy)
    first = write_extract(tmp_path / "kmzb_20240501.csv", [
        row(1, opis="Jan Kowalski, tel. 600 100 200"), row(2, typ="???", opis="mieszkam przy ul. Długiej 5")])
    second = write_extract(tmp_path / "kmzb_20240502.csv", [row(3, status="?", opis="sąsiad z parteru")])
    old = os.umask(0o022)
    try:
        new_store = run_ingest(settings, [first])
        copied = run_ingest(settings, [second])  # starts from a copy of the first snapshot
    finally:
        os.umask(old)
    for res in (new_store, copied):
        assert res.published and res.rejects_path is not None
        assert (mode(res.rejects_path), mode(res.report_path), mode(res.report_path.parent)) == (0o600, 0o600, 0o700)
    assert (mode(settings.runs_dir), mode(settings.store_dir)) == (0o700, 0o700)
    files = sorted(settings.store_dir.iterdir())
    assert {"CURRENT", "ingest.lock"} <= {p.name for p in files}
    assert len([p for p in files if p.name.startswith("snap-")]) == 2
    assert {p.name: mode(p) for p in files} == {p.name: 0o600 for p in files}
    assert {"CURRENT", "rejects.csv", "report.json"} <= set(renamed) and set(renamed.values()) == {0o600}, renamed


def test_a_running_ingest_shows_no_readable_file(settings, tmp_path):
    """Watched from outside while a real ingest (umask 022) runs: the temporary snapshot, DuckDB's
    WAL and everything else in the store are 0600 for as long as they exist."""
    run_ingest(settings, [write_extract(tmp_path / "kmzb_full_20240501.csv",
                                        [row(i, opis="Jan Kowalski") for i in range(1, 2001)])])
    big = write_extract(tmp_path / "kmzb_20240502.csv",
                        [row(i, created="2024-05-02 10:00:00", opis="ul. Długa 5") for i in range(2001, 60001)])
    proc = start_python(["-m", "kmzb", "ingest", str(big)], os.environ.copy(), PROJECT_ROOT, umask=0o022)
    seen: dict[str, set[int]] = {}
    deadline = time.time() + 120
    while proc.poll() is None and time.time() < deadline:
        for p in [settings.store_dir, settings.runs_dir, *settings.store_dir.iterdir(), *settings.runs_dir.rglob("*")]:
            try:
                m = mode(p)  # before the entry: a file gone between the listing and its stat is not seen
                seen.setdefault(p.name, set()).add(m)
            except FileNotFoundError:
                pass
        time.sleep(0.005)
    assert proc.wait(timeout=120) == 0, proc.stderr.read()
    assert any(name.endswith(".duckdb.tmp") for name in seen), sorted(seen)
    dirs = {settings.store_dir.name, settings.runs_dir.name} | {p.name for p in settings.runs_dir.iterdir()}
    wrong = {n: sorted(oct(m) for m in ms) for n, ms in seen.items() if ms != ({0o700} if n in dirs else {0o600})}
    assert not wrong, wrong


def test_cli_progress_plain_lines_in_logs_and_none_beside_json(settings, tmp_path):
    p = write_extract(tmp_path / "kmzb_20240501.csv", [row(1), row(2, typ="Latające talerze"), row(3)])
    proc = cli("ingest", str(p))
    assert proc.returncode == 0, proc.stderr
    assert "progress: kmzb_20240501.csv: 3 rows, 2 good, 1 bad, " in proc.stderr
    assert "\x1b[" not in proc.stderr  # no terminal codes in a log
    proc = cli("ingest", "--json", str(p))
    assert proc.returncode == 0 and json.loads(proc.stdout)["files"][0]["rows"] == 3
    assert "progress:" not in proc.stderr


def test_cli_progress_bar_on_a_terminal(settings, tmp_path):
    """On a terminal (a pty), the ingest draws a rich progress bar instead of the plain lines."""
    import pty

    p = write_extract(tmp_path / "kmzb_20240501.csv.gz", [row(i) for i in range(1, 40)])
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "kmzb", "ingest", str(p)], cwd=PROJECT_ROOT, stdin=follower,
                            stdout=subprocess.PIPE, stderr=follower, env={**os.environ, "COLUMNS": "120"})
    os.close(follower)
    out = b""
    while True:
        try:
            part = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not part:
            break
        out += part
    os.close(leader)
    assert proc.wait(timeout=300) == 0
    text = out.decode("utf-8", "replace")
    assert "━" in text and "kmzb_20240501.csv.gz: 39 good, 0 bad" in text and "39 rows" in text
    assert "progress:" not in text  # the bar, not the plain lines


def test_full_snapshot_out_of_order_stored_by_creation_a_slice_at_a_time(settings, tmp_path, monkeypatch):
    """A snapshot not in order of creation, read in several chunks and appended three reports per statement
    (the writer's slices, made small): stored in order of creation, each report with its own fields,
    first read/resolved times and description; then a change-log file over it (history, replaced, kept)."""
    from functools import partial

    import kmzb.ingest.load as load
    import kmzb.ingest.run as run
    from kmzb.ingest.extract import read_extract

    statuses = ["Nowe", "Weryfikacja", "Potwierdzone", "Niepotwierdzone"]
    rows = [row(oid, status=statuses[oid % 4], created=f"2024-05-{1 + (oid * 7) % 20:02d} {oid % 24:02d}:00:00",
                modified=f"2024-05-{1 + (oid * 7) % 20:02d} {oid % 24:02d}:30:00",
                place=(KRAKOW, GDANSK, WROCLAW)[oid % 3], opis=f"opis {oid}" if oid % 2 else "")
            for oid in range(1, 21)]
    full = write_extract(tmp_path / "kmzb_full_20240601.csv", rows)
    log = write_extract(tmp_path / "kmzb_20240602.csv", [
        row(4, status="Potwierdzone", created=rows[3]["Data_utworzenia"], modified="2024-06-02 08:00:00", opis="nowy"),
        row(4, status="Weryfikacja", created=rows[3]["Data_utworzenia"], modified="2024-06-01 08:00:00"),
        row(3, status="Nowe", created=rows[2]["Data_utworzenia"], modified="2024-05-02 03:10:00")])  # older: kept

    monkeypatch.setattr(load, "SLICE_ROWS", 3)
    monkeypatch.setattr(run, "read_extract", partial(read_extract, chunk_bytes=700))
    assert run_ingest(settings, [full]).ok
    stored = q(settings, "SELECT objectid, created_at, status::VARCHAR, gmina, read_at, resolved_at, observed_new, "
                         "observed_pending FROM reports ORDER BY rowid")
    assert [r[1] for r in stored] == sorted(r[1] for r in stored) and len(stored) == 20
    for oid, created, status, gmina, read_at, resolved_at, observed_new, observed_pending in stored:
        src = rows[oid - 1]
        assert str(created) == src["Data_utworzenia"] and gmina == (KRAKOW, GDANSK, WROCLAW)[oid % 3][2]
        modified = src["Data_modyfikacji"]
        assert (str(read_at) if read_at else None) == (None if status == "nowe" else modified)
        assert (str(resolved_at) if resolved_at else None) == (modified if status.endswith("potwierdzone") else None)
        assert (observed_new, observed_pending) == (status == "nowe", not status.endswith("potwierdzone"))
    assert q(settings, "SELECT objectid, opis FROM descriptions ORDER BY 1") == [
        (oid, f"opis {oid}") for oid in range(1, 21, 2)]

    res = run_ingest(settings, [log])
    assert (res.files[0].inserted, res.files[0].updated, res.files[0].superseded, res.files[0].rejected) == (0, 1, 1, 0)
    assert q(settings, "SELECT status::VARCHAR, read_at::VARCHAR, resolved_at::VARCHAR, observed_new "
                       "FROM reports WHERE objectid IN (3, 4) ORDER BY objectid") == [
        # an older row of 3 only adds to its history: first seen 'nowe' now, still read at its later change
        ("niepotwierdzone", rows[2]["Data_modyfikacji"], rows[2]["Data_modyfikacji"], True),
        ("potwierdzone", "2024-06-01 08:00:00", "2024-06-02 08:00:00", True)]
    assert q(settings, "SELECT objectid, opis FROM descriptions WHERE objectid IN (3, 4) ORDER BY 1") == [
        (3, "opis 3"), (4, "nowy")]
