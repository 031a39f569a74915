"""Counts from pre-grouped cells, with the public rules applied: pure numpy, no SQL, no I/O.

A filter change needs the same counts cut several ways (per district of a level, per category,
the totals, the top category of each district). Instead of one scan of the reports per cut,
kmzb.query.queries groups the filtered reports once into small cells — (gmina, category, status) ->
count, or (day, category, outcome) -> count — and the functions here add them up.

The public rules, decided on the cells exactly as a report-level query would:
- `confirmed-only` categories count only once confirmed (other rows of them are dropped);
- `hidden` categories never count in a public free-form aggregate (any level, period, region,
  status, outcome or channel): they are published only in one fixed table (kmzb.query.sensitive,
  powiat x quarter, small cells suppressed, no margins). Deciding "<5" cell by cell let an
  adversary subtract cells (parent minus children, sliding dates, outcome parts); leaving the
  hidden categories out of every free-form cut leaves nothing to subtract.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from kmzb import reference
from kmzb.teryt import DIVISOR, level_of

PUBLIC, POLICE = "public", "police"
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
    # gmina cells from the cube: each row's index into `gminas` (sorted unique keys), so that grouping
    # by district maps 2,477 gminas instead of searching every cell's key (kmzb.query.queries._level_groups)
    gidx: np.ndarray | None = None
    gminas: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.n)


def within(cells: Cells, teryt: str) -> Cells:
    """The gmina cells of a region (a voivodeship, powiat or gmina code): the rows whose gmina is in it."""
    keep = cells.key // DIVISOR[level_of(teryt)] == int(teryt)
    return Cells(cells.key[keep], cells.cat[keep], cells.outcome[keep], cells.status[keep], cells.n[keep],
                 cells.categories, cells.statuses,
                 gidx=None if cells.gidx is None else cells.gidx[keep], gminas=cells.gminas)


@lru_cache(maxsize=32)
def _visibility(categories: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(hidden, confirmed-only) flags per category index."""
    vis = {c.code: c.public_visibility for c in reference.categories()}
    hidden = np.array([vis.get(c) == "hidden" for c in categories], dtype=bool)
    only = np.array([vis.get(c) == "confirmed-only" for c in categories], dtype=bool)
    return hidden, only


def visible(cells: Cells, audience: str) -> np.ndarray:
    """Which cell rows count for the audience: for the public, no hidden category, and
    confirmed-only categories only once confirmed."""
    if audience != PUBLIC or len(cells) == 0:
        return np.ones(len(cells), dtype=bool)
    hidden, only = _visibility(cells.categories)
    return ~hidden[cells.cat] & ~(only[cells.cat] & (cells.outcome != OUTCOMES.index("confirmed")))


def grouped(cells: Cells, group: np.ndarray, n_groups: int, audience: str) -> dict[str, np.ndarray]:
    """Counts per group (group: the group index of each cell row, -1 = not in any group) of the
    rows visible to the audience: {reports, confirmed, unconfirmed, pending} as int64 arrays of
    length n_groups."""
    ok = (group >= 0) & visible(cells, audience)
    n_out = len(OUTCOMES)
    by = np.bincount(group[ok] * n_out + cells.outcome[ok], weights=cells.n[ok],
                     minlength=n_groups * n_out).reshape(n_groups, n_out)  # one pass for the three outcomes
    res = {name: by[:, i].astype(np.int64) for i, name in enumerate(OUTCOMES)}
    res["reports"] = res["confirmed"] + res["unconfirmed"] + res["pending"]
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
    return int(cells.n[m].sum())
