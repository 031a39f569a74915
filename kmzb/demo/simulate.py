"""The simulated reports: when each is filed, where, in which category, how and when its status
changes, and the fields the extracts carry. Vectorised numpy, one seeded random stream per part."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
import shapely

from kmzb import reference
from kmzb.demo import calibration as cal
from kmzb.demo.geography import Geo, Places, load_geo, places, sample_in
from kmzb.demo.texts import OPIS_POOL

FIRST_OBJECTID = 100_001


@dataclass
class Sim:
    oid: np.ndarray  # int64
    t0: np.ndarray  # int64 seconds, naive local time (created)
    t1: np.ndarray  # read (-> weryfikacja)
    t2: np.ndarray  # resolved (-> final status)
    cat: np.ndarray  # int, index into reference.categories()
    final: np.ndarray  # int, index into reference.statuses()
    gmina: np.ndarray
    x: np.ndarray
    y: np.ndarray
    hot: np.ndarray  # bool
    teryt_empty: np.ndarray  # bool
    typ_var: np.ndarray  # int 0..4 (label, UPPER, spaced, lower, code)
    src: np.ndarray
    dni: np.ndarray
    pora: np.ndarray
    ev_kind: np.ndarray  # 0 none, 1 date, 2 datetime
    ev_t: np.ndarray  # int64 seconds
    opis: np.ndarray  # int, index into the opis pool (-1 none)


def day_seconds(d: date) -> int:
    """The first second of day d (naive local time)."""
    return int(np.datetime64(d, "s").astype(np.int64))


def day_end(d: date) -> int:
    """The last second of day d."""
    return day_seconds(d) + 86400 - 1


def day_rates(start: date, n_days: int) -> np.ndarray:
    """Expected national reports per day (scale 1)."""
    days = np.datetime64(start, "D") + np.arange(n_days)
    months = days.astype("datetime64[M]").astype(np.int64) % 12
    weekday = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
    ref_year = np.datetime64("2025-01-01", "D") + np.arange(365)
    norm = cal.MONTH_VOLUME[ref_year.astype("datetime64[M]").astype(np.int64) % 12].mean()
    lam = cal.BASE_PER_DAY * cal.MONTH_VOLUME[months] / norm * cal.WEEKDAY_VOLUME[weekday]
    years = (days - np.datetime64(cal.GROWTH_REF, "D")).astype(np.int64) / 365.25
    lam = lam * (1.0 + cal.GROWTH_PER_YEAR) ** years
    mday = (days - days.astype("datetime64[M]")).astype(np.int64) + 1
    for (mo, dd), f in cal.HOLIDAYS.items():
        lam[(months == mo - 1) & (mday == dd)] *= f
    return lam


def simulate(geo_dir: str, seed: int, start: date, counts: np.ndarray) -> Sim:
    """counts[d] reports created on day start + d, with everything the extracts need."""
    geo = load_geo(geo_dir)
    pl = places(geo_dir, seed)
    n_days = len(counts)
    N = int(counts.sum())

    def stream(k: int):  # one random stream per part
        return np.random.default_rng([seed, k, N, n_days])

    day, t0 = _filing_times(stream(2), start, counts)
    gmina, cat = _places_and_categories(stream(3), geo, pl, start, n_days, day)
    rng = stream(4)
    final = _outcomes(rng, geo, pl, gmina, cat)
    t1, t2 = _verification_times(rng, t0)
    # order by creation, ids increasing with time (a few ids unused, as in real systems)
    order = np.argsort(t0, kind="stable")
    t0, t1, t2, cat, final, gmina = t0[order], t1[order], t2[order], cat[order], final[order], gmina[order]
    rng = stream(5)
    oid = FIRST_OBJECTID + np.cumsum(1 + (rng.random(N) < cal.OBJECTID_GAP)) - 1
    hot = rng.random(N) < pl.hot_share[gmina]
    x, y = _points(geo, pl, rng, gmina, hot)
    return Sim(oid=oid, t0=t0, t1=t1, t2=t2, cat=cat, final=final, gmina=gmina, x=x, y=y, hot=hot,
               **_other_fields(stream(6), cat, t0))


def _filing_times(rng, start: date, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(day index, creation second) of each report, in day order."""
    n_days, N = len(counts), int(counts.sum())
    day = np.repeat(np.arange(n_days, dtype=np.int64), counts)
    hour = rng.choice(24, N, p=cal.HOUR_W / cal.HOUR_W.sum())
    sod = hour * 3600 + rng.integers(0, 3600, N)
    gap = np.isin(day, _dst_gap_days(start, n_days)) & (sod >= 7200) & (sod < 10800)
    sod[gap] += 3600
    return day, day_seconds(start) + day * 86400 + sod


