"""Turns botocore's errors into the worker's own, so no caller ever handles ClientError."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from model_runner.errors import ModelRunnerError, ResourceNotFoundError, ServiceError

_MISSING = {
    "ResourceNotFoundException",
    "AWS.SimpleQueueService.NonExistentQueue",
    "QueueDoesNotExist",
    "NoSuchBucket",
    "NotFound",
    "NotFoundException",
}


def error_code(error: ClientError) -> str:
    """The AWS error code of a ClientError ('' when the response has none)."""
    return str(error.response.get("Error", {}).get("Code", ""))


class ConditionFailedError(Exception):
    """A DynamoDB conditional write found the item in another state: a redelivery, not a fault."""


@contextmanager
def aws_call(what: str) -> Iterator[None]:
    """Run AWS calls, re-raising their failures as :class:`ModelRunnerError` naming ``what``.

    A failed DynamoDB condition raises :class:`ConditionFailedError` for the caller to handle.
    """
    try:
        yield
    except ClientError as error:
        code = error_code(error)
        if code == "ConditionalCheckFailedException":
            raise ConditionFailedError(what) from None
        message = error.response.get("Error", {}).get("Message", "")
        failure: ModelRunnerError
        if code in _MISSING:
            failure = ResourceNotFoundError(f"{what}: not found ({code}: {message})")
        else:
            failure = ServiceError(f"{what}: {code}: {message}")
        raise failure from error
    except BotoCoreError as error:
        raise ServiceError(f"{what}: {error}") from error


def all_pages(
    call: Callable[..., dict[str, Any]], request: dict[str, Any], what: str
) -> Iterator[dict[str, Any]]:
    """Every page of a DynamoDB Query or Scan, following LastEvaluatedKey; failures as :func:`aws_call`."""
    request = dict(request)
    while True:
        with aws_call(what):
            page = call(**request)
        yield page
        if "LastEvaluatedKey" not in page:
            return
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
