"""The smallest environment the worker's settings accept, for tests that need a WorkerSettings."""

from __future__ import annotations

from model_runner.testing.context import FAKE_ENVIRONMENT

REQUIRED_ENV = dict(FAKE_ENVIRONMENT)
"""Every required variable, with placeholder values."""
