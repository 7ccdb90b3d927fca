"""The data behind the monitor's safety dashboard, loaded and masked in one call.

Pages call :func:`load_dashboard` (and :func:`breakdown` for the table the user
picks) and draw what comes back; everything a monitor sees has its small counts
masked here (:mod:`warehouse.safety.table_masking`), and the charts
(:mod:`warehouse.safety.charts`) draw only what these masked tables show.

Queries go through :mod:`warehouse.safety.cache` (results kept until the data
change); the breakdowns by seriousness, grade and age band feed both the forest plot
and the breakdown tables, and rate ratios are computed from rate tables already
loaded (:func:`pair_ratios`), so a page load runs eight queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from schemas import load_reference
from warehouse.safety.cache import cached, refresh
from warehouse.safety.cohort import (
    ALL,
    SafetyFilter,
    authorise,
    one_read,
    run,
)
from warehouse.safety.masking import HIDDEN, THRESHOLD
from warehouse.safety.metrics import (
    AGE_BANDS,
    UNKNOWN_BAND,
    ae_rates,
    deaths_sql,
    motor_change,
    subjects_treated,
    time_to_onset,
    time_to_onset_windows,
)
from warehouse.safety.stats import rate_ratio_ci
from warehouse.safety.table_masking import (
    is_hidden,
    mask_columns,
    mask_motor,
    mask_with_public_totals,
)
from warehouse.store.access import Session

COUNT_COLUMNS = ("subjects", "subjects_with_event", "events", "serious_events", "deaths")
RATE_OF = {
    "subjects_with_event": ("incidence_rate", "incidence_lower", "incidence_upper"),
    "events": ("event_rate", "event_lower", "event_upper"),
}
BREAKDOWNS = ("ctcae_grade", "serious", "body_system", "coded_term", "site_code", "age_band")
FOREST_DIMENSIONS = ("serious", "ctcae_grade", "age_band")


@dataclass(frozen=True)
class Comparison:
    """The generic vs reference answer: incidence rate ratio, limits and verdict."""

    generic: str
    reference: str
    measure: str
    ratio: float | None
    lower: float | None
    upper: float | None
    p_value: float | None
    verdict: str  # "higher", "lower", "no_difference", "too_few", "no_data"


@dataclass(frozen=True)
class Dashboard:
    """Everything the dashboard page shows, masked for a monitor."""

    filters: SafetyFilter
    products: pd.DataFrame  # one row per product + "Total", counts masked
    comparisons: list[Comparison]
    forest: pd.DataFrame  # rows of the forest plot (small counts left out)
    onset: pd.DataFrame  # window x product events, masked, with totals
    onset_summary: pd.DataFrame  # median and quartiles of days to onset (blank if few)
    motor: pd.DataFrame  # masked motor-change rows
    subjects_treated: int | str = 0  # distinct children on any product (masked if few)


def product_counts(session: Session, filters: SafetyFilter = ALL) -> pd.DataFrame:
    """Per product: exposure, AE rates (as :func:`warehouse.safety.metrics.ae_rates`) plus
    serious_events (serious on-treatment AEs) and deaths (per attributed product, as
    :func:`warehouse.safety.metrics.deaths` would list them, but counted: nothing is audited)."""
    rates = cached(session, ae_rates, filters)
    by_seriousness = cached(session, ae_rates, filters, ("serious",))
    serious_rows = by_seriousness[by_seriousness["serious"].astype(bool)]
    serious = serious_rows.set_index("product_id")["events"]
    died = cached(session, death_counts, filters)
    out = rates.set_index("product_id")
    out["serious_events"] = serious.reindex(out.index).fillna(0).astype(int)
    out["deaths"] = died.set_index("product_id")["deaths"].reindex(out.index).fillna(0).astype(int)
    return out


def death_counts(session: Session, filters: SafetyFilter = ALL) -> pd.DataFrame:
    """Subjects who died per product (the product of the fatal AE, else the last one).

    Columns: product_id, deaths."""
    authorise(session, filters, "view deaths")
    listing, params = deaths_sql(session, filters)
    sql = f"SELECT product_id, count(*) AS deaths FROM ({listing}) GROUP BY 1"
    return run(session, sql, params)


def pair_ratios(rates: pd.DataFrame, by: tuple[str, ...] = ()) -> pd.DataFrame:
    """Generic vs reference incidence rate ratios from an :func:`ae_rates` table (the
    same figures as :func:`warehouse.safety.metrics.rate_ratios` with measure "incidence",
    without querying again). Pairs come from the reference product list."""
    products = load_reference().products
    pairs = products[products["is_generic"] & products["reference_product_id"].notna()]
    side = rates[["product_id", *by, "subjects_with_event", "years_at_risk"]]
    generic = side.set_axis(["generic_product_id", *by, "generic_count", "generic_years"], axis=1)
    reference = side.set_axis(
        ["reference_product_id", *by, "reference_count", "reference_years"], axis=1
    )
    out = (
        pairs[["product_id", "reference_product_id"]]
        .rename(columns={"product_id": "generic_product_id"})
        .reset_index(drop=True)
        .merge(generic, on="generic_product_id")
        .merge(reference, on=["reference_product_id", *by])
    )
    ratio, lower, upper, p_value = rate_ratio_ci(
        out["generic_count"].to_numpy(),
        out["generic_years"].to_numpy(),
        out["reference_count"].to_numpy(),
        out["reference_years"].to_numpy(),
    )
    out = out.assign(measure="incidence", rate_ratio=ratio, ratio_lower=lower)
    return out.assign(ratio_upper=upper, p_value=p_value)


def masked_products(counts: pd.DataFrame, threshold: int = THRESHOLD) -> pd.DataFrame:
    """The product table as shown: counts masked column by column with their totals,
    rates blanked where their count is hidden; the Total row has no rates."""
    shown = mask_columns(counts, COUNT_COLUMNS, ("patient_years",), threshold)
    for count, rates in RATE_OF.items():
        hidden = shown[count].map(is_hidden)
        for rate in rates:
            shown.loc[hidden, rate] = None
    return shown


def masked_completeness(completeness: pd.DataFrame, threshold: int = THRESHOLD) -> pd.DataFrame:
    """Per-site completeness (:func:`warehouse.safety.metrics.site_completeness`) as shown:
    subjects and overdue doses masked with their totals; percentages as they are."""
    return mask_columns(
        completeness, ("subjects", "overdue_doses"), threshold=threshold
    ).reset_index(drop=True)


def comparisons(
    ratios: pd.DataFrame, shown: pd.DataFrame, threshold: int = THRESHOLD
) -> list[Comparison]:
    """One verdict per generic/reference pair on the incidence rate ratio; "too_few"
    when a count behind it is masked (the ratio would give it away)."""
    out = []
    rows: list[dict[Any, Any]] = ratios[ratios["measure"] == "incidence"].to_dict("records")
    for row in rows:
        pair = (str(row["generic_product_id"]), str(row["reference_product_id"]))
        counts = [shown.at[p, "subjects_with_event"] if p in shown.index else 0 for p in pair]
        values: tuple[float | None, ...] = (None, None, None, None)
        if (
            any(is_hidden(c) for c in counts)
            or min(row["generic_count"], row["reference_count"]) < threshold
        ):
            verdict = "too_few"
        elif not np.isfinite(row["rate_ratio"]) or np.isnan(row["ratio_lower"]):
            verdict = "no_data"
        else:
            values = tuple(float(row[k]) for k in ("rate_ratio", "ratio_lower", "ratio_upper"))
            values += (float(row["p_value"]),)
            lower, upper = float(row["ratio_lower"]), float(row["ratio_upper"])
            verdict = "higher" if lower > 1 else "lower" if upper < 1 else "no_difference"
        ratio, lower_limit, upper_limit, p_value = values
        out.append(
            Comparison(
                pair[0], pair[1], "incidence", ratio, lower_limit, upper_limit, p_value, verdict
            )
        )
    return out


def forest_rows(
    session: Session,
    filters: SafetyFilter,
    overall: pd.DataFrame,
    shown: pd.DataFrame,
    threshold: int = THRESHOLD,
) -> pd.DataFrame:
    """Incidence rate ratios for the forest plot: overall, then per category of each
    of FOREST_DIMENSIONS. Rows with a count below ``threshold`` (or no finite limits)
    are left out, and so is an overall row whose counts the product table ``shown``
    hides (the ratio and the shown years at risk would give them back). Columns:
    group, category, generic, reference, rate_ratio, ratio_lower, ratio_upper, p_value."""
    hidden = shown["subjects_with_event"].map(is_hidden)
    masked = set(hidden[hidden].index)
    overall = overall[
        ~overall["generic_product_id"].isin(masked) & ~overall["reference_product_id"].isin(masked)
    ]
    parts = [overall.assign(group="all", category="all")]
    for dimension in FOREST_DIMENSIONS:
        frame = pair_ratios(cached(session, ae_rates, filters, (dimension,)), (dimension,))
        if dimension == "age_band":  # youngest first
            frame = frame.sort_values(dimension, key=lambda b: b.map(band_rank), kind="stable")
        parts.append(frame.assign(group=dimension, category=frame[dimension].astype(str)))
    rows = pd.concat(parts, ignore_index=True)
    keep = (
        (rows["generic_count"] >= threshold)
        & (rows["reference_count"] >= threshold)
        & np.isfinite(rows["ratio_upper"].astype(float))
    )
    rows = rows[keep].rename(
        columns={"generic_product_id": "generic", "reference_product_id": "reference"}
    )
    columns = ["group", "category", "generic", "reference", "rate_ratio", "ratio_lower"]
    return rows[[*columns, "ratio_upper", "p_value"]].reset_index(drop=True)


def _public_totals(shown: pd.DataFrame, column: str) -> tuple[pd.Series, bool]:
    products = shown.drop(index="Total")[column]
    return products.map(lambda v: not is_hidden(v)), not is_hidden(shown.at["Total", column])


def band_rank(band: object) -> int:
    """An age band's place from the youngest (unknown and unlisted bands last)."""
    order = [name for name, _ in AGE_BANDS] + [UNKNOWN_BAND]
    return order.index(str(band)) if str(band) in order else len(order)


