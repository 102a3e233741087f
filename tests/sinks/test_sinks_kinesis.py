"""The Kinesis sink: every feature arrives once, in batches within the limits, rejected records resent."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from model_runner.backoff import Backoff
from model_runner.sinks import KinesisSink, SinkError
from model_runner.testing import FeatureList

STREAM = "mr-features"
Features = Callable[..., list[dict[str, Any]]]


class Sleeps:
    """Records the backoff waits instead of sleeping."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


class RejectingKinesis:
    """Forwards put_records to a real client, except records ``reject(call, feature_id)`` picks,
    which come back with ErrorCode as from a throttled shard."""

    def __init__(self, client: Any, reject: Callable[[int, str], bool]) -> None:
        self.client = client
        self.reject = reject
        self.sent: list[list[str]] = []

    def put_records(self, StreamName: str, Records: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803
        call = len(self.sent)
        ids = [json.loads(record["Data"])["features"][0]["id"] for record in Records]
        self.sent.append(ids)
        accepted = [record for record, id_ in zip(Records, ids, strict=True) if not self.reject(call, id_)]
        if accepted:
            self.client.put_records(StreamName=StreamName, Records=accepted)
        results = [
            {"ErrorCode": "ProvisionedThroughputExceededException", "ErrorMessage": "slow down"}
            if self.reject(call, id_)
            else {"SequenceNumber": "1", "ShardId": "shardId-000000000000"}
            for id_ in ids
        ]
        failed = sum("ErrorCode" in result for result in results)
        return {"FailedRecordCount": failed, "Records": results}


@pytest.fixture
def stream(kinesis: Any) -> Any:
    kinesis.create_stream(StreamName=STREAM, ShardCount=4)
    return kinesis


def read_stream(kinesis: Any) -> dict[str, list[dict[str, Any]]]:
    """Every record of the stream, decoded, by shard id."""
    by_shard: dict[str, list[dict[str, Any]]] = {}
    for shard in kinesis.list_shards(StreamName=STREAM)["Shards"]:
        iterator = kinesis.get_shard_iterator(
            StreamName=STREAM, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records: list[dict[str, Any]] = []
        while True:
            page = kinesis.get_records(ShardIterator=iterator, Limit=10000)
            if not page["Records"]:
                break
            for record in page["Records"]:
                collection = json.loads(record["Data"])
                assert collection["type"] == "FeatureCollection"
                (feature,) = collection["features"]  # one feature per record, as the reference writes
                records.append(feature)
            iterator = page["NextShardIterator"]
        by_shard[shard["ShardId"]] = records
    return by_shard


def arrived_ids(kinesis: Any) -> Counter[str]:
    return Counter(feature["id"] for records in read_stream(kinesis).values() for feature in records)


def test_every_feature_arrives_once_under_the_job_id(
    stream: Any, recording: Any, make_features: Features
) -> None:
    client = recording(stream)
    features = make_features(200)

    report = KinesisSink(client, STREAM).write("job-7", "image", FeatureList(features))

    by_shard = read_stream(stream)
    received = [feature for records in by_shard.values() for feature in records]
    assert sorted(received, key=lambda feature: feature["id"]) == sorted(features, key=lambda f: f["id"])
    keys = {entry["PartitionKey"] for call in client.kwargs_of("put_records") for entry in call["Records"]}
    assert keys == {"job-7"}  # the reference's partition key: its consumers select a job's records by it
    assert (report.features_written, report.location) == (200, STREAM)


def test_a_stream_given_by_its_arn_is_written_by_arn(make_features: Features) -> None:
    class Accepting:
        def __init__(self) -> None:
            self.calls: list[dict[str, Any]] = []

        def put_records(self, **kwargs: Any) -> dict[str, Any]:
            self.calls.append(kwargs)
            return {"FailedRecordCount": 0, "Records": [{"SequenceNumber": "1"} for _ in kwargs["Records"]]}

    arn = "arn:aws:kinesis:us-west-2:123456789012:stream/features"
    client = Accepting()

    KinesisSink(client, arn).write("job", "image", FeatureList(make_features(3)))  # type: ignore[arg-type]

    assert [call.get("StreamARN") for call in client.calls] == [arn]
    assert "StreamName" not in client.calls[0]


def test_batch_size_sets_records_per_call(stream: Any, recording: Any, make_features: Features) -> None:
    client = recording(stream)

    KinesisSink(client, STREAM, batch_size=7).write("job", "image", FeatureList(make_features(50)))

    assert [len(call["Records"]) for call in client.kwargs_of("put_records")] == [7] * 7 + [1]
    assert sum(arrived_ids(stream).values()) == 50


def test_batch_size_is_capped_at_the_service_limit(
    stream: Any, recording: Any, make_features: Features
) -> None:
    client = recording(stream)

    KinesisSink(client, STREAM, batch_size=5000).write("job", "image", FeatureList(make_features(1100)))

    assert [len(call["Records"]) for call in client.kwargs_of("put_records")] == [500, 500, 100]


def test_calls_stay_under_five_mebibytes(make_features: Features) -> None:
    class Accepting:
        def __init__(self) -> None:
            self.sizes: list[int] = []

        def put_records(self, StreamName: str, Records: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803
            self.sizes.append(sum(len(entry["Data"]) + len(entry["PartitionKey"]) for entry in Records))
            return {"FailedRecordCount": 0, "Records": [{"SequenceNumber": "1"} for _ in Records]}

    client = Accepting()

    report = KinesisSink(client, STREAM).write("job", "image", FeatureList(make_features(30, pad=400_000)))  # type: ignore[arg-type]

    assert len(client.sizes) >= 3
    assert max(client.sizes) <= 5 * 1024 * 1024
    assert report.features_written == 30


def test_only_rejected_records_are_resent_and_all_arrive_once(stream: Any, make_features: Features) -> None:
    rejected_first = {"f-3", "f-10", "f-11"}
    fake = RejectingKinesis(
        stream, lambda call, id_: (call == 0 and id_ in rejected_first) or (call == 1 and id_ == "f-10")
    )
    sleeps = Sleeps()

    report = KinesisSink(fake, STREAM, backoff=Backoff(sleep=sleeps)).write(  # type: ignore[arg-type]
        "job", "image", FeatureList(make_features(20))
    )

    assert [sorted(ids) for ids in fake.sent[1:]] == [sorted(rejected_first), ["f-10"]]
    assert arrived_ids(stream) == Counter({f"f-{index}": 1 for index in range(20)})
    assert len(sleeps.waits) == 2
    assert sleeps.waits[1] > sleeps.waits[0]
    assert report.features_written == 20


def test_records_still_rejected_after_the_last_attempt_fail_the_write(
    stream: Any, make_features: Features
) -> None:
    fake = RejectingKinesis(stream, lambda call, id_: id_ in {"f-1", "f-2"})
    sleeps = Sleeps()
    sink = KinesisSink(fake, STREAM, backoff=Backoff(max_attempts=4, sleep=sleeps))  # type: ignore[arg-type]

    with pytest.raises(SinkError) as caught:
        sink.write("job", "image", FeatureList(make_features(10)))

    assert str(caught.value) == (
        "Kinesis stream 'mr-features': 2 of 10 records still rejected after 4 attempts "
        "(ProvisionedThroughputExceededException); 8 written"
    )
    assert caught.value.code == "ProvisionedThroughputExceededException"
    assert len(fake.sent) == 4
    assert len(sleeps.waits) == 3


def test_throttled_call_is_retried_with_backoff(stream: Any, make_features: Features) -> None:
    class ThrottledOnce:
        def __init__(self) -> None:
            self.calls = 0

        def put_records(self, **kwargs: Any) -> Any:
            self.calls += 1
            if self.calls == 1:
                error = {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}
                raise ClientError(error, "PutRecords")  # type: ignore[arg-type]
            return stream.put_records(**kwargs)

    sleeps = Sleeps()
    sink = KinesisSink(ThrottledOnce(), STREAM, backoff=Backoff(sleep=sleeps))  # type: ignore[arg-type]

    sink.write("job", "image", FeatureList(make_features(5)))

    assert sum(arrived_ids(stream).values()) == 5
    assert len(sleeps.waits) == 1


def test_missing_stream_fails_at_once(kinesis: Any, make_features: Features) -> None:
    sleeps = Sleeps()
    sink = KinesisSink(kinesis, "nowhere", backoff=Backoff(sleep=sleeps))

    with pytest.raises(SinkError, match="Kinesis stream 'nowhere' does not exist") as caught:
        sink.write("job", "image", FeatureList(make_features(3)))

    assert caught.value.code == "ResourceNotFoundException"
    assert sleeps.waits == []


def test_feature_too_big_for_a_record_fails_naming_it(stream: Any, make_features: Features) -> None:
    features = make_features(3)
    features[1]["properties"]["pad"] = "x" * (1024 * 1024)

    with pytest.raises(SinkError, match=r"feature 'f-1' is \d+ bytes, more than a Kinesis record holds"):
        KinesisSink(stream, STREAM).write("job", "image", FeatureList(features))


def test_batch_size_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="batch_size must be at least 1"):
        KinesisSink(object(), STREAM, batch_size=0)  # type: ignore[arg-type]
