"""The built-in models' answers to one tile, computed in process (no HTTP)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

import pytest

from model_runner.errors import ConfigurationError
from model_runner.local.models.answers import answer
from model_runner.local.models.spec import ModelSpec, add_spec_arguments

EncodeTile = Callable[..., bytes]  # the ``tile`` fixture of conftest.py


def features_of(spec: ModelSpec, body: bytes) -> list[dict[str, Any]]:
    reply = answer(spec, body)
    assert reply.status == 200
    collection = json.loads(reply.body)
    assert collection["type"] == "FeatureCollection"
    features: list[dict[str, Any]] = collection["features"]
    return features


@pytest.mark.parametrize("tile_format", ["PNG", "NITF", "GTIFF", "JPEG"])
def test_centerpoint_puts_one_box_on_the_tile_centre(tile: EncodeTile, tile_format: str) -> None:
    (feature,) = features_of(ModelSpec("centerpoint"), tile(tile_format, 300, 200))

    assert feature["geometry"] is None
    properties = feature["properties"]
    min_x, min_y, max_x, max_y = properties["imageBBox"]
    assert ((min_x + max_x) / 2, (min_y + max_y) / 2) == (150, 100)
    ring = properties["imageGeometry"]["coordinates"][0]
    assert properties["imageGeometry"]["type"] == "Polygon"
    assert ring[0] == ring[-1] == [min_x, min_y]
    assert {x for x, _ in ring} == {min_x, max_x} and {y for _, y in ring} == {min_y, max_y}
    assert properties["featureClasses"] == [{"iri": "centerpoint", "score": 1.0}]
    assert properties["modelMetadata"]["modelName"] == "centerpoint"


@pytest.mark.parametrize("tile_format", ["PNG", "NITF"])
def test_flood_returns_count_boxes_inside_the_tile(tile: EncodeTile, tile_format: str) -> None:
    features = features_of(ModelSpec("flood", count=25), tile(tile_format, 120, 80))

    assert len(features) == 25
    assert len({feature["id"] for feature in features}) == 25
    for feature in features:
        min_x, min_y, max_x, max_y = feature["properties"]["imageBBox"]
        assert 0 <= min_x < max_x <= 120 and 0 <= min_y < max_y <= 80
        (feature_class,) = feature["properties"]["featureClasses"]
        assert 0 < feature_class["score"] <= 1
    assert len({feature["properties"]["featureClasses"][0]["iri"] for feature in features}) > 1


def test_flood_is_reproducible_per_tile_and_seed(tile: EncodeTile) -> None:
    first, second = tile("PNG", 64, 64, seed=1), tile("PNG", 64, 64, seed=2)
    spec = ModelSpec("flood", count=5, seed=7)

    assert answer(spec, first) == answer(spec, first)
    assert answer(spec, first).body != answer(spec, second).body
    assert answer(spec, first).body != answer(ModelSpec("flood", count=5, seed=8), first).body


def test_flood_with_count_zero_returns_an_empty_collection(tile: EncodeTile) -> None:
    assert features_of(ModelSpec("flood", count=0), tile("PNG", 16, 16)) == []


def test_a_body_that_is_not_an_image_gets_400() -> None:
    reply = answer(ModelSpec("centerpoint"), b"not an image")

    assert reply.status == 400
    assert "not a readable image" in json.loads(reply.body)["error"]


def test_failure_http_500_fails_every_tile(tile: EncodeTile) -> None:
    assert answer(ModelSpec("failure", failure_mode="http_500"), tile("PNG", 32, 32)).status == 500


def test_failure_malformed_json_answers_200_with_a_body_that_is_not_json(tile: EncodeTile) -> None:
    reply = answer(ModelSpec("failure", failure_mode="malformed_json"), tile("PNG", 32, 32))

    assert reply.status == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(reply.body)


def test_failure_slow_delays_a_centerpoint_answer(tile: EncodeTile) -> None:
    body = tile("PNG", 32, 32)
    reply = answer(ModelSpec("failure", failure_mode="slow", slow_s=90, latency_ms=10), body)

    assert reply.delay_s == pytest.approx(90.01)
    assert reply.body == answer(ModelSpec("failure", failure_mode="slow", slow_s=0), body).body
    assert json.loads(reply.body)["features"][0]["properties"]["featureClasses"][0]["iri"] == "centerpoint"


def test_failure_mixed_fails_the_configured_share_of_tiles_deterministically(tile: EncodeTile) -> None:
    tiles = [tile("PNG", 8, 8, seed=seed) for seed in range(200)]
    spec = ModelSpec("failure", failure_mode="mixed", failure_fraction=0.3)

    statuses = [answer(spec, body).status for body in tiles]

    assert set(statuses) == {200, 500}
    assert 40 <= statuses.count(500) <= 80
    assert statuses == [answer(spec, body).status for body in tiles]
    never = ModelSpec("failure", failure_mode="mixed", failure_fraction=0.0)
    always = ModelSpec("failure", failure_mode="mixed", failure_fraction=1.0)
    assert {answer(never, body).status for body in tiles[:20]} == {200}
    assert {answer(always, body).status for body in tiles[:20]} == {500}


@pytest.mark.parametrize(
    "spec",
    [
        ModelSpec("centerpoint", latency_ms=25),
        ModelSpec("flood", latency_ms=25),
        ModelSpec("failure", latency_ms=25),
        ModelSpec("failure", failure_mode="malformed_json", latency_ms=25),
    ],
)
def test_latency_is_added_to_every_answer(tile: EncodeTile, spec: ModelSpec) -> None:
    assert answer(spec, tile("PNG", 16, 16)).delay_s == pytest.approx(0.025)


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"kind": "yolo"}, "kind"),
        ({"failure_mode": "explode"}, "failure_mode"),
        ({"latency_ms": -1}, "latency_ms"),
        ({"count": -1}, "count"),
        ({"failure_fraction": 1.5}, "failure_fraction"),
        ({"slow_s": -2}, "slow_s"),
    ],
)
def test_invalid_specs_are_refused_naming_the_field(changes: dict[str, Any], named: str) -> None:
    with pytest.raises(ConfigurationError, match=named):
        ModelSpec(**{"kind": "failure", **changes})


def test_spec_flags_reproduce_the_spec() -> None:
    spec = ModelSpec(
        "failure", latency_ms=3.5, count=4, seed=9, failure_mode="mixed", failure_fraction=0.25, slow_s=2
    )
    parser = argparse.ArgumentParser()
    add_spec_arguments(parser)

    assert ModelSpec.from_arguments(parser.parse_args(spec.to_argv())) == spec
    assert ModelSpec.from_arguments(parser.parse_args(["--model", "flood"])) == ModelSpec("flood")