def _dst_gap_days(start: date, n_days: int) -> np.ndarray:
    """Day indexes of the spring-forward Sundays (02:00-03:00 does not exist in Warsaw)."""
    out = []
    for y in range(start.year, (start + timedelta(days=n_days)).year + 1):
        d = date(y, 3, 31)
        d -= timedelta(days=(d.weekday() - 6) % 7)
        k = (d - start).days
        if 0 <= k < n_days:
            out.append(k)
    return np.array(out, dtype=np.int64)


def _places_and_categories(rng, geo: Geo, pl: Places, start: date, n_days: int, day: np.ndarray):
    """(gmina index, category index) of each report."""
    N = len(day)
    gmina = rng.choice(len(geo.teryt), N, p=pl.weight)
    type_mix = np.bincount(geo.gtype, weights=pl.weight, minlength=3)
    cum = _category_tables(start, n_days, type_mix)
    key = day * 3 + geo.gtype[gmina]
    u = rng.random(N)
    cat = np.zeros(N, dtype=np.int64)
    for c in range(cum.shape[1] - 1):
        cat += u > cum[key, c]
    return gmina, cat


def _category_tables(start: date, n_days: int, type_mix: np.ndarray) -> np.ndarray:
    """Cumulative category probabilities, shape (n_days * 3, C): row = day * 3 + gmina type."""
    cats = reference.categories()
    C = len(cats)
    s, f = _base_weights(cats, type_mix)
    days = np.datetime64(start, "D") + np.arange(n_days)
    months = days.astype("datetime64[M]").astype(np.int64) % 12
    season = np.array([np.asarray(cal.SEASON[cal.CAT[c.code][3]], dtype=float) for c in cats])  # (C, 12)
    season /= season.mean(axis=1, keepdims=True)
    active = np.ones((n_days, C), dtype=bool)
    succ = next(j for j, c in enumerate(cats) if c.code == cal.WATER_SUCCESSOR)
    w = s[None, :] * season[:, months].T  # (n_days, C)
    for j, c in enumerate(cats):
        active[:, j] = days >= np.datetime64(c.active_from, "D")
        if c.active_to:
            ended = days > np.datetime64(c.active_to, "D")
            active[:, j] &= ~ended
            # the successor category takes over the reports of the ended ones
            w[ended, succ] += s[j] * season[succ, months[ended]]
    w = np.where(active, w, 0.0)
    tab = w[:, None, :] * f[None, :, :]  # (n_days, 3, C)
    tab /= tab.sum(axis=2, keepdims=True)
    cum = np.cumsum(tab, axis=2).reshape(n_days * 3, C)
    cum[:, -1] = 1.0
    return cum


