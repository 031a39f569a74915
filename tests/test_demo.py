"""Demo extracts (kmzb.demo): formats, bad rows, geography, statistics, determinism.

The files are read back here the way the contract describes (gzip, UTF-8 with or without BOM,
else Windows-1250; `;` or `,` per header; decimal comma with `;`), independently of the ingest.
"""

from __future__ import annotations

import gzip
import io
import re
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from kmzb import demo, reference
from kmzb.__main__ import main as cli
from kmzb.config import get_settings
from kmzb.demo import calibration, geography, progress

GEO = get_settings().geo_dir
END = date(2026, 11, 24)
SMALL = dict(end=END, days=60, scale=0.05, deltas=5)

pytestmark = pytest.mark.skipif(not (GEO / "gminas.geojson").is_file(), reason=f"no geo data in {GEO}")


# ----------------------------------------------------------------------------- helpers


def read_text(path: Path) -> tuple[str, str]:
    """(text, encoding) of an extract, as the contract says to read it."""
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8"), "utf-8-sig"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("cp1250"), "cp1250"


def read_extract(path: Path) -> tuple[pd.DataFrame, str, str]:
    text, enc = read_text(path)
    header = text.split("\n", 1)[0]
    delim = ";" if ";" in header else ","
    df = pd.read_csv(io.StringIO(text), sep=delim, dtype=str, keep_default_na=False, quotechar='"',
                     doublequote=True)
    return df, enc, delim


def parse_dt(s: pd.Series) -> pd.Series:
    s = s.str.strip()
    out = pd.to_datetime(s, format="%Y-%m-%d %H:%M:%S", errors="coerce")
    iso = out.isna() & s.str.contains(r"T.*[+-]\d\d:\d\d$", regex=True)
    if iso.any():
        aware = pd.to_datetime(s[iso], format="ISO8601", utc=True, errors="coerce")
        out.loc[iso] = aware.dt.tz_convert("Europe/Warsaw").dt.tz_localize(None)
    return out


def number(s: pd.Series, delim: str) -> pd.Series:
    s = s.str.strip()
    if delim == ";":
        s = s.str.replace(",", ".", regex=False)
    return pd.to_numeric(s.where(s.str.fullmatch(r"-?\d+(\.\d+)?"), None), errors="coerce")


def bad_mask(df: pd.DataFrame, delim: str, lookup) -> np.ndarray:
    """Rows that break the contract's row rules."""
    oid = df["OBJECTID"].str.strip()
    bad = ~oid.str.fullmatch(r"[1-9]\d*")
    bad |= df["Typ"].str.strip().str.casefold().map(reference.category_lookup()).isna()
    bad |= df["Status"].str.strip().str.casefold().map(reference.status_lookup()).isna()
    created, modified = parse_dt(df["Data_utworzenia"]), parse_dt(df["Data_modyfikacji"])
    bad |= created.isna() | modified.isna() | (modified < created)
    x, y = number(df["X"], delim), number(df["Y"], delim)
    bad |= x.isna() | y.isna()
    ok = ~bad.to_numpy()
    gm = np.full(len(df), None, dtype=object)
    gm[ok] = lookup(x.to_numpy()[ok], y.to_numpy()[ok])
    bad |= pd.isna(gm)
    content = df.drop_duplicates()
    dup_ids = content["OBJECTID"][content["OBJECTID"].duplicated()]
    bad |= df["OBJECTID"].isin(dup_ids) & (df["OBJECTID"].str.strip() != "")
    return bad.to_numpy()


@pytest.fixture(scope="module")
def lookup():
    """EPSG:2180 point -> gmina TERYT (None outside): kmzb.geo if present, else plain shapely."""
    try:
        from kmzb.geo.lookup import geo_index

        return geo_index(GEO).lookup
    except ImportError:
        pass
    import geopandas as gpd

    gdf = gpd.read_file(GEO / "gminas.geojson").to_crs(2180)
    tree = shapely.STRtree(gdf.geometry.values)
    codes = gdf["teryt"].astype(str).to_numpy(dtype=object)

    def _lookup(x, y):
        pi, gi = tree.query(shapely.points(np.asarray(x, float), np.asarray(y, float)), predicate="within")
        out = np.full(len(x), None, dtype=object)
        out[pi] = codes[gi]
        return out

    return _lookup


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo_small")
    return demo.generate_details(out, geo_dir=GEO, with_state=True, **SMALL)


