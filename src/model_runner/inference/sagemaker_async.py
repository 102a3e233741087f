"""SageMaker asynchronous endpoints: InvokeEndpointAsync of a tile already in S3, and the
success/error notifications the endpoint publishes (SNS, usually delivered through SQS).

A submission returns where the answer (OutputLocation) or the failure (FailureLocation) will be
written; completion is learned from a notification or from those objects appearing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import JsonValue

from model_runner.api import SAGEMAKER_PARAMETERS, ModelInvocationType
from model_runner.aws.service_errors import error_code
from model_runner.errors import QueueAction
from model_runner.inference.invocation_error import ModelInvocationError

ASYNC_PARAMETERS = tuple(
    key for key in SAGEMAKER_PARAMETERS[ModelInvocationType.SM_ENDPOINT_ASYNC] if key != "InferenceId"
)
"""Request parameters passed on with every submission (the inference id is the tile's own)."""
BUSY_CODES = frozenset({"ThrottlingException", "ServiceUnavailable", "InternalFailure"})
BUSY_STATUSES = frozenset({429, 500, 502, 503, 504})


class EndpointBusyError(ModelInvocationError):
    """The endpoint refused a submission for now (throttled, unavailable): submit it again later."""

    action = QueueAction.RETRY


@dataclass(frozen=True)
class AsyncSubmission:
    """Where an accepted invocation's answer, or its failure, will be written."""

    output_location: str
    failure_location: str | None


class AsyncEndpoint:
    """One asynchronous endpoint (the request's imageProcessor.name), through an injected
    sagemaker-runtime client."""

    def __init__(self, runtime: Any, name: str, parameters: Mapping[str, JsonValue]) -> None:
        self._runtime = runtime
        self.name = name
        self._parameters = {key: parameters[key] for key in ASYNC_PARAMETERS if key in parameters}

    def submit(self, input_location: str, inference_id: str, content_type: str) -> AsyncSubmission:
        """Queue the inference of the object at ``input_location``.

        Raises:
            EndpointBusyError: throttled or unavailable; the same submission may succeed later.
            ModelInvocationError: refused for good (unknown endpoint, invalid parameters).
        """
        arguments: dict[str, Any] = {"ContentType": content_type, **self._parameters}
        try:
            answer = self._runtime.invoke_endpoint_async(
                EndpointName=self.name, InputLocation=input_location, InferenceId=inference_id, **arguments
            )
        except ClientError as error:
            code = error_code(error)
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            message = error.response.get("Error", {}).get("Message", "")
            reason = f"asynchronous SageMaker endpoint {self.name}: {code}: {message}"
            if code in BUSY_CODES or status in BUSY_STATUSES:
                raise EndpointBusyError(reason, endpoint=self.name, status=429) from error
            raise ModelInvocationError(reason, endpoint=self.name, status=status) from error
        except BotoCoreError as error:
            raise EndpointBusyError(
                f"asynchronous SageMaker endpoint {self.name}: {error}", endpoint=self.name
            ) from error
        return AsyncSubmission(answer["OutputLocation"], answer.get("FailureLocation"))


@dataclass(frozen=True)
class AsyncNotification:
    """One SageMaker asynchronous inference notification (an ``InferenceResult`` event)."""

    inference_id: str
    succeeded: bool
    output_location: str | None = None
    failure_location: str | None = None
    reason: str = ""


def parse_notification(body: str) -> AsyncNotification | None:
    """The notification in an SQS message body: SNS's envelope or the raw SageMaker event.

    None when the body is not an asynchronous inference result (another publisher's message).
    """
    try:
        event: Any = json.loads(body)
        if isinstance(event, dict) and event.get("Type") == "Notification" and "Message" in event:
            event = json.loads(event["Message"])
    except (ValueError, TypeError):
        return None
    if not isinstance(event, dict):
        return None
    inference_id, status = event.get("inferenceId"), event.get("invocationStatus")
    if not isinstance(inference_id, str) or status not in ("Completed", "Failed"):
        return None
    response = event.get("responseParameters") or {}
    return AsyncNotification(
        inference_id=inference_id,
        succeeded=status == "Completed",
        output_location=response.get("outputLocation"),
        failure_location=response.get("failureLocation"),
        reason=str(event.get("failureReason", "")),
    )
