"""Concurrency limits: at most N things running at once per key, as leases.

A lease is given back when the work ends; shared (Redis) leases also expire on their own,
so a replica that dies mid-call cannot hold a slot forever.
"""

from __future__ import annotations

from typing import Protocol


class Lease(Protocol):
    async def release(self) -> None:
        """Give the slot back; safe to call more than once."""


class ConcurrencyLimiter(Protocol):
    async def acquire(self, key: str, limit: int, lease_seconds: float) -> Lease | None:
        """One of `limit` slots for `key`, held at most `lease_seconds`; None when all are taken."""


class NoLease:
    """A lease that holds nothing: handed out when limits are off or fail open."""

    async def release(self) -> None:
        return None


class _MemoryLease:
    def __init__(self, running: dict[str, int], key: str) -> None:
        self._running = running
        self._key = key
        self._held = True

    async def release(self) -> None:
        if not self._held:
            return
        self._held = False
        remaining = self._running.get(self._key, 1) - 1
        if remaining > 0:
            self._running[self._key] = remaining
        else:
            self._running.pop(self._key, None)


class MemoryConcurrency:
    """In-process slots. One process: every slot is released by its own `finally`, so no expiry."""

    def __init__(self) -> None:
        self._running: dict[str, int] = {}

    async def acquire(self, key: str, limit: int, lease_seconds: float) -> Lease | None:
        running = self._running.get(key, 0)
        if running >= limit:
            return None
        self._running[key] = running + 1
        return _MemoryLease(self._running, key)
