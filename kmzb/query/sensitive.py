"""The one public table of the hidden categories (drug use, animal cruelty): powiat x quarter.

Statistical disclosure control for a flexible table builder. Every free-form public aggregate
(any level, dates, region, category, status, outcome, channel; API, callbacks, CSV) leaves the
hidden categories out entirely (kmzb.query.cells.visible, kmzb.query.queries.where). They are published
only here, in one fixed table, as statistical offices publish sensitive counts:

- fixed cells: powiat x calendar quarter x hidden category; only quarters that ended before the
  newest data day (a complete quarter no longer grows, so comparing today's table with
  yesterday's never dates a report);
- primary suppression: a count of 1-4 is shown as "<5" (`small`); 0 and 5+ are shown;
- outcome parts (confirmed / unconfirmed / pending, and so the rate) are shown only when none of
  them is 1-4; otherwise all three are withheld (`parts_withheld`), so no part can be worked out
  from the total and the others (the part so derived is itself 0 or 5+);
- no margins: no voivodeship, year, all-categories or all-outcomes total of a hidden category is
  published anywhere, so no suppressed cell can be recovered by subtraction. A filter only selects
  rows of this table; it never sums them.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from kmzb import reference
from kmzb.query import columns
from kmzb.query.filters import BadInput
from kmzb.stats import wilson

SMALL = 5  # counts 1..SMALL-1 are never published


def hidden_codes() -> tuple[str, ...]:
    return tuple(c.code for c in reference.categories() if c.public_visibility == "hidden")


def quarter_start(d: date) -> date:
    return date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)


def quarters(first: date, newest: date) -> list[date]:
    """Start days of the quarters from the one holding `first` to the last one that ended before `newest`."""
    out, q = [], quarter_start(first)
    while True:
        nxt = date(q.year + (q.month == 10), (q.month + 2) % 12 + 1, 1)
        if nxt >= newest:  # the quarter's last day is not before the newest data day: incomplete
            return out
        out.append(q)
        q = nxt


def _shown(n: np.ndarray) -> np.ndarray:
    return (n == 0) | (n >= SMALL)


def table(cur, powiats: pd.DataFrame, date_from: date | None, date_to: date | None) -> pd.DataFrame:
    """Every powiat x complete quarter x hidden category (zeros included), with the rules above."""
    codes = hidden_codes()
    starts = quarters(date_from, date_to) if date_from and date_to else []
    if not starts or not codes:
        return pd.DataFrame({c: [] for c in columns.SENSITIVE})
    end = date(starts[-1].year + (starts[-1].month == 10), (starts[-1].month + 2) % 12 + 1, 1)
    counts = cur.execute(f"""
        SELECT powiat::BIGINT AS powiat, category::VARCHAR AS category,
               date_trunc('quarter', created_date)::DATE AS q, outcome::VARCHAR AS outcome, count(*) AS n
        FROM reports
        WHERE category IN ({", ".join("'" + c + "'" for c in codes)}) AND created_date < ?
        GROUP BY ALL""", [end]).df()
    p_code = powiats["teryt"].astype("int64").to_numpy()
    grid = pd.MultiIndex.from_product([p_code, [pd.Timestamp(q) for q in starts], list(codes)],
                                      names=["powiat", "q", "category"])
    counts["q"] = pd.to_datetime(counts["q"])
    wide = (counts.pivot_table(index=["powiat", "q", "category"], columns="outcome", values="n", aggfunc="sum")
            .reindex(grid).reindex(columns=["confirmed", "unconfirmed", "pending"]).fillna(0).astype(np.int64))
    c, u, p = (wide[k].to_numpy() for k in ("confirmed", "unconfirmed", "pending"))
    n = c + u + p
    show = _shown(n)
    parts = show & _shown(c) & _shown(u) & _shown(p)
    resolved = c + u
    rate, low, high = wilson(c, resolved)
    has_rate = parts & (resolved > 0)
    info = powiats.set_index(powiats["teryt"].astype("int64"))
    pw = wide.index.get_level_values("powiat")
    qs = wide.index.get_level_values("q")
    cats = {x.code: x for x in reference.categories()}
    population = info.loc[pw, "population"].to_numpy()
    q_end = [(q + pd.offsets.QuarterEnd(0)).date().isoformat() for q in qs]

    def masked(values, ok, kind="Int64"):
        arr = pd.array(np.where(ok, values, 0), dtype=kind)
        arr[~ok] = pd.NA
        return arr

    with np.errstate(divide="ignore", invalid="ignore"):
        per10k = np.round(n / population * 10_000, 2)
    out = pd.DataFrame({
        "teryt": info.loc[pw, "teryt"].to_numpy(), "name": info.loc[pw, "name"].to_numpy(),
        "population": population,
        "quarter": [f"{q.year}-Q{(q.month - 1) // 3 + 1}" for q in qs],
        "quarter_start": [q.date().isoformat() for q in qs], "quarter_end": q_end,
        "category": wide.index.get_level_values("category"),
        "label_pl": [cats[k].label_pl for k in wide.index.get_level_values("category")],
        "label_en": [cats[k].label_en for k in wide.index.get_level_values("category")],
        "reports": masked(n, show), "small": ~show,
        "reports_per_10k": np.where(show, per10k, np.nan),
        "confirmed": masked(c, parts), "unconfirmed": masked(u, parts), "pending": masked(p, parts),
        "parts_withheld": show & ~parts,
        "confirmation_rate": np.where(has_rate, np.round(rate, 4), np.nan),
        "ci_low": np.where(has_rate, np.round(low, 4), np.nan),
        "ci_high": np.where(has_rate, np.round(high, 4), np.nan),
    })
    return out[columns.SENSITIVE]


def select(df: pd.DataFrame, teryt: str | None = None, categories: tuple[str, ...] = (),
           date_from: date | None = None, date_to: date | None = None) -> pd.DataFrame:
    """Rows of the fixed table (never sums): powiats within a voivodeship or one powiat, hidden
    categories, and the quarters that overlap [date_from, date_to]."""
    if teryt and len(teryt) > 4:
        raise BadInput(f"'teryt' {teryt} is a gmina: the sensitive categories are published per powiat only "
                       f"(use its powiat {teryt[:4]} or voivodeship {teryt[:2]})")
    bad = [c for c in categories if c not in hidden_codes()]
    if bad:
        raise BadInput(f"category '{bad[0]}' is not a sensitive category; this table holds only: "
                       f"{', '.join(hidden_codes())}")
    m = np.ones(len(df), dtype=bool)
    if teryt:
        m &= df["teryt"].str.startswith(teryt).to_numpy()
    if categories:
        m &= df["category"].isin(categories).to_numpy()
    if date_from:
        m &= (df["quarter_end"] >= date_from.isoformat()).to_numpy()
    if date_to:
        m &= (df["quarter_start"] <= date_to.isoformat()).to_numpy()
    return df[m].reset_index(drop=True)
