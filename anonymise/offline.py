"""Keep the scrubber offline and quiet.

Called before Presidio, spaCy and tldextract are imported: hub libraries are told
they are offline, tldextract may only use its bundled public-suffix snapshot, and
library loggers and warnings that would print to stderr are silenced.
"""

from __future__ import annotations

import logging
import os
import warnings

_OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "SPACY_WARNING_IGNORE": "W008,W095",
    # tldextract reads this cache directory; pointing it nowhere writable-by-us is
    # not needed, because every extractor we build passes suffix_list_urls=().
}


def enforce() -> None:
    """Set offline environment variables and quiet library logging."""
    for key, value in _OFFLINE_ENV.items():
        os.environ.setdefault(key, value)
    for name in (
        "presidio-analyzer",
        "presidio-anonymizer",
        "tldextract",
        "filelock",
        "spacy",
        "natasha",
    ):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings(
        "ignore", module=r"(spacy|thinc|presidio_analyzer|presidio_anonymizer|slovnet|natasha)\..*"
    )
