"""The limiter pieces on their own: in-process slots, call admission, and the Redis backend."""

from __future__ import annotations

import secrets

import anyio
import pytest

from server.limits.attempts import SlidingWindowLimiter, Unlimited
from server.limits.calls import CallLimits, Refusal
from server.limits.concurrency import MemoryConcurrency
from server.limits.redis_store import RedisLimits
from server.settings.values import Rate

pytestmark = pytest.mark.anyio


class Boom(Exception):
    pass


def name() -> str:
    return "test-" + secrets.token_hex(6)


async def test_memory_slots_are_counted_per_key_and_released_once() -> None:
    slots = MemoryConcurrency()
    first = await slots.acquire("a", 2, 60)
    second = await slots.acquire("a", 2, 60)
    assert first is not None and second is not None
    assert await slots.acquire("a", 2, 60) is None
    assert await slots.acquire("b", 2, 60) is not None
    await first.release()
    await first.release()  # a second release must not free someone else's slot
    assert await slots.acquire("a", 2, 60) is not None
    assert await slots.acquire("a", 2, 60) is None


async def test_call_admission_releases_the_slot_when_the_call_raises_or_is_refused_per_minute() -> None:
    refusals: list[Refusal] = []
    limits = CallLimits(
        SlidingWindowLimiter(Rate(1, 60)), 1, MemoryConcurrency(), 1, lease_seconds=60, on_refusal=refusals.append
    )

    async def failing_call() -> None:
        async with limits.admit("conn") as refusal:
            assert refusal is None
            raise Boom

    with pytest.raises(Boom):
        await failing_call()
    async with limits.admit("conn") as refusal:
        assert refusal is not None and refusal.limit == "per_minute"
        assert 59 <= refusal.retry_after <= 60
    # The per-minute refusal gave its concurrency slot back: a concurrency refusal would say so.
    async with limits.admit("conn") as refusal:
        assert refusal is not None and refusal.limit == "per_minute"
    assert [r.limit for r in refusals] == ["per_minute", "per_minute"]


async def test_call_admission_refuses_a_second_concurrent_call() -> None:
    limits = CallLimits(Unlimited(), 0, MemoryConcurrency(), 1, lease_seconds=60)
    async with limits.admit("conn") as first:
        assert first is None
        async with limits.admit("conn") as second:
            assert second is not None and second.limit == "concurrent"
            assert "at most 1 may run" in second.message
        async with limits.admit("other") as third:
            assert third is None


async def test_unlimited_call_limits_admit_everything() -> None:
    limits = CallLimits.unlimited()
    async with limits.admit("conn") as first, limits.admit("conn") as second:
        assert first is None and second is None


async def test_redis_window_is_shared_by_two_replicas_and_refusals_are_not_counted(redis_url: str) -> None:
    replica_a, replica_b = RedisLimits(redis_url), RedisLimits(redis_url)
    bucket = name()
    try:
        a, b = replica_a.limiter(bucket, Rate(2, 60)), replica_b.limiter(bucket, Rate(2, 60))
        assert await a.check("10.0.0.1") is None
        assert await b.check("10.0.0.1") is None
        wait = await a.check("10.0.0.1")
        assert wait is not None and 0 < wait <= 60
        assert await b.check("10.0.0.1") is not None
        assert await b.check("10.0.0.2") is None
    finally:
        await replica_a.aclose()
        await replica_b.aclose()


async def test_redis_window_lets_attempts_in_again_once_the_oldest_leaves(redis_url: str) -> None:
    limits = RedisLimits(redis_url)
    try:
        limiter = limits.limiter(name(), Rate(1, 0.2))
        assert await limiter.check("k") is None
        wait = await limiter.check("k")
        assert wait is not None and wait <= 0.2
        with anyio.fail_after(5):
            while await limiter.check("k") is not None:
                await anyio.sleep(0.05)
    finally:
        await limits.aclose()


async def test_redis_slots_are_shared_released_and_expire_if_never_released(redis_url: str) -> None:
    replica_a, replica_b = RedisLimits(redis_url), RedisLimits(redis_url)
    key = name()
    try:
        held = await replica_a.acquire(key, 1, 60)
        assert held is not None
        assert await replica_b.acquire(key, 1, 60) is None
        await held.release()
        crashed = await replica_b.acquire(key, 1, 0.2)  # a replica that dies never releases this one
        assert crashed is not None
        with anyio.fail_after(5):
            while (lease := await replica_a.acquire(key, 1, 60)) is None:
                await anyio.sleep(0.05)
        await lease.release()
    finally:
        await replica_a.aclose()
        await replica_b.aclose()


async def test_redis_unreachable_fails_open_counts_and_pauses_instead_of_retrying_every_call(
    closed_port_redis_url: str,
) -> None:
    failures: list[str] = []
    fail_open: list[None] = []
    limits = RedisLimits(closed_port_redis_url, on_failure=failures.append, on_fail_open=lambda: fail_open.append(None))
    try:
        with anyio.fail_after(5):
            assert await limits.limiter("x", Rate(1, 60)).check("k") is None
            assert await limits.limiter("x", Rate(1, 60)).check("k") is None
            lease = await limits.acquire("k", 1, 60)
            assert lease is not None
            await lease.release()
            assert await limits.ping() is False
    finally:
        await limits.aclose()
    assert failures == ["hit"], "after one failure Redis is left alone for a few seconds"
    assert len(fail_open) == 4
