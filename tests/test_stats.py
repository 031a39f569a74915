"""The Wilson score interval against published reference values (Newcombe 1998, Table I; Wilson 1927)."""

import numpy as np
import pytest

from kmzb.stats import wilson


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
