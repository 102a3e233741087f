"""Read an ImageRequest message body: the request, or the errors the worker loop acts on."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from model_runner.api.image_request import ImageRequest, legacy_warnings
from model_runner.api.problems import format_problems, key_path
from model_runner.api.request_body import DEFAULT_MAX_REQUEST_BYTES, body_problem, request_identity
from model_runner.api.sinks import sink_warnings
from model_runner.api.wire import WireModel
from model_runner.errors import InvalidRequestError, UnreadableMessageError


def parse_image_request(
    body: str | bytes | Mapping[str, Any], *, max_bytes: int = DEFAULT_MAX_REQUEST_BYTES
) -> tuple[ImageRequest, list[str]]:
    """The request in ``body`` and one warning per ignored key (unknown, or superseded legacy).

    Raises:
        UnreadableMessageError: ``body`` is not a JSON object, or has no non-empty string jobId.
        InvalidRequestError: the request's values are wrong; one "key: reason" problem each. Also
            a body larger than ``max_bytes`` or nested too deep, refused before it is parsed.
    """
    if not isinstance(body, Mapping):
        text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
        problem = body_problem(text, max_bytes)
        if problem is not None:
            job_id, _ = request_identity(text)
            if job_id is None:
                raise UnreadableMessageError(f"{problem}, and no jobId can be read in it")
            raise InvalidRequestError([problem], job_id=job_id)
    data = _json_object(body)
    job_id = data.get("jobId")
    if not isinstance(job_id, str) or not job_id.strip():
        raise UnreadableMessageError("the request has no jobId (a non-empty string)")
    try:
        request = ImageRequest.model_validate(data)
    except ValidationError as error:
        raise InvalidRequestError(format_problems(error), job_id=job_id) from None
    warnings = [f"{path}: unknown key, ignored" for path in unknown_keys(request, data, ())]
    return request, legacy_warnings(data) + warnings + sink_warnings(request.outputs)


def unknown_keys(model: WireModel, data: Mapping[str, Any], location: Sequence[int | str]) -> list[str]:
    """Key paths of ``data`` that no field of ``model`` (or of its nested models) reads."""
    known = set(model.legacy_keys)
    found = []
    for name, field in type(model).model_fields.items():
        key = field.alias or name
        known.update((name, key))
        raw = data.get(key, data.get(name))
        value = getattr(model, name)
        if isinstance(value, WireModel) and isinstance(raw, Mapping):
            found += unknown_keys(value, raw, (*location, key))
        elif isinstance(value, tuple) and isinstance(raw, list) and len(raw) == len(value):
            for index, (item, raw_item) in enumerate(zip(value, raw, strict=True)):
                if isinstance(item, WireModel) and isinstance(raw_item, Mapping):
                    found += unknown_keys(item, raw_item, (*location, key, index))
    found += [key_path((*location, key)) for key in data if key not in known]
    return found


def _json_object(body: str | bytes | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(body, Mapping):
        return body
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UnreadableMessageError(f"the request is not JSON: {error}") from None
    if not isinstance(data, dict):
        raise UnreadableMessageError(f"the request is a JSON {type(data).__name__}, not an object")
    return data
