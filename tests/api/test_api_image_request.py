"""ImageRequest: every key, its defaults, legacy forms, round trips and the problems of bad values."""

from __future__ import annotations

import json
from typing import Any

import pytest

from model_runner.api import (
    DistillationAlgorithmType,
    ImageRequest,
    KinesisSink,
    ModelInvocationType,
    S3Sink,
    TileCompression,
    TileFormat,
    parse_image_request,
)
from model_runner.api.region_of_interest import parse_region_of_interest
from model_runner.errors import InvalidRequestError, QueueAction, UnreadableMessageError
from model_runner.features import DistillationOptions

ROLE = "arn:aws:iam::123456789012:role/reader"
ROI = "POLYGON ((10 10, 11 10, 11 11, 10 11, 10 10))"


def minimal() -> dict[str, Any]:
    return {
        "jobId": "job-1",
        "imageUrls": ["s3://images/scene.tif"],
        "imageProcessor": {"name": "my-endpoint"},
        "outputs": [{"type": "S3", "bucket": "results"}],
    }


def full() -> dict[str, Any]:
    return {
        "jobId": "job-2",
        "jobName": "harbour survey",
        "imageUrls": ["s3://images/a.ntf", "/data/local/b.tif", "/vsizip//data/c.zip/c.tif"],
        "imageReadRole": ROLE,
        "imageProcessor": {
            "name": "https://models.example.com/invocations",
            "type": "HTTP_ENDPOINT",
            "assumedRole": ROLE,
        },
        "imageProcessorParameters": {"CustomAttributes": "mode=fast", "anything": [1, 2]},
        "imageProcessorTileSize": 512,
        "imageProcessorTileOverlap": 128,
        "imageProcessorTileFormat": "GTIFF",
        "imageProcessorTileCompression": "LZW",
        "regionOfInterest": ROI,
        "featureProperties": [{"source": "survey"}, {"tags": ["a", "b"]}],
        "postProcessing": [
            {
                "step": "FEATURE_DISTILLATION",
                "algorithm": {
                    "algorithmType": "SOFT_NMS",
                    "iouThreshold": 0.35,
                    "skipBoxThreshold": 0.02,
                    "sigma": 0.4,
                },
            }
        ],
        "outputs": [
            {"type": "S3", "bucket": "results", "prefix": "jobs/2/", "role": ROLE},
            {"type": "Kinesis", "stream": "features", "batchSize": 250, "assumedRole": ROLE},
        ],
    }


def parse(body: dict[str, Any]) -> ImageRequest:
    return parse_image_request(json.dumps(body))[0]


def problems_of(body: dict[str, Any]) -> tuple[str, ...]:
    with pytest.raises(InvalidRequestError) as caught:
        parse_image_request(json.dumps(body))
    assert caught.value.job_id == body.get("jobId")
    assert caught.value.action is QueueAction.FAIL_JOB
    return caught.value.problems


def test_minimal_request_gets_the_documented_defaults() -> None:
    request = parse(minimal())

    assert request.job_id == "job-1"
    assert request.job_name is None
    assert request.image_urls == ("s3://images/scene.tif",)
    assert request.image_read_role is None
    assert request.image_processor.type is ModelInvocationType.SM_ENDPOINT
    assert request.image_processor.assumed_role is None
    assert request.image_processor_parameters == {}
    assert (request.tile_size, request.overlap) == (1024, 50)
    assert request.image_processor_tile_format is TileFormat.NITF
    assert request.image_processor_tile_compression is TileCompression.NONE
    assert request.region_of_interest is None
    assert request.feature_properties == ()
    assert request.distillation is not None
    assert request.distillation.algorithm_type is DistillationAlgorithmType.NMS
    assert (request.distillation.iou_threshold, request.distillation.skip_box_threshold) == (0.75, 0.0001)
    assert request.distillation.sigma == 0.1
    assert request.sinks == (S3Sink(bucket="results", prefix=""),)


