"""The one shape of "give me a boto3 client": what adapters building clients per role depend on."""

from __future__ import annotations

from typing import Any, Protocol


class ClientFactory(Protocol):
    """A (cached) boto3 client of ``service``, acting as ``role_arn`` when one is given
    (``AwsClients.client`` in a worker)."""

    def __call__(self, service: str, *, role_arn: str | None = None) -> Any: ...
