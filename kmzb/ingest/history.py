"""Several rows of one OBJECTID in one file: with different Data_modyfikacji they are its history (all
kept); with the same Data_modyfikacji, identical content collapses to one row and different content
is a conflict (every such row rejected)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa


@dataclass
class SameTime:
    conflict: np.ndarray  # rows in conflict (mask over the good rows)
    detail: np.ndarray  # their reject detail
    repeat: np.ndarray  # rows repeating an earlier row exactly (to be dropped)


def same_time_rows(good: pa.Table) -> SameTime:
    """Among the good rows (in file order), those sharing OBJECTID and Data_modyfikacji."""
    n = good.num_rows
    out = SameTime(np.zeros(n, dtype=bool), np.full(n, None, dtype=object), np.zeros(n, dtype=bool))
    oid = good.column("objectid").to_numpy()
    s = np.sort(oid)
    repeated = s[1:][s[1:] == s[:-1]]  # OBJECTIDs on several rows (sorted; most files: none, or a few)
    if not len(repeated):
        return out
    # rows of those (np.isin would sort every row again, by np.unique: seconds for 3M rows)
    cand = np.flatnonzero(repeated[np.minimum(np.searchsorted(repeated, oid), len(repeated) - 1)] == oid)
    keys = pd.DataFrame({"o": oid[cand], "m": good.column("modified_at").cast(pa.int64()).to_numpy()[cand]})
    pos = cand[keys.duplicated(keep=False).to_numpy()]
    if not len(pos):
        return out
    d = good.take(pa.array(pos)).to_pandas()
    content = d.drop(columns=["line", "mismatch"]).astype(str)
    group = content.groupby(["objectid", "modified_at"], sort=False).ngroup().to_numpy()
    first_of_content = ~content.duplicated().to_numpy()
    in_conflict = np.bincount(group, weights=first_of_content)[group] > 1
    out.repeat[pos[~in_conflict & ~first_of_content]] = True
    if in_conflict.any():
        lines = pd.Series(d["line"].to_numpy()).groupby(group).agg(lambda s: ", ".join(map(str, s)))
        out.conflict[pos[in_conflict]] = True
        out.detail[pos[in_conflict]] = [
            f"OBJECTID {o} appears on lines {lines[g]} with the same Data_modyfikacji {m} and different content"
            for o, m, g in zip(d["objectid"].to_numpy()[in_conflict], content["modified_at"].to_numpy()[in_conflict],
                               group[in_conflict])]
    return out
