"""Reading the settings from an environment, with one problem per bad variable."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from model_runner.config.extensions import ExtensionSettings
from model_runner.config.worker_settings import WorkerSettings
from model_runner.errors import ConfigurationError

Loaded = TypeVar("Loaded", bound=ExtensionSettings)


def load_settings(environ: Mapping[str, str] | None = None) -> WorkerSettings:
    """Read and validate the settings from ``environ`` (default: the process environment).

    Raises:
        ConfigurationError: one problem per missing or invalid variable, each naming it.
    """
    return load(WorkerSettings, environ)


def load_settings_subset(names: Iterable[str], environ: Mapping[str, str] | None = None) -> WorkerSettings:
    """WorkerSettings with only the fields ``names`` read and checked: for tools that need a few
    of the worker's variables (``submit`` needs IMAGE_QUEUE, not WORKSPACE_BUCKET). Other fields
    keep their defaults; reading a required one that was not asked for raises AttributeError.

    Raises:
        ConfigurationError: one problem per missing or invalid variable, each naming it.
    """
    fields: dict[str, Any] = {
        name: (WorkerSettings.model_fields[name].annotation, WorkerSettings.model_fields[name])
        for name in names
    }
    subset = create_model(
        "WorkerSettingsSubset", __config__=ConfigDict(extra="ignore", populate_by_name=False), **fields
    )
    values = os.environ if environ is None else environ
    try:
        checked: BaseModel = subset.model_validate({key.upper(): value for key, value in values.items()})
    except ValidationError as error:
        raise ConfigurationError(_describe(error)) from None
    return WorkerSettings.model_construct(**checked.model_dump())


def load(kind: type[Loaded], environ: Mapping[str, str] | None = None) -> Loaded:
    """Read and validate settings of ``kind``; see :func:`load_settings`."""
    try:
        if environ is None:
            return kind()
        return kind.model_validate({key.upper(): value for key, value in environ.items()})
    except ValidationError as error:
        raise ConfigurationError(_describe(error)) from None


def _describe(error: ValidationError) -> list[str]:
    problems = []
    for item in error.errors():
        location = item["loc"]
        variable = str(location[0]) if location else "settings"
        if item["type"] == "missing":
            problems.append(f"{variable}: required, but not set")
        else:
            reason = item["msg"].removeprefix("Value error, ")
            shown = f" (got {item['input']!r})" if location else ""
            problems.append(f"{variable}: {reason}{shown}")
    return problems