def _base_weights(cats, type_mix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(base weight per category, factor per gmina type and category), the base weights calibrated
    so that the mix over gmina types gives the target shares."""
    target = np.array([cal.CAT[c.code][0] for c in cats], dtype=float)
    target /= target.sum()
    f = np.ones((3, len(cats)))
    for j, c in enumerate(cats):
        if c.code in cal.TYPE_MIX:
            f[:, j] = cal.TYPE_MIX[c.code]
    s = target.copy()
    for _ in range(50):
        p = s[None, :] * f
        p /= p.sum(axis=1, keepdims=True)
        marg = (type_mix[:, None] * p).sum(axis=0)
        s *= target / marg
    return s, f


def _outcomes(rng, geo: Geo, pl: Places, gmina: np.ndarray, cat: np.ndarray) -> np.ndarray:
    """Final status index: confirmed (eliminated / confirmed / handed over) or unconfirmed (not
    confirmed / joke or mistake), at the category's rate shifted by the powiat's offset."""
    cats = reference.categories()
    sts = [s.code for s in reference.statuses()]
    N = len(cat)
    rate = np.array([cal.CAT[c.code][1] for c in cats])
    handover = np.array([cal.CAT[c.code][4] for c in cats])
    p = np.clip(rate[cat] + pl.rate_offset[geo.powiat[gmina]], *cal.CONFIRM_RANGE)
    conf = rng.random(N) < p
    u2 = rng.random(N)
    ho = handover[cat]
    elim_p = np.where(ho, cal.ELIMINATED[True], cal.ELIMINATED[False])
    potw_p = np.where(ho, cal.STILL_CONFIRMED[True], cal.STILL_CONFIRMED[False])
    return np.where(
        conf,
        np.where(u2 < elim_p, sts.index("potwierdzone-wyeliminowane"),
                 np.where(u2 < elim_p + potw_p, sts.index("potwierdzone"), sts.index("potwierdzone-przekazane-poza-policje"))),
        np.where(u2 < cal.JOKE_SHARE, sts.index("zart-lub-pomylka"), sts.index("niepotwierdzone")),
    )


def _verification_times(rng, t0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(read, resolved) seconds: lognormal resolve times with a slow tail, read on the way."""
    N = len(t0)
    tail = rng.random(N) < cal.TAIL_SHARE
    d2 = np.where(tail, rng.lognormal(np.log(cal.TAIL_MEDIAN_D), cal.TAIL_SIGMA, N),
                  rng.lognormal(np.log(cal.RESOLVE_MEDIAN_D), cal.RESOLVE_SIGMA, N)) * 86400
    d1 = d2 * rng.beta(1.5, 4.0, N)
    d1 = np.maximum(d1, 600).astype(np.int64)
    d2 = np.maximum(d2.astype(np.int64), d1 + 600)
    t1 = _office_time(t0 + 600, t0 + d1, rng)
    return t1, _office_time(t1 + 600, t0 + d2, rng)


def _office_time(t_min: np.ndarray, t: np.ndarray, rng) -> np.ndarray:
    """Status changes happen 07:00-23:00: keep t's day, draw the time of day, stay after t_min."""
    t = np.maximum(t, t_min)
    day = t - t % 86400
    out = day + rng.choice(len(cal.CHANGE_HOUR_W), len(t), p=cal.CHANGE_HOUR_W / cal.CHANGE_HOUR_W.sum()) * 3600 \
        + rng.integers(0, 3600, len(t))
    return np.where(out < t_min, out + 86400, out)


def _points(geo: Geo, pl: Places, rng, gmina: np.ndarray, hot: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """EPSG:2180 points inside each report's gmina: uniform, or near one of its hot spots."""
    N = len(gmina)
    x = np.empty(N)
    y = np.empty(N)
    order = np.argsort(gmina, kind="stable")
    bounds = np.searchsorted(gmina[order], np.arange(len(geo.teryt) + 1))
    for g in range(len(geo.teryt)):
        idx = order[bounds[g]:bounds[g + 1]]
        if not len(idx):
            continue
        h = hot[idx]
        cold = idx[~h]
        if len(cold):
            x[cold], y[cold] = sample_in(rng, geo.polys[g], geo.bounds[g], geo.fill[g], len(cold))
        hi = idx[h]
        if len(hi):
            x[hi], y[hi] = _near_hot_spots(geo, pl, rng, g, len(hi))
    return x, y


def _near_hot_spots(geo: Geo, pl: Places, rng, g: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """n points within HOT_SPOT_RADIUS of gmina g's hot spots (the spot itself where that leaves g)."""
    s, e = pl.hot_start[g], pl.hot_start[g + 1]
    j = s + np.minimum(np.searchsorted(pl.hot_w[s:e], rng.random(n)), e - s - 1)
    r = cal.HOT_SPOT_RADIUS * 0.98 * np.sqrt(rng.random(n))
    a = rng.uniform(0, 2 * np.pi, n)
    hx = np.round(pl.hot_x[j] + r * np.cos(a), 2)
    hy = np.round(pl.hot_y[j] + r * np.sin(a), 2)
    ok = shapely.contains_xy(geo.polys[g], hx, hy)
    return np.where(ok, hx, pl.hot_x[j]), np.where(ok, hy, pl.hot_y[j])


def _other_fields(rng, cat: np.ndarray, t0: np.ndarray) -> dict[str, np.ndarray]:
    """TERYT left empty, Typ spelling, Zrodlo, Dni_tygodnia / Pora_dnia, Data_zdarzenia, Opis."""
    N = len(cat)
    cats = reference.categories()
    teryt_empty = rng.random(N) < cal.TERYT_EMPTY_SHARE
    typ_var = rng.choice(5, N, p=list(cal.TYP_VARIANTS_P))
    src = rng.choice(len(cal.SRC), N, p=cal.SRC_P)
    prof_names = list(cal.PROFILES)
    prof = np.array([prof_names.index(cal.CAT[c.code][2]) for c in cats])[cat]
    dni = np.zeros(N, dtype=np.int64)
    pora = np.zeros(N, dtype=np.int64)
    for k, name in enumerate(prof_names):
        m = prof == k
        n = int(m.sum())
        wd, wp = (np.asarray(v, dtype=float) for v in cal.PROFILES[name])
        dni[m] = rng.choice(len(cal.DNI), n, p=wd / wd.sum())
        pora[m] = rng.choice(len(cal.PORA), n, p=wp / wp.sum())
    ev_kind = rng.choice(3, N, p=list(cal.EVENT_KIND_P))
    lag = np.minimum(rng.geometric(cal.EVENT_LAG_P, N) - 1, cal.EVENT_LAG_MAX)
    ev_t = t0 - t0 % 86400 - lag * 86400 + np.where(ev_kind == 2, rng.integers(*cal.EVENT_HOURS, N) * 3600, 0)
    opis = np.where(rng.random(N) < cal.OPIS_SHARE, cat * OPIS_POOL + rng.integers(0, OPIS_POOL, N), -1)
    return dict(teryt_empty=teryt_empty, typ_var=typ_var, src=src, dni=dni, pora=pora, ev_kind=ev_kind,
                ev_t=ev_t, opis=opis)


def state(sim: Sim, idx: np.ndarray, as_of: int) -> tuple[np.ndarray, np.ndarray]:
    """(status index, Data_modyfikacji) of reports idx as of as_of (inclusive)."""
    sts = [s.code for s in reference.statuses()]
    t1, t2 = sim.t1[idx], sim.t2[idx]
    done = t2 <= as_of
    read = t1 <= as_of
    st = np.where(done, sim.final[idx], np.where(read, sts.index("weryfikacja"), sts.index("nowe")))
    mod = np.where(done, t2, np.where(read, t1, sim.t0[idx]))
    return st, mod


def truth(sim: Sim, geo: Geo, as_of: int) -> pd.DataFrame:
    """Every report's state as of `as_of`, with its true gmina, point and history."""
    st, mod = state(sim, np.arange(len(sim.oid)), as_of)
    codes = np.array(reference.status_codes(), dtype=object)
    cats = np.array(reference.category_codes(), dtype=object)
    return pd.DataFrame({
        "objectid": sim.oid,
        "category": cats[sim.cat],
        "status": codes[st],
        "created_at": sim.t0.astype("datetime64[s]"),
        "modified_at": mod.astype("datetime64[s]"),
        "read_at": sim.t1.astype("datetime64[s]"),
        "resolved_at": sim.t2.astype("datetime64[s]"),
        "gmina": geo.teryt[sim.gmina],
        "x": sim.x,
        "y": sim.y,
        "hot_spot": sim.hot,
    })
