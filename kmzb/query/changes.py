"""The changes that matter: per district and category, the selected period against the comparison
period, tested as two Poisson counts.

The exact conditional test: given n = after + before, `after` is binomial(n, t_a / (t_a + t_b))
under equal rates (t = days of each period; the population is the same in both and cancels).
The two-sided p-value is scipy's ``binomtest`` ("minlike": every outcome no more likely than the
one seen), computed for all cells at once (kmzb.stats.binom_two_sided, as for the district profile);
the rate ratio's 95 % interval is the exact (Clopper–Pearson) interval of that binomial proportion
turned into a ratio. Benjamini–Hochberg across every tested cell of the view (cells with no report in
either period are not tests).
Counts come from the request's cells with the audience's rules (kmzb.query.cells.visible).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kmzb import reference
from kmzb.query import cells as cells_mod
from kmzb.query import columns
from kmzb.query.queries import _level_groups
from kmzb.query.smallarea import fdr_bh
from kmzb.stats import binom_two_sided

ALPHA = 0.05
COLUMNS = columns.CHANGES


def district_category(cells: cells_mod.Cells, districts: pd.DataFrame, f, level: str,
                      audience: str) -> tuple[pd.DataFrame, np.ndarray]:
    """(the districts of the level in the region, counts [district, category index]) of the
    reports the audience may see."""
    base, group = _level_groups(cells, districts, f, level)
    ok = (group >= 0) & cells_mod.visible(cells, audience)
    n_cat = len(cells.categories)
    flat = np.bincount(group[ok] * n_cat + cells.cat[ok], weights=cells.n[ok], minlength=len(base) * n_cat)
    return base, flat.reshape(len(base), n_cat).astype(np.int64)


def rate_ratio(after, before, t_after: float, t_before: float, alpha: float = ALPHA):
    """(ratio, low, high): (after / t_after) / (before / t_before) with its exact conditional interval."""
    from statsmodels.stats.proportion import proportion_confint

    a, b = np.asarray(after, dtype=float), np.asarray(before, dtype=float)
    scale = t_before / t_after
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(b > 0, a / b * scale, np.inf)
        lo_p, hi_p = proportion_confint(a, a + b, alpha=alpha, method="beta")
        lo_p, hi_p = np.nan_to_num(lo_p, nan=0.0), np.nan_to_num(hi_p, nan=1.0)
        low = np.where(lo_p < 1, lo_p / (1 - lo_p), np.inf) * scale
        high = np.where(hi_p < 1, hi_p / (1 - hi_p), np.inf) * scale
    return ratio, low, high


def changes(base: pd.DataFrame, categories: tuple[str, ...], after: np.ndarray, before: np.ndarray,
            days_after: int, days_before: int, alpha: float = ALPHA, significant_only: bool = True) -> pd.DataFrame:
    """One row per (district, category) tested (either count > 0), with BH across all of them;
    only the significant ones (adjusted p < alpha) unless significant_only is False; sorted by
    adjusted p, then by the size of the change."""
    di, ci = np.nonzero((after + before) > 0)
    a, b = after[di, ci], before[di, ci]
    p = binom_two_sided(a, a + b, days_after / (days_after + days_before))
    adjusted = fdr_bh(p)
    ratio, low, high = rate_ratio(a, b, days_after, days_before, alpha)
    labels = {c.code: c for c in reference.categories()}
    cats = np.array(categories, dtype=object)[ci]
    out = pd.DataFrame({
        "teryt": base["teryt"].to_numpy()[di], "name": base["name"].to_numpy()[di], "category": cats,
        "label_pl": [labels[c].label_pl if c in labels else c for c in cats],
        "label_en": [labels[c].label_en if c in labels else c for c in cats],
        "reports_before": b.astype(np.int64), "reports_after": a.astype(np.int64),
        "rate_ratio": np.round(ratio, 4), "rr_low": np.round(low, 4), "rr_high": np.round(high, 4),
        "p_value": p, "p_adjusted": adjusted,
        "direction": np.where(ratio > 1, "rise", "fall"),
    }, columns=COLUMNS)
    if significant_only:
        out = out[out["p_adjusted"] < alpha]
    out = out.assign(_size=-np.abs(np.log(out["rate_ratio"].clip(1e-9, 1e9).to_numpy(dtype=float))))
    return out.sort_values(["p_adjusted", "_size", "teryt", "category"], kind="stable").drop(columns="_size") \
        .reset_index(drop=True)
