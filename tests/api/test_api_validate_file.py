"""validate_file: the normalised request and 0, or one line per problem and 1."""

from __future__ import annotations

import io
import json
from pathlib import Path

from model_runner.api import ImageRequest, validate_file

GOOD = {
    "jobId": "j1",
    "imageUrl": "/data/scene.tif",
    "imageProcessor": {"name": "http://localhost:8080/invocations", "type": "http_endpoint"},
    "outputBucket": "results",
    "outputPrefix": "run/",
    "colour": "blue",
}


def run(tmp_path: Path, text: str | bytes) -> tuple[int, str, str]:
    path = tmp_path / "request.json"
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    out, err = io.StringIO(), io.StringIO()
    return validate_file(path, out, err), out.getvalue(), err.getvalue()


def test_valid_file_prints_the_normalised_camel_case_request(tmp_path: Path) -> None:
    code, out, err = run(tmp_path, json.dumps(GOOD))

    assert code == 0
    printed = json.loads(out)
    assert printed["imageUrls"] == ["/data/scene.tif"]
    assert printed["imageProcessor"]["type"] == "HTTP_ENDPOINT"
    assert printed["outputs"] == [{"type": "S3", "bucket": "results", "prefix": "run/", "role": None}]
    assert printed["imageProcessorTileSize"] == 1024
    assert "\n  " in out  # indented
    assert ImageRequest.model_validate(printed).job_id == "j1"
    assert err == "warning: colour: unknown key, ignored\n"


def test_invalid_file_prints_one_line_per_problem(tmp_path: Path) -> None:
    bad = GOOD | {"imageProcessorTileSize": 1, "imageReadRole": "me"}

    code, out, _ = run(tmp_path, json.dumps(bad))

    assert code == 1
    assert out.splitlines() == [
        "imageReadRole: must be an IAM role ARN starting with 'arn:' (got 'me')",
        "imageProcessorTileSize: must be greater than or equal to 64 (got 1)",
    ]


def test_bad_json_is_one_problem_line(tmp_path: Path) -> None:
    code, out, _ = run(tmp_path, "{not json")

    assert code == 1
    assert len(out.splitlines()) == 1
    assert "request.json: the request is not JSON" in out


def test_missing_file_is_one_problem_line(tmp_path: Path) -> None:
    out = io.StringIO()

    assert validate_file(tmp_path / "absent.json", out, io.StringIO()) == 2
    assert out.getvalue() == (
        f"{tmp_path / 'absent.json'}: cannot read the file (No such file or directory); "
        "give an ImageRequest JSON file\n"
    )
