"""Python's cyclic garbage collector set for a long-lived worker, while it runs.

Reading a dense tile's answer makes thousands of dicts and lists that die young (reference
counting frees them). With the default threshold (700 container objects) they start young
collections several times a tile, and the few objects that survive those start full collections
that walk everything the worker made at start-up (botocore's service models, pydantic's schemas,
the extensions): about 0.1 s each with the GIL held, 3 to 5 times a 122,500-feature job, 0.55 to
0.66 s of collector time in all (``gc.callbacks``, measured in ``model-runner bench``). Freezing
what start-up made moves it out of the collector's passes (it is still freed by reference counting);
a higher young threshold lets most young objects die before a pass looks at them. The two together
left 0.04 s of collector time in the same job.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG_THRESHOLD = 20_000
"""Container objects allocated (net of those freed) before a young collection: a dense tile's."""


@contextmanager
def settled_collector() -> Iterator[None]:
    """Collect what start-up left, freeze the rest out of later passes and raise the young
    threshold, for the time the built worker runs; then as before, so that what was frozen can be
    collected once it is garbage (a process that builds workers one after another, as the bench)."""
    threshold = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()
