"""Small-area statistics against independent values: empirical Bayes and Gi* worked out by hand on a
small map and against published values (esda's St Louis example), the changes test against
scipy.stats.binomtest and statsmodels, FDR against statsmodels.multipletests."""

from __future__ import annotations

import numpy as np
import pytest
from libpysal.weights import lat2W
from scipy.stats import binomtest
from statsmodels.stats import rates as sm_rates
from statsmodels.stats.multitest import multipletests

from kmzb import stats
from kmzb.query import changes, smallarea

pytestmark = pytest.mark.unit


def marshall(e, b):
    """Marshall's global EB written out (independent of esda): m = sum e / sum b,
    s2 = sum b (r - m)^2 / sum b - m / mean b, w_i = s2 / (s2 + m / b_i), 0 when s2 < 0."""
    e, b = np.asarray(e, float), np.asarray(b, float)
    r, m = e / b, e.sum() / b.sum()
    s2 = (b * (r - m) ** 2).sum() / b.sum() - m / b.mean()
    w = np.maximum(s2, 0) / (np.maximum(s2, 0) + m / b)
    return (w * r + (1 - w) * m) * 10_000


def test_eb_small_map_by_hand():
    e = [0, 3, 40, 120, 7, 1]
    b = [800, 2_000, 30_000, 60_000, 1_500, 12_000]
    got = smallarea.eb_rates(e, b)
    assert np.allclose(got, marshall(e, b))
    # small districts move towards the mean most: the 800-person gmina with 0 reports is not "0 per 10k"
    assert got[0] > 0
    assert abs(got[3] - 120 / 60_000 * 1e4) < abs(got[0] - 0)


def test_eb_clamped_when_rates_vary_less_than_chance():
    e, b = [10, 11, 9, 10], [10_000, 10_000, 10_000, 10_000]
    got = smallarea.eb_rates(e, b)
    assert np.allclose(got, 40 / 40_000 * 1e4)  # every district gets the overall rate
    assert np.allclose(got, marshall(e, b))


def test_eb_published_st_louis_values():
    """esda's documented example: St Louis homicides, the first ten EB rates."""
    import libpysal

    stl = libpysal.io.open(libpysal.examples.get_path("stl_hom.csv"), "r")
    e, b = np.array(stl[:, 10]), np.array(stl[:, 13])
    published = [2.36718950e-05, 4.54539167e-05, 4.78114019e-05, 2.76907146e-05, 6.58989323e-05,
                 3.66494122e-05, 5.79952721e-05, 2.03064590e-05, 3.31152999e-05, 3.02748380e-05]
    assert np.allclose(smallarea.eb_rates(e, b)[:10] / 1e4, published, rtol=1e-6)


def test_eb_equals_esda_on_random_districts():
    """The smoothing written out equals esda.smoothing.Empirical_Bayes (a test dependency only) on random
    maps: few and many districts, rates that vary more and less than chance, zero counts."""
    from esda.smoothing import Empirical_Bayes

    rng = np.random.default_rng(11)
    for trial in range(300):
        n = int(rng.integers(2, 2500))
        b = rng.integers(500, 800_000, n).astype(float)
        risk = rng.gamma(2.0, 1e-4, n) if trial % 2 else np.full(n, 2e-4)  # varying, or chance alone
        e = rng.poisson(b * risk).astype(float)
        if e.sum() == 0:
            continue
        want = Empirical_Bayes(e, b).r.ravel()
        got = smallarea._marshall(e, b)
        assert np.allclose(got, want, rtol=1e-12, atol=0), trial


def test_unstable_is_fewer_than_20_reports():
    assert smallarea.unstable([0, 19, 20, 500]).tolist() == [True, True, False, False]


def lattice(n=5):
    w = lat2W(n, n, rook=False)
    return [sorted(w.neighbors[i]) for i in range(w.n)]


def gi_star_by_hand(y, neighbors):
    """Getis & Ord (1992) Gi*, binary weights with w_ii = 1."""
    y = np.asarray(y, float)
    n = len(y)
    W = np.eye(n)
    for i, js in enumerate(neighbors):
        W[i, js] = 1
    xbar, s = y.mean(), np.sqrt((y ** 2).mean() - y.mean() ** 2)
    sw = W.sum(1)
    return (W @ y - xbar * sw) / (s * np.sqrt((n * (W ** 2).sum(1) - sw ** 2) / (n - 1)))


def test_gi_star_small_map_by_hand_and_reproducible():
    nb = lattice(5)
    y = np.ones(25)
    y[[0, 1, 5, 6]] = 10.0  # a hot corner
    y[[18, 19, 23, 24]] = 0.0  # a cold corner
    z, p = smallarea.gi_star(y, nb)
    assert np.allclose(z, gi_star_by_hand(y, nb))
    z2, p2 = smallarea.gi_star(y, nb)
    assert np.array_equal(p, p2)  # seeded permutations: same data, same p-values (and W not mutated)
    classes = smallarea.hotspot_classes(z, smallarea.fdr_bh(p))
    assert classes[0].startswith("hot_") and classes[24].startswith("cold_")
    assert classes[12] == smallarea.NOT_SIGNIFICANT


def test_hotspot_classes_and_islands():
    z = np.array([3, 3, 3, 3, -3, 1, np.nan])
    p = np.array([0.005, 0.03, 0.08, 0.2, 0.01, 0.001, np.nan])
    got = smallarea.hotspot_classes(z, p, islands=[0, 0, 0, 0, 0, 0, 1]).tolist()
    assert got == ["hot_99", "hot_95", "hot_90", "ns", "cold_99", "hot_99", "island"]
    nb = lattice(3)
    nb.append([])  # an island: no test
    z, p = smallarea.gi_star(np.arange(10.0), nb)
    assert np.isnan(z[-1]) and np.isnan(p[-1])


