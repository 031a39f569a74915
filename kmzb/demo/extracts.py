"""Which files a demo set holds: one full snapshot and a run of nightly deltas (or, for
benchmarks, one big snapshot and one delta), the reports in each, and the order of the seeded
random draws that makes the same arguments give byte-identical files."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from kmzb.demo.badrows import BAD_ROW_KINDS, GHOST_OBJECTID
from kmzb.demo.fields import Style
from kmzb.demo.geography import load_geo
from kmzb.demo.simulate import Sim, day_end, day_rates, day_seconds, simulate, truth
from kmzb.demo.texts import opis_pool
from kmzb.demo.write import ExtractInfo, delta_styles, write_extract

#: progress(done, total): rows written so far, of all the rows the set's files hold (bad rows aside)
Progress = Callable[[int, int], None]


@dataclass
class DemoSet:
    files: list[ExtractInfo]
    start: date  # first creation day
    end: date
    snapshot_date: date
    reports: int  # reports created start..end
    state: pd.DataFrame | None = None  # every report's state as of end (with_state=True)

    @property
    def paths(self) -> list[Path]:
        return [f.path for f in self.files]


def generate(out_dir, *, geo_dir, end, days: int = 1095, scale: float = 1.0, deltas: int = 14,
             seed: int = 2016, bad_rows: bool = True, progress: Progress | None = None) -> list[Path]:
    """Write a full snapshot and `deltas` nightly deltas into out_dir; return them in ingest order."""
    return generate_details(out_dir, geo_dir=geo_dir, end=end, days=days, scale=scale, deltas=deltas,
                            seed=seed, bad_rows=bad_rows, progress=progress).paths


def generate_details(out_dir, *, geo_dir, end, days: int = 1095, scale: float = 1.0, deltas: int = 14,
                     seed: int = 2016, bad_rows: bool = True, with_state: bool = False,
                     progress: Progress | None = None) -> DemoSet:
    """Like generate(), and say what each file holds (bad rows, TERYT mismatches)."""
    end = _as_date(end)
    if days < 1 or not 0 <= deltas < days:
        raise ValueError("need days >= 1 and 0 <= deltas < days")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    geo_key = str(Path(geo_dir).resolve())
    geo = load_geo(geo_key)
    pool = opis_pool(seed)
    start = end - timedelta(days=days - 1)
    counts = np.random.default_rng([seed, 0]).poisson(day_rates(start, days) * scale)
    sim = simulate(geo_key, seed, start, counts)
    snap = end - timedelta(days=deltas)
    s_end = day_end(snap)
    full = np.flatnonzero(sim.t0 <= s_end)
    days_after = [snap + timedelta(days=i + 1) for i in range(deltas)]
    delta_rows = [_created_or_changed(sim, d) for d in days_after]
    advance = _counter(progress, len(full) + sum(len(idx) for idx in delta_rows))
    rng = np.random.default_rng([seed, 8])
    files = [write_extract(out_dir / f"kmzb_full_{snap:%Y%m%d}.csv.gz", "full", snap, sim, geo, pool, full, s_end,
                           Style(gz=True), rng, n_mismatch=max(3, len(full) // 3000), bad=[], advance=advance)]
    files += _write_deltas(out_dir, sim, geo, pool, days_after, delta_rows, rng, bad_rows, advance)
    state = truth(sim, geo, day_end(end)) if with_state else None
    return DemoSet(files=files, start=start, end=end, snapshot_date=snap, reports=len(sim.oid), state=state)


def _write_deltas(out_dir: Path, sim: Sim, geo, pool, days: list[date], rows: list[np.ndarray], rng, bad_rows: bool,
                  advance) -> list[ExtractInfo]:
    """One delta per day, the format variants spread over them, 2-6 bad rows in each (with
    bad_rows), every kind of bad row in turn."""
    styles = delta_styles(len(days), rng)
    perm = rng.permutation(len(BAD_ROW_KINDS))
    k = 0
    files = []
    for i, (d, idx, st) in enumerate(zip(days, rows, styles)):
        kinds = []
        if bad_rows:
            n_bad = int(rng.integers(2, 7))
            kinds = [BAD_ROW_KINDS[perm[(k + j) % len(perm)]] for j in range(n_bad)]
            k += n_bad
        name = f"kmzb_{d:%Y%m%d}.csv" + (".gz" if st.gz else "")
        files.append(write_extract(out_dir / name, "delta", d, sim, geo, pool, idx, day_end(d), st, rng,
                                   n_mismatch=int(rng.integers(1, 4)), bad=kinds,
                                   ghost_base=GHOST_OBJECTID + 100 * i, advance=advance))
    return files


def _created_or_changed(sim: Sim, d: date) -> np.ndarray:
    """Reports created on day d, or created before and changing status that day."""
    ds, de = day_seconds(d), day_end(d)
    created = (sim.t0 >= ds) & (sim.t0 <= de)
    changed = (sim.t0 < ds) & (((sim.t1 >= ds) & (sim.t1 <= de)) | ((sim.t2 >= ds) & (sim.t2 <= de)))
    return np.flatnonzero(created | changed)


def _counter(progress: Progress | None, total: int) -> Callable[[int], None] | None:
    """advance(n) telling progress about n more rows written."""
    if progress is None:
        return None
    done = 0
    progress(done, total)

    def advance(n: int) -> None:
        nonlocal done
        done += n
        progress(done, total)

    return advance


def _as_date(d) -> date:
    if isinstance(d, str):
        return date.fromisoformat(d)
    if hasattr(d, "date") and callable(d.date):
        return d.date()
    return d


# ============================================================================= benchmarks


def write_full_snapshot(path, *, geo_dir, n_reports: int, end, seed: int = 2016, years: float = 6.8,
                        delta_path=None, delta_rows: int = 5000) -> list[Path]:
    """One full snapshot of exactly n_reports reports created over `years` up to `end`.

    With delta_path, also a delta holding the next delta_rows reports created or changed after the
    snapshot (its time cut where the delta_rows-th report first changes). Returns the paths written.
    """
    end = _as_date(end)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    geo_key = str(Path(geo_dir).resolve())
    geo = load_geo(geo_key)
    pool = opis_pool(seed)
    n_days = max(1, int(round(years * 365.25)))
    start = end - timedelta(days=n_days - 1)
    # days simulated after the snapshot: enough new reports for the delta on their own
    after = int(min(3650, delta_rows * n_days / max(n_reports, 1) * 1.2 + 14)) if delta_path else 0
    sim = simulate(geo_key, seed, start, _exact_counts(seed, start, n_days, after, n_reports))
    s_end = day_end(end)
    idx = np.flatnonzero(sim.t0 <= s_end)
    rng = np.random.default_rng([seed, 8, n_reports])
    write_extract(path, "full", end, sim, geo, pool, idx, s_end, Style(gz=path.name.endswith(".gz")), rng,
                  n_mismatch=max(3, len(idx) // 3000), bad=[])
    if not delta_path:
        return [path]
    delta_path = Path(delta_path)
    delta_path.parent.mkdir(parents=True, exist_ok=True)
    idx, cut = _next_changes(sim, s_end, delta_rows)
    day = (np.datetime64(cut, "s").astype("datetime64[D]")).astype(object)
    write_extract(delta_path, "delta", day, sim, geo, pool, idx, cut, Style(gz=delta_path.name.endswith(".gz")), rng,
                  n_mismatch=3, bad=[])
    return [path, delta_path]


def _exact_counts(seed: int, start: date, n_days: int, after: int, n_reports: int) -> np.ndarray:
    """Reports per day: exactly n_reports over the first n_days, then `after` days at the same rate."""
    lam = day_rates(start, n_days + after)
    rng = np.random.default_rng([seed, 0, n_reports])
    counts = np.zeros(n_days + after, dtype=np.int64)
    counts[:n_days] = rng.multinomial(n_reports, lam[:n_days] / lam[:n_days].sum())
    if after:
        counts[n_days:] = rng.poisson(lam[n_days:] * (n_reports / lam[:n_days].sum()))
    return counts


def _next_changes(sim: Sim, s_end: int, n: int) -> tuple[np.ndarray, int]:
    """The first n reports created or changed after s_end (in id order), and the second their
    last one first changes."""
    big = np.iinfo(np.int64).max
    first = np.where(sim.t0 > s_end, sim.t0,
                     np.where(sim.t1 > s_end, sim.t1, np.where(sim.t2 > s_end, sim.t2, big)))
    cand = np.flatnonzero(first < big)
    cand = cand[np.argsort(first[cand], kind="stable")][:n]
    cut = int(first[cand[-1]]) if len(cand) else s_end
    return np.sort(cand), cut
