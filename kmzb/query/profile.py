"""A district's profile (the debate pack): every table of /profile/<teryt>, its PDF and spreadsheet.

Read only through the data gateway's public functions with the caller's audience (districts,
district_table, categories, totals, timeseries, week_heatmap; police_units for the police), so the
public rules hold exactly as on the dashboard and in the API: the district's headline row is the
/api/v1/districts row of the same filters with compare=previous.

- Period: `from`/`to`, by default the last 12 complete months of the data, compared with the
  previous equal period (kmzb.query.queries.previous_period: 12 whole months before).
- Peer group: districts of the same level and kind (gmina: urban / rural / urban-rural from the
  last TERYT digit; powiat: city with powiat rights or land powiat) in the same population class,
  in all of Poland, the district itself left out; its figures are the sums of its members.
- Changes: the period's count against the comparison period's, two Poisson counts compared by the
  exact conditional test (given n = a + b, a ~ binomial(n, d_a / (d_a + d_b)) under equal daily
  rates; scipy.stats.binomtest), Benjamini–Hochberg within each table (statsmodels).
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

from kmzb import reference, teryt
from kmzb.query import cells as cells_mod
from kmzb.query.cells import OUTCOMES, Cells, grouped, positions, visible
from kmzb.query.filters import Filters
from kmzb.query.queries import (
    PUBLIC,
    category_counts,
    district_counts,
    filter_where,
    judged_sql,
    previous_period,
    totals_of,
    where,
)
from kmzb.stats import binom_two_sided, wilson

ALPHA = 0.05
# population classes (lower bounds) per level, for the peer group
POP_CLASSES = {
    "gmina": (0, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000),
    "powiat": (0, 50_000, 100_000, 200_000, 400_000),
    "voivodeship": (0, 1_500_000, 2_500_000, 4_000_000),
}
GMINA_KINDS = {"1": "urban", "2": "rural", "3": "urban-rural"}
HEADLINE = ["scope", "teryt", "name", "population", "reports", "reports_per_10k", "confirmed", "resolved",
            "confirmation_rate", "ci_low", "ci_high", "pending", "median_days_to_verification",
            "reports_previous", "change", "change_pct"]
CATEGORY = ["code", "label_pl", "label_en", "group", "reports", "reports_per_10k", "confirmed", "resolved",
            "confirmation_rate", "ci_low", "ci_high", "reports_previous", "change_pct", "rate_ratio", "p_value",
            "p_adjusted", "significant"]
UNIT = ["teryt", "name", "population", "reports", "reports_per_10k", "confirmed", "confirmation_rate", "ci_low",
        "ci_high", "pending", "reports_previous", "change_pct", "rate_ratio", "p_value", "p_adjusted", "significant"]


class NotADistrict(LookupError):
    """A well-formed code that names no district."""


@dataclass
class Profile:
    teryt: str
    level: str
    name: str
    label: str
    kind: str                      # gmina: urban | rural | urban-rural; powiat: city | land; voivodeship
    population: int
    f: Filters                     # the period (no region: the tables pick rows)
    prev: Filters                  # the comparison period
    data_date: str | None
    audience: str
    parents: list[tuple[str, str]]  # (teryt, label) from the voivodeship down
    headline: pd.DataFrame
    peer: dict                     # how the peer group is built: kind, population class, members
    categories: pd.DataFrame
    trend: pd.DataFrame            # month, reports, confirmed, reports_year_before
    week: pd.DataFrame             # day, time_of_day, reports
    units: pd.DataFrame            # the parts (powiat, voivodeship) or the neighbours (gmina), ranked
    units_kind: str                # "parts" | "neighbours"
    map_codes: dict = field(default_factory=dict)  # level, focus, coloured codes, context codes
    workload: pd.DataFrame | None = None  # police only

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table of the profile, in page order (the spreadsheet's sheets)."""
        out = {"headline": self.headline, "categories": self.categories, "trend": self.trend,
               "week": self.week, "units": self.units,
               "changes_categories": significant(self.categories, "code"),
               "changes_units": significant(self.units, "teryt")}
        if self.workload is not None:
            out["workload"] = self.workload
        return out


# ---------------------------------------------------------------- period

def month_end(d: date) -> date:
    return d.replace(day=monthrange(d.year, d.month)[1])


