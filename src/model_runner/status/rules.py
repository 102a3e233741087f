"""Status values and the rules that turn tile and region outcomes into a status."""

from __future__ import annotations

import enum
from collections.abc import Iterable


class Status(enum.StrEnum):
    """The status values of the reference, as consumers filter on them."""

    STARTED = "STARTED"
    IN_PROGRESS = "IN_PROGRESS"
    PARTIAL = "PARTIAL"
    SUCCESS = "SUCCESS"
    FAILED = "FAILED"

    @property
    def is_terminal(self) -> bool:
        """True for the three outcomes a job, image or region ends with."""
        return self in (Status.SUCCESS, Status.PARTIAL, Status.FAILED)


def region_status(succeeded_tiles: int, failed_tiles: int) -> Status:
    """SUCCESS when every tile succeeded, FAILED when every tile failed, PARTIAL otherwise.

    A region with no tiles at all (nothing of it inside the region of interest) succeeded.
    """
    if failed_tiles == 0:
        return Status.SUCCESS
    if succeeded_tiles == 0:
        return Status.FAILED
    return Status.PARTIAL


def image_status(region_outcomes: Iterable[Status]) -> Status:
    """SUCCESS when every region succeeded, FAILED when none did, PARTIAL otherwise.

    A PARTIAL region makes the image PARTIAL: some of its pixels were processed.
    """
    outcomes = list(region_outcomes)
    if not outcomes:
        return Status.FAILED
    if all(outcome is Status.SUCCESS for outcome in outcomes):
        return Status.SUCCESS
    if all(outcome is Status.FAILED for outcome in outcomes):
        return Status.FAILED
    return Status.PARTIAL
