"""Sign-ups nobody will ever see the answer of: their connections are deleted, retried until done.

A sign-up's token exists only in its answer. When that answer cannot be delivered, the row it
names is a stored Mistral key that no one can use or revoke, so it must go. That happens when:

- the sign-up's transaction failed or ran past its deadline: it was rolled back, unless its
  COMMIT reached the database and only the reply was lost. Which of the two is unknowable from
  here, so the row is deleted either way (a no-op if it never was). A COMMIT held back by the
  network cannot land later, after this delete: PostgreSQL ends a session idle in a transaction
  within one statement deadline (`storage.database`), which passes before the app's own COMMIT
  deadline does;
- the client hung up before the answer was ready (`api.create_connection`).

The deletes run in the background and are retried until the database answers: an outage that
caused the failure usually outlasts the request. What this cannot cover, and nothing could: a
process that dies before its deletes ran, and an answer lost on the way after it was sent.
"""

from __future__ import annotations

import logging
import time

import anyio

from storage.repository import ConnectionRepository

logger = logging.getLogger(__name__)


class AbandonedSignups:
    def __init__(self, repository: ConnectionRepository, *, retry_every: float = 5.0, limit: int = 10_000) -> None:
        self._repository = repository
        self._retry_every = retry_every
        self._limit = limit
        self._pending: dict[str, float] = {}  # connection id -> when to try (monotonic)
        self._added: anyio.Event | None = None  # made by `run`, in its event loop

    def __len__(self) -> int:
        return len(self._pending)

    def add(self, connection_id: str) -> None:
        """Delete this connection soon: once a retry period has passed, so that a transaction of
        it still in flight has ended by then."""
        if len(self._pending) >= self._limit:
            dropped = next(iter(self._pending))
            del self._pending[dropped]
            logger.error("too many sign-ups waiting to be undone; connection %s stays stored", dropped)
        self._pending[connection_id] = time.monotonic() + self._retry_every
        if self._added is not None:
            self._added.set()

    async def undo_due(self) -> None:
        """One pass: delete the connections whose time has come; keep the ones the database refused."""
        now = time.monotonic()
        for connection_id in [cid for cid, due in self._pending.items() if due <= now]:
            try:
                await self._repository.delete(connection_id)
            except Exception as error:  # bookkeeping, like usage: retry later, never stop the app
                logger.info("could not undo sign-up of %s yet (%s); will retry", connection_id, type(error).__name__)
                self._pending[connection_id] = time.monotonic() + self._retry_every
                return  # the database is not answering: no use trying the others now
            del self._pending[connection_id]
            logger.info("undid sign-up of %s: its token never reached anyone", connection_id)

    async def run(self) -> None:
        """Undo abandoned sign-ups for as long as the app runs."""
        try:
            while True:
                self._added = anyio.Event()
                due = min(self._pending.values(), default=None)
                if due is None:
                    await self._added.wait()
                    continue
                await anyio.sleep(max(0.0, due - time.monotonic()))
                await self.undo_due()
        finally:
            if self._pending:
                logger.warning(
                    "stopping with %d sign-up(s) not undone; their connections stay stored: %s",
                    len(self._pending),
                    ", ".join(self._pending),
                )
