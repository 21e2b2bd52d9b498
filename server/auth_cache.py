"""A short memory of resolved tokens, so a busy client's calls skip the database.

Every MCP request names its connection by token; resolving it is a database read and an
AES-GCM decryption, the largest cost we add to a tool call. Remembering the answer for at
most one second takes both off the hot path of a client calling back to back, while a
revocation, rotation or key change made on another replica still takes effect within that
second. On the replica that makes the change it takes effect at once: the change forgets
the connection here, and a lookup of that connection that was already running when it did is
neither remembered nor handed to requests that arrive later. Changes are tracked per
connection, so one user rotating or re-keying costs no other connection its cache.

Requests for a token whose lookup is already running wait for that lookup instead of
starting their own: a client sending ten calls at once costs one database read, not ten.
Every request's wait is bounded by the lookup deadline, counted from when it arrived, so a
lookup that hangs cannot hold the requests for its token: it is given up at its deadline,
requests still within theirs look for themselves, and the others get `TimeoutError`.

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
    lookup: Lookup
    done: anyio.Event = field(default_factory=anyio.Event)
    found: Found[T] = None
    failed: bool = True  # until the lookup returns


class AuthCache(Generic[T]):
    def __init__(
        self,
        ttl: float = MAX_TTL,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
        *,
        deadline: float | None = None,
    ) -> None:
        if not 0 <= ttl <= MAX_TTL:
            raise ValueError(f"ttl must be between 0 and {MAX_TTL} seconds")
        self._ttl = ttl
        self._deadline = deadline
        self._max_entries = max_entries
        self._clock = clock
        self._entries: dict[str, tuple[float, str, T]] = {}  # token hash -> (expires, connection id, value)
        self._flights: dict[str, _Flight[T]] = {}
        # A change to one connection must not cost every other one its cache: each change is noted
        # per connection, with the generation it made, and only answers about that connection are
        # refused. The notes are bounded; lookups older than the notes dropped are refused outright.
        self._generation = 0
        self._changed: dict[str, int] = {}  # connection id -> generation of its latest change
        self._notes_since = 0

    async def resolve(self, token_hash: str, lookup: Callable[[], Awaitable[Found[T]]]) -> T | None:
        """The remembered answer, else the answer of the lookup already running, else a new lookup's.

        Raises:
            TimeoutError: no answer within the deadline, counted from this call (waiting included).
        """
        if self._ttl > 0 and (value := self.get(token_hash)) is not None:
            return value  # the hot path: no cancel scope for an answer already at hand
        with anyio.fail_after(self._deadline):
            return await self._resolve(token_hash, lookup)

    async def _resolve(self, token_hash: str, lookup: Callable[[], Awaitable[Found[T]]]) -> T | None:
        if self._ttl <= 0:
            found = await lookup()
            return found[1] if found else None
        if (value := self.get(token_hash)) is not None:
            return value
        if (flight := self._flights.get(token_hash)) is not None:
            await flight.done.wait()
            if not flight.failed and not (flight.found and self._overtaken(flight.found[0], flight.lookup)):
                return flight.found[1] if flight.found else None
            # The lookup we waited for failed, was cancelled or given up at its deadline, or read the
            # connection before a change to it was stored: this request looks for itself (within what
            # is left of its own deadline).
        started = self.begin()
        flight = self._flights[token_hash] = _Flight(started)
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

    def _overtaken(self, connection_id: str, lookup: Lookup) -> bool:
        """Whether a change to the connection was stored after `lookup` began (or may have been)."""
        return lookup.generation < self._notes_since or self._changed.get(connection_id, 0) > lookup.generation

    def put(self, token_hash: str, connection_id: str, value: T, lookup: Lookup) -> None:
        if self._ttl <= 0 or self._overtaken(connection_id, lookup):
            return  # disabled, or a change to this connection happened while this lookup ran
        while len(self._entries) >= self._max_entries:
            del self._entries[next(iter(self._entries))]  # the oldest entry
        self._entries[token_hash] = (lookup.started + self._ttl, connection_id, value)

    def forget(self, connection_id: str) -> None:
        """Call after a change to the connection is stored."""
        self._generation += 1
        self._changed.pop(connection_id, None)  # re-inserted last, so the oldest notes come first
        self._changed[connection_id] = self._generation
        while len(self._changed) > self._max_entries:
            oldest = next(iter(self._changed))
            self._notes_since = max(self._notes_since, self._changed.pop(oldest))
        for token_hash in [h for h, (_, cid, _) in self._entries.items() if cid == connection_id]:
            del self._entries[token_hash]
