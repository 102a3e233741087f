"""Fixtures of the SageMaker end-to-end tests: a local stack whose SageMaker endpoints are served
by the runtime emulator (the tests/e2e session stack has none), with the e2e helpers reused."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))

from e2e_sagemaker_support import stack
from e2e_support import in_process_worker, statuses

__all__ = ["in_process_worker", "stack", "statuses"]
