"""Reading an ImageRequest JSON file given on the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from model_runner.tools.command_error import CommandError


def read_request_file(path: Path) -> dict[str, Any]:
    """The JSON object in ``path``.

    Raises:
        CommandError: the file is missing, unreadable, not JSON or not an object.
    """
    if path.is_dir():
        raise CommandError(f"{path} is a folder: give an ImageRequest JSON file")
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise CommandError(f"{path}: no such file; give an ImageRequest JSON file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise CommandError(f"{path}: cannot read the file ({error}); give a readable JSON file") from None
    try:
        body = json.loads(text)
    except json.JSONDecodeError as error:
        raise CommandError(
            f"{path}: not JSON ({error.msg} at line {error.lineno}, column {error.colno}); "
            "fix the file (see 'model-runner validate')"
        ) from None
    if not isinstance(body, dict):
        raise CommandError(f"{path}: expected a JSON object (an ImageRequest), got {type(body).__name__}")
    return body
