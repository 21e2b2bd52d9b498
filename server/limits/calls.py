"""Per-connection limits on tool calls: calls per minute and calls running at once."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import anyio

from server.limits.attempts import AttemptLimiter, Unlimited
from server.limits.concurrency import ConcurrencyLimiter, Lease, NoLease

# A refused concurrent call is told to retry after this long: we cannot know when a slot frees.
_CONCURRENT_RETRY_AFTER = 1.0


@dataclass(frozen=True, slots=True)
class Refusal:
    limit: str
    """Which limit refused: "per_minute" or "concurrent" (a metric label, never user text)."""
    retry_after: float
    message: str


class CallLimits:
    def __init__(
        self,
        per_minute: AttemptLimiter,
        per_minute_count: int,
        concurrency: ConcurrencyLimiter | None,
        max_concurrent: int,
        *,
        lease_seconds: float,
        on_refusal: Callable[[Refusal], None] = lambda _refusal: None,
    ) -> None:
        self._per_minute = per_minute
        self._per_minute_count = per_minute_count
        self._concurrency = concurrency if max_concurrent > 0 else None
        self._max_concurrent = max_concurrent
        self._lease_seconds = lease_seconds
        self._on_refusal = on_refusal

    @classmethod
    def unlimited(cls) -> CallLimits:
        return cls(Unlimited(), 0, None, 0, lease_seconds=0)

    async def _slot(self, connection_id: str) -> Lease | None:
        if self._concurrency is None:
            return NoLease()
        return await self._concurrency.acquire(connection_id, self._max_concurrent, self._lease_seconds)

    def _refuse(self, limit: str, retry_after: float, message: str) -> Refusal:
        refusal = Refusal(limit, retry_after, message)
        self._on_refusal(refusal)
        return refusal

    @asynccontextmanager
    async def admit(self, connection_id: str) -> AsyncIterator[Refusal | None]:
        """Yields None when the call may run (its slot is held until the block ends), else why not."""
        lease = await self._slot(connection_id)
        if lease is None:
            yield self._refuse(
                "concurrent",
                _CONCURRENT_RETRY_AFTER,
                f"Too many tool calls at once on this connection (at most {self._max_concurrent} may run "
                f"at the same time). Retry in {math.ceil(_CONCURRENT_RETRY_AFTER)} second(s), or when one "
                "of your running calls has finished.",
            )
            return
        try:
            wait = await self._per_minute.check(connection_id)
            if wait is not None:
                yield self._refuse(
                    "per_minute",
                    wait,
                    f"Rate limit reached for this connection ({self._per_minute_count} tool calls per minute). "
                    f"Retry in {max(1, math.ceil(wait))} second(s).",
                )
                return
            yield None
        finally:
            with anyio.CancelScope(shield=True):
                await lease.release()
