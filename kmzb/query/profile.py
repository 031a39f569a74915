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
from scipy.stats import binomtest
from statsmodels.stats.multitest import multipletests

from kmzb import reference, teryt
from kmzb.query.filters import Filters
from kmzb.query.queries import PUBLIC, previous_period
from kmzb.stats import wilson

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
    a, b = np.asarray(after, dtype=np.int64), np.asarray(before, dtype=np.int64)
    share = days_after / (days_after + days_before)
    p = np.array([binomtest(int(x), int(x + y), share).pvalue if x + y > 0 else np.nan for x, y in zip(a, b)])
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
    complete months); raises NotADistrict for a code that names none."""
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

    tables = {lvl: gw.district_table(f, lvl, "previous", audience) for lvl in teryt.LEVELS[:teryt.LEVELS.index(level) + 1]}
    own = _row(tables[level], code)
    static = gw.districts_table(level)
    label = str(_row(static, code)["label"])
    population = int(own["population"])
    kind = kind_of(code)

    rows = [_headline_row("district", own)]
    parents = []
    for lvl in teryt.LEVELS[:teryt.LEVELS.index(level)][::-1]:
        p = _row(tables[lvl], teryt.prefix(code, lvl))
        rows.append(_headline_row(lvl, p))
        parents.insert(0, (p["teryt"], str(_row(gw.districts_table(lvl), p["teryt"])["label"])))
    nat = gw.totals(f, audience)
    nat_prev = gw.total_reports(prev, audience)
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

    # categories of the district, ranked by confirmed reports
    fd, pd_ = f.replace(teryt=code), prev.replace(teryt=code)
    cats = gw.categories(fd, audience)
    before = gw.categories(pd_, audience).set_index("code")["reports"]
    cats = cats.assign(reports_previous=cats["code"].map(before).fillna(0).astype(np.int64),
                       reports_per_10k=np.round(cats["reports"] / population * 1e4, 2) if population else np.nan)
    cats = _with_tests(cats, "reports", "reports_previous", f, prev)
    cats = cats[(cats["reports"] + cats["reports_previous"]) > 0]
    cats = cats.sort_values(["confirmed", "reports", "code"], ascending=[False, False, True], kind="stable")
    cats = cats[CATEGORY].reset_index(drop=True)

    # trend: 24 months to the period's end, with the same months a year earlier
    start = add_months(date_to.replace(day=1), -23)
    ts = gw.timeseries(Filters(date_from=add_months(start, -12), date_to=date_to, teryt=code), "month", audience)
    ts = ts.assign(period=pd.to_datetime(ts["period"]).dt.date)
    # months before the data's first month are unknown, not zero
    first = date.fromisoformat(meta["date_from"]).replace(day=1) if meta.get("date_from") else date.min
    by_month = {m: int(n) for m, n in zip(ts["period"], ts["reports"]) if m >= first}
    trend = ts[ts["period"] >= start][["period", "reports", "confirmed"]].astype({"reports": object,
                                                                                  "confirmed": object})
    known = trend["period"] >= first
    trend.loc[~known, ["reports", "confirmed"]] = None
    trend["reports_year_before"] = [by_month.get(add_months(m, -12)) for m in trend["period"]]
    trend = trend.rename(columns={"period": "month"}).reset_index(drop=True)

    week = gw.week_heatmap(fd, audience)

    # the parts of a powiat / voivodeship, or a gmina and its neighbours
    neighbours = _neighbours(gw, level, code)
    if level == "gmina":
        sub_level, units_kind = "gmina", "neighbours"
        units = tables["gmina"][tables["gmina"]["teryt"].isin([code, *neighbours])]
    else:
        sub_level, units_kind = teryt.next_level(level), "parts"
        sub = gw.district_table(f, sub_level, "previous", audience)
        units = sub[sub["teryt"].str.startswith(code)]
    units = _with_tests(units.reset_index(drop=True), "reports", "reports_previous", f, prev)
    units = units.sort_values(["reports_per_10k", "teryt"], ascending=[False, True], kind="stable")[UNIT]
    units = units.reset_index(drop=True)

    workload = None
    if audience != PUBLIC:
        workload = gw.police_units(fd)

    return Profile(
        teryt=code, level=level, name=str(own["name"]), label=label, kind=kind, population=population, f=f,
        prev=prev, data_date=meta.get("date_to"), audience=audience, parents=parents, headline=headline,
        peer=peer, categories=cats, trend=trend, week=week, units=units, units_kind=units_kind,
        map_codes={"level": sub_level, "focus": code, "coloured": units["teryt"].tolist(),
                   "context_level": level, "context": neighbours},
        workload=workload)


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
