"""Counts from pre-grouped cells, with the public rules applied: pure numpy, no SQL, no I/O.

A filter change needs the same counts cut several ways (per district of a level, per category,
the totals, the top category of each district). Instead of one scan of the reports per cut,
kmzb.queries groups the filtered reports once into small cells — (gmina, category, status) ->
count, or (day, category, outcome) -> count — and the functions here add them up.

The public rules, decided on the cells exactly as a report-level query would:
- `confirmed-only` categories count only once confirmed (other rows of them are dropped);
- a hidden category counts in a group only where the group holds at least SMALL reports of it;
  with 1-4 they are left out and the group is flagged `suppressed`, and a group left with
  nothing to show is `small` (empty counts, "<5" on screen). Decided per group and per hidden
  category, so a total always equals the sum of its per-category rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from . import reference

PUBLIC, POLICE = "public", "police"
SMALL = 5
OUTCOMES = ("confirmed", "unconfirmed", "pending")


@dataclass(frozen=True)
class Cells:
    """Grouped counts: `key` (an int64 per row: a gmina's TERYT as a number, or a day number),
    `cat` (index into `categories`), `outcome` (index into OUTCOMES), `status` (index into
    `statuses`, or -1 when not grouped by status) and `n` (reports)."""
    key: np.ndarray
    cat: np.ndarray
    outcome: np.ndarray
    status: np.ndarray
    n: np.ndarray
    categories: tuple[str, ...]
    statuses: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.n)


@lru_cache(maxsize=32)
def _visibility(categories: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(hidden, confirmed-only) flags per category index."""
    vis = {c.code: c.public_visibility for c in reference.categories()}
    hidden = np.array([vis.get(c) == "hidden" for c in categories], dtype=bool)
    only = np.array([vis.get(c) == "confirmed-only" for c in categories], dtype=bool)
    return hidden, only


def visible(cells: Cells, audience: str) -> np.ndarray:
    """Which cell rows count for the audience: for the public, confirmed-only categories only once confirmed."""
    if audience != PUBLIC or len(cells) == 0:
        return np.ones(len(cells), dtype=bool)
    _, only = _visibility(cells.categories)
    return ~(only[cells.cat] & (cells.outcome != OUTCOMES.index("confirmed")))


def grouped(cells: Cells, group: np.ndarray, n_groups: int, audience: str) -> dict[str, np.ndarray]:
    """Counts per group (group: the group index of each cell row, -1 = not in any group) with the
    hidden-category rule: {reports, confirmed, unconfirmed, pending} as int64 arrays, and
    `suppressed`, `small` as bool arrays, each of length n_groups."""
    ok = (group >= 0) & visible(cells, audience)
    g, cat, out, n = group[ok], cells.cat[ok], cells.outcome[ok], cells.n[ok]
    keep = np.ones(len(n), dtype=bool)
    suppressed = np.zeros(n_groups, dtype=bool)
    if audience == PUBLIC and len(n):
        hidden, _ = _visibility(cells.categories)
        h = hidden[cat]
        if h.any():
            n_cat = len(cells.categories)
            cell = g[h].astype(np.int64) * n_cat + cat[h]
            uniq, inv = np.unique(cell, return_inverse=True)
            size = np.bincount(inv, weights=n[h], minlength=len(uniq))
            few = size < SMALL
            keep[np.flatnonzero(h)] = ~few[inv]
            suppressed[(uniq[few] // n_cat).astype(np.int64)] = True
    res = {}
    for i, name in enumerate(OUTCOMES):
        m = keep & (out == i)
        res[name] = np.bincount(g[m], weights=n[m], minlength=n_groups).astype(np.int64)
    res["reports"] = res["confirmed"] + res["unconfirmed"] + res["pending"]
    res["suppressed"] = suppressed
    res["small"] = suppressed & (res["reports"] == 0)
    return res


def positions(keys: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Index of each of `keys` in `wanted` (sorted, unique int64), -1 where absent."""
    if len(wanted) == 0:
        return np.full(len(keys), -1, dtype=np.int64)
    at = np.searchsorted(wanted, keys)
    at = np.minimum(at, len(wanted) - 1)
    return np.where(wanted[at] == keys, at, -1).astype(np.int64)


def top_category(cells: Cells, group: np.ndarray, n_groups: int, audience: str) -> list[str | None]:
    """The most reported category per group (ties: the first in the reference order); for the
    public, hidden categories never (they are not named per district)."""
    ok = (group >= 0) & visible(cells, audience)
    if audience == PUBLIC:
        hidden, _ = _visibility(cells.categories)
        ok &= ~hidden[cells.cat]
    n_cat = len(cells.categories)
    flat = np.bincount(group[ok].astype(np.int64) * n_cat + cells.cat[ok], weights=cells.n[ok],
                       minlength=n_groups * n_cat).reshape(n_groups, n_cat)
    order = _reference_order(cells.categories)
    best = order[np.argmax(flat[:, order], axis=1)]
    has = flat.max(axis=1) > 0 if n_cat else np.zeros(n_groups, dtype=bool)
    return [cells.categories[b] if h else None for b, h in zip(best, has)]


@lru_cache(maxsize=32)
def _reference_order(categories: tuple[str, ...]) -> np.ndarray:
    rank = {c: i for i, c in enumerate(reference.category_codes())}
    return np.array(sorted(range(len(categories)), key=lambda i: (rank.get(categories[i], 1 << 30), i)),
                    dtype=np.int64)


def status_count(cells: Cells, status: str, audience: str) -> int:
    """Reports with this status (for the public, without hidden categories)."""
    if status not in cells.statuses or len(cells) == 0:
        return 0
    m = (cells.status == cells.statuses.index(status)) & visible(cells, audience)
    if audience == PUBLIC:
        hidden, _ = _visibility(cells.categories)
        m &= ~hidden[cells.cat]
    return int(cells.n[m].sum())
