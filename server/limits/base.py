"""The limiter interface every backend implements, and the rate limiter built on it.

A rate limit is a token bucket in GCRA form: `limit` events per `period` seconds per key,
with bursts of up to `limit`; a refusal says exactly how long until the next event fits.
A concurrency limit hands out leases that expire on their own, so a crashed replica
cannot hold a slot forever.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    retry_after: float = 0.0
    """Seconds until the same key may try again (0 when allowed)."""


ALLOWED = Decision(True)


class Lease(Protocol):
    async def release(self) -> None:
        """Give the slot back; safe to call more than once."""


class NoLease:
    """A lease that holds nothing: handed out when limits are off or fail open."""

    async def release(self) -> None:
        return None


class LimitStore(Protocol):
    """Where counters live (`MemoryLimitStore`, `RedisLimitStore`)."""

    async def hit(self, bucket: str, key: str, limit: int, period: float) -> Decision:
        """Count one event for `key` in `bucket`, unless that would exceed `limit` per `period`."""

    async def acquire(self, bucket: str, key: str, limit: int, lease_seconds: float) -> Lease | None:
        """One of `limit` concurrent slots for `key`, held at most `lease_seconds`; None when all are taken."""

    async def aclose(self) -> None: ...


class RateLimiter:
    """`limit` events per `period` seconds for each key, e.g. sign-ups per client address.

    `check(key)` is the whole interface: it counts the event when it is allowed.
    """

    def __init__(self, store: LimitStore, name: str, limit: int, period: float) -> None:
        if limit < 0 or period <= 0:
            raise ValueError("a rate limit needs limit >= 0 and period > 0")
        self._store = store
        self.name = name
        self.limit = limit
        self.period = period

    async def check(self, key: str) -> Decision:
        if self.limit == 0:  # 0 means no limit, as in the settings
            return ALLOWED
        return await self._store.hit(self.name, key, self.limit, self.period)
