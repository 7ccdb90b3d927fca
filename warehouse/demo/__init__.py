"""Synthetic demo centres, accounts and cases for ``make run`` and the benchmarks.
Imports only ``store``.
"""
