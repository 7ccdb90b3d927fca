"""A synthetic dictionary in MedDRA's file layout, for the demo, the tests and the
benchmark: invented codes (9xxxxxxx, a range MedDRA does not use) and invented terms
built from caseguard's own open term list, never MedDRA text.

Each open-list term becomes a PT (its body system a SOC, with one HLGT and one HLT of
invented names); each PT has an LLT of the same name, two invented variants and one
non-current LLT. ``extra_llts`` adds made-up words for load tests (80k for the
benchmark). English and Russian folders share every code, as a MedDRA translation does.
"""

from __future__ import annotations

import random
from pathlib import Path

from schemas import load_reference

VERSION = "90.0"
NEXT_VERSION = "90.1"
LANGUAGES = {"en": "English", "ru": "Russian"}
_VARIANT = {
    "en": ("{term}, synthetic variant {n}", "{term} (obsolete synthetic)"),
    "ru": ("{term}, синтетический вариант {n}", "{term} (устаревший синтетический)"),
}
_GROUP = {
    "en": ("{name} (synthetic group)", "{name} (synthetic high-level term)"),
    "ru": ("{name} (синтетическая группа)", "{name} (синтетический термин высокого уровня)"),
}
_SYLLABLES = {
    "en": ["ka", "lo", "mer", "tin", "sa", "vor", "pel", "dri", "nu", "zet", "qua", "ros"],
    "ru": ["ка", "ло", "мер", "тин", "са", "вор", "пел", "дри", "ну", "зет", "ква", "рос"],
}


def pt_code(index: int) -> int:
    """The invented PT code of the open list's ``index``-th term."""
    return 91_000_000 + index


def llt_code(index: int, variant: int) -> int:
    """The invented LLT code of a term's ``variant`` (0 = same name as the PT)."""
    return 92_000_000 + index * 10 + variant


def _plan() -> tuple[list[tuple[str, str, str, str, str]], list[str]]:
    terms = load_reference().ae_terms
    rows = [
        (
            str(tid),
            str(r["term_en"]),
            str(r["term_ru"]),
            str(r["body_system_en"]),
            str(r["body_system_ru"]),
        )
        for tid, r in terms.iterrows()
    ]
    socs = list(dict.fromkeys(r[3] for r in rows))
    return rows, socs


def _word(rng: random.Random, lang: str) -> str:
    parts = rng.choices(_SYLLABLES[lang], k=rng.randint(2, 4))
    return "".join(parts).capitalize()


def write_distribution(
    folder: Path,
    lang: str = "en",
    version: str = VERSION,
    extra_llts: int = 0,
    retire: tuple[int, ...] = (),
    seed: int = 7,
) -> Path:
    """Write the synthetic distribution in ``lang`` to ``folder``; return the folder.

    ``retire`` lists open-list indexes whose same-name LLT is non-current in this
    version (to exercise recoding between versions).
    """
    folder.mkdir(parents=True, exist_ok=True)
    rows, socs = _plan()
    col = 1 if lang == "en" else 2
    soc_col = 3 if lang == "en" else 4
    soc_names = {r[3]: r[soc_col] for r in rows}
    soc_code = {name: 93_000_000 + i for i, name in enumerate(socs)}
    hlgt_code = {name: 94_000_000 + i for i, name in enumerate(socs)}
    out: dict[str, list[str]] = {
        name: []
        for name in ("llt", "pt", "hlt", "hlt_pt", "hlgt", "hlgt_hlt", "soc", "soc_hlgt", "mdhier")
    }
    group, high = _GROUP[lang]
    for soc in socs:
        name = soc_names[soc]
        out["soc"].append(f"{soc_code[soc]}${name}${name[:5]}$$$$$$$$")
        out["hlgt"].append(f"{hlgt_code[soc]}${group.format(name=name)}$$$$$$$$")
        out["soc_hlgt"].append(f"{soc_code[soc]}${hlgt_code[soc]}$")
    same, obsolete = _VARIANT[lang]
    for i, row in enumerate(rows):
        term, soc = row[col], row[3]
        pt, hlt = pt_code(i), 95_000_000 + i
        out["pt"].append(f"{pt}${term}$${soc_code[soc]}$$$$$$$$")
        out["hlt"].append(f"{hlt}${high.format(name=term)}$$$$$$$$")
        out["hlt_pt"].append(f"{hlt}${pt}$")
        out["hlgt_hlt"].append(f"{hlgt_code[soc]}${hlt}$")
        out["mdhier"].append(
            f"{pt}${hlt}${hlgt_code[soc]}${soc_code[soc]}${term}${high.format(name=term)}$"
            f"{group.format(name=soc_names[soc])}${soc_names[soc]}${soc_names[soc][:5]}$$"
            f"{soc_code[soc]}$Y$"
        )
        llts = [(0, term, i not in retire)]
        llts += [(n, same.format(term=term, n=n), True) for n in (1, 2)]
        llts.append((3, obsolete.format(term=term), False))
        for variant, name, current in llts:
            flag = "Y" if current else "N"
            out["llt"].append(f"{llt_code(i, variant)}${name}${pt}$$$$$$${flag}$$")
    rng = random.Random(seed)
    for n in range(extra_llts):
        i = rng.randrange(len(rows))
        words = " ".join(_word(rng, lang) for _ in range(rng.randint(1, 3)))
        name = f"{words} {rows[i][col].lower()}"[:200]
        out["llt"].append(f"{96_000_000 + n}${name}${pt_code(i)}$$$$$$$Y$$")
    for name, lines in out.items():
        (folder / f"{name}.asc").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "meddra_release.asc").write_text(f"{version}${LANGUAGES[lang]}$$$$\n", "utf-8")
    return folder
