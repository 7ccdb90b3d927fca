"""Expedited safety reporting: MedDRA dictionaries (loading, LLT search, recoding),
expectedness against each product's reference safety information, regulatory
reporting clocks, and CIOMS I / ICH E2B(R3) report drafts for serious adverse events.
Imports ``store``, ``safety`` and ``export`` (and ``schemas``/``anonymise``); only
``ui`` and ``cli`` import this room.
"""
