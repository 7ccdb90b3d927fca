"""The safety dashboard and listings pages, run headless with Streamlit's AppTest."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app_helpers import page_path, signed_in
from tests.warehouse_fixtures import make_demo
from warehouse.store.db import Database

SUBJECTS = 60
KPIS = ("Children treated", "Patient-years", "Adverse events", "Serious AEs", "Deaths")
IRR = "Rate ratio"


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("app-safety")
    return Path(make_demo(root, subjects=SUBJECTS, seed=11).path)


def dashboard(monkeypatch: pytest.MonkeyPatch, db: Path, user: str, lang: str = "en") -> AppTest:
    at = signed_in(monkeypatch, db, user, lang)
    at.switch_page(page_path("safety.py")).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def tiles(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def masked_or_number(value: str) -> bool:
    return value in ("<5", "masked") or int(value.replace(",", "")) == 0 or int(value) >= 5


@pytest.mark.parametrize("username", ["monitor", "coordinator"])
def test_dashboard_shows_tiles_headline_and_charts(
    monkeypatch: pytest.MonkeyPatch, demo_db: Path, username: str
) -> None:
    at = dashboard(monkeypatch, demo_db, username)
    assert at.title[0].value == "Safety dashboard"
    shown = tiles(at)
    assert set(KPIS) | {IRR} <= set(shown)
    assert float(shown["Patient-years"].replace(",", "")) > 0
    headline = [box.value for box in [*at.info, *at.warning, *at.success]]
    assert any("Lantesens" in text and "Spinraza" in text for text in headline)
    assert len(at.get("vega_lite_chart")) >= 3  # rates, forest or motor, onset
    assert len(at.get("download_button")) >= 6  # CSV per table, PNG + SVG per chart
    assert not at.error


def test_every_count_a_monitor_sees_is_masked_below_five(
    monkeypatch: pytest.MonkeyPatch, demo_db: Path
) -> None:
    at = dashboard(monkeypatch, demo_db, "monitor")
    at.multiselect(key="safety_f_sites").set_value(["MYT"]).run()
    assert not at.exception
    for label in ("Children treated", "Adverse events", "Serious AEs", "Deaths"):
        assert masked_or_number(tiles(at)[label]), (label, tiles(at)[label])
    products = at.dataframe[0].value  # the product table with its Total row
    assert (products == "<5").any().any()  # one centre of a small demo: some are small
    for column in ("Subjects", "Subjects with AE", "AEs", "Serious AEs", "Deaths"):
        values = products[column].astype(str).tolist()
        assert all(masked_or_number(v) for v in values), (column, values)
        hidden = [v in ("<5", "masked") for v in values]
        # a lone hidden product next to a shown total could be worked out
        assert sum(hidden[:-1]) != 1 or hidden[-1], (column, values)
    assert tiles(at)["Adverse events"] == products["AEs"].astype(str).iloc[-1]


def test_filters_change_the_numbers(monkeypatch: pytest.MonkeyPatch, demo_db: Path) -> None:
    at = dashboard(monkeypatch, demo_db, "monitor")
    everyone = float(tiles(at)["Patient-years"].replace(",", ""))
    at.multiselect(key="safety_f_sites").set_value(["MSK", "PRM"]).run()
    two_sites = float(tiles(at)["Patient-years"].replace(",", ""))
    assert 0 < two_sites < everyone
    at.multiselect(key="safety_f_products").set_value(["RIS-EVRYSDI"]).run()
    assert not at.exception
    assert float(tiles(at)["Patient-years"].replace(",", "")) < two_sites
    assert any("No generic/reference pair" in box.value for box in at.info)


def test_breakdown_choice_and_an_incomplete_period(
    monkeypatch: pytest.MonkeyPatch, demo_db: Path
) -> None:
    at = dashboard(monkeypatch, demo_db, "monitor")
    everyone = float(tiles(at)["Patient-years"].replace(",", ""))
    at.selectbox(key="safety_breakdown_by").set_value("coded_term").run()
    at.radio(key="safety_breakdown_show").set_value("rates").run()
    assert not at.exception
    assert "Term code" in at.dataframe[-1].value.columns
    at.checkbox(key="safety_f_use_period").check().run()
    assert not at.exception
    assert [e.value for e in at.error] == ["Choose both the first and the last day of the period."]
    assert at.multiselect(key="safety_f_sites").value == []  # nothing typed was lost
    at.date_input(key="safety_f_period").set_value((dt.date(2024, 1, 1), dt.date(2024, 12, 31)))
    at.run()
    assert not at.exception and not at.error
    one_year = float(tiles(at)["Patient-years"].replace(",", ""))
    assert 0 < one_year < everyone  # noqa: SIM300


@pytest.mark.parametrize("username", ["msk_neuro", "admin"])
def test_other_roles_do_not_get_the_dashboard(
    monkeypatch: pytest.MonkeyPatch, demo_db: Path, username: str
) -> None:
    at = signed_in(monkeypatch, demo_db, username)
    # the router never registers the page for them: it cannot be switched to
    for script in ("safety.py", "safety_listings.py"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(page_path(script))
    assert not at.exception
    assert all(title.value != "Safety dashboard" for title in at.title)
    assert not at.get("vega_lite_chart")
    assert IRR not in tiles(at)


def test_dashboard_in_russian_by_default(monkeypatch: pytest.MonkeyPatch, demo_db: Path) -> None:
    at = dashboard(monkeypatch, demo_db, "monitor", lang="ru")
    assert at.title[0].value == "Сводка по безопасности"
    assert "Пациенто-годы" in tiles(at)
    assert "," in tiles(at)["Пациенто-годы"]  # decimal comma
    at.multiselect(key="safety_f_sites").set_value(["MYT"]).run()
    shown = " ".join(at.dataframe[0].value.astype(str).to_numpy().ravel())
    assert "<5" in shown and "masked" not in shown  # hidden cells in the user's language


def test_listings_drill_down_to_one_serious_event(
    monkeypatch: pytest.MonkeyPatch, demo_db: Path
) -> None:
    at = signed_in(monkeypatch, demo_db, "monitor")
    at.switch_page(page_path("safety_listings.py")).run()
    assert not at.exception, [e.value for e in at.exception]
    listing = at.dataframe[0].value
    assert len(listing) > 0 and "Pseudonym" in listing.columns
    picked = at.selectbox(key="safety_sae_pick").options[-1]
    at.selectbox(key="safety_sae_pick").set_value(picked).run()
    assert not at.exception
    assert any(picked in h.value for h in at.subheader)
    shown = " ".join(m.value for m in at.markdown)
    assert "**Causality:**" in shown and "**Seriousness criteria:**" in shown
    with Database(demo_db, key_dir=demo_db.parent / "keys").connect(read_only=True) as conn:
        views = conn.execute(
            "SELECT count(*) FROM audit_log WHERE action = 'view_listing' AND username = 'monitor'"
        ).fetchone()
    assert views is not None and views[0] >= 2  # every view of the listing is audited
    # a monitor may look at row-level listings but not export them
    assert not at.get("download_button")
    assert any("cannot download" in c.value for c in at.caption)


@pytest.mark.parametrize("view", ["deaths", "overdue", "completeness"])
def test_other_listings_open_without_error(
    monkeypatch: pytest.MonkeyPatch, demo_db: Path, view: str
) -> None:
    at = signed_in(monkeypatch, demo_db, "coordinator")
    at.switch_page(page_path("safety_listings.py")).run()
    at.button_group(key="safety_listing_view").set_value(view).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error
    assert at.dataframe or at.info
    if at.dataframe:  # a coordinator may export what is shown
        assert at.get("download_button")


RAW_CODES = re.compile(
    r"\b(NUS-SPINRAZA|NUS-LANTESENS|ONA-ZOLGENSMA|RIS-EVRYSDI|recovered_with_sequelae|"
    r"dose_not_changed|not_applicable|drug_withdrawn|medically_important|"
    r"life_threatening|on-treatment|True|False)\b"
)


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_listings_show_labels_not_codes(
    monkeypatch: pytest.MonkeyPatch, demo_db: Path, lang: str
) -> None:
    """Item 12: listings showed NUS-LANTESENS, serious False/True, dose_not_changed."""
    at = signed_in(monkeypatch, demo_db, "monitor", lang=lang)
    at.switch_page(page_path("safety_listings.py")).run()
    listing = at.dataframe[0].value
    cells = " ".join(listing.astype(str).to_numpy().ravel())
    assert not RAW_CODES.search(cells), RAW_CODES.search(cells)
    detail = " ".join(m.value for m in at.markdown)
    assert not RAW_CODES.search(detail), RAW_CODES.search(detail)
    brand = "Лантесенс" if lang == "ru" else "Lantesens"
    assert brand in cells or ("Спинраза" if lang == "ru" else "Spinraza") in cells


def test_breakdown_by_seriousness_says_yes_and_no(
    monkeypatch: pytest.MonkeyPatch, demo_db: Path
) -> None:
    at = dashboard(monkeypatch, demo_db, "coordinator")
    at.selectbox(key="safety_breakdown_by").set_value("serious").run()
    first_column = at.dataframe[-1].value.iloc[:, 0].astype(str).tolist()
    assert "True" not in first_column and "False" not in first_column
    assert {"yes", "no"} & set(first_column)


def test_children_treated_says_what_it_counts(
    monkeypatch: pytest.MonkeyPatch, demo_db: Path
) -> None:
    """Item 13: 'Subjects treated 126' beside 101 subjects on the overview, unexplained."""
    at = dashboard(monkeypatch, demo_db, "coordinator")
    at.selectbox(key="safety_f_disease").set_value(None).run()
    children = int(tiles(at)["Children treated"].replace(",", ""))
    products = next(d.value for d in at.dataframe if "Patient-years" in d.value.columns)
    pairs = int(str(products["Subjects"].iloc[-1]).replace(",", ""))
    assert children <= SUBJECTS < pairs  # the demo has children who switched products
    note = " ".join(c.value for c in at.caption)
    assert f"{children:,} children treated" in note and f"{pairs:,} child–product pairs" in note


def test_dashboard_opens_on_one_disease(monkeypatch: pytest.MonkeyPatch, demo_db: Path) -> None:
    """Item 14: the time-to-onset chart mixed seniprutug (AS) into the SMA products."""
    at = dashboard(monkeypatch, demo_db, "monitor")
    assert at.selectbox(key="safety_f_disease").value == "SMA5Q"
    products = next(d.value for d in at.dataframe if "Patient-years" in d.value.columns)
    assert (
        not products.astype(str)
        .apply(lambda c: c.str.contains("Seniprutug|seniprutug"))
        .any()
        .any()
    )
