"""Tracing with AWS X-Ray (TRACING_ENABLED): a segment per image and per region message, with
subsegments for the regions an image handler processes itself, the image's completion and every
model call, each annotated with job_id and image_id (and region_id), so X-Ray's filter
``annotation.image_id = "..."`` finds all the work of one image across workers.

Off by default: :class:`NoTracer` then does nothing at all. Segments go by UDP to the X-Ray
daemon (TRACING_DAEMON_ADDRESS); every image is recorded (no sampling: images are few and long).
Model calls run on the tile threads; a traced detector carries the span that was open where it was
made, so its calls nest under the right region.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

from model_runner.errors import ModelRunnerError
from model_runner.inference.detectors import Detector, model_call
from model_runner.scheduling import PermitOnTheWire

SERVICE = "model-runner"


class NoTracer:
    """Traces nothing (TRACING_ENABLED=false)."""

    def span(self, name: str, **annotations: str) -> AbstractContextManager[None]:
        return nullcontext()

    def traced(self, detector: Detector) -> Detector:
        return detector


class XRayTracer:
    """Records spans as X-Ray segments and subsegments through its own recorder."""

    def __init__(self, daemon_address: str, *, service: str = SERVICE) -> None:
        from aws_xray_sdk.core import AWSXRayRecorder
        from aws_xray_sdk.core.context import Context

        self._recorder = AWSXRayRecorder()
        self._recorder.configure(
            service=service,
            daemon_address=daemon_address,
            sampling=False,
            context=Context(context_missing="IGNORE_ERROR"),
            plugins=(),
        )
        self._service = service
        self._local = threading.local()

    @contextmanager
    def span(self, name: str, **annotations: str) -> Iterator[None]:
        """A segment named after the service (annotation ``work``: ``name``) when no span is open
        on this thread, else a subsegment ``name`` of the open one; failures are recorded on it."""
        opened: list[dict[str, str]] = getattr(self._local, "annotations", [])
        inherited = {**opened[-1], **annotations} if opened else dict(annotations)
        if opened:
            entity = self._recorder.begin_subsegment(name)
        else:
            entity = self._recorder.begin_segment(self._service)
            entity.put_annotation("work", name)
        for key, value in inherited.items():
            entity.put_annotation(key, value)
        self._local.annotations = [*opened, inherited]
        try:
            yield
        except BaseException as error:
            _record_failure(entity, error)
            raise
        finally:
            self._local.annotations = opened
            if opened:
                self._recorder.end_subsegment()
            else:
                self._recorder.end_segment()

    def traced(self, detector: Detector) -> Detector:
        """``detector``, whose calls (from any thread) are subsegments of the span open here now."""
        opened: list[dict[str, str]] = getattr(self._local, "annotations", [])
        if not opened:
            return detector
        return _TracedDetector(detector, self, self._recorder.get_trace_entity(), opened[-1])

    def has_open_span(self) -> bool:
        """Whether a span is open on this thread."""
        return bool(getattr(self._local, "annotations", None))

    @property
    def recorder(self) -> Any:
        return self._recorder


class _TracedDetector:
    """A detector whose every call is a ``model`` subsegment of a given span: on a tile thread,
    the span it was made under; on a thread with a span open, that span."""

    def __init__(self, inner: Detector, tracer: XRayTracer, parent: Any, annotations: dict[str, str]) -> None:
        self._inner = inner
        self._call_inner = model_call(inner)
        self._tracer = tracer
        self._parent = parent
        self._annotations = annotations

    @property
    def endpoint(self) -> str:
        return self._inner.endpoint

    def detect(self, tile: bytes, content_type: str) -> bytes:
        return self._traced(lambda: self._inner.detect(tile, content_type))

    def detect_on_the_wire(self, tile: bytes, content_type: str, hold: PermitOnTheWire) -> bytes:
        return self._traced(lambda: self._call_inner(tile, content_type, hold))

    def _traced(self, call: Callable[[], bytes]) -> bytes:
        recorder = self._tracer.recorder
        borrowed = not self._tracer.has_open_span()
        if borrowed:
            recorder.set_trace_entity(self._parent)
        subsegment = recorder.begin_subsegment("model", namespace="remote")
        for key, value in {**self._annotations, "endpoint": self._inner.endpoint}.items():
            subsegment.put_annotation(key, value)
        try:
            return call()
        except BaseException as error:
            _record_failure(subsegment, error)
            raise
        finally:
            recorder.end_subsegment()
            if borrowed:
                recorder.clear_trace_entities()


def _record_failure(entity: Any, error: BaseException) -> None:
    """Mark the span: an error of ours (a reason) or a fault (anything else), with the message."""
    from aws_xray_sdk.core.utils import stacktrace

    entity.add_exception(error, stacktrace.get_stacktrace(limit=5))
    if isinstance(error, ModelRunnerError):
        entity.add_error_flag()
