"""Every real ImageRequest of the reference's docs, tests and load tests (../shared/refcompat/requests)
that the reference accepts is accepted by ``model-runner validate``; its negative tests are refused.

Templates are filled the way their users fill them (documentation placeholders, and the load
runner's ``{{...}}`` values and job id); requests whose values are Python expressions in the
reference's test code cannot be read as JSON requests and are listed with their reason.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from model_runner.api import validate_file

ACCEPTED = {
    "003": "unit test: tile overlap 0",
    "004": "unit test: tile size and overlap as strings",
    "006": "unit test: S3 and Kinesis with batchSize 1000",
    "007": "unit test: legacy outputBucket and outputPrefix",
    "014": "scheduler test: Kinesis batchSize 1000",
    "015": "scheduler test: Kinesis batchSize 1000",
    "016": "scheduler test: Kinesis batchSize 1000",
    "018": "handler test: local NITF, NITF/JPEG tiles, an unknown key, stream ':test-results-stream'",
}
TEMPLATES = {
    "001": "MODELRUNNER_API.md, <placeholders> filled",
    "002": "README.md, <placeholders> filled (first of each choice; a bucket name for <result_bucket_arn>)",
    **{
        f"{number:03d}": "load test sample-requests.json, {{...}} and jobId filled as its runner does"
        for number in range(21, 32)
    },
}
REFUSED = {
    "005": "the reference's negative test: imageProcessorTileSize 'invalid'",
    "008": "the reference's negative test: an SQS output, which it does not support",
    "009": "the reference's negative test: an SQS output (its parameters are Python expressions)",
    "010": "the reference's negative test: an SQS output (its parameters are Python expressions)",
    "011": "the reference's negative test: an SQS output (its parameters are Python expressions)",
    "034": "an imagery-toolkit fixture in a retired shape (imageURL, modelName, no jobId or imageProcessor)",
}
EXPRESSIONS = {
    number: "jobId and other values are Python expressions of the reference's test code"
    for number in ("012", "013", "017", "019", "020", "032", "033")
}

PLACEHOLDERS = {
    "<job_name>": "job-name",
    "<job_id>": "job-1",
    "<image_url>": "s3://images/scene.ntf",
    "<result_bucket_name>": "results",
    "<result_bucket_arn>": "results",
    "<result_stream_name>": "results",
    "<result_stream_arn>": "arn:aws:kinesis:us-west-2:123456789012:stream/results",
    "<sagemaker_endpoint>": "model-endpoint",
    "< NITF | JPEG | PNG | GTIFF >": "NITF",
    "< NONE | JPEG | J2K | LZW >": "NONE",
    "{{test_imagery_location}}": "s3://test-imagery",
    "{{test_results_bucket}}": "test-results",
    "{{test_results_prefix}}": "load-test",
}


def request_files(refcompat_dir: Path) -> dict[str, Path]:
    return {path.name[:3]: path for path in sorted((refcompat_dir / "requests").glob("*.json"))}


def filled(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: filled(item) for key, item in value.items()}
    if isinstance(value, list):
        return [filled(item) for item in value]
    if isinstance(value, str):
        for placeholder, replacement in PLACEHOLDERS.items():
            value = value.replace(placeholder, replacement)
    return value


def validate(tmp_path: Path, request: dict[str, Any]) -> tuple[int, str, str]:
    path = tmp_path / "request.json"
    path.write_text(json.dumps(request))
    out, err = io.StringIO(), io.StringIO()
    return validate_file(path, out, err), out.getvalue(), err.getvalue()


def test_every_request_is_classified_with_its_reason(refcompat_dir: Path) -> None:
    classified = {**ACCEPTED, **TEMPLATES, **REFUSED, **EXPRESSIONS}
    assert sorted(classified) == sorted(request_files(refcompat_dir))
    assert sum(map(len, (ACCEPTED, TEMPLATES, REFUSED, EXPRESSIONS))) == len(classified) == 34
    for number in EXPRESSIONS:
        text = request_files(refcompat_dir)[number].read_text()
        assert "__nonliteral__" in text


@pytest.mark.parametrize("number", sorted(ACCEPTED))
def test_a_request_the_reference_accepts_is_accepted(
    refcompat_dir: Path, tmp_path: Path, number: str
) -> None:
    request = json.loads(request_files(refcompat_dir)[number].read_text())["request"]

    status, out, err = validate(tmp_path, request)

    assert status == 0, out
    assert json.loads(out)["jobId"] == request["jobId"]
    if number == "018":
        assert "randomKey: unknown key, ignored" in err
        assert "':test-results-stream' is not a Kinesis stream name or ARN" in err


@pytest.mark.parametrize("number", sorted(TEMPLATES))
def test_a_template_filled_as_its_users_fill_it_is_accepted(
    refcompat_dir: Path, tmp_path: Path, number: str
) -> None:
    request = filled(json.loads(request_files(refcompat_dir)[number].read_text())["request"])
    request.setdefault("jobId", f"load-{number}")  # the load runner gives every request its job id

    status, out, _ = validate(tmp_path, request)

    assert status == 0, out
    normalised = json.loads(out)
    assert normalised["outputs"][0]["type"] == "S3"
    if any(output["type"] == "Kinesis" for output in request["outputs"]):
        assert normalised["outputs"][1]["batchSize"] == 1000


@pytest.mark.parametrize("number", sorted(REFUSED))
def test_the_references_negative_tests_are_refused_naming_the_key(
    refcompat_dir: Path, tmp_path: Path, number: str
) -> None:
    request = json.loads(request_files(refcompat_dir)[number].read_text())["request"]
    request = {key: value for key, value in request.items() if not _expression(value)}

    status, out, _ = validate(tmp_path, request)

    assert status == 1
    expected_key = {"005": "imageProcessorTileSize", "034": "jobId"}.get(number, "outputs[0].type")
    assert expected_key in out


def _expression(value: Any) -> bool:
    return isinstance(value, dict) and "__nonliteral__" in value
