"""In-process limit counters: right for one replica, per-replica when there are several."""

from __future__ import annotations

import time
from collections.abc import Callable

from server.limits.base import ALLOWED, Decision, Lease

# Forget idle keys once the table grows past this, so counters cannot grow without bound.
_PRUNE_ABOVE = 10_000


class _MemoryLease:
    def __init__(self, counts: dict[tuple[str, str], int], slot: tuple[str, str]) -> None:
        self._counts = counts
        self._slot = slot
        self._held = True

    async def release(self) -> None:
        if not self._held:
            return
        self._held = False
        remaining = self._counts.get(self._slot, 1) - 1
        if remaining > 0:
            self._counts[self._slot] = remaining
        else:
            self._counts.pop(self._slot, None)


class MemoryLimitStore:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        # Theoretical arrival time per key (GCRA): when the bucket will be full again.
        self._tat: dict[tuple[str, str], float] = {}
        self._running: dict[tuple[str, str], int] = {}

    async def hit(self, bucket: str, key: str, limit: int, period: float) -> Decision:
        now = self._clock()
        slot = (bucket, key)
        new_tat = max(self._tat.get(slot, now), now) + period / limit
        if new_tat - now > period:
            return Decision(False, new_tat - now - period)
        self._tat[slot] = new_tat
        if len(self._tat) > _PRUNE_ABOVE:
            self._tat = {k: v for k, v in self._tat.items() if v > now}
        return ALLOWED

    async def acquire(self, bucket: str, key: str, limit: int, lease_seconds: float) -> Lease | None:
        # One process: a slot is released by its own `finally`, so no expiry is needed here.
        slot = (bucket, key)
        running = self._running.get(slot, 0)
        if running >= limit:
            return None
        self._running[slot] = running + 1
        return _MemoryLease(self._running, slot)

    async def aclose(self) -> None:
        return None
