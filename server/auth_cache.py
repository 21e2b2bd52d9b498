"""A short memory of resolved tokens, so a busy client's calls skip the database.

Every MCP request names its connection by token; resolving it is a database read and an
AES-GCM decryption, the largest cost we add to a tool call. Remembering the answer for at
most one second takes both off the hot path of a client calling back to back, while a
revocation, rotation or key change made on another replica still takes effect within that
second. On the replica that makes the change it takes effect at once: the change forgets
the connection here, and a lookup that was already running when it did is not remembered.

Requests for a token whose lookup is already running wait for that lookup instead of
starting their own: a client sending ten calls at once costs one database read, not ten.

Only successes are remembered (an unknown token always reaches the database again), entries
are keyed by the token's hash, expire counted from when their lookup *started*, and the
table is bounded.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import anyio

MAX_TTL = 1.0
"""The promise: a change made anywhere is seen everywhere within this many seconds."""

T = TypeVar("T")

Found = tuple[str, T] | None
"""What a lookup returns: (connection id, value), or None for an unknown token."""


@dataclass(frozen=True, slots=True)
class Lookup:
    """Taken before a database lookup starts; lets `put` refuse answers a change overtook."""

    started: float
    generation: int


@dataclass(slots=True)
class _Flight(Generic[T]):
    done: anyio.Event = field(default_factory=anyio.Event)
    found: Found[T] = None
    failed: bool = True  # until the lookup returns


class AuthCache(Generic[T]):
    def __init__(
        self, ttl: float = MAX_TTL, max_entries: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if not 0 <= ttl <= MAX_TTL:
            raise ValueError(f"ttl must be between 0 and {MAX_TTL} seconds")
        self._ttl = ttl
        self._max_entries = max_entries
        self._clock = clock
        self._entries: dict[str, tuple[float, str, T]] = {}  # token hash -> (expires, connection id, value)
        self._flights: dict[str, _Flight[T]] = {}
        self._generation = 0

    async def resolve(self, token_hash: str, lookup: Callable[[], Awaitable[Found[T]]]) -> T | None:
        """The remembered answer, else the answer of the lookup already running, else a new lookup's."""
        if self._ttl <= 0:
            found = await lookup()
            return found[1] if found else None
        if (value := self.get(token_hash)) is not None:
            return value
        if (flight := self._flights.get(token_hash)) is not None:
            await flight.done.wait()
            if not flight.failed:
                return flight.found[1] if flight.found else None
            # The lookup we waited for failed or was cancelled: this request tries for itself.
        flight = self._flights[token_hash] = _Flight()
        started = self.begin()
        try:
            flight.found = await lookup()
            flight.failed = False
        finally:
            if self._flights.get(token_hash) is flight:
                del self._flights[token_hash]
            flight.done.set()
        if flight.found is None:
            return None
        connection_id, value = flight.found
        self.put(token_hash, connection_id, value, started)
        return value

    def get(self, token_hash: str) -> T | None:
        entry = self._entries.get(token_hash)
        if entry is None:
            return None
        expires, _, value = entry
        if self._clock() >= expires:
            del self._entries[token_hash]
            return None
        return value

    def begin(self) -> Lookup:
        return Lookup(self._clock(), self._generation)

    def put(self, token_hash: str, connection_id: str, value: T, lookup: Lookup) -> None:
        if self._ttl <= 0 or lookup.generation != self._generation:
            return  # disabled, or a change to some connection happened while this lookup ran
        while len(self._entries) >= self._max_entries:
            del self._entries[next(iter(self._entries))]  # the oldest entry
        self._entries[token_hash] = (lookup.started + self._ttl, connection_id, value)

    def forget(self, connection_id: str) -> None:
        """Call after a change to the connection is stored."""
        self._generation += 1
        # Requests arriving from now on must not join a lookup that began before the change.
        self._flights.clear()
        for token_hash in [h for h, (_, cid, _) in self._entries.items() if cid == connection_id]:
            del self._entries[token_hash]
