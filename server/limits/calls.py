"""Per-connection limits on tool calls: calls per minute and calls running at once."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import anyio

from server.limits.base import Lease, LimitStore, NoLease, RateLimiter

_PERIOD = 60.0
# A running call's concurrency slot is only retried after this long, whatever the limit.
_CONCURRENT_RETRY_AFTER = 1.0


@dataclass(frozen=True, slots=True)
class Refusal:
    limit: str
    """Which limit refused: "per_minute" or "concurrent" (a metric label, never user text)."""
    retry_after: float
    message: str


def _seconds(value: float) -> int:
    return max(1, math.ceil(value))


class CallLimits:
    def __init__(
        self,
        store: LimitStore,
        *,
        per_minute: int,
        concurrent: int,
        lease_seconds: float,
        on_refusal: Callable[[Refusal], None] = lambda _refusal: None,
    ) -> None:
        self._store = store
        self._per_minute = RateLimiter(store, "calls", per_minute, _PERIOD)
        self._concurrent = concurrent
        self._lease_seconds = lease_seconds
        self._on_refusal = on_refusal

    async def _slot(self, connection_id: str) -> Lease | None:
        if self._concurrent == 0:
            return NoLease()
        return await self._store.acquire("running", connection_id, self._concurrent, self._lease_seconds)

    @asynccontextmanager
    async def admit(self, connection_id: str) -> AsyncIterator[Refusal | None]:
        """Yields None when the call may run (its slot is held until the block ends), else why not."""
        lease = await self._slot(connection_id)
        if lease is None:
            refusal = Refusal(
                "concurrent",
                _CONCURRENT_RETRY_AFTER,
                f"Too many tool calls at once on this connection (the limit is {self._concurrent} running "
                f"at the same time). Retry in {_seconds(_CONCURRENT_RETRY_AFTER)} second(s), or wait for "
                "one of your running calls to finish.",
            )
            self._on_refusal(refusal)
            yield refusal
            return
        try:
            decision = await self._per_minute.check(connection_id)
            if not decision.allowed:
                wait = _seconds(decision.retry_after)
                refusal = Refusal(
                    "per_minute",
                    decision.retry_after,
                    f"Rate limit reached for this connection ({self._per_minute.limit} tool calls per minute). "
                    f"Retry in {wait} second(s).",
                )
                self._on_refusal(refusal)
                yield refusal
                return
            yield None
        finally:
            with anyio.CancelScope(shield=True):
                await lease.release()
