"""The table registry: each warehouse table, its Pandera model and its key."""

from __future__ import annotations

from dataclasses import dataclass

import pandera.pandas as pa

from schemas.administration import SitesModel, UsersModel
from schemas.adverse_events import AdverseEventsModel, AECausalityModel
from schemas.narratives import NarrativesModel
from schemas.observations import AssessmentsModel, LabsModel
from schemas.reference_models import ProductsModel
from schemas.subjects import ConsentsModel, SubjectsModel
from schemas.treatments import TreatmentsModel


@dataclass(frozen=True)
class Table:
    """A table's name, model and key columns (in order)."""

    name: str
    model: type[pa.DataFrameModel]
    key: tuple[str, ...]

    @property
    def columns(self) -> list[str]:
        """The model's columns, in declaration order."""
        return list(self.model.to_schema().columns)


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table("sites", SitesModel, ("site_code",)),
        Table("users", UsersModel, ("username",)),
        Table("products", ProductsModel, ("product_id",)),
        Table("subjects", SubjectsModel, ("subject_id",)),
        Table("consents", ConsentsModel, ("subject_id",)),
        Table("treatments", TreatmentsModel, ("treatment_id",)),
        Table("assessments", AssessmentsModel, ("assessment_id",)),
        Table("labs", LabsModel, ("lab_id",)),
        Table("adverse_events", AdverseEventsModel, ("ae_id",)),
        Table("ae_causality", AECausalityModel, ("ae_id", "product_id")),
        Table("narratives", NarrativesModel, ("narrative_id",)),
    )
}

# Tables holding one subject's clinical data, in the order a case is written.
CLINICAL_TABLES = (
    "subjects",
    "consents",
    "treatments",
    "assessments",
    "labs",
    "adverse_events",
    "ae_causality",
    "narratives",
)
