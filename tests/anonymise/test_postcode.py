"""Postcodes, state + ZIP codes and Irish counties written without a street before them."""

from __future__ import annotations

import pytest

from anonymise import scrub_text
from anonymise.recognizers.postcode import PostcodeRecognizer
from tests.anonymise.test_recognizers import Expected, check


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Eircodes: routing key and unique identifier, with or without the space
        ("Ennis, X02 4RTN", "X02 4RTN"),
        ("Eircode T13 WFKW.", "T13 WFKW"),
        ("home F2673X6 and C55PTN2", ("F2673X6", "C55PTN2")),
        ("Dublin D6W 1234", None),  # four digits: no letter in the identifier
        ("D6W XY12", "D6W XY12"),
        ("E21 DOSE", None),  # O is not in An Post's alphabet
        ("C55PTNX", None),  # written without a space it needs a digit too
        ("T12 L1 fracture", None),
        # US state or territory with a ZIP code
        ("Cincinnati, WY 06763", "WY 06763"),
        ("Austin, TX 78701-1234.", "TX 78701-1234"),
        ("CA, 94105", "CA, 94105"),
        ("XX 12345", None),  # not a USPS code
        ("NY 1234", None),  # four digits
        ("TX 78701.5 mg", None),
        # Irish counties after Co./County
        ("Ennis, Co. Tipperary, Ireland", "Co. Tipperary"),
        ("from County Down", "County Down"),
        ("Co. Westmeath", "Co. Westmeath"),
        ("Co. Ltd", None),
        ("the county down the road", None),
        # a code after a postcode label
        ("Postcode: 183732", "183732"),
        ("ZIP 90210", "90210"),
        ("Postal code 4585 NG", "4585 NG"),
        ("postcode pending", None),
        ("Postcode: ABC", None),  # needs a digit
    ],
)
def test_postcode(text: str, expected: Expected) -> None:
    check(PostcodeRecognizer("en"), text, expected, "LOCATION")


def test_an_irish_address_line_leaves_no_postcode_or_county() -> None:
    text = "Address: 103 Mill Lane, Ennis, Co. Tipperary, X02 4RTN\nSummary: on nusinersen; RULM 6."
    result = scrub_text(text, "en")
    for part in ("Tipperary", "X02", "4RTN", "Ennis", "Mill Lane"):
        assert part not in result.text
    assert "nusinersen" in result.text and "RULM 6" in result.text


def test_clinical_codes_next_to_numbers_survive() -> None:
    text = "MRI T12 L1 normal; HINE-2 60; RULM 15; CT 12 mm; vitamin D 1200 IU."
    assert scrub_text(text, "en").text == text
