"""Errors of the features package."""

from __future__ import annotations

from model_runner.errors import ModelRunnerError, QueueAction


class InvalidFeatureError(ModelRunnerError):
    """A model returned a feature whose pixel geometry, bounding box or classes cannot be used."""

    action = QueueAction.FAIL_JOB
