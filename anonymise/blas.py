"""Matrix products of the NER models: numpy's OpenBLAS, one thread per call.

The scrubber's models (spaCy's English pipeline, Natasha's slovnet) multiply
small matrices, a few hundred rows at a time. For products that small, waking
OpenBLAS's thread pool costs more than the product itself (a one-text Natasha
call took 5-19 ms on a busy machine, about 1 ms on one thread), and thinc's
bundled BLIS kernels ran the same products about 2.5 times slower than
OpenBLAS on one thread. So spaCy's layers are switched to numpy's matmul and
every NER call runs with one BLAS thread, restored afterwards; the outputs are
the same (see tests/anonymise/test_scrubber.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from spacy.language import Language
from thinc.api import NumpyOps
from threadpoolctl import ThreadpoolController


@lru_cache(maxsize=1)
def _controller() -> ThreadpoolController:
    """The BLAS libraries loaded in this process (numpy's OpenBLAS)."""
    return ThreadpoolController()


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run the block with a single BLAS thread; the previous limit comes back after."""
    with _controller().limit(limits=1, user_api="blas"):
        yield


def use_numpy_matmul(nlp: Language) -> None:
    """Make every layer of the pipeline's models multiply with numpy instead of BLIS."""
    ops = NumpyOps(use_blis=False)
    for _, component in nlp.pipeline:
        model = getattr(component, "model", None)
        if model is not None and hasattr(model, "walk"):
            for node in model.walk():
                node.ops = ops