def masked_pivot(
    long: pd.DataFrame, row: str, shown: pd.DataFrame, column: str = "events"
) -> pd.DataFrame:
    """Category x product counts with totals, masked knowing the shown product totals."""
    pivot = long.pivot_table(index=row, columns="product_id", values=column, aggfunc="sum")
    pivot = pivot.reindex(columns=[p for p in shown.index if p != "Total" and p in pivot.columns])
    public, grand = _public_totals(shown, column)
    return mask_with_public_totals(pivot.fillna(0).astype(int), public, grand)


def load_dashboard(session: Session, filters: SafetyFilter = ALL) -> Dashboard:
    """Every figure of the dashboard page for ``filters``, masked for a monitor."""
    refresh(session)
    with one_read(session):
        return _load(session, filters)


def _load(session: Session, filters: SafetyFilter) -> Dashboard:
    counts = product_counts(session, filters)
    shown = masked_products(counts)
    ratios = pair_ratios(counts.reset_index(names="product_id"))
    windows = cached(session, time_to_onset_windows, filters)
    onset = masked_pivot(windows, "window", shown) if len(windows) else pd.DataFrame()
    if len(onset):
        order = windows.drop_duplicates("window").set_index("window")["window_order"]
        onset = onset.loc[sorted(onset.index[:-1], key=lambda w: int(order[w])) + ["Total"]]
    summary = cached(session, time_to_onset, filters)
    summary = summary[["product_id", "median_days", "q1_days", "q3_days"]].astype(object)
    few = summary["product_id"].map(
        lambda p: p not in shown.index or is_hidden(shown.at[p, "events"])
    )
    summary.loc[few, ["median_days", "q1_days", "q3_days"]] = None  # days of a few events
    return Dashboard(
        filters=filters,
        products=shown,
        comparisons=comparisons(ratios, shown),
        forest=forest_rows(session, filters, ratios, shown),
        onset=onset,
        onset_summary=summary,
        motor=mask_motor(cached(session, motor_change, filters)),
        subjects_treated=_masked_count(int(cached(session, _treated, filters)["subjects"][0])),
    )


