"""A column of texts: one UTF-8 buffer and the end of each text, taken and joined with numpy."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

OffsetArray = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class TextColumn:
    """N texts stored end to end in ``data``; text i is ``data[ends[i - 1]:ends[i]]``."""

    data: bytes
    ends: OffsetArray

    @classmethod
    def of(cls, texts: Sequence[str]) -> TextColumn:
        encoded = [text.encode() for text in texts]
        return cls(b"".join(encoded), np.cumsum([len(item) for item in encoded], dtype=np.int64))

    @classmethod
    def concat(cls, columns: Iterable[TextColumn]) -> TextColumn:
        parts = list(columns)
        shifts = np.cumsum([0] + [len(part.data) for part in parts[:-1]], dtype=np.int64)
        return cls(
            b"".join(part.data for part in parts),
            np.concatenate(
                [np.empty(0, np.int64)]
                + [part.ends + shift for part, shift in zip(parts, shifts, strict=False)]
            ),
        )

    def __len__(self) -> int:
        return len(self.ends)

    @property
    def starts(self) -> OffsetArray:
        return np.concatenate(([0], self.ends[:-1])).astype(np.int64)

    def __getitem__(self, index: int) -> str:
        start = int(self.ends[index - 1]) if index else 0
        return self.data[start : int(self.ends[index])].decode()

    def texts(self) -> list[str]:
        """Every text, in order."""
        bounds = [0, *self.ends.tolist()]
        data = self.data
        return [data[start:end].decode() for start, end in itertools.pairwise(bounds)]

    def take(self, indices: npt.NDArray[np.intp]) -> TextColumn:
        """The texts at ``indices``, in that order."""
        starts, ends = self.starts[indices], self.ends[indices]
        return TextColumn(gathered(self.data, starts, ends), np.cumsum(ends - starts, dtype=np.int64))


def gathered(data: bytes, starts: OffsetArray, ends: OffsetArray, separator: bytes = b"") -> bytes:
    """The slices ``data[starts[i]:ends[i]]`` joined by ``separator`` (at most one byte): one copy
    of the bytes kept (an index per byte would take eight times the texts' size). Slices that
    follow each other in ``data`` (with the separator between them) are copied as one run, so
    taking the texts of consecutive rows costs one slice, not one per row."""
    if len(separator) > 1:
        raise ValueError("gathered joins with one byte at most")
    if len(starts) > 1:
        joined = starts[1:] == ends[:-1] + len(separator)
        if separator and joined.any():
            joined[joined] = np.frombuffer(data, np.uint8)[ends[:-1][joined]] == separator[0]
        starts = starts[np.concatenate(([True], ~joined))]
        ends = ends[np.concatenate((~joined, [True]))]
    view = memoryview(data)
    pairs = zip(starts.tolist(), ends.tolist(), strict=True)
    return separator.join([view[start:end] for start, end in pairs])
