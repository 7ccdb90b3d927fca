"""Reference data: what ships, how it hangs together, and a user-supplied AE term list."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pytest

from schemas import CaseguardError, load_reference, validate_table
from schemas.errors import ReferenceDataError
from schemas.reference import VOCABULARY_NAMES

HEADER = "term_id,term_en,term_ru,body_system_en,body_system_ru"
MEDDRA_HEADACHE = (
    "10019211,Headache,Головная боль,Nervous system disorders,Нарушения нервной системы"
)


def adverse_event(coded_term: str, body_system: str = "Nervous system disorders") -> dict[str, Any]:
    return {
        "ae_id": "AE-0001",
        "subject_id": "MSK-ABCDEF123456",
        "verbatim_term": "headache",
        "coded_term": coded_term,
        "body_system": body_system,
        "onset_date": "2021-03-02",
        "end_date": "2021-03-04",
        "ctcae_grade": 1,
        "serious": False,
        "seriousness": None,
        "action_taken": "dose_not_changed",
        "outcome": "recovered",
    }


def use_terms(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *lines: str) -> Path:
    """Write a term list CSV and point $CASEGUARD_AE_TERMS at it."""
    path = tmp_path / "meddra_extract.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setenv("CASEGUARD_AE_TERMS", str(path))
    return path


def term_checks(coded_term: str, body_system: str = "Nervous system disorders") -> set[str]:
    return {
        p.check for p in validate_table("adverse_events", [adverse_event(coded_term, body_system)])
    }


# --- the shipped reference data -----------------------------------------------------


def test_reference_loads_with_both_disease_areas() -> None:
    ref = load_reference()
    assert {"SMA5Q", "AS"} <= set(ref.diseases)
    assert {
        "NUS-SPINRAZA",
        "NUS-LANTESENS",
        "ONA-ZOLGENSMA",
        "RIS-EVRYSDI",
        "SEN-SENIPRUTUG",
    } <= set(ref.products.index)


def test_reference_is_loaded_once() -> None:
    assert load_reference() is load_reference()


@pytest.mark.parametrize("disease", ["SMA5Q", "AS"])
def test_every_disease_scale_and_lab_test_exists(disease: str) -> None:
    ref = load_reference()
    found = ref.diseases[disease]
    assert found.scales and set(found.scales) <= set(ref.scales.index)
    assert found.lab_tests and set(found.lab_tests) <= set(ref.lab_tests.index)


def test_every_product_names_known_diseases() -> None:
    ref = load_reference()
    for product_id, diseases in ref.products["diseases"].items():
        assert diseases and set(diseases) <= set(ref.diseases), product_id


def test_lantesens_is_a_generic_of_spinraza_with_the_same_inn() -> None:
    ref = load_reference()
    generic, original = ref.product("NUS-LANTESENS"), ref.product("NUS-SPINRAZA")
    assert generic["is_generic"] and not original["is_generic"]
    assert generic["reference_product_id"] == "NUS-SPINRAZA"
    assert generic["inn"] == original["inn"] == "nusinersen"
    assert (generic["route"], generic["doses"]) == (original["route"], original["doses"])


def test_nusinersen_regimen_is_loading_then_every_4_months() -> None:
    spinraza = load_reference().product("NUS-SPINRAZA")
    assert spinraza["loading_days"] == [0, 14, 28, 63]
    assert spinraza["maintenance_interval_months"] == 4
    assert spinraza["doses"] == [{"value": 12, "unit": "mg"}]


@pytest.mark.parametrize(
    ("scale", "low", "high"),
    [
        ("CHOP-INTEND", 0, 64),
        ("HFMSE", 0, 66),
        ("RULM", 0, 37),
        ("HINE-2", 0, 26),
        ("BASDAI", 0, 10),
        ("BASFI", 0, 10),
        ("6MWT", 0, None),
        ("ASDAS-CRP", 0, None),
    ],
)
def test_scale_ranges_match_the_design(scale: str, low: float, high: float | None) -> None:
    found = load_reference().scale(scale)
    assert found["min"] == low
    assert math.isnan(found["max"]) if high is None else found["max"] == high


@pytest.mark.parametrize("vocabulary", VOCABULARY_NAMES)
def test_every_code_has_english_and_russian_labels(vocabulary: str) -> None:
    ref = load_reference()
    for code in ref.codes(vocabulary):
        en, ru = ref.label(vocabulary, code, "en"), ref.label(vocabulary, code, "ru")
        assert en and ru and en != ru, (vocabulary, code)


def test_labels_translate_and_unknown_codes_fall_back() -> None:
    ref = load_reference()
    assert ref.label("outcomes", "fatal", "ru") == "Смерть"
    assert ref.label("outcomes", "fatal") == "Fatal"
    assert ref.label("outcomes", "exploded", "ru") == "exploded"


def test_reference_error_is_a_caseguard_error_with_a_title() -> None:
    assert issubclass(ReferenceDataError, CaseguardError)
    assert ReferenceDataError.title == "Invalid reference data"


# --- a user-supplied AE term list ---------------------------------------------------


def test_user_term_list_replaces_the_open_list(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    use_terms(monkeypatch, tmp_path, HEADER, MEDDRA_HEADACHE)
    assert list(load_reference().ae_terms.index) == ["10019211"]
    assert validate_table("adverse_events", [adverse_event("10019211")]) == []
    assert "term_is_listed" in term_checks("HEADACHE")


def test_user_term_list_supplies_the_body_system(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    use_terms(monkeypatch, tmp_path, HEADER, MEDDRA_HEADACHE)
    assert "body_system_fits_term" in term_checks("10019211", "Gastrointestinal disorders")


def test_open_list_is_back_once_the_variable_is_gone(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    use_terms(monkeypatch, tmp_path, HEADER, MEDDRA_HEADACHE)
    assert "term_is_listed" in term_checks("HEADACHE")
    monkeypatch.undo()
    assert validate_table("adverse_events", [adverse_event("HEADACHE")]) == []
    assert "term_is_listed" in term_checks("10019211")


MALFORMED = {
    "missing_column": (
        [HEADER.rsplit(",", 1)[0], MEDDRA_HEADACHE.rsplit(",", 1)[0]],
        ["body_system_ru"],
    ),
    "duplicate_term_id": (
        [HEADER, MEDDRA_HEADACHE, MEDDRA_HEADACHE.replace("Headache,", "Cephalgia,")],
        ["term_id", "10019211"],
    ),
    "extra_column": ([HEADER + ",llt_code", MEDDRA_HEADACHE + ",10019211"], ["llt_code"]),
    "blank_term_id": ([HEADER, "," + MEDDRA_HEADACHE.split(",", 1)[1]], ["term_id"]),
    "short_term": (
        [HEADER, "10019211,H,Г,Nervous system disorders,Нарушения"],
        ["term_en", "term_ru"],
    ),
    "empty_file": ([""], ["meddra_extract.csv"]),
}


@pytest.mark.parametrize(("lines", "named"), MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_term_list_is_refused_clearly(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, lines: list[str], named: list[str]
) -> None:
    use_terms(monkeypatch, tmp_path, *lines)
    with pytest.raises(ReferenceDataError) as raised:
        load_reference()
    assert all(word in str(raised.value) for word in named), str(raised.value)


def test_missing_term_list_file_is_refused_with_its_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere.csv"
    monkeypatch.setenv("CASEGUARD_AE_TERMS", str(missing))
    with pytest.raises(ReferenceDataError, match="nowhere.csv"):
        load_reference()


def test_term_list_without_term_id_column_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    use_terms(monkeypatch, tmp_path, HEADER.split(",", 1)[1], MEDDRA_HEADACHE.split(",", 1)[1])
    with pytest.raises(ReferenceDataError, match="term_id"):
        load_reference()


def test_disclosure_ladders_and_weights_are_checked() -> None:
    import dataclasses

    from schemas.disclosure_spec import disclosure_problems, quasi_identifiers, weights

    ref = load_reference()
    assert disclosure_problems(ref) == []
    names = {qi.name for qi in quasi_identifiers(ref)}
    # every genetic marker of every disease is a quasi-identifier (HLA-B27 included)
    assert {"smn2_copies", "smn1_status", "hla_b27"} <= names
    assert weights(ref, ["AS"])["hla_b27"] > weights(ref, ["AS"])["area"]
    assert weights(ref, ["SMA5Q"])["disease_subtype"] > weights(ref, ["SMA5Q"])["area"]
    spec = dict(ref.disclosure)
    qis = {**spec["quasi_identifiers"]}
    age = {**qis["age_band"], "bands": [*qis["age_band"]["bands"]]}
    age["bands"].append({"name": "odd", "bands": [["<3 y", 36], [">=3 y", None]]})
    bad = dataclasses.replace(
        ref, disclosure={**spec, "quasi_identifiers": {**qis, "age_band": age}}
    )
    assert any("subset of the finer level" in p for p in disclosure_problems(bad))
    sma = ref.diseases["SMA5Q"]
    odd = dataclasses.replace(sma, disclosure={"weights": {"height": 2}})
    bad = dataclasses.replace(ref, diseases={**ref.diseases, "SMA5Q": odd})
    assert any("unknown quasi-identifier 'height'" in p for p in disclosure_problems(bad))


# --- every value a user reads has both languages, checked on load -------------------


def _load_edited(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str, old: str, new: str
) -> Any:
    """Load the shipped reference data with one edit to one file (the copy in tmp_path)."""
    import shutil

    import schemas.reference as reference

    folder = tmp_path / "reference"
    shutil.copytree(reference.REFERENCE_DIR, folder)
    path = folder / name
    content = path.read_text(encoding="utf-8")
    assert old in content
    path.write_text(content.replace(old, new, 1), encoding="utf-8")
    monkeypatch.setattr(reference, "REFERENCE_DIR", folder)
    reference._load.cache_clear()
    try:
        return reference._load(None)
    finally:
        reference._load.cache_clear()


def test_unedited_copy_loads(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    ref = _load_edited(monkeypatch, tmp_path, "centres.yaml", "", "")
    assert ref.centre_name("MSK", "", "ru") == "НМИЦ здоровья детей"


@pytest.mark.parametrize(
    ("name", "old", "new", "named"),
    [
        (
            "vocabularies.yaml",
            "{code: mg, name_en: mg, name_ru: мг}",
            "{code: mg, name_en: mg}",
            "units mg: no name_ru",
        ),
        (
            "vocabularies.yaml",
            "name_ru: Наблюдается",
            "name_ru: ''",
            "subject_statuses active: no name_ru",
        ),
        (
            "lab_tests.yaml",
            'unit: "g/L"',
            'unit: "g/dL"',
            "lab test U-PROT: unit 'g/dL' is not in units",
        ),
        ("lab_tests.yaml", 'name_ru: "Тромбоциты", ', "", "lab test PLT: no name_ru"),
        (
            "products.yaml",
            "brand_ru: Лантесенс",
            "brand_ru: null",
            "product NUS-LANTESENS: a brand needs both",
        ),
        (
            "products.yaml",
            "doses: [{value: 12, unit: mg}]",
            "doses: [{value: 12, unit: mgs}]",
            "unit 'mgs' is not in units",
        ),
        (
            "centres.yaml",
            'name_ru: "Пермская краевая детская клиническая больница", ',
            "",
            "centre PRM: no name_ru",
        ),
        (
            "centres.yaml",
            "region: RU-ALT",
            "region: Altai",
            "centre BRN: region 'Altai' is not in regions",
        ),
        (
            "diseases.yaml",
            'name_ru: "Другое"',
            'name_ru: ""',
            "disease SMA5Q: a name or label lacks",
        ),
    ],
)
def test_a_missing_translation_fails_the_load(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str, old: str, new: str, named: str
) -> None:
    with pytest.raises(ReferenceDataError, match=re.escape(named)):
        _load_edited(monkeypatch, tmp_path, name, old, new)


def test_one_product_label_in_both_languages() -> None:
    ref = load_reference()
    assert ref.product_label("NUS-SPINRAZA", "ru") == "Спинраза (нусинерсен)"
    assert ref.product_label("NUS-LANTESENS", "ru") == "Лантесенс (нусинерсен, дженерик)"
    assert ref.product_label("NUS-LANTESENS", "en") == "Lantesens (nusinersen, generic)"
    assert ref.product_label("SEN-SENIPRUTUG", "ru") == "сенипрутуг"
    assert ref.unit("10^9/L", "ru") == "×10⁹/л" and ref.unit("mg", "ru") == "мг"
    assert ref.region_name("Perm Krai", "ru") == ref.region_name("RU-PER", "ru") == "Пермский край"
    assert ref.centre_name("XYZ", "Registered name", "ru") == "Registered name"
