"""The Kinesis sink: one record per feature, sent in batches within the service limits.

Records are the reference's: each holds a FeatureCollection of one feature, under the job id as
partition key (consumers of the reference, its validator among them, read them so). Any batch
size is accepted; calls are split at the service's limits (500 records, 5 MiB). Records the
service rejects (throttling, internal failure) are resent, alone, with exponential backoff;
records still rejected after the last attempt fail the write with their count and error code
(SinkUnavailableError: the image's completion is retried later), never vanish. A stream given as
an ARN is addressed by its ARN.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from model_runner.backoff import Backoff
from model_runner.features.encoded_features import ID_CHARS, ID_OFFSET
from model_runner.sinks.base import FeatureSource, ImageMetadata, SinkError, SinkReport, SinkUnavailableError
from model_runner.sinks.geojson import COLLECTION_HEAD, COLLECTION_TAIL

if TYPE_CHECKING:
    from mypy_boto3_kinesis import KinesisClient
    from mypy_boto3_kinesis.type_defs import PutRecordsRequestEntryTypeDef

MIB = 1024 * 1024
MAX_RECORDS_PER_CALL = 500
MAX_BYTES_PER_CALL = 5 * MIB
MAX_RECORD_BYTES = 1 * MIB
"""Data plus partition key of one record."""
MAX_PARTITION_KEY_CHARS = 256

_RETRYABLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "LimitExceededException",
        "KMSThrottlingException",
        "InternalFailure",
        "InternalFailureException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
    }
)


@dataclass(frozen=True)
class _Record:
    feature_id: str
    data: bytes
    partition_key: str

    @property
    def size(self) -> int:
        return len(self.data) + len(self.partition_key)

    def entry(self) -> PutRecordsRequestEntryTypeDef:
        return {"Data": self.data, "PartitionKey": self.partition_key}


@dataclass
class _Progress:
    """Counts of one write, for the reason of a failure."""

    total: int
    written: int = 0


class KinesisSink:
    """Puts each feature of an image as one JSON record on ``stream``.

    ``batch_size`` is the most records per PutRecords call (capped at the service's 500); a call
    also stays under 5 MiB. ``backoff`` bounds the attempts of each call and the waits between them.
    """

    def __init__(
        self,
        client: KinesisClient,
        stream: str,
        batch_size: int = MAX_RECORDS_PER_CALL,
        backoff: Backoff | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self._client = client
        self._stream = stream
        self._batch_size = min(batch_size, MAX_RECORDS_PER_CALL)
        self._backoff = backoff or Backoff()

    @property
    def description(self) -> str:
        """The sink, for people and logs."""
        return f"Kinesis stream {self._stream!r}"

    def write(
        self,
        job_id: str,
        image_id: str,
        features: FeatureSource,
        *,
        metadata: ImageMetadata | None = None,
    ) -> SinkReport:
        """Put every feature as a record, resending rejected records until all are accepted.

        Raises:
            SinkError: the stream does not exist or refuses access, a feature is too big for a
                record, or records are still rejected after the last attempt; the reason says how
                many records were written before.
        """
        progress = _Progress(total=features.count)
        key = job_id
        if len(key) > MAX_PARTITION_KEY_CHARS:
            key = hashlib.md5(job_id.encode(), usedforsecurity=False).hexdigest()
        batch: list[_Record] = []
        batch_bytes = 0
        for feature in (text for chunk in features.chunks() for text in chunk.texts()):
            record = self._record(feature, key, progress)
            if len(batch) == self._batch_size or batch_bytes + record.size > MAX_BYTES_PER_CALL:
                self._put(batch, progress)
                batch, batch_bytes = [], 0
            batch.append(record)
            batch_bytes += record.size
        if batch:
            self._put(batch, progress)
        return SinkReport(self.description, progress.written, self._stream)

    def _record(self, feature: bytes, key: str, progress: _Progress) -> _Record:
        identifier = _identifier(feature)
        record = _Record(identifier, COLLECTION_HEAD + feature + COLLECTION_TAIL, key)
        if record.size > MAX_RECORD_BYTES:
            raise SinkError(
                f"{self.description}: feature {identifier!r} is {record.size} bytes, more than a "
                f"Kinesis record holds ({MAX_RECORD_BYTES}); {progress.written} of {progress.total} "
                "records written"
            )
        return record

    def _put(self, batch: Sequence[_Record], progress: _Progress) -> None:
        pending = list(batch)
        codes: Counter[str] = Counter()
        for attempt in range(1, self._backoff.max_attempts + 1):
            if attempt > 1:
                self._backoff.wait(attempt - 1)
            try:
                records = [record.entry() for record in pending]
                if self._stream.startswith("arn:"):
                    response = self._client.put_records(StreamARN=self._stream, Records=records)
                else:
                    response = self._client.put_records(StreamName=self._stream, Records=records)
            except ClientError as error:
                codes = Counter({self._retry_code_or_raise(error, progress): len(pending)})
                continue
            except BotoCoreError as error:
                codes = Counter({type(error).__name__: len(pending)})
                continue
            results = response["Records"]
            rejected = [
                (record, result["ErrorCode"])
                for record, result in zip(pending, results, strict=True)
                if result.get("ErrorCode")
            ]
            progress.written += len(pending) - len(rejected)
            if not rejected:
                return
            pending = [record for record, _ in rejected]
            codes = Counter(code for _, code in rejected)
        reasons = ", ".join(code if len(codes) == 1 else f"{code} x{count}" for code, count in codes.items())
        raise SinkUnavailableError(
            f"{self.description}: {len(pending)} of {progress.total} records still rejected after "
            f"{self._backoff.max_attempts} attempts ({reasons}); {progress.written} written",
            code=codes.most_common(1)[0][0],
        )

    def _retry_code_or_raise(self, error: ClientError, progress: _Progress) -> str:
        """The error code of a failed call, or SinkError when retrying cannot help."""
        details = error.response.get("Error", {})
        code = details.get("Code", "Unknown")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if code in _RETRYABLE_CODES or status >= 500:
            return code
        if code == "ResourceNotFoundException":
            reason = f"{self.description} does not exist"
        else:
            reason = f"{self.description}: {details.get('Message', 'no message')} ({code})"
        raise SinkError(f"{reason}; {progress.written} of {progress.total} records written", code=code)


def _identifier(feature: bytes) -> str:
    """A feature's id, for messages: it starts every feature the worker writes (with any ``-n``)."""
    head = feature[ID_OFFSET : ID_OFFSET + ID_CHARS + 12].decode("utf-8", errors="replace")
    return head.split('"', 1)[0]
