"""Every command answers a user's mistake with one line saying what is wrong and what to do, and
exit status 2: never a traceback. Run in-process through ``main`` (so any exception that is not
turned into that line fails the test), and a few as real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from model_runner.cli import main

NO_STACK = {"MODEL_RUNNER_LOCAL_STACK": "/nonexistent/local-stack.json"}


def mistake(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """Run the command; assert exit 2 and one line on standard error; return that line."""
    status = main(list(argv))
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert status == 2, (captured.out, captured.err)
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"model-runner {argv[0]}: "), lines[0]
    return lines[0]


@pytest.fixture
def bare_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No AWS or worker settings at all, and no local stack."""
    for name in list(os.environ):
        if name.startswith("AWS_") or name in ("IMAGE_QUEUE", "JOB_TABLE", "REGION_REQUEST_TABLE"):
            monkeypatch.delenv(name)
    for name, value in NO_STACK.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def request_file(tmp_path: Path) -> Path:
    """A valid request (it names its image, model and output)."""
    path = tmp_path / "request.json"
    body = {
        "jobId": "mistakes",
        "imageUrls": ["s3://imagery/scene.tif"],
        "imageProcessor": {"name": "http://127.0.0.1:9/invocations", "type": "HTTP_ENDPOINT"},
        "outputs": [{"type": "S3", "bucket": "results"}],
    }
    path.write_text(json.dumps(body))
    return path


def test_version_names_the_package(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith("model-runner 0.")


def test_a_wrong_command_line_is_one_line_with_a_hint(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["demo", "--model", "nonesuch"])
    lines = capsys.readouterr().err.strip().splitlines()
    assert exited.value.code == 2
    assert len(lines) == 1 and "invalid choice: 'nonesuch'" in lines[0] and "--help" in lines[0]


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["--image", "{tmp}/absent.tif"], "absent.tif: no such file"),
        (["--image", "{tmp}"], "is a folder: give an image file"),
        (["--image", "{tmp}/request.json"], "not an image GDAL can open"),
        (["--request", "{tmp}/absent.json"], "absent.json: no such file"),
        (["--request", "{tmp}"], "is a folder: give an ImageRequest JSON file"),
        (["--request", "{tmp}/broken.json"], "not JSON (Expecting value at line 1, column 1)"),
        (["--request", "{tmp}/list.json"], "expected a JSON object (an ImageRequest), got list"),
        (["--request", "{tmp}/wrong.json"], "the request is not valid: imageProcessorTileOverlap"),
        (["--request", "{tmp}/own-image.json", "--image", "{imagery}/RGB.byte.tif"], "leave out --image"),
        (["--request", "{tmp}/missing-image.json"], "imageUrls[0]: no file"),
        (["--format", "XYZ"], "--format: must be 'NITF', 'GTIFF', 'PNG' or 'JPEG' (got 'XYZ')"),
        (["--tile-size", "10"], "--tile-size: must be greater than or equal to"),
        (["--output", "{tmp}/request.json/out"], "cannot write to --output"),
    ],
)
def test_demo_mistakes_stop_before_anything_starts(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    request_file: Path,
    imagery_dir: Path,
    arguments: list[str],
    expected: str,
) -> None:
    (tmp_path / "broken.json").write_text("")
    (tmp_path / "list.json").write_text("[]")
    (tmp_path / "wrong.json").write_text(json.dumps({"jobId": "x", "imageProcessorTileOverlap": -1}))
    (tmp_path / "own-image.json").write_text(json.dumps({"jobId": "x", "imageUrls": ["a.tif"]}))
    (tmp_path / "missing-image.json").write_text(json.dumps({"jobId": "x", "imageUrls": ["nowhere.tif"]}))
    argv = [argument.format(tmp=tmp_path, imagery=imagery_dir) for argument in arguments]

    line = mistake(capsys, "demo", *argv)

    assert expected in line


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["--format", "XYZ"], "--format: must be"),
        (["--size", "0"], "--size 0: give an image edge between"),
        (["--workers", "0"], "--workers 0: give 1 to 256"),
        (["--mode", "sm"], "--mode sm: bench measures HTTP models only"),
        (["--overlap", "600"], "--overlap"),
        (["--s3-latency-ms", "-5"], "--s3-latency-ms -5.0: give 0 to 1000 ms"),
        (["--rounds", "0"], "--rounds 0: give 1 to 20 rounds"),
    ],
)
def test_bench_mistakes(capsys: pytest.CaptureFixture[str], arguments: list[str], expected: str) -> None:
    assert expected in mistake(capsys, "bench", *arguments)


