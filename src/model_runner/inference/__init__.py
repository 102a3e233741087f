"""Model calls for the tile pipeline: the HTTP model client and the bounded concurrent executor."""

from model_runner.inference.bounded_executor import Outcome, run_bounded
from model_runner.inference.endpoint_guard import EndpointGuard, EndpointRefusedError, PinnedEndpoint
from model_runner.inference.http_client import CUSTOM_ATTRIBUTES_HEADER, HttpModelClient
from model_runner.inference.http_policy import HttpCallPolicy
from model_runner.inference.invocation_error import ModelInvocationError
from model_runner.inference.tls import ca_bundle_from, verified_ssl_context

__all__ = [
    "CUSTOM_ATTRIBUTES_HEADER",
    "EndpointGuard",
    "EndpointRefusedError",
    "HttpCallPolicy",
    "HttpModelClient",
    "ModelInvocationError",
    "Outcome",
    "PinnedEndpoint",
    "ca_bundle_from",
    "run_bounded",
    "verified_ssl_context",
]
