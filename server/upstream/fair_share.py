"""Each tenant's fair share of the connections to Mistral.

The upstream pool is shared by every user of the process. Per-connection limits do not stop
one Mistral key used from many connections from filling it, and then everyone else's calls
queue behind that key's. Here a tenant (a Mistral key, known only by a fingerprint) has at
most `share` requests in flight; its further requests wait their turn behind its own, while
other tenants' go straight through.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import anyio


def tenant_of(api_key: str) -> str:
    """The tenant a key belongs to: a fingerprint, so the key itself is never kept here."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:32]


class ShareExhausted(Exception):
    """A tenant's request waited its whole allowance for a turn; nothing was sent."""


@dataclass(slots=True)
class _Tenant:
    slots: anyio.Semaphore
    users: int = field(default=0)  # holding or waiting: the entry goes when the last one leaves


class UpstreamShares:
    """At most `share` requests in flight per tenant, waiting at most `wait` seconds for a turn."""

    def __init__(self, share: int, *, wait: float, on_wait: Callable[[], None] = lambda: None) -> None:
        self._share = share
        self._wait = wait
        self._on_wait = on_wait
        self._tenants: dict[str, _Tenant] = {}

    @property
    def share(self) -> int:
        return self._share

    @property
    def tenants(self) -> int:
        """Tenants with a request in flight or waiting: idle ones are forgotten."""
        return len(self._tenants)

    def in_flight(self, tenant: str) -> int:
        entry = self._tenants.get(tenant)
        return 0 if entry is None else self._share - entry.slots.value

    @asynccontextmanager
    async def turn(self, tenant: str) -> AsyncIterator[None]:
        """Hold one of the tenant's slots for the block.

        Raises:
            ShareExhausted: no slot came free within the wait.
        """
        entry = self._tenants.get(tenant)
        if entry is None:
            entry = self._tenants[tenant] = _Tenant(anyio.Semaphore(self._share))
        entry.users += 1
        try:
            if entry.slots.value > 0:  # a free slot means no one waits for it (release hands slots on)
                entry.slots.acquire_nowait()
            else:
                self._on_wait()
                acquired = False
                with anyio.move_on_after(self._wait):
                    await entry.slots.acquire()
                    acquired = True
                if not acquired:
                    raise ShareExhausted
            try:
                yield
            finally:
                entry.slots.release()
        finally:
            entry.users -= 1
            if entry.users == 0:
                del self._tenants[tenant]
