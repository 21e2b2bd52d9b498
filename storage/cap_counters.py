"""Spending caps' counters in the database, for deployments without Redis (and when Redis is down).

One row per connection and kind holds the period it counts and how much was used in it. Every check
first brings the row up to date in one statement: a new period starts it again, and it never reads
less than the usage flushes have written for the period (`usage_days`, every replica's calls up to a
couple of seconds ago), so a counter made late (a cap set mid-month) or left behind (during a Redis
outage) starts from the truth. The call is then counted with a conditional `UPDATE … WHERE used < cap`:
the row lock (PostgreSQL) or the single writer (SQLite) makes check and count one step across replicas.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from typing import Literal

from sqlalchemy import ColumnElement, and_, case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage.deadlines import deadlines_of, within
from storage.models import CapCounterRow, UsageDayRow

Kind = Literal["calls", "tokens"]


@dataclass(frozen=True, slots=True)
class Window:
    """Where one kind of counter counts: the period's name and its days (`first` to `last`, inclusive)."""

    period: str
    first: date
    last: date


def _flushed(connection_id: str, kind: Kind, window: Window) -> ColumnElement[int]:
    counted = UsageDayRow.calls if kind == "calls" else UsageDayRow.prompt_tokens + UsageDayRow.completion_tokens
    return (
        select(func.coalesce(func.sum(counted), 0))
        .where(UsageDayRow.connection_id == connection_id, UsageDayRow.day.between(window.first, window.last))
        .scalar_subquery()
    )


class CapCounterRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self.deadline = deadlines_of(engine).operation

    @asynccontextmanager
    async def _begin(self) -> AsyncIterator[AsyncConnection]:
        with within(self.deadline, "counting toward a spending cap"):
            async with self._engine.begin() as conn:
                yield conn

    async def _refresh(self, conn: AsyncConnection, connection_id: str, kind: Kind, window: Window) -> int:
        """Bring the counter to the window's period and at least to the flushed usage; its value."""
        upsert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
        stmt = upsert(CapCounterRow).values(
            connection_id=connection_id, kind=kind, period=window.period, used=_flushed(connection_id, kind, window)
        )
        same_period_and_ahead = and_(
            CapCounterRow.period == stmt.excluded.period, CapCounterRow.used > stmt.excluded.used
        )
        refreshed = stmt.on_conflict_do_update(
            index_elements=[CapCounterRow.connection_id, CapCounterRow.kind],
            set_={
                "period": stmt.excluded.period,
                "used": case((same_period_and_ahead, CapCounterRow.used), else_=stmt.excluded.used),
            },
        ).returning(CapCounterRow.used)
        return int((await conn.execute(refreshed)).scalar_one())

    async def admit(
        self,
        connection_id: str,
        *,
        calls: tuple[Window, int] | None,
        tokens: tuple[Window, int] | None,
    ) -> Kind | None:
        """Count one call against the caps given as (window, cap); the kind of cap that refuses it, or None.

        The tokens cap is checked first (a refused call counts nothing); the call is counted only
        when both caps let it through.
        """
        async with self._begin() as conn:
            if tokens is not None:
                window, cap = tokens
                if await self._refresh(conn, connection_id, "tokens", window) >= cap:
                    return "tokens"
            if calls is not None:
                window, cap = calls
                await self._refresh(conn, connection_id, "calls", window)
                counted = await conn.execute(
                    update(CapCounterRow)
                    .where(
                        CapCounterRow.connection_id == connection_id,
                        CapCounterRow.kind == "calls",
                        CapCounterRow.used < cap,
                    )
                    .values(used=CapCounterRow.used + 1)
                    .returning(CapCounterRow.used)
                )
                if counted.first() is None:
                    return "calls"
        return None

    async def add_tokens(self, connection_id: str, window: Window, tokens: int) -> None:
        """Add a finished call's tokens to the month's counter, if there is one for that month (else the
        next check starts it from the flushed usage, which has them)."""
        async with self._begin() as conn:
            await conn.execute(
                update(CapCounterRow)
                .where(
                    CapCounterRow.connection_id == connection_id,
                    CapCounterRow.kind == "tokens",
                    CapCounterRow.period == window.period,
                )
                .values(used=CapCounterRow.used + tokens)
            )

    async def used(self, connection_id: str, kind: Kind, window: Window) -> int:
        """How much of `kind` the connection used in the window: its counter, or the flushed usage when
        that is more (or there is no counter)."""
        async with self._begin() as conn:
            counter = (
                await conn.execute(
                    select(CapCounterRow.used).where(
                        CapCounterRow.connection_id == connection_id,
                        CapCounterRow.kind == kind,
                        CapCounterRow.period == window.period,
                    )
                )
            ).scalar_one_or_none()
            flushed = (await conn.execute(select(_flushed(connection_id, kind, window)))).scalar_one()
        return max(int(counter or 0), int(flushed))

    async def flushed(self, connection_id: str, kind: Kind, window: Window) -> int:
        """The usage flushes have written for the window (every replica, up to a few seconds ago)."""
        async with self._begin() as conn:
            return int((await conn.execute(select(_flushed(connection_id, kind, window)))).scalar_one())
