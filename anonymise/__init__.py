"""Anonymisation: keyed pseudonyms and date shifts for structured identifiers.

Free-text scrubbing (Presidio) joins this package in its own issue; importing the
package stays light so the warehouse and CLI start fast.
"""

from anonymise.keys import KeyStore
from anonymise.pseudonym import Pseudonym, pseudonymise, shift_date

__all__ = ["KeyStore", "Pseudonym", "pseudonymise", "shift_date"]
