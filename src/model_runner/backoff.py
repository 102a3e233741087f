"""Exponential backoff with "equal jitter" between attempts of a call, for every retry loop.

The n-th retry waits a random time between half and all of ``min(cap_s, base_s * 2 ** (n - 1))``,
so callers that failed together do not come back together. Sleep and jitter are injectable, so
tests neither wait nor guess.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Backoff:
    """Up to ``max_attempts`` attempts of a call, and the waits between them."""

    max_attempts: int = 5
    base_s: float = 0.2
    cap_s: float = 5.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)
    jitter: Callable[[], float] = field(default=random.random, compare=False)
    """A uniform draw in [0, 1)."""

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")

    @property
    def max_retries(self) -> int:
        """Attempts after the first."""
        return self.max_attempts - 1

    def delay_s(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (1 for the second attempt)."""
        ceiling = min(self.cap_s, self.base_s * 2.0 ** (retry - 1))
        return ceiling * (0.5 + 0.5 * self.jitter())

    def wait(self, retry: int) -> None:
        """Sleep before retry number ``retry``."""
        self.sleep(self.delay_s(retry))
