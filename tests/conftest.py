"""Fixtures shared by every test package, and the test tiers.

The end-to-end fixtures (the session's one local stack, workers, status capture) live in
tests/support/e2e_support.py; a test that uses the stack is marked ``e2e``, every other test
``unit``, but for the CDK app's (``deployment``, a Node.js synthesis): ``pytest -m unit`` runs the
fast tier (no servers) on every change. Under pytest-xdist (the test command runs ``-n 2 --dist
loadgroup``) the end-to-end tests form one group, so they run on one process with one stack while the
other runs the unit and deployment tests.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from container_support import container, summary_lines, worker_image
from e2e_support import in_process_worker, stack, statuses, worker_processes
from xray_daemon import xray_daemon

__all__ = [
    "container",
    "in_process_worker",
    "stack",
    "statuses",
    "worker_image",
    "worker_processes",
    "xray_daemon",
]

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_IMAGERY = REPO_ROOT.parent / "shared" / "imagery"
REFCOMPAT = REPO_ROOT.parent / "shared" / "refcompat"
CDK_TESTS = REPO_ROOT / "tests" / "cdk"


@pytest.fixture(scope="session")
def imagery_dir() -> Path:
    """The folder of small real rasters shipped beside the repository (../shared/imagery)."""
    if not (SHARED_IMAGERY / "RGB.byte.tif").exists():
        pytest.fail(f"the shared imagery is missing: expected it at {SHARED_IMAGERY}")
    return SHARED_IMAGERY


@pytest.fixture(scope="session")
def refcompat_dir() -> Path:
    """The reference's own test material (../shared/refcompat): expected results, images, requests."""
    if not (REFCOMPAT / "expected" / "default.json").exists():
        pytest.fail(f"the reference's test material is missing: expected it at {REFCOMPAT}")
    return REFCOMPAT


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark tests that use the local stack ``e2e``, those of the CDK app ``deployment``, and the
    others ``unit``."""
    for item in items:
        if "stack" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.e2e)
        if item.path.is_relative_to(CDK_TESTS):
            item.add_marker(pytest.mark.deployment)
        if item.get_closest_marker("e2e") is not None:
            item.add_marker(pytest.mark.xdist_group("local-stack"))
        elif item.get_closest_marker("deployment") is None:
            item.add_marker(pytest.mark.unit)
    # The container image's tests run last: the test command builds the image meanwhile.
    items.sort(key=lambda item: item.get_closest_marker("container") is not None)


WORKER_SUMMARIES: list[str] = []
"""What the xdist processes that ran the container tests said of the image."""


def pytest_sessionfinish(session: pytest.Session) -> None:
    """An xdist process hands its image summary to the controlling process."""
    output = getattr(session.config, "workeroutput", None)
    if output is not None:
        output["container_summary"] = summary_lines()


def pytest_testnodedown(node: Any, error: object) -> None:
    WORKER_SUMMARIES.extend(getattr(node, "workeroutput", {}).get("container_summary", []))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The container image's size and build steps, when its tests ran."""
    lines = summary_lines() or WORKER_SUMMARIES
    if lines:
        terminalreporter.section("container image")
        for line in lines:
            terminalreporter.write_line(line)
