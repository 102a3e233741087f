"""Image completion on fakes: one distillation over every region, sinks written once, one status."""

from __future__ import annotations

from handler_requests import IMAGE_URL, drain_regions, image_request, pair

from model_runner.api import RegionRequest
from model_runner.events import JobCompleted, JobFailed
from model_runner.status import Status
from model_runner.testing import FakeContext, ScriptedDetector
from model_runner.tiling import Window


def big_box(tile: bytes) -> dict[str, object]:
    """A 128-pixel box over the whole tile: neighbouring tiles' boxes overlap by the tile overlap."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": None,
                "properties": {"imageBBox": [0, 0, 128, 128], "featureClasses": [{"iri": "x", "score": 0.9}]},
            }
        ],
    }


def run_job(fakes: FakeContext, **keys: object) -> None:
    image_handler, region_handler = pair(fakes)
    image_handler.process_image_request(image_request(**keys), "http")
    drain_regions(fakes, region_handler)


def test_duplicates_across_region_boundaries_are_merged_with_the_requests_own_threshold(
    fakes: FakeContext,
) -> None:
    fakes.detector = ScriptedDetector(big_box)
    # Neighbouring tile boxes overlap by 16 to 24 pixels of 128: an IoU of at most 0.11.
    strict = {"step": "FEATURE_DISTILLATION", "algorithm": {"algorithmType": "NMS", "iouThreshold": 0.05}}

    run_job(fakes, postProcessing=[strict])

    kept = fakes.sinks.sinks[0].writes[0][2]
    assert 0 < len(kept) < 30  # suppression reached across tiles and regions
    assert fakes.jobs.get(f"job-1:{IMAGE_URL}").status is Status.SUCCESS


def test_with_the_default_threshold_the_same_boxes_are_all_kept(fakes: FakeContext) -> None:
    fakes.detector = ScriptedDetector(big_box)

    run_job(fakes)

    assert len(fakes.sinks.sinks[0].writes[0][2]) == 30


def test_a_failing_sink_beside_a_working_one_makes_the_image_partial_naming_it(fakes: FakeContext) -> None:
    fakes.sinks.failing[1] = "stream 'features' does not exist"

    run_job(fakes, outputs=[{"type": "S3", "bucket": "results"}, {"type": "Kinesis", "stream": "features"}])

    (completed,) = fakes.events.of_type(JobCompleted)
    assert completed.status is Status.PARTIAL
    assert "sink failures: memory sink 'output-1': stream 'features' does not exist" in completed.message
    assert "written to memory://output-0/" in completed.message


def test_when_every_sink_fails_the_image_fails_and_its_workspace_is_cleared(fakes: FakeContext) -> None:
    fakes.sinks.failing[0] = "access denied"

    run_job(fakes)

    (failed,) = fakes.events.of_type(JobFailed)
    assert "access denied" in failed.reason
    assert fakes.workspace.objects == {}


def test_completing_an_image_twice_reports_it_once(fakes: FakeContext) -> None:
    run_job(fakes)
    record = fakes.jobs.get(f"job-1:{IMAGE_URL}")
    _, region_handler = pair(fakes)
    whole = Window(0, 0, 600, 500)
    region = fakes.context.tiling.regions(whole, (256, 256), 128, 16, image_id=record.image_id)[0]
    request = image_request()

    region_handler.image_completion.complete(RegionRequest.for_region(request, IMAGE_URL, region), record)

    assert len(fakes.events.of_type(JobCompleted)) == 1
    assert len(fakes.sinks.sinks[0].writes) == 1
