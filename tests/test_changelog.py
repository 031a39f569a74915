"""Change-log extracts, tested from outside: a nightly delta holds one row per status change since
the previous extract, so one report can appear several times in one file (`Nowe` at 08:10,
`Niepotwierdzone` at 15:40). The contract (shared/spec/nightly-extract.md, "Several rows of one
report in one file"): rows of one OBJECTID with different Data_modyfikacji are its history, all
kept, the latest wins, exactly as if they had come in separate files. Only rows with the same
OBJECTID *and* the same Data_modyfikacji but different content are a conflict (both rejected).

The exporter below is written for this test only (not kmzb/demo.py): seeded random report
histories, one row per status change, rows of a night in random order, identical re-sent rows,
every file format the contract allows. The expected store is computed here from the simulated
histories, independently of kmzb: final state = the row with the latest Data_modyfikacji;
read_at / resolved_at = first time the status left `nowe` / pending; observed_new /
observed_pending = the first row seen was `nowe` / pending.
"""

from __future__ import annotations

import csv
import gzip
import io
import random
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest

from kmzb.config import PROJECT_ROOT, get_settings
from kmzb.ingest.run import run_ingest

from .conftest import GDANSK, HEADER, KRAKOW, WROCLAW, row, write_extract, xy

SPEC = PROJECT_ROOT / "kmzb" / "spec"
WARSAW = ZoneInfo("Europe/Warsaw")
LOG_START = datetime(2024, 5, 1)  # the first night the change log covers
LOG_DAYS = 21


