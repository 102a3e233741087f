"""The detection workspace keeps one copy per region, whatever stores it (S3 or the fake)."""

from __future__ import annotations

from model_runner.features import DetectionBatch, FeatureClass, PixelFeature
from model_runner.handlers.ports import DetectionWorkspace


def detections(*xs: float, score: float = 0.9, origin: tuple[float, float] = (0.0, 0.0)) -> DetectionBatch:
    return DetectionBatch.from_tile(
        [
            PixelFeature.of(
                {"type": "Point", "coordinates": [x, 5.0]},
                [FeatureClass("vehicle", score)],
                {"modelMetadata": {"name": "m"}},
                (x - 1, 4.0, x + 1, 6.0),
            )
            for x in xs
        ],
        origin,
    )


def test_a_redelivered_region_replaces_its_detections_and_clear_forgets_the_image(
    workspace: DetectionWorkspace,
) -> None:
    workspace.put("img", "r1", DetectionBatch.concat([detections(1.0), detections(2.0, origin=(512, 0))]))
    workspace.put("img", "r2", detections(30.0))
    workspace.put("img", "r1", DetectionBatch.concat([detections(1.0, score=0.5, origin=(512, 0))]))
    workspace.put("other", "r1", detections(9.0))

    regions = sorted(workspace.load("img"), key=lambda batch: batch.origins[0, 0])
    assert [len(region) for region in regions] == [1, 1]
    (record,) = regions[1].records()
    assert record.classes == (FeatureClass("vehicle", 0.5),)
    assert record.geometry == {"type": "Point", "coordinates": [513.0, 5.0]}
    assert record.bbox == (512.0, 4.0, 514.0, 6.0)
    assert record.properties == {"modelMetadata": {"name": "m"}}

    workspace.clear("img")
    assert list(workspace.load("img")) == []
    assert [len(region) for region in workspace.load("other")] == [1]


def test_the_tile_of_each_detection_is_kept(workspace: DetectionWorkspace) -> None:
    region_detections = DetectionBatch.concat([detections(1.0, 2.0), detections(3.0, origin=(400, 0))])
    workspace.put("img", "r1", region_detections)

    (region,) = workspace.load("img")

    assert region.origins.tolist() == [[0.0, 0.0], [0.0, 0.0], [400.0, 0.0]]
    assert [record.bbox[0] for record in region.records()] == [0.0, 1.0, 402.0]
