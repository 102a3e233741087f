"""The operator tools against the session's local stack: submit (--local, --wait), status as a
deployed stack is read (settings from the environment), check-model against the built-in models
and the SageMaker emulator, and a worker that refuses to start without credentials or queue."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from e2e_support import RESULTS_BUCKET, image_request, send, upload, wait_for_images, worker_env

from model_runner.cli import main
from model_runner.local import LocalStack, ModelSpec, start_model_server
from model_runner.local.models import INVOCATIONS_PATH
from model_runner.local.session import STATE_VARIABLE, write_state
from model_runner.tiling import Window

pytestmark = pytest.mark.e2e


@pytest.fixture
def deployed(stack: LocalStack, monkeypatch: pytest.MonkeyPatch) -> LocalStack:
    """The tools' environment as an operator's would be: the deployment's settings."""
    for name, value in stack.env.items():
        monkeypatch.setenv(name, value)
    return stack


@pytest.fixture
def local_session(stack: LocalStack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The session's stack described as a running local stack, for --local."""
    path = tmp_path / "local-stack.json"
    write_state(path, stack.env, stack.model_url("centerpoint"))
    monkeypatch.setenv(STATE_VARIABLE, str(path))
    return path


def test_submit_local_waits_with_progress_then_status_shows_the_regions(
    stack: LocalStack,
    local_session: Path,
    in_process_worker: Any,
    imagery_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    in_process_worker(REGION_SIZE="512")
    request = tmp_path / "request.json"
    body = {
        "jobId": "tools-submit",
        "imageUrls": [str(imagery_dir / "RGB.byte.tif")],
        "imageProcessorTileSize": 256,
    }
    request.write_text(json.dumps(body))

    assert main(["submit", "--local", "--wait", "--timeout", "120", str(request)]) == 0

    out, err = capsys.readouterr()
    assert out.splitlines()[0] == "submitted job tools-submit (1 image)"
    assert out.splitlines()[1].startswith("SUCCESS  s3://mr-images/local/")
    assert "images 1/1  regions 2/2  tiles 16 (0 failed)" in err.splitlines()[-1]
    for name, value in stack.env.items():
        monkeypatch.setenv(name, value)
    assert main(["status", "tools-submit"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0] == "job tools-submit: 1 image(s)"
    assert "SUCCESS" in table[1] and "regions 2/2  tiles 16 (0 failed)" in table[1]
    assert sum(line.lstrip().startswith("region ") and "SUCCESS" in line for line in table) == 2


def test_status_of_a_partly_failed_job_gives_the_reasons(
    deployed: LocalStack, in_process_worker: Any, imagery_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    in_process_worker()
    url = upload(deployed, imagery_dir / "RGB.byte.tif")
    body = image_request(deployed, [url], model="mixed", jobId="tools-status-partial")
    send(deployed, body)
    wait_for_images(deployed, body["jobId"], [url])

    assert main(["status", "--json", body["jobId"]]) == 0

    (image,) = json.loads(capsys.readouterr().out)["images"]
    assert image["status"] == "PARTIAL" and 0 < image["failed_tiles"] < image["tiles"]
    reasons = [reason for region in image["regions"] for reason in region["failures"]]
    assert reasons and all("HTTP 500" in reason for reason in reasons)


def test_status_of_an_unknown_job_is_one_line(
    deployed: LocalStack, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["status", "no-such-job"]) == 2
    assert capsys.readouterr().err.strip() == (
        "model-runner status: no job 'no-such-job' in the job table; "
        "check the job id (a job shows once a worker accepted it)"
    )


def test_submit_to_a_queue_that_is_not_there_is_one_line(
    deployed: LocalStack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("IMAGE_QUEUE", deployed.env["IMAGE_QUEUE"] + "-absent")
    request = tmp_path / "request.json"
    request.write_text(json.dumps(image_request(deployed, ["s3://mr-images/x.tif"])))

    assert main(["submit", str(request)]) == 2
    line = capsys.readouterr().err.strip()
    assert line.startswith("model-runner submit: send to IMAGE_QUEUE ") and "not found" in line


def check(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str]]:
    status = main(["check-model", *argv, "--sizes", "256"])
    return status, capsys.readouterr().out.splitlines()


def test_check_model_passes_a_built_in_model(stack: LocalStack, capsys: pytest.CaptureFixture[str]) -> None:
    status, lines = check(capsys, stack.model_url("centerpoint"))

    assert status == 0
    checks = [line.split()[1:3] for line in lines if line.startswith("PASS")]
    assert ["ping"] in [item[:1] for item in checks]
    assert {"NITF", "GTIFF", "PNG", "JPEG", "chunked"} <= {item[0] for item in checks}
    assert lines[-1] == "result: 7 passed, 0 warnings, 0 failed"


def test_check_model_names_what_breaks(stack: LocalStack, capsys: pytest.CaptureFixture[str]) -> None:
    status, lines = check(capsys, stack.model_url("broken"))
    assert status == 1
    assert any(line.startswith("FAIL  PNG 256x256") and "HTTP 500 (expected 200)" in line for line in lines)

    with start_model_server(ModelSpec("failure", failure_mode="invalid_features")) as server:
        status, lines = check(capsys, server.url + INVOCATIONS_PATH)
    assert status == 1
    reason = "features[0].properties.featureClasses[0]: must be {iri: string, score: number}"
    assert f"FAIL  GTIFF 256x256          {reason}" in lines

    status, lines = check(capsys, "http://127.0.0.1:9")
    assert status == 1
    assert lines[1].startswith("FAIL  ping") and "no answer" in lines[1]


def test_check_model_through_the_sagemaker_emulator(
    deployed: LocalStack, capsys: pytest.CaptureFixture[str]
) -> None:
    status, lines = check(capsys, "--sagemaker", "detector")

    assert status == 0, lines
    assert lines[1] == "PASS  ping                   SageMaker endpoint detector is InService"
    assert not any("chunked" in line for line in lines)

    assert main(["check-model", "--sagemaker", "no-such-endpoint"]) == 2
    assert "check the endpoint's name and region" in capsys.readouterr().err


def run_worker(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "model_runner.cli", "worker"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_worker_without_credentials_or_queue_stops_with_one_line(stack: LocalStack, tmp_path: Path) -> None:
    base = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    env = {**base, **worker_env(stack, LIVENESS_FILE=str(tmp_path / "alive"))}
    no_credentials = {
        name: value
        for name, value in env.items()
        if name not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
    }
    no_credentials.update(
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
        AWS_CONFIG_FILE=str(tmp_path / "none"),
        AWS_EC2_METADATA_DISABLED="true",
    )

    done = run_worker(no_credentials)
    assert (done.returncode, done.stderr.strip()) == (
        2,
        "model-runner worker: no AWS credentials: give the task an IAM role, or set AWS_ACCESS_KEY_ID and "
        "AWS_SECRET_ACCESS_KEY (or AWS_PROFILE)",
    )

    done = run_worker({**env, "IMAGE_QUEUE": env["IMAGE_QUEUE"] + "-absent"})
    assert done.returncode == 2 and "Traceback" not in done.stderr
    queue = env["IMAGE_QUEUE"] + "-absent"
    assert done.stderr.strip() == (
        f"model-runner worker: IMAGE_QUEUE {queue}: no such queue; check the setting (and the region)"
    )


def test_preview_reads_the_image_and_features_from_s3(
    deployed: LocalStack, imagery_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = upload(deployed, imagery_dir / "RGB.byte.tif")
    features = {"type": "FeatureCollection", "features": []}
    deployed.boto3_client("s3").put_object(
        Bucket=RESULTS_BUCKET, Key="preview/f.geojson", Body=json.dumps(features)
    )
    target = tmp_path / "p.png"

    assert main(["preview", image, f"s3://{RESULTS_BUCKET}/preview/f.geojson", "--output", str(target)]) == 0
    assert capsys.readouterr().out.strip() == f"wrote {target}: 0 features (none)"
    assert target.stat().st_size > 1000


def test_an_image_with_an_rpc_sidecar_is_read_through_a_vrt_that_carries_its_rpcs(
    stack: LocalStack, imagery_dir: Path, tmp_path: Path
) -> None:
    from osgeo import gdal

    from model_runner.imagery import S3Credentials, open_image
    from model_runner.local.request_files import image_files, upload_image

    image = tmp_path / "scene.tif"  # RPCs in a scene.RPB sidecar, no geotransform
    gdal.Translate(str(image), str(imagery_dir / "RGB.byte.rpc.vrt"), creationOptions=["PROFILE=BASELINE"])
    (tmp_path / "scene.tif.aux.xml").unlink(missing_ok=True)
    assert [path.name for path in image_files(image)] == ["scene.tif", "scene.RPB"]

    url = upload_image(stack, image)
    with open_image(
        url, credentials=S3Credentials("testing", "testing"), s3_endpoint=stack.endpoint_url
    ) as opened:
        lon, lat = opened.sensor_model().pixel_to_world([395.0], [359.0])
        assert opened.read(Window(0, 0, 8, 8)).shape == (3, 8, 8)

    assert url.endswith("/scene.tif.vrt")
    # Where the RPCs put it (their offsets: 123.18 W, 49.22 N), not in the pixels' own UTM scene.
    assert abs(lon[0] + 123.176) < 0.5 and abs(lat[0] - 49.2199) < 0.4
