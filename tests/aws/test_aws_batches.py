"""Items cut into batches an AWS call takes: in order, none over the count, none over the bytes
unless one item alone is larger."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from model_runner.aws.batches import batches


@given(st.lists(st.integers(0, 50)), st.integers(1, 5), st.integers(1, 100))
def test_batches_keep_the_order_and_both_limits(sizes: list[int], most_items: int, most_bytes: int) -> None:
    found = list(batches(sizes, lambda size: size, most_items=most_items, most_bytes=most_bytes))

    assert [size for batch in found for size in batch] == sizes
    assert all(batch and len(batch) <= most_items for batch in found)
    assert all(sum(batch) <= most_bytes or len(batch) == 1 for batch in found)
    assert all(  # a batch ends only when the next item would not fit
        len(batch) == most_items or sum(batch) + following[0] > most_bytes
        for batch, following in pairwise(found)
    )
