"""The demo and bench commands, run as a user runs them: a process, its exit status, its last line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.e2e


def run(*args: str, cwd: Path) -> tuple[int, dict[str, Any], str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    done = subprocess.run(
        [sys.executable, "-m", "model_runner.cli", *args],
        check=False,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "{}"
    return done.returncode, json.loads(last), done.stderr


def test_demo_runs_a_job_and_writes_its_feature_collection(tmp_path: Path) -> None:
    status, summary, progress = run("demo", "--output", str(tmp_path / "out"), cwd=tmp_path)

    assert status == 0, progress
    assert summary["status"] == "SUCCESS"
    assert {"job_id", "status", "tiles", "features", "seconds"} <= summary.keys()
    assert summary["tiles"] == 25 and summary["features"] == 25  # 2048 px, tile 512, overlap 32
    written = json.loads((tmp_path / "out" / f"{summary['job_id']}.geojson").read_text())
    assert written["type"] == "FeatureCollection" and len(written["features"]) == 25
    assert "regions 4/4" in progress


def test_demo_takes_a_request_file_and_an_image_and_fails_partially_with_the_failure_model(
    tmp_path: Path, imagery_dir: Path
) -> None:
    request = tmp_path / "request.json"
    request.write_text(
        json.dumps(
            {"jobId": "demo-from-file", "imageProcessorTileSize": 256, "imageProcessorTileOverlap": 16}
        )
    )

    status, summary, _ = run(
        "demo",
        "--image",
        str(imagery_dir / "RGB.byte.tif"),
        "--request",
        str(request),
        "--model",
        "failure",
        "--output",
        str(tmp_path / "out"),
        cwd=tmp_path,
    )

    assert status == 1
    assert summary["job_id"] == "demo-from-file"
    assert summary["status"] == "PARTIAL"
    assert 0 < summary["failed_tiles"] < summary["tiles"]


def test_bench_reports_pipeline_and_bare_loop_rates_measured_in_one_run(tmp_path: Path) -> None:
    status, figures, _ = run(
        "bench", "--size", "1024", "--workers", "2", "--s3-latency-ms", "20", "--rounds", "2", cwd=tmp_path
    )

    assert status == 0
    assert figures["tiles"] == figures["raw_tiles"] == figures["s3_tiles"] == 9  # 1024 px, 512, 32: 3 x 3
    for key in (
        "seconds",
        "warm_up_seconds",
        "tiles_per_s",
        "cpu_s",
        "peak_rss_mib",
        "raw_tiles_per_s",
        "pipeline_to_raw",
    ):
        assert figures[key] > 0, key
    assert figures["s3_status"] == "SUCCESS" and figures["s3_latency_ms"] == 20
    assert figures["s3_tiles_per_s"] > 0 and figures["s3_to_local"] > 0
    rounds = figures["rounds"]
    assert len(rounds) == 2 and all(measured["tiles"] == 9 for measured in rounds)
    ratios = sorted(measured["pipeline_to_raw"] for measured in rounds)
    assert figures["pipeline_to_raw"] == pytest.approx(sum(ratios) / 2, abs=0.001)  # their median


@pytest.mark.parametrize("mode", ["sm", "async"])
def test_demo_runs_through_the_sagemaker_emulator(tmp_path: Path, mode: str) -> None:
    status, summary, progress = run("demo", "--mode", mode, "--output", str(tmp_path / "out"), cwd=tmp_path)

    assert status == 0, progress
    assert summary["status"] == "SUCCESS"
    assert summary["tiles"] == summary["features"] == 25


def test_demo_runs_a_request_as_given_every_image_with_its_own_outputs(
    tmp_path: Path, imagery_dir: Path
) -> None:
    request = tmp_path / "request.json"
    body = {
        "jobId": "demo-own-images",
        "imageUrls": [str(imagery_dir / "RGB.byte.rpc.vrt"), str(imagery_dir / "shade.tif")],
        "imageProcessorTileSize": 512,
        "imageProcessorTileOverlap": 32,
        "outputs": [{"type": "S3", "bucket": "my-own-results", "prefix": "mine"}],
    }
    request.write_text(json.dumps(body))

    status, summary, progress = run(
        "demo", "--request", str(request), "--output", str(tmp_path / "out"), cwd=tmp_path
    )

    assert status == 0, progress
    assert summary["job_id"] == "demo-own-images" and summary["status"] == "SUCCESS"
    assert [Path(image["image"]).name for image in summary["images"]] == ["RGB.byte.rpc.vrt", "shade.tif"]
    assert all(image["outputs"][0].startswith("s3://my-own-results/mine/") for image in summary["images"])
    # The VRT was uploaded with the GeoTIFF it reads (GetFileList): 2 x 2 tiles of 512, and 3 x 3 of shade.
    assert [image["features"] for image in summary["images"]] == [4, 9]
    for image in summary["images"]:
        assert len(json.loads(Path(image["file"]).read_text())["features"]) == image["features"]
        assert Path(image["preview"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
