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

from schemas import load_reference
from schemas.formats import chart_config
from warehouse.safety.display import product_name
from warehouse.safety.masking import HIDDEN
from warehouse.safety.table_masking import is_hidden

WIDTH = 520
FACET_COLUMNS = (3, 2)  # panels per row tried, fewest empty grid cells first
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


def rates_long(
    products: pd.DataFrame, measure_names: Mapping[str, str], lang: str = "en"
) -> pd.DataFrame:
    """The product table's rates as rows (product by its label in ``lang``, measure,
    rate, lower, upper), without the Total row and without blanked (masked) rates."""
    rows = []
    for measure, rate, lower, upper in RATE_MEASURES:
        part = products.drop(index="Total", errors="ignore")[[rate, lower, upper]]
        part = part.set_axis(["rate", "lower", "upper"], axis=1)
        names = [product_name(str(p), lang) for p in part.index]
        rows.append(part.assign(product=names, measure=measure_names.get(measure, measure)))
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


def motor_panels(motor: pd.DataFrame, diseases: tuple[str, ...] = ()) -> pd.DataFrame:
    """The motor rows worth a panel: scales of ``diseases`` (all when empty) with a
    shown mean, and only scales with at least two shown points (a lone dot is no
    trend; its figure stays in the table)."""
    reference = load_reference()
    wanted = {
        s for d in (diseases or tuple(reference.diseases)) for s in reference.diseases[d].scales
    }
    drawn = motor[motor["scale"].isin(wanted)]
    drawn = _numeric(drawn, ["mean_change"])
    points = drawn.groupby("scale")["mean_change"].transform("size")
    return drawn[points >= 2]


def facet_columns(panels: int) -> int:
    """Panels per row: all in one row up to three, else the width leaving the fewest
    empty cells in the grid (five panels: 3 + 2; four: 2 + 2)."""
    if panels <= FACET_COLUMNS[0]:
        return max(panels, 1)
    return min(FACET_COLUMNS, key=lambda c: (-panels % c, -c))


def motor_chart(
    motor: pd.DataFrame, x_title: str, y_title: str, lang: str = "en"
) -> alt.FacetChart:
    """Mean change from baseline by month, one panel per scale (by its name in
    ``lang``), a line per product with its 95 % band; masked rows (n < 5) are not
    drawn, n is in the tooltip."""
    reference = load_reference()
    columns = ["product_id", "scale", "month", "n", "mean_change", "ci_lower", "ci_upper"]
    frame = _numeric(motor[columns], ["mean_change", "ci_lower", "ci_upper"])
    frame = frame.astype({"product_id": str, "scale": str, "month": int, "n": int})
    frame["product_id"] = frame["product_id"].map(lambda p: product_name(p, lang))
    frame["scale"] = frame["scale"].map(
        lambda c: reference.scales.at[c, f"name_{lang}"] if c in reference.scales.index else c
    )
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
        .facet(
            facet=alt.Facet("scale:N", title=None),
            columns=facet_columns(frame["scale"].nunique()),
        )
        .resolve_scale(y="independent")
        .resolve_axis(x="independent")  # an empty cell of the grid draws no axis
    )


def onset_long(onset: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """The masked window x product table as rows (window and product by their labels
    in ``lang``, events, order, masked): every cell of the table, none left out, so
    the chart has a slot for each window the table lists; a masked cell has no count
    (``events`` 0) and ``masked`` True, and is drawn as its mark, not as a bar."""
    if onset.empty:
        return pd.DataFrame(columns=["window", "product", "events", "order", "masked", "shown"])
    reference = load_reference()
    inner = onset.drop(index="Total").drop(columns="Total")
    long = inner.reset_index(names="window").melt(
        id_vars="window", var_name="product", value_name="events"
    )
    long["order"] = long["window"].map({w: i for i, w in enumerate(inner.index)})
    long["masked"] = long["events"].map(is_hidden)
    long["shown"] = [
        str(v) if m else "" for m, v in zip(long["masked"], long["events"], strict=True)
    ]
    long["events"] = [
        0 if m else int(v) for m, v in zip(long["masked"], long["events"], strict=True)
    ]
    long["window"] = long["window"].map(lambda w: reference.label("onset_windows", str(w), lang))
    long["product"] = long["product"].map(lambda p: product_name(str(p), lang))
    return long.astype({"events": int, "masked": bool})


def onset_chart(
    long: pd.DataFrame, x_title: str, y_title: str, masked_text: str = HIDDEN
) -> alt.LayerChart:
    """On-treatment AEs per window of days since the product's first dose: a bar per
    shown count, and the table's mark ("<5", or ``masked_text`` for a masked cell)
    where the table hides a count, so every window of the table has its slot and no
    hidden count looks like zero."""
    long = long.assign(shown=[masked_text if v == HIDDEN else v for v in long["shown"]])
    order = long.sort_values("order")["window"].drop_duplicates().tolist()
    x = alt.X("window:N", sort=order, title=x_title, scale=alt.Scale(domain=order))
    colour = alt.Color("product:N", title=None, legend=alt.Legend(orient="bottom"))
    base = alt.Chart(long).encode(x=x, xOffset="product:N", color=colour)
    bars = (
        base.transform_filter(~alt.datum.masked)
        .mark_bar()
        .encode(y=alt.Y("events:Q", title=y_title), tooltip=["window:N", "product:N", "events:Q"])
    )
    masked = (
        base.transform_filter(alt.datum.masked)
        .mark_text(baseline="bottom", dy=-2, fontSize=10)
        .encode(y=alt.datum(0), text="shown:N", tooltip=["window:N", "product:N", "shown:N"])
    )
    return (bars + masked).properties(width=WIDTH)


def localised(chart: Figure, lang: str) -> Figure:
    """The chart with the language's number and date conventions and month names
    (Vega's formatLocale/timeFormatLocale) and the colour-blind-safe palette."""
    return chart.configure(**chart_config(lang))


def to_png(chart: Figure, scale: float = 2.0) -> bytes:
    """The chart as a PNG image."""
    return bytes(vlc.vegalite_to_png(chart.to_json(), scale=scale))


def to_svg(chart: Figure) -> bytes:
    """The chart as an SVG image (UTF-8)."""
    return str(vlc.vegalite_to_svg(chart.to_json())).encode("utf-8")
