"""Settings: every variable documented, each problem named, nothing read at import time."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from model_runner.config import WorkerSettings, load_settings
from model_runner.config_reference import render
from model_runner.errors import ConfigurationError

REQUIRED = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "IMAGE_QUEUE": "https://sqs/q",
    "REGION_QUEUE": "https://sqs/r",
    "JOB_TABLE": "jobs",
    "REGION_REQUEST_TABLE": "regions",
    "ENDPOINT_TABLE": "endpoints",
    "WORKSPACE_BUCKET": "workspace",
}
DOCS = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_every_setting_is_documented_with_its_variable() -> None:
    for name, field in WorkerSettings.model_fields.items():
        assert field.description, f"{name} has no description"
    assert DOCS.read_text() == render(), "run: python -m model_runner.config_reference"


def test_missing_required_variables_are_each_named() -> None:
    with pytest.raises(ConfigurationError) as raised:
        load_settings({})
    assert sorted(problem.split(":")[0] for problem in raised.value.problems) == sorted(REQUIRED)


@pytest.mark.parametrize(
    ("variable", "value", "reason"),
    [
        ("WORKERS", "zero", "WORKERS: Input should be a valid integer"),
        ("REGION_SIZE", "(100, 2000)", "REGION_SIZE: each side must be at least 256 pixels"),
        ("REGION_SIZE", "big", "REGION_SIZE: expected"),
        ("QUEUE_WAIT_SECONDS", "25", "QUEUE_WAIT_SECONDS: Input should be less than or equal to 20"),
        ("LOG_LEVEL", "loud", "LOG_LEVEL: Input should be"),
        ("REQUEST_TYPE", "Not A Type", "REQUEST_TYPE: must be a handler pair name"),
        ("USE_EXTENSIONS", "maybe", "USE_EXTENSIONS: Input should be a valid boolean"),
    ],
)
def test_an_invalid_value_is_named_with_its_reason(variable: str, value: str, reason: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        load_settings({**REQUIRED, variable: value})
    assert any(problem.startswith(reason) for problem in raised.value.problems), raised.value.problems


def test_reference_forms_are_accepted() -> None:
    settings = load_settings(
        {**REQUIRED, "REGION_SIZE": "(4096, 2048)", "EXTENSION_MODULES": "a.b, c", "log_level": "debug"}
    )
    assert settings.region_size == (4096, 2048)
    assert settings.extension_modules == ("a.b", "c")
    assert settings.log_level == "DEBUG"
    assert settings.heartbeat_s == settings.visibility_timeout_s / 3


def test_the_process_environment_is_read_only_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable, value in REQUIRED.items():
        monkeypatch.setenv(variable, value)
    monkeypatch.setenv("REGION_SIZE", "2048,1024")
    assert load_settings().region_size == (2048, 1024)


def test_importing_the_worker_reads_no_setting() -> None:
    code = "import model_runner.worker.wiring, model_runner.cli; print('imported')"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={}, check=True)
    assert done.stdout.strip() == "imported"


def test_the_worker_refuses_to_start_with_one_line_per_problem() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "model_runner.cli", "worker"],
        capture_output=True,
        text=True,
        env={"IMAGE_QUEUE": "q", "WORKERS": "-1"},
        check=False,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert (
        "model-runner: configuration: WORKERS: Input should be greater than or equal to 1 (got '-1')" in lines
    )
    assert "model-runner: configuration: JOB_TABLE: required, but not set" in lines