def test_extensions_with_a_wrong_setting_says_what_the_setting_takes(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUEST_TYPE", "Bad-Name")

    line = mistake(capsys, "extensions")

    assert "REQUEST_TYPE: must be a handler pair name: lowercase letters, digits and _" in line
    assert "^[a-z]" not in line


def test_validate_of_a_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["validate", str(tmp_path / "absent.json")]) == 2
    assert "cannot read the file" in capsys.readouterr().out


@pytest.mark.usefixtures("bare_env")
@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["submit", "{tmp}/absent.json"], "absent.json: no such file"),
        (["submit", "{tmp}/broken.json"], "not JSON"),
        (["submit", "{tmp}/wrong.json"], "imageProcessorTileOverlap: must be greater than or equal to 0"),
        (["submit", "{request}"], "configuration: AWS_DEFAULT_REGION: required, but not set"),
        (["submit", "--local", "{request}"], "no local stack is running; start one with"),
        (["status", "job-1"], "configuration: AWS_DEFAULT_REGION: required, but not set"),
        (["status", "--local", "job-1"], "no local stack is running"),
        (["preview", "{tmp}/absent.tif", "{tmp}/f.geojson"], "f.geojson: no such file"),
        (["preview", "{tmp}/absent.tif", "{tmp}/features.geojson"], "absent.tif: no such image file"),
        (["preview", "{imagery}/RGB.byte.tif", "{tmp}/broken.json"], "broken.json: not JSON"),
        (["preview", "{imagery}/RGB.byte.tif", "{request}"], "not a GeoJSON FeatureCollection"),
        (["preview", "{imagery}/RGB.byte.tif", "{tmp}/features.geojson", "--size", "9"], "--size 9"),
        (
            ["preview", "{imagery}/RGB.byte.tif", "{tmp}/features.geojson", "--output", "{tmp}/no/x.png"],
            "cannot write",
        ),
        (["check-model"], "give the model's URL, or --sagemaker ENDPOINT"),
        (["check-model", "http://127.0.0.1:9", "--sagemaker", "x"], "one of the two"),
        (["check-model", "ftp://models"], "give an http:// or https:// URL"),
        (["check-model", "http://127.0.0.1:9", "--sizes", "big"], "--sizes big: give whole numbers"),
        (["check-model", "http://127.0.0.1:9", "--sizes", "4"], "between 16 and 8192"),
        (["check-model", "http://127.0.0.1:9", "--timeout", "0"], "--timeout 0"),
        (["check-model", "--sagemaker", "detector"], "configuration: AWS_DEFAULT_REGION: required"),
    ],
)
def test_operator_tool_mistakes(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    request_file: Path,
    imagery_dir: Path,
    arguments: list[str],
    expected: str,
) -> None:
    (tmp_path / "broken.json").write_text("{")
    (tmp_path / "wrong.json").write_text(json.dumps({"jobId": "x", "imageProcessorTileOverlap": -1}))
    (tmp_path / "features.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": []}))
    argv = [
        argument.format(tmp=tmp_path, request=request_file, imagery=imagery_dir) for argument in arguments
    ]

    assert expected in mistake(capsys, *argv)


def test_worker_without_settings_names_each_missing_variable_without_a_traceback(tmp_path: Path) -> None:
    env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    done = subprocess.run(
        [sys.executable, "-m", "model_runner.cli", "worker"],
        env={**env, "LIVENESS_FILE": str(tmp_path / "alive")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines and all(line.startswith("model-runner: configuration: ") for line in lines)
    assert any("IMAGE_QUEUE: required, but not set" in line for line in lines)


def test_a_demo_mistake_as_a_process_is_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "model_runner.cli", "demo", "--image", str(tmp_path / "absent.tif")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 2
    hint = "give an image file (GeoTIFF, NITF, VRT, ...)"
    assert done.stderr.strip().splitlines() == [
        f"model-runner demo: {tmp_path / 'absent.tif'}: no such file; {hint}"
    ]
