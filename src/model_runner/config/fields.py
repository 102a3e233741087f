"""What the settings sections share: their pydantic-settings configuration and value helpers."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, AliasChoices
from pydantic_settings import SettingsConfigDict

SECTION_CONFIG = SettingsConfigDict(extra="ignore", frozen=True, populate_by_name=False)
"""Every section reads environment variables by their alias only, ignores the others, and is frozen."""

_REQUEST_TYPE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def _check_request_type_name(value: str) -> str:
    if not _REQUEST_TYPE_NAME.match(value):
        raise ValueError(
            "must be a handler pair name: lowercase letters, digits and _, starting with a letter"
        )
    return value


RequestTypeName = Annotated[str, AfterValidator(_check_request_type_name)]


def env(*names: str) -> AliasChoices:
    """A setting read from the first of ``names`` that is set."""
    return AliasChoices(*names)


def comma_separated(value: object) -> object:
    """A comma-separated variable as a tuple of its non-empty, stripped items."""
    if isinstance(value, str):
        return tuple(item.strip() for item in value.split(",") if item.strip())
    return value
