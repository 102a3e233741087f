"""``model-runner submit``: send an ImageRequest to the image queue, and with ``--wait`` follow the
job until every image has its terminal status, with a progress bar (images, regions, tiles).

The request is checked as the worker will read it before it is sent. Following reads the status
tables (see :mod:`model_runner.tools.job_view`) once a second.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from model_runner.api import image_id_for, parse_image_request
from model_runner.errors import InvalidRequestError, UnreadableMessageError
from model_runner.tools.aws_access import aws_clients, calling
from model_runner.tools.command_error import CommandError
from model_runner.tools.job_view import ImageView, JobReader
from model_runner.tools.progress import ProgressBar
from model_runner.tools.request_file import read_request_file

POLL_S = 1.0


def read_request(path: Path) -> dict[str, Any]:
    """The request in ``path`` (see :func:`read_request_file`)."""
    return read_request_file(path)


def submit(
    body: Mapping[str, Any],
    environ: Mapping[str, str],
    *,
    wait: bool,
    timeout_s: float,
    out: TextIO,
    err: TextIO,
) -> int:
    """Queue the request; with ``wait``, follow it. 0 when queued (and, waiting, every image
    ended SUCCESS), 1 when an image did not.

    Raises:
        CommandError: the request is not valid, or the queue cannot be reached.
        ConfigurationError: IMAGE_QUEUE (or, waiting, JOB_TABLE, REGION_REQUEST_TABLE) is unset.
    """
    try:
        request, warnings = parse_image_request(body)
    except InvalidRequestError as error:
        raise CommandError("the request is not valid: " + "; ".join(error.problems)) from None
    except UnreadableMessageError as error:
        raise CommandError(f"the request is not valid: {error}") from None
    for warning in warnings:
        print(f"warning: {warning}", file=err)
    reader = JobReader(environ) if wait else None
    settings, clients = aws_clients(environ, "image_queue")
    with calling(f"send to IMAGE_QUEUE {settings.image_queue}"):
        clients.client("sqs").send_message(QueueUrl=settings.image_queue, MessageBody=json.dumps(body))
    count = len(request.image_urls)
    print(f"submitted job {request.job_id} ({count} image{'s' if count > 1 else ''})", file=out, flush=True)
    if reader is None:
        return 0
    images = [(image_id_for(request.job_id, url), url) for url in request.image_urls]
    views = follow(reader, images, timeout_s, err)
    for view in views:
        message = view.record.message if view.record else "not started"
        print(f"{view.status:<8} {view.image_url}: {message}", file=out)
    if not all(view.finished for view in views):
        print(f"still running after {timeout_s:g} s: see 'model-runner status {request.job_id}'", file=out)
        return 1
    return 0 if all(view.status == "SUCCESS" for view in views) else 1


def follow(
    reader: JobReader, images: Sequence[tuple[str, str]], timeout_s: float, err: TextIO
) -> list[ImageView]:
    """Read the images' status until each is terminal or ``timeout_s`` passed, drawing progress."""
    bar = ProgressBar(err)
    deadline = time.monotonic() + timeout_s
    while True:
        views = [reader.image(image_id, url) for image_id, url in images]
        bar.show(views)
        if all(view.finished for view in views) or time.monotonic() > deadline:
            bar.close()
            return views
        time.sleep(POLL_S)
