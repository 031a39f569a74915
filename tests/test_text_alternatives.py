"""The charts' "show as table" alternatives (dashboard.tables) hold the figures' numbers, in the
page's language; the filter chips (dashboard.chips) say each filter in words and link to the view
without it."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard import chips, figures, tables
from dashboard.state import from_query

pytestmark = pytest.mark.unit


def categories_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "code": ["akty-wandalizmu", "klusownictwo", "dzikie-wysypiska-smieci"],
        "reports": [1200, 40, 0], "confirmed": [600, 9, 0], "resolved": [1000, 30, 0],
        "confirmation_rate": [0.6, 0.3, None], "ci_low": [0.57, 0.17, None], "ci_high": [0.63, 0.48, None]})


def test_category_table_has_the_figures_rates_in_polish():
    df = categories_frame()
    t = tables.categories(df, "pl")
    assert t["caption"] == "Odsetek potwierdzonych według kategorii"
    assert t["header"][:3] == ["Kategoria", "Zgłoszenia", "Rozstrzygnięte"]
    first = t["rows"][0]
    assert first[0] == "Akty wandalizmu" and first[1] == "1\xa0200"
    assert first[3] == "60,0%" and first[4] == "57,0% – 63,0%"
    assert t["rows"][-1][3] == "–"  # no resolved reports: no rate, as the chart draws none
    fig = figures.confirmation_by_category(df, "pl")
    drawn = {c[0]: x for tr in fig["data"] for c, x in zip(tr["customdata"], tr["x"])}
    for row in t["rows"]:
        if row[0] in drawn:
            assert row[3] == f"{drawn[row[0]] * 100:.1f}%".replace(".", ",")


def test_timeline_table_in_english_sums_to_the_total():
    df = pd.DataFrame({"period": ["2024-01-01", "2024-02-01"], "reports": [1500, 7], "confirmed": [700, 1],
                       "unconfirmed": [300, 0], "pending": [500, 6], "resolved": [1000, 1],
                       "confirmation_rate": [0.7, 1.0], "ci_low": [0.67, 0.2], "ci_high": [0.73, 1.0]})
    t = tables.timeline(df, "en", "month")
    assert [r[1] for r in t["rows"]] == ["1,500", "7"]
    assert t["rows"][0][4] == "70.0%"
    assert t["header"][0] == "Period"


def test_heatmap_table_is_days_by_time_of_day():
    from kmzb import reference

    df = pd.DataFrame([{"day": d, "time_of_day": tod, "reports": 3} for d in reference.DAYS
                       for tod in reference.TIMES_OF_DAY])
    t = tables.heatmap(df, "en")
    assert len(t["rows"]) == len(reference.TIMES_OF_DAY)
    assert all(len(r) == 1 + len(reference.DAYS) for r in t["rows"])


def test_a_rendered_table_is_what_dash_components_would_send():
    """render builds the table in Dash's JSON form directly (not as ~1,600 components a view): the
    browser must receive exactly what the same html components serialise to."""
    import json

    from dash import html
    from dash._utils import to_json

    t = {"caption": "Zgłoszenia", "header": ["Okres", "Zgłoszenia", "Odsetek"],
         "rows": [["sty 2024", "1 500", "70,0%"], ["lut 2024", "7", "–"]]}
    components = [html.Table([
        html.Caption(t["caption"], className="visually-hidden"),
        html.Thead(html.Tr([html.Th(h, scope="col") for h in t["header"]])),
        html.Tbody([html.Tr([html.Th(r[0], scope="row", className="fw-normal")] + [html.Td(c) for c in r[1:]])
                    for r in t["rows"]]),
    ], className="table table-sm small mb-0 chart-table")]
    assert json.loads(to_json(tables.render(t, "pl"))) == json.loads(to_json(components))


def test_empty_frames_say_nothing_matches():
    html = tables.render(tables.timeline(pd.DataFrame(), "pl", "day"), "pl")
    from kmzb.i18n import t

    assert html[0].children == t("pl", "Nothing matches these filters") != "Nothing matches these filters"


def test_chips_say_each_filter_and_link_without_it():
    s = from_query("?lang=en&teryt=12&category=akty-wandalizmu,klusownictwo&outcome=confirmed&preset=30d")
    items = dict(chips.chip_items(s, "en", {"12": "Małopolskie"}))
    assert from_query(items["Region: Małopolskie"]) == s.with_(teryt="")
    cat = next(k for k in items if k.startswith("Category: ") and "akty" not in items[k])
    assert "klusownictwo" in items[cat]
    assert "outcome" not in items["Outcome: confirmed"]
    assert "preset" not in items["Date range: Last 30 days"]
    assert chips.chip_items(from_query("?lang=pl"), "pl") == []
