"""Status history in numpy: which of a file's (report, status, time) rows are new to the store, and each
touched report's first read time (first seen out of 'nowe') and first resolved time (first seen out of
a pending status), from its whole history (the stored rows and the file's).

Times are int64 microseconds (as Arrow and DuckDB TIMESTAMP hold them); NAT marks none.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kmzb import reference

NAT = np.iinfo(np.int64).max


def _status_tables() -> tuple[int, np.ndarray]:
    """(the code of 'nowe', whether each status code is pending)."""
    codes = reference.status_codes()
    pending = np.array([reference.status_outcome()[c] == "pending" for c in codes])
    return codes.index("nowe"), pending


@dataclass
class Firsts:
    """Per report (`oid`, sorted): its first read/resolved times and whether they are exact."""

    oid: np.ndarray
    read_at: np.ndarray
    resolved_at: np.ndarray
    observed_new: np.ndarray  # the first status seen was 'nowe': read_at is exact
    observed_pending: np.ndarray  # the first status seen was pending: resolved_at is exact

    def at(self, oid: np.ndarray) -> Firsts:
        """The same for the reports `oid` (each one of self.oid)."""
        pos = np.searchsorted(self.oid, oid)
        return Firsts(oid, self.read_at[pos], self.resolved_at[pos], self.observed_new[pos],
                      self.observed_pending[pos])

    def take(self, idx: np.ndarray) -> Firsts:
        return Firsts(self.oid[idx], self.read_at[idx], self.resolved_at[idx], self.observed_new[idx],
                      self.observed_pending[idx])


@dataclass
class History:
    new_rows: np.ndarray  # indexes of the file's rows not yet in the stored history
    firsts: Firsts  # every report of the file
    changed: np.ndarray  # reports (sorted objectids) whose history gained a row


def _single(oid: np.ndarray, mod: np.ndarray, status: np.ndarray) -> History:
    """One row per report and nothing stored before: each row is its report's whole history."""
    nowe, pending = _status_tables()
    order = np.argsort(oid, kind="stable") if len(oid) > 1 and (np.diff(oid) < 0).any() else None
    if order is not None:
        oid, mod, status = oid[order], mod[order], status[order]
    is_new, is_pending = status == nowe, pending[status]
    firsts = Firsts(oid, np.where(is_new, NAT, mod), np.where(is_pending, NAT, mod), is_new, is_pending)
    return History(np.arange(len(oid)), firsts, oid)


def history(oid: np.ndarray, mod: np.ndarray, status: np.ndarray, prior: tuple[np.ndarray, ...] | None,
            unique_reports: bool) -> History:
    """The file's rows (objectid, modified_at, status code) against `prior`, the stored history of
    the same reports (objectid, modified_at, status code), or None when none is stored."""
    if (prior is None or not len(prior[0])) and unique_reports:
        return _single(oid, mod, status)
    nowe, pending = _status_tables()
    p_oid, p_mod, p_status = prior if prior is not None else (np.zeros(0, np.int64),) * 3
    n_prior = len(p_oid)
    h_oid = np.concatenate([p_oid, oid])
    h_mod = np.concatenate([p_mod, mod])
    h_status = np.concatenate([p_status.astype(np.int16), status.astype(np.int16)])
    from_file = np.arange(len(h_oid)) >= n_prior
    order = np.lexsort((from_file, h_status, h_mod, h_oid))  # a stored row before the same row of the file
    h_oid, h_mod, h_status, from_file = h_oid[order], h_mod[order], h_status[order], from_file[order]
    same = np.zeros(len(order), dtype=bool)
    if len(order) > 1:
        same[1:] = (h_oid[1:] == h_oid[:-1]) & (h_mod[1:] == h_mod[:-1]) & (h_status[1:] == h_status[:-1])
    fresh = from_file & ~same
    new_rows = order[fresh] - n_prior
    starts = np.flatnonzero(np.r_[True, h_oid[1:] != h_oid[:-1]]) if len(h_oid) else np.zeros(0, np.int64)
    read = np.minimum.reduceat(np.where(h_status != nowe, h_mod, NAT), starts) if len(starts) else h_mod[:0]
    resolved = np.minimum.reduceat(np.where(~pending[h_status], h_mod, NAT), starts) if len(starts) else h_mod[:0]
    firsts = Firsts(h_oid[starts], read, resolved, h_status[starts] == nowe, pending[h_status[starts]])
    changed = h_oid[fresh]  # (sorted)
    return History(np.sort(new_rows), firsts, changed[np.r_[True, changed[1:] != changed[:-1]]] if len(changed) else changed)
