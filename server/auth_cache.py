"""A short memory of resolved tokens, so a busy client's calls skip the database.

Every MCP request names its connection by token; resolving it is a database read and an
AES-GCM decryption, the largest cost we add to a tool call. Remembering the answer for at
most one second takes both off the hot path of a client calling back to back, while a
revocation, rotation or key change made on another replica still takes effect within that
second. On the replica that makes the change it takes effect at once: the change forgets
the connection here, and a lookup that was already running when it did is not remembered.

Only successes are remembered (an unknown token always reaches the database), entries are
keyed by the token's hash, expire counted from when their lookup *started*, and the table
is bounded.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

MAX_TTL = 1.0
"""The promise: a change made anywhere is seen everywhere within this many seconds."""

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Lookup:
    """Taken before a database lookup starts; lets `put` refuse answers a change overtook."""

    started: float
    generation: int


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
        self._generation = 0

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
        for token_hash in [h for h, (_, cid, _) in self._entries.items() if cid == connection_id]:
            del self._entries[token_hash]
