"""The SageMaker request types: ``sm_endpoint`` (real-time endpoints, InvokeEndpoint per tile) and
``async_sm_endpoint`` (asynchronous endpoints: tiles through S3, a tile ledger and notifications).
"""

from model_runner.handlers.sagemaker.asynchronous import (
    AsyncSageMakerImageHandler,
    AsyncSageMakerRegionHandler,
)
from model_runner.handlers.sagemaker.realtime import SageMakerImageHandler, SageMakerRegionHandler

__all__ = [
    "AsyncSageMakerImageHandler",
    "AsyncSageMakerRegionHandler",
    "SageMakerImageHandler",
    "SageMakerRegionHandler",
]
