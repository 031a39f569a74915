"""The Wilson score interval against published reference values (Newcombe 1998, Table I; Wilson 1927);
the map's quantile classes against mapclassify's (a test dependency only: requirements-test.txt)."""

import warnings

import numpy as np
import pytest

from kmzb.stats import quantile_classes, wilson


@pytest.mark.parametrize("k, n, low, high", [
    (81, 263, 0.2553, 0.3662),   # Newcombe (1998) example 1
    (15, 148, 0.0624, 0.1605),   # example 2
    (0, 20, 0.0000, 0.1611),     # example 3
    (1, 29, 0.0061, 0.1718),     # example 4
])
def test_wilson_matches_newcombe_reference_values(k, n, low, high):
    p, lo, hi = wilson([k], [n])
    assert p[0] == pytest.approx(k / n)
    assert lo[0] == pytest.approx(low, abs=5e-5)
    assert hi[0] == pytest.approx(high, abs=5e-5)


def test_wilson_empty_where_nothing_resolved_and_bounds_hold():
    p, lo, hi = wilson([0, 5, 10], [0, 10, 10])
    assert np.isnan(p[0]) and np.isnan(lo[0]) and np.isnan(hi[0])
    assert lo[1] < 0.5 < hi[1]
    assert hi[2] == pytest.approx(1.0) and 0.69 < lo[2] < 0.73  # 10/10 -> 0.722 .. 1


def _values(rng, trial: int) -> np.ndarray:
    n = int(rng.integers(6, 400))
    kind = trial % 5
    if kind == 0:
        return rng.random(n) * 100  # rates per 10k: no ties
    if kind == 1:
        return rng.integers(1, 8, n).astype(float)  # small counts: many ties
    if kind == 2:
        return np.round(rng.exponential(3, n), 1)
    if kind == 3:
        return np.concatenate([np.full(int(rng.integers(1, n)), 1.0), rng.random(n) * 10])  # one value dominates
    return rng.integers(0, 5000, n) / rng.integers(1, 60, n)  # reports per 10k inhabitants


def test_quantile_classes_equal_mapclassify():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mapclassify warns when ties leave fewer classes than asked
        import mapclassify

        rng = np.random.default_rng(2016)
        compared = 0
        for trial in range(3000):
            v = _values(rng, trial)
            for k in (2, 3, 5, 7):
                if len(np.unique(v)) <= k:
                    continue  # the map gives each distinct value its own class then (callbacks.views)
                want = np.asarray(mapclassify.Quantiles(v, k=k).yb)
                got = quantile_classes(v, k)
                assert (got == want).all(), (k, v.tolist())
                compared += 1
    assert compared > 10_000


def test_quantile_classes_on_a_known_case():
    v = np.arange(1000, dtype=float)
    got = quantile_classes(v, 4)  # bounds 249.75, 499.5, 749.25, 999 (mapclassify's docstring)
    assert list(np.bincount(got)) == [250, 250, 250, 250]
    assert got[249] == 0 and got[250] == 1 and got[999] == 3
    # bounds 1, 1 (merged), 1.4, 4.2, 10: class 1 (above 1, up to 1.4) holds nothing (the map drops it)
    ties = np.array([1, 1, 1, 1, 1, 1, 2, 3, 9, 10], dtype=float)
    assert list(quantile_classes(ties, 5)) == [0, 0, 0, 0, 0, 0, 2, 2, 3, 3]
