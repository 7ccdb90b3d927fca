"""Presidio's own recognizers for numbers that turn up in letters from anywhere.

Referral letters and parents' messages carry identifiers of other health and
payment systems: payment cards (Luhn-checked), IBANs (checksummed), IP
addresses, US social security, taxpayer (ITIN) and passport numbers, UK NHS
numbers (mod-11) and UK National Insurance numbers. Presidio's predefined
recognizers already know their formats and check digits; this wrapper runs
them and reports every hit as an ``ID``, so caseguard never finds less than
stock Presidio does.

Stock patterns that Presidio itself scores as "very weak" (any nine digits
might be a US passport) count only with one of the recognizer's own context
words shortly before them ("SSN", "passport", "tax"), the way Presidio's
context enhancer would lift them. Doses, lot numbers and scores are cut out
later by the clinical allow-list, as for every other result.
"""

from __future__ import annotations

import re
from functools import cached_property

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from presidio_analyzer.predefined_recognizers import (
    CreditCardRecognizer,
    IbanRecognizer,
    IpRecognizer,
    NhsRecognizer,
    UkNinoRecognizer,
    UsItinRecognizer,
    UsPassportRecognizer,
    UsSsnRecognizer,
)

from anonymise.recognizers.base import CaseguardRecognizer

STOCK_CLASSES: tuple[type[EntityRecognizer], ...] = (
    CreditCardRecognizer,
    IbanRecognizer,
    IpRecognizer,
    UsSsnRecognizer,
    UsItinRecognizer,
    UsPassportRecognizer,
    NhsRecognizer,
    UkNinoRecognizer,
)
#: Below this stock score a match needs a context word (Presidio's "very weak").
WEAK = 0.4
CONTEXT_WINDOW = 40
# A stock result's score after our own checks: validated ones (checksums) rank
# with the project's labelled rules, the rest just above the threshold.
VALIDATED_SCORE = 0.9
PLAIN_SCORE = 0.6


class StockIdentifierRecognizer(CaseguardRecognizer):
    """Presidio's card, IBAN, IP, US and UK number recognizers, reported as ID."""

    ENTITY = "ID"

    @cached_property
    def _stock(self) -> list[tuple[EntityRecognizer, re.Pattern[str] | None]]:
        """Each stock recognizer (built for English) with a regex of its context words."""
        built = []
        for cls in STOCK_CLASSES:
            recognizer = cls(supported_language="en")  # type: ignore[call-arg]
            words = [w for w in (recognizer.context or []) if w.isalnum() and len(w) > 2]
            context = (
                re.compile(rf"(?i)\b(?:{'|'.join(map(re.escape, words))})\b") if words else None
            )
            built.append((recognizer, context))
        return built

    def find(self, text: str, nlp_artifacts: NlpArtifacts | None) -> list[RecognizerResult]:
        """Every stock hit, weak ones only with their context word before them."""
        results = []
        for recognizer, context in self._stock:
            for hit in recognizer.analyze(text, recognizer.supported_entities, None):  # type: ignore[arg-type]
                if hit.score >= WEAK:
                    score = VALIDATED_SCORE if hit.score >= 1.0 else PLAIN_SCORE
                elif context is not None and context.search(
                    text, max(0, hit.start - CONTEXT_WINDOW), hit.start
                ):
                    score = PLAIN_SCORE
                else:
                    continue
                results.append(self.result(hit.start, hit.end, score, stock_entity=hit.entity_type))
        return results
