"""The new-case wizard and other form steps as a site neurologist clicks through them,
in either language: every label is read from the app's own texts and reference data,
so the same steps walk the Russian and the English pages."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from schemas.common import REF
from schemas.labels import text
from tests.conftest import choose_option, fill_number

TIMEOUT = 60_000  # two shared cores: be generous
# Texts Streamlit's own widgets write in English; none may show on a Russian page.
ENGLISH_WIDGET_TEXTS = ("Choose options", "Choose an option", "No results", "Select all")


def settle(page: Any) -> None:
    """Wait for the app's rerun (if any) to finish, so a click is not lost to it."""
    page.wait_for_timeout(700)
    running = page.get_by_test_id("stStatusWidget").filter(has_text="Running")
    running.first.wait_for(state="hidden", timeout=TIMEOUT)


def step_text(step: int, lang: str = "en") -> str:
    """The start of the wizard's progress text for ``step`` ("Step 2 of 4")."""
    return text("subject_step", lang, n=step, name="").rsplit(":", 1)[0]


def next_step(page: Any, step: int, lang: str = "en") -> None:
    """Click Next and wait for wizard step ``step`` of 4.

    On a loaded machine a click can land while a rerun redraws the page and be lost; it
    is clicked again (a few times) as long as the wizard shows no problem. A problem
    on the page fails at once, with its text.
    """
    arrived = page.get_by_text(step_text(step, lang))
    for _ in range(3):
        settle(page)
        primary_button(page, text("subject_next", lang)).click()
        try:
            arrived.wait_for(state="visible", timeout=TIMEOUT // 3)
            return
        except Exception:  # noqa: BLE001  (not there yet: a lost click, or a problem)
            errors = page.get_by_test_id("stAlertContentError")
            if errors.count():
                raise AssertionError(f"step {step} refused: {errors.all_inner_texts()}") from None
    arrived.wait_for(state="visible", timeout=TIMEOUT)


def primary_button(page: Any, name: str) -> Any:
    """The page's primary button called ``name`` (not a date picker's "Next month")."""
    return page.get_by_test_id("stBaseButton-primary").filter(has_text=name).first


def type_date(page: Any, label: str, day: dt.date) -> None:
    """Type a date into a segmented date input (any segment order) and leave it.

    Each segment (day, month, year spinbutton) is focused and typed in turn; a rerun
    can redraw the input mid-typing, so it is typed again until the year holds.
    """
    year = page.get_by_role("spinbutton", name=f"year, {label}")
    for _ in range(4):
        settle(page)
        for part, value in (("day", f"{day:%d}"), ("month", f"{day:%m}"), ("year", f"{day:%Y}")):
            page.get_by_role("spinbutton", name=f"{part}, {label}").focus()
            page.keyboard.type(value, delay=60)
        page.keyboard.press("Tab")
        page.keyboard.press("Escape")  # close the calendar the typing opened
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and year.get_attribute("aria-valuetext") != str(day.year):
            time.sleep(0.25)
        settle(page)
        if year.get_attribute("aria-valuetext") == str(day.year):
            return
    raise AssertionError(f"{label} never took {day}")


def marker_label(name: str, lang: str) -> str:
    return str(REF.diseases["SMA5Q"].genetic_markers[name][f"label_{lang}"])


def fill_consent(page: Any, lang: str = "en") -> None:
    """Step 1: processing and pooled-research consent, signed by a legal representative."""
    page.get_by_text(text("subject_f_processing", lang)).click()
    page.get_by_text(text("subject_f_pooled_research", lang)).click()
    page.get_by_text(REF.label("consent_signers", "legal_representative", lang), exact=True).click()


def fill_demographics(page: Any, birth_year: int, onset: str = "2", lang: str = "en") -> None:
    """Step 2: a girl, onset at ``onset`` months, 14 months old at the index date."""
    choose_option(page, text("subject_f_sex", lang), REF.label("sexes", "female", lang))
    fill_number(page, text("subject_f_birth_year", lang), str(birth_year))
    fill_number(page, text("subject_f_age_at_onset_months", lang), onset)
    fill_number(page, text("subject_f_age_at_index_months", lang), "14")


def fill_diagnosis(page: Any, subtype: str = "1b", lang: str = "en") -> None:
    """Step 3: SMA of ``subtype``, homozygous SMN1 deletion, two SMN2 copies."""
    name = getattr(REF.diseases["SMA5Q"].subtypes[subtype], f"name_{lang}")
    choose_option(page, text("subject_f_disease_subtype", lang), name)
    smn1 = REF.diseases["SMA5Q"].genetic_markers["smn1_status"]["values"][0][f"name_{lang}"]
    choose_option(page, marker_label("smn1_status", lang), smn1)
    choose_option(page, marker_label("smn2_copies", lang), "2")


def fill_baseline(page: Any, chop_intend: int, lang: str = "en") -> None:
    """Step 4: a CHOP INTEND score and the best motor function."""
    choose_option(
        page, text("subject_f_scale", lang), str(REF.scale("CHOP-INTEND")[f"name_{lang}"])
    )
    fill_number(page, text("subject_f_score", lang), str(chop_intend))
    motor = REF.label("motor_function", "non_sitter", lang)
    choose_option(page, text("subject_f_motor_function", lang), motor)


def fill_new_case(page: Any, birth_year: int, chop_intend: int, lang: str = "en") -> None:
    """Steps 1 to 4 of a girl with SMA type 1b (consent by a legal representative,
    onset at 2 months, index at 14, SMN2 x 2), up to the Save button: the wizard
    must be on step 1 when called."""
    fill_consent(page, lang)
    next_step(page, 2, lang)
    fill_demographics(page, birth_year, lang=lang)
    next_step(page, 3, lang)
    fill_diagnosis(page, lang=lang)
    next_step(page, 4, lang)
    fill_baseline(page, chop_intend, lang)


def english_widget_texts(page: Any) -> list[str]:
    """Streamlit's English widget texts showing on the page (see ENGLISH_WIDGET_TEXTS),
    placeholders of inputs included."""
    found = page.evaluate(
        """(texts) => {
            const body = document.body.innerText;
            const holders = [...document.querySelectorAll('input[placeholder]')]
                .map((i) => i.placeholder);
            return texts.filter((t) => body.includes(t) || holders.includes(t));
        }""",
        list(ENGLISH_WIDGET_TEXTS),
    )
    return list(found)