def _spec(name: str) -> list[dict]:
    with open(SPEC / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


STATUSES = {s["code"]: s for s in _spec("statuses.csv")}
CATEGORIES = {c["code"]: c["label_pl"] for c in _spec("categories.csv")}
SOME_CATEGORIES = sorted(CATEGORIES)[:8]
PLACES = [KRAKOW, GDANSK, WROCLAW]
UNITS = ["KMP w Krakowie", "KPP w Płońsku", "KMP w Gdańsku", "KP Wrocław-Fabryczna"]
OPIS = ["", "", "Auta parkują na chodniku, trudno przejść z wózkiem.",
        'Kierowcy "ścigają się" wieczorami; bardzo głośno.\nDruga linia opisu.',
        "Młodzież pije piwo przy placu zabaw, zostawia szkło."]


@dataclass(frozen=True)
class Change:
    """One row of the change log: the whole report as it was right after one status change."""
    oid: int
    status: str  # code
    modified: datetime  # Europe/Warsaw local, naive
    created: datetime
    category: str  # code
    place: tuple
    unit: str
    opis: str
    source: str  # as written ('' = internet)


def simulate(seed: int, n_reports: int) -> list[Change]:
    """Random report histories; returns the rows a change log starting at LOG_START and running for
    LOG_DAYS nights exports (a report created before LOG_START shows only its later changes)."""
    rng = random.Random(seed)
    rows: list[Change] = []
    end = LOG_START + timedelta(days=LOG_DAYS)
    later_statuses = [s for s in STATUSES if s != "nowe"]
    for k in range(n_reports):
        oid = 700_000 + 5 * k + rng.randrange(5)
        first_day = -25 if rng.random() < 0.15 else 0  # some created before the log began
        day = LOG_START + timedelta(days=rng.randrange(first_day, LOG_DAYS))
        created = datetime.combine(day.date(), time(rng.randrange(6, 22), rng.randrange(60), rng.randrange(60)))
        c = Change(oid, "nowe", created, created, rng.choice(SOME_CATEGORIES), rng.choice(PLACES),
                   rng.choice(UNITS), rng.choice(OPIS), rng.choice(["", "", "internet", "debata", "kontakt"]))
        history = [c]
        for _ in range(rng.choice([0, 1, 1, 2, 2, 3, 4, 5])):
            gap = rng.choice([timedelta(minutes=rng.randrange(1, 240)), timedelta(hours=rng.randrange(1, 30)),
                              timedelta(days=rng.randrange(1, 8), seconds=rng.randrange(86400))])
            c = replace(c, status=rng.choice([s for s in later_statuses if s != c.status]), modified=c.modified + gap)
            if rng.random() < 0.25:
                c = replace(c, unit=rng.choice(UNITS))
            if rng.random() < 0.25:
                c = replace(c, opis=rng.choice(OPIS))
            if rng.random() < 0.1:
                c = replace(c, category=rng.choice(SOME_CATEGORIES))  # reclassified by the police
            if rng.random() < 0.1:
                c = replace(c, source=rng.choice(["", "debata", "kontakt"]))
            history.append(c)
        rows.extend(h for h in history if LOG_START <= h.modified < end)
    return rows


# ----------------------------------------------------------------------------- the exporter

def _fmt_dt(dt: datetime, style: str) -> str:
    if style == "local":
        return dt.strftime("%Y-%m-%d %H:%M:%S")
    aware = dt.replace(tzinfo=WARSAW)
    if style == "offset":
        return aware.isoformat()
    return aware.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_changelog_file(path: Path, rows: list[Change], rng: random.Random) -> Path:
    """One extract file holding `rows` (in the order given) in a format drawn at random."""
    delim = rng.choice([";", ";", ","])
    header = list(HEADER)
    if rng.random() < 0.5:
        rng.shuffle(header)
    encoding = rng.choice(["utf-8", "utf-8-sig", "cp1250"])
    dt_style = rng.choice(["local", "local", "offset", "utc"])
    if rng.random() < 0.2:
        path = path.with_name(path.name + ".gz")
    buf = io.StringIO(newline="")
    w = csv.writer(buf, delimiter=delim, lineterminator="\r\n",
                   quoting=rng.choice([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
    w.writerow(header)
    for r in rows:
        x, y = xy(r.place[0], r.place[1])
        xs, ys = f"{x:.2f}", f"{y:.2f}"
        if delim == ";":
            xs, ys = xs.replace(".", ","), ys.replace(".", ",")
        status = STATUSES[r.status]
        values = {
            "OBJECTID": str(r.oid), "Typ": CATEGORIES[r.category] if r.oid % 3 else r.category,
            "Status": status["label_pl"] if r.oid % 4 else status["label_pl"].upper(),
            "Data_utworzenia": _fmt_dt(r.created, dt_style), "Data_modyfikacji": _fmt_dt(r.modified, dt_style),
            "Data_zdarzenia": r.created.strftime("%Y-%m-%d"), "Dni_tygodnia": "pon,sob", "Pora_dnia": "wieczór",
            "X": xs, "Y": ys, "TERYT": r.place[2] if r.oid % 2 else "", "Jednostka": r.unit, "Zrodlo": r.source,
            "Opis": r.opis,
        }
        w.writerow([values[h] for h in header])
    data = buf.getvalue().encode(encoding)
    if path.name.endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def export_nightly(rows: list[Change], out: Path, seed: int) -> list[Path]:
    """One delta a night holding every change of the previous day, in random order, sometimes
    with a row sent twice; returns the files in date order."""
    rng = random.Random(seed)
    nights: dict[str, list[Change]] = {}
    for r in rows:
        nights.setdefault((r.modified + timedelta(days=1)).strftime("%Y%m%d"), []).append(r)
    paths = []
    for night in sorted(nights):
        part = list(nights[night])
        part += [r for r in part if rng.random() < 0.03]  # exporter retries: identical rows again
        rng.shuffle(part)
        paths.append(write_changelog_file(out / f"kmzb_{night}.csv", part, rng))
    return paths


def export_one_row_per_file(rows: list[Change], out: Path, seed: int) -> list[Path]:
    """Every row in its own file, in modification order (the reference the contract names)."""
    rng = random.Random(seed)
    paths = []
    for i, r in enumerate(sorted(rows, key=lambda r: (r.modified, r.oid))):
        night = (r.modified + timedelta(days=1)).strftime("%Y%m%d")
        paths.append(write_changelog_file(out / f"{i:05d}" / f"kmzb_{night}.csv", [r], rng))
    return paths


def export_full(rows: list[Change], out: Path, cut: datetime, seed: int) -> Path:
    """A full snapshot taken at `cut`: each report's latest row before it."""
    latest: dict[int, Change] = {}
    for r in sorted(rows, key=lambda r: r.modified):
        if r.modified < cut:
            latest[r.oid] = r
    part = list(latest.values())
    rng = random.Random(seed)
    rng.shuffle(part)
    return write_changelog_file(out / f"kmzb_full_{cut:%Y%m%d}.csv", part, rng)


# ----------------------------------------------------------------------------- ground truth

def expected(rows: list[Change]) -> tuple[dict, set, dict]:
    """(report fields by OBJECTID, status history, description by OBJECTID) from the rows ingested."""
    by_oid: dict[int, list[Change]] = {}
    for r in rows:
        by_oid.setdefault(r.oid, []).append(r)
    reports, history, descriptions = {}, set(), {}
    for oid, rs in by_oid.items():
        rs = sorted(set(rs), key=lambda r: r.modified)
        first, last = rs[0], rs[-1]
        outcome = {r.modified: STATUSES[r.status]["outcome"] for r in rs}
        read = [r.modified for r in rs if r.status != "nowe"]
        resolved = [r.modified for r in rs if outcome[r.modified] != "pending"]
        reports[oid] = (
            oid, last.category, last.status, STATUSES[last.status]["outcome"], last.created, last.modified,
            last.place[2], last.unit, last.source or "internet",
            read[0] if read else None, resolved[0] if resolved else None,
            first.status == "nowe", STATUSES[first.status]["outcome"] == "pending",
        )
        history |= {(oid, r.status, r.modified) for r in rs}
        if last.opis:
            descriptions[oid] = last.opis
    return reports, history, descriptions


# ----------------------------------------------------------------------------- the store, read directly

def read_store(settings) -> dict:
    name = (settings.store_dir / "CURRENT").read_text().strip()
    with duckdb.connect(str(settings.store_dir / name), read_only=True) as con:
        def rows(sql):
            return con.execute(sql).fetchall()
        return {
            "reports": {r[0]: r for r in rows(
                "SELECT objectid, category::VARCHAR, status::VARCHAR, outcome::VARCHAR, created_at, modified_at, "
                "gmina, unit, source::VARCHAR, read_at, resolved_at, observed_new, observed_pending FROM reports")},
            "history": set(rows("SELECT objectid, status::VARCHAR, modified_at FROM status_history")),
            "history_rows": rows("SELECT count(*) FROM status_history")[0][0],
            "descriptions": dict(rows("SELECT objectid, opis FROM descriptions")),
            "all_reports": rows("SELECT * FROM reports ORDER BY objectid"),
            "all_history": rows("SELECT * FROM status_history ORDER BY ALL"),
            "all_descriptions": rows("SELECT * FROM descriptions ORDER BY ALL"),
        }


def rejected_rows(res) -> int:
    return sum(f.rejected for f in res.files)


def assert_matches(store: dict, rows: list[Change], res) -> None:
    want_reports, want_history, want_desc = expected(rows)
    lost = sorted(set(want_reports) - set(store["reports"]))
    wrong = {oid: (store["reports"][oid], want) for oid, want in want_reports.items()
             if oid in store["reports"] and store["reports"][oid] != want}
    assert rejected_rows(res) == 0 and not lost and not wrong, (
        f"{rejected_rows(res)} of {len(rows)} rows rejected, {len(lost)} of {len(want_reports)} reports lost, "
        f"{len(wrong)} loaded reports differ from the truth "
        f"(reasons: {[f.reasons for f in res.files if f.reasons][:3]})")
    assert set(store["reports"]) == set(want_reports)
    assert store["history"] == want_history and store["history_rows"] == len(want_history)
    assert store["descriptions"] == want_desc


N_REPORTS = 300


@pytest.fixture(scope="module")
def changelog(tmp_path_factory):
    rows = simulate(seed=8, n_reports=N_REPORTS)
    out = tmp_path_factory.mktemp("changelog")
    return rows, export_nightly(rows, out / "nightly", seed=9)


def test_the_generated_change_log_really_has_several_rows_per_report_in_one_file(changelog):
    rows, paths = changelog
    per_file_and_oid: dict[tuple, int] = {}
    for r in rows:
        key = ((r.modified + timedelta(days=1)).date(), r.oid)
        per_file_and_oid[key] = per_file_and_oid.get(key, 0) + 1
    assert sum(1 for n in per_file_and_oid.values() if n > 1) >= 30
    assert len({r.oid for r in rows}) >= N_REPORTS * 0.9 and len(paths) >= LOG_DAYS - 1
    assert any(not p.read_bytes().startswith(b"\x1f\x8b") and b"\r\n" in p.read_bytes() for p in paths)


def test_change_log_in_date_order_matches_the_truth(changelog, settings):
    rows, paths = changelog
    res = run_ingest(settings, paths)
    assert res.ok and res.published
    assert_matches(read_store(settings), rows, res)
    assert res.rejects_path is None
    assert res.reports == len({r.oid for r in rows})


def same_tables(a: dict, b: dict) -> None:
    for table in ("all_reports", "all_history", "all_descriptions"):
        assert a[table] == b[table], table


def test_files_out_of_order_give_the_identical_store(changelog, tmp_path, settings):
    rows, paths = changelog
    run_ingest(settings, paths)
    shuffled = list(paths)
    random.Random(3).shuffle(shuffled)
    assert shuffled != paths
    other = get_settings(data_dir=tmp_path / "shuffled", geo_dir=settings.geo_dir)
    res = run_ingest(other, shuffled)
    assert_matches(read_store(other), rows, res)
    same_tables(read_store(other), read_store(settings))


def test_one_row_per_file_in_modification_order_gives_the_identical_store(tmp_path, settings):
    """The contract's reference: as if each row had come in its own file (fewer reports: a file
    costs ~0.1 s)."""
    rows = simulate(seed=21, n_reports=80)
    nightly = export_nightly(rows, tmp_path / "nightly", seed=22)
    res = run_ingest(settings, nightly)
    assert_matches(read_store(settings), rows, res)
    assert sum(f.superseded for f in res.files) >= 20  # several rows of one report in one file
    single = export_one_row_per_file(rows, tmp_path / "single", seed=23)
    other = get_settings(data_dir=tmp_path / "single-store", geo_dir=settings.geo_dir)
    res1 = run_ingest(other, single)
    assert len(res1.files) == len(rows) and not any(f.superseded for f in res1.files)
    assert_matches(read_store(other), rows, res1)
    same_tables(read_store(other), read_store(settings))


def test_full_snapshot_then_deltas_out_of_order(changelog, tmp_path, settings):
    rows, _ = changelog
    cut = LOG_START + timedelta(days=8)
    full = export_full(rows, tmp_path / "full", cut, seed=11)
    after = [r for r in rows if r.modified >= cut]
    deltas = export_nightly(after, tmp_path / "after", seed=12)
    random.Random(4).shuffle(deltas)
    res = run_ingest(settings, [full, *deltas])
    assert res.ok and res.files[0].kind == "full"
    ingested = [r for r in rows if r.modified >= cut] + [
        max((r for r in rows if r.oid == oid and r.modified < cut), key=lambda r: r.modified)
        for oid in {r.oid for r in rows if r.modified < cut}]
    assert_matches(read_store(settings), ingested, res)
    # some reports were first seen in the snapshot already read: their read_at is only an upper bound
    store = read_store(settings)
    assert any(not r[11] for r in store["reports"].values()) and any(r[11] for r in store["reports"].values())


# ----------------------------------------------------------------------------- true conflicts

def test_same_objectid_and_modification_with_different_content_is_a_conflict(settings, tmp_path):
    t1, t2 = "2024-05-01 08:10:00", "2024-05-01 15:40:00"
    p = write_extract(tmp_path / "kmzb_20240502.csv", [
        row(1, status="Nowe", created=t1),                                  # line 2: history, loads
        row(1, status="Weryfikacja", created=t1, modified=t2),              # 3: conflict with 4
        row(1, status="Niepotwierdzone", created=t1, modified=t2),          # 4
        row(2, status="Nowe", created=t1, opis="ten sam"),                  # 5: identical duplicates: one kept
        row(2, status="Nowe", created=t1, opis="ten sam"),                  # 6
        row(3, status="Nowe", created=t1, opis="pierwszy"),                 # 7: same time, other Opis: conflict
        row(3, status="Nowe", created=t1, opis="drugi"),                    # 8
        row(4, status="Nowe", created=t1, place=GDANSK),                    # 9: history
        row(4, status="Niepotwierdzone", created=t1, modified=t2, place=GDANSK),  # 10: latest wins
    ])
    res = run_ingest(settings, [p])
    assert res.ok and res.published
    f = res.files[0]
    assert (f.rows, f.rejected, f.duplicates) == (9, 4, 1)
    with open(res.rejects_path, encoding="utf-8", newline="") as fh:
        rejects = list(csv.DictReader(fh, delimiter=";"))
    conflict = "same OBJECTID and Data_modyfikacji with different content"
    assert [(r["line"], r["objectid"], r["reason"]) for r in rejects] == [
        ("3", "1", conflict), ("4", "1", conflict), ("7", "3", conflict), ("8", "3", conflict)]
    assert "lines 3, 4" in rejects[0]["detail"] and rejects[0]["Opis"] == ""
    assert rejects[3]["Opis"] == "drugi"  # the original fields are kept: nothing is lost
    store = read_store(settings)
    assert {oid: r[2] for oid, r in store["reports"].items()} == {1: "nowe", 2: "nowe", 4: "niepotwierdzone"}
    assert store["history"] == {
        (1, "nowe", datetime(2024, 5, 1, 8, 10)), (2, "nowe", datetime(2024, 5, 1, 8, 10)),
        (4, "nowe", datetime(2024, 5, 1, 8, 10)), (4, "niepotwierdzone", datetime(2024, 5, 1, 15, 40))}
    assert store["reports"][4][9:] == (datetime(2024, 5, 1, 15, 40), datetime(2024, 5, 1, 15, 40), True, True)
    assert store["descriptions"] == {2: "ten sam"}


def test_a_full_snapshot_holding_every_change_is_the_same_history(changelog, tmp_path, settings):
    """A full snapshot written by a change-log exporter: every row of every report in one file."""
    rows, _ = changelog
    part = list(rows)
    random.Random(13).shuffle(part)
    full = write_changelog_file(tmp_path / "kmzb_full_20240601.csv", part, random.Random(14))
    res = run_ingest(settings, [full])
    assert res.files[0].superseded == len(rows) - len({r.oid for r in rows})
    assert_matches(read_store(settings), rows, res)