def _treated(session: Session, filters: SafetyFilter) -> pd.DataFrame:
    """:func:`subjects_treated` as a one-cell table (the result cache keeps tables)."""
    return pd.DataFrame({"subjects": [subjects_treated(session, filters)]})


def _masked_count(value: int) -> int | str:
    """One count as a monitor may see it: hidden when it is small but not zero."""
    return HIDDEN if 0 < value < THRESHOLD else value


def breakdown(
    session: Session, filters: SafetyFilter, dimension: str, shown: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """AEs by ``dimension`` (one of BREAKDOWNS): the masked category x product counts
    with totals, and the long table of event rates per 100 patient-years with each
    rate blanked where its count is hidden (rate x patient-years gives it back)."""
    refresh(session)
    rates = cached(session, ae_rates, filters, (dimension,))
    rates[dimension] = rates[dimension].astype(str)
    counts = masked_pivot(rates, dimension, shown) if len(rates) else pd.DataFrame()
    if dimension == "age_band" and len(counts):  # youngest first, not "12-17 y" before "2-5 y"
        rows = sorted(counts.index[:-1], key=band_rank)
        counts = counts.loc[[*rows, "Total"]]
        rates = rates.sort_values(dimension, key=lambda b: b.map(band_rank), kind="stable")
    long = rates[["product_id", dimension, "events", "event_rate", "event_lower", "event_upper"]]
    long = long.astype(object)
    shown_counts: list[Any] = [
        counts.at[str(c), str(p)] if len(counts) else 0
        for c, p in zip(long[dimension], long["product_id"], strict=True)
    ]
    long["events"] = shown_counts
    hidden = [is_hidden(v) for v in shown_counts]
    long.loc[hidden, ["event_rate", "event_lower", "event_upper"]] = None
    return counts, long.reset_index(drop=True)
