"""Rate limits: per-connection tool-call limits, spending caps and named attempt limiters (e.g. sign-up).

Counters live in Redis when `settings.redis_url` is set, so every replica sees the same
counts, and in this process otherwise. Redis trouble never stops the service: checks fail
open (counted and logged) until Redis answers again. Spending caps (`caps.py`) are the exception:
without Redis, or while it fails, they count in the database, which every replica shares.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from server.limits.attempts import AttemptLimiter, SlidingWindowLimiter, Unlimited
from server.limits.calls import CallLimits, Refusal
from server.limits.caps import CapCounter, CapValues, DatabaseCounter, SpendingCaps, Uncounted, Used
from server.limits.caps_redis import RedisCounter
from server.limits.concurrency import MemoryConcurrency
from server.limits.deadlines import DEADLINE_GRACE, TOOL_DEADLINE
from server.limits.redis_store import RedisLimits
from server.settings import Settings, mask_url_password
from server.settings.values import Rate
from storage.cap_counters import CapCounterRepository

__all__ = ["CallLimits", "CapValues", "Limits", "Refusal", "SpendingCaps", "Used", "build_limits"]

# A shared concurrency slot outlives its call only if a replica dies mid-call; then it
# expires after the longest a call can take plus a margin: every retry timing out, or a
# healthy stream trickling on until the tool deadline (read timeouts apply between chunks).
_LEASE_MARGIN = 60.0


def _ignore(_name: str) -> None:
    return None


def _limiter(redis: RedisLimits | None, name: str, rate: Rate | None) -> AttemptLimiter:
    if rate is None:
        return Unlimited()
    return redis.limiter(name, rate) if redis is not None else SlidingWindowLimiter(rate)


class _Counted:
    """An attempt limiter whose refusals are reported (for metrics); its decisions are the inner one's."""

    def __init__(self, inner: AttemptLimiter, name: str, on_refused: Callable[[str], None]) -> None:
        self._inner = inner
        self._name = name
        self._on_refused = on_refused

    async def check(self, key: str) -> float | None:
        wait = await self._inner.check(key)
        if wait is not None:
            self._on_refused(self._name)
        return wait


@dataclass(frozen=True, slots=True)
class Limits:
    calls: CallLimits
    redis: RedisLimits | None
    on_attempt_refused: Callable[[str], None] = _ignore
    caps: SpendingCaps = field(default_factory=lambda: SpendingCaps(Uncounted(), manage_url="/manage"))
    """The owner's caps (calls per day, tokens per month), checked after `calls` admits a call."""

    def attempt_limiter(self, name: str, rate: Rate | None) -> AttemptLimiter:
        """A limiter for `rate` attempts per key (e.g. "signup"), shared through Redis when there is one.

        `name` is a fixed word from our code: it keys the counters and labels the refusals metric.
        """
        if rate is None:
            return Unlimited()
        return _Counted(_limiter(self.redis, name, rate), name, self.on_attempt_refused)

    async def aclose(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()


def slot_lifetime(settings: Settings) -> float:
    """Seconds a shared concurrency slot lives unless released: see `_LEASE_MARGIN`."""
    longest_call = max(settings.upstream_timeout * (settings.upstream_max_retries + 1), TOOL_DEADLINE + DEADLINE_GRACE)
    return longest_call + _LEASE_MARGIN


def build_limits(
    settings: Settings,
    engine: AsyncEngine,
    *,
    on_refusal: Callable[[Refusal], None],
    on_attempt_refused: Callable[[str], None],
    on_redis_failure: Callable[[str], None],
    on_fail_open: Callable[[], None],
) -> Limits:
    redis = (
        RedisLimits(
            settings.redis_url,
            on_failure=on_redis_failure,
            on_fail_open=on_fail_open,
            shown_url=mask_url_password(settings.redis_url),
        )
        if settings.redis_url
        else None
    )
    per_minute = Rate(settings.rate_limit_per_minute, 60.0) if settings.rate_limit_per_minute > 0 else None
    calls = CallLimits(
        _limiter(redis, "calls", per_minute),
        settings.rate_limit_per_minute,
        redis if redis is not None else MemoryConcurrency(),
        settings.max_concurrent_calls,
        lease_seconds=slot_lifetime(settings),
        on_refusal=on_refusal,
    )
    counters = CapCounterRepository(engine)
    counter: CapCounter = RedisCounter(redis, counters) if redis is not None else DatabaseCounter(counters)
    caps = SpendingCaps(
        counter, manage_url=f"{settings.public_url}/manage", on_refusal=on_refusal, on_fail_open=on_fail_open
    )
    return Limits(calls, redis, on_attempt_refused, caps)