def add_months(d: date, n: int) -> date:
    m = d.year * 12 + d.month - 1 + n
    return date(m // 12, m % 12 + 1, 1)


def default_period(data_to: date | None, today: date | None = None) -> tuple[date, date]:
    """The last 12 complete months of the data: ending with the data's last day's month when that day
    is the month's last, else with the month before."""
    last = data_to or today or date.today()
    end = last if last == month_end(last) else last.replace(day=1) - timedelta(days=1)
    return add_months(end.replace(day=1), -11), end


# ---------------------------------------------------------------- classification

def kind_of(code: str) -> str:
    level = teryt.level_of(code)
    if level == "gmina":
        return GMINA_KINDS.get(code[-1], "other")
    if level == "powiat":
        return "city" if int(code[2:4]) >= 61 else "land"
    return "voivodeship"


def pop_class(population: float, level: str) -> tuple[int, int | None]:
    bounds = POP_CLASSES[level]
    i = int(np.searchsorted(bounds, population, side="right")) - 1
    return bounds[i], bounds[i + 1] if i + 1 < len(bounds) else None


# ---------------------------------------------------------------- statistics

def poisson_change(after, before, days_after: int, days_before: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rate ratio, two-sided exact p, BH-adjusted p) of each pair of counts; p is NaN where both are 0."""
    # imported here, not at import (as scipy.stats in kmzb.stats.binom_two_sided)
    from statsmodels.stats.multitest import multipletests

    a, b = np.asarray(after, dtype=np.int64), np.asarray(before, dtype=np.int64)
    share = days_after / (days_after + days_before)
    p = binom_two_sided(a, a + b, share)
    adjusted = np.full(len(p), np.nan)
    tested = ~np.isnan(p)
    if tested.any():
        adjusted[tested] = multipletests(p[tested], method="fdr_bh")[1]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(b > 0, a / b * (days_before / days_after), np.where(a > 0, np.inf, np.nan))
    return ratio, p, adjusted


def _change_pct(now, before) -> np.ndarray:
    now, before = np.asarray(now, dtype=float), np.asarray(before, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.round(np.where(before > 0, (now - before) / before, np.nan), 4)


def _with_tests(df: pd.DataFrame, now: str, before: str, f: Filters, prev: Filters) -> pd.DataFrame:
    ratio, p, adj = poisson_change(df[now], df[before], _days(f), _days(prev))
    return df.assign(change_pct=_change_pct(df[now], df[before]), rate_ratio=np.round(ratio, 4), p_value=p,
                     p_adjusted=adj, significant=np.nan_to_num(adj, nan=1.0) < ALPHA)


def _days(f: Filters) -> int:
    return (f.date_to - f.date_from).days + 1


def significant(df: pd.DataFrame, key: str, n: int = 5) -> pd.DataFrame:
    """The largest significant rises and falls (by the rate ratio), rises first."""
    sig = df[df["significant"]]
    if sig.empty:
        return sig
    size = np.abs(np.log(sig["rate_ratio"].astype(float).clip(1e-9, 1e9)))
    sig = sig.assign(direction=np.where(sig["rate_ratio"] > 1, "rise", "fall"), _size=size)
    rises = sig[sig["direction"] == "rise"].sort_values(["_size", key], ascending=[False, True]).head(n)
    falls = sig[sig["direction"] == "fall"].sort_values(["_size", key], ascending=[False, True]).head(n)
    return pd.concat([rises, falls]).drop(columns="_size").reset_index(drop=True)


# ---------------------------------------------------------------- the profile

def _row(table: pd.DataFrame, code: str) -> pd.Series:
    hit = table.loc[table["teryt"] == code]
    if hit.empty:
        raise NotADistrict(code)
    return hit.iloc[0]


def _headline_row(scope: str, r) -> dict:
    out = {c: r.get(c) for c in HEADLINE if c != "scope"}
    out["scope"] = scope
    return out


def _sum_row(scope: str, name: str, rows: pd.DataFrame) -> dict:
    s = {c: int(pd.to_numeric(rows[c], errors="coerce").fillna(0).sum())
         for c in ("population", "reports", "confirmed", "resolved", "pending", "reports_previous")}
    rate, lo, hi = wilson([s["confirmed"]], [s["resolved"]])
    ok = s["resolved"] > 0
    return {"scope": scope, "teryt": "", "name": name, **s,
            "reports_per_10k": round(s["reports"] / s["population"] * 1e4, 2) if s["population"] else None,
            "confirmation_rate": round(float(rate[0]), 4) if ok else None,
            "ci_low": round(float(lo[0]), 4) if ok else None, "ci_high": round(float(hi[0]), 4) if ok else None,
            "median_days_to_verification": None,
            "change": s["reports"] - s["reports_previous"]}


def build(gw, code: str, date_from: date | None = None, date_to: date | None = None,
          audience: str = PUBLIC) -> Profile:
    """The profile of the district `code` (2, 4 or 7 digits) for the period (default: the last 12
    complete months); raises NotADistrict for a code that names none.

    Few passes over the reports (the speed target is at 3 million): the period's and the comparison
    period's (gmina, category, status) cells (the gateway's `cells`, shared with the dashboard)
    serve the headline of every level, the peers, the units and the district's categories; one
    query gives the medians of days to verification (district, parents, Poland); one grouped query
    over the district's reports gives the monthly series and the week heatmap."""
    level = teryt.level_of(code)
    if level is None:
        raise NotADistrict(code)
    meta = gw.meta(audience)
    data_to = date.fromisoformat(meta["date_to"]) if meta.get("date_to") else None
    if date_from is None or date_to is None:
        d_from, d_to = default_period(data_to)
        date_from, date_to = date_from or d_from, date_to or d_to
    f = Filters(date_from=date_from, date_to=date_to)
    prev = previous_period(f, "previous")

    # the whole level (the peers, a gmina's neighbours); each parent its own row only
    tables = {lvl: level_table(gw, f, prev, lvl, audience, teryt.prefix(code, lvl))
              for lvl in teryt.LEVELS[:teryt.LEVELS.index(level)]}
    tables[level] = level_table(gw, f, prev, level, audience)
    own = _row(tables[level], code)
    static = gw.districts_table(level)
    label = str(_row(static, code)["label"])
    population = int(own["population"])
    kind = kind_of(code)
    medians = q_medians(gw, f, code, audience)

    rows = [_headline_row("district", {**own, "median_days_to_verification": medians[level]})]
    parents = []
    for lvl in teryt.LEVELS[:teryt.LEVELS.index(level)][::-1]:
        p = _row(tables[lvl], teryt.prefix(code, lvl))
        rows.append(_headline_row(lvl, {**p, "median_days_to_verification": medians[lvl]}))
        parents.insert(0, (p["teryt"], str(_row(gw.districts_table(lvl), p["teryt"])["label"])))
    nat = totals_of(gw.categories(f, audience), {"median_days_to_verification": medians["poland"]})
    nat_prev = totals_of(gw.categories(prev, audience))["reports"]
    pl_pop = int(gw.districts_table("voivodeship")["population"].sum())
    rows.append({"scope": "poland", "teryt": "", "name": "Polska", "population": pl_pop,
                 **{c: nat.get(c) for c in ("reports", "confirmed", "resolved", "confirmation_rate", "ci_low",
                                            "ci_high", "pending", "median_days_to_verification")},
                 "reports_per_10k": round(nat["reports"] / pl_pop * 1e4, 2), "reports_previous": nat_prev,
                 "change": nat["reports"] - nat_prev})
    # the peer group: same level, kind and population class, the district left out
    table = tables[level]
    lo, hi = pop_class(population, level)
    kinds = table["teryt"].map(kind_of)
    pops = table["population"].astype(float)
    members = table[(kinds == kind) & (pops >= lo) & ((pops < hi) if hi else True) & (table["teryt"] != code)]
    peer = {"level": level, "kind": kind, "pop_low": lo, "pop_high": hi, "members": len(members)}
    rows.append(_sum_row("peer", "peer", members))
    headline = pd.DataFrame(rows)
    headline["change_pct"] = _change_pct(headline["reports"], headline["reports_previous"])
    headline = headline[HEADLINE]

    # categories of the district, ranked by confirmed reports: its part of the period's cells
    cats = q_categories(gw, f, code, audience)
    before = q_categories(gw, prev, code, audience).set_index("code")["reports"]
    cats = cats.assign(reports_previous=cats["code"].map(before).fillna(0).astype(np.int64),
                       reports_per_10k=np.round(cats["reports"] / population * 1e4, 2) if population else np.nan)
    cats = _with_tests(cats, "reports", "reports_previous", f, prev)
    cats = cats[(cats["reports"] + cats["reports_previous"]) > 0]
    cats = cats.sort_values(["confirmed", "reports", "code"], ascending=[False, False, True], kind="stable")
    cats = cats[CATEGORY].reset_index(drop=True)

    # trend: 24 months to the period's end, with the same months a year earlier; the week heatmap
    start = add_months(date_to.replace(day=1), -23)
    months, monthly, week = q_series_and_week(gw, f, code, add_months(start, -12), audience)
    # months before the data's first month are unknown, not zero
    first = date.fromisoformat(meta["date_from"]).replace(day=1) if meta.get("date_from") else date.min
    by_month = {m: int(n) for m, n in zip(months, monthly["reports"]) if m >= first}
    trend = pd.DataFrame({"month": months, "reports": monthly["reports"], "confirmed": monthly["confirmed"]})
    trend = trend[trend["month"] >= start].astype({"reports": object, "confirmed": object})
    known = trend["month"] >= first
    trend.loc[~known, ["reports", "confirmed"]] = None
    trend["reports_year_before"] = [by_month.get(add_months(m, -12)) for m in trend["month"]]
    trend = trend.reset_index(drop=True)

    # the parts of a powiat / voivodeship, or a gmina and its neighbours
    neighbours = _neighbours(gw, level, code)
    if level == "gmina":
        sub_level, units_kind = "gmina", "neighbours"
        units = tables["gmina"][tables["gmina"]["teryt"].isin([code, *neighbours])]
    else:
        sub_level, units_kind = teryt.next_level(level), "parts"
        units = level_table(gw, f, prev, sub_level, audience, code)
    units = _with_tests(units.reset_index(drop=True), "reports", "reports_previous", f, prev)
    units = units.sort_values(["reports_per_10k", "teryt"], ascending=[False, True], kind="stable")[UNIT]
    units = units.reset_index(drop=True)

    workload = None
    if audience != PUBLIC:
        workload = gw.police_units(f.replace(teryt=code))

    return Profile(
        teryt=code, level=level, name=str(own["name"]), label=label, kind=kind, population=population, f=f,
        prev=prev, data_date=meta.get("date_to"), audience=audience, parents=parents, headline=headline,
        peer=peer, categories=cats, trend=trend, week=week, units=units, units_kind=units_kind,
        map_codes={"level": sub_level, "focus": code, "coloured": units["teryt"].tolist(),
                   "context_level": level, "context": neighbours},
        workload=workload)


