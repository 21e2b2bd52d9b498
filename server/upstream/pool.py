"""The connection pool to Mistral, split in shards so that its bookkeeping stays cheap.

httpcore's pool walks every connection it holds each time it hands out a connection or takes
one back, so its cost per request grows with the number of connections open: with 32 calls
in flight, splitting it saved a fifth of a tool call's CPU (bench/RESULTS.md).
Several smaller pools, each a complete httpx transport with its share of the limits and
taken in turn, keep every walk short. Everything httpx promises (timeouts, errors, streaming)
is unchanged: each shard *is* httpx's own transport.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import httpx

SHARDS = 16


def _split(total: int | None, shards: int, index: int) -> int | None:
    # Shard `index`'s part of `total`, the remainder spread over the first shards.
    if total is None:
        return None
    return max(1, total // shards + (1 if index < total % shards else 0))


def _httpx_transport(limits: httpx.Limits) -> httpx.AsyncBaseTransport:
    return httpx.AsyncHTTPTransport(limits=limits)


class ShardedTransport(httpx.AsyncBaseTransport):
    def __init__(
        self,
        limits: httpx.Limits,
        shards: int = SHARDS,
        make: Callable[[httpx.Limits], httpx.AsyncBaseTransport] = _httpx_transport,
    ) -> None:
        shards = max(1, min(shards, limits.max_connections or shards))
        self.shards = [
            make(
                httpx.Limits(
                    max_connections=_split(limits.max_connections, shards, index),
                    max_keepalive_connections=_split(limits.max_keepalive_connections, shards, index),
                    keepalive_expiry=limits.keepalive_expiry,
                )
            )
            for index in range(shards)
        ]
        self._turns = itertools.cycle(self.shards)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await next(self._turns).handle_async_request(request)

    async def aclose(self) -> None:
        for shard in self.shards:
            await shard.aclose()
