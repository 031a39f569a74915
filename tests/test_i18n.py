"""Catalogues and locale formatting (kmzb.i18n)."""

from __future__ import annotations

import copy
import math
import re
import string
from datetime import date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kmzb import i18n, reference
from kmzb.config import PROJECT_ROOT
from kmzb.i18n import (
    category_label,
    day_label,
    fmt_date,
    fmt_dec,
    fmt_int,
    fmt_pct,
    fmt_signed_pct,
    group_label,
    normalise_lang,
    nt,
    outcome_label,
    source_label,
    status_label,
    t,
    time_label,
    translator,
)

# the layout's strings (the lead's list): all must be in the catalogues
UI_STRINGS = [
    "Threat map", "National Map of Security Threats — analytics", "Data as of {date}", "{n} reports", "Filters",
    "Categories", "All", "None", "Search categories…", "Date range", "Last 7 days", "Last 30 days", "Last 90 days",
    "This year", "Last year", "Everything", "Compare with", "Previous period", "Same period a year earlier",
    "Outcome", "Status", "Channel", "Region", "All of Poland", "Level", "Voivodeships", "Powiats", "Gminas",
    "Voivodeship", "Powiat", "Gmina", "Metric", "Reports", "Reports per 10,000 inhabitants", "Confirmation rate",
    "Pending", "Confirmed", "Unconfirmed", "Resolved", "Change vs comparison period", "95% interval {low}–{high}",
    "too few resolved reports for a stable rate", "no data", "Poland", "Back", "Download CSV", "Download PNG",
    "District table", "TERYT", "Name", "Population", "Per 10,000", "Top category", "Median days to verification",
    "Change", "Change %", "Language", "Reset filters", "Loading…", "Reports and confirmation rate over time",
    "Confirmation rate by category", "With 95% Wilson intervals", "Districts ranked by confirmation rate",
    "Verification speed", "Read within 2 days, verified within 5 days",
    "When threats occur: day of week × time of day", "Only districts with at least {n} resolved reports",
    "Read within 2 days", "Verified within 5 days", "Share", "Period", "Day of week", "Time of day",
    "Nothing matches these filters",
    "Data: KMZB nightly extract; population GUS BDL 31.12.2024; boundaries GUGiK PRG", "Open the API",
    "Click a district to drill down", "Hover over a district", "Eliminated", "of confirmed", "vs {period}",
]
# the same in Polish for words that stay the same (names, codes)
SAME_IN_POLISH = {"Status", "TERYT", "Powiat", "Gmina"}


def _code_msgids() -> set[str]:
    """String literals passed to _(...) or t(lang, ...) in the dashboard's figure and i18n code."""
    found = set()
    for path in (PROJECT_ROOT / "dashboard" / "figures.py", PROJECT_ROOT / "kmzb" / "i18n.py"):
        src = path.read_text(encoding="utf-8")
        found |= set(re.findall(r'\b_\("((?:[^"\\]|\\.)+)"\)', src))
        found |= set(re.findall(r'\bt\(\s*lang,\s*"((?:[^"\\]|\\.)+)"', src))
    return found


def _table_msgids() -> set[str]:
    return {*i18n.GROUPS.values(), *i18n.DAY_MSGIDS.values(), *i18n.TIME_MSGIDS.values(),
            *i18n.OUTCOME_MSGIDS.values(), *i18n.SOURCE_MSGIDS.values()}


def _fields(s: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(s) if f is not None}


def _norm(s: str) -> str:
    return re.sub(r"[\s\u00a0\u202f]", " ", s)


# ---------------------------------------------------------------- catalogues

def test_code_msgids_are_found():
    ids = _code_msgids()
    assert "Confirmation rate by category" in ids and "With 95% Wilson intervals" in ids
    assert "Only districts with at least {n} resolved reports" in ids
    assert len(ids) > 20


@pytest.mark.parametrize("msgid", sorted(set(UI_STRINGS) | _code_msgids() | _table_msgids()))
def test_every_msgid_is_translated_to_polish(msgid):
    pl = i18n._messages("pl")
    assert msgid in pl, f"missing from the pl catalogue: {msgid!r}"
    assert pl[msgid].strip()
    assert msgid in i18n.msgids("en"), f"missing from the en catalogue: {msgid!r}"


