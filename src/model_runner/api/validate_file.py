"""Check an ImageRequest JSON file the way the worker would read it (``model-runner validate``)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from model_runner.api.parsing import parse_image_request
from model_runner.errors import InvalidRequestError, UnreadableMessageError


def validate_file(path: Path, out: TextIO, err: TextIO | None = None) -> int:
    """Print the normalised request in ``path`` as camelCase JSON and return 0, or print one line
    per problem and return 1 (2 when the file cannot be read). Warnings about ignored keys go to
    ``err`` (default: standard error).
    """
    try:
        request, warnings = parse_image_request(path.read_bytes())
    except OSError as error:
        # Not a problem of the request but of the command line: status 2, like every command's.
        print(
            f"{path}: cannot read the file ({error.strerror or error}); give an ImageRequest JSON file",
            file=out,
        )
        return 2
    except UnreadableMessageError as error:
        problems: tuple[str, ...] = (f"{path}: {error}",)
    except InvalidRequestError as error:
        problems = error.problems
    else:
        for warning in warnings:
            print(f"warning: {warning}", file=err or sys.stderr)
        print(request.model_dump_json(by_alias=True, indent=2), file=out)
        return 0
    for problem in problems:
        print(problem, file=out)
    return 1
