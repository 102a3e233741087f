"""Fixtures of the end-to-end tests; see e2e_support and container_support."""

import pytest
from container_support import container, summary_lines, worker_image
from e2e_support import in_process_worker, stack, statuses, worker_processes

__all__ = ["container", "in_process_worker", "stack", "statuses", "worker_image", "worker_processes"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests of the container image run last: the test command builds the image meanwhile."""
    items.sort(key=lambda item: item.get_closest_marker("container") is not None)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The container image's size and build steps, when its tests ran."""
    lines = summary_lines()
    if lines:
        terminalreporter.section("container image")
        for line in lines:
            terminalreporter.write_line(line)
