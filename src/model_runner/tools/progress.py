"""A progress bar of a job's images, regions and tiles, on a terminal or as plain lines."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Protocol, TextIO

WIDTH = 24


class JobProgress(Protocol):
    """What the bar needs of one image (a :class:`~model_runner.tools.job_view.ImageView`)."""

    @property
    def finished(self) -> bool: ...
    @property
    def regions_done(self) -> int: ...
    @property
    def region_count(self) -> int: ...
    @property
    def tiles(self) -> int: ...
    @property
    def failed_tiles(self) -> int: ...


class ProgressBar:
    """Redraws one line on a terminal; elsewhere (a log, a pipe) prints a line when it changes."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._terminal = stream.isatty()
        self._started = time.monotonic()
        self._last = ""

    def show(self, images: Sequence[JobProgress]) -> None:
        line = self.line(images)
        if line == self._last:
            return
        self._last = line
        elapsed = f"{time.monotonic() - self._started:5.0f} s"
        if self._terminal:
            print(f"\r{line}  {elapsed}", end="", file=self._stream, flush=True)
        else:
            print(f"{line}  {elapsed}", file=self._stream, flush=True)

    def close(self) -> None:
        if self._terminal and self._last:
            print(file=self._stream, flush=True)

    @staticmethod
    def line(images: Sequence[JobProgress]) -> str:
        """``[#####-----]  40%  images 0/2  regions 4/10  tiles 100 (2 failed)``; an image counts
        as done once finished, by its share of regions before."""
        shares = [
            1.0 if image.finished else image.regions_done / image.region_count if image.region_count else 0.0
            for image in images
        ]
        fraction = sum(shares) / len(shares) if shares else 1.0
        filled = round(fraction * WIDTH)
        regions = sum(image.regions_done for image in images)
        total = sum(image.region_count for image in images)
        finished = sum(image.finished for image in images)
        tiles, failed = sum(image.tiles for image in images), sum(image.failed_tiles for image in images)
        return (
            f"[{'#' * filled}{'-' * (WIDTH - filled)}] {fraction:4.0%}  images {finished}/{len(images)}  "
            f"regions {regions}/{total}  tiles {tiles} ({failed} failed)"
        )
