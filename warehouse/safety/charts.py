"""Altair charts of the safety dashboard, built from the masked tables of
:mod:`warehouse.safety.dashboard`, and their export to PNG/SVG.

Every builder draws only rows whose counts are shown: a blanked rate, a masked motor
mean or a masked onset count has no mark. Axis titles come in as arguments (the page
passes them in the user's language). Export uses vl-convert, which bundles the Vega
engine and runs offline.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import altair as alt
import pandas as pd
import vl_convert as vlc

from warehouse.safety.table_masking import is_hidden

WIDTH = 520
Figure = alt.Chart | alt.LayerChart | alt.FacetChart
RATE_MEASURES = (
    ("incidence", "incidence_rate", "incidence_lower", "incidence_upper"),
    ("event", "event_rate", "event_lower", "event_upper"),
)


def _numeric(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    out = frame.copy()
    for column in columns:
        out[column] = pd.to_numeric(out[column], errors="coerce")
    return out.dropna(subset=columns)


def rates_long(products: pd.DataFrame, measure_names: Mapping[str, str]) -> pd.DataFrame:
    """The product table's rates as rows (product, measure, rate, lower, upper),
    without the Total row and without blanked (masked) rates."""
    rows = []
    for measure, rate, lower, upper in RATE_MEASURES:
        part = products.drop(index="Total", errors="ignore")[[rate, lower, upper]]
        part = part.set_axis(["rate", "lower", "upper"], axis=1)
        rows.append(part.assign(product=part.index, measure=measure_names.get(measure, measure)))
    long = pd.concat(rows, ignore_index=True)
    return _numeric(long, ["rate", "lower", "upper"])


def rates_chart(long: pd.DataFrame, x_title: str, measure_title: str) -> alt.LayerChart:
    """Rates per product (points) with their 95 % limits (bars), one row per measure."""
    base = alt.Chart(long).encode(
        y=alt.Y("product:N", title=None),
        yOffset=alt.YOffset("measure:N"),
        color=alt.Color("measure:N", title=measure_title, legend=alt.Legend(orient="bottom")),
    )
    tooltip: list[Any] = ["product:N", "measure:N", alt.Tooltip("rate:Q", format=".1f")]
    tooltip += [alt.Tooltip("lower:Q", format=".1f"), alt.Tooltip("upper:Q", format=".1f")]
    bars = base.mark_rule(strokeWidth=2).encode(x=alt.X("lower:Q", title=x_title), x2="upper:Q")
    points = base.mark_point(filled=True, size=70).encode(x="rate:Q", tooltip=tooltip)
    return (bars + points).properties(width=WIDTH)


def forest_chart(forest: pd.DataFrame, labels: Mapping[str, str], x_title: str) -> alt.LayerChart:
    """Forest plot: one row per (group, category) rate ratio with its 95 % limits on a
    log scale, a dashed line at 1; red where the interval lies wholly above 1, blue
    wholly below, grey when it includes 1. ``labels`` names the groups ("serious") and,
    where a category needs words, a group's category ("serious:True")."""
    frame = forest.copy()
    frame["row"] = [
        labels.get(g, g) if c == "all" else labels.get(f"{g}:{c}", f"{labels.get(g, g)}: {c}")
        for g, c in zip(frame["group"], frame["category"], strict=True)
    ]
    frame["signal"] = [
        "above 1" if lo > 1 else "below 1" if hi < 1 else "includes 1"
        for lo, hi in zip(frame["ratio_lower"], frame["ratio_upper"], strict=True)
    ]
    order = frame["row"].tolist()
    scale = alt.Scale(type="log")
    colour = alt.Color(
        "signal:N",
        scale=alt.Scale(
            domain=["above 1", "includes 1", "below 1"], range=["#c0392b", "#7f8c8d", "#2471a3"]
        ),
        legend=None,
    )
    base = alt.Chart(frame).encode(y=alt.Y("row:N", sort=order, title=None), color=colour)
    tooltip: list[Any] = ["row:N", alt.Tooltip("rate_ratio:Q", format=".2f")]
    tooltip += [
        alt.Tooltip("ratio_lower:Q", format=".2f"),
        alt.Tooltip("ratio_upper:Q", format=".2f"),
    ]
    tooltip += [alt.Tooltip("p_value:Q", format=".3f")]
    bars = base.mark_rule(strokeWidth=2).encode(
        x=alt.X("ratio_lower:Q", scale=scale, title=x_title), x2="ratio_upper:Q"
    )
    points = base.mark_square(size=80).encode(x=alt.X("rate_ratio:Q", scale=scale), tooltip=tooltip)
    one = alt.Chart(pd.DataFrame({"x": [1.0]})).mark_rule(strokeDash=[4, 4]).encode(x="x:Q")
    return (bars + points + one).properties(width=WIDTH, height=alt.Step(26))