@pytest.fixture(scope="module")
def year(tmp_path_factory):
    """A year of data at 15 % volume (~66,000 reports), replayed from its files."""
    out = tmp_path_factory.mktemp("demo_year")
    ds = demo.generate_details(out, geo_dir=GEO, end=END, days=365, scale=0.15, deltas=3, with_state=True)
    return ds, replay(ds.paths)


def replay(paths: list[Path]) -> pd.DataFrame:
    """Current state from full + deltas: upsert by OBJECTID, latest Data_modyfikacji wins."""
    frames = []
    for p in paths:
        df, _, delim = read_extract(p)
        df = df[df["OBJECTID"].str.fullmatch(r"[1-9]\d*")].copy()
        df["category"] = df["Typ"].str.strip().str.casefold().map(reference.category_lookup())
        df["status"] = df["Status"].str.strip().str.casefold().map(reference.status_lookup())
        df["created"] = parse_dt(df["Data_utworzenia"])
        df["modified"] = parse_dt(df["Data_modyfikacji"])
        df["x"], df["y"] = number(df["X"], delim), number(df["Y"], delim)
        df = df.dropna(subset=["category", "status", "created", "modified", "x", "y"])
        df = df[df["modified"] >= df["created"]]
        df["objectid"] = df["OBJECTID"].astype(np.int64)
        frames.append(df[["objectid", "category", "status", "created", "modified", "x", "y", "TERYT", "Jednostka"]])
    all_ = pd.concat(frames, ignore_index=True)
    all_ = all_[all_["objectid"] < demo.GHOST_OBJECTID]
    return all_.sort_values(["objectid", "modified"], kind="stable").groupby("objectid").tail(1).reset_index(drop=True)


# ----------------------------------------------------------------------------- determinism


def test_same_arguments_give_byte_identical_files(tmp_path, small):
    again = demo.generate(tmp_path / "again", geo_dir=GEO, **SMALL)
    assert [p.name for p in again] == [p.name for p in small.paths]
    for a, b in zip(again, small.paths):
        assert a.read_bytes() == b.read_bytes(), a.name
    other = demo.generate(tmp_path / "other", geo_dir=GEO, seed=7, **SMALL)
    assert other[0].read_bytes() != small.paths[0].read_bytes()


# ----------------------------------------------------------------------------- files and formats


def test_file_names_dates_and_order(small):
    names = [p.name for p in small.paths]
    snap = END - timedelta(days=5)
    assert names[0] == f"kmzb_full_{snap:%Y%m%d}.csv.gz"
    days = [snap + timedelta(days=i) for i in range(1, 6)]
    assert [re.sub(r"\.csv(\.gz)?$", "", n) for n in names[1:]] == [f"kmzb_{d:%Y%m%d}" for d in days]
    assert all(p.parent.is_dir() and p.exists() for p in small.paths)
    assert small.files[0].kind == "full" and all(f.kind == "delta" for f in small.files[1:])
    # gzip headers carry no timestamp (determinism)
    for p in small.paths:
        raw = p.read_bytes()
        if p.name.endswith(".gz"):
            assert raw[:2] == b"\x1f\x8b" and raw[4:8] == b"\0\0\0\0"


