"""The new-case wizard as a site neurologist clicks through it (English labels)."""

from __future__ import annotations

from typing import Any

from tests.conftest import choose_option, fill_number

TIMEOUT = 60_000  # two shared cores: be generous


def settle(page: Any) -> None:
    """Wait for the app's rerun (if any) to finish, so a click is not lost to it."""
    page.wait_for_timeout(700)
    running = page.get_by_test_id("stStatusWidget").filter(has_text="Running")
    running.first.wait_for(state="hidden", timeout=TIMEOUT)


def next_step(page: Any, step: int) -> None:
    """Click Next and wait for wizard step ``step`` of 4."""
    settle(page)
    page.get_by_role("button", name="Next").click()
    page.get_by_text(f"Step {step} of 4").wait_for(state="visible", timeout=TIMEOUT)


def fill_new_case(page: Any, birth_year: int, chop_intend: int) -> None:
    """Steps 1 to 4 of a girl with SMA type 1b (consent by a legal representative,
    onset at 2 months, index at 14, SMN2 x 2), up to the Save button: the wizard
    must be on step 1 when called."""
    page.get_by_text("Consent to processing of personal data").click()
    page.get_by_text("Consent to use in pooled (multicentre) research").click()
    page.get_by_text("Legal representative", exact=True).click()
    next_step(page, 2)

    choose_option(page, "Sex", "Female")
    fill_number(page, "Year of birth", str(birth_year))
    fill_number(page, "Age at onset of symptoms, months", "2")
    fill_number(page, "Age at the index date, months", "14")
    next_step(page, 3)

    choose_option(page, "Subtype", "SMA type 1b (onset before 3 months)")
    choose_option(page, "SMN1 status", "Homozygous deletion of exon 7 (+/- 8)")
    choose_option(page, "SMN2 copy number", "2")
    next_step(page, 4)

    choose_option(page, "Scale", "CHOP INTEND")
    fill_number(page, "Score", str(chop_intend))
    choose_option(page, "Best motor function", "Non-sitter")
