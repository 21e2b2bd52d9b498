"""Limits kept in Redis, shared by every replica, failing open when Redis is unreachable.

Each check is one Lua script, so it is atomic across replicas and costs one round trip; the
scripts read Redis's own clock, so replica clocks need not agree.

When Redis fails, the check is allowed (the service keeps serving), the failure is counted
and logged once per outage, and Redis is left alone for a few seconds instead of paying a
failed connection attempt on every call.
"""

from __future__ import annotations

import logging
import math
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError

from server.limits.concurrency import Lease, NoLease
from server.settings.values import Rate

logger = logging.getLogger(__name__)

_KEY_PREFIX = "mmcp:limit:"
_TIMEOUT = 0.5  # seconds; a limit check must never be what makes a call slow
_PAUSE_AFTER_FAILURE = 5.0

# Sliding window log: members are attempts scored by their time. ARGV = count, period ms, member.
# Returns -1 when the attempt is allowed (and counted), else ms until the oldest one leaves the window.
_HIT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local start = now - tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', start)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return math.max(tonumber(oldest[2]) - start, 1)
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return -1
"""

# Leases are members scored by their expiry. ARGV = limit, lease ms, member. Returns 1 if granted.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"""

T = TypeVar("T")


class RedisLimits:
    """The Redis connection behind shared attempt limiters and concurrency leases."""

    def __init__(
        self,
        url: str,
        *,
        on_failure: Callable[[str], None] = lambda _operation: None,
        on_fail_open: Callable[[], None] = lambda: None,
        shown_url: str = "Redis",
    ) -> None:
        self._redis: Redis = Redis.from_url(
            url,
            socket_connect_timeout=_TIMEOUT,
            socket_timeout=_TIMEOUT,
            retry=Retry(NoBackoff(), 0),
            health_check_interval=30,
        )
        self._hit = self._redis.register_script(_HIT)
        self._acquire = self._redis.register_script(_ACQUIRE)
        self._on_failure = on_failure
        self._on_fail_open = on_fail_open
        self._shown_url = shown_url
        self._paused_until = 0.0
        self._down = False

    def register_script(self, source: str) -> AsyncScript:
        """A Lua script for `guarded` calls (loaded once, then run by its hash)."""
        return self._redis.register_script(source)

    async def guarded(
        self, operation: str, call: Callable[[], Awaitable[T]], fallback: T, *, fail_open: bool = True
    ) -> T:
        """Run one Redis operation; on any Redis trouble, count it and return `fallback`.

        `fail_open=False` is for callers that fall back to another store rather than let the call
        through: the failure is counted, but not as a check that failed open.
        """
        if time.monotonic() < self._paused_until:
            if fail_open:
                self._on_fail_open()
            return fallback
        try:
            result = await call()
        except (RedisError, OSError) as exc:
            self._on_failure(operation)
            if fail_open:
                self._on_fail_open()
            self._paused_until = time.monotonic() + _PAUSE_AFTER_FAILURE
            if not self._down:
                self._down = True
                logger.warning(
                    "Redis at %s is unreachable (%s): rate limits are not enforced (spending caps count in the "
                    "database) until it answers again",
                    self._shown_url,
                    type(exc).__name__,
                )
            return fallback
        if self._down:
            self._down = False
            logger.info("Redis at %s answers again: rate limits are enforced", self._shown_url)
        return result

    async def ping(self) -> bool:
        """True if Redis answers; a failure is logged and counted like any other."""
        return bool(await self.guarded("ping", self._redis.ping, False))

    def limiter(self, name: str, rate: Rate) -> RedisAttemptLimiter:
        return RedisAttemptLimiter(self, name, rate)

    async def hit(self, name: str, key: str, rate: Rate) -> float | None:
        redis_key = f"{_KEY_PREFIX}{name}:{key}"
        period_ms = max(1, math.ceil(rate.period * 1000))
        member = secrets.token_hex(8)

        def run() -> Awaitable[Any]:
            return self._hit(keys=[redis_key], args=[rate.count, period_ms, member])

        wait_ms = int(await self.guarded("hit", run, -1))
        return None if wait_ms < 0 else wait_ms / 1000

    async def acquire(self, key: str, limit: int, lease_seconds: float) -> Lease | None:
        redis_key = f"{_KEY_PREFIX}running:{key}"
        member = secrets.token_hex(8)
        lease_ms = max(1, math.ceil(lease_seconds * 1000))

        def run() -> Awaitable[Any]:
            return self._acquire(keys=[redis_key], args=[limit, lease_ms, member])

        granted = await self.guarded("acquire", run, None)
        if granted is None:
            return NoLease()
        return _RedisLease(self, redis_key, member) if int(granted) == 1 else None

    async def release(self, redis_key: str, member: str) -> None:
        # A lease that cannot be given back expires by itself (its score is its deadline).
        await self.guarded("release", lambda: self._redis.zrem(redis_key, member), None)

    async def aclose(self) -> None:
        await self._redis.aclose()


class RedisAttemptLimiter:
    """`AttemptLimiter` (server.limits.attempts) shared by every replica: any `rate.count`
    attempts in `rate.period` seconds per key; refused attempts are not counted."""

    def __init__(self, limits: RedisLimits, name: str, rate: Rate) -> None:
        self._limits = limits
        self.name = name
        self.rate = rate

    async def check(self, key: str) -> float | None:
        return await self._limits.hit(self.name, key, self.rate)


class _RedisLease:
    def __init__(self, limits: RedisLimits, redis_key: str, member: str) -> None:
        self._limits = limits
        self._key = redis_key
        self._member = member
        self._held = True

    async def release(self) -> None:
        if self._held:
            self._held = False
            await self._limits.release(self._key, self._member)
