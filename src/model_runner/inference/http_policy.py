"""How long and how often a model call may try: timeouts, retries, backoff with jitter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Self

from urllib3 import Retry, Timeout

from model_runner.backoff import Backoff
from model_runner.config import WorkerSettings

RETRIED_STATUSES = frozenset({429, *range(500, 600)})


@dataclass(frozen=True)
class HttpCallPolicy:
    """Limits of one model call; ``connections`` is the pool size per endpoint host."""

    connect_timeout_s: float
    read_timeout_s: float
    max_retries: int
    connections: int
    backoff_base_s: float = 0.5
    backoff_max_s: float = 20.0
    retry_after_max_s: float = 30.0

    @classmethod
    def from_settings(cls, settings: WorkerSettings) -> HttpCallPolicy:
        """The policy of the worker's settings, with one pooled connection per tile worker."""
        return cls(
            connect_timeout_s=settings.model_connect_timeout_s,
            read_timeout_s=settings.model_read_timeout_s,
            max_retries=settings.model_max_retries,
            connections=settings.tile_workers,
        )

    def backoff(self) -> Backoff:
        """The same retries and waits, for clients that retry by themselves (SageMaker runtime)."""
        return Backoff(self.max_retries + 1, self.backoff_base_s, self.backoff_max_s)

    def timeout(self) -> Timeout:
        """The urllib3 connect and read timeouts."""
        return Timeout(connect=self.connect_timeout_s, read=self.read_timeout_s)

    def retry(self) -> Retry:
        """Retries of POST on connection errors, read timeouts, 429 and 5xx; never on other errors."""
        return JitteredRetry(
            total=self.max_retries,
            other=0,
            redirect=False,
            allowed_methods=None,
            status_forcelist=RETRIED_STATUSES,
            raise_on_status=False,
            respect_retry_after_header=True,
            backoff_factor=self.backoff_base_s,
            backoff_max=self.backoff_max_s,
            retry_after_cap_s=self.retry_after_max_s,
        )


class JitteredRetry(Retry):
    """urllib3's Retry with backoff from the first retry, "equal jitter", and a Retry-After cap.

    The n-th retry waits a random time between half and all of ``backoff_factor * 2**(n-1)``
    (capped at ``backoff_max``), so threads that failed together do not retry together. A
    Retry-After header is honoured up to ``retry_after_cap_s`` seconds.
    """

    def __init__(self, *args: Any, retry_after_cap_s: float = 30.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.retry_after_cap_s = retry_after_cap_s

    def new(self, **kw: Any) -> Self:
        kw.setdefault("retry_after_cap_s", self.retry_after_cap_s)
        return super().new(**kw)

    def get_backoff_time(self) -> float:
        retries = len(self.history)
        if retries == 0:
            return 0.0
        return Backoff(base_s=self.backoff_factor, cap_s=self.backoff_max).delay_s(retries)

    def parse_retry_after(self, retry_after: str) -> float:
        return min(super().parse_retry_after(retry_after), self.retry_after_cap_s)
