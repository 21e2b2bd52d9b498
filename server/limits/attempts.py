"""Attempt limits per key (e.g. sign-ups per client address), behind one small protocol.

`AttemptLimiter.check(key)` is the whole interface, so a shared backend (Redis) can replace
the in-process `SlidingWindowLimiter` without touching the handlers that call it.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

from server.settings.values import Rate

# Forget idle keys once this many are tracked, so an address sweep cannot grow memory without bound.
_PRUNE_ABOVE = 10_000


class AttemptLimiter(Protocol):
    async def check(self, key: str) -> float | None:
        """Count one attempt for `key`: None when it is allowed, else seconds until the next one fits."""


class Unlimited:
    """The limiter used when limits are off: every attempt is allowed."""

    async def check(self, key: str) -> float | None:
        return None


class SlidingWindowLimiter:
    """In-process sliding window: each key may make `rate.count` attempts in any `rate.period` seconds.

    Refused attempts are not counted, so waiting the announced `Retry-After` always works.
    One replica's view only; several replicas each allow the full rate.
    """

    def __init__(self, rate: Rate, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self._clock = clock
        self._attempts: dict[str, deque[float]] = {}

    async def check(self, key: str) -> float | None:
        now = self._clock()
        window_start = now - self.rate.period
        attempts = self._attempts.setdefault(key, deque())
        while attempts and attempts[0] <= window_start:
            attempts.popleft()
        if len(attempts) >= self.rate.count:
            return max(attempts[0] - window_start, 0.001)
        attempts.append(now)
        if len(self._attempts) > _PRUNE_ABOVE:
            self._prune(window_start)
        return None

    def _prune(self, window_start: float) -> None:
        self._attempts = {k: v for k, v in self._attempts.items() if v and v[-1] > window_start}


def retry_after_header(seconds: float) -> str:
    """Whole seconds for `Retry-After`, rounded up so a client that obeys it is let in."""
    return str(max(1, math.ceil(seconds)))
