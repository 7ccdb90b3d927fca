"""The monitor's safety analysis: the in-memory cohort snapshot, rates, follow-up,
small-count masking, the dashboard's tables, charts and wording.
Imports only ``store`` (and ``schemas``/``anonymise``).
"""
