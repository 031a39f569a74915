"""Honest rates: proportions with 95% Wilson score intervals."""

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
