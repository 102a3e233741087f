"""A scripted model: answers each tile from a function of the tile's bytes, or fails it."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import JsonValue

from model_runner.api import ImageProcessor
from model_runner.errors import ModelRunnerError
from model_runner.inference.invocation_error import ModelInvocationError

Answer = Callable[[bytes], Mapping[str, Any]]
"""A tile's bytes -> the FeatureCollection the model answers (raise to fail the tile)."""


def one_box(size: int = 10, iri: str = "object", score: float = 0.9) -> Answer:
    """A model finding one ``size``-pixel box at each tile's top-left corner."""

    def answer(_: bytes) -> Mapping[str, Any]:
        return {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "geometry": None,
                    "properties": {
                        "imageBBox": [0, 0, size, size],
                        "featureClasses": [{"iri": iri, "score": score}],
                    },
                }
            ],
        }

    return answer


class ScriptedDetector:
    """The detector port answering with ``answer``; counts calls and content types."""

    def __init__(self, answer: Answer, endpoint: str = "scripted") -> None:
        self._answer = answer
        self._endpoint = endpoint
        self.calls = 0
        self.content_types: set[str] = set()
        self._lock = threading.Lock()

    @property
    def endpoint(self) -> str:
        return self._endpoint

    def detect(self, tile: bytes, content_type: str) -> bytes:
        with self._lock:
            self.calls += 1
            self.content_types.add(content_type)
        try:
            return json.dumps(self._answer(tile)).encode()
        except ModelRunnerError:
            raise
        except Exception as error:
            raise ModelInvocationError(
                f"{self._endpoint} failed: {error}", endpoint=self._endpoint
            ) from error


class ScriptedModels:
    """The model endpoints port: one scripted detector for every request."""

    def __init__(self, detector: ScriptedDetector) -> None:
        self.detector_used = detector

    def detector(self, processor: ImageProcessor, parameters: Mapping[str, JsonValue]) -> ScriptedDetector:
        return self.detector_used
