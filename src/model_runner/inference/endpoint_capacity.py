"""Concurrent calls a model endpoint serves: the capacity the scheduler leases (docs/scheduling.md).

SageMaker: a serverless variant's MaxConcurrency, or an instance-backed variant's instance count
times the endpoint's ``osml:instance-concurrency`` tag (else DEFAULT_INSTANCE_CONCURRENCY); a
request that names no variant gets the sum over the variants. Descriptions are cached per endpoint
and role for CAPACITY_CACHE_SECONDS (shared with the choice of variants). HTTP endpoints:
DEFAULT_HTTP_ENDPOINT_CONCURRENCY.
"""

from __future__ import annotations

from model_runner.api import ImageProcessor, ModelInvocationType
from model_runner.inference.sagemaker import EndpointVariants, VariantCapacity


class EndpointCapacities:
    """The :class:`~model_runner.handlers.ports.EndpointCapacity` port over cached descriptions."""

    def __init__(
        self, variants: EndpointVariants, *, instance_concurrency: int, http_concurrency: int
    ) -> None:
        self._variants = variants
        self._instance_concurrency = instance_concurrency
        self._http_concurrency = http_concurrency

    def concurrency(self, processor: ImageProcessor, variant: str | None = None) -> int:
        """Calls ``processor``'s endpoint (its ``variant``, or all its variants) serves at once."""
        if processor.type is not ModelInvocationType.SM_ENDPOINT:
            return self._http_concurrency
        described = self._variants.description(processor.name, processor.assumed_role)
        if described is None or not described.capacities:
            return self._instance_concurrency
        per_instance = described.instance_concurrency or self._instance_concurrency
        chosen = [item for item in described.capacities if variant in (None, item.name)]
        total = sum(_capacity(item, per_instance) for item in chosen or described.capacities)
        return max(1, total)


def _capacity(variant: VariantCapacity, per_instance: int) -> int:
    if variant.max_concurrency is not None:
        return variant.max_concurrency
    return variant.instances * per_instance
