"""What a site user enters: the case wizard, visits, adverse events, narratives,
treatment regimens and corrections, turned into validated rows for the store.
Imports ``store``, and ``export``/``safety`` for column labels and the baseline window.
"""
