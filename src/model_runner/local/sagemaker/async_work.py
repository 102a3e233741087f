"""The background half of the emulator's InvokeEndpointAsync: read the input object, answer it as
a real-time invocation would, write the answer or the failure to S3, and publish SageMaker's
``InferenceResult`` notification to the endpoint's success or error topic."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from typing import TYPE_CHECKING, Any

from model_runner.local.aws import DUMMY_CREDENTIAL
from model_runner.local.sagemaker.endpoints import EmulatedAsyncConfig, EmulatedVariant

if TYPE_CHECKING:
    from model_runner.local.sagemaker.server import EndpointState, Reply, SageMakerEmulator

ASYNC_HEADERS = {
    "X-Amzn-SageMaker-Content-Type": "Content-Type",
    "X-Amzn-SageMaker-Accept": "Accept",
    "X-Amzn-SageMaker-Custom-Attributes": "X-Amzn-SageMaker-Custom-Attributes",
}
"""InvokeEndpointAsync's request headers and the model container headers they become."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _join(path: str, name: str) -> str:
    return f"{path.rstrip('/')}/{name}"


def _split(url: str) -> tuple[str, str]:
    bucket, _, key = url.removeprefix("s3://").partition("/")
    return bucket, key


@dataclass(frozen=True)
class AsyncInvocation:
    """One accepted InvokeEndpointAsync call."""

    endpoint: str
    config: EmulatedAsyncConfig
    inference_id: str
    input_location: str
    output_location: str
    failure_location: str
    forwarded: Mapping[str, str]
    received_at: str

    @classmethod
    def accept(
        cls, endpoint: str, config: EmulatedAsyncConfig, input_location: str, headers: Message[str, str]
    ) -> AsyncInvocation:
        """The invocation of the request ``headers``, with fresh output and failure locations."""
        name = str(uuid.uuid4())
        return cls(
            endpoint=endpoint,
            config=config,
            inference_id=headers.get("X-Amzn-SageMaker-Inference-Id") or name,
            input_location=input_location,
            output_location=_join(config.output_s3_path, f"{name}.out"),
            failure_location=_join(config.failure_s3_path or config.output_s3_path, f"{name}-error.out"),
            forwarded={
                model_header: value
                for header, model_header in ASYNC_HEADERS.items()
                if (value := headers.get(header)) is not None
            },
            received_at=_now(),
        )

    def accepted_reply(self) -> tuple[bytes, dict[str, str]]:
        """The body and headers of the 202 answer."""
        return json.dumps({"InferenceId": self.inference_id}).encode(), {
            "Content-Type": "application/json",
            "X-Amzn-SageMaker-OutputLocation": self.output_location,
            "X-Amzn-SageMaker-FailureLocation": self.failure_location,
        }

    def notification(self, region: str, failure_reason: str | None) -> dict[str, Any]:
        """SageMaker's notification of this invocation's result."""
        request = {"endpointName": self.endpoint, "inputLocation": self.input_location}
        if "Content-Type" in self.forwarded:
            request["contentType"] = self.forwarded["Content-Type"]
        event: dict[str, Any] = {
            "awsRegion": region,
            "eventTime": _now(),
            "receivedTime": self.received_at,
            "invocationStatus": "Completed" if failure_reason is None else "Failed",
            "requestParameters": request,
            "responseParameters": {"contentType": "application/json"},
            "inferenceId": self.inference_id,
            "eventVersion": "1.0",
            "eventSource": "aws:sagemaker",
            "eventName": "InferenceResult",
        }
        if failure_reason is None:
            event["responseParameters"]["outputLocation"] = self.output_location
        else:
            event["failureReason"] = failure_reason
            event["responseParameters"]["failureLocation"] = self.failure_location
        return event


class AsyncServices:
    """S3 and SNS of the local stack, for the asynchronous endpoints."""

    def __init__(self, endpoint_url: str, region: str) -> None:
        import boto3  # here, not at the top: real-time only emulators never need it

        options: dict[str, Any] = {
            "endpoint_url": endpoint_url,
            "region_name": region,
            "aws_access_key_id": DUMMY_CREDENTIAL,
            "aws_secret_access_key": DUMMY_CREDENTIAL,
        }
        self.region = region
        self._s3 = boto3.client("s3", **options)
        self._sns = boto3.client("sns", **options)

    def complete(
        self,
        emulator: SageMakerEmulator,
        state: EndpointState,
        variant: EmulatedVariant,
        invocation: AsyncInvocation,
    ) -> None:
        """Answer one accepted invocation, then give back its place among those in flight."""
        try:
            reason = self._answer(emulator, state, variant, invocation)
            state.count("async_completed" if reason is None else "async_failed")
            topic = invocation.config.success_topic if reason is None else invocation.config.error_topic
            if topic is None:
                return
            message = json.dumps(invocation.notification(self.region, reason))
            for _ in range(invocation.config.notification_copies):
                self._sns.publish(TopicArn=topic, Message=message)
                state.count("notifications")
        finally:
            state.release()

    def _answer(
        self,
        emulator: SageMakerEmulator,
        state: EndpointState,
        variant: EmulatedVariant,
        invocation: AsyncInvocation,
    ) -> str | None:
        """Write the answer and return None, or write the failure and return its reason."""
        try:
            bucket, key = _split(invocation.input_location)
            body = self._s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except Exception as error:  # the input's absence is the invocation's failure, as in SageMaker
            reply: Reply | None = None
            reason: str | None = f"ClientError: cannot read {invocation.input_location}: {error}"
        else:
            reply = emulator.answer(state, variant, body, invocation.forwarded)
            reason = None if reply.status == 200 else _reason(reply)
        if reply is not None and reason is None:
            bucket, key = _split(invocation.output_location)
            self._s3.put_object(Bucket=bucket, Key=key, Body=reply.body, ContentType="application/json")
            return None
        bucket, key = _split(invocation.failure_location)
        self._s3.put_object(Bucket=bucket, Key=key, Body=str(reason).encode())
        return reason


def _reason(reply: Reply) -> str:
    code = reply.headers.get("x-amzn-ErrorType", "ModelError")
    try:
        message = json.loads(reply.body).get("message", "")
    except ValueError:
        message = reply.body[:500].decode("utf-8", errors="replace")
    return f"{code}: {message}"
