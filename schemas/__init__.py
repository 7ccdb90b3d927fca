"""What the data is: table models, reference data and validation (no I/O, no UI).

The lowest layer of caseguard: ``warehouse/`` and ``anonymise/`` build on it.
"""

from schemas.case import Case, validate_case
from schemas.errors import CaseguardError, ValidationFailed
from schemas.problems import Problem
from schemas.reference import Reference, load_reference
from schemas.tables import CLINICAL_TABLES, TABLES, Table
from schemas.validate import checked_table, validate_table

__all__ = [
    "CLINICAL_TABLES",
    "TABLES",
    "Case",
    "CaseguardError",
    "Problem",
    "Reference",
    "Table",
    "ValidationFailed",
    "checked_table",
    "load_reference",
    "validate_case",
    "validate_table",
]
