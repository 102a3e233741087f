"""The collector set for a long-lived worker: what start-up made is out of the collector's full
passes, a tile's worth of young objects does not start a pass, and all is as before once the
worker stops."""

from __future__ import annotations

import gc

from model_runner.worker.collector import YOUNG_THRESHOLD, settled_collector


def full_passes_walk(item: object) -> bool:
    return any(found is item for found in gc.get_objects())


def test_objects_made_at_start_up_are_left_out_of_full_collections_while_the_worker_runs() -> None:
    models = {"service": [{"shape": index} for index in range(100)]}  # as botocore's models
    assert full_passes_walk(models)

    with settled_collector():
        assert not full_passes_walk(models)
        later = {"made": ["after start-up"]}
        assert full_passes_walk(later)

    assert full_passes_walk(models)


def test_a_dense_tiles_young_objects_start_no_collection() -> None:
    passes: list[int] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            passes.append(info["generation"])

    with settled_collector():
        gc.callbacks.append(count)
        try:
            answer = [{"properties": {"classes": [{"iri": "vehicle"}]}} for _ in range(YOUNG_THRESHOLD // 5)]
        finally:
            gc.callbacks.remove(count)

    assert len(answer) == YOUNG_THRESHOLD // 5
    assert passes == []


def test_start_up_objects_that_become_garbage_after_the_worker_stops_are_collected() -> None:
    threshold = gc.get_threshold()
    with settled_collector():
        cycle: list[object] = []
        cycle.append(cycle)
    del cycle  # garbage only a collection frees: it refers to itself

    assert gc.get_threshold() == threshold
    assert gc.get_freeze_count() == 0
    assert gc.collect() >= 1
