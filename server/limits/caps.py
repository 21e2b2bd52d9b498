"""Spending caps per connection: tool calls per UTC day and Mistral tokens per UTC calendar month.

`SpendingCaps.admit` runs before a call reaches Mistral and counts it (a refused call counts nothing,
and makes no upstream call); `record` adds the call's tokens once Mistral has answered, so a call that
starts under the token cap may end over it by its own tokens (and calls running at once by theirs).
Counters are shared by every replica: in Redis when one is configured (`caps_redis.py`), else in the
database (`storage/cap_counters.py`). Periods are named by their first day, so caps reset by
themselves at 00:00 UTC and on the first of the month.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NamedTuple, Protocol

from sqlalchemy.exc import SQLAlchemyError

from server.limits.calls import Refusal
from server.limits.periods import Periods, periods_at
from storage.cap_counters import CapCounterRepository, Kind, Window

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CapValues:
    """A connection's caps; None is no cap."""

    calls_per_day: int | None = None
    tokens_per_month: int | None = None


class Resets(NamedTuple):
    day: datetime
    """When the calls-per-day count starts again (the next 00:00 UTC)."""
    month: datetime
    """When the tokens-per-month count starts again (the first of next month, 00:00 UTC)."""


class Used(NamedTuple):
    calls_today: int
    tokens_this_month: int
    resets: Resets


@dataclass(frozen=True, slots=True)
class Verdict:
    """A counter's refusal: which cap, and how much of it is used."""

    kind: Kind
    used: int


class CapCounter(Protocol):
    async def admit(
        self, connection_id: str, periods: Periods, calls_cap: int | None, tokens_cap: int | None
    ) -> Verdict | None:
        """Count one call unless a cap refuses it (then say which)."""

    async def record(self, connection_id: str, periods: Periods, tokens: int) -> None:
        """Add a finished call's tokens to the month."""

    async def used(self, connection_id: str, periods: Periods) -> tuple[int, int]:
        """Calls in the day and tokens in the month."""


def day_window(periods: Periods) -> Window:
    return Window(periods.day_name, periods.day, periods.day)


def month_window(periods: Periods) -> Window:
    return Window(periods.month_name, periods.month_start, periods.month_ends.date() - timedelta(days=1))


# Forget which connections have a tokens cap beyond this many (see `DatabaseCounter`).
_REMEMBER_AT_MOST = 10_000


class DatabaseCounter:
    """Counters in the database. Only capped connections are counted (a write per call is the price
    of a cap, not of every call); a counter starts from the flushed usage, so a cap set late still
    sees what was used before it.

    A call's tokens are written only for a connection whose last check on this replica had a tokens
    cap (a call's check and its tokens happen on the same replica), so an uncapped call never waits
    on the database. Forgetting a connection costs little: its next check starts the counter again
    from the flushed usage, which has those tokens a couple of seconds later.
    """

    def __init__(self, repository: CapCounterRepository) -> None:
        self._repository = repository
        self._tokens_capped: set[str] = set()

    def _note(self, connection_id: str, tokens_cap: int | None) -> None:
        if tokens_cap is None:
            self._tokens_capped.discard(connection_id)
            return
        if len(self._tokens_capped) >= _REMEMBER_AT_MOST:
            self._tokens_capped.clear()
        self._tokens_capped.add(connection_id)

    async def admit(
        self, connection_id: str, periods: Periods, calls_cap: int | None, tokens_cap: int | None
    ) -> Verdict | None:
        self._note(connection_id, tokens_cap)
        if calls_cap is None and tokens_cap is None:
            return None
        kind = await self._repository.admit(
            connection_id,
            calls=(day_window(periods), calls_cap) if calls_cap is not None else None,
            tokens=(month_window(periods), tokens_cap) if tokens_cap is not None else None,
        )
        if kind is None:
            return None
        window = day_window(periods) if kind == "calls" else month_window(periods)
        return Verdict(kind, await self._repository.used(connection_id, kind, window))

    async def record(self, connection_id: str, periods: Periods, tokens: int) -> None:
        if connection_id in self._tokens_capped:
            await self._repository.add_tokens(connection_id, month_window(periods), tokens)

    async def used(self, connection_id: str, periods: Periods) -> tuple[int, int]:
        calls = await self._repository.used(connection_id, "calls", day_window(periods))
        tokens = await self._repository.used(connection_id, "tokens", month_window(periods))
        return calls, tokens


