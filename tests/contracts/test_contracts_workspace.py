"""The detection workspace keeps one copy per region, whatever stores it (S3 or the fake)."""

from __future__ import annotations

from model_runner.features import DetectedFeature, FeatureClass
from model_runner.handlers.ports import DetectionWorkspace


def detection(x: float, score: float = 0.9) -> DetectedFeature:
    return DetectedFeature(
        geometry={"type": "Point", "coordinates": [x, 5.0]},
        bbox=(x - 1, 4.0, x + 1, 6.0),
        classes=(FeatureClass("vehicle", score),),
        properties={"modelMetadata": {"name": "m"}},
    )


def test_a_redelivered_region_replaces_its_detections_and_clear_forgets_the_image(
    workspace: DetectionWorkspace,
) -> None:
    workspace.put("img", "r1", [detection(1.0), detection(2.0)])
    workspace.put("img", "r2", [detection(30.0)])
    workspace.put("img", "r1", [detection(1.0, score=0.5)])
    workspace.put("other", "r1", [detection(9.0)])

    regions = sorted(workspace.load("img"), key=len)
    assert [len(region) for region in regions] == [1, 1]
    stored = {feature.bbox[0]: feature for region in regions for feature in region}
    assert stored[0.0].classes == (FeatureClass("vehicle", 0.5),)
    assert stored[0.0].geometry == {"type": "Point", "coordinates": [1.0, 5.0]}
    assert stored[0.0].properties == {"modelMetadata": {"name": "m"}}

    workspace.clear("img")
    assert list(workspace.load("img")) == []
    assert [len(region) for region in workspace.load("other")] == [1]
