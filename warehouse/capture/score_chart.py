"""The chart of one subject's scale scores over time, with the baseline marked.

One panel per scale (scales have different ranges, so each panel has its own y
axis): the scores as a line with points, the baseline assessment as a large
diamond on a dashed vertical rule, and the first dose as a grey rule. Texts come
from the caller in the user's language; this module never touches Streamlit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

import altair as alt
import pandas as pd

from schemas.formats import chart_config

BASELINE_COLOUR = "#d62728"
DOSE_COLOUR = "#7f7f7f"


@dataclass(frozen=True)
class ChartTexts:
    """Axis titles and tooltip labels in the user's language."""

    date: str
    score: str
    scale: str
    baseline: str
    first_dose: str
    date_format: str = "%Y-%m-%d"  # d3 time format of the user's language (day.month.year in ru)
    scale_names: Mapping[str, str] = field(default_factory=dict)  # scale code -> name shown
    lang: str = "en"  # the locale of numbers and month names (schemas.formats.chart_config)


def _frame(history: pd.DataFrame, texts: ChartTexts) -> pd.DataFrame:
    frame = history[["visit_date", "scale", "score", "baseline"]].copy()
    frame["visit_date"] = pd.to_datetime(frame["visit_date"])
    frame["baseline"] = frame["baseline"].astype(bool)
    frame["marker"] = frame["baseline"].map({True: texts.baseline, False: ""})
    frame["scale"] = frame["scale"].map(lambda code: texts.scale_names.get(code, code))
    return frame


def score_chart(
    history: pd.DataFrame, texts: ChartTexts, first_dose: dt.date | None = None
) -> alt.FacetChart:
    """Scores over time, one row of panels per scale, baseline and first dose marked.

    ``history`` has the columns ``visit_date``, ``scale``, ``score`` and ``baseline``
    (as from :func:`warehouse.capture.visit_history.assessment_history`).
    """
    frame = _frame(history, texts)
    if first_dose is not None:
        frame["first_dose"] = pd.Timestamp(first_dose)
    # Every tick and tooltip carries day, month and year in the language's one date format;
    # scores are shown as typed (no "32.000000").
    x = alt.X("visit_date:T", title=texts.date, axis=alt.Axis(format=texts.date_format))
    y = alt.Y("score:Q", title=texts.score, scale=alt.Scale(zero=False))
    tooltip = [
        alt.Tooltip("visit_date:T", title=texts.date, format=texts.date_format),
        alt.Tooltip("scale:N", title=texts.scale),
        alt.Tooltip("score:Q", title=texts.score, format="~g"),
        alt.Tooltip("marker:N", title=texts.baseline),
    ]
    base = alt.Chart().encode(x=x, y=y, tooltip=tooltip)
    line = base.mark_line(point=alt.OverlayMarkDef(size=50))
    baseline = base.transform_filter(alt.datum.baseline).mark_point(
        shape="diamond", size=220, filled=True, color=BASELINE_COLOUR
    )
    rule = (
        alt.Chart()
        .transform_filter(alt.datum.baseline)
        .mark_rule(strokeDash=[4, 3], color=BASELINE_COLOUR)
        .encode(x=x)
    )
    layers: list[alt.Chart] = [line, rule, baseline]
    if first_dose is not None:
        layers.append(
            alt.Chart()
            .mark_rule(color=DOSE_COLOUR)
            .encode(
                x="first_dose:T",
                tooltip=[
                    alt.Tooltip("first_dose:T", title=texts.first_dose, format=texts.date_format)
                ],
            )
        )
    return (
        alt.layer(*layers, data=frame)
        .properties(height=160, width=560)
        .facet(row=alt.Row("scale:N", title=texts.scale))
        .resolve_scale(y="independent")
        .configure(**chart_config(texts.lang))
    )
