"""The collector set for a long-lived worker: what start-up made is out of the collector's full
passes, and a tile's worth of young objects does not start a pass."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from model_runner.worker.collector import YOUNG_THRESHOLD, settle_collector


@pytest.fixture
def restored_collector() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def full_passes_walk(item: object) -> bool:
    return any(found is item for found in gc.get_objects())


@pytest.mark.usefixtures("restored_collector")
def test_objects_made_at_start_up_are_left_out_of_full_collections() -> None:
    models = {"service": [{"shape": index} for index in range(100)]}  # as botocore's models
    assert full_passes_walk(models)

    settle_collector()

    assert not full_passes_walk(models)
    later = {"made": ["after start-up"]}
    assert full_passes_walk(later)


@pytest.mark.usefixtures("restored_collector")
def test_a_dense_tiles_young_objects_start_no_collection() -> None:
    settle_collector()
    passes: list[int] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            passes.append(info["generation"])

    gc.collect()
    gc.callbacks.append(count)
    try:
        answer = [{"properties": {"classes": [{"iri": "vehicle"}]}} for _ in range(YOUNG_THRESHOLD // 5)]
    finally:
        gc.callbacks.remove(count)
    assert len(answer) == YOUNG_THRESHOLD // 5
    assert passes == []