# ---------------------------------------------------------------- the profile's queries
# Each gives exactly what the gateway's public function named in its docstring gives (tests prove
# it), from fewer passes over the reports; the public rules are the same code (kmzb.query.cells,
# queries.where).

def level_table(gw, f: Filters, prev: Filters, level: str, audience: str, within: str | None = None) -> pd.DataFrame:
    """`gw.district_table(f, level, "previous")` without the columns the profile does not show
    (small-area statistics, top category, median days): the district counts of both periods, added
    up from the gateway's cells; `within`: only the rows of the level inside that district (counted
    from its part of the cells alone)."""
    if within is None:
        out = gw.districts(f, level, audience)
        before = gw.districts(prev, level, audience)
    else:
        table = gw.districts_table(level)
        out, before = (district_counts(None, p.replace(teryt=within), level, table, audience,
                                       cells_mod.within(gw.cells(p), within)) for p in (f, prev))
    out["reports_previous"] = before["reports"].to_numpy()
    out["change"] = out["reports"] - out["reports_previous"]
    out["change_pct"] = _change_pct(out["reports"], out["reports_previous"])
    return out.reset_index(drop=True)


def q_categories(gw, f: Filters, code: str, audience: str) -> pd.DataFrame:
    """`gw.categories(f.replace(teryt=code))` from the period's cells of all Poland."""
    return category_counts(None, f.replace(teryt=code), audience, cells_mod.within(gw.cells(f), code))


