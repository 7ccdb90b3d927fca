"""Web addresses: with a scheme, starting "www.", or a bare domain with a path.

Bare domains are checked against the public-suffix list bundled with tldextract
(its snapshot; never fetched), so "vk.com/id12345" is a URL and "3.5/10" is not.
"""

from __future__ import annotations

import re
from functools import lru_cache

import tldextract

from anonymise.recognizers.base import RegexRecognizer, Rule, rule, value_of


@lru_cache(maxsize=1)
def offline_extractor() -> tldextract.TLDExtract:
    """A tldextract that only uses its bundled public-suffix snapshot."""
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)


class UrlRecognizer(RegexRecognizer):
    """Finds URLs."""

    ENTITY = "URL"
    RULES = (
        rule("scheme", r"(?P<value>(?i:https?|ftp)://[^\s<>\"«»]+[^\s<>\"«».,;:!?)\]])", 0.95),
        rule(
            "www",
            r"(?<![\w@.])(?P<value>(?i:www)\.[\w\-]+(?:\.[\w\-]+)+(?:/[^\s<>\"«»]*[^\s<>\"«».,;:!?)\]])?)",
            0.9,
        ),
        rule(
            "domain",
            r"(?<![\w@.\-/])(?P<value>[\w\-]+(?:\.[\w\-]+)*\.[^\W\d_]{2,18}(?:/[^\s<>\"«»]*[^\s<>\"«».,;:!?)\]])?)(?![\w@])",
            0.8,
        ),
    )

    def score(self, match: re.Match[str], item: Rule, text: str) -> float | None:
        """A bare domain needs a real public suffix and is not an e-mail's domain."""
        if item.name != "domain":
            return item.score
        value = value_of(match)
        host = value.split("/", 1)[0]
        parts = offline_extractor()(host)
        if not parts.suffix or not parts.domain:
            return None
        # "Dr.Smith" or "т.е" are not sites: ask for a lowercase host or a path.
        if "/" not in value and (host != host.lower() or len(parts.domain) < 2):
            return None
        return item.score
