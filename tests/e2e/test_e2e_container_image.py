"""The worker image, built and run: the worker in the container, as the image's user and command,
ends a job SUCCESS with the very features the worker outside finds, and the image's health check
follows it (failing before it starts and after it stops). The image stays within its size budget."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from container_support import (
    SIZE_BUDGET_MB,
    BuiltImage,
    Container,
    comparable,
    main_process,
    stop,
    user_of,
)
from e2e_pipeline_support import wait_until
from e2e_support import image_request, send, upload, wait_for_images, worker_env

from model_runner.local import LocalStack

# The first test may wait for the test command's background build of the image.
pytestmark = [pytest.mark.e2e, pytest.mark.container, pytest.mark.timeout(1200)]


def test_the_image_runs_the_worker_unprivileged_within_its_size_budget(worker_image: BuiltImage) -> None:
    assert worker_image.user == "10001:10001"
    assert worker_image.command == ["model-runner", "worker"]
    assert worker_image.size_bytes <= SIZE_BUDGET_MB * 10**6, (
        f"the image has {worker_image.size_bytes / 1e6:.0f} MB, over its budget of {SIZE_BUDGET_MB} MB"
    )


def test_the_worker_in_the_container_ends_a_job_with_the_features_of_the_worker_outside(
    stack: LocalStack, container: Container, in_process_worker: Any, imagery_dir: Path, tmp_path: Path
) -> None:
    env = worker_env(stack)
    health_check = container.image.health_check
    url = upload(stack, imagery_dir / "RGB.byte.tif")

    before = container.run(health_check, env)
    with main_process(container, env, tmp_path / "worker.log") as (process, pid):
        worker_user = user_of(pid)
        wait_until(lambda: container.run(health_check, env).returncode == 0, 60, "health check passing")
        body = image_request(stack, [url])
        send(stack, body)
        inside = wait_for_images(stack, body["jobId"], [url], timeout_s=120).only
        during = container.run(health_check, env)
        exit_status = stop(process, pid)
    after = container.run(health_check, env)
    log = (tmp_path / "worker.log").read_text()

    assert worker_user == (10001, 10001)
    assert inside.status == "SUCCESS", inside.message + log
    assert len(inside.features) == 16  # 791 x 718 pixels, tile 256, overlap 32: 4 x 4 tiles
    assert (before.returncode, during.returncode, after.returncode) == (1, 0, 1), (before, during, after)
    assert "missing" in after.stdout
    assert exit_status == 0, log

    in_process_worker()
    body = image_request(stack, [url])
    send(stack, body)
    outside = wait_for_images(stack, body["jobId"], [url]).only
    assert outside.status == "SUCCESS", outside.message
    assert comparable(inside.features) == comparable(outside.features)
