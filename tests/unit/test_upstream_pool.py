"""The sharded pool to Mistral: the limits are shared out exactly, and requests take turns."""

from __future__ import annotations

import httpx
import pytest

from server.upstream.pool import ShardedTransport

pytestmark = pytest.mark.anyio


class Shard(httpx.AsyncBaseTransport):
    def __init__(self, limits: httpx.Limits) -> None:
        self.limits = limits
        self.served = 0
        self.closed = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.served += 1
        return httpx.Response(200, request=request)

    async def aclose(self) -> None:
        self.closed = True


def shards_of(transport: ShardedTransport) -> list[Shard]:
    shards = [shard for shard in transport.shards if isinstance(shard, Shard)]
    assert len(shards) == len(transport.shards)
    return shards


@pytest.mark.parametrize(("total", "keepalive"), [(1000, 200), (50, 50), (17, 3)])
def test_the_limits_are_shared_out_without_adding_or_losing_a_connection(total: int, keepalive: int) -> None:
    limits = httpx.Limits(max_connections=total, max_keepalive_connections=keepalive, keepalive_expiry=30)
    shards = shards_of(ShardedTransport(limits, shards=16, make=Shard))
    assert sum(s.limits.max_connections or 0 for s in shards) == total
    assert sum(s.limits.max_keepalive_connections or 0 for s in shards) >= min(keepalive, len(shards))
    assert all(s.limits.keepalive_expiry == 30 for s in shards)


def test_a_pool_smaller_than_the_shard_count_gets_one_connection_per_shard() -> None:
    shards = shards_of(ShardedTransport(httpx.Limits(max_connections=3), shards=16, make=Shard))
    assert [s.limits.max_connections for s in shards] == [1, 1, 1]


async def test_requests_take_turns_over_the_shards_and_closing_closes_them_all() -> None:
    transport = ShardedTransport(httpx.Limits(max_connections=40), shards=4, make=Shard)
    async with httpx.AsyncClient(transport=transport, base_url="http://mistral.test") as client:
        for _ in range(10):
            assert (await client.get("/v1/models")).status_code == 200
    assert [s.served for s in shards_of(transport)] == [3, 3, 2, 2]
    assert all(s.closed for s in shards_of(transport))
