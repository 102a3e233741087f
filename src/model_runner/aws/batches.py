"""Items cut into the batches an AWS call takes: at most so many items and so many bytes each."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

Item = TypeVar("Item")


def batches(
    items: Iterable[Item], size_of: Callable[[Item], int], *, most_items: int, most_bytes: int
) -> Iterator[list[Item]]:
    """``items`` in order, in consecutive batches of at most ``most_items`` items whose sizes
    (``size_of``) add up to at most ``most_bytes``; an item larger than that on its own goes alone
    (``size_of`` may refuse it by raising)."""
    batch: list[Item] = []
    size = 0
    for item in items:
        length = size_of(item)
        if batch and (len(batch) == most_items or size + length > most_bytes):
            yield batch
            batch, size = [], 0
        batch.append(item)
        size += length
    if batch:
        yield batch
