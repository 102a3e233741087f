"""Credential patterns are masked in the forms AWS and HTTP libraries print them; URLs are shown
without credentials; the log filter masks every record, whatever logger it comes from."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws
from settings_support import REQUIRED_ENV

from model_runner.config import load_settings
from model_runner.observability.logs import configure_logging
from model_runner.security import MASK, Redactor, display_url

KEY_ID = "ASIAQWERTYUIOPASDFGH"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TOKEN = "IQoJb3JpZ2luX2VjEOr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD6sLongSessionTokenValue+/="
SIGNATURE = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"


@pytest.mark.parametrize(
    ("line", "secrets"),
    [
        (f"access key {KEY_ID} used", [KEY_ID]),
        ("'AccessKeyId': 'AKIAIOSFODNN7EXAMPLE'", ["AKIAIOSFODNN7EXAMPLE"]),
        (f"<SecretAccessKey>{SECRET}</SecretAccessKey>", [SECRET]),
        (f'"SecretAccessKey": "{SECRET}"', [SECRET]),
        (f"aws_secret_access_key={SECRET}", [SECRET]),
        (f"<SessionToken>{TOKEN}</SessionToken>", [TOKEN]),
        (f"{{'X-Amz-Security-Token': b'{TOKEN}'}}", [TOKEN]),
        (f"x-amz-security-token: {TOKEN}", [TOKEN]),
        (
            f"https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={KEY_ID}%2F2024"
            f"&X-Amz-Signature={SIGNATURE}&X-Amz-Security-Token={TOKEN}",
            [KEY_ID, SIGNATURE, TOKEN],
        ),
        (
            f"{{'Authorization': b'AWS4-HMAC-SHA256 Credential={KEY_ID}/20240101/us-east-1/s3/aws4_request, "
            f"SignedHeaders=host, Signature={SIGNATURE}'}}",
            [KEY_ID, SIGNATURE],
        ),
        ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig", ["eyJhbGciOiJIUzI1NiJ9.payload.sig"]),
        ("cannot connect to https://admin:hunter2@models.internal/invocations", ["hunter2", "admin:"]),
    ],
    ids=["key-id", "long-term-key-id", "secret-xml", "secret-json", "secret-assignment", "token-xml",
         "token-header-repr", "token-header", "presigned-url", "authorization-sigv4", "authorization-bearer",
         "url-password"],
)  # fmt: skip
def test_credential_patterns_are_masked(line: str, secrets: list[str]) -> None:
    masked = Redactor()(line)
    assert MASK in masked
    for secret in secrets:
        assert secret not in masked


def test_ordinary_text_is_left_alone() -> None:
    line = "region r-1 of job-7:s3://mr-images/scenes/RGB.byte.tif: 54 tiles, 3 failed (HTTP 503)"
    assert Redactor()(line) == line


def test_registered_values_are_masked_whatever_surrounds_them() -> None:
    redact = Redactor()
    redact.register("plain-secret-value", None, "")
    assert redact("x=plain-secret-value;") == f"x={MASK};"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://user:pw@models.internal:8443/invocations", "https://models.internal:8443/invocations"),
        ("https://b.s3.amazonaws.com/k?X-Amz-Signature=abc", "https://b.s3.amazonaws.com/k?..."),
        ("s3://bucket/key.tif", "s3://bucket/key.tif"),
        ("/data/image.tif", "/data/image.tif"),
    ],
)
def test_urls_are_shown_without_credentials_or_query(url: str, shown: str) -> None:
    assert display_url(url) == shown


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    stream = io.StringIO()
    configure_logging(load_settings({**REQUIRED_ENV, "LOG_LEVEL": "DEBUG"}), stream)
    try:
        yield stream
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name in ("botocore", "boto3", "s3transfer", "urllib3"):
            logging.getLogger(name).setLevel(logging.NOTSET)


def test_the_log_filter_masks_messages_arguments_exceptions_and_fields(captured: io.StringIO) -> None:
    logger = logging.getLogger("model_runner.test")
    logger.debug(
        "signed with %s", f"Credential={KEY_ID}/x", extra={"fields": {"url": f"?X-Amz-Signature={SIGNATURE}"}}
    )
    try:
        raise RuntimeError(f"<SessionToken>{TOKEN}</SessionToken>")
    except RuntimeError:
        logger.exception("failed")
    text = captured.getvalue()
    lines = [json.loads(line) for line in text.splitlines()]
    assert len(lines) == 2 and "exception" in lines[1]
    for secret in (KEY_ID, SIGNATURE, TOKEN):
        assert secret not in text


def test_wire_loggers_stay_quiet_at_debug(captured: io.StringIO) -> None:
    logging.getLogger("botocore.endpoint").debug("Sending http request: headers %s", TOKEN)
    logging.getLogger("urllib3.connectionpool").debug("GET /?X-Amz-Signature=x")
    assert captured.getvalue() == ""


def test_botocore_debug_output_is_masked_even_when_someone_switches_it_on(captured: io.StringIO) -> None:
    """Positive control first: botocore's own DEBUG output does carry the STS answer."""
    raw = io.StringIO()
    wire = logging.getLogger("botocore")
    wire.setLevel(logging.DEBUG)
    unfiltered = logging.StreamHandler(raw)
    wire.addHandler(unfiltered)
    try:
        with mock_aws():
            sts = boto3.client(
                "sts", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
            )
            answer = sts.assume_role(RoleArn="arn:aws:iam::123456789012:role/debug", RoleSessionName="debug")
    finally:
        wire.removeHandler(unfiltered)
    credentials = answer["Credentials"]
    secrets = [credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"]]
    assert credentials["SessionToken"] in raw.getvalue()
    assert captured.getvalue()
    for secret in secrets:
        assert secret not in captured.getvalue()
