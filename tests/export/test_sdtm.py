"""SDTM AE domain: coded terms decoded from the open list or, for MedDRA-coded events,
from the dictionary's PT and SOC names."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from warehouse.export.sdtm import build_domains

NAMES = {"PT:91000020": "Aseptic meningitis", "SOC:93000004": "Nervous system disorders"}


def _frames() -> dict[str, pd.DataFrame]:
    day = dt.date(2021, 6, 10)
    events = pd.DataFrame(
        {
            "ae_id": ["AE-1", "AE-2"],
            "subject_id": ["S1", "S1"],
            "verbatim_term": ["headache", "meningitis"],
            "coded_term": ["HEADACHE", "PT:91000020"],
            "body_system": ["Nervous system disorders", "SOC:93000004"],
            "onset_date": [day, day],
            "end_date": [None, None],
            "ctcae_grade": [2, 3],
            "serious": [False, True],
            "seriousness": [None, "hospitalisation"],
            "action_taken": ["dose_not_changed", "dose_not_changed"],
            "outcome": ["recovering", "recovering"],
        }
    )
    empty = pd.DataFrame(
        columns=["subject_id", "ae_id", "product_id", "causality", "start_date", "end_date"]
    )
    return {"adverse_events": events, "ae_causality": empty}


def test_meddra_coded_events_are_decoded_by_name() -> None:
    from warehouse.export import sdtm

    ae = sdtm._ae(*_frames().values(), pd.Series({"S1": dt.date(2021, 1, 1)}), True, NAMES)
    assert ae["AEDECOD"].tolist() == ["Headache", "Aseptic meningitis"]
    assert ae["AEBODSYS"].tolist() == ["Nervous system disorders"] * 2
    without = sdtm._ae(*_frames().values(), pd.Series({"S1": dt.date(2021, 1, 1)}), True, {})
    assert without["AEDECOD"].tolist() == ["Headache", "PT:91000020"]  # codes, never invented
    assert callable(build_domains)
