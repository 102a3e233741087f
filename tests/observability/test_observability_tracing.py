"""X-Ray tracing: segments as the SDK emits them to a daemon, caught on a loopback UDP socket."""

from __future__ import annotations

import threading

import pytest
from settings_support import REQUIRED_ENV
from xray_daemon import Daemon

from model_runner.config import load_settings
from model_runner.errors import ModelRunnerError
from model_runner.observability.tracing import NoTracer, XRayTracer


class Model:
    endpoint = "http://127.0.0.1:1/invocations"

    def detect(self, tile: bytes, content_type: str) -> bytes:
        if tile == b"bad":
            raise ModelRunnerError("HTTP 500 from the model")
        return b"{}"


def test_an_image_is_a_segment_with_its_regions_and_model_calls_nested(xray_daemon: Daemon) -> None:
    tracer = XRayTracer(xray_daemon.address)

    with tracer.span("image", job_id="job-1", image_id="img-1"), tracer.span("region", region_id="r-1"):
        detector = tracer.traced(Model())
        calls = [threading.Thread(target=detector.detect, args=(tile, "image/png")) for tile in (b"a", b"b")]
        for call in calls:
            call.start()
        for call in calls:
            call.join()
        with pytest.raises(ModelRunnerError):
            detector.detect(b"bad", "image/png")

    (segment,) = xray_daemon.documents()
    assert segment["name"] == "model-runner"
    assert segment["annotations"] == {"work": "image", "job_id": "job-1", "image_id": "img-1"}
    (region,) = segment["subsegments"]
    assert region["name"] == "region"
    assert region["annotations"] == {"job_id": "job-1", "image_id": "img-1", "region_id": "r-1"}
    models = region["subsegments"]
    assert [model["name"] for model in models] == ["model"] * 3
    assert all(model["annotations"]["image_id"] == "img-1" for model in models)
    assert [model.get("error", False) for model in models].count(True) == 1
    assert all(model["start_time"] >= region["start_time"] for model in models)


def test_a_region_on_its_own_is_its_own_segment(xray_daemon: Daemon) -> None:
    tracer = XRayTracer(xray_daemon.address)

    with (
        pytest.raises(RuntimeError),
        tracer.span("region", job_id="job-1", image_id="img-1", region_id="r-2"),
    ):
        raise RuntimeError("boom")

    (segment,) = xray_daemon.documents()
    assert segment["annotations"]["work"] == "region" and segment["annotations"]["region_id"] == "r-2"
    assert segment["fault"] is True


def test_tracing_is_off_unless_asked_for() -> None:
    settings = load_settings(REQUIRED_ENV)

    assert settings.tracing_enabled is False
    model = Model()
    assert NoTracer().traced(model) is model
