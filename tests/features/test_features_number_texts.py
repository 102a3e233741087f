"""Numbers in output features read exactly as Python (and so json.dumps) writes them, however
they are formatted in bulk, and model answers read as json.loads reads them."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model_runner.api.model_response import loads
from model_runner.features.feature_json import number_texts, position_texts, reference_digits

EDGES = [
    0.0,
    -0.0,
    1e-4,
    -1e-4,
    9.999999999999999e-05,
    1e16,
    9999999999999998.0,
    1e-05,
    5e-324,
    1.7976931348623157e308,
    123456789012345.67,
    1333.4297000000001,
    0.1,
    2.5,
    -180.0,
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=50))
def test_every_value_is_written_as_repr_writes_it(values: list[float]) -> None:
    assert number_texts(np.array(values + EDGES, np.float64)) == [repr(value) for value in values + EDGES]


@settings(max_examples=200, deadline=None)
@given(
    st.integers(0, 3).flatmap(
        lambda width: st.lists(
            st.lists(st.floats() | st.sampled_from(EDGES), min_size=width, max_size=width), max_size=20
        )
    )
)
def test_each_position_is_written_as_an_array_of_its_numbers_repr(rows: list[list[float]]) -> None:
    values = np.array(rows, np.float64).reshape(len(rows), len(rows[0]) if rows else 0)

    assert position_texts(values) == ["[" + ",".join(map(repr, row)) + "]" for row in rows]


def test_coordinates_of_every_magnitude_are_written_as_repr_writes_them() -> None:
    rng = np.random.default_rng(7)
    values = np.concatenate(
        [
            rng.uniform(-180, 180, 20_000),
            rng.uniform(0, 1e5, 20_000).round(2),
            10 ** rng.uniform(-8, 20, 20_000),
        ]
    )

    assert number_texts(values) == [repr(value) for value in values.tolist()]


@pytest.mark.parametrize(
    "body",
    [
        b'{"a": [1, -0, 2.5, 1e400, -1e-400, 12345678901234567890123], "b": "\\u00e9\\ud83d\\ude00"}',
        b'{"a": NaN, "b": Infinity, "c": -Infinity}',
        b'{"a": "\\ud800", "a": 2}',
    ],
)
def test_answers_read_as_json_reads_them(body: bytes) -> None:
    read, expected = loads(body), json.loads(body)

    assert json.dumps(read) == json.dumps(expected)
    assert [type(value) for value in read.values()] == [type(value) for value in expected.values()]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=50))
def test_pixel_coordinates_keep_15_significant_digits(values: list[float]) -> None:
    values = values + EDGES + [259.4297 + 1074, 0.1 + 0.2, -(0.1 + 0.2)]

    kept = reference_digits(np.array(values, np.float64)).tolist()

    assert [repr(value) for value in kept] == [repr(float(format(value, ".15g"))) for value in values]