def test_fdr_matches_statsmodels():
    rng = np.random.default_rng(3)
    p = np.concatenate([rng.uniform(size=300), rng.uniform(0, 1e-3, size=40)])
    assert np.allclose(smallarea.fdr_bh(p), multipletests(p, method="fdr_bh")[1])
    with_nan = np.array([0.01, np.nan, 0.04])
    assert np.allclose(smallarea.fdr_bh(with_nan)[[0, 2]], multipletests([0.01, 0.04], method="fdr_bh")[1])


@pytest.mark.parametrize("p", [0.5, 366 / 731, 0.3])
def test_two_poisson_matches_binomtest(p):
    rng = np.random.default_rng(7)
    n = rng.integers(1, 300, 600)
    k = rng.binomial(n, rng.uniform(0.1, 0.9, 600))
    mine = stats.binom_two_sided(k, n, p)
    assert np.allclose(mine, [binomtest(int(a), int(b), p).pvalue for a, b in zip(k, n)], rtol=1e-9, atol=0)


def test_two_poisson_matches_statsmodels_exact_conditional():
    for after, before in [(30, 10), (5, 18), (0, 7), (12, 12)]:
        ref = sm_rates.test_poisson_2indep(after, 90, before, 90, method="exact-cond").pvalue
        assert stats.binom_two_sided(np.array([after]), np.array([after + before]), 0.5)[0] == pytest.approx(ref)
    ratio, low, high = changes.rate_ratio(np.array([30]), np.array([10]), 90, 90)
    assert ratio[0] == 3 and low[0] < 3 < high[0]
    # the exact interval of the binomial proportion 30/40 (Clopper-Pearson), as a ratio
    ci = binomtest(30, 40).proportion_ci(0.95, method="exact")
    assert low[0] == pytest.approx(ci.low / (1 - ci.low)) and high[0] == pytest.approx(ci.high / (1 - ci.high))


def test_changes_rows_significant_only_with_bh():
    import pandas as pd

    base = pd.DataFrame({"teryt": ["02", "04", "06"], "name": ["a", "b", "c"]})
    after = np.array([[60, 5], [10, 0], [0, 0]])
    before = np.array([[20, 6], [11, 0], [0, 0]])
    out = changes.changes(base, ("przekraczanie-dozwolonej-predkosci", "nieprawidlowe-parkowanie"), after, before,
                          90, 90, significant_only=False)
    assert len(out) == 3  # cells with a report in either period are the tests
    p = [binomtest(60, 80).pvalue, binomtest(5, 11).pvalue, binomtest(10, 21).pvalue]
    assert sorted(out["p_adjusted"]) == pytest.approx(sorted(multipletests(p, method="fdr_bh")[1]))
    sig = changes.changes(base, ("przekraczanie-dozwolonej-predkosci", "nieprawidlowe-parkowanie"), after, before,
                          90, 90)
    assert sig[["teryt", "reports_before", "reports_after", "direction"]].values.tolist() == [["02", 20, 60, "rise"]]


def binary_weights(neighbors: list[list[int]]):
    """esda's input for the same Gi*: a libpysal W, binary, each district its own neighbour."""
    from libpysal.weights import W

    nb = {i: [i, *js] for i, js in enumerate(neighbors)}
    return W(nb, {i: [1.0] * len(js) for i, js in nb.items()}, silence_warnings=True)


def test_conditional_permutation_p_values_agree_with_esda():
    """The vectorised conditional randomisation gives esda's pseudo p-values up to Monte Carlo noise
    (esda.G_Local's own permutation loop, star, binary weights), on a clustered map and on noise."""
    import warnings

    import esda

    nb = lattice(20)
    rng = np.random.default_rng(7)
    for y in (rng.gamma(2, 1, len(nb)) + np.r_[np.full(30, 4.0), np.zeros(len(nb) - 30)],
              rng.gamma(2, 1, len(nb))):
        ours = smallarea.conditional_p(y, nb)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            g = esda.G_Local(y, binary_weights(nb), transform="B", star=None, permutations=999,
                             seed=1, n_jobs=1)
        z, _ = smallarea.gi_star(y, nb)
        assert np.allclose(z, g.Zs)  # the analytical z written out equals esda's
        assert np.corrcoef(ours, g.p_sim)[0, 1] > 0.97
        assert np.abs(ours - g.p_sim).max() < 0.08  # a p of 0.5 has a Monte Carlo s.e. of 0.016
        assert abs(ours.mean() - g.p_sim.mean()) < 0.02


def test_conditional_permutation_never_draws_a_district_as_its_own_neighbour():
    """A district far above the rest: were it drawn as its own neighbour, its neighbours' random sums
    would sometimes hold its value twice and it would look less extreme. Its neighbours' p-values
    must come from draws among the other districts only."""
    n = 12
    nb = [[j for j in range(n) if j != i] for i in range(n)]  # everyone neighbours everyone
    y = np.ones(n)
    y[0] = 100.0
    p = smallarea.conditional_p(y, nb, permutations=199)
    # with every other district as neighbours, any draw of k = n - 1 others is the same set: the
    # permuted sum always equals the observed one, so 'larger' is every permutation (folded to 0)
    assert np.allclose(p, 1 / 200)