def test_every_key_is_read() -> None:
    request = parse(full())

    assert request.job_name == "harbour survey"
    assert len(request.image_urls) == 3
    assert request.image_read_role == ROLE
    assert request.image_processor.type is ModelInvocationType.HTTP_ENDPOINT
    assert request.image_processor.assumed_role == ROLE
    assert request.image_processor_parameters == {"CustomAttributes": "mode=fast", "anything": [1, 2]}
    assert (request.tile_size, request.overlap) == (512, 128)
    assert request.image_processor_tile_format is TileFormat.GTIFF
    assert request.image_processor_tile_compression is TileCompression.LZW
    assert parse_region_of_interest(request.region_of_interest).bounds == (10.0, 10.0, 11.0, 11.0)
    assert request.feature_properties == ({"source": "survey"}, {"tags": ["a", "b"]})
    assert request.distillation is not None
    assert request.distillation.algorithm_type is DistillationAlgorithmType.SOFT_NMS
    assert request.distillation.iou_threshold == 0.35
    assert request.distillation.skip_box_threshold == 0.02
    assert request.distillation.sigma == 0.4
    assert request.sinks == (
        S3Sink(bucket="results", prefix="jobs/2/", role=ROLE),
        KinesisSink(stream="features", batch_size=250, assumed_role=ROLE),
    )


@pytest.mark.parametrize("body", [minimal(), full()], ids=["minimal", "full"])
def test_camel_case_round_trip_keeps_every_value(body: dict[str, Any]) -> None:
    request = parse(body)
    dumped = request.model_dump(by_alias=True, mode="json")

    assert ImageRequest.model_validate(dumped) == request
    assert ImageRequest.model_validate_json(request.model_dump_json(by_alias=True)) == request
    assert {key for key in dumped if dumped[key] is not None} >= set(body)


def test_user_distillation_values_survive_a_round_trip() -> None:
    request = parse(full())
    again = ImageRequest.model_validate(request.model_dump(by_alias=True))

    assert again.distillation == request.distillation
    assert again.distillation is not None
    assert (again.distillation.iou_threshold, again.distillation.sigma) == (0.35, 0.4)


def test_distillation_options_carry_the_user_values() -> None:
    soft = parse(full()).distillation
    default = parse(minimal()).distillation
    assert soft is not None and default is not None

    assert soft.options() == DistillationOptions("SOFT_NMS", 0.35, 0.02, 0.4)
    assert default.options() == DistillationOptions()


def test_snake_case_names_are_accepted_too() -> None:
    request = ImageRequest(
        job_id="j",
        image_urls=("s3://b/k",),
        image_processor={"name": "ep"},
        outputs=({"type": "s3", "bucket": "results"},),
        image_processor_tile_size=256,
    )
    assert request.tile_size == 256


def test_enums_and_sink_types_are_case_insensitive() -> None:
    body = minimal() | {
        "imageProcessor": {"name": "ep", "type": "sm_endpoint_async"},
        "imageProcessorTileFormat": "png",
        "imageProcessorTileCompression": "none",
        "postProcessing": [{"step": "feature_distillation", "algorithm": {"algorithmType": "nms"}}],
        "outputs": [{"type": "s3", "bucket": "results"}, {"type": "KINESIS", "stream": "s"}],
    }
    request = parse(body)

    assert request.image_processor.type is ModelInvocationType.SM_ENDPOINT_ASYNC
    assert request.image_processor_tile_format is TileFormat.PNG
    assert [sink.type for sink in request.sinks] == ["S3", "Kinesis"]


def test_kinesis_takes_any_batch_size_and_a_stream_arn() -> None:
    arn = "arn:aws:kinesis:us-west-2:123456789012:stream/features"
    body = minimal() | {"outputs": [{"type": "Kinesis", "stream": arn, "batchSize": 1000}]}

    request, warnings = parse_image_request(body)

    assert request.sinks == (KinesisSink(stream=arn, batch_size=1000),)
    assert warnings == []


def test_a_stream_name_kinesis_would_refuse_is_accepted_with_a_warning() -> None:
    # The reference's own handler test sends ":test-results-stream"; it accepts the request.
    body = minimal() | {"outputs": [{"type": "Kinesis", "stream": ":test-results-stream"}]}

    _, warnings = parse_image_request(body)

    assert warnings == [
        "outputs[0].stream: ':test-results-stream' is not a Kinesis stream name or ARN; "
        "writing to it will fail"
    ]


