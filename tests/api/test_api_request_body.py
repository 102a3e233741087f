"""Bodies refused before parsing, and what can still be read of them: sizes, nesting that ignores
brackets inside strings, and scanning that stays linear on hostile text."""

from __future__ import annotations

import json
import time

import pytest

from model_runner.api import parse_image_request, request_identity
from model_runner.api.request_body import MAX_REQUEST_DEPTH, nesting_exceeds
from model_runner.errors import InvalidRequestError, UnreadableMessageError


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(
    ("text", "exceeds"),
    [
        (json.dumps({"a": nested(MAX_REQUEST_DEPTH - 1)}), False),
        (json.dumps({"a": json.loads(nested(MAX_REQUEST_DEPTH))}), True),
        (json.dumps({"brackets in a string": "[" * 500, "quote": 'say "[["'}), False),
        ('{"a": "\\\\", "b": ' + nested(40) + "}", True),
    ],
    ids=["just-under", "one-too-deep", "brackets-inside-strings", "escaped-backslash-then-deep"],
)
def test_nesting_counts_objects_and_lists_not_brackets_inside_strings(text: str, exceeds: bool) -> None:
    assert nesting_exceeds(text, MAX_REQUEST_DEPTH) is exceeds


@pytest.mark.parametrize(
    "hostile",
    ['{"jobId": "x", "a": "' + '\\"' * 95_000, '"' * 190_000, "[" * 190_000, '{"imageUrls": [' * 12_000],
    ids=["escaped-quotes-never-closed", "quotes", "brackets", "repeated-keys"],
)
def test_hostile_text_is_scanned_in_linear_time(hostile: str) -> None:
    started = time.perf_counter()
    nesting_exceeds(hostile, MAX_REQUEST_DEPTH)
    request_identity(hostile)
    assert time.perf_counter() - started < 1.0  # a quadratic scan takes minutes on these


def test_a_body_too_deep_to_parse_still_names_its_job_and_images() -> None:
    body = (
        '{"jobId": "deep-1", "imageUrls": ["s3://b/one.tif", "s3://b/two.tif"], "x": ' + nested(50_000) + "}"
    )

    with pytest.raises(InvalidRequestError) as refused:
        parse_image_request(body, max_bytes=len(body))

    assert refused.value.job_id == "deep-1"
    assert refused.value.problems == ("request: objects and lists are nested deeper than 32 levels",)
    assert request_identity(body) == ("deep-1", ["s3://b/one.tif", "s3://b/two.tif"])


def test_a_body_over_the_size_limit_is_refused_naming_the_setting_and_one_without_a_job_is_unreadable() -> (
    None
):
    body = json.dumps({"jobId": "big-1", "imageUrls": ["s3://b/one.tif"], "padding": "x" * 5000})

    with pytest.raises(InvalidRequestError, match=r"more than the 4096 accepted \(MAX_REQUEST_BYTES\)"):
        parse_image_request(body, max_bytes=4096)
    with pytest.raises(UnreadableMessageError, match="no jobId can be read"):
        parse_image_request(nested(100), max_bytes=4096)
