"""Issue 12C: partial periods, tiny samples, explained blanks, controls that do what they say,
legends for empty and tiny data, the summary sentence."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from dash import no_update

from callbacks import sync, views
from dashboard import figures, ids, summary
from dashboard.state import DEFAULT, from_query, map_scope, preset_range, to_query
from kmzb.query.filters import make_filters
from kmzb.query.queries import previous_period

from .conftest import DEMO_END as END
from .conftest import demo_on_shared
from .test_figures import speed, with_rates

pytestmark = pytest.mark.integration  # the last tests read a real demo store


def data_range():
    return date(2026, 7, 28), END


def prev(a: date, b: date, mode="previous") -> tuple[date, date]:
    p = previous_period(make_filters(date_from=a, date_to=b), mode)
    return p.date_from, p.date_to


# ---------------------------------------------------------------- comparison periods and presets

def test_last_year_is_compared_with_the_year_before_leap_or_not():
    assert prev(date(2024, 1, 1), date(2024, 12, 31)) == (date(2023, 1, 1), date(2023, 12, 31))
    assert prev(date(2025, 1, 1), date(2025, 12, 31)) == (date(2024, 1, 1), date(2024, 12, 31))


def test_quarter_and_month_are_compared_with_the_one_before():
    assert prev(date(2026, 7, 1), date(2026, 9, 30)) == (date(2026, 4, 1), date(2026, 6, 30))
    assert prev(date(2026, 1, 1), date(2026, 3, 31)) == (date(2025, 10, 1), date(2025, 12, 31))
    assert prev(date(2026, 3, 1), date(2026, 3, 31)) == (date(2026, 2, 1), date(2026, 2, 28))
    assert prev(date(2024, 3, 1), date(2024, 3, 31)) == (date(2024, 2, 1), date(2024, 2, 29))
    # not whole months: the same number of days just before; a year earlier stays a year earlier
    assert prev(date(2026, 10, 26), date(2026, 11, 24)) == (date(2026, 9, 26), date(2026, 10, 25))
    assert prev(date(2026, 7, 1), date(2026, 9, 30), "year") == (date(2025, 7, 1), date(2025, 9, 30))


def test_quarter_preset_is_the_last_complete_quarter():
    assert preset_range("quarter", date(2026, 11, 24), None) == (date(2026, 7, 1), date(2026, 9, 30))
    assert preset_range("quarter", date(2026, 9, 30), None) == (date(2026, 7, 1), date(2026, 9, 30))
    assert preset_range("quarter", date(2026, 1, 5), None) == (date(2025, 10, 1), date(2025, 12, 31))
    assert from_query("?preset=quarter").preset == "quarter"


def test_one_date_beyond_the_data_gives_that_day_not_an_error():
    """?to= before the data starts (or ?from= after it ends): the other end would come from the data and
    lie on the wrong side; the view is that one day (nothing in it), never a reversed range."""
    lo, hi = date(2026, 3, 30), date(2026, 11, 24)
    assert preset_range("custom", hi, lo, "", "2000-01-01") == (date(2000, 1, 1), date(2000, 1, 1))
    assert preset_range("custom", hi, lo, "2030-05-01", "") == (date(2030, 5, 1), date(2030, 5, 1))
    assert preset_range("custom", hi, lo, "2026-05-01", "") == (date(2026, 5, 1), hi)


# ---------------------------------------------------------------- partial periods

def weeks() -> pd.DataFrame:
    # weeks from Monday 5 Jan; the range covers 7 Jan .. 2 Feb (Mon): the first and last weeks are partial
    return with_rates(pd.DataFrame({
        "period": ["2026-01-05", "2026-01-12", "2026-01-19", "2026-01-26", "2026-02-02"],
        "confirmed": [10, 20, 15, 5, 0], "unconfirmed": [10, 5, 5, 5, 3], "pending": [1, 2, 3, 0, 9]}))


def test_partial_periods_found_at_both_ends():
    p = weeks()["period"]
    assert figures.partial_periods(p, "week", date(2026, 1, 7), date(2026, 2, 2)).tolist() == \
        [True, False, False, False, True]
    assert not figures.partial_periods(p, "week", date(2026, 1, 5), date(2026, 2, 8)).any()
    months = ["2026-10-01", "2026-11-01"]
    assert figures.partial_periods(months, "month", date(2026, 10, 1), date(2026, 11, 24)).tolist() == [False, True]
    assert not figures.partial_periods(["2026-01-05"], "day", date(2026, 1, 6), None).any()


def test_timeline_never_draws_a_partial_period_as_a_fall():
    fig = figures.timeline(weeks(), "pl", "week", date(2026, 1, 7), date(2026, 2, 2))
    bars, band, line, hollow = fig["data"]
    # the rate line leaves the partial periods out (no fall to 0% in a one-day week) ...
    assert line["y"][0] is None and line["y"][-1] is None and line["y"][1] == pytest.approx(0.8)
    assert None not in line["y"][1:4]
    # ... which are hollow points of their own, named in the language
    assert hollow["marker"]["symbol"] == "circle-open" and hollow["name"] == "niepełny okres"
    assert hollow["x"] == ["2026-01-05", "2026-02-02"] and hollow["y"][1] == pytest.approx(0.0)
    # partial bars are lighter and hatched; the note says so
    assert bars["marker"]["pattern"]["shape"] == ["/", "", "", "", "/"]
    assert "Niepełny okres" in fig["layout"]["title"]["subtitle"]["text"]
    assert "niepełny okres" in bars["customdata"][-1][3]
    # without a range cutting a period nothing is marked
    plain = figures.timeline(weeks(), "en", "week", date(2026, 1, 5), date(2026, 2, 8))
    assert len(plain["data"]) == 3 and "subtitle" not in plain["layout"]["title"]


def test_verification_speed_partial_periods_hollow_and_out_of_the_line():
    fig = figures.verification_speed(speed(), "en", "month", date_from=date(2026, 1, 15),
                                     date_to=date(2026, 3, 31))
    lines = [tr for tr in fig["data"] if tr.get("mode") == "lines+markers"]
    assert all(tr["y"][0] is None for tr in lines)  # January is partial
    hollow = [tr for tr in fig["data"] if tr.get("mode") == "markers"]
    assert hollow and all(tr["marker"]["symbol"] == "circle-open" and tr["x"] == ["2026-01-01"] for tr in hollow)
    assert "Partial period" in fig["layout"]["title"]["subtitle"]["text"]


def test_verification_speed_says_why_values_are_missing():
    note = views.history_note(date(2026, 8, 3), "pl")
    fig = figures.verification_speed(pd.DataFrame(), "pl", gap_note=note)
    assert "czasy weryfikacji są znane tylko dla zgłoszeń utworzonych od 3 sie 2026" in \
        fig["layout"]["title"]["subtitle"]["text"]


# ---------------------------------------------------------------- legend classes

def legend_texts(values, metric="reports", lang="pl") -> list[str]:
    table = pd.DataFrame({"teryt": [f"{i + 2:02d}" for i in range(len(values))],
                          "reports": values, "reports_per_10k": values, "resolved": values,
                          "confirmation_rate": np.nan})
    _, legend = views.map_hideout(table, metric, "", "", lang)
    return [text for _c, text in legend]


def test_legend_of_no_reports_says_so_without_0_0():
    rows = legend_texts([0] * 16)
    assert rows == ["0 · żadne zgłoszenie nie pasuje do filtrów"]
    assert not any("0 – 0" in r for r in rows)


def test_legend_of_few_values_one_per_class():
    assert legend_texts([0, 0, 1, 1, 4, 4]) == ["0", "1", "4"]
    assert legend_texts([260]) == ["260"]  # Kraków alone


def test_legend_classes_never_overlap():
    rng = np.random.default_rng(7)
    values = list(rng.integers(0, 120, 300)) + [45, 49, 49, 49, 106]
    rows = legend_texts(values)
    bounds = [tuple(int(x) for x in r.replace("\u00a0", "").split(" – ")) if " – " in r else (int(r), int(r))
              for r in rows]
    assert all(lo <= hi for lo, hi in bounds)
    assert all(bounds[i][1] < bounds[i + 1][0] for i in range(len(bounds) - 1)), rows
    assert bounds[-1][1] == max(values)


def test_hideout_colours_and_neighbours():
    table = pd.DataFrame({"teryt": ["1261011", "1206011", "1206022"], "reports": [260, 5, 0],
                          "reports_per_10k": [3.2, 1.0, 0.0], "resolved": [100, 2, 0],
                          "confirmation_rate": [0.5, 1.0, np.nan]})
    h, _ = views.map_hideout(table, "reports", "1261", "1261011", "en")
    assert h["cls"][1:] == "--" and h["colors"][int(h["cls"][0])] != views.ZERO
    assert h["context"] == "12"  # the voivodeship's other gminas are drawn as context around the selection


# ---------------------------------------------------------------- controls

CONTROLS0 = sync.controls_of(DEFAULT, *data_range())
NAMES = [f"{i}.{p}" for i, p in sync.CONTROLS]


def test_none_selects_none_and_all_selects_all():
    out = sync.sync_state(ids.CAT_NONE, "", CONTROLS0, None, "pl", data_range)
    assert out[0] == "?category=none"
    s = from_query(out[0])
    assert s.no_categories and s.categories == ()
    # another control change keeps "none"
    controls = sync.controls_of(s, *data_range())
    controls[NAMES.index("map-metric.value")] = "per10k"
    again = sync.sync_state(ids.METRIC, out[0], controls, None, "pl", data_range)
    assert from_query(again[0]).no_categories
    assert sync.sync_state(ids.CAT_ALL, out[0], controls, None, "pl", data_range)[0] in ("", "?metric=per10k")


def test_level_radio_shows_and_sets_the_drawn_level():
    s = from_query("?teryt=1261011")
    assert sync.controls_of(s, *data_range())[NAMES.index("map-level.value")] == "gmina" == map_scope(s)[0]
    s12 = from_query("?teryt=12")
    assert sync.controls_of(s12, *data_range())[NAMES.index("map-level.value")] == "powiat"
    # ticking "voivodeships" while a gmina is chosen draws voivodeships
    controls = sync.controls_of(s, *data_range())
    controls[NAMES.index("map-level.value")] = "voivodeship"
    out = sync.sync_state(ids.LEVEL, "?teryt=1261011", controls, None, "pl", data_range)
    assert map_scope(from_query(out[0]))[0] == "voivodeship"
    controls[NAMES.index("map-level.value")] = "powiat"
    out = sync.sync_state(ids.LEVEL, "?teryt=1261011", controls, None, "pl", data_range)
    assert map_scope(from_query(out[0])) == ("powiat", "12")
    # other controls keep the chosen level; the radio only reflects the drawn one
    controls = sync.controls_of(s12, *data_range())
    controls[NAMES.index("map-metric.value")] = "rate"
    out = sync.sync_state(ids.METRIC, "?teryt=12", controls, None, "pl", data_range)
    assert out[0] == "?metric=rate&teryt=12"


@pytest.mark.parametrize("start,end,why", [("2026-10-20", "2026-09-01", "reversed"),
                                           ("2026-02-30", "2026-03-10", "invalid")])
def test_bad_dates_change_nothing_and_say_so(start, end, why):
    search = "?preset=30d"
    controls = sync.controls_of(from_query(search), *data_range())
    good = list(controls)
    controls[1], controls[2] = start, end
    out = sync.sync_state(ids.DATES, search, controls, None, "pl", data_range)
    assert out[0] is no_update  # the URL keeps the view
    assert out[2] == good[1] and out[3] == good[2]  # the inputs are set back
    assert sync.bad_dates(start, end) == why
    msg = sync.dates_message(ids.DATES, start, end, "pl")
    assert "przywrócono" in msg
    assert "set back" in sync.dates_message(ids.DATES, start, end, "en")
    assert sync.dates_message(ids.DATES, "2026-09-01", "2026-09-30", "pl") == ""


def test_none_state_survives_the_url():
    s = DEFAULT.with_(no_categories=True)
    assert from_query(to_query(s)) == s


# ---------------------------------------------------------------- summary sentence

def numbers(**kw):
    base = dict(preset="30d", date_from=date(2026, 10, 26), date_to=date(2026, 11, 24), reports=260,
                place="Kraków", categories=("przekraczanie-dozwolonej-predkosci",), previous=289,
                previous_from=date(2026, 9, 26), previous_to=date(2026, 10, 25), per10k=3.24, poland_per10k=4.1)
    return summary.SummaryNumbers(**{**base, **kw})


def test_summary_sentence_pl_and_en():
    pl = summary.sentence(numbers(), "pl")
    assert pl == ("Kraków, w ostatnich 30 dniach: 260 zgłoszeń w kategorii „Przekraczanie dozwolonej prędkości”, "
                  "o 10,0% mniej niż w poprzednim okresie (26 wrz 2026 – 25 paź 2026); "
                  "3,2 na 10 tys. mieszkańców wobec 4,1 w całej Polsce.")
    en = summary.sentence(numbers(), "en")
    assert en == ("Kraków, in the last 30 days: 260 reports in the category “Speeding”, "
                  "10.0% fewer than in the previous period (26 Sept 2026 – 25 Oct 2026); "
                  "3.2 per 10,000 inhabitants against 4.1 in all of Poland.")
    year = summary.sentence(numbers(preset="last_year", date_from=date(2025, 1, 1), date_to=date(2025, 12, 31),
                                    place="", categories=(), reports=1, previous=1, compare="year",
                                    poland_per10k=None), "pl")
    assert year.startswith("Polska, w 2025 r.: 1 zgłoszenie, tyle samo co rok wcześniej")
    assert "Nie wybrano" in summary.sentence(numbers(no_categories=True), "pl")


# ---------------------------------------------------------------- on a real store

@pytest.fixture(scope="module")
def gw(tmp_path_factory, shared_store):
    settings = demo_on_shared(tmp_path_factory, shared_store, "honesty")
    from app import create_app

    app = create_app(settings)
    with app.server.test_request_context():
        yield app.server.extensions["kmzb_gateway"]


def test_rate_kpi_needs_enough_resolved_reports(gw):
    f = views.view_filters(gw, from_query("?preset=7d"))
    table = gw.districts(f, "gmina")
    small = table[(table["resolved"] > 0) & (table["resolved"] < views.MIN_RESOLVED_MAP)].iloc[0]
    o = views.overview(gw, f"?preset=7d&teryt={small['teryt']}")
    rate = o["kpis"]["rate"]
    assert rate[0] == "–" and f"n={int(small['resolved'])}" in str(rate[1])
    big = views.overview(gw, "?preset=7d")["kpis"]["rate"]
    assert "%" in big[0]


def test_median_days_blank_is_explained(gw):
    hist = views.history_start(gw)
    lo, _hi = views._dates(gw)
    assert hist is not None and lo < hist
    o = views.overview(gw, f"?preset=custom&from={lo}&to={lo}")
    speed_kpi = o["kpis"]["speed"]
    assert speed_kpi[0] == "–" and "znane tylko dla zgłoszeń utworzonych od" in str(speed_kpi[1])


def test_overview_summary_matches_the_kpis(gw):
    o = views.overview(gw, "?preset=30d&teryt=1261011&category=przekraczanie-dozwolonej-predkosci")
    assert o["summary"].startswith("Kraków (gmina miejska), w ostatnich 30 dniach: ")
    assert o["kpis"]["reports"][0] in o["summary"] and "w całej Polsce" in o["summary"]
    assert o["row_rules"] == {"kmzb-selected-row": "params.data.teryt === '1261011'"}
    en = views.overview(gw, "?lang=en&preset=30d")
    assert en["summary"].startswith("Poland, in the last 30 days: ")


def test_none_shows_nothing(gw):
    o = views.overview(gw, "?category=none")
    assert o["kpis"]["reports"][0] == "0" and set(o["hideout"]["cls"]) == {"0"}
    assert all(v == [] for v in o["rows"].values())
    assert "Nie wybrano" in o["summary"]
    c = views.charts(gw, "?category=none")
    assert all(fig["layout"].get("annotations") for fig in c.values())


def test_ranking_rings_the_selected_district():
    df = with_rates(pd.DataFrame({"teryt": [f"{i + 2:02d}" for i in range(8)], "name": [f"D{i}" for i in range(8)],
                                  "population": 100_000, "confirmed": np.arange(8) + 10, "unconfirmed": 60,
                                  "pending": 0}))
    fig = figures.ranked_districts(df, "pl", min_resolved=30, selected="05")
    rings = [tr for tr in fig["data"] if tr.get("name") == "Wybrany obszar"]
    assert len(rings) == 1 and rings[0]["marker"]["symbol"] == "circle-open" and rings[0]["y"] == [3]
    assert fig["layout"]["yaxis"]["ticktext"][3] == "<b>D3</b>"
    plain = figures.ranked_districts(df, "pl", min_resolved=30)
    assert not any(tr.get("name") == "Wybrany obszar" for tr in plain["data"])
