"""The settings that choose handler pairs (also read alone by ``model-runner extensions``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode

from model_runner.config.fields import SECTION_CONFIG, RequestTypeName, comma_separated


class ExtensionSettings(BaseSettings):
    """The settings that choose handler pairs; also read alone by ``model-runner extensions``."""

    model_config = SECTION_CONFIG

    # --- Extensions ------------------------------------------------------------------------
    request_type: RequestTypeName | None = Field(
        default=None,
        validation_alias="REQUEST_TYPE",
        description="Handler pair for every request (http, sm_endpoint, async_sm_endpoint or a "
        "registered extension's). Unset: the built-in pair of each request's imageProcessor.type.",
    )
    use_extensions: bool = Field(
        default=True,
        validation_alias="USE_EXTENSIONS",
        description="false: always use the built-in pair of the request's imageProcessor.type.",
    )
    extension_fallback_enabled: bool = Field(
        default=False,
        validation_alias="EXTENSION_FALLBACK_ENABLED",
        description="true: an extension that fails to load or construct, or that does not serve a "
        "request's endpoint type, gives way to the built-in pair with a warning and a metric; false: "
        "the worker refuses to start (or the request fails, naming imageProcessor.type).",
    )
    extension_blocklist: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        validation_alias="EXTENSION_BLOCKLIST",
        description="Comma-separated names of registered handlers or observers to switch off "
        "(see `model-runner extensions` for the names).",
    )
    extension_modules: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        validation_alias="EXTENSION_MODULES",
        description="Comma-separated Python modules to import at start-up so that the handlers "
        "and observers they register are available.",
    )

    @field_validator("extension_modules", "extension_blocklist", mode="before")
    @classmethod
    def _split_names(cls, value: object) -> object:
        return comma_separated(value)
