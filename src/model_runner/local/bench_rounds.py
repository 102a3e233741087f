"""Rounds of ``model-runner bench``: the pipeline and the bare loop measured in turn, several
times, and one summary of their figures.

A job of a second or two on a 2-core machine shared with the model server and moto varies with
what else runs at that moment: one run of the 8192-pixel job gave anything from 0.58 to 0.93 of the
bare loop. The pipeline and the bare loop alternate, so each round's ratio compares runs made
moments apart; the summary gives each figure's median over the rounds (counts: the lowest; a status: the first
that is not SUCCESS), and every round's own figures are kept beside it. Peak memory is each job's
own, and the summary's is the first round's: a process that ran jobs before keeps a little of what
they left (GDAL's caches, its heaps), 20 to 40 MiB a round.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from typing import Any

PEAKS = frozenset({"peak_rss_mib", "regions_peak_rss_mib", "s3_peak_rss_mib"})
COUNTS = frozenset({"tiles", "features", "raw_tiles", "s3_tiles"})
SUCCESS = "SUCCESS"


def summary(rounds: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One figure per key of the rounds' figures (every round has the same keys)."""
    if not rounds:
        raise ValueError("no rounds to sum up")
    combined: dict[str, Any] = {}
    for key in rounds[0]:
        values = [figures[key] for figures in rounds]
        if key.endswith("status"):
            combined[key] = next((value for value in values if value != SUCCESS), SUCCESS)
        elif key in PEAKS:
            combined[key] = values[0]
        elif key in COUNTS:
            combined[key] = min(values)
        else:
            measured = [value for value in values if value is not None]
            combined[key] = round(statistics.median(measured), 3) if measured else None
    return combined
