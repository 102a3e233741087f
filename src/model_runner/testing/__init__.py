"""In-memory fakes of the handler ports, for unit tests and extension authors.

Each fake keeps the promises of its port (conditional writes happen once, redelivery changes
nothing) and is held to the same contract tests as the AWS adapter it stands for, so a handler
tested on fakes behaves the same on DynamoDB, SQS and S3. :func:`fake_context` builds a
:class:`~model_runner.handlers.HandlerContext` from them in one call.
"""

from model_runner.testing.context import FakeContext, fake_context, fake_settings
from model_runner.testing.feature_list import FeatureList, features_of
from model_runner.testing.images import LocalImages, write_image
from model_runner.testing.models import ScriptedDetector, ScriptedModels
from model_runner.testing.outputs import MemorySink, MemorySinks
from model_runner.testing.schedule import InMemoryRegionSchedule
from model_runner.testing.stores import (
    InMemoryJobStore,
    InMemoryRegionQueue,
    InMemoryRegionStore,
    InMemoryWorkspace,
    RecordedEvents,
)

__all__ = [
    "FakeContext",
    "FeatureList",
    "InMemoryJobStore",
    "InMemoryRegionQueue",
    "InMemoryRegionSchedule",
    "InMemoryRegionStore",
    "InMemoryWorkspace",
    "LocalImages",
    "MemorySink",
    "MemorySinks",
    "RecordedEvents",
    "ScriptedDetector",
    "ScriptedModels",
    "fake_context",
    "fake_settings",
    "features_of",
    "write_image",
]
