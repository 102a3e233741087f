"""Shared building blocks of the wire models: camelCase base model, enums, keyed errors, role ARNs."""

from __future__ import annotations

import enum
from typing import Annotated, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

KEYED_ERROR = "keyed_problem"
"""Error type of :func:`keyed_error`; its context names the key the problem is about."""


class WireModel(BaseModel):
    """A frozen value read from and written to camelCase JSON; unknown keys are ignored."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True, extra="ignore")

    legacy_keys: ClassVar[tuple[str, ...]] = ()
    """Keys read before validation and turned into fields: known, though no field has them."""


class WireEnum(enum.StrEnum):
    """A string enum whose members can be given in any letter case."""

    @classmethod
    def _missing_(cls, value: object) -> WireEnum | None:
        if isinstance(value, str):
            folded = value.casefold()
            for member in cls:
                if member.value.casefold() == folded:
                    return member
        return None


def keyed_error(key: str, reason: str) -> PydanticCustomError:
    """A problem found by a model-level check, about ``key`` (a camelCase path below the model)."""
    return PydanticCustomError(KEYED_ERROR, "{reason}", {"key": key, "reason": reason})


def non_empty(what: str) -> AfterValidator:
    """A check that a list holds at least one ``what`` (run only when every item is valid)."""

    def check(value: tuple[object, ...]) -> tuple[object, ...]:
        if not value:
            raise ValueError(f"at least one {what} is required")
        return value

    return AfterValidator(check)


def _check_role_arn(value: str) -> str:
    if not value.startswith("arn:"):
        raise ValueError("must be an IAM role ARN starting with 'arn:'")
    return value


RoleArn = Annotated[str, AfterValidator(_check_role_arn)]
"""An IAM role to assume, given by its ARN."""