def motor_chart(motor: pd.DataFrame, x_title: str, y_title: str) -> alt.FacetChart:
    """Mean change from baseline by month, one panel per scale, a line per product
    with its 95 % band; masked rows (n < 5) are not drawn, n is in the tooltip."""
    columns = ["product_id", "scale", "month", "n", "mean_change", "ci_lower", "ci_upper"]
    frame = _numeric(motor[columns], ["mean_change", "ci_lower", "ci_upper"])
    frame = frame.astype({"product_id": str, "scale": str, "month": int, "n": int})
    colour = alt.Color("product_id:N", title=None, legend=alt.Legend(orient="bottom"))
    base = alt.Chart().encode(x=alt.X("month:Q", title=x_title), color=colour)
    band = base.mark_area(opacity=0.18).encode(
        y=alt.Y("ci_lower:Q", title=y_title), y2="ci_upper:Q"
    )
    tooltip: list[Any] = ["product_id:N", "scale:N", "month:Q", "n:Q"]
    tooltip += [alt.Tooltip("mean_change:Q", format=".2f")]
    line = base.mark_line(point=True).encode(y="mean_change:Q", tooltip=tooltip)
    return (
        alt.layer(band, line, data=frame)
        .properties(width=240, height=180)
        .facet(facet=alt.Facet("scale:N", title=None), columns=3)
        .resolve_scale(y="independent")
    )


def onset_long(onset: pd.DataFrame) -> pd.DataFrame:
    """The masked window x product table as rows (window, product, events), shown
    counts only (no totals, no masked cells)."""
    if onset.empty:
        return pd.DataFrame(columns=["window", "product", "events", "order"])
    inner = onset.drop(index="Total").drop(columns="Total")
    long = inner.reset_index(names="window").melt(
        id_vars="window", var_name="product", value_name="events"
    )
    long["order"] = long["window"].map({w: i for i, w in enumerate(inner.index)})
    long = long[~long["events"].map(is_hidden)]
    return long.assign(events=long["events"].astype(int))


def onset_chart(long: pd.DataFrame, x_title: str, y_title: str) -> alt.Chart:
    """On-treatment AEs per window of days since the product's first dose."""
    order = long.sort_values("order")["window"].drop_duplicates().tolist()
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X("window:N", sort=order, title=x_title),
            xOffset="product:N",
            y=alt.Y("events:Q", title=y_title),
            color=alt.Color("product:N", title=None, legend=alt.Legend(orient="bottom")),
            tooltip=["window:N", "product:N", "events:Q"],
        )
        .properties(width=WIDTH)
    )


def to_png(chart: Figure, scale: float = 2.0) -> bytes:
    """The chart as a PNG image."""
    return bytes(vlc.vegalite_to_png(chart.to_json(), scale=scale))


def to_svg(chart: Figure) -> bytes:
    """The chart as an SVG image (UTF-8)."""
    return str(vlc.vegalite_to_svg(chart.to_json())).encode("utf-8")
