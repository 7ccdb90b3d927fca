"""Safety charts as a Russian or English reader sees them: the page's locale, a palette
that keeps every series apart, panels only for the diseases in the filter, and an
onset histogram with a slot for every window its table lists."""

from __future__ import annotations

import json
import re

import pandas as pd

from schemas.formats import COLOUR_BLIND_SAFE, chart_config, vega_locale
from warehouse.safety import charts
from warehouse.safety.masking import HIDDEN


def _onset_table() -> pd.DataFrame:
    """A masked window x product table as the dashboard makes it: 1-7 d has 10 events
    in total but each product's count is below 5."""
    table = pd.DataFrame(
        {
            "NUS-SPINRAZA": [7, "<5", 12, 19],
            "NUS-LANTESENS": [6, "<5", HIDDEN, 14],
            "Total": [13, 10, 14, 37],
        },
        index=["day 0", "1-7 d", "8-30 d", "Total"],
    )
    return table.astype(object)


def test_onset_chart_keeps_every_window_of_its_table() -> None:
    long = charts.onset_long(_onset_table(), "ru")
    assert long["window"].drop_duplicates().tolist() == ["день 0", "1–7 дн.", "8–30 дн."]
    masked = long[long["masked"]]
    assert set(masked["window"]) == {"1–7 дн.", "8–30 дн."} and (masked["events"] == 0).all()
    spec = charts.onset_chart(long, "дни", "НЯ", "скрыто").to_dict()
    assert spec["layer"][0]["encoding"]["x"]["scale"]["domain"] == ["день 0", "1–7 дн.", "8–30 дн."]
    texts = [
        row["shown"] for row in spec["datasets"][next(iter(spec["datasets"]))] if row["masked"]
    ]
    assert sorted(texts) == ["<5", "<5", "скрыто"]


def test_onset_chart_with_nothing_masked_draws_only_bars_near_miss() -> None:
    table = _onset_table().replace({"<5": 2, HIDDEN: 8})
    long = charts.onset_long(table, "en")
    assert not long["masked"].any() and long["events"].sum() == 7 + 2 + 12 + 6 + 2 + 8


def test_motor_panels_only_for_the_filtered_disease_and_with_a_trend() -> None:
    rows = [
        ("NUS-SPINRAZA", "HFMSE", 6, 8, 1.0),
        ("NUS-SPINRAZA", "HFMSE", 12, 8, 2.0),
        ("NUS-SPINRAZA", "RULM", 6, 8, 0.5),  # one point: no trend, no panel
        ("SEN-SENIPRUTUG", "BASDAI", 6, 8, -1.0),
        ("SEN-SENIPRUTUG", "BASDAI", 12, 8, -1.5),
        ("NUS-SPINRAZA", "CHOP-INTEND", 6, 3, None),  # masked
    ]
    motor = pd.DataFrame(rows, columns=["product_id", "scale", "month", "n", "mean_change"])
    motor = motor.assign(ci_lower=motor["mean_change"] - 1, ci_upper=motor["mean_change"] + 1)
    assert set(charts.motor_panels(motor, ("SMA5Q",))["scale"]) == {"HFMSE"}
    assert set(charts.motor_panels(motor, ("AS",))["scale"]) == {"BASDAI"}
    assert set(charts.motor_panels(motor)["scale"]) == {"HFMSE", "BASDAI"}
    spec = charts.motor_chart(
        charts.motor_panels(motor, ("SMA5Q",)), "мес.", "изм.", "ru"
    ).to_dict()
    data = spec["datasets"][next(iter(spec["datasets"]))]
    assert {row["scale"] for row in data} == {"Расширенная шкала Хаммерсмит (HFMSE)"}
    assert {row["product_id"] for row in data} == {"Спинраза (нусинерсен)"}
    assert spec["columns"] == 1


def test_facets_fill_their_grid() -> None:
    assert [charts.facet_columns(n) for n in (1, 2, 3, 4, 5, 6, 8)] == [1, 2, 3, 2, 3, 3, 2]


def test_russian_charts_read_russian_months_and_decimal_commas() -> None:
    locale = vega_locale("ru")
    assert locale["number"]["decimal"] == "," and locale["number"]["thousands"] == "\xa0"
    assert locale["time"]["months"][9] == "октябрь" and locale["time"]["date"] == "%d.%m.%Y"
    assert vega_locale("en")["time"]["months"][9] == "October"
    frame = pd.DataFrame({"rate": [1234.5], "day": pd.to_datetime(["2026-10-01"])})
    import altair as alt

    chart = alt.Chart(frame).mark_point().encode(x="rate:Q", y="day:T")
    svg = charts.to_svg(charts.localised(chart, "ru")).decode()
    labels = re.findall(r">([^<]+)</text>", svg)
    assert "октябрь" in labels and "1\xa0200" in labels
    assert "October" not in labels and "1,200" not in labels


def test_palette_keeps_every_series_apart() -> None:
    config = chart_config("en")
    assert config["range"]["category"] == list(COLOUR_BLIND_SAFE)
    assert config["axis"]["labelLimit"] >= 300 and config["legend"]["labelLimit"] >= 300
    assert len(set(COLOUR_BLIND_SAFE)) == len(COLOUR_BLIND_SAFE) >= 5  # the demo's products
    json.dumps(config)  # plain data, embeddable in a Vega-Lite spec