def test_empty_post_processing_means_no_distillation() -> None:
    assert parse(minimal() | {"postProcessing": []}).distillation is None


def test_legacy_image_url_and_output_bucket() -> None:
    body = minimal()
    del body["imageUrls"], body["outputs"]
    body |= {"imageUrl": "s3://images/old.tif", "outputBucket": "results", "outputPrefix": "old/"}

    request, warnings = parse_image_request(json.dumps(body))

    assert request.image_urls == ("s3://images/old.tif",)
    assert request.sinks == (S3Sink(bucket="results", prefix="old/"),)
    assert warnings == []


def test_legacy_keys_beside_their_current_form_are_ignored_with_a_warning() -> None:
    body = minimal() | {"imageUrl": "s3://images/other.tif", "outputBucket": "elsewhere"}

    request, warnings = parse_image_request(body)

    assert request.image_urls == ("s3://images/scene.tif",)
    assert request.sinks == (S3Sink(bucket="results"),)
    assert warnings == [
        "imageUrl: ignored because imageUrls is given",
        "outputBucket: ignored because outputs is given",
    ]


def test_unknown_keys_are_ignored_and_reported_with_their_path() -> None:
    body = full()
    body["colour"] = "blue"
    body["imageProcessor"]["region"] = "eu"
    body["outputs"][1]["shards"] = 2
    body["postProcessing"][0]["algorithm"]["iou"] = 0.2

    request, warnings = parse_image_request(body)

    assert request == parse(full())
    assert sorted(warnings) == [
        "colour: unknown key, ignored",
        "imageProcessor.region: unknown key, ignored",
        "outputs[1].shards: unknown key, ignored",
        "postProcessing[0].algorithm.iou: unknown key, ignored",
    ]


@pytest.mark.parametrize(
    ("fmt", "compression"),
    [
        ("NITF", "NONE"),
        ("NITF", "JPEG"),
        ("NITF", "J2K"),
        ("JPEG", "NONE"),
        ("JPEG", "JPEG"),
        ("PNG", "NONE"),
        ("GTIFF", "NONE"),
        ("GTIFF", "JPEG"),
        ("GTIFF", "LZW"),
    ],
)
def test_supported_format_and_compression_pairs(fmt: str, compression: str) -> None:
    request = parse(
        minimal() | {"imageProcessorTileFormat": fmt, "imageProcessorTileCompression": compression}
    )
    assert (request.image_processor_tile_format, request.image_processor_tile_compression) == (
        fmt,
        compression,
    )


def test_sagemaker_parameters_are_accepted() -> None:
    parameters = {"ContentType": "image/nitf", "TargetVariant": "blue", "CustomAttributes": "x"}
    assert parse(minimal() | {"imageProcessorParameters": parameters}).image_processor_parameters == (
        parameters
    )


def test_bytes_body_is_read() -> None:
    assert parse_image_request(json.dumps(minimal()).encode())[0].job_id == "job-1"


@pytest.mark.parametrize(
    "body",
    [b"not json", b"\xff\xfe", "[1, 2]", '"text"', "{}", '{"jobId": " "}', '{"jobId": 7}'],
    ids=["not-json", "not-utf8", "array", "string", "no-job-id", "blank-job-id", "number-job-id"],
)
def test_unreadable_messages_go_to_the_dead_letter_queue(body: str | bytes) -> None:
    with pytest.raises(UnreadableMessageError) as caught:
        parse_image_request(body)
    assert caught.value.action is QueueAction.DEAD_LETTER


def _with(path: str, value: Any) -> dict[str, Any]:
    """The minimal request with ``value`` set at a dotted path (list items by index); None deletes."""
    body: Any = minimal()
    target = body
    *parents, last = path.split(".")
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    if value is None:
        del target[int(last) if last.isdigit() else last]
    else:
        target[int(last) if last.isdigit() else last] = value
    return dict(body)


