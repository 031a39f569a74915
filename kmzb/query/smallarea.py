"""Small-area statistics of one level's districts: smoothed rates, the unstable flag, hot spots.

- Rates per 10,000 smoothed by Marshall's global empirical Bayes (``esda.smoothing.Empirical_Bayes``'s
  arithmetic, written out in numpy: see _marshall):
  each district's rate is pulled towards the national rate, the more the fewer inhabitants it has.
  When the rates vary less than chance alone would make them (Marshall's between-district variance
  below zero), every district gets the national rate (the weight is clamped at 0, as Marshall says;
  esda would give negative weights).
- A raw rate built on fewer than MIN_STABLE reports is `unstable` (the NCHS rule: relative
  standard error above 23 %).
- Hot spots: Getis-Ord Gi* (as ``esda.G_Local`` computes it, star, binary weights with each district
  its own neighbour; written out in numpy, see gi_star, and tested against esda) on the smoothed rate, queen contiguity (kmzb.geo.weights), PERMUTATIONS conditional
  permutations with a fixed seed (the same data give the same classes), the pseudo p-values
  adjusted by Benjamini–Hochberg across the level's districts. Classes by adjusted p: hot/cold
  at 99 % (p <= 0.01), 95 % (<= 0.05), 90 % (<= 0.10), else not significant; islands (no
  neighbour) are not tested.

The computations always take every district of the level (the national prior, neighbourhoods
that do not stop at a region's border); a region filter then only picks rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kmzb.query.columns import SMALL_AREA

MIN_STABLE = 20
PERMUTATIONS = 999
SEED = 2016
LEVELS_CONF = ((0.01, "99"), (0.05, "95"), (0.10, "90"))
NOT_SIGNIFICANT = "ns"
ISLAND = "island"
CLASSES = tuple(f"{kind}_{c}" for kind in ("hot", "cold") for _, c in LEVELS_CONF) + (NOT_SIGNIFICANT, ISLAND)
COLUMNS = SMALL_AREA


def _marshall(e: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``esda.smoothing.Empirical_Bayes(e, b).r`` in its own arithmetic (tests/test_smallarea.py compares
    them): importing esda pulls libpysal, scikit-learn and 1,300 modules into a server process, ~107 MB
    of its memory and ~1.2 s of its first view, for these six lines."""
    e_sum, b_sum = e.sum(), b.sum()
    r_mean = e_sum / b_sum
    rate = e / b
    r_variat = rate - r_mean
    r_var = (b * r_variat * r_variat).sum() / b_sum - r_mean / b.mean()
    weight = r_var / (r_var + r_mean / b)
    return weight * rate + (1.0 - weight) * r_mean


def eb_rates(reports, population) -> np.ndarray:
    """Per-10,000 rates smoothed by global empirical Bayes; NaN where the population is 0."""
    e = np.asarray(reports, dtype=float)
    b = np.asarray(population, dtype=float)
    out = np.full(len(e), np.nan)
    ok = b > 0
    if not ok.any() or e[ok].sum() == 0:
        out[ok] = 0.0
        return out
    e, b = e[ok], b[ok]
    smoothed = _marshall(e, b)
    mean = e.sum() / b.sum()
    raw = e / b
    # esda leaves the weight negative when the between-district variance estimate is < 0:
    # then the smoothed rate lies beyond the mean, on the far side from the raw rate
    if np.any((smoothed - mean) * (raw - mean) < -1e-15):
        smoothed = np.full(len(e), mean)
    out[ok] = smoothed * 10_000
    return out


def unstable(reports) -> np.ndarray:
    return np.asarray(reports) < MIN_STABLE


