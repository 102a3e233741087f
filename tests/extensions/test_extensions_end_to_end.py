"""Extensions in a real worker on the local stack: an installed package selected by REQUEST_TYPE,
isolated observers, and the two answers to a broken extension."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest
from e2e_support import image_request, send, upload, wait_for_images, worker_env
from extension_install import forget

from model_runner.config import load_settings
from model_runner.handlers import RegionRequestHandler
from model_runner.local import LocalStack
from model_runner.observability import MetricsObserver
from model_runner.worker.wiring import build_worker
from osml_extensions.errors import InjectionError
from osml_extensions.registry import get_registry

pytestmark = pytest.mark.e2e

BROKEN_EXTENSION = """
from model_runner.handlers import ImageRequestHandler, RegionRequestHandler
from osml_extensions.registry import HandlerType, register_handler

@register_handler("broken", HandlerType.REGION_REQUEST_HANDLER, "broken_region")
class BrokenRegionHandler(RegionRequestHandler):
    def __init__(self, config, gpu):
        super().__init__()

register_handler("broken", HandlerType.IMAGE_REQUEST_HANDLER, "broken_image")(ImageRequestHandler)
"""


class FailingObserver:
    def __init__(self) -> None:
        self.calls = 0

    def on_event(self, event: object) -> None:
        self.calls += 1
        raise RuntimeError("observer bug")


def test_an_installed_extension_selected_by_request_type_processes_a_job(
    stack: LocalStack,
    in_process_worker: Any,
    sample_installed: Path,
    imagery_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SAMPLE_EXTENSION_ROUTES", json.dumps({"centerpoint": stack.model_url("centerpoint")}))
    failing = FailingObserver()
    get_registry().register_observer(failing, name="failing")
    url = upload(stack, imagery_dir / "RGB.byte.tif")
    body = image_request(
        stack, [url], imageProcessor={"name": "centerpoint"}
    )  # no type: REQUEST_TYPE decides
    in_process_worker(REQUEST_TYPE="local_models")

    send(stack, body)
    outcome = wait_for_images(stack, body["jobId"], [url]).only

    # Only the extension routes the endpoint name "centerpoint" to a model: the built-ins would fail it.
    assert outcome.status == "SUCCESS", outcome.message
    assert len(outcome.features) == 16
    region_handler = importlib.import_module("sample_extension.region_handler")
    observer = importlib.import_module("sample_extension.observer")
    assert region_handler.PROCESSED_REGIONS
    assert body["jobId"] in observer.COMPLETED_JOBS
    assert failing.calls > 0


@pytest.fixture
def broken_extension(site_packages: Path) -> dict[str, str]:
    (site_packages / "broken_extension.py").write_text(BROKEN_EXTENSION)
    forget("broken_extension")
    return {"EXTENSION_MODULES": "broken_extension", "REQUEST_TYPE": "broken"}


def test_with_fallback_a_broken_extension_gives_the_built_in_pair_loudly(
    stack: LocalStack, broken_extension: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    counted: list[str] = []
    monkeypatch.setattr(MetricsObserver, "count", lambda self, metric, value=1: counted.append(metric.name))
    env = worker_env(stack, **broken_extension, EXTENSION_FALLBACK_ENABLED="true")

    runtime = build_worker(load_settings(env))

    try:
        pair = runtime.selector.pair_for("broken", "HTTP_ENDPOINT")
        assert pair.fell_back
        assert type(pair.region_handler) is RegionRequestHandler
        assert counted == ["ExtensionFallbacks"]
    finally:
        runtime.close()


def test_without_fallback_a_broken_extension_stops_start_up(
    stack: LocalStack, broken_extension: dict[str, str]
) -> None:
    env = worker_env(stack, **broken_extension, EXTENSION_FALLBACK_ENABLED="false")

    with pytest.raises(InjectionError, match=r"BrokenRegionHandler: its constructor needs 'gpu'"):
        build_worker(load_settings(env))
