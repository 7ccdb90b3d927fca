"""Pooled, disclosure-checked datasets for the coordinating centre: reading the
eligible rows, k-anonymity, SDTM, the data dictionary and the files written.
Imports only ``store`` (and ``schemas``/``anonymise``).
"""