def test_polish_translations_keep_placeholders_and_differ():
    for msgid, msgstr in i18n._messages("pl").items():
        if isinstance(msgid, tuple):
            assert all(_fields(s) == _fields(msgid[0]) for s in msgstr)
            continue
        assert _fields(msgstr) == _fields(msgid), msgid
        if msgid not in SAME_IN_POLISH:
            assert msgstr != msgid, f"untranslated: {msgid!r}"


def test_catalogues_hold_the_same_msgids():
    assert i18n.msgids("pl") == i18n.msgids("en")


def test_translator_and_fallbacks():
    _ = translator("pl")
    assert _("Reports") == "Zgłoszenia"
    assert _("Threat map") == "Mapa zagrożeń"
    assert _("Nothing matches these filters") == "Brak danych dla wybranych filtrów"
    assert _("not in any catalogue") == "not in any catalogue"
    assert translator("en")("Reports") == "Reports"  # empty msgstr -> msgid
    assert translator("de")("Reports") == "Zgłoszenia"  # unknown language -> Polish
    assert translator(None)("Reports") == "Zgłoszenia"


def test_t_formats_after_translating():
    assert t("pl", "Data as of {date}", date="25 lis 2026") == "Dane na dzień 25 lis 2026"
    assert t("en", "Data as of {date}", date="25 Nov 2026") == "Data as of 25 Nov 2026"
    assert t("pl", "Only districts with at least {n} resolved reports", n=30) == \
        "Tylko jednostki z co najmniej 30 rozstrzygniętymi zgłoszeniami"
    assert t("pl", "{n} reports") == "Liczba zgłoszeń: {n}"  # no kwargs: left as is


@pytest.mark.parametrize("n, expected", [(1, "1 zgłoszenie"), (2, "2 zgłoszenia"), (4, "4 zgłoszenia"),
                                         (5, "5 zgłoszeń"), (12, "12 zgłoszeń"), (22, "22 zgłoszenia"),
                                         (25, "25 zgłoszeń"), (0, "0 zgłoszeń")])
def test_polish_plurals(n, expected):
    assert nt("pl", "{n} report", "{n} reports", n) == expected


def test_english_plurals():
    assert nt("en", "{n} report", "{n} reports", 1) == "1 report"
    assert _norm(nt("en", "{n} report", "{n} reports", 1234)) == "1,234 reports"


@pytest.mark.parametrize("value, expected", [("pl", "pl"), ("en", "en"), ("EN", "en"), ("en-GB", "en"),
                                             ("en_GB", "en"), ("de", "pl"), ("", "pl"), (None, "pl"), (3, "pl")])
def test_normalise_lang(value, expected):
    assert normalise_lang(value) == expected


# ---------------------------------------------------------------- numbers and dates

def test_fmt_int():
    pl = fmt_int(1234567, "pl")
    assert "," not in pl and "." not in pl
    assert _norm(pl) == "1 234 567"
    assert fmt_int(1234567, "en") == "1,234,567"
    assert fmt_int(12.6, "en") == "13"
    assert fmt_int(None, "pl") == fmt_int(math.nan, "en") == "–"


def test_fmt_dec():
    assert fmt_dec(12.345, "pl") == "12,3"
    assert fmt_dec(12.346, "en", digits=2) == "12.35"
    assert _norm(fmt_dec(1234.5, "pl")) == "1 234,5"
    assert fmt_dec(2, "en", digits=0) == "2"
    assert fmt_dec(None, "en") == "–"


def test_fmt_pct():
    assert _norm(fmt_pct(0.523, "pl")).replace(" ", "") == "52,3%"
    assert fmt_pct(0.523, "en") == "52.3%"
    assert fmt_pct(0.5, "en", digits=0) == "50%"
    assert fmt_pct(1, "en") == "100.0%"
    assert fmt_pct(None, "pl") == fmt_pct(float("nan"), "pl") == "–"


