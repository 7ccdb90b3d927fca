"""What demo subjects look like: centres, accounts, disease and therapy mixes.

Kept apart from the generator so the clinical assumptions are readable in one place.
"""

from __future__ import annotations

SITES = [
    ("MSK", "National Medical Research Center for Children's Health", "Moscow"),
    ("PRM", "Perm Regional Children's Clinical Hospital", "Perm Krai"),
    ("NNV", "Nizhny Novgorod Regional Children's Clinical Hospital", "Nizhny Novgorod Oblast"),
    ("MYT", "Mytishchi City Clinical Hospital", "Moscow Oblast"),
    ("BRN", "Altai Regional Children's Clinical Hospital, Barnaul", "Altai Krai"),
]
DEMO_PASSWORD = "caseguard-demo"  # noqa: S105 - documented demo credential
GLOBAL_USERS = [("coordinator", "coordinator"), ("monitor", "monitor"), ("admin", "admin")]

# SMA subtype -> (weight, onset months range, treatment start age months range, SMN2 copies weights)
SMA_TYPES = {
    "1a": (0.04, (0, 1), (1, 8), {"1": 0.4, "2": 0.6}),
    "1b": (0.18, (0, 3), (1, 14), {"2": 0.85, "3": 0.15}),
    "1c": (0.12, (3, 6), (4, 24), {"2": 0.7, "3": 0.3}),
    "2a": (0.18, (6, 18), (12, 120), {"2": 0.15, "3": 0.8, "4": 0.05}),
    "2b": (0.10, (6, 18), (12, 120), {"3": 0.85, "4": 0.15}),
    "3a": (0.14, (18, 36), (24, 204), {"3": 0.6, "4": 0.4}),
    "3b": (0.12, (36, 200), (48, 420), {"3": 0.3, "4": 0.65, ">=5": 0.05}),
    "4": (0.02, (216, 400), (240, 480), {"4": 0.6, ">=5": 0.4}),
    "presymptomatic": (0.10, (None, None), (0, 2), {"2": 0.5, "3": 0.4, "4": 0.1}),
}

# Motor scales by type: scale -> (baseline range, typical gain per year)
SCALES_BY_TYPE = {
    "1": {"CHOP-INTEND": ((10, 40), 7.0), "HINE-2": ((0, 4), 2.5)},
    "presymptomatic": {"CHOP-INTEND": ((35, 55), 6.0), "HINE-2": ((2, 8), 6.0)},
    "2": {"HFMSE": ((8, 30), 2.0), "RULM": ((10, 25), 1.5)},
    "3": {"HFMSE": ((35, 60), 1.0), "RULM": ((25, 35), 0.5), "6MWT": ((150, 450), 10.0)},
    "4": {"HFMSE": ((45, 62), 0.3), "6MWT": ((250, 500), 5.0)},
}

# Label-consistent adverse events:
# product -> [(term, rate per patient-year, grade weights, chance of being serious)]
AE_PROFILES = {
    "nusinersen": [
        ("POST-LP-SYNDROME", 0.25, {1: 0.6, 2: 0.35, 3: 0.05}, 0.02),
        ("HEADACHE", 0.20, {1: 0.7, 2: 0.3}, 0.0),
        ("BACK-PAIN", 0.15, {1: 0.7, 2: 0.3}, 0.0),
        ("VOMITING", 0.10, {1: 0.7, 2: 0.3}, 0.0),
        ("THROMBOCYTOPENIA", 0.04, {1: 0.7, 2: 0.25, 3: 0.05}, 0.05),
        ("PROTEINURIA", 0.06, {1: 0.8, 2: 0.2}, 0.0),
    ],
    "onasemnogene abeparvovec": [
        ("TRANSAMINASES-INCREASED", 0.9, {1: 0.4, 2: 0.35, 3: 0.25}, 0.15),
        ("ACUTE-LIVER-INJURY", 0.05, {3: 0.7, 4: 0.3}, 1.0),
        ("THROMBOCYTOPENIA", 0.3, {1: 0.6, 2: 0.3, 3: 0.1}, 0.05),
        ("VOMITING", 0.3, {1: 0.7, 2: 0.3}, 0.0),
        ("PYREXIA", 0.4, {1: 0.7, 2: 0.3}, 0.0),
        ("TROPONIN-INCREASED", 0.1, {1: 0.9, 2: 0.1}, 0.0),
        ("THROMBOTIC-MICROANGIOPATHY", 0.01, {3: 0.6, 4: 0.4}, 1.0),
    ],
    "risdiplam": [
        ("PYREXIA", 0.25, {1: 0.7, 2: 0.3}, 0.0),
        ("DIARRHOEA", 0.15, {1: 0.8, 2: 0.2}, 0.0),
        ("RASH", 0.12, {1: 0.8, 2: 0.2}, 0.0),
        ("URTI", 0.3, {1: 0.7, 2: 0.3}, 0.0),
    ],
    "seniprutug": [
        ("INFUSION-REACTION", 0.3, {1: 0.6, 2: 0.35, 3: 0.05}, 0.03),
        ("URTI", 0.3, {1: 0.7, 2: 0.3}, 0.0),
        ("NEUTROPENIA", 0.05, {1: 0.5, 2: 0.4, 3: 0.1}, 0.05),
    ],
    "any_sma": [
        ("PNEUMONIA", 0.12, {2: 0.3, 3: 0.6, 4: 0.1}, 0.8),
        ("URTI", 0.25, {1: 0.7, 2: 0.3}, 0.0),
        ("RESPIRATORY-FAILURE", 0.06, {3: 0.3, 4: 0.45, 5: 0.25}, 1.0),
        ("SCOLIOSIS", 0.03, {2: 0.6, 3: 0.4}, 0.0),
    ],
}

NARRATIVES = {
    "ru": [
        "Пациент [PERSON], {age} мес., СМА {subtype}. Получает {product}. "
        "Переносимость удовлетворительная, на фоне терапии отмечается прирост по шкале {scale}. "
        "Родители ([PERSON]) информированы.",
        "Госпитализирован в [LOCATION] для очередного введения препарата {product}. Жалоб нет, "
        "показатели анализов в пределах нормы. Следующий визит через 4 месяца.",
        "Нежелательное явление: {term}, степень {grade}. "
        "Связь с препаратом {product} оценена как возможная. Лечащий врач [PERSON], тел. [PHONE].",
    ],
    "en": [
        "Patient [PERSON], {age} months, SMA type {subtype}, treated with {product}. "
        "Tolerating therapy well; {scale} improved since baseline. Parents informed on [DATE].",
        "Admitted to [LOCATION] for the scheduled {product} dose. No complaints; "
        "labs within normal limits. Next visit in 4 months.",
        "Adverse event: {term}, CTCAE grade {grade}; causality to {product} assessed as possible. "
        "Reported by Dr [PERSON].",
    ],
}