NMS = {"step": "FEATURE_DISTILLATION", "algorithm": {"algorithmType": "NMS"}}
BAD_REQUESTS = [
    # (id, body, the start of a problem line: the key path and, where telling, the reason)
    ("processor-name-empty", _with("imageProcessor.name", ""), "imageProcessor.name: must be a SageMaker"),
    ("job-name-not-text", _with("jobName", 5), "jobName:"),
    ("image-urls-missing", _with("imageUrls", None), "imageUrls: required"),
    ("image-urls-empty", _with("imageUrls", []), "imageUrls: at least one image URL is required"),
    ("image-urls-not-list", _with("imageUrls", 3), "imageUrls:"),
    ("image-url-empty", _with("imageUrls", [""]), "imageUrls[0]: must not be empty"),
    ("s3-url-without-key", _with("imageUrls", ["s3://bucket"]), "imageUrls[0]: an S3 URL must"),
    ("s3-url-slash-only", _with("imageUrls", ["s3://b/k", "s3://bucket/"]), "imageUrls[1]: an S3 URL"),
    ("image-url-repeated", _with("imageUrls", ["/a.tif", "/a.tif"]), "imageUrls[1]: repeats imageUrls[0]"),
    ("read-role-not-arn", _with("imageReadRole", "reader"), "imageReadRole: must be an IAM role ARN"),
    ("processor-missing", _with("imageProcessor", None), "imageProcessor: required"),
    ("processor-not-object", _with("imageProcessor", "ep"), "imageProcessor: must be a JSON object"),
    (
        "processor-name-missing",
        _with("imageProcessor", {"type": "SM_ENDPOINT"}),
        "imageProcessor.name: required",
    ),
    ("processor-type-unknown", _with("imageProcessor.type", "LAMBDA"), "imageProcessor.type: must be"),
    (
        "processor-bad-endpoint-name",
        _with("imageProcessor.name", "my_endpoint"),
        "imageProcessor.name: must be a SageMaker",
    ),
    (
        "processor-endpoint-too-long",
        _with("imageProcessor.name", "a" * 64),
        "imageProcessor.name: must be a SageMaker",
    ),
    (
        "processor-url-for-sagemaker",
        _with("imageProcessor.name", "https://x/y"),
        "imageProcessor.name: must be a SageMaker",
    ),
    (
        "processor-http-not-url",
        _with("imageProcessor", {"name": "ep", "type": "HTTP_ENDPOINT"}),
        "imageProcessor.name: must be an http(s) URL",
    ),
    (
        "processor-http-ftp-url",
        _with("imageProcessor", {"name": "ftp://host/x", "type": "HTTP_ENDPOINT"}),
        "imageProcessor.name: must be an http(s) URL",
    ),
    (
        "processor-role-not-arn",
        _with("imageProcessor.assumedRole", "role"),
        "imageProcessor.assumedRole: must be an IAM role ARN",
    ),
    (
        "parameters-not-object",
        _with("imageProcessorParameters", ["ContentType"]),
        "imageProcessorParameters:",
    ),
    (
        "parameters-unknown-sagemaker-key",
        _with("imageProcessorParameters", {"Colour": "x"}),
        "imageProcessorParameters.Colour: not a parameter of SM_ENDPOINT",
    ),
    (
        "parameters-async-key-for-realtime",
        _with("imageProcessorParameters", {"TargetModel": "m", "RequestTTLSeconds": 60}),
        "imageProcessorParameters.RequestTTLSeconds: not a parameter",
    ),
    (
        "parameters-wrong-type",
        _with("imageProcessorParameters", {"ContentType": 5}),
        "imageProcessorParameters.ContentType: must be a string",
    ),
    (
        "tile-size-too-small",
        _with("imageProcessorTileSize", 16),
        "imageProcessorTileSize: must be greater than or equal to 64",
    ),
    (
        "tile-size-too-large",
        _with("imageProcessorTileSize", 10000),
        "imageProcessorTileSize: must be less than or equal to 8192",
    ),
    (
        "tile-size-not-number",
        _with("imageProcessorTileSize", "big"),
        "imageProcessorTileSize: must be a valid integer",
    ),
    ("tile-size-fraction", _with("imageProcessorTileSize", 512.5), "imageProcessorTileSize:"),
    (
        "overlap-negative",
        _with("imageProcessorTileOverlap", -1),
        "imageProcessorTileOverlap: must be greater than or equal to 0",
    ),
    (
        "overlap-equals-tile-size",
        _with("imageProcessorTileOverlap", 1024),
        "imageProcessorTileOverlap: must be less than imageProcessorTileSize (1024)",
    ),
    ("tile-format-unknown", _with("imageProcessorTileFormat", "BMP"), "imageProcessorTileFormat: must be"),
    (
        "compression-unknown",
        _with("imageProcessorTileCompression", "ZIP"),
        "imageProcessorTileCompression: must be",
    ),
    (
        "png-cannot-jpeg",
        minimal() | {"imageProcessorTileFormat": "PNG", "imageProcessorTileCompression": "JPEG"},
        "imageProcessorTileCompression: PNG tiles cannot be compressed with JPEG",
    ),
    (
        "gtiff-cannot-j2k",
        minimal() | {"imageProcessorTileFormat": "GTIFF", "imageProcessorTileCompression": "J2K"},
        "imageProcessorTileCompression: GTIFF tiles cannot be compressed with J2K",
    ),
    (
        "nitf-cannot-lzw",
        _with("imageProcessorTileCompression", "LZW"),
        "imageProcessorTileCompression: NITF tiles cannot be compressed with LZW",
    ),
    (
        "jpeg-cannot-lzw",
        minimal() | {"imageProcessorTileFormat": "JPEG", "imageProcessorTileCompression": "LZW"},
        "imageProcessorTileCompression: JPEG tiles cannot",
    ),
    ("roi-not-wkt", _with("regionOfInterest", "a square"), "regionOfInterest: not readable WKT"),
    (
        "roi-point",
        _with("regionOfInterest", "POINT (1 2)"),
        "regionOfInterest: must be a Polygon or MultiPolygon",
    ),
    ("roi-empty", _with("regionOfInterest", "POLYGON EMPTY"), "regionOfInterest: must not be empty"),
    (
        "roi-self-intersecting",
        _with("regionOfInterest", "POLYGON ((0 0, 1 1, 1 0, 0 1, 0 0))"),
        "regionOfInterest: is not a valid polygon",
    ),
    (
        "roi-projected-metres",
        _with(
            "regionOfInterest", "POLYGON ((500000 4000000, 500100 4000000, 500100 4000100, 500000 4000000))"
        ),
        "regionOfInterest: must be in lon/lat degrees",
    ),
    (
        "roi-latitude-out-of-range",
        _with("regionOfInterest", "POLYGON ((10 80, 11 80, 11 95, 10 80))"),
        "regionOfInterest: must be in lon/lat",
    ),
    ("feature-properties-not-list", _with("featureProperties", {"a": 1}), "featureProperties:"),
    ("feature-properties-item-not-object", _with("featureProperties", ["a"]), "featureProperties[0]:"),
    (
        "post-processing-step-unknown",
        _with("postProcessing", [{"step": "SMOOTHING", "algorithm": {"algorithmType": "NMS"}}]),
        "postProcessing[0].step: must be",
    ),
    (
        "post-processing-algorithm-missing",
        _with("postProcessing", [{"step": "FEATURE_DISTILLATION"}]),
        "postProcessing[0].algorithm: required",
    ),
    (
        "post-processing-algorithm-type-unknown",
        _with("postProcessing", [{"step": "FEATURE_DISTILLATION", "algorithm": {"algorithmType": "WBF"}}]),
        "postProcessing[0].algorithm.algorithmType: must be",
    ),
    (
        "iou-zero",
        _with(
            "postProcessing",
            [{"step": "FEATURE_DISTILLATION", "algorithm": {"algorithmType": "NMS", "iouThreshold": 0}}],
        ),
        "postProcessing[0].algorithm.iouThreshold: must be greater than 0",
    ),
    (
        "iou-above-one",
        _with(
            "postProcessing",
            [{"step": "FEATURE_DISTILLATION", "algorithm": {"algorithmType": "NMS", "iouThreshold": 1.5}}],
        ),
        "postProcessing[0].algorithm.iouThreshold: must be less than or equal to 1",
    ),
    (
        "skip-box-one",
        _with(
            "postProcessing",
            [
                {
                    "step": "FEATURE_DISTILLATION",
                    "algorithm": {"algorithmType": "SOFT_NMS", "skipBoxThreshold": 1},
                }
            ],
        ),
        "postProcessing[0].algorithm.skipBoxThreshold: must be less than 1",
    ),
    (
        "sigma-zero",
        _with(
            "postProcessing",
            [{"step": "FEATURE_DISTILLATION", "algorithm": {"algorithmType": "SOFT_NMS", "sigma": 0}}],
        ),
        "postProcessing[0].algorithm.sigma: must be greater than 0",
    ),
    (
        "two-distillation-steps",
        _with("postProcessing", [NMS, NMS]),
        "postProcessing: at most one FEATURE_DISTILLATION step",
    ),
    ("outputs-missing", _with("outputs", None), "outputs: required"),
    ("outputs-empty", _with("outputs", []), "outputs: at least one output is required"),
    ("output-type-missing", _with("outputs", [{"bucket": "results"}]), "outputs[0].type: required"),
    (
        "output-type-unknown",
        _with("outputs", [{"type": "Firehose", "stream": "s"}]),
        "outputs[0].type: must be one of 'S3', 'Kinesis'",
    ),
    ("s3-bucket-missing", _with("outputs", [{"type": "S3"}]), "outputs[0].bucket: required"),
    (
        "s3-bucket-bad-name",
        _with("outputs.0.bucket", "My_Bucket"),
        "outputs[0].bucket: must be an S3 bucket name",
    ),
    ("s3-role-not-arn", _with("outputs.0.role", "writer"), "outputs[0].role: must be an IAM role ARN"),
    ("kinesis-stream-missing", _with("outputs", [{"type": "Kinesis"}]), "outputs[0].stream: required"),
    (
        "kinesis-batch-zero",
        _with("outputs", [{"type": "kinesis", "stream": "s", "batchSize": 0}]),
        "outputs[0].batchSize: must be greater than or equal to 1",
    ),
    (
        "kinesis-role-not-arn",
        _with("outputs", [{"type": "Kinesis", "stream": "s", "assumedRole": "x"}]),
        "outputs[0].assumedRole: must be an IAM role ARN",
    ),
    (
        "legacy-prefix-without-bucket",
        _with("outputs", None) | {"outputPrefix": "p/"},
        "outputBucket: required with outputPrefix",
    ),
    (
        "legacy-bucket-bad-name",
        _with("outputs", None) | {"outputBucket": "UPPER"},
        "outputs[0].bucket: must be an S3 bucket name",
    ),
]


@pytest.mark.parametrize(
    ("body", "expected"),
    [pytest.param(body, expected, id=name) for name, body, expected in BAD_REQUESTS],
)
def test_bad_request_problem_names_the_key(body: dict[str, Any], expected: str) -> None:
    problems = problems_of(body)
    assert any(line.startswith(expected) for line in problems), problems


def test_bad_requests_are_distinct() -> None:
    bodies = [json.dumps(body, sort_keys=True) for _, body, _ in BAD_REQUESTS]
    assert len(set(bodies)) == len(bodies) >= 35


def test_every_problem_is_reported_at_once() -> None:
    body = minimal() | {"imageProcessorTileSize": 1, "imageReadRole": "x", "outputs": []}
    problems = problems_of(body)
    assert [line.split(":")[0] for line in problems] == [
        "imageReadRole",
        "imageProcessorTileSize",
        "outputs",
    ]


def test_problem_shows_the_rejected_value() -> None:
    assert problems_of(_with("imageProcessorTileSize", 10000)) == (
        "imageProcessorTileSize: must be less than or equal to 8192 (got 10000)",
    )