def fdr_bh(p) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (scipy); NaN stays NaN and is not counted as a test."""
    from scipy.stats import false_discovery_control

    p = np.asarray(p, dtype=float)
    out = np.full(len(p), np.nan)
    ok = np.isfinite(p)
    if ok.any():
        out[ok] = false_discovery_control(p[ok], method="bh")
    return out


def gi_star(values, neighbors: list[list[int]], permutations: int = PERMUTATIONS,
            seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """(z, pseudo p) of Gi* per district; NaN for islands and where nothing varies.

    z is Getis & Ord's (1992) analytical Gi* for binary weights with w_ii = 1, as esda.G_Local
    (star, transform "B") computes it: (sum of the neighbourhood's values - mean x w_i) /
    (s x sqrt((n w_i - w_i^2) / (n - 1))), w_i = k_i + 1 (neighbours and itself), s the population
    standard deviation. The pseudo p comes from `conditional_p`. Written out because esda builds a
    libpysal W and a sparse matrix per call (~60 ms for 2,477 gminas) and its permutation loop runs in
    pure Python without numba (~100 ms); both together take ~15 ms here."""
    y = np.nan_to_num(np.asarray(values, dtype=float), nan=0.0)
    n = len(y)
    z = np.full(n, np.nan)
    p = np.full(n, np.nan)
    islands = np.array([len(js) == 0 for js in neighbors], dtype=bool)
    if n < 3 or np.ptp(y) == 0:
        return z, p
    w = np.array([len(js) + 1 for js in neighbors], dtype=float)
    local = _neighbour_sums(y, neighbors) + y
    s = np.sqrt((y ** 2).mean() - y.mean() ** 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        zs = (local - y.mean() * w) / (s * np.sqrt((n * w - w ** 2) / (n - 1)))
    z = np.where(islands | ~np.isfinite(zs), np.nan, zs)
    p = np.where(np.isnan(z), np.nan, conditional_p(y, neighbors, permutations, seed))
    return z, p


def _draws(n: int, m: int, permutations: int, rng: np.random.Generator) -> np.ndarray:
    """(permutations, m) district indices: each row m distinct districts in random order."""
    if m * m * 4 < n:  # few draws from many: with replacement, rows holding a repeat drawn again
        r = rng.integers(0, n, size=(permutations, m))
        while True:
            s = np.sort(r, axis=1)
            bad = (s[:, 1:] == s[:, :-1]).any(axis=1)
            if not bad.any():
                return r
            r[bad] = rng.integers(0, n, size=(int(bad.sum()), m))
    keys = rng.random((permutations, n))
    idx = np.argpartition(keys, m - 1, axis=1)[:, :m] if m < n else np.tile(np.arange(n), (permutations, 1))
    return np.take_along_axis(idx, np.argsort(np.take_along_axis(keys, idx, 1), axis=1), axis=1)


def conditional_p(y, neighbors: list[list[int]], permutations: int = PERMUTATIONS,
                  seed: int = SEED) -> np.ndarray:
    """Folded pseudo p-values of Gi* (binary weights, each district its own neighbour) by conditional
    randomisation, as esda's crand: district i keeps its value and its k_i neighbours are replaced by
    k_i districts drawn without replacement from the other n - 1; p = (min(larger, perms - larger) + 1)
    / (perms + 1). Gi*'s denominator (the sum of all values) does not change under the permutation, so
    the neighbourhood sums are compared.

    Vectorised: each permutation is one random ordering of the districts, shared by all i; the first
    k_i that are not i are i's neighbours. So i's sum is the prefix sum of the row's first k_i values,
    or, where i itself is among them, of the first k_i + 1 minus y_i. NaN for islands."""
    y = np.asarray(y, dtype=float)
    n = len(y)
    k = np.array([len(js) for js in neighbors], dtype=np.int64)
    out = np.full(n, np.nan)
    if n < 2 or not (k > 0).any():
        return out
    m = int(min(k.max() + 1, n))
    rng = np.random.default_rng(seed)
    draws = _draws(n, m, permutations, rng)
    prefix = np.zeros((permutations, m + 1))
    np.cumsum(y[draws], axis=1, out=prefix[:, 1:])
    kk = np.minimum(k, m - 1)
    sums = prefix[:, kk]  # (permutations, n): i's k_i draws, if i is not among them
    rows, cols = np.nonzero(np.arange(m)[None, :] < kk[draws])  # draw j of row r is district d, j < k_d
    hit = draws[rows, cols]
    sums[rows, hit] = prefix[rows, kk[hit] + 1] - y[hit]
    observed = _neighbour_sums(y, neighbors)
    larger = (sums >= observed[None, :]).sum(axis=0)
    larger = np.minimum(larger, permutations - larger)
    out[:] = (larger + 1) / (permutations + 1)
    out[k == 0] = np.nan
    return out


class Neighbours(list):
    """A level's neighbour lists (list of lists of district indexes) with their (owner, neighbour)
    index pairs flattened once (a view needs them twice; flattening 2,477 gminas' ~14k pairs in Python
    took ~4 ms). The gateway keeps one per level for the process."""

    def __init__(self, lists):
        super().__init__(lists)
        self.owner = np.repeat(np.arange(len(self)), [len(js) for js in self])
        self.flat = np.fromiter((j for js in self for j in js), dtype=np.int64, count=len(self.owner))


def _flat(neighbors: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """(owner, neighbour) index pairs of the lists (held by a Neighbours, else flattened now)."""
    if not isinstance(neighbors, Neighbours):
        neighbors = Neighbours(neighbors)
    return neighbors.owner, neighbors.flat


def _neighbour_sums(y: np.ndarray, neighbors: list[list[int]]) -> np.ndarray:
    owner, flat = _flat(neighbors)
    return np.bincount(owner, weights=y[flat], minlength=len(neighbors))


def hotspot_classes(z, p_adjusted, islands=None) -> np.ndarray:
    z = np.asarray(z, dtype=float)
    p = np.asarray(p_adjusted, dtype=float)
    out = np.full(len(z), NOT_SIGNIFICANT, dtype=object)
    for limit, conf in reversed(LEVELS_CONF):  # strictest last, so it wins
        sig = np.isfinite(p) & (p <= limit)
        out[sig & (z > 0)] = f"hot_{conf}"
        out[sig & (z < 0)] = f"cold_{conf}"
    if islands is not None:
        out[np.asarray(islands, dtype=bool)] = ISLAND
    return out


def small_area(reports, population, neighbors: list[list[int]] | None,
               permutations: int = PERMUTATIONS, seed: int = SEED) -> pd.DataFrame:
    """The columns COLUMNS for every district of a level (rows in the level's order)."""
    smoothed = eb_rates(reports, population)
    out = pd.DataFrame({"reports_per_10k_smoothed": np.round(smoothed, 2), "unstable": unstable(reports)})
    if neighbors is None:
        out["hotspot"] = None
        out["hotspot_p"] = np.nan
        return out
    z, p = gi_star(smoothed, neighbors, permutations, seed)
    adjusted = fdr_bh(p)
    islands = [len(js) == 0 for js in neighbors]
    out["hotspot"] = hotspot_classes(z, adjusted, islands)
    out["hotspot_p"] = np.round(adjusted, 4)
    return out
