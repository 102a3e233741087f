"""Fixtures of the end-to-end tests; see e2e_support."""

from e2e_support import in_process_worker, stack, statuses, worker_processes

__all__ = ["in_process_worker", "stack", "statuses", "worker_processes"]