def test_fmt_signed_pct():
    assert _norm(fmt_signed_pct(0.123, "pl")).replace(" ", "") == "+12,3%"
    assert fmt_signed_pct(0.123, "en") == "+12.3%"
    assert fmt_signed_pct(-0.05, "en") in ("-5.0%", "\u22125.0%")
    assert fmt_signed_pct(0, "en") == "0.0%"
    assert fmt_signed_pct(None, "en") == "–"


def test_fmt_date():
    assert fmt_date(date(2026, 11, 25), "pl") == "25 lis 2026"
    assert fmt_date(date(2026, 11, 25), "en") == "25 Nov 2026"
    assert fmt_date("2026-11-25", "pl") == "25 lis 2026"
    assert fmt_date(datetime(2026, 11, 25, 23, 59), "en") == "25 Nov 2026"
    assert fmt_date(None, "pl") == "–"


# ---------------------------------------------------------------- labels

def test_category_and_status_labels_come_from_reference():
    assert category_label("przekraczanie-dozwolonej-predkosci", "en") == "Speeding"
    assert category_label("przekraczanie-dozwolonej-predkosci", "pl") == "Przekraczanie dozwolonej prędkości"
    assert category_label("no-such-code", "en") == "no-such-code"
    for c in reference.categories():
        assert category_label(c.code, "pl") == c.label_pl
        assert category_label(c.code, "en") == c.label_en
    assert status_label("zart-lub-pomylka", "pl") == "Żart lub pomyłka"
    assert status_label("zart-lub-pomylka", "en") == "Joke or mistake"


def test_group_labels_cover_every_group():
    for group in {c.group for c in reference.categories()}:
        pl, en = group_label(group, "pl"), group_label(group, "en")
        assert pl != group and en != group and pl != en
    assert group_label("road-safety", "pl") == "Bezpieczeństwo ruchu drogowego"
    assert group_label("road-safety", "en") == "Road safety"


def test_day_and_time_labels():
    assert [day_label(d, "pl") for d in reference.DAYS] == list(reference.DAYS)
    assert [day_label(d, "en") for d in reference.DAYS] == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    assert [time_label(x, "pl") for x in reference.TIMES_OF_DAY] == list(reference.TIMES_OF_DAY)
    assert [time_label(x, "en") for x in reference.TIMES_OF_DAY] == ["morning", "day", "evening", "night"]


def test_outcome_and_source_labels():
    assert [outcome_label(o, "pl") for o in reference.OUTCOMES] == ["oczekujące", "potwierdzone", "niepotwierdzone"]
    assert [outcome_label(o, "en") for o in reference.OUTCOMES] == ["pending", "confirmed", "unconfirmed"]
    assert [source_label(s, "pl") for s in reference.SOURCES] == ["internet", "debata społeczna",
                                                                   "kontakt z dzielnicowym"]
    assert [source_label(s, "en") for s in reference.SOURCES] == ["online", "public safety debate",
                                                                   "contact with a community officer"]


@settings(max_examples=400, deadline=None)
@given(x=st.one_of(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False),
                   st.integers(min_value=-10**9, max_value=10**9).map(float),
                   st.integers(min_value=0, max_value=10**6).map(lambda i: i / 1000),  # ties like 2.675
                   st.sampled_from([0.0, -0.0, 0.125, 0.135, 2.675, 0.0005, -0.0001, 999999.995])),
       lang=st.sampled_from(["pl", "en"]), digits=st.integers(min_value=0, max_value=3))
def test_fast_number_formatting_equals_babel(x, lang, digits):
    """The fast formatter behind fmt_int / fmt_dec / fmt_pct gives exactly Babel's CLDR output."""
    from kmzb.i18n import _locale, fast_number

    def babel(pattern) -> str:  # the locale's standard pattern with exactly `digits` fraction digits
        p = copy.copy(pattern)
        p.frac_prec = (digits, digits)
        return p.apply(x, _locale(lang))

    assert fast_number(x, lang, digits) == babel(_locale(lang).decimal_formats[None])
    if abs(x) < 1e7:
        assert fast_number(x, lang, digits, percent=True) == babel(_locale(lang).percent_formats[None])
