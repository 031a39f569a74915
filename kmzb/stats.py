"""Honest rates: proportions with 95% Wilson score intervals; the exact two-sided binomial test of
many counts at once (the changes and the district profile); the map's quantile classes."""

from __future__ import annotations

import numpy as np

Z95 = 1.959963984540054


def wilson(successes, totals, z: float = Z95):
    """Wilson score interval for k successes of n. Returns (rate, low, high) arrays; NaN where n == 0."""
    k = np.asarray(successes, dtype=float)
    n = np.asarray(totals, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(n > 0, k / n, np.nan)
        z2 = z * z
        denom = 1 + z2 / n
        centre = (p + z2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
        low = np.where(n > 0, np.clip(centre - half, 0, 1), np.nan)
        high = np.where(n > 0, np.clip(centre + half, 0, 1), np.nan)
    return p, low, high


def quantile_classes(values, k: int) -> np.ndarray:
    """The class (0 .. k-1) of each value in k quantile classes: exactly mapclassify's
    ``Quantiles(values, k).yb`` (tests/test_stats.py compares them on random values with ties), computed
    here because importing mapclassify pulls scikit-learn, scipy.stats and matplotlib into every
    server process: ~96 MB of its memory and ~1 s of its first map view, for a sort and k lookups.

    The class bounds are the values at percentiles 100/k, 200/k, ... 100 (scipy's
    ``scoreatpercentile``: linear between the two nearest order statistics, weighted as it weights),
    with repeated bounds merged; class i holds the values above bound i-1 up to bound i."""
    v = np.asarray(values, dtype=float)
    s = np.sort(v)
    w = 100.0 / k
    per = np.arange(w, 100 + w, w)
    per[-1] = min(per[-1], 100.0)
    idx = per / 100.0 * (len(s) - 1)
    i = idx.astype(np.int64)
    whole = i == idx
    j = np.minimum(i + 1, len(s) - 1)
    lo_w, hi_w = (i + 1) - idx, idx - i  # scipy's weights, and their sum as the divisor
    bounds = np.where(whole, s[i], (s[i] * lo_w + s[j] * hi_w) / (lo_w + hi_w))
    bounds = np.unique(bounds)
    cls = np.searchsorted(bounds, v, side="left")
    cls[cls == len(bounds)] = 0  # above the last bound (a rounding of 100 %): mapclassify's class 0
    return cls


def binom_two_sided(k, n, p: float) -> np.ndarray:
    """The two-sided exact binomial test's p-value of each k of n (NaN where n is 0): scipy's
    `binomtest(k, n, p).pvalue` computed for all pairs at once (the same steps on arrays: the pmf
    of k, a binary search on the other side of the mode for the last term not above it, the two
    tails), so the numbers are the same to the bit and a table of 100 rows costs one call."""
    # imported here, not at import: scipy.stats is ~0.5 s of every process's start
    from scipy.stats import binom

    k, n = np.asarray(k, dtype=np.int64), np.asarray(n, dtype=np.int64)
    out = np.full(len(k), np.nan)
    tested = n > 0
    k, n = k[tested], n[tested]
    d = binom.pmf(k, n, p)
    rerr = 1 + 1e-7
    pn = p * n
    below, above = k < pn, k > pn
    # below the mode: search a(x) = -pmf(x) on [ceil(pn), n]; above it: a(x) = pmf(x) on [0, floor(pn)]
    sign = np.where(below, -1.0, 1.0)
    target = np.where(below, -d * rerr, d * rerr)
    lo = np.where(below, np.ceil(pn), 0.0)
    hi = np.where(below, n.astype(float), np.floor(pn))
    found = np.full(len(k), np.nan)
    while True:
        run = (below | above) & np.isnan(found) & (lo < hi)
        if not run.any():
            break
        mid = lo + (hi - lo) // 2
        midval = sign * binom.pmf(mid, n, p)
        lt, gt = run & (midval < target), run & (midval > target)
        found = np.where(run & ~lt & ~gt, mid, found)
        lo, hi = np.where(lt, mid + 1, lo), np.where(gt, mid - 1, hi)
    ix = np.where(np.isnan(found), np.where(sign * binom.pmf(lo, n, p) <= target, lo, lo - 1), found)
    y_below = n - ix + (d * rerr == binom.pmf(ix, n, p)).astype(np.int64)
    pval = np.where(below, binom.cdf(k, n, p) + binom.sf(n - y_below, n, p),
                    binom.cdf(ix, n, p) + binom.sf(k - 1, n, p))
    out[tested] = np.where(below | above, np.minimum(1.0, pval), 1.0)
    return out
