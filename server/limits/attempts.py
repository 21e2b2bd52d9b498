"""Attempt limits per key (e.g. sign-ups per client address), behind one small protocol.

`AttemptLimiter.check(key)` is the whole interface, so a shared backend (Redis) can replace
the in-process `SlidingWindowLimiter` without touching the handlers that call it.
"""

from __future__ import annotations

import math
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

_UNITS = {"second": 1.0, "minute": 60.0, "hour": 3600.0, "day": 86400.0}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(second|minute|hour|day)s?\s*$", re.IGNORECASE)

# Forget idle keys once this many are tracked, so an address sweep cannot grow memory without bound.
_PRUNE_ABOVE = 10_000


@dataclass(frozen=True, slots=True)
class Rate:
    """At most `count` attempts in any `period` seconds."""

    count: int
    period: float

    def __str__(self) -> str:
        unit = next((name for name, seconds in _UNITS.items() if seconds == self.period), None)
        return f"{self.count}/{unit}" if unit else f"{self.count}/{self.period:g}s"


DEFAULT_SIGNUP_RATE = Rate(10, 60.0)


def parse_rate(text: str) -> Rate | None:
    """`"10/minute"` → Rate(10, 60); `"off"` or `"0"` → None (no limit).

    Raises:
        ValueError: the text is not `N/second|minute|hour|day` or `off`.
    """
    value = text.strip().lower()
    if value in {"off", "0", "none"}:
        return None
    match = _RATE.match(value)
    if match is None:
        raise ValueError(f"expected N/second, N/minute, N/hour, N/day or off, got {text!r}")
    count = int(match.group(1))
    return Rate(count, _UNITS[match.group(2).lower()]) if count > 0 else None


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
