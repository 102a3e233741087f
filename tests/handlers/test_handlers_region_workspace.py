"""A region's end sends its workspace objects at once, and its manifest only once they are all
stored: on S3 a region pays one object's latency, not each in turn, and a region whose objects
are not all stored names none of them."""

from __future__ import annotations

import threading
import time

import pytest
from handler_requests import IMAGE_URL, image_request, pair

from model_runner.errors import ServiceError
from model_runner.handlers.region_features import MANIFEST
from model_runner.testing import FakeContext
from model_runner.testing.stores import InMemoryWorkspace

PUT_S = 0.05


class SlowWorkspace(InMemoryWorkspace):
    """A workspace whose every object takes ``PUT_S`` to store, as S3's latency; what is sent
    when, and which objects fail."""

    def __init__(self, failing: str = "") -> None:
        super().__init__()
        self.failing = failing
        self.puts: list[tuple[str, str, float, float]] = []
        self._record = threading.Lock()

    def put(self, image_id: str, region_id: str, name: str, body: bytes) -> None:
        started = time.monotonic()
        time.sleep(PUT_S)
        if self.failing and name.startswith(self.failing):
            raise ServiceError(f"cannot store {name}")
        super().put(image_id, region_id, name, body)
        with self._record:
            self.puts.append((region_id, name, started, time.monotonic()))


def test_a_regions_objects_are_sent_at_once_and_its_manifest_after_them(fakes: FakeContext) -> None:
    fakes.workspace = workspace = SlowWorkspace()
    image_handler, _ = pair(fakes)

    image_handler.process_image_request(image_request(), "http")  # its first region, with the image

    assert len({region for region, *_ in workspace.puts}) == 1  # the image's first region alone
    objects = [(start, end) for _, name, start, end in workspace.puts if name != MANIFEST]
    (manifest_start,) = [start for _, name, start, _ in workspace.puts if name == MANIFEST]
    assert len(objects) >= 4  # final features, ids, deferred detections, interior
    assert manifest_start >= max(end for _, end in objects)
    first_end = min(end for _, end in objects)
    assert sum(start < first_end for start, _ in objects) >= 2  # several under way at once


def test_a_region_whose_object_cannot_be_stored_names_none_in_a_manifest(fakes: FakeContext) -> None:
    fakes.workspace = workspace = SlowWorkspace(failing="deferred")
    image_handler, _ = pair(fakes)

    with pytest.raises(ServiceError, match="cannot store deferred"):
        image_handler.process_image_request(image_request(), "http")

    assert all(name != MANIFEST for _, name, *_ in workspace.puts)
    assert f"job-1:{IMAGE_URL}" in workspace.objects  # the others were stored, and are overwritten on retry
