"""Reliability and security drills (issue 7).

Every drill runs in two sizes: a fast one inside ``make test`` and a full one under
``make drills`` (``CASEGUARD_DRILLS=full``), which also records its figures in
``docs/DRILLS.md``. See :mod:`tests.drills.scale` and :mod:`tests.drills.report`.
"""
