"""What one built-in test model does: its kind, its knobs, and their command-line flags."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Literal, get_args

from model_runner.errors import ConfigurationError

ModelKind = Literal["centerpoint", "flood", "failure"]
FailureMode = Literal["http_500", "malformed_json", "slow", "mixed", "invalid_features", "deprecated_keys"]
PING_PATH = "/ping"
INVOCATIONS_PATH = "/invocations"


@dataclass(frozen=True)
class ModelSpec:
    """A built-in model and its settings; each field is also a flag of the model server.

    Attributes:
        kind: centerpoint (one box at the tile centre), flood (``count`` random boxes) or
            failure (fails as ``failure_mode`` says).
        latency_ms: added to every response, failures included.
        count: flood: boxes per tile.
        seed: flood: with the tile bytes, fixes the boxes, so equal tiles get equal answers.
        failure_mode: failure: http_500 (every tile), malformed_json (HTTP 200, broken body),
            slow (answers like centerpoint after ``slow_s``), mixed (HTTP 500 for a fraction
            ``failure_fraction`` of tiles chosen by their hash, centerpoint for the rest),
            invalid_features (HTTP 200, features breaking the contract: a class score that is not
            a number, a feature with no pixel geometry), deprecated_keys (a valid answer in the
            deprecated forms: bounds_imcoords, geom_imcoords, feature_types).
        failure_fraction: mixed: share of tiles that fail, 0 to 1.
        slow_s: slow: seconds before the answer; longer than the caller's read timeout.
    """

    kind: ModelKind
    latency_ms: float = 0.0
    count: int = 10
    seed: int = 0
    failure_mode: FailureMode = "http_500"
    failure_fraction: float = 0.5
    slow_s: float = 120.0

    def __post_init__(self) -> None:
        problems = []
        if self.kind not in get_args(ModelKind):
            problems.append(f"kind: expected one of {get_args(ModelKind)} (got {self.kind!r})")
        if self.failure_mode not in get_args(FailureMode):
            problems.append(
                f"failure_mode: expected one of {get_args(FailureMode)} (got {self.failure_mode!r})"
            )
        if self.latency_ms < 0:
            problems.append(f"latency_ms: must not be negative (got {self.latency_ms})")
        if self.count < 0:
            problems.append(f"count: must not be negative (got {self.count})")
        if not 0 <= self.failure_fraction <= 1:
            problems.append(f"failure_fraction: must be between 0 and 1 (got {self.failure_fraction})")
        if self.slow_s < 0:
            problems.append(f"slow_s: must not be negative (got {self.slow_s})")
        if problems:
            raise ConfigurationError(problems)

    def to_argv(self) -> list[str]:
        """The model server flags that reproduce this spec (see :func:`add_spec_arguments`)."""
        return [
            "--model", self.kind,
            "--latency-ms", str(self.latency_ms),
            "--count", str(self.count),
            "--seed", str(self.seed),
            "--failure-mode", self.failure_mode,
            "--failure-fraction", str(self.failure_fraction),
            "--slow-s", str(self.slow_s),
        ]  # fmt: skip

    @classmethod
    def from_arguments(cls, arguments: argparse.Namespace) -> ModelSpec:
        """The spec given by flags parsed with :func:`add_spec_arguments`."""
        return cls(
            kind=arguments.model,
            latency_ms=arguments.latency_ms,
            count=arguments.count,
            seed=arguments.seed,
            failure_mode=arguments.failure_mode,
            failure_fraction=arguments.failure_fraction,
            slow_s=arguments.slow_s,
        )


def add_spec_arguments(parser: argparse.ArgumentParser) -> None:
    """Add one flag per :class:`ModelSpec` field, with the same defaults."""
    defaults = ModelSpec("centerpoint")
    parser.add_argument("--model", required=True, choices=get_args(ModelKind))
    parser.add_argument("--latency-ms", type=float, default=defaults.latency_ms)
    parser.add_argument("--count", type=int, default=defaults.count, help="flood: boxes per tile")
    parser.add_argument("--seed", type=int, default=defaults.seed, help="flood: random seed")
    parser.add_argument("--failure-mode", choices=get_args(FailureMode), default=defaults.failure_mode)
    parser.add_argument(
        "--failure-fraction",
        type=float,
        default=defaults.failure_fraction,
        help="failure --failure-mode mixed: share of tiles that fail",
    )
    parser.add_argument(
        "--slow-s", type=float, default=defaults.slow_s, help="failure --failure-mode slow: delay"
    )
