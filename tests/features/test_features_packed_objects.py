"""How a region's detections and features wait in the workspace: packed objects read back as they
were written, those packed by workers of an earlier version (zlib) still read, anything else refused
with the workspace's own error."""

from __future__ import annotations

import json
import struct
import zlib

import numpy as np
import pytest

from model_runner.features.columns_io import PackedDataError, pack, unpack

ARRAYS = {
    "keys": np.array([[0.0, 1.0, 2.0], [0.0, 1.0, 3.0]]),
    "ids": np.array([b"a" * 32, b"b" * 32], "S32"),
    "ends": np.array([10, 25], np.int64),
}


def test_arrays_and_values_read_back_as_written() -> None:
    arrays, values = unpack(pack(ARRAYS, {"chunk": 3, "names": ["vehicle"]}))

    assert values == {"chunk": 3, "names": ["vehicle"]}
    assert list(arrays) == list(ARRAYS)
    for name, array in ARRAYS.items():
        assert arrays[name].dtype == array.dtype
        np.testing.assert_array_equal(arrays[name], array)


def test_repeated_texts_are_stored_compressed() -> None:
    texts = np.frombuffer(b'{"type":"Feature","properties":{"iri":"vehicle"}}' * 10_000, np.uint8)

    assert len(pack({"data": texts})) < len(texts) // 20


def test_an_object_packed_by_an_earlier_worker_with_zlib_is_read() -> None:
    head = json.dumps({"arrays": [["ends", "<i8", [2]]], "values": {"chunk": 1}}).encode()
    earlier = zlib.compress(struct.pack("<I", len(head)) + head + np.array([4, 9], "<i8").tobytes(), 1)

    arrays, values = unpack(earlier)

    assert values == {"chunk": 1}
    np.testing.assert_array_equal(arrays["ends"], [4, 9])


@pytest.mark.parametrize(
    "body",
    [b"not packed", pack(ARRAYS)[:20], b"\x28\xb5\x2f\xfd garbage"],
    ids=["foreign bytes", "cut short", "a broken zstandard frame"],
)
def test_bytes_that_are_not_a_packed_object_are_refused(body: bytes) -> None:
    with pytest.raises(PackedDataError, match="not a packed workspace object"):
        unpack(body)


def test_an_array_of_python_objects_is_refused_unread() -> None:
    head = json.dumps({"arrays": [["x", "|O", [1]]], "values": {}}).encode()
    body = zlib.compress(struct.pack("<I", len(head)) + head + b"\0" * 8)

    with pytest.raises(PackedDataError, match="holds Python objects"):
        unpack(body)
