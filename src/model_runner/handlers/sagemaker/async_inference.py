"""What the ``async_sm_endpoint`` handlers share in one worker: the tile ledger, the input and
output objects, the notification queue, and the bound on tiles in flight per endpoint.

Any worker applies any notification it receives to the ledger (a conditional write), so the
worker that waits for a tile learns of its completion from the ledger, whoever read the notice.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pydantic import JsonValue

from model_runner.api import ImageProcessor
from model_runner.aws.async_objects import AsyncObjects
from model_runner.aws.client_factory import ClientFactory
from model_runner.aws.clients import aws_call_bound_s, sagemaker_call_bound_s
from model_runner.aws.sqs import MessageQueue
from model_runner.aws.tile_ledger import TileLedger, TileRecord
from model_runner.config import WorkerSettings
from model_runner.inference.invocation_error import withheld_model_message
from model_runner.inference.sagemaker_async import AsyncEndpoint, AsyncNotification, parse_notification

logger = logging.getLogger(__name__)

NOTIFICATION_VISIBILITY_S = 30
"""How long a received notification stays hidden while it is applied to the ledger."""
REQUIRED_SETTINGS = ("tile_ledger_table", "async_input_bucket", "async_notification_queue")


def region_key(region_id: str) -> str:
    """The ledger's partition key (and the input objects' folder) of a region: short and S3-safe."""
    return hashlib.sha256(region_id.encode()).hexdigest()[:24]


def inference_id(region: str, tile_key: str) -> str:
    """The InferenceId of a tile, from which a notification finds its ledger row."""
    return f"{region}/{tile_key}"


class InFlightTiles:
    """At most ``limit`` tiles in flight per endpoint from this worker, shared by its regions."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._used: Counter[str] = Counter()
        self._lock = threading.Lock()

    def try_take(self, endpoint: str) -> bool:
        """Take a slot of ``endpoint``; False when all are taken."""
        with self._lock:
            if self._used[endpoint] >= self.limit:
                return False
            self._used[endpoint] += 1
            return True

    def give_back(self, endpoint: str, count: int = 1) -> None:
        """Return ``count`` slots taken with :meth:`try_take`."""
        with self._lock:
            self._used[endpoint] = max(0, self._used[endpoint] - count)

    def in_use(self, endpoint: str) -> int:
        """Slots of ``endpoint`` taken now."""
        with self._lock:
            return self._used[endpoint]


@dataclass(frozen=True)
class AsyncInference:
    """The worker's asynchronous inference services, shared by the regions it processes."""

    ledger: TileLedger
    objects: AsyncObjects
    notifications: MessageQueue
    clients: ClientFactory
    slots: InFlightTiles
    tile_deadline_s: float
    poll_s: float
    in_doubt_after_s: float
    """How long a tile may stay submitted without a known output location: past it, the worker that
    submitted it died before the endpoint took it or before keeping where its answer goes, and the
    tile is submitted again (the submission call and the write of its locations, timed out)."""

    @classmethod
    def from_settings(cls, settings: WorkerSettings, clients: ClientFactory) -> AsyncInference | None:
        """The services, or None when a setting they need is unset (see :func:`missing_settings`)."""
        if missing_settings(settings):
            return None
        assert settings.tile_ledger_table and settings.async_input_bucket
        assert settings.async_notification_queue
        return cls(
            ledger=TileLedger(clients("dynamodb"), settings.tile_ledger_table, settings.ddb_ttl_days),
            objects=AsyncObjects(clients("s3"), settings.async_input_bucket, settings.async_input_prefix),
            notifications=MessageQueue(clients("sqs"), settings.async_notification_queue),
            clients=clients,
            slots=InFlightTiles(settings.async_max_in_flight),
            tile_deadline_s=settings.async_tile_deadline_s,
            poll_s=settings.async_poll_s,
            in_doubt_after_s=sagemaker_call_bound_s(settings) + aws_call_bound_s(settings),
        )

    def object_urls(self, region: str, records: Iterable[TileRecord]) -> list[str]:
        """Every input, output and failure object of a region's tiles (by its ledger rows)."""
        urls = []
        for record in records:
            urls.append(f"s3://{self.objects.bucket}/{self.objects.prefix}{region}/{record.tile_id}")
            urls.extend(url for url in (record.output_location, record.failure_location) if url)
        return urls

    def endpoint(self, processor: ImageProcessor, parameters: Mapping[str, JsonValue]) -> AsyncEndpoint:
        """The asynchronous endpoint a request names, called as its imageProcessor.assumedRole."""
        runtime = self.clients("sagemaker-runtime", role_arn=processor.assumed_role)
        return AsyncEndpoint(runtime, processor.name, parameters)

    def apply_notifications(self, wait_s: int) -> int:
        """Receive the notifications waiting (up to ``wait_s`` seconds for the first), apply each
        to the ledger and delete it; returns how many were received."""
        messages = self.notifications.receive(
            wait_s=wait_s, visibility_s=NOTIFICATION_VISIBILITY_S, max_messages=10
        )
        for message in messages:
            notice = parse_notification(message.body)
            if notice is None:
                logger.warning(
                    "ignoring a message that is no asynchronous inference result: %.200s", message.body
                )
            else:
                self.apply(notice)
            self.notifications.delete(message)
        return len(messages)

    def apply(self, notice: AsyncNotification) -> None:
        """Move the notified tile to COMPLETED or FAILED; a duplicate or a stranger changes nothing."""
        region, _, tile_key = notice.inference_id.partition("/")
        if not tile_key:
            return
        if notice.succeeded:
            self.ledger.complete(region, tile_key, notice.output_location)
        else:
            said = withheld_model_message(f"asynchronous inference {notice.inference_id}", notice.reason)
            where = f" (details in {notice.failure_location})" if notice.failure_location else ""
            self.ledger.fail(region, tile_key, f"the endpoint reported a failure: {said}{where}")


def missing_settings(settings: WorkerSettings) -> list[str]:
    """The variables asynchronous endpoints need that are unset."""
    return [WorkerSettings.variable_of(name) for name in REQUIRED_SETTINGS if not getattr(settings, name)]
