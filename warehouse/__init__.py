"""caseguard's library, one room per job.

Layers import downwards only: ``ui``/``cli`` -> ``capture``/``exchange``/``demo`` ->
``export``/``safety`` -> ``store`` -> ``anonymise`` -> ``schemas``; rooms on one layer never
import each other. ``tests/test_layering.py`` enforces it.
"""
