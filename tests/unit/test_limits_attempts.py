"""The in-process attempt limiter and the `N/unit` rates it is configured with."""

from __future__ import annotations

from dataclasses import replace

import pytest

from server.limits import slot_lifetime
from server.limits.attempts import SlidingWindowLimiter, Unlimited, retry_after_header
from server.limits.deadlines import DEADLINE_GRACE, TOOL_DEADLINE
from server.settings import Settings
from server.settings.values import Rate, parse_rate

pytestmark = pytest.mark.anyio


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("10/minute", Rate(10, 60.0)),
        ("3 / hour", Rate(3, 3600.0)),
        ("1/second", Rate(1, 1.0)),
        ("100/days", Rate(100, 86400.0)),
        ("off", None),
        ("0", None),
        ("0/minute", None),
    ],
)
def test_rates_read_as_people_write_them(text: str, rate: Rate | None) -> None:
    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", ["", "ten/minute", "10/fortnight", "10", "-1/minute", "10 per minute"])
def test_unreadable_rates_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="N/minute"):
        parse_rate(text)


async def test_allows_the_rate_then_says_when_the_oldest_attempt_leaves_the_window() -> None:
    clock = Clock()
    limiter = SlidingWindowLimiter(Rate(3, 60.0), clock)
    assert [await limiter.check("a") for _ in range(3)] == [None, None, None]
    clock.now += 20
    assert await limiter.check("a") == pytest.approx(40.0)
    clock.now += 40
    assert await limiter.check("a") is None


async def test_refused_attempts_do_not_push_the_wait_further() -> None:
    clock = Clock()
    limiter = SlidingWindowLimiter(Rate(1, 60.0), clock)
    assert await limiter.check("a") is None
    for _ in range(50):
        assert await limiter.check("a") == pytest.approx(60.0)
    clock.now += 60
    assert await limiter.check("a") is None


async def test_each_key_has_its_own_window() -> None:
    limiter = SlidingWindowLimiter(Rate(1, 60.0), Clock())
    assert await limiter.check("203.0.113.1") is None
    assert await limiter.check("203.0.113.1") is not None
    assert await limiter.check("203.0.113.2") is None


async def test_idle_keys_are_forgotten_so_memory_stays_bounded() -> None:
    clock = Clock()
    limiter = SlidingWindowLimiter(Rate(1, 60.0), clock)
    for n in range(10_001):
        await limiter.check(f"10.0.{n // 256}.{n % 256}")
    clock.now += 61
    await limiter.check("fresh")
    await limiter.check("another")
    assert len(limiter._attempts) <= 2


async def test_unlimited_allows_everything() -> None:
    assert [await Unlimited().check("a") for _ in range(100)] == [None] * 100


@pytest.mark.parametrize(("seconds", "header"), [(0.2, "1"), (1.0, "1"), (1.01, "2"), (59.5, "60")])
def test_retry_after_is_rounded_up_to_whole_seconds(seconds: float, header: str) -> None:
    assert retry_after_header(seconds) == header


@pytest.mark.parametrize(("timeout", "retries"), [(2.0, 0), (30.0, 2), (120.0, 2), (300.0, 3)])
def test_a_shared_slot_outlives_the_longest_call_even_with_short_timeouts(timeout: float, retries: int) -> None:
    # A healthy stream may trickle on until the tool deadline whatever the read timeout (it applies
    # between chunks); a slot expiring before would let an 11th call run beside 10 live ones.
    settings = replace(Settings(), upstream_timeout=timeout, upstream_max_retries=retries)
    assert slot_lifetime(settings) > max(TOOL_DEADLINE + DEADLINE_GRACE, timeout * (retries + 1))
