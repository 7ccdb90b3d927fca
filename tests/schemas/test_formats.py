"""Numbers as a reader of each language expects them."""

from __future__ import annotations

import pytest

from schemas.formats import dose_amount_text, number_text


@pytest.mark.parametrize(
    ("value", "lang", "shown"),
    [
        (8.8e14, "en", "8.8 × 10¹⁴"),
        (8.8e14, "ru", "8,8 × 10¹⁴"),
        (1.1e14, "en", "1.1 × 10¹⁴"),
        (2_500_000, "en", "2.5 × 10⁶"),
        (999_999, "en", "1,000,000"),  # three significant digits, still written out
        (12.0, "ru", "12"),
        (0.75, "ru", "0,75"),
        (0.0, "en", "0"),
    ],
)
def test_dose_amounts_read_as_a_prescriber_writes_them(value: float, lang: str, shown: str) -> None:
    assert dose_amount_text(value, lang) == shown


@pytest.mark.parametrize("value", [1e22, -1e300, float("inf"), float("nan")])
def test_numbers_beyond_any_measure_are_quoted_not_crashed_on(value: float) -> None:
    """A hostile score of 1e22 is quoted back in its message (Babel overflowed on it)."""
    assert number_text(value, "ru") == f"{value:g}"
