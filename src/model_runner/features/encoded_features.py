"""Output features already written as JSON, many to a chunk: what the sinks stream.

A chunk holds its features' compact JSON separated by commas (so a FeatureCollection is its
chunks joined by commas between a head and a tail), where each one ends, each one's id, its order
key (tile row, tile column, rank) and, for outputs that describe a collection (STAC), the count of
every class IRI and the extent of the features' bboxes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from model_runner.features.array_types import FloatArray, IndexArray
from model_runner.features.text_column import OffsetArray, gathered

ID_OFFSET = len('{"type":"Feature","id":"')
"""Where a feature's id starts in its JSON: every feature is written from this head."""
ID_CHARS = 32
"""Characters of a feature's base id (a duplicate gets ``-2``, ``-3``... after it)."""


@dataclass(frozen=True, eq=False)
class EncodedFeatures:
    """N features' JSON (see the module docstring)."""

    data: bytes
    ends: OffsetArray
    """The end of each feature in ``data``; the next starts one byte later (after the comma)."""
    ids: npt.NDArray[np.bytes_]
    keys: FloatArray
    bounds: FloatArray
    """(N, 4) each feature's bbox (west, south, east, north); NaN for a feature without one."""

    def __len__(self) -> int:
        return len(self.ends)

    @classmethod
    def of(
        cls, texts: Sequence[str], keys: FloatArray | None = None, bounds: FloatArray | None = None
    ) -> EncodedFeatures:
        """Features from their JSON texts (each starting with the head :data:`ID_OFFSET` measures),
        their order keys and bboxes (zeros and NaN when not given)."""
        data = "\n".join(texts).encode()
        ends = np.flatnonzero(np.frombuffer(data, np.uint8) == ord("\n")).astype(np.int64)
        ends = np.append(ends, len(data)) if texts else ends
        starts = np.concatenate(([0], ends[:-1] + 1)).astype(np.int64)[: len(ends)]
        ids = np.frombuffer(data, np.uint8)[starts[:, None] + np.arange(ID_OFFSET, ID_OFFSET + ID_CHARS)]
        return cls(
            data.replace(b"\n", b","),
            ends,
            ids.copy().view("S32").reshape(-1),
            np.zeros((len(texts), 3)) if keys is None else keys,
            np.full((len(texts), 4), np.nan) if bounds is None else bounds,
        )

    @property
    def extent(self) -> tuple[float, float, float, float] | None:
        """West, south, east and north over the features' bboxes (the smallest of the first two,
        the largest of the others), as STAC Items give them; None when no feature has a bbox."""
        found = self.bounds[np.isfinite(self.bounds).all(axis=1)]
        if not len(found):
            return None
        low, high = found.min(axis=0), found.max(axis=0)
        return (float(low[0]), float(low[1]), float(high[2]), float(high[3]))

    @property
    def starts(self) -> OffsetArray:
        return np.concatenate(([0], self.ends[:-1] + 1)).astype(np.int64)[: len(self.ends)]

    def texts(self) -> Iterator[bytes]:
        """Each feature's JSON, in order."""
        data = memoryview(self.data)
        for start, end in zip(self.starts.tolist(), self.ends.tolist(), strict=True):
            yield bytes(data[start:end])

    def take(self, indices: IndexArray) -> EncodedFeatures:
        """The features at ``indices`` in that order (class counts and extent are kept whole: take
        only to reorder, or to leave out features whose counts the caller keeps apart)."""
        starts, stops = self.starts[indices], self.ends[indices]
        ends = np.cumsum(stops - starts + 1, dtype=np.int64) - 1
        data = gathered(self.data, starts, stops, b",")
        return EncodedFeatures(data, ends, self.ids[indices], self.keys[indices], self.bounds[indices])

    @classmethod
    def concat(cls, parts: Iterable[EncodedFeatures]) -> EncodedFeatures:
        """The features of ``parts`` in order, their counts summed and extents joined."""
        chunks = [part for part in parts if len(part)]
        shifts = np.cumsum([0] + [len(part.data) + 1 for part in chunks[:-1]], dtype=np.int64)
        return cls(
            b",".join(part.data for part in chunks),
            np.concatenate(
                [np.empty(0, np.int64)]
                + [part.ends + shift for part, shift in zip(chunks, shifts, strict=False)]
            ),
            np.concatenate([np.empty(0, "S32")] + [part.ids for part in chunks]),
            np.concatenate([np.empty((0, 3))] + [part.keys for part in chunks]),
            np.concatenate([np.empty((0, 4))] + [part.bounds for part in chunks]),
        )
