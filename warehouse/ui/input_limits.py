"""How much a text box accepts before the browser stops taking more.

A narrative may hold ``MAX_TEXT`` characters; the box takes ten times that, so a paste
that is too long is kept whole (and the user told to shorten it) instead of being cut
without a word, while a hostile client still cannot park megabytes in a session.
"""

from __future__ import annotations

from schemas.common import MAX_TEXT

NARRATIVE_INPUT_CAP = 10 * MAX_TEXT
