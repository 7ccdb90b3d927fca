"""Latin letters of every alphabet written in names, and name folding for lexicons.

Names come from Turkish, Polish, Czech, Romanian, Vietnamese and other spellings:
"İşcan", "Łukasz", "Šťastný", "Nguyễn". The character-class bodies below cover
Latin-1, Latin Extended-A and -B and Latin Extended Additional (Vietnamese);
the extended blocks mix capitals and small letters, so both classes hold them.

A lexicon lookup must not depend on how a name's letters are written:
``"İşcan".lower()`` is "i̇şcan" (with a combining dot above), "Ayse" is how an
English form writes "Ayşe". :func:`fold_name` maps a name to one key: letters
decomposed, combining marks dropped, case folded, and the Latin letters that do
not decompose (ı, ł, ø, đ, ð, þ, æ, œ, ß) spelled in ASCII.
"""

from __future__ import annotations

import unicodedata

_EXTENDED = "Ā-ɏḀ-ỿ"
LATIN_UPPER = f"A-ZÀ-ÖØ-Þ{_EXTENDED}"
LATIN_LOWER = f"a-zß-öø-ÿ{_EXTENDED}"

_UNDECOMPOSED = str.maketrans(
    {"ı": "i", "ł": "l", "ø": "o", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe", "ß": "ss"}
)


def fold_name(word: str) -> str:
    """One lookup key for a name however its letters are written ("İşcan" -> "iscan")."""
    decomposed = unicodedata.normalize("NFKD", word)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return bare.casefold().translate(_UNDECOMPOSED)


def has_foreign_letters(word: str) -> bool:
    """True if ``word`` has a Latin letter outside English's a-z ("Işık", "Nguyễn")."""
    return any(
        not ch.isascii() and ch.isalpha() and unicodedata.name(ch, "").startswith("LATIN")
        for ch in word
    )
