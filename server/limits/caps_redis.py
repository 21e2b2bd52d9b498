"""Spending caps' counters in Redis, shared by every replica, with the database behind them.

Every connection is counted (an INCR is cheaper than knowing who has a cap), so a cap set mid-month
sees what was used before it. A counter Redis does not have yet (a new period, a Redis that lost
its data) starts from the usage the database has (`usage_days`, flushed every couple of seconds):
the check answers "missing", the seeds are read, and the check runs again with them (SET NX, so
replicas racing to start a counter agree on one).

Periods are named by the replica's clock (day and month in UTC); replicas whose clocks differ by a
moment may count a call made at midnight to either day. Keys expire a day after their period.

When Redis fails, the database counter (`DatabaseCounter`) answers instead: a spending cap does not
fail open. After an outage Redis carries on from its own counts, which miss the calls made during
it (they are in the database's usage, and Redis counters are not re-read from it).
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime, timedelta
from typing import Any

from server.limits.caps import DatabaseCounter, Verdict, day_window, month_window
from server.limits.periods import Periods
from server.limits.redis_store import RedisLimits
from storage.cap_counters import CapCounterRepository

_KEY_PREFIX = "mmcp:limit:cap:"
_KEEP_AFTER_PERIOD = timedelta(days=1)
_NO_VALUE = -1

# KEYS = the day's calls, the month's tokens. ARGV = calls cap, tokens cap (-1: none), the two keys'
# lifetimes in ms, and seeds for missing counters (-1: none known yet).
# Returns {outcome, calls, tokens}: 0 counted, 1 refused by the calls cap, 2 by the tokens cap,
# -1 a counter is missing (ask again with seeds); calls and tokens are the counts after the check.
_ADMIT = """
if ARGV[5] ~= '-1' then redis.call('SET', KEYS[1], ARGV[5], 'PX', ARGV[3], 'NX') end
if ARGV[6] ~= '-1' then redis.call('SET', KEYS[2], ARGV[6], 'PX', ARGV[4], 'NX') end
local calls = redis.call('GET', KEYS[1])
local tokens = redis.call('GET', KEYS[2])
if not calls or not tokens then return {-1, 0, 0} end
calls = tonumber(calls)
tokens = tonumber(tokens)
local calls_cap = tonumber(ARGV[1])
local tokens_cap = tonumber(ARGV[2])
if tokens_cap >= 0 and tokens >= tokens_cap then return {2, calls, tokens} end
if calls_cap >= 0 and calls >= calls_cap then return {1, calls, tokens} end
return {0, redis.call('INCR', KEYS[1]), tokens}
"""

# KEYS = the month's tokens; ARGV = tokens. A missing counter is left alone: it will start from the
# database's usage, which has these tokens once flushed.
_RECORD = """
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('INCRBY', KEYS[1], ARGV[1]) end
return -1
"""

_READ = "return redis.call('MGET', KEYS[1], KEYS[2])"


def _keys(connection_id: str, periods: Periods) -> list[str]:
    # One hash tag per connection: both keys of a script live on the same Redis Cluster slot.
    return [
        f"{_KEY_PREFIX}{{{connection_id}}}:calls:{periods.day_name}",
        f"{_KEY_PREFIX}{{{connection_id}}}:tokens:{periods.month_name}",
    ]


def _lifetime_ms(ends: datetime, periods: Periods) -> int:
    # Counted from the day's start, not from now (the clock is read once per check): a key set at any
    # moment of the day lives one to two days past its period.
    start = periods.day_ends - timedelta(days=1)
    return int((ends - start + _KEEP_AFTER_PERIOD).total_seconds() * 1000)


class RedisCounter:
    def __init__(self, redis: RedisLimits, repository: CapCounterRepository) -> None:
        self._redis = redis
        self._repository = repository
        self._database = DatabaseCounter(repository)
        self._admit = redis.register_script(_ADMIT)
        self._record = redis.register_script(_RECORD)
        self._read = redis.register_script(_READ)

    async def _seeds(self, connection_id: str, periods: Periods) -> tuple[int, int]:
        calls = await self._repository.flushed(connection_id, "calls", day_window(periods))
        tokens = await self._repository.flushed(connection_id, "tokens", month_window(periods))
        return calls, tokens

    async def _check(
        self, keys: list[str], periods: Periods, calls_cap: int | None, tokens_cap: int | None, seeds: tuple[int, int]
    ) -> list[int] | None:
        args = [
            _NO_VALUE if calls_cap is None else calls_cap,
            _NO_VALUE if tokens_cap is None else tokens_cap,
            _lifetime_ms(periods.day_ends, periods),
            _lifetime_ms(periods.month_ends, periods),
            *seeds,
        ]

        def run() -> Awaitable[Any]:
            return self._admit(keys=keys, args=args)

        answer = await self._redis.guarded("caps", run, None, fail_open=False)
        return [int(value) for value in answer] if answer is not None else None

    async def admit(
        self, connection_id: str, periods: Periods, calls_cap: int | None, tokens_cap: int | None
    ) -> Verdict | None:
        keys = _keys(connection_id, periods)
        answer = await self._check(keys, periods, calls_cap, tokens_cap, (_NO_VALUE, _NO_VALUE))
        if answer is not None and answer[0] == -1:
            seeds = await self._seeds(connection_id, periods)
            answer = await self._check(keys, periods, calls_cap, tokens_cap, seeds)
        if answer is None:
            return await self._database.admit(connection_id, periods, calls_cap, tokens_cap)
        outcome, calls, tokens = answer
        if outcome == 1:
            return Verdict("calls", calls)
        if outcome == 2:
            return Verdict("tokens", tokens)
        return None

    async def record(self, connection_id: str, periods: Periods, tokens: int) -> None:
        key = _keys(connection_id, periods)[1]

        def run() -> Awaitable[Any]:
            return self._record(keys=[key], args=[tokens])

        if await self._redis.guarded("caps", run, None, fail_open=False) is None:
            await self._database.record(connection_id, periods, tokens)

    async def used(self, connection_id: str, periods: Periods) -> tuple[int, int]:
        keys = _keys(connection_id, periods)

        def run() -> Awaitable[Any]:
            return self._read(keys=keys)

        answer = await self._redis.guarded("caps", run, None, fail_open=False)
        if answer is None:
            return await self._database.used(connection_id, periods)
        calls, tokens = answer
        if calls is None or tokens is None:
            seeds = await self._seeds(connection_id, periods)
            return int(calls) if calls is not None else seeds[0], int(tokens) if tokens is not None else seeds[1]
        return int(calls), int(tokens)
