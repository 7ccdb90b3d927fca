"""Words the user sees, in English and Russian.

Labels, help texts and messages of the app live in YAML files under
``schemas/messages/ui/`` (one file per page or area), each key with an ``en`` and a
``ru`` text; the exports' data dictionary reads the same field labels. A missing
translation is an error at load time, not a blank on screen.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from schemas.errors import ReferenceDataError

UI_DIR = Path(__file__).parent / "messages" / "ui"
LANGUAGES = ("ru", "en")
DEFAULT_LANGUAGE = "ru"


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, str]]:
    """Every UI text by key, merged from all files; keys must be unique."""
    merged: dict[str, dict[str, str]] = {}
    for path in sorted(UI_DIR.glob("*.yaml")):
        for key, texts in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).items():
            if key in merged:
                raise ReferenceDataError(f"UI text {key!r} is defined twice ({path.name})")
            missing = [lang for lang in LANGUAGES if not str(texts.get(lang, "")).strip()]
            if missing:
                raise ReferenceDataError(f"UI text {key!r} in {path.name} lacks {missing}")
            merged[str(key)] = {lang: str(texts[lang]) for lang in LANGUAGES}
    return merged


def text(key: str, lang: str = DEFAULT_LANGUAGE, **values: object) -> str:
    """The text for ``key`` in ``lang``, with ``{name}`` placeholders filled in."""
    entry = catalogue().get(key)
    if entry is None:
        raise KeyError(f"no UI text {key!r}")
    template = entry.get(lang) or entry["en"]
    return template.format(**values) if values else template
