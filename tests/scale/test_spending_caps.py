"""Spending caps on their own, on real stores: the database counter (SQLite, or PostgreSQL when
MISTRAL_MCP_TEST_DATABASE_URL is set) and the Redis counter, each seen from two replicas.

Time is an injected clock: the day and month boundaries are crossed without waiting.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from datetime import UTC, date, datetime, timedelta

import anyio
import pytest

from server.limits.caps import CapCounter, DatabaseCounter, SpendingCaps
from server.limits.caps_redis import RedisCounter
from server.limits.redis_store import RedisLimits
from storage.cap_counters import CapCounterRepository
from storage.database import create_engine
from storage.migrate import upgrade
from storage.repository import ConnectionRecord, ConnectionRepository, UsageDelta

pytestmark = pytest.mark.anyio

MANAGE_URL = "https://mcp.example/manage"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


Replica = Callable[[], SpendingCaps]


def new_connection_id() -> str:
    return "conn_" + secrets.token_hex(12)


async def add_connection(repository: ConnectionRepository, connection_id: str) -> None:
    now = datetime.now(UTC)
    await repository.insert(
        ConnectionRecord(connection_id, secrets.token_hex(32), b"x", "k1", "abcd", now, now, None, None)
    )


class World:
    """One database (and Redis) shared by any number of replicas, each with its own engine and client."""

    def __init__(self, stack: AsyncExitStack, database_url: str, redis_url: str | None, clock: Clock) -> None:
        self._stack = stack
        self.database_url = database_url
        self.redis_url = redis_url
        self.clock = clock
        self.repository: ConnectionRepository | None = None

    async def start(self) -> None:
        engine = create_engine(self.database_url)
        self._stack.push_async_callback(engine.dispose)
        await upgrade(engine)
        self.repository = ConnectionRepository(engine)

    async def connection(self) -> str:
        assert self.repository is not None
        connection_id = new_connection_id()
        await add_connection(self.repository, connection_id)
        return connection_id

    def replica(self, redis_url: str | None = None) -> SpendingCaps:
        engine = create_engine(self.database_url)
        self._stack.push_async_callback(engine.dispose)
        counters = CapCounterRepository(engine)
        counter: CapCounter = DatabaseCounter(counters)
        url = redis_url or self.redis_url
        if url is not None:
            redis = RedisLimits(url)
            self._stack.push_async_callback(redis.aclose)
            counter = RedisCounter(redis, counters)
        return SpendingCaps(counter, manage_url=MANAGE_URL, clock=self.clock)


@pytest.fixture(params=["database", "redis"])
async def world(request: pytest.FixtureRequest, fresh_database_url: str) -> AsyncIterator[World]:
    redis_url = request.getfixturevalue("redis_url") if request.param == "redis" else None
    async with AsyncExitStack() as stack:
        created = World(stack, fresh_database_url, redis_url, Clock(datetime(2031, 1, 31, 23, 58, tzinfo=UTC)))
        await created.start()
        yield created


async def test_calls_over_the_daily_cap_are_refused_until_midnight_utc_then_counted_again(world: World) -> None:
    caps, connection_id = world.replica(), await world.connection()
    assert [await caps.admit(connection_id, 2, None) for _ in range(2)] == [None, None]
    refusal = await caps.admit(connection_id, 2, None)
    assert refusal is not None and refusal.limit == "calls_per_day"
    assert refusal.retry_after == 120.0
    assert (await caps.used(connection_id)).calls_today == 2, "a refused call is not counted"

    world.clock.now = datetime(2031, 2, 1, 0, 0, tzinfo=UTC)
    assert await caps.admit(connection_id, 2, None) is None
    used = await caps.used(connection_id)
    assert used.calls_today == 1
    assert used.resets.day == datetime(2031, 2, 2, tzinfo=UTC)


async def test_tokens_over_the_monthly_cap_are_refused_until_the_first_of_next_month(world: World) -> None:
    caps, connection_id = world.replica(), await world.connection()
    world.clock.now = datetime(2031, 3, 1, 0, 0, tzinfo=UTC)
    assert await caps.admit(connection_id, None, 100) is None
    await caps.record(connection_id, 90)
    assert await caps.admit(connection_id, None, 100) is None  # 90 < 100: this call may overshoot
    await caps.record(connection_id, 40)
    refusal = await caps.admit(connection_id, None, 100)
    assert refusal is not None and refusal.limit == "tokens_per_month"
    assert "has used 130" in refusal.message

    world.clock.now = datetime(2031, 3, 31, 23, 59, 59, tzinfo=UTC)
    assert await caps.admit(connection_id, None, 100) is not None, "still March"
    world.clock.now = datetime(2031, 4, 1, tzinfo=UTC)
    assert await caps.admit(connection_id, None, 100) is None
    used = await caps.used(connection_id)
    assert used.tokens_this_month == 0
    assert used.resets.month == datetime(2031, 5, 1, tzinfo=UTC)


async def test_the_tokens_cap_is_checked_first_and_a_refused_call_counts_nothing(world: World) -> None:
    caps, connection_id = world.replica(), await world.connection()
    await caps.admit(connection_id, 10, 5)
    await caps.record(connection_id, 5)
    refusal = await caps.admit(connection_id, 10, 5)
    assert refusal is not None and refusal.limit == "tokens_per_month"
    assert (await caps.used(connection_id)).calls_today == 1


async def test_a_cap_of_zero_refuses_every_call(world: World) -> None:
    caps, connection_id = world.replica(), await world.connection()
    calls = await caps.admit(connection_id, 0, None)
    tokens = await caps.admit(connection_id, None, 0)
    assert calls is not None and calls.limit == "calls_per_day"
    assert tokens is not None and tokens.limit == "tokens_per_month"


async def test_two_replicas_calling_at_once_admit_exactly_the_cap(world: World) -> None:
    first, second = world.replica(), world.replica()
    connection_id = await world.connection()
    admitted: list[bool] = []

    async def call(caps: SpendingCaps) -> None:
        admitted.append(await caps.admit(connection_id, 7, None) is None)

    with anyio.fail_after(30):
        async with anyio.create_task_group() as tasks:
            for index in range(20):
                tasks.start_soon(call, first if index % 2 else second)
    assert admitted.count(True) == 7
    assert (await first.used(connection_id)).calls_today == (await second.used(connection_id)).calls_today == 7


async def test_tokens_recorded_on_one_replica_refuse_calls_on_the_other(world: World) -> None:
    first, second = world.replica(), world.replica()
    connection_id = await world.connection()
    assert await first.admit(connection_id, None, 1000) is None
    assert await second.admit(connection_id, None, 1000) is None
    await first.record(connection_id, 1200)
    refusal = await second.admit(connection_id, None, 1000)
    assert refusal is not None and "has used 1,200" in refusal.message


async def test_a_cap_set_late_counts_the_usage_already_written(world: World) -> None:
    caps, connection_id = world.replica(), await world.connection()
    assert world.repository is not None
    today = world.clock.now.date()
    await world.repository.add_usage(
        [
            UsageDelta(connection_id, "mistral_chat", 3, 0, 500, 100, world.clock.now, today),
            UsageDelta(connection_id, "mistral_chat", 9, 0, 400, 0, world.clock.now, date(2031, 1, 2)),
            UsageDelta(connection_id, "mistral_chat", 4, 0, 7, 0, world.clock.now, date(2030, 12, 31)),
        ]
    )
    assert tuple((await caps.used(connection_id))[:2]) == (3, 1000)
    refusal = await caps.admit(connection_id, 3, None)
    assert refusal is not None and refusal.limit == "calls_per_day"
    refusal = await caps.admit(connection_id, None, 1000)
    assert refusal is not None and "has used 1,000" in refusal.message


async def test_without_any_cap_the_database_counter_is_never_written(fresh_database_url: str) -> None:
    async with AsyncExitStack() as stack:
        world = World(stack, fresh_database_url, None, Clock(datetime(2031, 1, 5, tzinfo=UTC)))
        await world.start()
        caps, connection_id = world.replica(), await world.connection()
        for _ in range(3):
            assert await caps.admit(connection_id, None, None) is None
            await caps.record(connection_id, 50)
        # Nothing counted: a cap added now starts from the written usage (none here), not from a counter.
        assert await caps.admit(connection_id, 1, None) is None
        assert tuple((await caps.used(connection_id))[:2]) == (1, 0)


async def test_with_redis_unreachable_caps_still_hold_through_the_database(
    fresh_database_url: str, closed_port_redis_url: str
) -> None:
    async with AsyncExitStack() as stack:
        world = World(stack, fresh_database_url, None, Clock(datetime(2031, 1, 5, tzinfo=UTC)))
        await world.start()
        connection_id = await world.connection()
        first, second = world.replica(closed_port_redis_url), world.replica(closed_port_redis_url)
        with anyio.fail_after(30):
            assert await first.admit(connection_id, 2, 100) is None
            await first.record(connection_id, 30)
            assert await second.admit(connection_id, 2, 100) is None
            refusal = await first.admit(connection_id, 2, 100)
            assert refusal is not None and refusal.limit == "calls_per_day"
            assert tuple((await second.used(connection_id))[:2]) == (2, 30)


async def test_redis_counters_start_from_the_databases_usage(fresh_database_url: str, redis_url: str) -> None:
    async with AsyncExitStack() as stack:
        world = World(stack, fresh_database_url, redis_url, Clock(datetime(2031, 1, 5, tzinfo=UTC)))
        await world.start()
        caps, connection_id = world.replica(), await world.connection()
        assert world.repository is not None
        moment = world.clock.now
        await world.repository.add_usage(
            [UsageDelta(connection_id, "mistral_embed", 5, 1, 70, 0, moment, moment.date() - timedelta(days=1))]
        )
        assert tuple((await caps.used(connection_id))[:2]) == (0, 70)
        assert await caps.admit(connection_id, None, 71) is None
        await caps.record(connection_id, 1)
        assert await caps.admit(connection_id, None, 71) is not None
