"""The SageMaker request types: ``sm_endpoint`` (real-time endpoints, InvokeEndpoint per tile) and
``async_sm_endpoint`` (asynchronous endpoints: tiles through S3, a tile ledger and notifications).
"""

from osml_extensions.sagemaker.async_handlers import AsyncSageMakerImageHandler, AsyncSageMakerRegionHandler
from osml_extensions.sagemaker.handlers import SageMakerImageHandler, SageMakerRegionHandler

__all__ = [
    "AsyncSageMakerImageHandler",
    "AsyncSageMakerRegionHandler",
    "SageMakerImageHandler",
    "SageMakerRegionHandler",
]
