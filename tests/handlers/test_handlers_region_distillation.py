"""Regions distil what only they can own and defer the rest: the image's output must be exactly
what one distillation of all its detections gives, for NMS, Soft-NMS and none, with boxes piled
in the bands where regions' tiles overlap and boxes reaching out of their tile and region."""

from __future__ import annotations

import hashlib
import itertools
import json
import random
from collections import Counter
from typing import Any

import numpy as np
import pytest
from handler_requests import IMAGE_URL, image_request
from test_handlers_completion import run_job

from model_runner.api import RegionRequest
from model_runner.features.distillation import surviving
from model_runner.features.written_detections import WrittenDetections
from model_runner.handlers.feature_writer import FeatureWriter, tile_detections
from model_runner.handlers.region_features import final_features
from model_runner.handlers.tile_work import encode_for_model
from model_runner.testing import FakeContext, ScriptedDetector
from model_runner.tiling import Window

CLASSES = ("car", "truck")


def crowded(tile: bytes) -> dict[str, Any]:
    """40 boxes per tile, some beyond the tile's edges, two classes; a few repeated exactly."""
    rng = random.Random(hashlib.sha256(tile).hexdigest())
    features = []
    for _ in range(40):
        left, top = rng.uniform(-20, 140), rng.uniform(-20, 140)
        box = [
            round(left, 1),
            round(top, 1),
            round(left + rng.uniform(0, 30), 1),
            round(top + rng.uniform(0, 30), 1),
        ]
        classes = [{"iri": rng.choice(CLASSES), "score": round(rng.uniform(0.05, 1.0), 3)}]
        features.append(
            {
                "type": "Feature",
                "geometry": None,
                "properties": {"imageBBox": box, "featureClasses": classes, "modelMetadata": {"name": "m"}},
            }
        )
    features += [features[0], features[1]]  # the same detection twice in one tile
    return {"type": "FeatureCollection", "features": features}


def all_regions(fakes: FakeContext, **keys: Any) -> list[RegionRequest]:
    """The image's regions, as the image handler splits it (4 of 256 pixels at most)."""
    request = image_request(**keys)
    image_id = f"{request.job_id}:{IMAGE_URL}"
    whole = Window(0, 0, 600, 500)
    regions = fakes.context.tiling.regions(whole, (256, 256), 128, 16, image_id=image_id)
    return [RegionRequest.for_region(request, IMAGE_URL, region) for region in regions]


def whole_image_output(fakes: FakeContext, regions: list[RegionRequest]) -> list[dict[str, Any]]:
    """Every tile's detections distilled at once, as one worker completing the image would, in
    the output's order: regions row by row, then their tiles row by row, then the model's order;
    a repeated id numbered -2, -3... in that order."""
    request = regions[0]
    image = fakes.images.get(IMAGE_URL)
    writer = FeatureWriter.of(
        image, request, fakes.jobs.get(request.image_id).started_at, counterclockwise=False
    )
    tiles, region_ends = [], []
    for region in sorted(regions, key=lambda region: (region.window.y, region.window.x)):
        own = fakes.context.tiling.tiles(region.region())
        for tile in sorted(own, key=lambda tile: (tile.window.y, tile.window.x)):
            answer = json.dumps(crowded(encode_for_model(image, tile, region))).encode()
            tiles.append(writer.written(tile_detections(answer, tile).columns()))
        region_ends.append(sum(len(part) for part in tiles))
    detections = WrittenDetections.concat(tiles)
    columns = detections.columns
    kept, scores = np.arange(len(columns), dtype=np.intp), columns.scores
    if request.distillation is not None:
        options = request.distillation.options()
        kept, scores = surviving(columns.boxes, columns.scores, columns.class_ids, columns.tiles, options)
    output, seen = [], Counter[str]()
    for start, end in itertools.pairwise([0, *region_ends]):
        mine = (kept >= start) & (kept < end)
        for text in final_features(detections, kept[mine], scores[mine], writer).texts():
            feature = json.loads(text)
            seen[feature["id"]] += 1
            if seen[feature["id"]] > 1:
                feature["id"] += f"-{seen[feature['id']]}"
            output.append(feature)
    return output


@pytest.mark.parametrize(
    "algorithm",
    [
        {"algorithmType": "NMS", "iouThreshold": 0.3},
        {"algorithmType": "SOFT_NMS", "sigma": 0.5, "skipBoxThreshold": 0.05},
        None,
    ],
)
def test_regions_distilling_apart_give_what_one_distillation_of_the_image_gives(
    fakes: FakeContext, algorithm: dict[str, Any] | None
) -> None:
    fakes.detector = ScriptedDetector(crowded)
    steps = [] if algorithm is None else [{"step": "FEATURE_DISTILLATION", "algorithm": algorithm}]

    run_job(fakes, postProcessing=steps)

    regions = all_regions(fakes, postProcessing=steps)
    assert len(regions) == 4
    (write,) = fakes.sinks.sinks[0].writes
    written = write[2]
    expected = whole_image_output(fakes, regions)
    assert len(written) > 100
    assert written == expected
    assert len({feature["id"] for feature in written}) == len(written), "repeated ids are numbered"