_DAYS_SQL = "epoch(resolved_at - created_at) / 86400.0"


def q_medians(gw, f: Filters, code: str, audience: str) -> dict:
    """Median days to verification of the district, each of its parents (as district_extras gives
    them: rounded in SQL) and Poland (as totals_extra: rounded in Python), in one pass."""
    cur, _ = gw.cursor()
    w, params = where(f, audience)
    levels = teryt.LEVELS[:teryt.LEVELS.index(teryt.level_of(code)) + 1]
    cols = ", ".join(f"round(median({_DAYS_SQL}) FILTER (WHERE {lvl} = ?), 2)" for lvl in levels)
    row = cur.execute(f"""SELECT median({_DAYS_SQL}), {cols} FROM reports
        WHERE {w} AND observed_pending AND resolved_at IS NOT NULL AND {judged_sql(cur)}""",
                      [teryt.prefix(code, lvl) for lvl in levels] + params).fetchone()
    out = {"poland": None if row[0] is None else round(float(row[0]), 2)}
    for lvl, v in zip(levels, row[1:]):
        out[lvl] = np.nan if v is None else float(v)
    return out


def q_series_and_week(gw, f: Filters, code: str, series_from: date,
                      audience: str) -> tuple[list[date], dict[str, np.ndarray], pd.DataFrame]:
    """The district's monthly counts from `series_from`'s month to f.date_to's (as
    `gw.timeseries(..., "month")`: {reports, confirmed}) and the period's week heatmap (as
    `gw.week_heatmap(f.replace(teryt=code))`), from one grouped query over the district's reports."""
    cur, _ = gw.cursor()
    cats, sts, outcome_enum = gw.enums()
    lo = min(series_from, f.date_from)
    w, params = filter_where(Filters(date_from=lo, date_to=f.date_to, teryt=code))
    in_week = "created_date >= ? AND days_mask > 0 AND times_mask > 0"
    r = cur.execute(f"""
        SELECT grouping(d) AS by_masks, (coalesce(d, DATE '1970-01-01') - DATE '1970-01-01')::BIGINT AS day,
               enum_code(category) AS cat, enum_code(outcome) AS o, coalesce(dm, 0) AS dm, coalesce(tm, 0) AS tm,
               count(*) AS n
        FROM (SELECT created_date AS d, category, outcome,
                     CASE WHEN {in_week} THEN days_mask ELSE 0 END AS dm,
                     CASE WHEN {in_week} THEN times_mask ELSE 0 END AS tm
              FROM reports WHERE {w})
        GROUP BY GROUPING SETS ((d, category, outcome), (category, outcome, dm, tm))""",
                    [f.date_from, f.date_from] + params).fetchnumpy()
    remap = np.array([OUTCOMES.index(o) for o in outcome_enum], dtype=np.int64)
    o = np.asarray(r["o"], dtype=np.int64)
    cells = Cells(np.asarray(r["day"], dtype=np.int64), np.asarray(r["cat"], dtype=np.int64),
                  remap[o] if len(o) else o, np.full(len(o), -1, dtype=np.int64), np.asarray(r["n"], dtype=np.float64),
                  cats, sts)
    ok = visible(cells, audience)
    by_masks = np.asarray(r["by_masks"], dtype=np.int64) == 1
    # the series: day cells grouped by month
    months = pd.date_range(pd.Timestamp(series_from.replace(day=1)), pd.Timestamp(f.date_to), freq="MS")
    month_no = months.values.astype("datetime64[M]").astype(np.int64)
    day_month = cells.key.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    at = np.where(~by_masks & (cells.key >= np.datetime64(series_from, "D").astype(np.int64)),
                  positions(day_month, month_no), -1)
    g = grouped(cells, at, len(months), audience)
    monthly = {"reports": g["reports"], "confirmed": g["confirmed"]}
    # the week: each visible report counts in every (day, time of day) it names
    dm, tm, n = (np.asarray(r[c], dtype=np.int64)[ok & by_masks] for c in ("dm", "tm", "n"))
    grid = np.zeros((len(reference.DAYS), len(reference.TIMES_OF_DAY)), dtype=np.int64)
    for i in range(len(reference.DAYS)):
        for j in range(len(reference.TIMES_OF_DAY)):
            grid[i, j] = int(n[((dm >> i) & 1).astype(bool) & ((tm >> j) & 1).astype(bool)].sum())
    week = pd.DataFrame([(d, t, int(grid[i, j])) for i, d in enumerate(reference.DAYS)
                         for j, t in enumerate(reference.TIMES_OF_DAY)], columns=["day", "time_of_day", "reports"])
    return [m.date() for m in months], monthly, week


def _neighbours(gw, level: str, code: str) -> list[str]:
    """The same level's districts that touch this one (queen contiguity of the map's boundaries)."""
    table = gw.districts_table(level)
    codes = table["teryt"].tolist()
    try:
        i = codes.index(code)
        return [codes[j] for j in gw.level_weights(level)["neighbors"][i]]
    except (ValueError, IndexError, KeyError, OSError):
        return []


def category_groups() -> dict[str, str]:
    return {c.code: c.group for c in reference.categories()}
