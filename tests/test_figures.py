"""Figures (dashboard.figures): small hand-made frames in the shapes of kmzb.query.queries."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from dashboard import figures as _F
from kmzb import reference
from kmzb.i18n import t, translator
from kmzb.stats import wilson

FIGURES = ("confirmation_by_category", "timeline", "ranked_districts", "verification_speed", "week_heatmap")


class _Validated:
    """dashboard.figures, with each figure dict checked against plotly's schema: go.Figure(d) raises on
    any property plotly.js does not know, and gives attribute access for the assertions below."""

    def __getattr__(self, name):
        fn = getattr(_F, name)
        if name not in FIGURES:
            return fn

        def build(*a, **kw):
            d = fn(*a, **kw)
            assert isinstance(d, dict) and set(d) == {"data", "layout"}
            json.loads(pio.to_json(d, validate=False))  # serialisable as Dash will send it
            json.dumps(d["data"], allow_nan=False)  # plain lists, null for gaps: never NaN
            return go.Figure(d)
        return build


F = _Validated()


def with_rates(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    df["reports"] = df["confirmed"] + df["unconfirmed"] + df["pending"]
    df["resolved"] = df["confirmed"] + df["unconfirmed"]
    df["confirmation_rate"], df["ci_low"], df["ci_high"] = (np.round(a, 4) for a in
                                                            wilson(df["confirmed"], df["resolved"]))
    return df


def categories(rows) -> pd.DataFrame:
    """rows: (code, confirmed, unconfirmed, pending)."""
    cats = {c.code: c for c in reference.categories()}
    return with_rates(pd.DataFrame(
        [(code, cats[code].label_pl, cats[code].label_en, cats[code].group, c, u, p) for code, c, u, p in rows],
        columns=["code", "label_pl", "label_en", "group", "confirmed", "unconfirmed", "pending"]))


CATS = categories([
    ("przekraczanie-dozwolonej-predkosci", 80, 20, 5),  # 0.80
    ("dzikie-wysypiska-smieci", 30, 70, 0),  # 0.30
    ("akty-wandalizmu", 50, 50, 10),  # 0.50
    ("zebractwo", 9, 1, 0),  # 0.90 but only 10 resolved
    ("klusownictwo", 0, 0, 4),  # nothing resolved: no rate
])


def timeseries() -> pd.DataFrame:
    return with_rates(pd.DataFrame({
        "period": ["2026-01-05", "2026-01-12", "2026-01-19", "2026-01-26", "2026-02-02"],
        "confirmed": [10, 20, 0, 5, 40], "unconfirmed": [10, 5, 0, 5, 10], "pending": [1, 2, 3, 0, 0]}))


def speed() -> pd.DataFrame:
    df = pd.DataFrame({"period": ["2026-01-01", "2026-02-01", "2026-03-01"],
                       "eligible_read": [100, 50, 20], "read_2d": [60, 40, 5],
                       "eligible_verify": [100, 50, 0], "verified_5d": [30, 10, 0]})
    for k, n, name in (("read_2d", "eligible_read", "read_2d_share"),
                       ("verified_5d", "eligible_verify", "verified_5d_share")):
        df[name], df[name + "_low"], df[name + "_high"] = (np.round(a, 4) for a in wilson(df[k], df[n]))
    return df


def districts(n: int) -> pd.DataFrame:
    conf = np.arange(n) + 10  # rate increases with the index
    return with_rates(pd.DataFrame({"teryt": [f"{i + 2:02d}" for i in range(n)], "name": [f"D{i}" for i in range(n)],
                                    "population": 100_000, "confirmed": conf, "unconfirmed": 60, "pending": 0}))


def heat_frame() -> pd.DataFrame:
    rows = [(d, tod, 10 * i + j) for i, d in enumerate(reference.DAYS) for j, tod in enumerate(reference.TIMES_OF_DAY)]
    return pd.DataFrame(rows, columns=["day", "time_of_day", "reports"])


def is_empty_figure(fig, lang="pl") -> bool:
    texts = [a.text for a in fig.layout.annotations]
    return t(lang, "Nothing matches these filters") in texts and fig.layout.xaxis.visible is False


def visible_traces(fig, name):
    return [tr for tr in fig.data if tr.name == name]


# ---------------------------------------------------------------- common look

ALL = [
    lambda lang: F.confirmation_by_category(CATS, lang),
    lambda lang: F.timeline(timeseries(), lang, "week"),
    lambda lang: F.ranked_districts(districts(40), lang, min_resolved=30, top=5),
    lambda lang: F.verification_speed(speed(), lang),
    lambda lang: F.week_heatmap(heat_frame(), lang),
]


@pytest.mark.parametrize("make", ALL)
def test_common_layout(make):
    pl, en = make("pl"), make("en")
    for fig, lang, seps in ((pl, "pl", ", "), (en, "en", ".,")):
        # the house template: plotly_white plus the shared font, legend and modebar
        assert fig.layout.template == pio.templates["kmzb"]
        assert fig.layout.template.layout.plot_bgcolor == pio.templates["plotly_white"].layout.plot_bgcolor
        assert fig.layout.template.layout.font.family.startswith("system-ui")
        assert fig.layout.separators == seps
        assert fig.layout.xaxis.title.text and fig.layout.yaxis.title.text
        assert all(tr.hovertemplate for tr in fig.data if tr.hoverinfo != "skip")
        assert not is_empty_figure(fig, lang)
    # the titles are translated, from the catalogue
    assert pl.layout.title.text != en.layout.title.text
    assert translator("pl")(en.layout.title.text) == pl.layout.title.text


EMPTY_INPUTS = [pd.DataFrame(), None]


@pytest.mark.parametrize("lang", ["pl", "en"])
@pytest.mark.parametrize("make", [
    lambda df, lang: F.confirmation_by_category(df, lang),
    lambda df, lang: F.timeline(df, lang, "month"),
    lambda df, lang: F.ranked_districts(df, lang),
    lambda df, lang: F.verification_speed(df, lang),
    lambda df, lang: F.week_heatmap(df, lang),
])
def test_empty_input_says_nothing_matches(make, lang):
    for df in EMPTY_INPUTS:
        fig = make(df, lang)
        assert is_empty_figure(fig, lang)
        assert fig.layout.yaxis.visible is False
        assert len(fig.data) == 0


def test_all_zero_inputs_are_empty():
    assert is_empty_figure(F.confirmation_by_category(categories([("akty-wandalizmu", 0, 0, 0)]), "pl"))
    zero_ts = timeseries().assign(reports=0, confirmed=0, unconfirmed=0, pending=0, resolved=0)
    assert is_empty_figure(F.timeline(zero_ts, "en", "week"), "en")
    assert is_empty_figure(F.week_heatmap(heat_frame().assign(reports=0), "pl"))
    assert is_empty_figure(F.verification_speed(speed().assign(eligible_read=0, eligible_verify=0), "pl"))
    assert is_empty_figure(F.ranked_districts(districts(3), "pl", min_resolved=1000))


def test_empty_message_is_translated():
    assert is_empty_figure(F.timeline(pd.DataFrame(), "pl", "week"), "pl")
    assert t("pl", "Nothing matches these filters") != t("en", "Nothing matches these filters")


# ---------------------------------------------------------------- confirmation_by_category

def test_categories_sorted_by_rate_with_labels_in_language():
    fig = F.confirmation_by_category(CATS, "en", min_resolved=20)
    # ascending from the bottom: highest rate on top; the category with nothing resolved is left out
    assert list(fig.layout.yaxis.categoryarray) == ["Illegal dumping", "Acts of vandalism", "Speeding", "Begging"]
    pl = F.confirmation_by_category(CATS, "pl")
    assert list(pl.layout.yaxis.categoryarray)[-1] == "Żebractwo"
    for tr in fig.data:  # each trace's dots are in rate order
        assert list(tr.x) == sorted(tr.x)


def test_category_error_bars_are_interval_minus_rate():
    fig = F.confirmation_by_category(CATS, "en")
    by_label = CATS.set_index("label_en")
    for tr in fig.data:
        for x, y, plus, minus in zip(tr.x, tr.y, tr.error_x.array, tr.error_x.arrayminus):
            row = by_label.loc[y]
            assert x == pytest.approx(row.confirmation_rate)
            assert plus == pytest.approx(row.ci_high - row.confirmation_rate)
            assert minus == pytest.approx(row.confirmation_rate - row.ci_low)
        assert tr.error_x.symmetric is False


def test_small_categories_are_grey_and_hollow():
    fig = F.confirmation_by_category(CATS, "en", min_resolved=20)
    small = visible_traces(fig, t("en", "too few resolved reports for a stable rate"))
    assert len(small) == 1 and list(small[0].y) == ["Begging"]
    assert small[0].marker.color == F.GREY and small[0].marker.symbol == "circle-open"
    assert "too few" in small[0].hovertemplate
    big = visible_traces(fig, t("en", "Confirmation rate"))[0]
    assert "Begging" not in big.y and big.marker.color != F.GREY
    # with a lower threshold nothing is grey
    assert all(tr.marker.color != F.GREY for tr in F.confirmation_by_category(CATS, "en", min_resolved=5).data)


def test_category_overall_line_and_percent_axis():
    fig = F.confirmation_by_category(CATS, "pl")
    overall = CATS["confirmed"].sum() / CATS["resolved"].sum()
    lines = [s for s in fig.layout.shapes if s.line.dash == "dash"]
    assert len(lines) == 1 and lines[0].x0 == pytest.approx(overall) == lines[0].x1
    assert any("Ogółem" in a.text and "%" in a.text for a in fig.layout.annotations)
    assert list(fig.layout.xaxis.range) == [0, 1] and fig.layout.xaxis.tickformat == ".0%"
    assert fig.layout.xaxis.title.text == "Odsetek potwierdzonych"


def test_category_hover_has_counts_and_interval():
    fig = F.confirmation_by_category(CATS, "pl")
    tr = visible_traces(fig, t("pl", "Confirmation rate"))[0]
    assert "Potwierdzone" in tr.hovertemplate and "Rozstrzygnięte" in tr.hovertemplate
    assert "95% przedział ufności" in tr.hovertemplate
    row = list(tr.customdata[-1])  # highest big category: Speeding
    assert row[0] == "Przekraczanie dozwolonej prędkości" and row[3] == 80 and row[4] == 100


# ---------------------------------------------------------------- timeline

def test_timeline_bars_line_and_band():
    df = timeseries()
    fig = F.timeline(df, "en", "week")
    bars = visible_traces(fig, "Reports")[0]
    assert bars.type == "bar" and list(bars.y) == list(df["reports"])
    line = visible_traces(fig, "Confirmation rate")[0]
    assert line.yaxis == "y2"
    assert line.y[2] is None  # nothing resolved in the third week: a gap (null, never NaN)
    assert line.y[0] == pytest.approx(0.5) and line.y[4] == pytest.approx(0.8)
    band = visible_traces(fig, "95% interval")[0]
    assert band.fill == "toself" and band.yaxis == "y2"
    # two polygons (the gap splits the band): upper bounds forward, lower bounds backward
    ys = list(band.y)
    assert ys.count(None) == 2
    first = ys[:ys.index(None)]
    assert first == pytest.approx([*df["ci_high"][:2], *df["ci_low"][:2][::-1]])
    second = ys[ys.index(None) + 1:-1]
    assert second == pytest.approx([*df["ci_high"][3:], *df["ci_low"][3:][::-1]])
    assert list(fig.layout.yaxis2.range) == [0, 1] and fig.layout.yaxis2.overlaying == "y"


def test_timeline_localised_periods():
    df = timeseries()
    pl = F.timeline(df, "pl", "week")
    assert pl.layout.xaxis.ticktext[0].startswith("5 sty")
    bars = visible_traces(pl, "Zgłoszenia")[0]
    assert bars.hovertext[0] == "Tydzień od 5 sty 2026"
    monthly = F.timeline(df.assign(period=["2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01", "2026-05-01"]),
                         "en", "month")
    assert visible_traces(monthly, "Reports")[0].hovertext[0] == "January 2026"


# ---------------------------------------------------------------- ranked_districts

def test_ranked_districts_top_and_bottom():
    df = districts(40)
    df.loc[0, "unconfirmed"] = 0  # D0: too few resolved (10 < 30)
    df = with_rates(df.drop(columns=["reports", "resolved", "confirmation_rate", "ci_low", "ci_high"]))
    fig = F.ranked_districts(df, "en", min_resolved=30, top=5)
    low, high = fig.data
    assert low.name == "Lowest confirmation rates" and high.name == "Highest confirmation rates"
    ticks = list(fig.layout.yaxis.ticktext)
    assert ticks == ["D1", "D2", "D3", "D4", "D5", "D35", "D36", "D37", "D38", "D39"]
    assert list(low.x) + list(high.x) == sorted(list(low.x) + list(high.x))
    assert list(low.y) == [0, 1, 2, 3, 4] and list(high.y) == [5, 6, 7, 8, 9]
    for tr in fig.data:
        assert list(np.asarray(tr.error_x.array) + np.asarray(tr.x)) == pytest.approx(
            list(df.set_index("name").loc[[row[0] for row in tr.customdata], "ci_high"]))
    assert fig.layout.title.subtitle.text == "Only districts with at least 30 resolved reports"


def test_ranked_districts_all_when_few_and_duplicate_names():
    df = districts(6).assign(label=["Same", "Same", "C", "D", "E", "F"])
    fig = F.ranked_districts(df, "pl", min_resolved=30, top=5)
    assert len(fig.data) == 1 and len(fig.data[0].x) == 6
    assert list(fig.layout.yaxis.ticktext)[:2] == ["Same (02)", "Same (03)"]
    assert fig.layout.title.subtitle.text == "Tylko jednostki z co najmniej 30 rozstrzygniętymi zgłoszeniami"
    assert list(fig.layout.xaxis.range) == [0, 1]


# ---------------------------------------------------------------- verification_speed

def test_verification_speed_lines_and_bands():
    df = speed()
    fig = F.verification_speed(df, "en")
    lines = [tr for tr in fig.data if tr.mode == "lines+markers"]
    assert [tr.name for tr in lines] == ["Read within 2 days", "Verified within 5 days"]
    assert list(lines[0].y) == pytest.approx(list(df["read_2d_share"]))
    assert lines[1].y[2] is None  # nothing eligible in March: a gap
    bands = [tr for tr in fig.data if tr.fill == "toself"]
    assert len(bands) == 2
    assert list(bands[0].y[:3]) == pytest.approx(list(df["read_2d_share_high"]))
    assert list(bands[0].y[3:6]) == pytest.approx(list(df["read_2d_share_low"][::-1]))
    assert list(fig.layout.yaxis.range) == [0, 1] and fig.layout.yaxis.tickformat == ".0%"
    assert "(%{customdata[2]:,d} of %{customdata[3]:,d})" in lines[0].hovertemplate
    assert list(lines[0].customdata[0][2:]) == [60, 100]
    assert fig.layout.xaxis.ticktext[0] == "Jan 2026"  # monthly periods detected


# ---------------------------------------------------------------- week_heatmap

def test_heatmap_matrix_in_reference_order():
    df = heat_frame()
    fig = F.week_heatmap(df.sample(frac=1, random_state=3), "en")  # input order does not matter
    heat = fig.data[0]
    expected = np.array([[10 * i + j for i in range(len(reference.DAYS))] for j in range(len(reference.TIMES_OF_DAY))])
    assert np.array_equal(np.asarray(heat.z), expected)  # rows: times of day, columns: days
    assert list(heat.x) == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    assert list(heat.y) == ["morning", "day", "evening", "night"]
    assert fig.layout.yaxis.autorange == "reversed"  # morning on top
    assert heat.texttemplate and "%{z" in heat.texttemplate
    pl = F.week_heatmap(df, "pl")
    assert list(pl.data[0].x) == list(reference.DAYS) and pl.layout.xaxis.title.text == "Dzień tygodnia"


def test_heatmap_missing_cells_are_zero():
    df = heat_frame().iloc[1:]  # ("pon", "rano") missing
    assert np.asarray(F.week_heatmap(df, "pl").data[0].z)[0][0] == 0


# ---------------------------------------------------------------- modebar config

def test_png_config():
    cfg = F.PNG_CONFIG
    assert cfg["displaylogo"] is False
    assert cfg["toImageButtonOptions"]["format"] == "png" and cfg["toImageButtonOptions"]["scale"] == 2
    assert cfg["toImageButtonOptions"]["filename"]
    assert {"lasso2d", "select2d"} <= set(cfg["modeBarButtonsToRemove"])
    assert "toImage" not in cfg["modeBarButtonsToRemove"]
    own = F.png_config("kmzb-timeline")
    assert own["toImageButtonOptions"]["filename"] == "kmzb-timeline" and cfg["toImageButtonOptions"]["filename"] != \
        "kmzb-timeline"


def test_verification_speed_leaves_periods_with_few_reports_as_gaps():
    df = speed().assign(eligible_read=[100, 19, 20])
    fig = F.verification_speed(df, "en")
    read = [tr for tr in fig.data if tr.mode == "lines+markers"][0]
    assert read.y[0] == pytest.approx(0.6) and read.y[1] is None and read.y[2] is not None
    band = [tr for tr in fig.data if tr.fill == "toself"][0]
    assert band.y.count(None) == 2  # two stretches: January, then March
    assert fig.layout.title.text == "Verification speed"
    assert fig.layout.title.subtitle.text == ("Read within 2 days, verified within 5 days<br>"
                                              "Only periods with at least 20 reports that can be judged")
    pl = F.verification_speed(df, "pl")
    assert pl.layout.title.subtitle.text.endswith("Tylko okresy z co najmniej 20 zgłoszeniami, które można ocenić")


@pytest.mark.parametrize("make", ALL)
def test_every_trace_is_in_the_served_plotly_bundle(make):
    """The browser gets plotly.js's cartesian partial bundle (web.plotlyjs): a figure with a trace type
    it lacks would stay blank. Every chart's traces must be among the bundle's."""
    from web.plotlyjs import TRACES, bundle_version

    assert bundle_version() is not None
    for lang in ("pl", "en"):
        assert {tr.type for tr in make(lang).data} <= set(TRACES)
