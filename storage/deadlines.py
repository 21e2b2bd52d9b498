"""How long any database wait may last, and the one error a missed deadline becomes.

A database that stops answering without refusing (a network partition, a stalled server)
must cost a request a bounded wait, not an unbounded one. The drivers bound most waits:
asyncpg the connect (`timeout`) and every statement, BEGIN and COMMIT included
(`command_timeout`); SQLite waits for a lock at most its busy timeout; SQLAlchemy's pool
waits for a free connection at most `pool_timeout`. `within` puts an overall deadline around
a whole operation for what no driver bounds (a SQLite call stuck in its thread, a close).

Every miss surfaces as a `SQLAlchemyError` that `storage.database.is_unavailable` calls an
outage, which the web layer answers with 503 `database_unavailable` and `Retry-After`:

    SQLAlchemyError
    ├── OperationalError     connect refused or timed out, statement timed out (asyncpg),
    │                        database locked past the busy timeout (SQLite)
    └── TimeoutError         no pooled connection free in time (the pool itself)
        └── DatabaseTimeout  an operation outlived its overall deadline (`within`)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import anyio
from sqlalchemy import exc
from sqlalchemy.ext.asyncio import AsyncEngine

_ENGINE_OPTION = "mistral_mcp_deadlines"


@dataclass(frozen=True, slots=True)
class DatabaseDeadlines:
    """Seconds; `statement=None` leaves statements unbounded (operator commands, migrations by hand)."""

    connect: float = 10.0
    statement: float | None = None
    pool: float = 30.0

    @property
    def operation(self) -> float | None:
        """The overall bound of one repository operation: a pool wait, a fresh connection, the
        ping that found a dead one and the statement itself; None when statements are unbounded."""
        if self.statement is None:
            return None
        return self.pool + self.connect + 2 * self.statement


class DatabaseTimeout(exc.TimeoutError):
    """A database operation did not finish within its overall deadline."""


def deadlines_of(engine: AsyncEngine) -> DatabaseDeadlines:
    """The deadlines `storage.database.create_engine` gave this engine."""
    found = engine.get_execution_options().get(_ENGINE_OPTION)
    return found if isinstance(found, DatabaseDeadlines) else DatabaseDeadlines()


def engine_options(deadlines: DatabaseDeadlines) -> dict[str, DatabaseDeadlines]:
    """Execution options that let `deadlines_of` find the deadlines from the engine alone."""
    return {_ENGINE_OPTION: deadlines}


@contextmanager
def within(seconds: float | None, what: str) -> Iterator[None]:
    """Bound the body by `seconds` (None: unbounded); a miss raises `DatabaseTimeout`.

    A driver's own timeout that escaped unwrapped (asyncio's TimeoutError) becomes one too.

    Raises:
        DatabaseTimeout: the body did not finish in time.
    """
    try:
        with anyio.fail_after(seconds):
            yield
    except TimeoutError as error:
        raise DatabaseTimeout(f"the database did not answer in time ({what})") from error