def test_format_variants(small):
    deltas = small.paths[1:]
    raws = {p.name: (gzip.decompress(p.read_bytes()) if p.name.endswith(".gz") else p.read_bytes()) for p in deltas}
    bom = [n for n, r in raws.items() if r.startswith(b"\xef\xbb\xbf")]
    assert len(bom) == 1
    cp = []
    for n, r in raws.items():
        try:
            r.decode("utf-8")
        except UnicodeDecodeError:
            cp.append(n)
    assert len(cp) == 1, "exactly one Windows-1250 file"
    text = raws[cp[0]].decode("cp1250")
    assert "prędkości" in text or "Nieprawidłowe" in text
    assert "\r\n" in text
    assert sum(p.name.endswith(".gz") for p in deltas) == 1

    headers = {}
    for p in deltas:
        df, enc, delim = read_extract(p)
        headers[p.name] = (list(df.columns), delim, df)
    comma = [n for n, (_, d, _) in headers.items() if d == ","]
    assert len(comma) == 1
    cols, _, df = headers[comma[0]]
    good = df[df["X"].str.fullmatch(r"\d+\.\d\d")]
    assert len(good) > 0.9 * len(df)  # '.' decimals
    body = raws[comma[0]].decode("utf-8")
    assert body.count(',"') >= len(df) - 1  # Opis always quoted
    for n, (cols, d, df) in headers.items():
        if d == ";":
            assert df["X"].str.fullmatch(r"\d+,\d\d").mean() > 0.9, n  # decimal comma
        assert set(demo.COLUMNS) <= set(cols), n
    assert sum([c for c in cols if c != "Wersja"] != list(demo.COLUMNS) for cols, _, _ in headers.values()) == 1
    assert sum("Wersja" in cols for cols, _, _ in headers.values()) == 1
    iso = [n for n, (_, _, df) in headers.items() if df["Data_utworzenia"].str.contains("T").any()]
    assert len(iso) == 1
    d_iso = headers[iso[0]][2]
    good = d_iso[d_iso["OBJECTID"].str.fullmatch(r"\d+") & d_iso["Data_modyfikacji"].str.contains("T")]
    assert good["Data_modyfikacji"].str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+01:00").all()  # CET in November
    # the full snapshot: gzip, UTF-8, ';'
    df, enc, delim = read_extract(small.paths[0])
    assert enc == "utf-8" and delim == ";" and list(df.columns) == list(demo.COLUMNS)
    assert (df["Data_utworzenia"].str.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")).all()


def test_iso_offsets_follow_summer_time(tmp_path):
    ds = demo.generate_details(tmp_path, geo_dir=GEO, end=date(2026, 7, 10), days=30, scale=0.02, deltas=8)
    iso = [f for f in ds.files if f.iso_datetimes]
    assert len(iso) == 1
    df, _, _ = read_extract(iso[0].path)
    ok = df["Data_modyfikacji"].str.contains("T")
    assert ok.sum() > 10
    assert df.loc[ok, "Data_modyfikacji"].str.endswith("+02:00").all()
    # all seven format variants on their own delta when there are enough deltas
    assert len({(f.encoding, f.delimiter, f.gzip, f.iso_datetimes, f.columns) for f in ds.files[1:]}) == 8


# ----------------------------------------------------------------------------- rows


def test_bad_rows_are_exactly_the_announced_ones(small, lookup):
    seen = set()
    for f in small.files:
        df, _, delim = read_extract(f.path)
        assert len(df) == f.rows
        bad = bad_mask(df, delim, lookup)
        assert sorted(np.flatnonzero(bad).tolist()) == sorted(b.row for b in f.bad_rows), f.path.name
        kinds = {b.kind for b in f.bad_rows}
        if f.kind == "delta":
            assert 2 <= len(kinds) <= 6, f.path.name
        else:
            assert not kinds
        assert kinds <= set(demo.BAD_ROW_KINDS)
        seen |= kinds
        dup = [b for b in f.bad_rows if b.kind == "duplicate_objectid"]
        assert len(dup) in (0, 2) and len({b.objectid for b in dup}) <= 1
    assert seen == set(demo.BAD_ROW_KINDS)


def test_bad_row_line_numbers(small):
    for f in small.files[1:]:
        text, _ = read_text(f.path)
        lines = text.replace("\r\n", "\n").split("\n")
        for b in f.bad_rows:
            if b.objectid:
                assert b.objectid in lines[b.line - 1], (f.path.name, b)


def test_no_bad_rows_when_asked(tmp_path, lookup):
    paths = demo.generate(tmp_path, geo_dir=GEO, end=END, days=20, scale=0.02, deltas=3, bad_rows=False)
    for p in paths:
        df, _, delim = read_extract(p)
        assert not bad_mask(df, delim, lookup).any()


def test_good_rows_follow_the_contract(small):
    for f in small.files:
        df, _, delim = read_extract(f.path)
        bad = {b.row for b in f.bad_rows}
        g = df.iloc[[i for i in range(len(df)) if i not in bad]]
        assert g["OBJECTID"].is_unique
        created, modified = parse_dt(g["Data_utworzenia"]), parse_dt(g["Data_modyfikacji"])
        day_end = pd.Timestamp(f.date) + pd.Timedelta(days=1)
        assert (modified < day_end).all() and (created <= modified).all()
        x, y = number(g["X"], delim), number(g["Y"], delim)
        assert x.between(140_000, 900_000).all() and y.between(100_000, 800_000).all()
        for col, vocab in (("Dni_tygodnia", reference.DAYS), ("Pora_dnia", reference.TIMES_OF_DAY)):
            toks = {t for v in g[col] if v for t in v.split(",")}
            assert toks <= set(vocab), col
        assert set(g["Zrodlo"]) <= set(reference.SOURCES) | {""}
        assert g["TERYT"].str.fullmatch(r"(\d{7})?").all()
        assert (g["Opis"].str.len() <= 500).all()
        ev = g["Data_zdarzenia"][g["Data_zdarzenia"] != ""]
        assert ev.str.match(r"\d{4}-\d\d-\d\d").all()
        if f.kind == "delta":
            # created that day, or its status changed that day
            start = pd.Timestamp(f.date)
            assert ((created >= start) | (modified >= start)).all()
        else:
            assert (created < day_end).all()
            assert (created >= pd.Timestamp(small.start)).all()
            oid = g["OBJECTID"].astype(np.int64)
            assert oid.is_monotonic_increasing and oid.iloc[0] >= demo.FIRST_OBJECTID
            assert created.is_monotonic_increasing  # ids follow creation time


def test_typ_variants_and_statuses(small):
    df, _, _ = read_extract(small.paths[0])
    labels = {c.label_pl for c in reference.categories()}
    codes = set(reference.category_codes())
    typ = df["Typ"]
    assert typ.isin(labels).mean() > 0.9
    assert typ.isin(codes).any()
    assert (typ != typ.str.strip()).any()
    assert typ[~typ.isin(labels | codes)].str.strip().str.casefold().map(reference.category_lookup()).notna().all()
    assert df["Status"].isin({s.label_pl for s in reference.statuses()}).all()
    # newest reports are still pending
    st = df["Status"].str.casefold().map(reference.status_lookup()).map(reference.status_outcome())
    assert (st.tail(30) == "pending").mean() > 0.5


def test_replay_gives_the_true_state(small):
    state = replay(small.paths)
    truth = small.state.set_index("objectid")
    assert len(state) == len(truth) == small.reports
    s = state.set_index("objectid")
    assert (s["status"] == truth["status"]).all()
    assert (s["modified"] == truth["modified_at"]).all()
    assert (s["category"] == truth["category"]).all()


# ----------------------------------------------------------------------------- geography


def test_points_lie_in_their_gmina(small, lookup):
    for f in small.files:
        df, _, delim = read_extract(f.path)
        bad = {b.row for b in f.bad_rows}
        g = df.iloc[[i for i in range(len(df)) if i not in bad]]
        gm = lookup(number(g["X"], delim).to_numpy(), number(g["Y"], delim).to_numpy())
        has = (g["TERYT"] != "").to_numpy()
        differs = has & (gm != g["TERYT"].to_numpy())
        mism = set(g["OBJECTID"][differs].astype(int))
        assert mism == set(f.teryt_mismatches), f.path.name
        assert len(f.teryt_mismatches) >= 1
        assert all(v is not None for v in gm)
        if f.kind == "full":
            assert 0.03 < (~has).mean() < 0.07  # ~5 % without TERYT
    truth = small.state
    assert (lookup(truth["x"].to_numpy(), truth["y"].to_numpy()) == truth["gmina"].to_numpy()).all()


def test_police_unit_per_powiat(year):
    ds, state = year
    wrong = {o for f in ds.files for o in f.teryt_mismatches}
    s = state[(state["TERYT"] != "") & ~state["objectid"].isin(wrong)]
    per = s.groupby(s["TERYT"].str[:4])["Jednostka"].nunique()
    # mismatching TERYT codes stay in the right powiat, so one unit per powiat
    assert (per == 1).all()
    assert s["Jednostka"].str.match(r"^(KPP|KMP|KSP) w ").all()
    assert s.loc[s["TERYT"].str.startswith("1261"), "Jednostka"].iloc[0] == "KMP w Krakowie"


def test_hot_spots(year):
    ds, _ = year
    st = ds.state
    assert 0.25 < st["hot_spot"].mean() < 0.35
    pl = geography.places(str(Path(GEO).resolve()), 2016)
    tree = shapely.STRtree(shapely.points(pl.hot_x, pl.hot_y))
    hot = st[st["hot_spot"]]
    pts = shapely.points(hot["x"].to_numpy(), hot["y"].to_numpy())
    near = np.zeros(len(hot), dtype=bool)
    near[tree.query(pts, predicate="dwithin", distance=calibration.HOT_SPOT_RADIUS)[0]] = True
    assert near.all()


# ----------------------------------------------------------------------------- statistics


def test_category_shares_and_confirmation_rates(year):
    _, state = year
    oc = state["status"].map(reference.status_outcome())
    share = state["category"].value_counts(normalize=True)
    resolved = state[oc != "pending"]
    conf = (resolved["status"].map(reference.status_outcome()) == "confirmed")
    rate = conf.groupby(resolved["category"]).mean()
    expect = {
        "przekraczanie-dozwolonej-predkosci": (0.297, 0.58),
        "nieprawidlowe-parkowanie": (0.235, 0.50),
        "niewlasciwa-infrastruktura-drogowa": (0.059, 0.55),
        "spozywanie-alkoholu-w-miejscach-niedozwolonych": (0.09, 0.38),
    }
    for code, (sh, r) in expect.items():
        assert abs(share[code] - sh) < 0.012, code
        assert abs(rate[code] - r) < 0.03, code
    road = {c.code for c in reference.categories() if c.group == "road-safety"}
    assert share[share.index.isin(road)].sum() > 0.60
    active = [c.code for c in reference.categories() if c.active_to is None]
    assert all(share.get(c, 0) >= 0.002 for c in active)
    assert rate.between(0.25, 0.68).all()
    assert 0.49 <= conf.mean() <= 0.53
    confirmed = state[oc == "confirmed"]["status"].value_counts(normalize=True)
    assert 0.76 < confirmed["potwierdzone-wyeliminowane"] < 0.84
    unconfirmed = state[oc == "unconfirmed"]["status"].value_counts(normalize=True)
    assert 0.07 < unconfirmed["zart-lub-pomylka"] < 0.13


def test_volumes_and_seasons(year):
    ds, state = year
    per_day = len(state) / 365 / 0.15
    assert 1100 < per_day < 1320  # about 1,200 a day: 0.40-0.46 million a year
    daily = state.groupby(state["created"].dt.date).size()
    daily.index = pd.to_datetime(daily.index)
    summer = daily[daily.index.month.isin([6, 7, 8])].mean() / daily.mean()
    winter = daily[daily.index.month.isin([12, 1, 2])].mean() / daily.mean()
    assert 1.08 < summer < 1.20 and winter < 0.95
    month = state["created"].dt.month
    by = pd.crosstab(state["category"], month)
    grass = by.loc["wypalanie-traw"]
    assert grass[[3, 4]].min() > 2 * grass.drop([3, 4]).max()
    homeless = by.loc["osoba-bezdomna-wymagajaca-pomocy"]
    assert homeless[[11, 12, 1, 2]].sum() > 2 * homeless[[5, 6, 7, 8]].sum()
    water = by.loc["miejsca-niebezpieczne-na-wodach"]
    assert water[[6, 7, 8]].sum() > 0.6 * water.sum()


def test_voivodeships_per_inhabitant(year):
    truth = year[0].state
    pop = pd.read_csv(GEO / "population_gminas.csv", dtype={"teryt": str})
    pv = pop.groupby(pop["teryt"].str[:2])["population"].sum()
    per10k = truth["gmina"].str[:2].value_counts() / pv * 10_000 / 0.15
    top = per10k.sort_values(ascending=False).index[:2]
    assert set(top) == {"12", "24"}
    national = len(truth) / pv.sum() * 10_000 / 0.15
    assert 105 < national < 130  # reports per 10k inhabitants a year


def test_verification_times(year):
    ds, _ = year
    st = ds.state
    old = st[st["created_at"] < pd.Timestamp(ds.end) - pd.Timedelta(days=60)]
    days = (old["resolved_at"] - old["created_at"]).dt.total_seconds() / 86400
    read = (old["read_at"] - old["created_at"]).dt.total_seconds() / 86400
    assert 2.0 < days.median() < 3.0
    assert 0.80 < (days <= 5).mean() < 0.90
    assert (read <= 2).mean() > 0.8
    assert days.quantile(0.99) > 10  # a long tail
    assert (old["read_at"] > old["created_at"]).all() and (old["resolved_at"] > old["read_at"]).all()
    # status changes in office hours, never in the DST gap
    assert st["resolved_at"].dt.hour.between(7, 22).all()
    pending = st[st["status"].isin(["nowe", "weryfikacja"])]
    assert len(pending) > 0 and pending["created_at"].min() > pd.Timestamp(ds.end) - pd.Timedelta(days=90)


def test_categories_respect_active_dates(tmp_path):
    ds = demo.generate_details(tmp_path, geo_dir=GEO, end=date(2022, 12, 31), days=240, scale=0.05, deltas=2,
                               with_state=True)
    st = ds.state
    ended = {c.code for c in reference.categories() if c.active_to}
    assert st["category"].isin(ended).any()
    assert not st.loc[st["created_at"] >= pd.Timestamp("2022-10-01"), "category"].isin(ended).any()
    late = st[st["created_at"] >= pd.Timestamp("2022-10-01")]
    assert (late["category"] == "miejsca-niebezpieczne-na-wodach").any()
    early = demo.generate_details(tmp_path / "early", geo_dir=GEO, end=date(2019, 1, 19), days=30, scale=0.2,
                                  deltas=1, with_state=True).state
    assert "miejsce-niebezpiecznej-dzialalnosci-rozrywkowej" not in set(early["category"])


def test_opis_texts(year):
    ds, _ = year
    df, _, _ = read_extract(ds.paths[0])
    opis = df["Opis"]
    assert 0.35 < (opis != "").mean() < 0.45
    assert opis.str.contains("\n").any() and opis.str.contains(";").any() and opis.str.contains('"').any()
    private = opis.str.contains(r"tel\.|telefon|@example\.com|pani |pana ", regex=True)
    assert 0 < private.mean() < 0.03
    assert not opis.str.contains(r"@(?!example\.com)", regex=True).any()
    # Dni_tygodnia / Pora_dnia: alcohol in the evening and at weekends, speeding by day
    alc = df["Typ"].str.strip().str.casefold().map(reference.category_lookup()) == \
        "spozywanie-alkoholu-w-miejscach-niedozwolonych"
    spd = df["Typ"].str.strip().str.casefold().map(reference.category_lookup()) == "przekraczanie-dozwolonej-predkosci"
    night = df["Pora_dnia"].str.contains("noc|wieczór", regex=True)
    assert night[alc].mean() > 2 * night[spd].mean()
    weekend = df["Dni_tygodnia"].str.contains("sob|nd", regex=True) & ~df["Dni_tygodnia"].str.contains("pon")
    assert weekend[alc].mean() > 2 * weekend[spd].mean()
    assert 0.2 < (df["Dni_tygodnia"] == "").mean() < 0.6
    assert (df["Zrodlo"] == "internet").mean() > 0.85 and (df["Zrodlo"] == "").mean() < 0.05


# ----------------------------------------------------------------------------- the ingest's reader


def test_extract_reader_agrees(small, lookup):
    extract = pytest.importorskip("kmzb.ingest.extract")
    for f in small.files:
        ex = extract.read_extract(f.path, lookup)
        assert ex.encoding == f.encoding
        assert ex.rows == f.rows
        assert sorted(ex.rejects["line"].tolist()) == sorted(b.line for b in f.bad_rows), f.path.name
        assert ex.mismatches == len(f.teryt_mismatches), f.path.name


# ----------------------------------------------------------------------------- benchmark files


def test_write_full_snapshot_and_delta(tmp_path, lookup):
    full = tmp_path / "kmzb_full_20261124.csv.gz"
    delta = tmp_path / "kmzb_20261125.csv"
    paths = demo.write_full_snapshot(full, geo_dir=GEO, n_reports=3000, end=END, seed=3, delta_path=delta,
                                     delta_rows=500)
    assert paths == [full, delta]
    df, _, delim = read_extract(full)
    assert len(df) == 3000 and df["OBJECTID"].is_unique
    created = parse_dt(df["Data_utworzenia"])
    assert created.max() < pd.Timestamp(END) + pd.Timedelta(days=1)
    assert created.min() < pd.Timestamp(END) - pd.Timedelta(days=6 * 365)  # ~6.8 years
    assert not bad_mask(df, delim, lookup).any()
    d, _, delim = read_extract(delta)
    assert len(d) == 500 and not bad_mask(d, delim, lookup).any()
    modified = parse_dt(d["Data_modyfikacji"])
    assert (modified > pd.Timestamp(END) + pd.Timedelta(days=1)).all()
    # the delta continues the snapshot: known ids change status, new ids follow on
    known = set(df["OBJECTID"])
    assert d["OBJECTID"].isin(known).any() and (~d["OBJECTID"].isin(known)).any()


# ----------------------------------------------------------------------------- progress


class _Stream(io.StringIO):
    def __init__(self, tty: bool):
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def test_progress_lines_when_not_a_terminal(tmp_path):
    out = _Stream(tty=False)
    ds = demo.generate_details(tmp_path, geo_dir=GEO, end=END, days=20, scale=0.02, deltas=3,
                               progress=progress.reporter(out))
    lines = out.getvalue().splitlines()
    total = sum(f.rows - len(f.bad_rows) for f in ds.files)  # good rows: each report once per file
    pct = [int(re.fullmatch(rf"demo extracts: (\d+)% \(([\d,]+) of {total:,} rows written\)", ln)[1])
           for ln in lines]
    assert pct[0] == 0 and pct[-1] == 100 and pct == sorted(set(pct))
    assert lines[-1].endswith(f"({total:,} of {total:,} rows written)")
    assert "\r" not in out.getvalue()  # no bar drawing in a log


def test_progress_bar_on_a_terminal():
    out = _Stream(tty=True)
    report = progress.reporter(out)
    for done in (0, 400, 1000):
        report(done, 1000)
    text = out.getvalue()
    assert "\x1b[" in text and "1000/1000" in text and "rows written" not in text


def test_demo_command_shows_progress_lines(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KMZB_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KMZB_GEO_DIR", str(GEO))
    assert cli(["demo", "--no-ingest", "--out", str(tmp_path / "out"), "--end", "2026-11-24", "--days", "10",
                "--scale", "0.01", "--deltas", "2"]) == 0
    err = capsys.readouterr().err.splitlines()
    steps = [ln for ln in err if ln.startswith("demo extracts: ")]
    assert steps[0].startswith("demo extracts: 0% ") and steps[-1].startswith("demo extracts: 100% ")
