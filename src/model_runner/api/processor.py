"""The model a request sends its tiles to, and the parameters passed with each call."""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from urllib.parse import urlsplit

from pydantic import JsonValue, model_validator

from model_runner.api.wire import RoleArn, WireEnum, WireModel, keyed_error

SAGEMAKER_ENDPOINT_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")


class ModelInvocationType(WireEnum):
    """How the model is called."""

    SM_ENDPOINT = "SM_ENDPOINT"
    HTTP_ENDPOINT = "HTTP_ENDPOINT"
    SM_ENDPOINT_ASYNC = "SM_ENDPOINT_ASYNC"


_INVOKE_ENDPOINT_STRINGS = (
    "ContentType",
    "Accept",
    "CustomAttributes",
    "TargetModel",
    "TargetVariant",
    "TargetContainerHostname",
    "InferenceId",
    "EnableExplanations",
    "InferenceComponentName",
    "SessionId",
)

SAGEMAKER_PARAMETERS: Mapping[ModelInvocationType, Mapping[str, type]] = MappingProxyType(
    {
        ModelInvocationType.SM_ENDPOINT: MappingProxyType(dict.fromkeys(_INVOKE_ENDPOINT_STRINGS, str)),
        ModelInvocationType.SM_ENDPOINT_ASYNC: MappingProxyType(
            {
                "ContentType": str,
                "Accept": str,
                "CustomAttributes": str,
                "InferenceId": str,
                "RequestTTLSeconds": int,
                "InvocationTimeoutSeconds": int,
            }
        ),
    }
)
"""For each SageMaker invocation type, the request parameters a user may set and their JSON type."""


class ImageProcessor(WireModel):
    """The model endpoint: a SageMaker endpoint name, or the URL of an HTTP endpoint."""

    name: str
    type: ModelInvocationType = ModelInvocationType.SM_ENDPOINT
    assumed_role: RoleArn | None = None

    @model_validator(mode="after")
    def _check_name(self) -> ImageProcessor:
        if self.type is ModelInvocationType.HTTP_ENDPOINT:
            parts = urlsplit(self.name)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise keyed_error("name", f"must be an http(s) URL for {self.type} (got {self.name!r})")
        elif not SAGEMAKER_ENDPOINT_NAME.match(self.name):
            raise keyed_error(
                "name",
                f"must be a SageMaker endpoint name (letters, digits and hyphens, at most 63) "
                f"for {self.type} (got {self.name!r})",
            )
        return self


def parameter_problems(
    invocation: ModelInvocationType, parameters: Mapping[str, JsonValue]
) -> list[tuple[str, str]]:
    """(key, reason) for each parameter the invocation type does not take or takes as another type."""
    allowed = SAGEMAKER_PARAMETERS.get(invocation)
    if allowed is None:
        return []
    problems = []
    for key, value in parameters.items():
        expected = allowed.get(key)
        if expected is None:
            problems.append((key, f"not a parameter of {invocation}; allowed: {', '.join(allowed)}"))
        elif not isinstance(value, expected) or isinstance(value, bool):
            problems.append((key, f"must be a {'string' if expected is str else 'integer'}"))
    return problems