class Uncounted:
    """No counting at all: the caps of an app built without a database (`Limits`' default)."""

    async def admit(
        self, connection_id: str, periods: Periods, calls_cap: int | None, tokens_cap: int | None
    ) -> Verdict | None:
        return None

    async def record(self, connection_id: str, periods: Periods, tokens: int) -> None:
        return None

    async def used(self, connection_id: str, periods: Periods) -> tuple[int, int]:
        return 0, 0


def _in(delta: timedelta) -> str:
    minutes = max(1, int(delta.total_seconds() + 59) // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} day{'s' if days > 1 else ''}" + (f" {hours} h" if hours else "")
    if hours:
        return f"{hours} h" + (f" {minutes} min" if minutes else "")
    return f"{minutes} min"


def _at(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SpendingCaps:
    """The caps gate of the MCP call path; see the module docstring for what it promises."""

    def __init__(
        self,
        counter: CapCounter,
        *,
        manage_url: str,
        clock: Callable[[], datetime] = _utc_now,
        on_refusal: Callable[[Refusal], None] = lambda _refusal: None,
        on_fail_open: Callable[[], None] = lambda: None,
    ) -> None:
        self._counter = counter
        self._manage_url = manage_url
        self._clock = clock
        self._on_refusal = on_refusal
        self._on_fail_open = on_fail_open
        self._failing = False

    def _periods(self) -> tuple[datetime, Periods]:
        now = self._clock()
        return now, periods_at(now)

    async def admit(
        self, connection_id: str, calls_per_day: int | None, tokens_per_month: int | None
    ) -> Refusal | None:
        """None when the call may go ahead (it is counted), else the refusal to answer with.

        A database that cannot be reached lets the call through (logged and counted): the caps are
        bookkeeping, and the call itself would fail on what fails them.
        """
        now, periods = self._periods()
        try:
            verdict = await self._counter.admit(connection_id, periods, calls_per_day, tokens_per_month)
        except SQLAlchemyError as exc:
            self._failed(exc)
            return None
        self._recovered()
        if verdict is None:
            return None
        if verdict.kind == "calls":
            reset = periods.day_ends
            message = (
                f"Daily cap reached: this connection may make {calls_per_day:,} tool calls per day (UTC) and has "
                f"made them all today. Nothing was sent to Mistral. The cap resets at midnight UTC "
                f"({_at(reset)}, in {_in(reset - now)})."
            )
            limit = "calls_per_day"
        else:
            reset = periods.month_ends
            message = (
                f"Monthly token cap reached: this connection may use {tokens_per_month:,} Mistral tokens per "
                f"calendar month (UTC) and has used {verdict.used:,}. Nothing was sent to Mistral. The cap resets "
                f"on the first of next month ({_at(reset)}, in {_in(reset - now)})."
            )
            limit = "tokens_per_month"
        message += f" To raise or remove the cap, open the manage page with this connection's URL: {self._manage_url}"
        refusal = Refusal(limit, (reset - now).total_seconds(), message)
        self._on_refusal(refusal)
        return refusal

    async def record(self, connection_id: str, tokens: int) -> None:
        """Count a finished call's tokens (prompt and completion) toward this month."""
        if tokens <= 0:
            return
        _, periods = self._periods()
        try:
            await self._counter.record(connection_id, periods, tokens)
        except SQLAlchemyError as exc:
            # The tokens are not lost: the usage flush writes them, and the next check starts from there.
            self._failed(exc)
            return
        self._recovered()

    async def used(self, connection_id: str) -> Used:
        """Calls today, tokens this month and when each count starts again, for the pages.

        Raises:
            SQLAlchemyError: the database could not be read (the pages answer 503).
        """
        _, periods = self._periods()
        calls, tokens = await self._counter.used(connection_id, periods)
        return Used(calls, tokens, Resets(periods.day_ends, periods.month_ends))

    def _failed(self, exc: SQLAlchemyError) -> None:
        self._on_fail_open()
        if not self._failing:
            self._failing = True
            logger.warning("spending caps cannot reach the database (%s): calls are let through", type(exc).__name__)

    def _recovered(self) -> None:
        if self._failing:
            self._failing = False
            logger.info("spending caps reach the database again: caps are enforced")
