"""The dashboard's data layer: masking of what a monitor sees, the generic vs reference
verdict, the result cache, chart building and export, number formatting."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.errors import AccessDenied
from tests.warehouse_fixtures import admin, monitor, site_user
from warehouse.demo.build import create_demo
from warehouse.safety import cache as safety_cache
from warehouse.safety import charts as safety_charts
from warehouse.safety.dashboard import (
    BREAKDOWNS,
    Comparison,
    band_rank,
    breakdown,
    comparisons,
    load_dashboard,
    masked_completeness,
    masked_products,
    pair_ratios,
    product_counts,
)
from warehouse.safety.display import formatted, headline_values, number
from warehouse.safety.masking import HIDDEN, THRESHOLD, suppression
from warehouse.safety.metrics import (
    AGE_BANDS,
    UNKNOWN_BAND,
    SafetyFilter,
    ae_rates,
    deaths,
    motor_change,
    rate_ratios,
)
from warehouse.safety.table_masking import (
    is_hidden,
    mask_columns,
    mask_motor,
    mask_with_public_totals,
    public_suppression,
)
from warehouse.store.access import system_session
from warehouse.store.admin import add_site
from warehouse.store.db import MEMORY, Database
from warehouse.store.migrations import migrate

SMALL = "<5"


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Database:
    root = tmp_path_factory.mktemp("dashboard-demo")
    db = Database(MEMORY, key_dir=root / "keys")
    migrate(db)
    create_demo(db, subjects=150, seed=11)
    return db


@pytest.fixture(autouse=True)
def _no_kept_results() -> None:
    safety_cache.clear()


def _shown_small_counts(frame: pd.DataFrame) -> list[object]:
    """Entries that are whole counts from 1 to 4 (which must never be shown)."""
    values = frame.to_numpy().ravel().tolist()
    return [v for v in values if isinstance(v, int | np.integer) and 0 < v < THRESHOLD]


# --- masking -------------------------------------------------------------------------


def test_mask_columns_keeps_totals_from_revealing_a_product() -> None:
    table = pd.DataFrame(
        {"subjects": [3, 40, 12], "events": [0, 7, 30], "patient_years": [1.5, 60.0, 20.0]},
        index=["LTS", "SPZ", "ZOL"],
    )
    shown = mask_columns(table, ("subjects", "events"), ("patient_years",))
    assert shown.loc["LTS", "subjects"] == SMALL
    # 3 is hidden and the total 55 is shown: another subjects cell must be hidden too
    assert shown.loc["ZOL", "subjects"] == HIDDEN
    assert shown.loc["Total", "subjects"] == 55
    assert shown.loc["LTS", "events"] == 0 and shown.loc["Total", "events"] == 37
    assert shown.loc["Total", "patient_years"] == pytest.approx(81.5)


def test_public_totals_are_never_hidden_again() -> None:
    table = pd.DataFrame({"LTS": [3, 20, 9], "SPZ": [30, 1, 40]}, index=["a", "b", "c"])
    shown = mask_with_public_totals(table, pd.Series({"LTS": True, "SPZ": True}), True)
    assert shown.loc["Total", "LTS"] == 32 and shown.loc["Total", "SPZ"] == 71
    assert shown.loc["Total", "Total"] == 103
    assert shown.loc["a", "LTS"] == SMALL and shown.loc["b", "SPZ"] == SMALL
    # each product column has a second hidden cell, so its shown total gives nothing away
    for column in ("LTS", "SPZ"):
        assert sum(is_hidden(v) for v in shown[column].iloc[:-1]) >= 2


def _equations(extended: np.ndarray, hidden: np.ndarray) -> np.ndarray:
    """Row and column sums as equations in the hidden entries (coefficients only)."""
    cells = [tuple(ij) for ij in np.argwhere(hidden)]
    n_rows, n_cols = extended.shape
    lines = [[(i, j) for j in range(n_cols)] for i in range(n_rows)]
    lines += [[(i, j) for i in range(n_rows)] for j in range(n_cols)]
    matrix = []
    for line in lines:
        coefficients = np.zeros(len(cells))
        for k, (i, j) in enumerate(line):
            if hidden[i, j]:
                coefficients[cells.index((i, j))] += -1.0 if k == len(line) - 1 else 1.0
        matrix.append(coefficients)
    return np.array(matrix)


tables = st.integers(1, 6).flatmap(
    lambda rows: st.integers(1, 5).flatmap(
        lambda cols: st.lists(
            st.lists(
                st.one_of(st.integers(0, 6), st.integers(0, 60)), min_size=cols, max_size=cols
            ),
            min_size=rows,
            max_size=rows,
        )
    )
)


@settings(max_examples=300, deadline=None)
@given(tables)
def test_no_masked_cell_follows_from_the_shown_and_public_totals(values: list[list[int]]) -> None:
    # The product totals are public where the product table (masked column by column,
    # as mask_columns does) shows them.
    totals = np.array(values).sum(axis=0).reshape(-1, 1)
    _, small, complement = suppression(totals)
    public = np.zeros((len(values) + 1, len(values[0]) + 1), dtype=bool)
    public[-1, :] = ~(small | complement)[:, 0]
    extended, primary, complementary = public_suppression(np.array(values), public)
    hidden = primary | complementary
    assert np.array_equal(primary, (extended > 0) & (extended < THRESHOLD))
    assert not (hidden & public).any()  # a public total stays shown
    # everything the two tables show together leaves each hidden cell undetermined
    known = hidden & ~public
    if known.any():
        matrix = _equations(extended, known)
        rank = np.linalg.matrix_rank(matrix)
        for k in range(int(known.sum())):
            unit = np.zeros(matrix.shape[1])
            unit[k] = 1.0
            assert np.linalg.matrix_rank(np.vstack([matrix, unit])) > rank


def test_mask_motor_hides_small_groups_and_small_shares() -> None:
    motor = pd.DataFrame(
        {
            "product_id": ["LTS"] * 4,
            "scale": ["HFMSE"] * 4,
            "month": [6, 12, 18, 24],
            "n": [3, 10, 10, 12],
            "mean_change": [1.0, 2.0, 3.0, 4.0],
            "sd_change": [1.0] * 4,
            "ci_lower": [0.0] * 4,
            "ci_upper": [2.0] * 4,
            "meaningful_change": [3.0] * 4,
            "n_meaningful": [1, 5, 8, 0],
            "share_meaningful": [1 / 3, 0.5, 0.8, 0.0],
        }
    )
    shown = mask_motor(motor)
    assert shown.loc[0, "n"] == SMALL and shown.loc[0, "mean_change"] is None
    assert shown.loc[1, "n_meaningful"] == 5 and shown.loc[1, "share_meaningful"] == 0.5
    # 8 of 10 reached it: the 2 who did not are a small count too
    assert shown.loc[2, "n_meaningful"] == SMALL and shown.loc[2, "share_meaningful"] is None
    assert shown.loc[3, "n_meaningful"] == 0


# --- figures on the demo data --------------------------------------------------------


def test_pair_ratios_equal_the_metric_layers_rate_ratios(demo_db: Database) -> None:
    session = monitor(demo_db)
    for by in ((), ("serious",), ("age_band",)):
        ours = pair_ratios(ae_rates(session, by=by), by)
        theirs = rate_ratios(session, by=by)
        theirs = theirs[theirs["measure"] == "incidence"].reset_index(drop=True)
        columns = ["rate_ratio", "ratio_lower", "ratio_upper", "p_value", "generic_count"]
        ours = ours.sort_values([*by]).reset_index(drop=True) if by else ours
        pd.testing.assert_frame_equal(ours[columns], theirs[columns], check_dtype=False)


def test_product_counts_add_serious_events_and_deaths(demo_db: Database) -> None:
    session = monitor(demo_db)
    counts = product_counts(session)
    serious = ae_rates(session, by=("serious",))
    serious = serious[serious["serious"].astype(bool)].set_index("product_id")["events"]
    assert counts["serious_events"].sum() == serious.sum()
    listing = deaths(session)
    assert counts["deaths"].sum() == len(listing)
    assert (
        counts["deaths"] == listing["product_id"].value_counts().reindex(counts.index).fillna(0)
    ).all()


def test_nothing_shown_to_a_monitor_is_a_count_below_five(demo_db: Database) -> None:
    session = monitor(demo_db)
    for filters in (
        SafetyFilter(),
        SafetyFilter(sites=("MYT",)),
        SafetyFilter(age_bands=("<6 m",)),
    ):
        board = load_dashboard(session, filters)
        assert not _shown_small_counts(board.products[list(("subjects", "events", "deaths"))])
        assert not _shown_small_counts(board.onset)
        assert not _shown_small_counts(board.motor[["n", "n_meaningful"]])
        for dimension in BREAKDOWNS:
            counts, rates = breakdown(session, filters, dimension, board.products)
            assert not _shown_small_counts(counts)
            hidden = rates["events"].map(is_hidden)
            assert rates.loc[hidden, "event_rate"].isna().all()
        # days to onset of a hidden number of events, and a ratio whose counts the
        # product table hides, are not shown either
        hidden_events = board.products["events"].map(is_hidden)
        for row in board.onset_summary.itertuples():
            if hidden_events.get(row.product_id, True):
                assert row.median_days is None
        overall = board.forest[board.forest["group"] == "all"]
        for product in (*overall["generic"], *overall["reference"]):
            assert not is_hidden(board.products.at[product, "subjects_with_event"])
        for column in ("subjects", "subjects_with_event", "events", "serious_events", "deaths"):
            hidden = board.products[column].iloc[:-1].map(is_hidden).sum()
            assert hidden != 1 or is_hidden(board.products.at["Total", column])


def test_site_filter_changes_the_figures(demo_db: Database) -> None:
    session = monitor(demo_db)
    everyone = load_dashboard(session).products.at["Total", "patient_years"]
    one_site = load_dashboard(session, SafetyFilter(sites=("MSK",))).products
    assert 0 < one_site.at["Total", "patient_years"] < everyone


def test_motor_and_completeness_tables_are_masked(demo_db: Database) -> None:
    session = monitor(demo_db)
    assert len(mask_motor(motor_change(session)))
    table = pd.DataFrame(
        {"site_code": ["MSK", "PRM"], "subjects": [3, 30], "overdue_doses": [0, 6]}
    )
    table["pct_treated"] = [100.0, 90.0]
    shown = masked_completeness(table)
    assert shown.loc[0, "subjects"] == SMALL and shown.loc[2, "site_code"] == "Total"
    assert shown.loc[2, "pct_treated"] is None


def test_verdicts_of_the_generic_vs_reference_comparison() -> None:
    shown = masked_products(
        pd.DataFrame(
            {"subjects": [40, 60], "subjects_with_event": [20, 30], "events": [30, 40]},
            index=["NUS-LANTESENS", "NUS-SPINRAZA"],
        ).assign(patient_years=[10.0, 20.0], serious_events=0, deaths=0)
    )

    def verdict(lower: float, upper: float, counts: tuple[int, int] = (20, 30)) -> str:
        ratios = pd.DataFrame(
            [
                {
                    "generic_product_id": "NUS-LANTESENS",
                    "reference_product_id": "NUS-SPINRAZA",
                    "measure": "incidence",
                    "generic_count": counts[0],
                    "reference_count": counts[1],
                    "rate_ratio": (lower + upper) / 2,
                    "ratio_lower": lower,
                    "ratio_upper": upper,
                    "p_value": 0.04,
                }
            ]
        )
        return comparisons(ratios, shown)[0].verdict

    assert verdict(1.1, 2.0) == "higher"
    assert verdict(0.3, 0.9) == "lower"
    assert verdict(0.8, 1.5) == "no_difference"
    assert verdict(0.8, 1.5, counts=(3, 30)) == "too_few"


def test_demo_headline_names_both_products(demo_db: Database) -> None:
    board = load_dashboard(monitor(demo_db))
    (comparison,) = board.comparisons
    values = headline_values(comparison, "en")
    generic, reference = "Lantesens (nusinersen, generic)", "Spinraza (nusinersen)"
    assert (values["generic"], values["reference"]) == (generic, reference)
    assert headline_values(comparison, "ru")["generic"] == "Лантесенс (нусинерсен, дженерик)"
    if comparison.ratio is not None:
        assert comparison.lower is not None and comparison.upper is not None
        assert comparison.lower <= comparison.ratio <= comparison.upper


# --- the result cache ------------------------------------------------------------------


def test_kept_results_are_forgotten_after_a_write(demo_db: Database) -> None:
    session, calls = monitor(demo_db), []

    def counted(s: object, f: SafetyFilter) -> pd.DataFrame:
        calls.append(f)
        return pd.DataFrame({"x": [len(calls)]})

    safety_cache.refresh(session)
    first = safety_cache.cached(session, counted, SafetyFilter())
    first.loc[0, "x"] = 99  # callers get copies
    assert safety_cache.cached(session, counted, SafetyFilter())["x"].tolist() == [1]
    assert len(calls) == 1
    add_site(system_session(demo_db, "test"), "KZN", "Kazan centre", "Tatarstan")
    safety_cache.refresh(session)
    assert safety_cache.cached(session, counted, SafetyFilter())["x"].tolist() == [2]


def test_kept_results_respect_role_and_site(demo_db: Database) -> None:
    safety_cache.refresh(monitor(demo_db))
    everyone = load_dashboard(monitor(demo_db)).products.at["Total", "patient_years"]
    own_site = load_dashboard(site_user(demo_db, "MSK")).products.at["Total", "patient_years"]
    assert own_site < everyone
    with pytest.raises(AccessDenied):
        load_dashboard(admin(demo_db))


# --- charts and formatting -------------------------------------------------------------


def test_charts_draw_only_shown_figures_and_export(demo_db: Database, tmp_path: Path) -> None:
    board = load_dashboard(monitor(demo_db), SafetyFilter(sites=("NNV",)))
    rates = safety_charts.rates_long(board.products, {"incidence": "subjects", "event": "all"})
    blanked = board.products["incidence_rate"].iloc[:-1].isna().sum()
    blanked += board.products["event_rate"].iloc[:-1].isna().sum()
    assert len(rates) == 2 * (len(board.products) - 1) - blanked
    onset = safety_charts.onset_long(board.onset)
    assert onset["events"].min() >= THRESHOLD or onset["events"].min() == 0
    charts = [
        safety_charts.rates_chart(rates, "per 100 PY", "rate"),
        safety_charts.onset_chart(onset, "days", "AEs"),
        safety_charts.motor_chart(board.motor, "months", "change"),
    ]
    if len(board.forest):
        charts.append(safety_charts.forest_chart(board.forest, {"all": "All"}, "ratio"))
    for chart in charts:
        chart.to_dict()  # a valid Vega-Lite spec
    assert safety_charts.to_png(charts[0]).startswith(b"\x89PNG\r\n\x1a\n")
    assert b"<svg" in safety_charts.to_svg(charts[1])[:200]


def test_numbers_in_the_users_language() -> None:
    assert number(1234.5, 1, "en") == "1,234.5"
    assert number(1234.5, 1, "ru") == "1\xa0234,5"  # CLDR (Babel): a no-break space
    assert number(SMALL) == SMALL and number(None) == "" and number(math.nan) == ""
    assert number(np.int64(7), 2) == "7" and number(math.inf) == "∞"
    frame = pd.DataFrame(
        {"n": [SMALL, 12, HIDDEN], "rate": [None, 1.234, 5.0], "id": ["a", "b", "c"]}
    )
    shown = formatted(frame)
    assert shown["n"].tolist() == [SMALL, "12", HIDDEN]
    assert shown["rate"].tolist() == ["", "1.2", "5.0"]
    assert shown["id"].tolist() == ["a", "b", "c"]


def test_comparison_without_figures_formats_blank() -> None:
    empty = Comparison(
        "NUS-LANTESENS", "NUS-SPINRAZA", "incidence", None, None, None, None, "too_few"
    )
    assert headline_values(empty)["ratio"] == "" and headline_values(empty)["p"] == ""


def test_age_bands_run_from_the_youngest(demo_db: Database) -> None:
    session = monitor(demo_db)
    board = load_dashboard(session)
    counts, rates = breakdown(session, SafetyFilter(), "age_band", board.products)
    order = [name for name, _ in AGE_BANDS] + [UNKNOWN_BAND]
    shown = [b for b in counts.index if b != "Total"]
    assert shown == sorted(shown, key=order.index) and counts.index[-1] == "Total"
    assert len(shown) >= 3  # the demo spans infants to adults: an order to get wrong
    seen = list(dict.fromkeys(rates["age_band"]))
    assert seen == sorted(seen, key=order.index)
    bands = board.forest[board.forest["group"] == "age_band"]["category"].tolist()
    assert bands == sorted(bands, key=order.index)


def test_band_rank_puts_unknown_and_unlisted_last_near_miss() -> None:
    assert [band_rank(b) for b in ("<6 m", "2-5 y", "12-17 y", "unknown", "??")] == [0, 2, 4, 6, 7]
