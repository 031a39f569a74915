"""The view in one plain sentence (PL / EN), from the same numbers as the KPIs. No Dash, no I/O.

"Kraków, w ostatnich 30 dniach: 260 zgłoszeń w kategorii „Przekraczanie dozwolonej prędkości”,
o 10,0% mniej niż w poprzednim okresie (…); 3,3 na 10 tys. mieszkańców wobec 4,1 w całej Polsce."
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from kmzb.i18n import category_label, fmt_date, fmt_dec, fmt_pct, nt, translator

DAYS = {"7d": 7, "30d": 30, "90d": 90}


@dataclass(frozen=True)
class SummaryNumbers:
    preset: str
    date_from: date | None
    date_to: date | None
    reports: int
    place: str = ""  # the region's name; "" for all of Poland
    categories: tuple[str, ...] = ()
    compare: str = "previous"
    previous: int | None = None  # reports in the comparison period
    previous_from: date | None = None
    previous_to: date | None = None
    per10k: float | None = None  # the region's (or Poland's) reports per 10,000 inhabitants
    poland_per10k: float | None = None  # Poland's, when a region is shown
    no_categories: bool = False


def period_phrase(n: SummaryNumbers, lang: str) -> str:
    _ = translator(lang)
    if n.preset in DAYS:
        return _("in the last {n} days").format(n=DAYS[n.preset])
    if (n.date_from and n.date_to and n.date_from == date(n.date_from.year, 1, 1)
            and n.date_to == date(n.date_from.year, 12, 31)):
        return _("in {year}").format(year=n.date_from.year)
    if n.date_from and n.date_to:
        return _("from {start} to {end}").format(start=fmt_date(n.date_from, lang), end=fmt_date(n.date_to, lang))
    return ""


def change_phrase(n: SummaryNumbers, lang: str) -> str:
    _ = translator(lang)
    if n.previous is None or not n.previous_from or not n.previous_to:
        return ""
    dates = f"{fmt_date(n.previous_from, lang)} – {fmt_date(n.previous_to, lang)}"
    than = (_("a year earlier ({dates})") if n.compare == "year" else _("in the previous period ({dates})")).format(
        dates=dates)
    if n.previous == 0:
        return _("against none {comparison}").format(comparison=than) if n.reports else ""
    pct = (n.reports - n.previous) / n.previous
    if abs(pct) < 0.0005:
        return _("as many as {comparison}").format(comparison=than)
    word = _("{pct} more than {comparison}") if pct > 0 else _("{pct} fewer than {comparison}")
    return word.format(pct=fmt_pct(abs(pct), lang), comparison=than)


def _per10k(x: float, lang: str) -> str:
    return fmt_dec(x, lang, 1 if x >= 1 else 2)  # small rates keep two decimals (0,14, not 0,1)


def sentence(n: SummaryNumbers, lang: str) -> str:
    """The summary sentence; every number formatted for the language."""
    _ = translator(lang)
    if n.no_categories:
        return _("No category chosen: choose at least one to see numbers.")
    head = ", ".join(x for x in (n.place or _("Poland"), period_phrase(n, lang)) if x)
    count = nt(lang, "{n} report", "{n} reports", n.reports)
    if len(n.categories) == 1:
        count += " " + _("in the category “{category}”").format(category=category_label(n.categories[0], lang))
    parts = [count]
    change = change_phrase(n, lang)
    if change:
        parts[0] += ", " + change
    if n.per10k is not None:
        rate = _("{x} per 10,000 inhabitants").format(x=_per10k(n.per10k, lang))
        if n.place and n.poland_per10k is not None:
            rate = _("{rate} against {y} in all of Poland").format(rate=rate, y=_per10k(n.poland_per10k, lang))
        parts.append(rate)
    return f"{head}: " + "; ".join(parts) + "."
