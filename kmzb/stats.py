"""Honest rates: proportions with 95% Wilson score intervals; the map's quantile classes."""

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
