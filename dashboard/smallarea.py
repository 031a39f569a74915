"""The map's small-area metrics: hot-spot classes for the JS style function, and the one-line
plain-language explanation of each new metric (no Dash callbacks, no I/O)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kmzb.i18n import translator

# cold 99 / 95 / 90, not significant, hot 90 / 95 / 99: RdBu (ColorBrewer, colour-blind safe)
HOTSPOT_ORDER = ("cold_99", "cold_95", "cold_90", "ns", "hot_90", "hot_95", "hot_99")
HOTSPOT_COLORS = ["#2166ac", "#67a9cf", "#d1e5f0", "#f7f7f7", "#fddbc7", "#ef8a62", "#b2182b"]


def hotspot_labels(lang: str) -> dict[str, str]:
    _ = translator(lang)
    return {
        "hot_99": _("hot spot, 99% confidence"), "hot_95": _("hot spot, 95% confidence"),
        "hot_90": _("hot spot, 90% confidence"), "ns": _("not significant"),
        "cold_90": _("cold spot, 90% confidence"), "cold_95": _("cold spot, 95% confidence"),
        "cold_99": _("cold spot, 99% confidence"), "island": _("no neighbours: not tested"),
    }


def explanation(metric: str, lang: str) -> str | None:
    """What the metric means, and what it does not, in one line."""
    _ = translator(lang)
    if metric == "smoothed":
        return _("Smoothed: small districts are pulled towards the national rate, so a few reports do not "
                 "make a gmina look extreme (empirical Bayes). It estimates the rate; it does not count reports.")
    if metric == "hotspots":
        return _("Hot spot: a district that, with its neighbours, has significantly more reports per "
                 "inhabitant than Poland as a whole (Getis-Ord Gi*, false discovery rate 5%). A hot spot of "
                 "reports is not a hot spot of crime.")
    if metric == "per10k":
        return _("Hatched: fewer than 20 reports, the rate is unstable.")
    return None


def hotspot_hideout(table: pd.DataFrame, in_scope: np.ndarray, lang: str) -> tuple[str, list, list, list]:
    """(class characters, value labels, colours, legend rows) of the hot-spot metric."""
    labels = hotspot_labels(lang)
    index = {c: str(i) for i, c in enumerate(HOTSPOT_ORDER)}
    classes = table["hotspot"].tolist() if "hotspot" in table else [None] * len(table)
    chars = "".join(index.get(c, "-") if ok else "-" for c, ok in zip(classes, in_scope))
    vals = [labels.get(c) if isinstance(c, str) else None for c in classes]
    present = {c for c, ok in zip(classes, in_scope) if ok}
    legend = [(HOTSPOT_COLORS[i], labels[c]) for i, c in reversed(list(enumerate(HOTSPOT_ORDER)))
              if c in present or c == "ns"]
    if "island" in present:
        legend.append(("#d9d9d9", labels["island"]))
    return chars, vals, list(HOTSPOT_COLORS), legend
